//! mini's agent loop: one bash command per turn until the model submits or a limit stops it.
//!
//! Written against [`synth_sdk::host::Host`], so it runs natively in the tests below against a
//! scripted host. It never repairs a model's output: malformed turns are answered with an
//! error the model reads, and the episode goes on.

use crate::config::{Config, system_prompt};
use serde::Deserialize;
use serde_json::json;
use synth_sdk::host::Host;
use synth_sdk::llm::Params;
use synth_sdk::log::Level;
use synth_sdk::sandbox::{ExecOptions, SandboxError};
use synth_sdk::schemars::{self, JsonSchema};
use synth_sdk::{ExitKind, FinishReason, Message, Outcome, RunError, Task, ToolCall, ToolSpec};

/// Output cap per command (head and tail kept by the host), like mini-swe-agent's 10 000 chars.
pub const MAX_OUTPUT_BYTES: u32 = 10_000;

/// Arguments of `bash`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BashArgs {
    /// The command line to run.
    pub command: String,
}

/// Arguments of `submit`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitArgs {
    /// Optional note on what you did.
    #[serde(default)]
    pub message: Option<String>,
}

pub fn tools() -> Vec<ToolSpec> {
    vec![
        ToolSpec::from_args::<BashArgs>(
            "bash",
            "Run one bash command in the persistent shell and see its exit code and output.",
        )
        .shell("command", json!({})),
        ToolSpec::from_args::<SubmitArgs>(
            "submit",
            "Finish: call this once the task is done. It ends your work.",
        )
        .finish(json!({})),
    ]
}

/// What one tool call led to.
enum Action {
    Submit(String),
    Observe(String),
}

pub fn run(host: &mut impl Host, task: &Task, config: &Config) -> Result<Outcome, RunError> {
    let tools = tools();
    let mode = config.tool_call_mode;
    let request_tools = mode.request_tools(&tools);
    let params = mode.params(Params {
        temperature: config.temperature,
        ..Params::default()
    });
    let options = ExecOptions {
        timeout_ms: Some(config.timeout_secs.saturating_mul(1000)),
        max_output_bytes: Some(MAX_OUTPUT_BYTES),
        ..ExecOptions::default()
    };
    let max_steps = config.max_steps(task);
    let mut history = vec![
        Message::system(mode.system_prompt(&system_prompt(config, task), &tools)),
        Message::user(&task.instruction),
    ];
    host.log(
        Level::Info,
        &format!("mini: {} (max {max_steps} steps)", task.instance_id),
    );

    let mut calls_so_far = 0;
    for _ in 0..max_steps {
        let completion = match host.complete(&history, &request_tools, &params) {
            Ok(completion) => completion,
            Err(e) => return e.into_outcome(),
        };
        let reply = mode.parse(&completion.message, &tools, calls_so_far + 1);
        history.push(mode.history_message(&completion.message));
        if let Some(error) = reply.format_error {
            history.push(Message::user(format!("Format error: {error}")));
            continue;
        }
        let Some((first, others)) = reply.calls.split_first() else {
            history.push(Message::user(no_tool_call(completion.finish_reason)));
            continue;
        };
        calls_so_far += reply.calls.len();
        match act(host, first, &options)? {
            Action::Submit(message) => return Ok(Outcome::submitted(message)),
            Action::Observe(text) => history.push(mode.result_message(first, text)),
        }
        for other in others {
            history.push(mode.result_message(other, ONE_CALL_PER_TURN));
        }
    }
    Ok(Outcome::new(
        ExitKind::StepLimit,
        format!("no submission within {max_steps} steps"),
    ))
}

const ONE_CALL_PER_TURN: &str =
    "Error: not executed. Only one tool call per turn is allowed; only the first one ran.";

fn no_tool_call(finish_reason: FinishReason) -> String {
    let cut = if finish_reason == FinishReason::Length {
        "Your reply was cut off at the output token limit. "
    } else {
        ""
    };
    format!(
        "{cut}Format error: your reply called no tool. Every reply must call exactly one tool: \
         `bash` to run a command, or `submit` when the task is done."
    )
}

/// Runs one tool call. Problems the model can fix come back as observations; only a broken
/// sandbox ends the run.
fn act(host: &mut impl Host, call: &ToolCall, options: &ExecOptions) -> Result<Action, RunError> {
    let observe = |text: String| Ok(Action::Observe(text));
    match call.name.as_str() {
        "bash" => {
            let command = match call.parse_args::<BashArgs>() {
                Ok(args) => args.command,
                Err(e) => return observe(format!("Error: {e}.")),
            };
            match host.exec(&command, options) {
                Ok(result) => observe(synth_sdk::observation(&result)),
                Err(SandboxError::Infrastructure(e)) => Err(RunError::Sandbox(e)),
                Err(e) => observe(format!(
                    "Error: the command could not run: {}.",
                    e.message()
                )),
            }
        }
        "submit" => match call.parse_args::<SubmitArgs>() {
            Ok(args) => Ok(Action::Submit(args.message.unwrap_or_default())),
            Err(e) => observe(format!("Error: {e}.")),
        },
        other => observe(format!(
            "Error: unknown tool `{other}`. The tools are `bash` and `submit`."
        )),
    }
}

#[cfg(test)]
#[path = "agent_tests.rs"]
mod tests;
