//! The four CodeAct tools: their argument types (the single source of their JSON Schemas),
//! their specs with roles, the dispatch of a call to its implementation, and the wording of
//! argument errors as OpenHands' `function_calling.py` phrases them.
//!
//! It must never run a call whose arguments do not fit the tool: such a call is answered
//! with an error the model reads (`...\n[Error occurred in processing last action]`), and
//! the episode goes on. It never repairs arguments.

use crate::bash::Bash;
use crate::config::Config;
use crate::editor::Editor;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};
use std::borrow::Cow;
use synth_sdk::host::Host;
use synth_sdk::{ArgError, RunError, Task, ToolCall, ToolSpec};

pub const BASH: &str = "execute_bash";
pub const EDITOR: &str = "str_replace_editor";
pub const THINK: &str = "think";
pub const FINISH: &str = "finish";

/// Appended to the text of an error observation, as OpenHands shows them to the model.
pub const ERROR_SUFFIX: &str = "\n[Error occurred in processing last action]";

/// How risky an action is, as the model judges it (OpenHands' `security_risk`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum SecurityRisk {
    Low,
    Medium,
    High,
}

/// `is_input`: the strings `"true"` / `"false"` of the schema; JSON booleans are read the
/// same way, as OpenHands compares the value's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IsInput(pub bool);

impl<'de> Deserialize<'de> for IsInput {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<IsInput, D::Error> {
        match Value::deserialize(d)? {
            Value::Bool(b) => Ok(IsInput(b)),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(IsInput(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(IsInput(false)),
            other => Err(serde::de::Error::custom(format!(
                "expected \"true\" or \"false\", got {other}"
            ))),
        }
    }
}

impl JsonSchema for IsInput {
    fn schema_name() -> Cow<'static, str> {
        "IsInput".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "enum": ["true", "false"]})
    }

    fn inline_schema() -> bool {
        true
    }
}

// Arguments of `execute_bash`. (Field docs are the schema's descriptions: one line each.)
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BashArgs {
    /// The bash command to run. Empty: show more output of the command still running. With `is_input` "true": text to type into the running command, or a key: C-c, C-d, C-z.
    pub command: String,
    /// "true" to send `command` to the running process as input instead of running it. Default: "false".
    #[serde(default)]
    pub is_input: Option<IsInput>,
    /// Optional hard timeout in seconds: the command is interrupted after this long. Without it, the call returns when the command prints nothing new for a while and the command keeps running.
    #[serde(default)]
    pub timeout: Option<f64>,
    /// How risky the command is: LOW (reads, builds, tests), MEDIUM (changes the project), HIGH (could damage the system or leak data).
    #[serde(default)]
    pub security_risk: Option<SecurityRisk>,
}

/// The editor's commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EditorCommand {
    View,
    Create,
    StrReplace,
    Insert,
    UndoEdit,
}

// Arguments of `str_replace_editor`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EditorArgs {
    /// The command: view, create, str_replace, insert or undo_edit.
    pub command: EditorCommand,
    /// Absolute path of the file or directory, e.g. /workspace/file.py or /workspace.
    pub path: String,
    /// For `create`: the content of the new file.
    #[serde(default)]
    pub file_text: Option<String>,
    /// For `str_replace`: the exact text to replace; it must occur exactly once.
    #[serde(default)]
    pub old_str: Option<String>,
    /// For `str_replace`: the replacement (empty when absent). For `insert`: the text to insert.
    #[serde(default)]
    pub new_str: Option<String>,
    /// For `insert`: `new_str` goes AFTER this line (0 inserts at the top).
    #[serde(default)]
    pub insert_line: Option<i64>,
    /// For `view` of a file: [start, end] line numbers, 1-based and inclusive; [start, -1] shows from start to the end of the file.
    #[serde(default)]
    pub view_range: Option<Vec<i64>>,
    /// How risky the edit is: LOW, MEDIUM or HIGH.
    #[serde(default)]
    pub security_risk: Option<SecurityRisk>,
}

