//! Tool calls in both modes a scaffold supports: native function calling, and a text format
//! for models without it, parsed here in the plugin.
//!
//! The text format is the one OpenHands' `fn_call_converter` and SWE-agent's
//! `xml_function_calling` use, so models trained on their trajectories know it:
//!
//! ```text
//! <function=execute_bash>
//! <parameter=command>ls -la</parameter>
//! </function>
//! ```
//!
//! One call per reply; text before the call is the thought. Results go back as user messages
//! `EXECUTION RESULT of [NAME]:` followed by the output. A reply that cannot be parsed yields
//! a [`FormatError`] the scaffold shows the model as an observation, and the episode goes on.
//! Values are typed by the tool's schema (integers, numbers, booleans, arrays and objects are
//! parsed; strings are kept verbatim apart from one leading and one trailing newline, which
//! the multi-line form adds). Pure: no host import is called.

use crate::llm::Params;
use crate::{Message, Role, ToolCall, ToolSpec};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// How a scaffold exchanges tool calls with the model.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CallMode {
    /// Tools are sent as function definitions; the model answers with structured calls.
    #[default]
    Native,
    /// No tools are sent; the system prompt describes them and the model writes calls in
    /// the text format, which the plugin parses.
    Text,
}

/// What a model's reply asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The reply's text (in text mode, the text before the call).
    pub thought: String,
    /// The calls to run, in order. Empty when the reply called nothing or could not be parsed.
    pub calls: Vec<ToolCall>,
    /// Set in text mode when the reply held a call that could not be parsed.
    pub format_error: Option<FormatError>,
}

/// A text-mode call that could not be parsed; its `Display` is what the model is shown.
#[derive(Debug, Clone, PartialEq)]
pub struct FormatError(pub String);

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The stop word sent in text mode, so the model stops after one call.
pub const TEXT_STOP: &str = "</function";

impl CallMode {
    /// The tools to pass to `llm.complete`: all of them natively, none in text mode.
    pub fn request_tools(self, tools: &[ToolSpec]) -> Vec<ToolSpec> {
        match self {
            CallMode::Native => tools.to_vec(),
            CallMode::Text => Vec::new(),
        }
    }

    /// The system prompt: `base` natively; in text mode `base` followed by the tool list
    /// and the format instructions.
    pub fn system_prompt(self, base: &str, tools: &[ToolSpec]) -> String {
        match self {
            CallMode::Native => base.to_string(),
            CallMode::Text => format!("{base}\n\n{}", describe_tools(tools)),
        }
    }

    /// `params` with the text format's stop word added in text mode.
    pub fn params(self, mut params: Params) -> Params {
        if self == CallMode::Text && !params.stop.iter().any(|s| s == TEXT_STOP) {
            params.stop.push(TEXT_STOP.to_string());
        }
        params
    }

    /// Reads the calls out of a model's reply. `sequence` numbers text-mode call ids
    /// (`toolu_01`, `toolu_02`, ...): pass the number of calls parsed so far plus one.
    pub fn parse(self, reply: &Message, tools: &[ToolSpec], sequence: usize) -> Reply {
        match self {
            CallMode::Native => Reply {
                thought: reply.text(),
                calls: reply.tool_calls.clone(),
                format_error: None,
            },
            CallMode::Text => parse_text_reply(&reply.text(), tools, sequence),
        }
    }

    /// The message that carries a call's result back: a `tool` message natively, a user
    /// message `EXECUTION RESULT of [NAME]:` in text mode.
    pub fn result_message(self, call: &ToolCall, text: impl Into<String>) -> Message {
        match self {
            CallMode::Native => Message::tool_result(&call.id, text),
            CallMode::Text => Message::user(format!(
                "EXECUTION RESULT of [{}]:\n{}",
                call.name,
                text.into()
            )),
        }
    }

