//! Third-party authoring from nothing: `synth plugin new` writes a crate outside any
//! workspace, its own tests pass natively, one `cargo build --target wasm32-wasip2
//! --release` makes a component, `synth plugin inspect` reads it, and it solves a template
//! with the oracle model.

use std::path::PathBuf;
use std::process::Command;

use crate::common::*;

/// A persistent build folder for the generated crate when the suite has one (warm runs take
/// seconds), else a fresh one.
fn build_dir(fallback: &std::path::Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(|d| PathBuf::from(d).join("plugin-new"))
        .unwrap_or_else(|| fallback.join("target"))
}

fn cargo(args: &[&str], dir: &std::path::Path, target: &std::path::Path) -> std::process::Output {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("CARGO_MANIFEST_DIR")
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs")
}

#[test]
fn plugin_new_builds_a_working_scaffold_outside_the_workspace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = synth(
        &[
            "plugin",
            "new",
            "demo-agent",
            "--dir",
            dir.path().to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    let root = dir.path().join("demo-agent");
    assert!(String::from_utf8_lossy(&out.stdout).contains("cargo build --target wasm32-wasip2"));

    // A second time, and a bad name: one-line errors, nothing overwritten.
    let again = synth(
        &[
            "plugin",
            "new",
            "demo-agent",
            "--dir",
            dir.path().to_str().unwrap(),
        ],
        &[],
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let bad = synth(&["plugin", "new", "Demo_Agent"], &[]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("`Demo_Agent` is not a usable plugin name")
    );

    let target = build_dir(dir.path());
    let tests = cargo(&["test", "--quiet"], &root, &target);
    assert!(tests.status.success(), "cargo test:\n{}", text(&tests));
    let build = cargo(
        &["build", "--quiet", "--target", "wasm32-wasip2", "--release"],
        &root,
        &target,
    );
    assert!(build.status.success(), "cargo build:\n{}", text(&build));
    let wasm = target.join("wasm32-wasip2/release/demo_agent.wasm");
    assert!(wasm.exists(), "{} missing", wasm.display());

    let inspect = synth(&["plugin", "inspect", wasm.to_str().unwrap()], &[]);
    assert!(inspect.status.success(), "{}", text(&inspect));
    let shown = String::from_utf8_lossy(&inspect.stdout);
    assert!(
        shown.starts_with("demo-agent 0.1.0 (scaffold, contract synth:plugin@0.1.0)"),
        "{shown}"
    );
    assert!(
        shown.contains("bash [shell, command in `command`]"),
        "{shown}"
    );

    if !docker_available() {
        return;
    }
    let db = dir.path().join("run.duckdb");
    run_scaffold(&wasm, &db, "oracle", &["--task", "service-config"], &[]);
    let conn = open_db(&db);
    assert_eq!(
        strings(
            &conn,
            "SELECT scaffold || ' ' || status || ' ' || reward::VARCHAR FROM v_episodes"
        ),
        vec!["demo-agent completed 1.0".to_string()]
    );
}