// Arguments of `think`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThinkArgs {
    /// The thought to log.
    pub thought: String,
}

// Arguments of `finish`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishArgs {
    /// A short summary of what was done and how it was checked.
    pub message: String,
}

const BASH_DESCRIPTION: &str = "\
Run a bash command in a persistent shell (the working directory and exported variables carry \
over between calls).
* Long-running commands: when a command prints nothing new for a while, the call returns with \
exit code -1 and the command keeps running. Then send an empty `command` to see more output, \
send input with `is_input` set to \"true\", or interrupt it with `command` \"C-c\" and \
`is_input` \"true\". No new command runs until the previous one has finished.
* Set `timeout` (seconds) for a command that needs longer and must finish in one call.
* Run servers and other endless processes in the background: `python3 app.py > app.log 2>&1 &`.
* Output longer than 30000 characters is cut in the middle.
* Chain commands with && or ; rather than sending several at once.";

const EDITOR_DESCRIPTION: &str = "\
View, create and edit files without the shell.
* `view` shows a file with line numbers (`cat -n` style), or lists a directory two levels deep \
(hidden items left out).
* `create` writes a new file; it refuses a path that already exists.
* `str_replace` replaces `old_str` with `new_str`. `old_str` must match EXACTLY ONE place in \
the file, whitespace included: include enough surrounding lines to make it unique.
* `insert` puts `new_str` after line `insert_line`.
* `undo_edit` reverts the last edit made to the file with this tool.
Paths must be absolute. Long output is clipped; use `grep -n` through execute_bash to find \
line numbers, then `view_range`.";

const THINK_DESCRIPTION: &str = "\
Write down a thought: a plan, a hypothesis about a bug, or a comparison of approaches. It \
changes nothing in the sandbox and fetches no information; it only records your reasoning.";

const FINISH_DESCRIPTION: &str = "\
Signal that the work is done. Call it once the task is complete and checked, or when you \
cannot make further progress. Give a short summary of what you did in `message`.";

/// The fixed arguments the oracle model adds to an `execute_bash` call: a blocking call with
/// a generous hard timeout, so it never meets the no-change timeout.
pub fn shell_fixed_arguments() -> Value {
    json!({"security_risk": "LOW", "timeout": 1800})
}

/// The tools, in the order they are offered.
pub fn specs() -> Vec<ToolSpec> {
    vec![
        risky(ToolSpec::from_args::<BashArgs>(BASH, BASH_DESCRIPTION))
            .shell("command", shell_fixed_arguments()),
        ToolSpec::from_args::<ThinkArgs>(THINK, THINK_DESCRIPTION),
        ToolSpec::from_args::<FinishArgs>(FINISH, FINISH_DESCRIPTION)
            .finish(json!({"message": "The task is complete."})),
        risky(ToolSpec::from_args::<EditorArgs>(
            EDITOR,
            EDITOR_DESCRIPTION,
        )),
    ]
}

/// Marks `security_risk` required in the schema the model sees, as in the original. The
/// argument type leaves it optional: OpenHands ignores a missing `security_risk` rather
/// than refusing the call, and so does this scaffold.
fn risky(mut spec: ToolSpec) -> ToolSpec {
    if let Ok(mut schema) = serde_json::from_str::<Value>(&spec.parameters) {
        if let Some(required) = schema.get_mut("required").and_then(Value::as_array_mut) {
            required.push(json!("security_risk"));
        } else {
            schema["required"] = json!(["security_risk"]);
        }
        spec.parameters = schema.to_string();
    }
    spec
}

/// What one call led to.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Text the model reads as the call's result.
    Observe(String),
    /// The agent finished with this message.
    Finish(String),
}

/// The tools' state across calls (the editor's undo history) and their dispatch.
pub struct Toolbox {
    bash: Bash,
    editor: Editor,
}

impl Toolbox {
    pub fn new(config: &Config, task: &Task) -> Toolbox {
        Toolbox {
            bash: Bash::new(config.no_change_timeout_secs),
            editor: Editor::new(&task.workspace),
        }
    }

