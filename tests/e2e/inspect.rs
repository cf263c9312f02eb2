//! `synth plugin inspect` prints mini's description and tools; a file that is not a
//! component, and a component built against another contract version, each get one line.

use crate::common::*;

#[test]
fn inspect_prints_description_and_tools() {
    let mini = plugin("mini.wasm");
    let out = synth(&["plugin", "inspect", mini.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.starts_with("mini "), "{shown}");
    assert!(
        shown.contains("scaffold, contract synth:plugin@0.1.0"),
        "{shown}"
    );
    assert!(
        shown.contains("bash [shell, command in `command`]"),
        "{shown}"
    );
    assert!(shown.contains("submit [finish]"), "{shown}");

    let json = synth(
        &["plugin", "inspect", "--json", mini.to_str().unwrap()],
        &[],
    );
    assert!(json.status.success(), "{}", text(&json));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(v["name"], "mini");
    assert_eq!(v["tools"].as_array().map(Vec::len), Some(2));

    let scorer = plugin("tests-pass.wasm");
    let out = synth(&["plugin", "inspect", scorer.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("(scorer, contract synth:plugin@0.1.0)"));
}

fn one_line_error(args: &[&str]) -> String {
    let out = synth(args, &[]);
    assert!(!out.status.success(), "expected a failure: {}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
    stderr
}

#[test]
fn bad_plugins_get_one_line_each() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text_file = dir.path().join("notes.wasm");
    std::fs::write(&text_file, "hello, not wasm").expect("write");
    let line = one_line_error(&["plugin", "inspect", text_file.to_str().unwrap()]);
    assert!(
        line.contains("notes.wasm") && line.contains("not a WebAssembly file"),
        "{line}"
    );

    let core = dir.path().join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").expect("write");
    let line = one_line_error(&["plugin", "inspect", core.to_str().unwrap()]);
    assert!(
        line.contains("core.wasm") && line.contains("not a component"),
        "{line}"
    );

    let future = plugin("future-contract.wasm");
    let line = one_line_error(&["plugin", "inspect", future.to_str().unwrap()]);
    assert!(
        line.contains("future-contract.wasm")
            && line.contains("synth:plugin@9.0.0")
            && line.contains("synth:plugin@0.1.0"),
        "{line}"
    );

    let line = one_line_error(&["plugin", "inspect", "/nonexistent/x.wasm"]);
    assert!(line.contains("/nonexistent/x.wasm"), "{line}");
}
