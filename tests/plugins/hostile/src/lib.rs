//! hostile: a test scaffold that misbehaves on purpose, so the tests can check that each
//! misbehaviour costs only its own episode and is recorded with a reason.
//!
//! The task's parameter `behaviour` picks what it does (tests/templates/hostile/plugin-faults
//! expands one instance per value): `honest` does the task's one-line job through the
//! sandbox and submits; `slow-host` waits on many slow commands (not CPU time); the others
//! spin, grow memory, trap, panic, recurse, flood the logs
//! or stderr, probe for host capabilities, dump what they can see into a model call, call
//! the model forever or with a huge message. See `faults` and `probes`.
//!
//! Not expressible from a Rust guest, so not here: growth spread over several linear
//! memories or `table.grow` (Rust emits one memory and a fixed function table); the host's
//! caps on those are tested with hand-written modules in host/src/plugin/limits.rs.
//!
//! This plugin must never be used outside the tests.

mod faults;
mod probes;

use serde_json::json;
use synth_sdk::sandbox::{self, ExecOptions};
use synth_sdk::{Outcome, PluginInfo, RunError, Scaffold, Task, ToolSpec};

/// The file the template's sealed test checks, and what it must hold.
const DONE_FILE: &str = "/workspace/done.txt";
const DONE_TEXT: &str = "ok";

pub struct Hostile;

/// The tools it offers the model: a shell tool (the `oracle` answers through it) and a
/// finish tool. The hostile behaviours mostly ignore the answers.
pub(crate) fn tools() -> Vec<ToolSpec> {
    vec![
        ToolSpec::new(
            "bash",
            "Run one bash command in the sandbox.",
            json!({"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}),
        )
        .shell("command", json!(null)),
        ToolSpec::new("submit", "Finish the task.", json!({"type": "object"})).finish(json!(null)),
    ]
}

/// Does the task's job (write `ok` to the done file) through the sandbox and submits.
pub(crate) fn honest(why: &str) -> Result<Outcome, RunError> {
    let command = format!("printf {DONE_TEXT} > {DONE_FILE}");
    let result = sandbox::exec(&command, &ExecOptions::default())
        .map_err(|e| RunError::Sandbox(e.message()))?;
    if result.exit_code != Some(0) {
        return Err(RunError::Sandbox(format!(
            "`{command}` exited with {:?}: {}",
            result.exit_code,
            String::from_utf8_lossy(&result.output)
        )));
    }
    Ok(Outcome::submitted(format!("{why}; wrote {DONE_FILE}")))
}

impl Scaffold for Hostile {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "hostile".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test scaffold that misbehaves as the task's `behaviour` parameter says."
                .into(),
            tools: tools(),
            config_schema: json!({"type": "object"}).to_string(),
        }
    }

    fn run(task: Task, config: String) -> Result<Outcome, RunError> {
        let params = task.parameters_json()?;
        let behaviour = params
            .get("behaviour")
            .and_then(|v| v.as_str())
            .unwrap_or("honest")
            .to_string();
        synth_sdk::info!("hostile behaviour: {behaviour}");
        match behaviour.as_str() {
            "honest" => honest("honest"),
            "loop" => faults::spin(),
            "slow-host" => faults::slow_host(),
            "memory" => faults::hoard_memory(),
            "trap-unreachable" => faults::trap_unreachable(),
            "trap-oob" => faults::trap_out_of_bounds(),
            "panic" => faults::panic_with_message(),
            "recursion" => faults::recurse(false),
            "recursion-host" => faults::recurse(true),
            "log-flood" => faults::log_flood(),
            "log-giant" => faults::log_giant(),
            "stderr-flood" => faults::stderr_flood(false),
            "stderr-flood-panic" => faults::stderr_flood(true),
            "escape" => probes::escape(&params),
            "dump" => probes::dump(&task, &config),
            "never-finish" => probes::never_finish(&task),
            "huge-message" => probes::huge_message(),
            other => Err(RunError::InvalidConfig(format!(
                "unknown behaviour `{other}`"
            ))),
        }
    }
}

synth_sdk::export_scaffold!(Hostile);
