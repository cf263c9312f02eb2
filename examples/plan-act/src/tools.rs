//! The tools plan-act offers the model: their argument types (each the single source of its
//! JSON Schema and of its parsing), their specs and roles, and the sandbox side of `bash`,
//! `write_file` and `read_file`.
//!
//! It must never decide the course of the episode (planning, stopping: that is `agent`) and
//! never repair a model's arguments: a call that does not fit its schema is refused with a
//! sentence the model reads, and the episode goes on.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use synth_sdk::host::Host;
use synth_sdk::sandbox::{ExecOptions, SandboxError};
use synth_sdk::{RunError, ToolCall, ToolSpec};

/// Output cap of one command (the host keeps head and tail).
pub const MAX_OUTPUT_BYTES: u32 = 10_000;
/// How much of a file `read_file` shows.
pub const MAX_READ_BYTES: usize = 20_000;

/// Write the plan: the steps you will take, in order.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanArgs {
    /// The steps, in order: short imperative sentences (explore, change, check).
    pub steps: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BashArgs {
    /// The command line to run.
    pub command: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteFileArgs {
    /// The file's path, absolute or relative to the workspace.
    pub path: String,
    /// The whole new content of the file.
    pub content: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadFileArgs {
    /// The file's path, absolute or relative to the workspace.
    pub path: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePlanArgs {
    /// Numbers (1-based) of the plan steps now done; may be empty.
    pub done: Vec<i64>,
    /// Optional note to keep with the plan: what you learned or changed.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitArgs {
    /// Optional summary of what you did.
    #[serde(default)]
    pub summary: Option<String>,
}

/// A tool call whose arguments fit its tool.
#[derive(Debug)]
pub enum Call {
    Plan(PlanArgs),
    Bash(BashArgs),
    WriteFile(WriteFileArgs),
    ReadFile(ReadFileArgs),
    UpdatePlan(UpdatePlanArgs),
    Submit(SubmitArgs),
}

/// The tools, in the order the model sees them. `bash` is the first (and only) tool with
/// the shell role and `submit` the finish tool: the `oracle` and test models answer
/// through these roles without reading descriptions.
pub fn specs() -> Vec<ToolSpec> {
    vec![
        ToolSpec::from_args::<PlanArgs>(
            "plan",
            "Write your plan: the steps you will take, in order. Call it first, before acting. \
             Calling it again replaces the plan.",
        ),
        ToolSpec::from_args::<BashArgs>(
            "bash",
            "Run one bash command in the persistent shell (working directory and exported \
             variables carry over) and see its exit code and output. Non-interactive commands \
             only.",
        )
        .shell("command", json!({})),
        ToolSpec::from_args::<WriteFileArgs>(
            "write_file",
            "Create or replace a whole file (parent folders are created).",
        ),
        ToolSpec::from_args::<ReadFileArgs>(
            "read_file",
            "Read a text file (the first 20 000 bytes of a longer one).",
        ),
        ToolSpec::from_args::<UpdatePlanArgs>(
            "update_plan",
            "Mark plan steps done by number and optionally add a note.",
        ),
        ToolSpec::from_args::<SubmitArgs>(
            "submit",
            "Finish: call this once the task is done and checked. It ends your work.",
        )
        .finish(json!({})),
    ]
}

/// The names of the tools, for error messages.
pub fn names() -> String {
    specs()
        .iter()
        .map(|t| format!("`{}`", t.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads a call's arguments into its tool's type, or says (for the model) why they do not fit.
pub fn parse(call: &ToolCall) -> Result<Call, String> {
    let name = call.name.as_str();
    let refused = |e: synth_sdk::ArgError| format!("`{name}` was not run: {e}.");
    match name {
        "plan" => call.parse_args().map(Call::Plan).map_err(refused),
        "bash" => call.parse_args().map(Call::Bash).map_err(refused),
        "write_file" => call.parse_args().map(Call::WriteFile).map_err(refused),
        "read_file" => call.parse_args().map(Call::ReadFile).map_err(refused),
        "update_plan" => call.parse_args().map(Call::UpdatePlan).map_err(refused),
        "submit" => call.parse_args().map(Call::Submit).map_err(refused),
        other => Err(format!(
            "unknown tool `{other}`. The tools are {}.",
            names()
        )),
    }
}

/// Runs `command` in the sandbox. Problems the model can act on come back as the observation;
/// only a broken sandbox (`infrastructure`) ends the run.
pub fn bash(host: &mut impl Host, command: &str, timeout_secs: u32) -> Result<String, RunError> {
    let options = ExecOptions {
        timeout_ms: Some(timeout_secs.saturating_mul(1000)),
        max_output_bytes: Some(MAX_OUTPUT_BYTES),
        ..ExecOptions::default()
    };
    match host.exec(command, &options) {
        Ok(result) => Ok(synth_sdk::observation(&result)),
        Err(e) => sandbox_problem("the command could not run", e),
    }
}

/// Writes `content` to `path` through the host's file import (no shell quoting involved).
pub fn write_file(host: &mut impl Host, path: &str, content: &str) -> Result<String, RunError> {
    match host.write_file(path, content.as_bytes()) {
        Ok(()) => Ok(format!("Wrote {} bytes to {path}.", content.len())),
        Err(e) => sandbox_problem(&format!("{path} was not written"), e),
    }
}

/// Reads `path`, decoded as UTF-8 (invalid bytes replaced), cut at [`MAX_READ_BYTES`].
pub fn read_file(host: &mut impl Host, path: &str) -> Result<String, RunError> {
    let bytes = match host.read_file(path) {
        Ok(bytes) => bytes,
        Err(e) => return sandbox_problem(&format!("{path} could not be read"), e),
    };
    if bytes.is_empty() {
        return Ok(format!("{path} is empty."));
    }
    let shown = &bytes[..bytes.len().min(MAX_READ_BYTES)];
    let mut text = String::from_utf8_lossy(shown).into_owned();
    if bytes.len() > MAX_READ_BYTES {
        text.push_str(&format!(
            "\n<warning>{path} has {} bytes; only the first {MAX_READ_BYTES} are shown. Use \
             bash (sed -n, head, tail, grep) to see the rest.</warning>",
            bytes.len()
        ));
    }
    Ok(text)
}

fn sandbox_problem(what: &str, error: SandboxError) -> Result<String, RunError> {
    match error {
        SandboxError::Infrastructure(m) => Err(RunError::Sandbox(m)),
        other => Ok(format!("Error: {what}: {}.", other.message())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use synth_sdk::ToolRole;

    fn call(name: &str, arguments: &str) -> ToolCall {
        ToolCall {
            id: "c1".into(),
            name: name.into(),
            raw_arguments: arguments.into(),
            parsed: Ok(arguments.into()),
        }
    }

    #[test]
    fn roles_and_schemas() {
        let specs = specs();
        let names: Vec<&str> = specs.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "plan",
                "bash",
                "write_file",
                "read_file",
                "update_plan",
                "submit"
            ]
        );
        let shells: Vec<&str> = specs
            .iter()
            .filter(|t| matches!(&t.role, ToolRole::Shell(s) if s.command_argument == "command"))
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(shells, ["bash"]);
        assert!(matches!(&specs[5].role, ToolRole::Finish(f) if f.fixed_arguments == "{}"));
        let schema = |i: usize| serde_json::from_str::<Value>(&specs[i].parameters).unwrap();
        assert_eq!(schema(0)["properties"]["steps"]["type"], "array");
        assert_eq!(schema(1)["required"], json!(["command"]));
        assert_eq!(schema(2)["required"], json!(["path", "content"]));
        assert_eq!(schema(4)["required"], json!(["done"]));
        // The finish tool's fixed arguments are `{}`: nothing may be required.
        assert!(schema(5).get("required").is_none(), "{}", schema(5));
        assert_eq!(schema(5)["additionalProperties"], false);
    }

    #[test]
    fn parse_refuses_with_a_reason() {
        assert!(matches!(
            parse(&call("bash", r#"{"command":"ls"}"#)),
            Ok(Call::Bash(BashArgs { command })) if command == "ls"
        ));
        assert!(matches!(
            parse(&call("submit", "{}")),
            Ok(Call::Submit(SubmitArgs { summary: None }))
        ));
        let e = parse(&call("bash", r#"{"cmd":"ls"}"#)).unwrap_err();
        assert_eq!(
            e,
            "`bash` was not run: missing required argument(s): command."
        );
        let e = parse(&call("update_plan", r#"{"done":"1"}"#)).unwrap_err();
        assert!(e.contains("argument `done`"), "{e}");
        let e = parse(&call("python", "{}")).unwrap_err();
        assert!(
            e.starts_with("unknown tool `python`. The tools are `plan`, `bash`"),
            "{e}"
        );
    }
}
