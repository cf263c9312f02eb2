//! synth-sdk: the guest side of the synth plugin contract (`synth:plugin@0.1.0`,
//! `wit/v0.1.0`) for plugins written in Rust and built for `wasm32-wasip2`.
//!
//! It owns the generated bindings of both worlds and a thin layer over them: re-exported WIT
//! types, message and tool-spec helpers, tool schemas derived from argument types and typed
//! argument parsing ([`schema`]), native and text tool calls ([`calls`]), where a history may
//! be cut ([`history`]), observation formatting, config parsing, logging, the imports behind
//! a trait ([`host`]) and a scripted host for native tests ([`testing`]).
//! It must never add behaviour the host does not see (no hidden retries, no repair of model
//! output): every model call and sandbox operation goes through an import the host records.
//!
//! A scaffold:
//! ```
//! use synth_sdk::{Outcome, PluginInfo, RunError, Scaffold, Task};
//!
//! struct Hello;
//!
//! impl Scaffold for Hello {
//!     fn describe() -> PluginInfo {
//!         PluginInfo {
//!             name: "hello".into(),
//!             version: env!("CARGO_PKG_VERSION").into(),
//!             description: "Submits at once.".into(),
//!             tools: Vec::new(),
//!             config_schema: r#"{"type":"object"}"#.into(),
//!         }
//!     }
//!
//!     fn run(task: Task, _config: String) -> Result<Outcome, RunError> {
//!         synth_sdk::info!("hello from {}", task.instance_id);
//!         Ok(Outcome::submitted("nothing to do"))
//!     }
//! }
//!
//! synth_sdk::export_scaffold!(Hello);
//! ```
//! A scorer implements [`Scorer`] and calls `synth_sdk::export_scorer!(MyScorer)`.
//!
//! Everything except the imports (`llm::complete`, `sandbox::*`, `log`, `trajectory::note`)
//! works natively, so plugin logic is unit-tested with plain `cargo test`; the imports panic
//! when called outside a component. Write loops against [`host::Host`] to test them natively.

pub mod calls;
pub mod config;
mod error;
pub mod history;
pub mod host;
pub mod log;
mod message;
mod observation;
pub mod schema;
pub mod testing;
mod tool;

/// Generated bindings of world `scaffold`. Export a scaffold with [`export_scaffold!`].
pub mod scaffold_bindings {
    wit_bindgen::generate!({
        path: "../../wit/v0.1.0",
        world: "scaffold",
        pub_export_macro: true,
        export_macro_name: "export_scaffold",
        default_bindings_module: "synth_sdk::scaffold_bindings",
        additional_derives: [PartialEq],
    });
}

/// Generated bindings of world `scorer`. Export a scorer with [`export_scorer!`]. The `log`
/// interface is shared with [`scaffold_bindings`].
pub mod scorer_bindings {
    wit_bindgen::generate!({
        path: "../../wit/v0.1.0",
        world: "scorer",
        pub_export_macro: true,
        export_macro_name: "export_scorer",
        default_bindings_module: "synth_sdk::scorer_bindings",
        with: { "synth:plugin/log@0.1.0": crate::scaffold_bindings::synth::plugin::log },
        additional_derives: [PartialEq],
    });
}

pub use calls::{CallMode, FormatError, Reply};
pub use config::{ConfigError, parse_config};
pub use schema::{ArgError, schema_of};
/// Re-exported so plugins derive `JsonSchema` without naming the crate themselves:
/// `#[derive(synth_sdk::schemars::JsonSchema)]` or `use synth_sdk::schemars::JsonSchema`.
pub use schemars;

pub use observation::observation;
pub use scaffold_bindings::synth::plugin::types::{
    ContentPart, ExitKind, FinishReason, FinishRole, Message, Outcome, PluginInfo, Role, RunError,
    ShellRole, Task, Thinking, ToolCall, ToolRole, ToolSpec, Usage,
};

/// The trait a scaffold implements (`describe`, `run`); export it with [`export_scaffold!`].
pub use scaffold_bindings::exports::synth::plugin::scaffold_api::Guest as Scaffold;
/// The trait a scorer implements (`describe`, `score`); export it with [`export_scorer!`].
pub use scorer_bindings::exports::synth::plugin::scorer_api::Guest as Scorer;

/// Model calls: `complete(messages, tools, params)`, recorded by the host.
pub mod llm {
    pub use crate::scaffold_bindings::synth::plugin::llm::{
        Completion, LlmError, Params, Purpose, complete,
    };

    impl Params {
        /// Parameters of an agent-purpose call (a step) with the provider's defaults.
        pub fn agent() -> Params {
            Params::purpose(Purpose::Agent)
        }

        /// Parameters of a call that is recorded but is not a step (for example condensing).
        pub fn purpose(purpose: Purpose) -> Params {
            Params {
                max_tokens: None,
                temperature: None,
                top_p: None,
                seed: None,
                stop: Vec::new(),
                logprobs: None,
                purpose,
                model_role: None,
                extra: None,
            }
        }
    }

    impl Default for Params {
        /// Same as [`Params::agent`].
        fn default() -> Params {
            Params::agent()
        }
    }
}

/// The task's container: one persistent shell plus file operations.
pub mod sandbox {
    pub use crate::scaffold_bindings::synth::plugin::sandbox::{
        DirEntry, ExecOptions, ExecResult, FileKind, FileStat, SandboxError, exec, interrupt,
        list_dir, poll, read_file, send_input, stat, write_file,
    };

    impl Default for ExecOptions {
        /// The host's defaults: its timeout and output cap, no soft timeout, the shell's cwd.
        fn default() -> ExecOptions {
            ExecOptions {
                timeout_ms: None,
                soft_timeout_ms: None,
                cwd: None,
                env: Vec::new(),
                max_output_bytes: None,
            }
        }
    }
}

/// Notes recorded in the trajectory (`note(kind, json)`), for example a condensation.
pub mod trajectory {
    pub use crate::scaffold_bindings::synth::plugin::trajectory::note;
}

/// What a scorer sees of an episode and returns.
pub mod scoring {
    pub use crate::scorer_bindings::synth::plugin::scoring::{
        Episode, Score, ScorerInfo, StepSummary, Verification,
    };
}

/// `synth_sdk::export_scaffold!(MyType)` exports `MyType: Scaffold` as the component's
/// scaffold. It expands to nothing outside wasm32: the export names (`synth:plugin/...`) are
/// not valid native symbol names, and native builds exist only for unit tests.
#[macro_export]
macro_rules! export_scaffold {
    ($ty:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::scaffold_bindings::export_scaffold!($ty with_types_in $crate::scaffold_bindings);
    };
}

/// `synth_sdk::export_scorer!(MyType)` exports `MyType: Scorer` as the component's scorer
/// (nothing outside wasm32, as for [`export_scaffold!`]).
#[macro_export]
macro_rules! export_scorer {
    ($ty:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::scorer_bindings::export_scorer!($ty with_types_in $crate::scorer_bindings);
    };
}
