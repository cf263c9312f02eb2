//! A component built against `synth:plugin@9.0.0`, used by the tests to check that the host
//! refuses contract versions it does not support.

wit_bindgen::generate!({ path: "wit", world: "scaffold" });

struct Future;

impl exports::synth::plugin::scaffold_api::Guest for Future {
    fn describe() -> String {
        synth::plugin::log::log("describe called");
        "from the future".to_string()
    }
}

export!(Future);
