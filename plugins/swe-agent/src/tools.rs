//! The ACI's tools: their argument types (the single source of each JSON Schema), their
//! specs and roles, reading a model's call into an [`Action`] (with SWE-agent's exception
//! messages for bad calls), and running an action against the sandbox.
//!
//! It must never repair a call: an unknown tool or a wrong argument is reported to the model
//! as a format issue. Line numbers may come as JSON integers or as strings of digits, which
//! the original accepted too (it pasted them into a command line).

use crate::edit;
use crate::prompt::{self, FormatIssue};
use crate::search::Runner;
use crate::shell::resolve;
use crate::viewer::{Viewer, other_error};
use schemars::JsonSchema;
use serde::de::{Deserializer, Error as _};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Value, json};
use synth_sdk::host::Host;
use synth_sdk::sandbox::ExecOptions;
use synth_sdk::{ArgError, RunError, ToolCall, ToolSpec};

/// Output cap of one `bash` command in bytes (head and tail kept by the host); the
/// observation is then clipped to 100 000 characters as in the original.
pub const BASH_OUTPUT_BYTES: u32 = 200_000;

// Arguments of `bash`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BashArgs {
    /// The bash command line to run.
    pub command: String,
}

// Arguments of `open`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenArgs {
    /// Path of the file to open, absolute or relative to the repository.
    pub path: String,
    /// Line to show near the top of the window (default: the start of the file).
    #[serde(default, deserialize_with = "optional_integer")]
    #[schemars(with = "Option<i64>")]
    pub line_number: Option<i64>,
}

// Arguments of `goto`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GotoArgs {
    /// Line of the open file to move the window to.
    #[serde(deserialize_with = "integer")]
    #[schemars(with = "i64")]
    pub line_number: i64,
}

// No arguments (`scroll_up`, `scroll_down`, `submit`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

// Arguments of `create`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArgs {
    /// Path of the new file.
    pub filename: String,
}

// Arguments of `edit`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EditArgs {
    /// First line to replace (1-based).
    #[serde(deserialize_with = "integer")]
    #[schemars(with = "i64")]
    pub start_line: i64,
    /// Last line to replace (inclusive).
    #[serde(deserialize_with = "integer")]
    #[schemars(with = "i64")]
    pub end_line: i64,
    /// The new lines, indentation included, that take the range's place.
    pub replacement_text: String,
}

// Arguments of `search_file`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchFileArgs {
    /// Text (a grep pattern) to look for.
    pub search_term: String,
    /// File to search (default: the open file).
    #[serde(default)]
    pub file: Option<String>,
}

// Arguments of `search_dir`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchDirArgs {
    /// Text (a grep pattern) to look for.
    pub search_term: String,
    /// Directory to search (default: the repository).
    #[serde(default)]
    pub dir: Option<String>,
}

// Arguments of `find_file`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindFileArgs {
    /// File name or shell pattern (for example `*.py`).
    pub file_name: String,
    /// Directory to search (default: the repository).
    #[serde(default)]
    pub dir: Option<String>,
}

fn integer<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match Value::deserialize(d)? {
        Value::Number(n) if n.is_i64() => Ok(n.as_i64().unwrap_or_default()),
        Value::String(s) if s.trim().parse::<i64>().is_ok() => {
            Ok(s.trim().parse().unwrap_or_default())
        }
        other => Err(D::Error::custom(format!(
            "expected an integer, got {other}"
        ))),
    }
}

fn optional_integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        other => integer(other).map(Some).map_err(D::Error::custom),
    }
}

/// A tool whose parameters are `T`'s schema, without the struct-level description and with
/// an explicit (possibly empty) `properties` object, which some providers require.
fn spec<T: JsonSchema>(name: &str, description: &str) -> ToolSpec {
    let mut tool = ToolSpec::from_args::<T>(name, description);
    if let Ok(Value::Object(mut schema)) = serde_json::from_str::<Value>(&tool.parameters) {
        schema.remove("description");
        schema.entry("properties").or_insert_with(|| json!({}));
        tool.parameters = Value::Object(schema).to_string();
    }
    tool
}