    /// Runs `call`. Only a broken sandbox ends the run (`Err`); everything the model can fix
    /// comes back as an observation.
    pub fn run(&mut self, host: &mut impl Host, call: &ToolCall) -> Result<Action, RunError> {
        let observe = |text: String| Ok(Action::Observe(text));
        match call.name.as_str() {
            BASH => match call.parse_args::<BashArgs>() {
                Ok(args) => {
                    if let Some(t) = args.timeout.filter(|t| !(t.is_finite() && *t > 0.0)) {
                        return observe(format!(
                            "Invalid float passed to 'timeout' argument: {t}{ERROR_SUFFIX}"
                        ));
                    }
                    self.bash.execute(host, &args).map(Action::Observe)
                }
                Err(e) => observe(arg_error(call, &e)),
            },
            EDITOR => match call.parse_args::<EditorArgs>() {
                Ok(args) => self.editor.execute(host, &args).map(Action::Observe),
                Err(ArgError::Invalid { name, .. }) if name == "command" => {
                    let given = call
                        .arguments()
                        .ok()
                        .and_then(|a| a.get("command").cloned())
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                        .unwrap_or_default();
                    observe(format!(
                        "ERROR:\nUnrecognized command {given}. The allowed commands for the \
                         {EDITOR} tool are: view, create, str_replace, insert, undo_edit"
                    ))
                }
                Err(e) => observe(arg_error(call, &e)),
            },
            THINK => match call.parse_args::<ThinkArgs>() {
                Ok(_) => observe("Your thought has been logged.".into()),
                Err(e) => observe(arg_error(call, &e)),
            },
            FINISH => match call.parse_args::<FinishArgs>() {
                Ok(args) => Ok(Action::Finish(args.message)),
                Err(e) => observe(arg_error(call, &e)),
            },
            other => observe(format!(
                "Tool {other} is not registered. (arguments: {}). Please check the tool name and \
                 retry with an existing tool.{ERROR_SUFFIX}",
                call.raw_arguments
            )),
        }
    }
}