    /// The assistant message to keep in the history for `reply`. Natively the reply as it
    /// came; in text mode its text, closed with `</function>` when the stop word cut it, so
    /// the model sees well-formed calls in its own history.
    pub fn history_message(self, reply: &Message) -> Message {
        match self {
            CallMode::Native => reply.clone(),
            CallMode::Text => {
                let mut text = reply.text();
                if text.contains("<function=") && !text.trim_end().ends_with("</function>") {
                    text = fix_stop_word(&text);
                }
                Message {
                    content: vec![crate::ContentPart::Text(text)],
                    tool_calls: Vec::new(),
                    ..reply.clone()
                }
            }
        }
    }
}

/// The tool list and the format instructions appended to the system prompt in text mode.
pub fn describe_tools(tools: &[ToolSpec]) -> String {
    let mut out = String::from("You have access to the following functions:\n");
    for (i, tool) in tools.iter().enumerate() {
        let n = i + 1;
        out.push_str(&format!(
            "\n---- BEGIN FUNCTION #{n}: {} ----\nDescription: {}\n",
            tool.name, tool.description
        ));
        let schema: Value = serde_json::from_str(&tool.parameters).unwrap_or(Value::Null);
        let properties = schema.get("properties").and_then(Value::as_object);
        let required = required_names(&schema);
        match properties {
            Some(props) if !props.is_empty() => {
                out.push_str("Parameters:\n");
                for (j, (name, prop)) in props.iter().enumerate() {
                    let kind = prop.get("type").and_then(Value::as_str).unwrap_or("string");
                    let need = if required.contains(name) {
                        "required"
                    } else {
                        "optional"
                    };
                    let description = prop
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    out.push_str(&format!(
                        "  ({}) {name} ({kind}, {need}): {description}\n",
                        j + 1
                    ));
                    if let Some(Value::Array(values)) = prop.get("enum") {
                        let shown: Vec<String> = values
                            .iter()
                            .map(|v| match v {
                                Value::String(s) => format!("`{s}`"),
                                other => format!("`{other}`"),
                            })
                            .collect();
                        out.push_str(&format!("Allowed values: [{}]\n", shown.join(", ")));
                    }
                }
            }
            _ => out.push_str("No parameters are required for this function.\n"),
        }
        out.push_str(&format!("---- END FUNCTION #{n} ----\n"));
    }
    out.push_str(
        "\nIf you choose to call a function ONLY reply in the following format with NO suffix:\n\n\
         <function=example_function_name>\n\
         <parameter=example_parameter_1>value_1</parameter>\n\
         <parameter=example_parameter_2>\n\
         This is the value for the second parameter\n\
         that can span\n\
         multiple lines\n\
         </parameter>\n\
         </function>\n\n\
         <IMPORTANT>\n\
         Reminder:\n\
         - Function calls MUST follow the specified format, start with <function= and end with </function>\n\
         - Required parameters MUST be specified\n\
         - Only call one function at a time\n\
         - You may provide optional reasoning for your function call in natural language BEFORE the function call, but NOT after.\n\
         </IMPORTANT>",
    );
    out
}

fn required_names(schema: &Value) -> Vec<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

/// Closes a reply the stop word cut: `...</function` or a call with no closing tag.
fn fix_stop_word(text: &str) -> String {
    let trimmed = text.trim_end();
    if let Some(stripped) = trimmed.strip_suffix("</function") {
        format!("{stripped}</function>")
    } else {
        format!("{trimmed}\n</function>")
    }
}