/// The tools, in the order the model sees them. `window` fills in the scroll descriptions.
pub fn specs(window: u32) -> Vec<ToolSpec> {
    vec![
        spec::<BashArgs>(
            "bash",
            "Runs a command in the persistent bash shell and shows its output.",
        )
        .shell("command", json!({})),
        spec::<OpenArgs>(
            "open",
            "Opens a file in the viewer. With line_number, the window moves so that it shows that line.",
        ),
        spec::<GotoArgs>(
            "goto",
            "Moves the viewer's window so that it shows line_number of the open file.",
        ),
        spec::<NoArgs>(
            "scroll_up",
            &format!("Moves the viewer's window up {window} lines."),
        ),
        spec::<NoArgs>(
            "scroll_down",
            &format!("Moves the viewer's window down {window} lines."),
        ),
        spec::<CreateArgs>("create", "Creates a new, empty file and opens it."),
        spec::<EditArgs>(
            "edit",
            "Replaces lines start_line through end_line (inclusive) of the open file with replacement_text. Every line of the text is written exactly as given, so indent it properly: to add `        print(x)` you must write all of its leading spaces.",
        ),
        spec::<SearchFileArgs>(
            "search_file",
            "Searches for search_term in a file (the open file by default) and lists the matching lines.",
        ),
        spec::<SearchDirArgs>(
            "search_dir",
            "Searches for search_term in all files under a directory (the repository by default) and lists the files with matches.",
        ),
        spec::<FindFileArgs>(
            "find_file",
            "Finds files whose name matches file_name (shell wildcards allowed) under a directory (the repository by default).",
        ),
        spec::<NoArgs>(
            "submit",
            "Submits your changes to the repository. This ends your work.",
        )
        .finish(json!({})),
    ]
}

/// A call read into what it asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Bash(String),
    Open(String, Option<i64>),
    Goto(i64),
    Scroll { down: bool },
    Create(String),
    Edit { start: i64, end: i64, text: String },
    SearchFile(String, Option<String>),
    SearchDir(String, Option<String>),
    FindFile(String, Option<String>),
    Submit,
}

/// Reads `call`, or says what is wrong with it in the original's words.
pub fn parse_call(call: &ToolCall) -> Result<Action, FormatIssue> {
    fn args<T: DeserializeOwned + JsonSchema>(call: &ToolCall) -> Result<T, FormatIssue> {
        call.parse_args::<T>().map_err(|e| match e {
            ArgError::NotAnObject(_) => {
                FormatIssue::Other("Tool call arguments are not valid JSON.".into())
            }
            ArgError::Missing(names) => FormatIssue::Other(format!(
                "Required argument(s) missing: {}",
                names.join(", ")
            )),
            ArgError::Unexpected { names, .. } => {
                FormatIssue::UnexpectedArg(format!("Unexpected argument(s): {}", names.join(", ")))
            }
            ArgError::Invalid { name, message } => {
                FormatIssue::Other(format!("Invalid value for argument '{name}': {message}"))
            }
        })
    }
    Ok(match call.name.as_str() {
        "bash" => Action::Bash(args::<BashArgs>(call)?.command),
        "open" => {
            let a: OpenArgs = args(call)?;
            Action::Open(a.path, a.line_number)
        }
        "goto" => Action::Goto(args::<GotoArgs>(call)?.line_number),
        "scroll_up" | "scroll_down" => {
            args::<NoArgs>(call)?;
            Action::Scroll {
                down: call.name == "scroll_down",
            }
        }
        "create" => Action::Create(args::<CreateArgs>(call)?.filename),
        "edit" => {
            let a: EditArgs = args(call)?;
            Action::Edit {
                start: a.start_line,
                end: a.end_line,
                text: a.replacement_text,
            }
        }
        "search_file" => {
            let a: SearchFileArgs = args(call)?;
            Action::SearchFile(a.search_term, a.file)
        }
        "search_dir" => {
            let a: SearchDirArgs = args(call)?;
            Action::SearchDir(a.search_term, a.dir)
        }
        "find_file" => {
            let a: FindFileArgs = args(call)?;
            Action::FindFile(a.file_name, a.dir)
        }
        "submit" => {
            args::<NoArgs>(call)?;
            Action::Submit
        }
        other => {
            return Err(FormatIssue::Other(format!(
                "Command '{other}' not found in list of available commands."
            )));
        }
    })
}

/// The episode's tool state: the workspace, the viewer and the command timeout.
pub struct Session {
    pub workspace: String,
    pub viewer: Viewer,
    pub timeout_secs: u32,
}

impl Session {
    /// Runs `action` (never `Submit`, which the loop handles) and returns the observation.
    /// Only a broken sandbox is an error.
    pub fn execute(&mut self, host: &mut impl Host, action: Action) -> Result<String, RunError> {
        let ws = self.workspace.clone();
        let timeout_ms = self.timeout_secs.saturating_mul(1000);
        let search = Runner {
            timeout_secs: self.timeout_secs,
        };
        match action {
            Action::Bash(command) => self.bash(host, &command),
            Action::Open(path, line) => self.viewer.open(host, &resolve(&ws, &path), line),
            Action::Goto(line) => self.viewer.goto(host, line),
            Action::Scroll { down } => self.viewer.scroll(host, down),
            Action::Create(path) => self.viewer.create(host, &resolve(&ws, &path)),
            Action::Edit { start, end, text } => {
                edit::edit(host, &mut self.viewer, start, end, &text, timeout_ms)
            }
            Action::SearchFile(term, file) => {
                let abs = file.as_deref().map(|f| resolve(&ws, f));
                let file = abs.as_deref().zip(file.as_deref());
                search.search_file(host, &term, file, self.viewer.file())
            }
            Action::SearchDir(term, dir) => {
                let abs = resolve(&ws, dir.as_deref().unwrap_or("."));
                search.search_dir(host, &term, &abs, dir.as_deref())
            }
            Action::FindFile(name, dir) => {
                let abs = resolve(&ws, dir.as_deref().unwrap_or("."));
                search.find_file(host, &name, &abs, dir.as_deref())
            }
            Action::Submit => Ok(String::new()),
        }
    }

