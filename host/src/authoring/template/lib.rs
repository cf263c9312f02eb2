//! {{name}}: a synth scaffold. `describe` says what it is; `run` drives one episode.
//!
//! Created by `synth plugin new`. Build it with
//! `cargo build --target wasm32-wasip2 --release` and run it with
//! `synth run --scaffold target/wasm32-wasip2/release/{{lib_name}}.wasm --model oracle`.
//! The loop is written against `synth_sdk::host::Host`, so the tests below run it natively
//! (`cargo test`) against a scripted fake host.

use serde::Deserialize;
use serde_json::json;
use synth_sdk::host::{Host, Imports};
use synth_sdk::llm::Params;
use synth_sdk::sandbox::{ExecOptions, SandboxError};
use synth_sdk::schemars::JsonSchema;
use synth_sdk::{
    CallMode, ExitKind, Message, Outcome, PluginInfo, RunError, Scaffold, Task, ToolCall, ToolSpec,
};

/// The configuration `run` accepts (`synth run --scaffold-config '{...}'`).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(crate = "synth_sdk::schemars")]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Model calls before giving up. Default: the task's step limit.
    #[serde(default)]
    pub max_steps: Option<u32>,
    /// `native` function calling (default) or the `text` format for models without it.
    #[serde(default)]
    pub tool_call_mode: CallMode,
}

/// Arguments of the `bash` tool.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "synth_sdk::schemars")]
#[serde(deny_unknown_fields)]
pub struct BashArgs {
    /// The command line to run in the persistent shell.
    pub command: String,
}

/// Arguments of the `submit` tool.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "synth_sdk::schemars")]
#[serde(deny_unknown_fields)]
pub struct SubmitArgs {
    /// What you did, in a sentence.
    #[serde(default)]
    pub message: Option<String>,
}

pub fn tools() -> Vec<ToolSpec> {
    vec![
        ToolSpec::from_args::<BashArgs>("bash", "Run one bash command and see its output.")
            .shell("command", json!({})),
        ToolSpec::from_args::<SubmitArgs>("submit", "Finish: call this when the task is done.")
            .finish(json!({})),
    ]
}

const SYSTEM_PROMPT: &str = "You are a software engineer working in a Linux sandbox. \
Use the `bash` tool to explore and change the files, check your work, then call `submit`.";

pub struct Agent;

impl Scaffold for Agent {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "{{name}}".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "A bash-and-submit agent created by `synth plugin new`.".into(),
            tools: tools(),
            config_schema: synth_sdk::schema_of::<Config>().to_string(),
        }
    }

    fn run(task: Task, config: String) -> Result<Outcome, RunError> {
        let config: Config = synth_sdk::parse_config(&config)?;
        run_loop(&mut Imports, &task, &config)
    }
}

synth_sdk::export_scaffold!(Agent);

/// The agent loop: ask the model, run what it called, show it the result, repeat.
pub fn run_loop(host: &mut impl Host, task: &Task, config: &Config) -> Result<Outcome, RunError> {
    let tools = tools();
    let mode = config.tool_call_mode;
    let params = mode.params(Params::agent());
    let mut history = vec![
        Message::system(mode.system_prompt(SYSTEM_PROMPT, &tools)),
        Message::user(&task.instruction),
    ];
    let max_steps = config.max_steps.unwrap_or(task.max_steps);
    let mut calls_so_far = 0;
    for _ in 0..max_steps {
        let completion = match host.complete(&history, &mode.request_tools(&tools), &params) {
            Ok(c) => c,
            // Budget and context errors end the episode; others fail the run.
            Err(e) => return e.into_outcome(),
        };
        let reply = mode.parse(&completion.message, &tools, calls_so_far + 1);
        history.push(mode.history_message(&completion.message));
        if let Some(error) = reply.format_error {
            history.push(Message::user(format!("Format error: {error}")));
            continue;
        }
        if reply.calls.is_empty() {
            history.push(Message::user(
                "Call a tool: `bash` to run a command, `submit` when done.",
            ));
            continue;
        }
        for call in &reply.calls {
            calls_so_far += 1;
            if call.name == "submit" {
                let message = call.parse_args::<SubmitArgs>().ok().and_then(|a| a.message);
                return Ok(Outcome::submitted(message.unwrap_or_default()));
            }
            let result = act(host, call)?;
            history.push(mode.result_message(call, result));
        }
    }
    Ok(Outcome::new(
        ExitKind::StepLimit,
        format!("no submission within {max_steps} steps"),
    ))
}

/// Runs one call; what the model can fix comes back as text, a broken sandbox ends the run.
fn act(host: &mut impl Host, call: &ToolCall) -> Result<String, RunError> {
    if call.name != "bash" {
        return Ok(format!(
            "Error: unknown tool `{}`; use `bash` or `submit`.",
            call.name
        ));
    }
    let args = match call.parse_args::<BashArgs>() {
        Ok(args) => args,
        Err(e) => return Ok(format!("Error: {e}.")),
    };
    match host.exec(&args.command, &ExecOptions::default()) {
        Ok(result) => Ok(synth_sdk::observation(&result)),
        Err(SandboxError::Infrastructure(e)) => Err(RunError::Sandbox(e)),
        Err(e) => Ok(format!("Error: {}.", e.message())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use synth_sdk::testing::{FakeHost, exec_result};

    fn task() -> Task {
        synth_sdk::testing::task("Create hello.txt.", 5)
    }

    #[test]
    fn runs_a_command_then_submits() {
        let mut host = FakeHost::new();
        host.reply_call("bash", json!({"command": "echo hi > hello.txt"}))
            .result(exec_result(0, ""))
            .reply_call("submit", json!({"message": "done"}));
        let outcome = run_loop(&mut host, &task(), &Config::default()).unwrap();
        assert_eq!(outcome.exit, ExitKind::Submitted);
        assert_eq!(host.commands, vec!["echo hi > hello.txt"]);
        assert_eq!(host.requests.len(), 2);
    }

    #[test]
    fn bad_arguments_are_shown_to_the_model() {
        let mut host = FakeHost::new();
        host.reply_call("bash", json!({"cmd": "ls"}))
            .reply_call("submit", json!({}));
        run_loop(&mut host, &task(), &Config::default()).unwrap();
        let shown = host.requests[1].messages.last().unwrap().text();
        assert!(
            shown.contains("missing required argument(s): command"),
            "{shown}"
        );
    }
}
