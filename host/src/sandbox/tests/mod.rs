//! Tests of the sandbox against the real Docker engine: the persistent shell (state,
//! timeouts, output caps, restarts, soft timeouts) in `shell.rs`; files, limits and labels,
//! images, host operations and gc in `ops.rs`; hostile commands (fork bombs, OOM, floods,
//! a full workspace) in `hostile.rs`; shared fixtures here. Without an engine or the
//! base image they print why and return, except with CI=true, where they fail. Every
//! container they start is removed, also on panic.

mod hostile;
mod ops;
mod shell;

use std::sync::Arc;
use std::time::Duration;

use super::*;

pub(super) const BASE: &str = "synth-base:bookworm";

pub(super) fn ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// The engine, or None (test skipped) when Docker or the base image is missing outside CI.
pub(super) async fn engine() -> Option<Engine> {
    let engine = match Engine::connect().await {
        Ok(e) => e,
        Err(e) if ci() => panic!("Docker is required in CI: {e}"),
        Err(e) => {
            eprintln!("skipping: {e}");
            return None;
        }
    };
    if engine.docker().inspect_image(BASE).await.is_err() {
        if ci() {
            panic!("base image {BASE} missing: run scripts/base-image.sh");
        }
        eprintln!("skipping: base image {BASE} missing (run scripts/base-image.sh)");
        return None;
    }
    Some(engine)
}

/// Removes the container when dropped, also when the test panics (through the CLI: the
/// test's runtime may be gone by then).
pub(super) struct Guard(pub(super) Arc<Sandbox>);

impl Drop for Guard {
    fn drop(&mut self) {
        if !self.0.removed.load(std::sync::atomic::Ordering::SeqCst) {
            let _ = std::process::Command::new("docker")
                .args(["rm", "-f", self.0.container_id()])
                .output();
            self.0
                .removed
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

impl std::ops::Deref for Guard {
    type Target = Sandbox;
    fn deref(&self) -> &Sandbox {
        &self.0
    }
}

/// Writes the shared test context (fixed content, so its tag is stable and built once).
pub(super) fn test_context(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(dir.join("hello.txt"), "hello\n").unwrap();
    std::fs::write(dir.join("pkg/run.sh"), "#!/bin/sh\necho run\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        dir.join("pkg/run.sh"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
}

pub(super) fn image_spec(dir: &std::path::Path) -> ImageSpec {
    ImageSpec {
        base_image: BASE.into(),
        context_dir: dir.to_path_buf(),
        setup: vec!["echo built > /workspace/setup.txt".into()],
        env: vec![("SYNTH_PARAM_WORD".into(), "it's \"$x\"".into())],
        workspace: "/workspace".into(),
    }
}

pub(super) async fn test_image(engine: &Engine) -> ImageRef {
    let dir = tempfile::tempdir().unwrap();
    test_context(dir.path());
    engine
        .ensure_image(&image_spec(dir.path()))
        .await
        .expect("test image")
}

pub(super) fn container_spec(image: &str, key: &str) -> ContainerSpec {
    ContainerSpec {
        image: image.into(),
        run_id: "test-run".into(),
        episode_key: key.into(),
        network: false,
        memory_bytes: 512 * 1024 * 1024,
        nano_cpus: 1_000_000_000,
        pids_limit: 256,
        workspace: "/workspace".into(),
        workspace_bytes: 256 * 1024 * 1024,
        user: AGENT_USER.into(),
    }
}

pub(super) async fn sandbox(engine: &Engine, key: &str) -> Guard {
    let image = test_image(engine).await;
    let sb = engine
        .start(&container_spec(&image.tag, key))
        .await
        .expect("start");
    Guard(Arc::new(sb))
}

pub(super) fn opts(timeout_secs: u64) -> ExecOptions {
    ExecOptions {
        timeout: Some(Duration::from_secs(timeout_secs)),
        ..Default::default()
    }
}

pub(super) async fn run(sb: &Sandbox, cmd: &str) -> ExecOutput {
    sb.exec(cmd, &opts(30)).await.expect(cmd)
}

pub(super) fn text(o: &ExecOutput) -> String {
    String::from_utf8_lossy(&o.output).into_owned()
}