/// Parses a text-mode reply: at most one `<function=NAME>` block.
pub fn parse_text_reply(text: &str, tools: &[ToolSpec], sequence: usize) -> Reply {
    let Some(start) = text.find("<function=") else {
        return Reply {
            thought: text.to_string(),
            calls: Vec::new(),
            format_error: None,
        };
    };
    let thought = text[..start].trim_end().to_string();
    let fixed;
    let mut body = &text[start..];
    if !body.contains("</function>") {
        fixed = fix_stop_word(body);
        body = &fixed;
    }
    let fail = |message: String| Reply {
        thought: thought.clone(),
        calls: Vec::new(),
        format_error: Some(FormatError(message)),
    };
    let after_tag = &body["<function=".len()..];
    let Some(name_end) = after_tag.find('>') else {
        return fail("The function call is malformed: `<function=` is not closed with `>`.".into());
    };
    let name = after_tag[..name_end].trim().to_string();
    let rest = &after_tag[name_end + 1..];
    let Some(end) = rest.find("</function>") else {
        return fail("The function call is malformed: it does not end with </function>.".into());
    };
    let inner = &rest[..end];
    if rest[end + "</function>".len()..].contains("<function=") {
        return fail(
            "Only one function call per message is allowed; your message held several. \
             Call one function, wait for its result, then call the next."
                .into(),
        );
    }
    let Some(tool) = tools.iter().find(|t| t.name == name) else {
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
        return fail(format!(
            "Function '{name}' not found in available tools: {names:?}"
        ));
    };
    let schema: Value = serde_json::from_str(&tool.parameters).unwrap_or(Value::Null);
    let arguments = match parse_parameters(inner, &name, &schema) {
        Ok(arguments) => arguments,
        Err(message) => return fail(message),
    };
    let raw = body[..body
        .find("</function>")
        .map_or(body.len(), |i| i + "</function>".len())]
        .to_string();
    let arguments_json = Value::Object(arguments).to_string();
    Reply {
        thought,
        calls: vec![ToolCall {
            id: format!("toolu_{sequence:02}"),
            name,
            raw_arguments: raw,
            parsed: Ok(arguments_json),
        }],
        format_error: None,
    }
}

/// `<parameter=K>V</parameter>` pairs, typed by `schema`.
fn parse_parameters(
    inner: &str,
    function: &str,
    schema: &Value,
) -> Result<Map<String, Value>, String> {
    let properties = schema.get("properties").and_then(Value::as_object);
    let mut arguments = Map::new();
    let mut rest = inner;
    while let Some(open) = rest.find("<parameter=") {
        let after = &rest[open + "<parameter=".len()..];
        let Some(name_end) = after.find('>') else {
            return Err(format!(
                "The parameter tag in the call of '{function}' is not closed with `>`."
            ));
        };
        let mut key = after[..name_end].trim().to_string();
        let mut value_start = name_end + 1;
        // `<parameter=k=v</parameter>`: the value written into the tag.
        if let Some((k, _)) = key.split_once('=') {
            key = k.trim().to_string();
            value_start = after[..name_end].find('=').map_or(value_start, |i| i + 1);
        }
        let value_text = &after[value_start..];
        let Some(close) = value_text.find("</parameter>") else {
            return Err(format!(
                "The parameter '{key}' of '{function}' is not closed with </parameter>."
            ));
        };
        let raw = strip_one_newline(&value_text[..close]);
        let prop = properties.and_then(|p| p.get(&key));
        if properties.is_some()
            && prop.is_none()
            && schema.get("additionalProperties") == Some(&Value::Bool(false))
        {
            let allowed: Vec<&String> = properties.map(|p| p.keys().collect()).unwrap_or_default();
            return Err(format!(
                "Parameter '{key}' is not allowed for function '{function}'. Allowed parameters: {allowed:?}"
            ));
        }
        let value = typed_value(raw, prop, &key, function)?;
        arguments.insert(key, value);
        rest = &value_text[close + "</parameter>".len()..];
    }
    let missing: Vec<String> = required_names(schema)
        .into_iter()
        .filter(|r| !arguments.contains_key(r))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "Missing required parameters for function '{function}': {missing:?}"
        ));
    }
    Ok(arguments)
}

fn strip_one_newline(value: &str) -> &str {
    let value = value.strip_prefix('\n').unwrap_or(value);
    value.strip_suffix('\n').unwrap_or(value)
}

