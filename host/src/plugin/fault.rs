//! Turns the error a guest call ended with into a short, readable reason: the trap's kind
//! (stack exhausted, unreachable, out-of-bounds access, ...) and the innermost frame of the
//! plugin's own code, without the multi-line wasm backtrace. Pure: it only reads the error.
//! It must never decide a status (that is `flow::status`'s) or read the guest's memory.

use wasmtime::{Trap, WasmBacktrace};

/// What a guest call's error says, once the host's own budgets were ruled out.
#[derive(Debug, Clone, PartialEq)]
pub enum TrapKind {
    /// The wasm call stack ran out (deep or endless recursion).
    StackExhausted { at: Option<String> },
    /// Any other trap or error: its message and where it happened.
    Other { message: String, at: Option<String> },
}

impl TrapKind {
    pub fn describe(&self) -> String {
        let at = |a: &Option<String>| a.as_ref().map(|f| format!(" in {f}")).unwrap_or_default();
        match self {
            TrapKind::StackExhausted { at: a } => format!("call stack exhausted{}", at(a)),
            TrapKind::Other { message, at: a } => format!("{message}{}", at(a)),
        }
    }
}

/// Classifies the error a guest call (instantiate, `run`, `describe`) returned.
pub fn classify_trap(e: &wasmtime::Error) -> TrapKind {
    let at = e
        .downcast_ref::<WasmBacktrace>()
        .and_then(|bt| plugin_frame(bt.frames().iter().filter_map(|f| f.func_name())));
    match e.downcast_ref::<Trap>() {
        Some(Trap::StackOverflow) => TrapKind::StackExhausted { at },
        Some(trap) => TrapKind::Other {
            message: trap
                .to_string()
                .trim_start_matches("wasm trap: ")
                .to_string(),
            at,
        },
        None => TrapKind::Other {
            message: message_without_backtrace(e),
            at,
        },
    }
}

/// The error's chain on one line, leaving out the backtrace context.
fn message_without_backtrace(e: &wasmtime::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let s = cause.to_string();
        if s.starts_with("error while executing at wasm backtrace") {
            continue;
        }
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    parts.join(": ").replace('\n', " ")
}

/// Prefixes of frames that belong to the toolchain's runtime (std, allocator, panic
/// machinery, generated bindings), not to the plugin's own code.
const RUNTIME_FRAMES: &[&str] = &[
    "std::",
    "core::",
    "alloc::",
    "<std::",
    "<core::",
    "<alloc::",
    "dlmalloc::",
    "<dlmalloc::",
    "wit_bindgen",
    "__",
    "rust_begin_unwind",
    "rust_panic",
    "abort",
    "cabi_",
];

/// The innermost frame (names innermost first) that is the plugin's own code, demangled.
fn plugin_frame<'a>(names: impl Iterator<Item = &'a str>) -> Option<String> {
    names
        .map(demangle)
        .find(|n| !RUNTIME_FRAMES.iter().any(|p| n.starts_with(p)))
}

/// Demangles a Rust symbol (legacy `_ZN…` or v0 `_R…`, hash and `.llvm.N` suffix dropped:
/// `_ZN7hostile6faults4dive17h0123456789abcdefE` -> `hostile::faults::dive`); other names
/// are returned as they are.
fn demangle(name: &str) -> String {
    match rustc_demangle::try_demangle(name) {
        Ok(d) => format!("{d:#}"),
        Err(_) => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demangles_legacy_rust_names() {
        assert_eq!(
            demangle("_ZN18synth_test_hostile6faults4dive17h0123456789abcdefE"),
            "synth_test_hostile::faults::dive"
        );
        assert_eq!(
            demangle(
                "_ZN18synth_test_hostile6faults4dive17h85060c54a402eb5eE.llvm.1276706015242548077"
            ),
            "synth_test_hostile::faults::dive"
        );
        assert_eq!(
            demangle("_RNvNtNtNtNtCshXfaRvt2tfW_3std3sys3pal4wasi7helpers14abort_internal"),
            "std::sys::pal::wasi::helpers::abort_internal"
        );
        assert_eq!(demangle("plain_name"), "plain_name");
        assert_eq!(demangle("_ZN3foo"), "_ZN3foo");
    }

    #[test]
    fn the_plugin_frame_skips_the_runtime() {
        let frames = [
            "__rust_abort",
            "_ZN3std3sys3pal4wasi7helpers14abort_internal17h0000000000000000E",
            "std::panicking::begin_panic_handler",
            "synth_test_hostile::faults::panic_with_message",
            "main",
        ];
        assert_eq!(
            plugin_frame(frames.into_iter()).as_deref(),
            Some("synth_test_hostile::faults::panic_with_message")
        );
        assert_eq!(plugin_frame(["core::x", "__y"].into_iter()), None);
    }

    #[test]
    fn traps_from_a_real_module() {
        let engine = wasmtime::Engine::default();
        let wat = r#"(module
            (memory 1)
            (func $deep (export "deep") (call $deep))
            (func $oob (export "oob") (drop (i64.load (i32.const 0xffffff00))))
            (func $stop (export "stop") unreachable))"#;
        let module = wasmtime::Module::new(&engine, wat).expect("module");
        let mut store = wasmtime::Store::new(&engine, ());
        let instance = wasmtime::Instance::new(&mut store, &module, &[]).expect("instance");
        let mut call = |name: &str| {
            let f = instance
                .get_typed_func::<(), ()>(&mut store, name)
                .expect("export");
            classify_trap(&f.call(&mut store, ()).expect_err("must trap"))
        };
        assert_eq!(
            call("deep"),
            TrapKind::StackExhausted {
                at: Some("deep".into())
            }
        );
        assert_eq!(call("oob").describe(), "out of bounds memory access in oob");
        assert_eq!(
            call("stop").describe(),
            "wasm `unreachable` instruction executed in stop"
        );
    }
}