/// An argument error in OpenHands' words, with the error-observation suffix.
pub fn arg_error(call: &ToolCall, error: &ArgError) -> String {
    let tool = &call.name;
    let text = match error {
        ArgError::NotAnObject(_) => {
            format!(
                "Failed to parse tool call arguments: {}",
                call.raw_arguments
            )
        }
        ArgError::Missing(names) => format!(
            "Missing required argument \"{}\" in tool call {tool}",
            names.first().map_or("", String::as_str)
        ),
        ArgError::Unexpected { names, allowed } => {
            let allowed: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
            format!(
                "Unexpected argument {} in tool call {tool}. Allowed arguments are: {{{}}}",
                names.first().map_or("", String::as_str),
                allowed.join(", ")
            )
        }
        ArgError::Invalid { name, message } if name == "timeout" => {
            let given = call
                .arguments()
                .ok()
                .and_then(|a| a.get("timeout").cloned())
                .unwrap_or(Value::Null);
            let _ = message;
            format!("Invalid float passed to 'timeout' argument: {given}")
        }
        ArgError::Invalid { name, message } => {
            format!("Invalid value for argument \"{name}\" in tool call {tool}: {message}")
        }
    };
    format!("{text}{ERROR_SUFFIX}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use synth_sdk::ToolRole;

    fn call(name: &str, args: &str) -> ToolCall {
        ToolCall {
            id: "c1".into(),
            name: name.into(),
            raw_arguments: args.into(),
            parsed: serde_json::from_str::<Value>(args)
                .map(|_| args.to_string())
                .map_err(|e| e.to_string()),
        }
    }

    fn schema(spec: &ToolSpec) -> Value {
        serde_json::from_str(&spec.parameters).unwrap()
    }

    #[test]
    fn schemas_match_the_original() {
        let specs = specs();
        let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, [BASH, THINK, FINISH, EDITOR]);
        let bash = schema(&specs[0]);
        assert_eq!(bash["required"], json!(["command", "security_risk"]));
        assert_eq!(
            bash["properties"]["is_input"]["enum"],
            json!(["true", "false"])
        );
        assert_eq!(bash["properties"]["is_input"]["type"], "string");
        assert_eq!(bash["properties"]["timeout"]["type"], "number");
        assert_eq!(
            bash["properties"]["security_risk"]["enum"],
            json!(["LOW", "MEDIUM", "HIGH"])
        );
        let editor = schema(&specs[3]);
        assert_eq!(
            editor["required"],
            json!(["command", "path", "security_risk"])
        );
        assert_eq!(
            editor["properties"]["command"]["enum"],
            json!(["view", "create", "str_replace", "insert", "undo_edit"])
        );
        assert_eq!(
            editor["properties"]["view_range"]["items"]["type"],
            "integer"
        );
        assert_eq!(editor["properties"]["insert_line"]["type"], "integer");
        for spec in &specs {
            let s = schema(spec);
            assert!(s.get("description").is_none(), "{}", spec.name);
            for (name, prop) in s["properties"].as_object().unwrap() {
                let text = prop["description"].as_str().unwrap();
                assert!(!text.contains('\n'), "{}.{name}", spec.name);
            }
        }
        assert_eq!(schema(&specs[1])["required"], json!(["thought"]));
        assert_eq!(schema(&specs[2])["required"], json!(["message"]));
    }

    #[test]
    fn roles() {
        let specs = specs();
        match &specs[0].role {
            ToolRole::Shell(s) => {
                assert_eq!(s.command_argument, "command");
                let fixed: Value = serde_json::from_str(&s.fixed_arguments).unwrap();
                assert_eq!(fixed, json!({"security_risk": "LOW", "timeout": 1800}));
            }
            other => panic!("{other:?}"),
        }
        match &specs[2].role {
            ToolRole::Finish(f) => {
                let fixed: Value = serde_json::from_str(&f.fixed_arguments).unwrap();
                assert!(fixed["message"].is_string());
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(specs[1].role, ToolRole::Other));
        assert!(matches!(specs[3].role, ToolRole::Other));
    }

    #[test]
    fn is_input_reads_strings_and_booleans() {
        let args: BashArgs = call(BASH, r#"{"command":"y","is_input":"true"}"#)
            .parse_args()
            .unwrap();
        assert_eq!(args.is_input, Some(IsInput(true)));
        let args: BashArgs = call(BASH, r#"{"command":"y","is_input":false}"#)
            .parse_args()
            .unwrap();
        assert_eq!(args.is_input, Some(IsInput(false)));
        assert!(
            call(BASH, r#"{"command":"y","is_input":"maybe"}"#)
                .parse_args::<BashArgs>()
                .is_err()
        );
        let args: BashArgs = call(BASH, r#"{"command":"ls"}"#).parse_args().unwrap();
        assert_eq!(args.security_risk, None);
    }

    #[test]
    fn argument_errors_in_the_originals_words() {
        let e = |name: &str, args: &str, want: &str| {
            let c = call(name, args);
            let text = match name {
                BASH => arg_error(&c, &c.parse_args::<BashArgs>().unwrap_err()),
                _ => arg_error(&c, &c.parse_args::<EditorArgs>().unwrap_err()),
            };
            assert_eq!(text, format!("{want}{ERROR_SUFFIX}"));
        };
        e(
            BASH,
            r#"{"is_input":"true"}"#,
            "Missing required argument \"command\" in tool call execute_bash",
        );
        e(
            EDITOR,
            r#"{"command":"view","path":"/a","bogus":1}"#,
            "Unexpected argument bogus in tool call str_replace_editor. Allowed arguments are: \
             {'command', 'file_text', 'insert_line', 'new_str', 'old_str', 'path', 'security_risk', \
             'view_range'}",
        );
        e(
            BASH,
            r#"{"command":"ls","timeout":"soon"}"#,
            "Invalid float passed to 'timeout' argument: \"soon\"",
        );
        e(
            BASH,
            "{not json",
            "Failed to parse tool call arguments: {not json",
        );
    }
}
