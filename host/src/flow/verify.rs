//! Sealed verification of one episode, after the scaffold has returned: stop every process
//! of the agent's user, record the workspace diff (the patch researchers train on), copy the
//! sealed tests in (they were never in the image or the container before), and run them in
//! a fresh exec with a clean environment. It decides pass or fail from the test command's
//! exit code only; turning that into rewards is the scorers' job.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::sandbox::{AGENT_USER, Sandbox, SandboxError};
use crate::task::{Instance, SEALED_DIR};

/// Bytes of test output kept.
const TEST_OUTPUT_CAP: usize = 256 * 1024;

#[derive(Debug, Clone)]
pub struct Verification {
    pub command: String,
    pub exit_code: Option<i32>,
    pub passed: bool,
    pub timed_out: bool,
    pub output: String,
    pub duration: Duration,
    pub started_at: DateTime<Utc>,
}

/// Stops the agent and records its diff. Runs before the sealed files go in.
pub async fn freeze_workspace(sandbox: &Sandbox) -> Result<String, SandboxError> {
    sandbox.kill_user_processes(AGENT_USER).await?;
    sandbox.workspace_diff().await
}

/// Copies the sealed tests and the canary in and runs the test command.
pub async fn run_sealed_tests(
    sandbox: &Sandbox,
    instance: &Instance,
) -> Result<Verification, SandboxError> {
    let started_at = Utc::now();
    let started = Instant::now();
    sandbox
        .copy_dir_in(&instance.tests_dir(), SEALED_DIR)
        .await?;
    // The canary marks the sealed files: finding it in a trajectory means they leaked.
    let canary_file = format!("{SEALED_DIR}/CANARY");
    sandbox
        .exec_fresh(
            &[
                "/bin/sh",
                "-c",
                "printf '%s\\n' \"$1\" > \"$2\"",
                "sh",
                &instance.canary,
                &canary_file,
            ],
            "root",
            &[],
            "/",
            Duration::from_secs(30),
            4096,
        )
        .await?;
    let argv = instance.test_argv();
    let argv_ref: Vec<&str> = argv.iter().map(String::as_str).collect();
    let mut env = instance.test_env();
    env.push(("PYTHONDONTWRITEBYTECODE".into(), "1".into()));
    let out = sandbox
        .exec_fresh(
            &argv_ref,
            AGENT_USER,
            &env,
            SEALED_DIR,
            instance.test_timeout(),
            TEST_OUTPUT_CAP,
        )
        .await?;
    Ok(Verification {
        command: instance.template.tests.command.clone(),
        exit_code: out.exit_code,
        passed: out.exit_code == Some(0) && !out.timed_out,
        timed_out: out.timed_out,
        output: String::from_utf8_lossy(&out.output).into_owned(),
        duration: started.elapsed(),
        started_at,
    })
}
