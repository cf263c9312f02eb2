//! The canonical message model: the host's mirror of the WIT `types` and `llm` records
//! (wit/v0.1.0), serialisable as JSON because messages and requests are stored.
//!
//! It owns the shapes and their canonical JSON (sorted keys, used for hashes). It must never
//! know a provider's wire format (that is the codecs' job) and never repair a tool call's
//! arguments: the raw text is kept next to the parse result.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
    Tool,
}

/// One part of a message's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ContentPart {
    Text {
        text: String,
    },
    /// A model's reasoning, kept so it can be sent back unchanged.
    Thinking {
        text: String,
        #[serde(default)]
        signature: Option<String>,
        /// True when the provider returned the reasoning encrypted or redacted.
        #[serde(default)]
        redacted: bool,
    },
    /// A provider block the host does not model, as JSON text, passed through unchanged.
    Opaque {
        json: String,
    },
}

impl ContentPart {
    pub fn text(text: impl Into<String>) -> ContentPart {
        ContentPart::Text { text: text.into() }
    }
}

/// A tool call as the model produced it: the raw argument text and its strict parse
/// result (a JSON object, or the parse error). Serialised as
/// `{"id", "name", "raw_arguments", "arguments": {..}}` or `{.., "arguments_error": ".."}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "ToolCallRepr", from = "ToolCallRepr")]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub raw_arguments: String,
    pub parsed: Result<Value, String>,
}

impl ToolCall {
    /// A call whose arguments are given as a value (built-in providers): the raw text is the
    /// canonical JSON of `arguments`.
    pub fn from_value(id: impl Into<String>, name: impl Into<String>, arguments: Value) -> Self {
        ToolCall {
            id: id.into(),
            name: name.into(),
            raw_arguments: canonical_json(&arguments),
            parsed: Ok(arguments),
        }
    }

    /// A call as a model wrote it: `raw` is kept verbatim, `parsed` is the strict parse
    /// (the arguments must be a JSON object; nothing is repaired).
    pub fn from_raw(
        id: impl Into<String>,
        name: impl Into<String>,
        raw: impl Into<String>,
    ) -> Self {
        let raw = raw.into();
        let parsed = parse_arguments(&raw);
        ToolCall {
            id: id.into(),
            name: name.into(),
            raw_arguments: raw,
            parsed,
        }
    }
}