    fn bash(&mut self, host: &mut impl Host, command: &str) -> Result<String, RunError> {
        let options = ExecOptions {
            timeout_ms: Some(self.timeout_secs.saturating_mul(1000)),
            max_output_bytes: Some(BASH_OUTPUT_BYTES),
            ..ExecOptions::default()
        };
        match host.exec(command, &options) {
            Ok(result) if result.timed_out => Ok(prompt::timed_out(command, self.timeout_secs)),
            Ok(result) => Ok(String::from_utf8_lossy(&result.output).into_owned()),
            Err(e) => other_error(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use synth_sdk::ToolRole;

    fn call(name: &str, args: &str) -> ToolCall {
        ToolCall {
            id: "c".into(),
            name: name.into(),
            raw_arguments: args.into(),
            parsed: Ok(args.into()),
        }
    }

    #[test]
    fn specs_have_roles_and_schemas() {
        let specs = specs(100);
        let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "bash",
                "open",
                "goto",
                "scroll_up",
                "scroll_down",
                "create",
                "edit",
                "search_file",
                "search_dir",
                "find_file",
                "submit"
            ]
        );
        assert!(
            matches!(&specs[0].role, ToolRole::Shell(s) if s.command_argument == "command" && s.fixed_arguments == "{}")
        );
        assert!(matches!(&specs[10].role, ToolRole::Finish(f) if f.fixed_arguments == "{}"));
        assert!(
            specs[1..10]
                .iter()
                .all(|s| matches!(s.role, ToolRole::Other))
        );
        let edit: Value = serde_json::from_str(&specs[6].parameters).unwrap();
        assert_eq!(
            edit["required"],
            json!(["start_line", "end_line", "replacement_text"])
        );
        assert_eq!(edit["properties"]["start_line"]["type"], "integer");
        let open: Value = serde_json::from_str(&specs[1].parameters).unwrap();
        assert_eq!(open["required"], json!(["path"]));
        assert_eq!(open["properties"]["line_number"]["type"], "integer");
        assert!(specs[3].description.contains("up 100 lines"));
        let none: Value = serde_json::from_str(&specs[3].parameters).unwrap();
        assert_eq!(
            none,
            json!({"type": "object", "properties": {}, "additionalProperties": false})
        );
        assert!(edit.get("description").is_none());
    }

    #[test]
    fn parses_calls() {
        assert_eq!(
            parse_call(&call("open", r#"{"path":"a.py","line_number":"12"}"#)),
            Ok(Action::Open("a.py".into(), Some(12)))
        );
        assert_eq!(
            parse_call(&call("open", r#"{"path":"a.py"}"#)),
            Ok(Action::Open("a.py".into(), None))
        );
        assert_eq!(
            parse_call(&call("goto", r#"{"line_number":7}"#)),
            Ok(Action::Goto(7))
        );
        assert_eq!(
            parse_call(&call("scroll_down", "{}")),
            Ok(Action::Scroll { down: true })
        );
        assert_eq!(parse_call(&call("submit", "{}")), Ok(Action::Submit));
    }

    #[test]
    fn bad_calls_get_the_original_messages() {
        assert_eq!(
            parse_call(&call("vim", "{}")),
            Err(FormatIssue::Other(
                "Command 'vim' not found in list of available commands.".into()
            ))
        );
        assert_eq!(
            parse_call(&call("edit", r#"{"start_line":1}"#)),
            Err(FormatIssue::Other(
                "Required argument(s) missing: end_line, replacement_text".into()
            ))
        );
        assert_eq!(
            parse_call(&call("submit", r#"{"force":true}"#)),
            Err(FormatIssue::UnexpectedArg(
                "Unexpected argument(s): force".into()
            ))
        );
        let bad = ToolCall {
            parsed: Err("EOF".into()),
            ..call("bash", "{")
        };
        assert_eq!(
            parse_call(&bad),
            Err(FormatIssue::Other(
                "Tool call arguments are not valid JSON.".into()
            ))
        );
        assert!(
            matches!(parse_call(&call("goto", r#"{"line_number":"ten"}"#)), Err(FormatIssue::Other(m)) if m.starts_with("Invalid value for argument 'line_number'"))
        );
    }
}
