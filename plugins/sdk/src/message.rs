//! Constructors and accessors for the contract's messages, tool calls and outcomes.
//!
//! Pure data helpers over the generated WIT types: nothing here calls a host import, so it
//! all runs (and is tested) natively.

use crate::{ContentPart, ExitKind, Message, Outcome, Role, RunError, Task, ToolCall};
use serde_json::{Map, Value};

impl Message {
    /// A message of `role` with one text part.
    pub fn new(role: Role, text: impl Into<String>) -> Message {
        Message {
            role,
            content: vec![ContentPart::Text(text.into())],
            tool_calls: Vec::new(),
            tool_call_id: None,
            name: None,
        }
    }

    pub fn system(text: impl Into<String>) -> Message {
        Message::new(Role::System, text)
    }

    pub fn user(text: impl Into<String>) -> Message {
        Message::new(Role::User, text)
    }

    /// An assistant message with text and no tool calls (for example a few-shot example).
    pub fn assistant(text: impl Into<String>) -> Message {
        Message::new(Role::Assistant, text)
    }

    /// The `tool` message answering the call with id `call_id`.
    pub fn tool_result(call_id: impl Into<String>, text: impl Into<String>) -> Message {
        Message {
            tool_call_id: Some(call_id.into()),
            ..Message::new(Role::Tool, text)
        }
    }

    /// The text parts concatenated (reasoning and opaque parts left out).
    pub fn text(&self) -> String {
        self.content
            .iter()
            .filter_map(|part| match part {
                ContentPart::Text(text) => Some(text.as_str()),
                ContentPart::Thinking(_) | ContentPart::Opaque(_) => None,
            })
            .collect()
    }
}

impl ToolCall {
    /// The call's arguments as a JSON object, or a sentence saying why they are unusable:
    /// the host's parse error, or arguments that are JSON but not an object.
    pub fn arguments(&self) -> Result<Map<String, Value>, String> {
        let text = self
            .parsed
            .as_ref()
            .map_err(|e| format!("the arguments of `{}` are not valid JSON: {e}", self.name))?;
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(other) => Err(format!(
                "the arguments of `{}` must be a JSON object, not {}",
                self.name,
                json_kind(&other)
            )),
            Err(e) => Err(format!(
                "the arguments of `{}` are not valid JSON: {e}",
                self.name
            )),
        }
    }

    /// The string argument `key`, or a sentence naming what is wrong.
    pub fn string_argument(&self, key: &str) -> Result<String, String> {
        let arguments = self.arguments()?;
        match arguments.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(format!(
                "the argument `{key}` of `{}` must be a string, not {}",
                self.name,
                json_kind(other)
            )),
            None => Err(format!(
                "the call of `{}` lacks the required argument `{key}`",
                self.name
            )),
        }
    }
}

impl Outcome {
    pub fn new(exit: ExitKind, message: impl Into<String>) -> Outcome {
        Outcome {
            exit,
            message: message.into(),
        }
    }

    pub fn submitted(message: impl Into<String>) -> Outcome {
        Outcome::new(ExitKind::Submitted, message)
    }
}

impl Task {
    /// The instance's parameters as a JSON object (empty when the host sent none).
    pub fn parameters_json(&self) -> Result<Map<String, Value>, RunError> {
        if self.parameters.trim().is_empty() {
            return Ok(Map::new());
        }
        match serde_json::from_str(&self.parameters) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(other) => Err(RunError::Internal(format!(
                "task parameters must be a JSON object, not {}",
                json_kind(&other)
            ))),
            Err(e) => Err(RunError::Internal(format!(
                "task parameters are not valid JSON: {e}"
            ))),
        }
    }
}

/// "a string", "an array", ... for error messages.
pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Thinking;

    fn call(parsed: Result<&str, &str>) -> ToolCall {
        ToolCall {
            id: "c1".into(),
            name: "bash".into(),
            raw_arguments: "raw".into(),
            parsed: parsed.map(str::to_string).map_err(str::to_string),
        }
    }

    #[test]
    fn constructors_set_role_and_text() {
        assert_eq!(Message::system("s").role, Role::System);
        assert_eq!(Message::user("u").text(), "u");
        assert_eq!(Message::assistant("a").role, Role::Assistant);
        let tool = Message::tool_result("id-7", "out");
        assert_eq!(tool.role, Role::Tool);
        assert_eq!(tool.tool_call_id.as_deref(), Some("id-7"));
        assert_eq!(tool.text(), "out");
    }

    #[test]
    fn text_skips_thinking_and_opaque_parts() {
        let mut m = Message::assistant("a");
        m.content.push(ContentPart::Thinking(Thinking {
            text: "hmm".into(),
            signature: None,
            redacted: false,
        }));
        m.content.push(ContentPart::Opaque("{}".into()));
        m.content.push(ContentPart::Text("b".into()));
        assert_eq!(m.text(), "ab");
    }

    #[test]
    fn arguments_parse_objects_and_explain_failures() {
        let ok = call(Ok(r#"{"command":"ls","n":1}"#));
        assert_eq!(ok.string_argument("command").unwrap(), "ls");
        assert!(
            ok.string_argument("n")
                .unwrap_err()
                .contains("must be a string")
        );
        assert!(ok.string_argument("x").unwrap_err().contains("lacks"));
        let bad = call(Err("EOF while parsing"));
        assert!(bad.arguments().unwrap_err().contains("EOF while parsing"));
        let array = call(Ok("[1]"));
        assert!(array.arguments().unwrap_err().contains("an array"));
    }

    #[test]
    fn task_parameters() {
        let mut task = Task {
            instance_id: "i".into(),
            template_id: "t".into(),
            category: "c".into(),
            difficulty: "easy".into(),
            instruction: "do".into(),
            workspace: "/workspace".into(),
            max_steps: 3,
            max_seconds: 60,
            parameters: String::new(),
        };
        assert!(task.parameters_json().unwrap().is_empty());
        task.parameters = r#"{"n": 3}"#.into();
        assert_eq!(task.parameters_json().unwrap()["n"], 3);
        task.parameters = "[]".into();
        assert!(task.parameters_json().is_err());
    }
}