/// Strict parse of tool-call arguments: a JSON object, or the error text.
pub fn parse_arguments(raw: &str) -> Result<Value, String> {
    match serde_json::from_str::<Value>(raw) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(other) => Err(format!(
            "tool-call arguments are not a JSON object (found {})",
            json_kind(&other)
        )),
        Err(e) => Err(format!("tool-call arguments are not valid JSON: {e}")),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[derive(Serialize, Deserialize)]
struct ToolCallRepr {
    id: String,
    name: String,
    raw_arguments: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    arguments: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    arguments_error: Option<String>,
}

impl From<ToolCall> for ToolCallRepr {
    fn from(c: ToolCall) -> Self {
        let (arguments, arguments_error) = match c.parsed {
            Ok(v) => (Some(v), None),
            Err(e) => (None, Some(e)),
        };
        ToolCallRepr {
            id: c.id,
            name: c.name,
            raw_arguments: c.raw_arguments,
            arguments,
            arguments_error,
        }
    }
}

impl From<ToolCallRepr> for ToolCall {
    fn from(r: ToolCallRepr) -> Self {
        let parsed = match r.arguments_error {
            Some(e) => Err(e),
            None => Ok(r.arguments.unwrap_or(Value::Null)),
        };
        ToolCall {
            id: r.id,
            name: r.name,
            raw_arguments: r.raw_arguments,
            parsed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    #[serde(default)]
    pub content: Vec<ContentPart>,
    /// Calls made by an assistant message (several per turn are allowed).
    #[serde(default)]
    pub tool_calls: Vec<ToolCall>,
    /// For a `tool` message: the id of the call it answers.
    #[serde(default)]
    pub tool_call_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

impl Message {
    /// A message of `role` with one text part.
    pub fn new(role: Role, text: impl Into<String>) -> Message {
        Message {
            role,
            content: vec![ContentPart::text(text)],
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
    pub fn assistant(text: impl Into<String>) -> Message {
        Message::new(Role::Assistant, text)
    }
    /// The result of tool call `call_id`.
    pub fn tool_result(call_id: impl Into<String>, text: impl Into<String>) -> Message {
        Message {
            tool_call_id: Some(call_id.into()),
            ..Message::new(Role::Tool, text)
        }
    }

    /// The concatenated text parts (thinking and opaque parts excluded).
    pub fn text(&self) -> String {
        self.content
            .iter()
            .filter_map(|p| match p {
                ContentPart::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    /// sha256 hex of the message's canonical JSON (messages are stored content-addressed).
    pub fn content_hash(&self) -> String {
        sha256_hex(canonical_json(&to_value_lossless(self)).as_bytes())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    Stop,
    Length,
    ToolCalls,
    ContentFilter,
    Other,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Prompt tokens served from the provider's cache (included in `prompt_tokens`).
    pub cached_tokens: u64,
    /// Completion tokens spent on reasoning (included in `completion_tokens`).
    pub reasoning_tokens: u64,
}

/// What a tool means to models that act without reading its description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ToolRole {
    /// The argument `command_argument` is a shell command line; `fixed_arguments` (a JSON
    /// object) must be added to every call.
    Shell {
        command_argument: String,
        #[serde(default)]
        fixed_arguments: Value,
    },
    /// Ends the agent's work; `fixed_arguments` is a JSON object.
    Finish {
        #[serde(default)]
        fixed_arguments: Value,
    },
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// JSON Schema of the arguments object.
    pub parameters: Value,
    pub role: ToolRole,
}

/// Why a call is made: `Agent` calls define steps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    #[default]
    Agent,
    Condense,
    Other,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Params {
    pub max_tokens: Option<u32>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub seed: Option<u64>,
    pub stop: Vec<String>,
    /// Number of top log-probabilities per token; `None` for no log-probabilities.
    pub logprobs: Option<u32>,
    pub purpose: Purpose,
    /// Role name the run maps to a model (for scaffolds using several models).
    pub model_role: Option<String>,
    /// Provider-specific JSON object merged into the request body.
    pub extra: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub messages: Vec<Message>,
    #[serde(default)]
    pub tools: Vec<ToolSpec>,
    #[serde(default)]
    pub params: Params,
}

impl Request {
    /// The request as canonical JSON (sorted keys).
    pub fn canonical_json(&self) -> String {
        canonical_json(&to_value_lossless(self))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    pub message: Message,
    pub finish_reason: FinishReason,
    pub usage: Usage,
    /// The model that answered, as `provider/model`.
    pub model: String,
}

/// Why a model call failed. Texts are one line and never contain a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", content = "message", rename_all = "snake_case")]
pub enum LlmError {
    #[error("context length exceeded: {0}")]
    ContextLengthExceeded(String),
    #[error("budget exhausted: {0}")]
    BudgetExhausted(String),
    #[error("cancelled")]
    Cancelled,
    #[error("provider error: {0}")]
    Provider(String),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("unknown model: {0}")]
    UnknownModel(String),
    #[error("LLM configuration error: {0}")]
    Config(String),
}

/// Serialises any of this module's types to a `Value`. These types contain only strings,
/// numbers, maps with string keys and JSON values, so this cannot fail; should it ever, the
/// error text is returned as a JSON string rather than panicking.
pub use crate::canonical::canonical_json;

pub(crate) fn to_value_lossless<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or_else(|e| Value::String(format!("unserialisable: {e}")))
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tool_call_serialises_arguments_or_error() {
        let ok = ToolCall::from_raw("c1", "bash", r#"{"command":"ls"}"#);
        let v = serde_json::to_value(&ok).unwrap();
        assert_eq!(v["arguments"], json!({"command": "ls"}));
        assert!(v.get("arguments_error").is_none());
        let bad = ToolCall::from_raw("c2", "bash", r#"{"command": "ls"#);
        let v = serde_json::to_value(&bad).unwrap();
        assert!(v.get("arguments").is_none());
        assert!(
            v["arguments_error"]
                .as_str()
                .unwrap()
                .contains("not valid JSON")
        );
        let back: ToolCall = serde_json::from_value(v).unwrap();
        assert_eq!(back, bad);
        assert!(ToolCall::from_raw("c", "f", "[1]").parsed.is_err());
    }

    #[test]
    fn message_round_trip_and_hash() {
        let mut m = Message::assistant("hello ");
        m.content.push(ContentPart::Thinking {
            text: "hmm".into(),
            signature: None,
            redacted: false,
        });
        m.content.push(ContentPart::text("world"));
        m.tool_calls
            .push(ToolCall::from_value("x", "bash", json!({"b": 1, "a": 2})));
        assert_eq!(m.text(), "hello world");
        let s = serde_json::to_string(&m).unwrap();
        let back: Message = serde_json::from_str(&s).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.content_hash(), m.content_hash());
        assert_eq!(m.content_hash().len(), 64);
        assert_ne!(
            Message::user("a").content_hash(),
            Message::user("b").content_hash()
        );
        assert_eq!(m.tool_calls[0].raw_arguments, r#"{"a":2,"b":1}"#);
    }

    #[test]
    fn canonical_json_sorts_keys() {
        let v = json!({"b": [ {"d": 1, "c": 2} ], "a": "x\"y"});
        assert_eq!(canonical_json(&v), r#"{"a":"x\"y","b":[{"c":2,"d":1}]}"#);
    }

    #[test]
    fn params_default_from_empty_object() {
        let p: Params = serde_json::from_str("{}").unwrap();
        assert_eq!(p, Params::default());
        assert_eq!(p.purpose, Purpose::Agent);
        let e = serde_json::to_string(&LlmError::Cancelled).unwrap();
        assert_eq!(e, r#"{"kind":"cancelled"}"#);
    }
}