fn typed_value(
    raw: &str,
    prop: Option<&Value>,
    key: &str,
    function: &str,
) -> Result<Value, String> {
    let kind = prop
        .and_then(|p| p.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("string");
    let value = match kind {
        "integer" => raw.trim().parse::<i64>().map(Value::from).map_err(|_| {
            format!("Parameter '{key}' of '{function}' must be an integer, got `{raw}`.")
        })?,
        "number" => raw
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| {
                format!("Parameter '{key}' of '{function}' must be a number, got `{raw}`.")
            })?,
        "boolean" => match raw.trim() {
            "true" | "True" => Value::Bool(true),
            "false" | "False" => Value::Bool(false),
            _ => {
                return Err(format!(
                    "Parameter '{key}' of '{function}' must be true or false, got `{raw}`."
                ));
            }
        },
        "array" | "object" => serde_json::from_str(raw.trim()).map_err(|e| {
            format!("Parameter '{key}' of '{function}' must be a JSON {kind}: {e}.")
        })?,
        _ => Value::String(raw.to_string()),
    };
    if let Some(Value::Array(allowed)) = prop.and_then(|p| p.get("enum"))
        && !allowed.contains(&value)
    {
        return Err(format!(
            "Parameter '{key}' of '{function}' must be one of {}, got `{raw}`.",
            Value::Array(allowed.clone())
        ));
    }
    Ok(value)
}

