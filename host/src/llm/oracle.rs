//! The `oracle` model: answers from the task's reference solution through the scaffold's
//! own tools, so the whole pipeline runs with no API key (and validates tasks).
//!
//! It is stateless and deterministic: the answer depends only on the request and the
//! episode context. First (no assistant tool call in the conversation yet) it calls the
//! first Shell-role tool with the solution as its command; afterwards it calls the
//! Finish-role tool. It must never read anything but its arguments.

use serde_json::{Map, Value};

use super::router::EpisodeContext;
use super::types::{
    Completion, FinishReason, LlmError, Message, Request, Role, ToolCall, ToolRole, Usage,
};

/// Model string of this provider (also its provider name).
pub const MODEL: &str = "oracle";

/// The oracle's answer to `req`.
pub fn answer(req: &Request, ctx: &EpisodeContext) -> Result<Completion, LlmError> {
    let calls_so_far: usize = req
        .messages
        .iter()
        .filter(|m| m.role == Role::Assistant)
        .map(|m| m.tool_calls.len())
        .sum();
    let id = format!("oracle-{}", calls_so_far + 1);
    if calls_so_far == 0 {
        let solution = ctx.solution.as_deref().ok_or_else(|| {
            LlmError::InvalidRequest(format!(
                "the oracle model needs the task's reference solution, and episode {} has none",
                ctx.episode_key
            ))
        })?;
        let (tool, command_argument, fixed) = req
            .tools
            .iter()
            .find_map(|t| match &t.role {
                ToolRole::Shell {
                    command_argument,
                    fixed_arguments,
                } => Some((t, command_argument, fixed_arguments)),
                _ => None,
            })
            .ok_or_else(|| {
                LlmError::InvalidRequest(
                    "the oracle model needs a tool with the shell role, and the request has none"
                        .into(),
                )
            })?;
        let mut args = fixed_object(fixed, &tool.name)?;
        args.insert(
            command_argument.clone(),
            Value::String(solution.to_string()),
        );
        return Ok(tool_call_completion(
            ToolCall::from_value(id, &tool.name, Value::Object(args)),
            MODEL,
        ));
    }
    finish_or_text(req, id, "The reference solution has been applied.", MODEL)
}

/// A call of the Finish-role tool with its fixed arguments, or, when the request has no
/// such tool, a plain text answer `text` that stops.
pub(crate) fn finish_or_text(
    req: &Request,
    id: String,
    text: &str,
    model: &str,
) -> Result<Completion, LlmError> {
    let finish = req.tools.iter().find_map(|t| match &t.role {
        ToolRole::Finish { fixed_arguments } => Some((t, fixed_arguments)),
        _ => None,
    });
    match finish {
        Some((tool, fixed)) => {
            let args = fixed_object(fixed, &tool.name)?;
            Ok(tool_call_completion(
                ToolCall::from_value(id, &tool.name, Value::Object(args)),
                model,
            ))
        }
        None => Ok(Completion {
            message: Message::assistant(text),
            finish_reason: FinishReason::Stop,
            usage: Usage::default(),
            model: model.to_string(),
        }),
    }
}

/// `fixed_arguments` as an object (`null` counts as `{}`).
fn fixed_object(v: &Value, tool: &str) -> Result<Map<String, Value>, LlmError> {
    match v {
        Value::Null => Ok(Map::new()),
        Value::Object(m) => Ok(m.clone()),
        _ => Err(LlmError::InvalidRequest(format!(
            "the fixed arguments of tool `{tool}` are not a JSON object"
        ))),
    }
}

fn tool_call_completion(call: ToolCall, model: &str) -> Completion {
    Completion {
        message: Message {
            role: Role::Assistant,
            content: Vec::new(),
            tool_calls: vec![call],
            tool_call_id: None,
            name: None,
        },
        finish_reason: FinishReason::ToolCalls,
        usage: Usage::default(),
        model: model.to_string(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::llm::types::ToolSpec;
    use serde_json::json;

    /// A shell tool (`bash`, argument `command`, fixed `{"is_input": false}`) and a finish
    /// tool (`submit`, fixed `{"message": "done"}`), as a scaffold would declare them.
    pub(crate) fn tools() -> Vec<ToolSpec> {
        vec![
            ToolSpec {
                name: "think".into(),
                description: "Think.".into(),
                parameters: json!({"type": "object"}),
                role: ToolRole::Other,
            },
            ToolSpec {
                name: "bash".into(),
                description: "Run a command.".into(),
                parameters: json!({"type": "object", "properties": {"command": {"type": "string"}}}),
                role: ToolRole::Shell {
                    command_argument: "command".into(),
                    fixed_arguments: json!({"is_input": false}),
                },
            },
            ToolSpec {
                name: "submit".into(),
                description: "Finish.".into(),
                parameters: json!({"type": "object"}),
                role: ToolRole::Finish {
                    fixed_arguments: json!({"message": "done"}),
                },
            },
        ]
    }

    fn ctx(solution: Option<&str>) -> EpisodeContext {
        EpisodeContext {
            episode_key: "ep1".into(),
            sample: 0,
            solution: solution.map(str::to_string),
            ..EpisodeContext::default()
        }
    }

    #[test]
    fn shell_then_finish() {
        let mut req = Request {
            messages: vec![Message::system("sys"), Message::user("fix it")],
            tools: tools(),
            ..Request::default()
        };
        let first = answer(&req, &ctx(Some("echo fixed > a.txt\n"))).unwrap();
        assert_eq!(first.finish_reason, FinishReason::ToolCalls);
        let call = &first.message.tool_calls[0];
        assert_eq!(call.name, "bash");
        assert_eq!(call.id, "oracle-1");
        assert_eq!(
            call.parsed,
            Ok(json!({"command": "echo fixed > a.txt\n", "is_input": false}))
        );
        // Deterministic.
        assert_eq!(
            answer(&req, &ctx(Some("echo fixed > a.txt\n"))).unwrap(),
            first
        );

        req.messages.push(first.message.clone());
        req.messages.push(Message::tool_result("oracle-1", "ok"));
        let second = answer(&req, &ctx(Some("echo fixed > a.txt\n"))).unwrap();
        let call = &second.message.tool_calls[0];
        assert_eq!(
            (call.name.as_str(), call.id.as_str()),
            ("submit", "oracle-2")
        );
        assert_eq!(call.parsed, Ok(json!({"message": "done"})));
    }

    #[test]
    fn refusals() {
        let req = Request {
            messages: vec![Message::user("x")],
            tools: tools(),
            ..Request::default()
        };
        assert!(matches!(
            answer(&req, &ctx(None)),
            Err(LlmError::InvalidRequest(_))
        ));
        let no_shell = Request {
            tools: tools().into_iter().filter(|t| t.name != "bash").collect(),
            ..req
        };
        let e = answer(&no_shell, &ctx(Some("true"))).unwrap_err();
        assert!(e.to_string().contains("shell role"), "{e}");
    }
}