impl Message {
    /// True for a user message that carries a text-mode tool result.
    pub fn is_text_result(&self) -> bool {
        self.role == Role::User && self.text().starts_with("EXECUTION RESULT of [")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ContentPart;
    use serde_json::json;

    fn tools() -> Vec<ToolSpec> {
        vec![
            ToolSpec::new(
                "execute_bash",
                "Run a command.",
                json!({"type": "object", "additionalProperties": false,
                       "properties": {"command": {"type": "string", "description": "The command."},
                                      "timeout": {"type": "number"},
                                      "is_input": {"type": "string", "enum": ["true", "false"]}},
                       "required": ["command"]}),
            ),
            ToolSpec::new(
                "str_replace_editor",
                "Edit.",
                json!({"type": "object", "properties": {
                    "command": {"type": "string", "enum": ["view", "create"]},
                    "path": {"type": "string"},
                    "view_range": {"type": "array", "items": {"type": "integer"}},
                    "insert_line": {"type": "integer"}},
                    "required": ["command", "path"]}),
            ),
            ToolSpec::new(
                "finish",
                "Done.",
                json!({"type": "object", "properties": {}}),
            ),
        ]
    }

    #[test]
    fn parses_a_call_with_thought_and_types() {
        let text = "I will look.\n<function=str_replace_editor>\n<parameter=command>view</parameter>\n<parameter=path>/w/a.py</parameter>\n<parameter=view_range>[1, 20]</parameter>\n<parameter=insert_line>3</parameter>\n</function>";
        let reply = parse_text_reply(text, &tools(), 4);
        assert_eq!(reply.format_error, None);
        assert_eq!(reply.thought, "I will look.");
        let call = &reply.calls[0];
        assert_eq!(call.id, "toolu_04");
        assert_eq!(call.name, "str_replace_editor");
        let args: Value = serde_json::from_str(call.parsed.as_ref().unwrap()).unwrap();
        assert_eq!(
            args,
            json!({"command": "view", "path": "/w/a.py", "view_range": [1, 20], "insert_line": 3})
        );
        assert!(
            call.raw_arguments
                .starts_with("<function=str_replace_editor>")
        );
    }

    #[test]
    fn multiline_values_and_stop_word() {
        let text = "<function=execute_bash>\n<parameter=command>\ncat <<'EOF' > x\n  a\nEOF\n</parameter>\n</function";
        let reply = parse_text_reply(text, &tools(), 1);
        let args: Value = serde_json::from_str(reply.calls[0].parsed.as_ref().unwrap()).unwrap();
        assert_eq!(args["command"], "cat <<'EOF' > x\n  a\nEOF");
        let cut = Message::assistant("<function=finish>\n");
        let kept = CallMode::Text.history_message(&cut);
        assert_eq!(kept.text(), "<function=finish>\n</function>");
        assert_eq!(
            parse_text_reply("<function=finish>\n", &tools(), 1)
                .calls
                .len(),
            1
        );
    }

    #[test]
    fn format_errors_name_the_problem() {
        let e = |t: &str| parse_text_reply(t, &tools(), 1).format_error.unwrap().0;
        assert!(e("<function=rm_rf>\n</function>").contains("Function 'rm_rf' not found"));
        assert!(
            e("<function=execute_bash>\n<parameter=timeout>5</parameter>\n</function>")
                .contains("Missing required parameters for function 'execute_bash': [\"command\"]")
        );
        assert!(e("<function=execute_bash>\n<parameter=command>ls</parameter>\n<parameter=is_input>maybe</parameter>\n</function>")
            .contains("must be one of [\"true\",\"false\"]"));
        assert!(e("<function=execute_bash>\n<parameter=command>ls</parameter>\n<parameter=bogus>1</parameter>\n</function>")
            .contains("not allowed"));
        assert!(e("<function=str_replace_editor>\n<parameter=command>view</parameter>\n<parameter=path>/a</parameter>\n<parameter=insert_line>x</parameter>\n</function>")
            .contains("must be an integer"));
        assert!(e("<function=execute_bash>\n<parameter=command>ls</parameter>\n</function>\n<function=finish>\n</function>")
            .contains("Only one function call"));
        assert!(e("<function=execute_bash\n").contains("malformed"));
        let none = parse_text_reply("just text", &tools(), 1);
        assert!(none.calls.is_empty() && none.format_error.is_none());
        assert_eq!(none.thought, "just text");
    }

    #[test]
    fn normalises_value_in_tag() {
        let reply = parse_text_reply(
            "<function=execute_bash>\n<parameter=command=ls -l</parameter>\n</function>",
            &tools(),
            1,
        );
        let args: Value = serde_json::from_str(reply.calls[0].parsed.as_ref().unwrap()).unwrap();
        assert_eq!(args["command"], "ls -l");
    }

    #[test]
    fn modes_shape_requests_and_results() {
        let t = tools();
        assert_eq!(CallMode::Native.request_tools(&t).len(), 3);
        assert!(CallMode::Text.request_tools(&t).is_empty());
        let prompt = CallMode::Text.system_prompt("Base.", &t);
        assert!(prompt.starts_with("Base.\n\nYou have access to the following functions:"));
        assert!(prompt.contains("---- BEGIN FUNCTION #1: execute_bash ----"));
        assert!(prompt.contains("  (1) command (string, required): The command."));
        assert!(prompt.contains("Allowed values: [`true`, `false`]"));
        assert!(prompt.contains("---- END FUNCTION #3 ----"));
        assert_eq!(CallMode::Native.system_prompt("Base.", &t), "Base.");
        let p = CallMode::Text.params(Params::agent());
        assert_eq!(p.stop, vec![TEXT_STOP.to_string()]);
        assert!(CallMode::Native.params(Params::agent()).stop.is_empty());
        let call = ToolCall {
            id: "toolu_01".into(),
            name: "execute_bash".into(),
            raw_arguments: String::new(),
            parsed: Ok("{}".into()),
        };
        let m = CallMode::Text.result_message(&call, "ok");
        assert_eq!(m.role, Role::User);
        assert_eq!(m.text(), "EXECUTION RESULT of [execute_bash]:\nok");
        assert!(m.is_text_result());
        let m = CallMode::Native.result_message(&call, "ok");
        assert_eq!(m.tool_call_id.as_deref(), Some("toolu_01"));
        let native = Message {
            content: vec![ContentPart::Text("t".into())],
            tool_calls: vec![call.clone()],
            ..Message::assistant("")
        };
        let r = CallMode::Native.parse(&native, &t, 1);
        assert_eq!(r.calls, vec![call]);
        assert_eq!(r.thought, "t");
    }
}
