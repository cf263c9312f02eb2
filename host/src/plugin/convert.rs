//! Conversions between the contract's records (generated from wit/v0.1.0) and the host's
//! canonical types (`llm::types`, `sandbox`). Pure functions, no I/O. JSON carried as text
//! across the boundary (tool schemas, arguments, fixed arguments) is parsed here; text that
//! is not valid JSON is an error for the caller to report, never silently repaired.

use crate::llm::types as canon;
use crate::sandbox;

use super::v0_1_0::scaffold::synth::plugin::{llm as wllm, sandbox as wsb, types as wt};

fn parse_json(what: &str, text: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(text).map_err(|e| format!("{what} is not valid JSON: {e}"))
}

pub fn role_in(r: wt::Role) -> canon::Role {
    match r {
        wt::Role::System => canon::Role::System,
        wt::Role::User => canon::Role::User,
        wt::Role::Assistant => canon::Role::Assistant,
        wt::Role::Tool => canon::Role::Tool,
    }
}

pub fn role_out(r: &canon::Role) -> wt::Role {
    match r {
        canon::Role::System => wt::Role::System,
        canon::Role::User => wt::Role::User,
        canon::Role::Assistant => wt::Role::Assistant,
        canon::Role::Tool => wt::Role::Tool,
    }
}

pub fn message_in(m: wt::Message) -> Result<canon::Message, String> {
    let content = m
        .content
        .into_iter()
        .map(|p| match p {
            wt::ContentPart::Text(text) => Ok(canon::ContentPart::Text { text }),
            wt::ContentPart::Thinking(t) => Ok(canon::ContentPart::Thinking {
                text: t.text,
                signature: t.signature,
                redacted: t.redacted,
            }),
            wt::ContentPart::Opaque(json) => {
                parse_json("an opaque content part", &json)?;
                Ok(canon::ContentPart::Opaque { json })
            }
        })
        .collect::<Result<Vec<_>, String>>()?;
    let tool_calls = m
        .tool_calls
        .into_iter()
        .map(|c| canon::ToolCall {
            parsed: match c.parsed {
                Ok(text) => serde_json::from_str(&text).map_err(|e| e.to_string()),
                Err(e) => Err(e),
            },
            id: c.id,
            name: c.name,
            raw_arguments: c.raw_arguments,
        })
        .collect();
    Ok(canon::Message {
        role: role_in(m.role),
        content,
        tool_calls,
        tool_call_id: m.tool_call_id,
        name: m.name,
    })
}

pub fn message_out(m: &canon::Message) -> wt::Message {
    wt::Message {
        role: role_out(&m.role),
        content: m
            .content
            .iter()
            .map(|p| match p {
                canon::ContentPart::Text { text } => wt::ContentPart::Text(text.clone()),
                canon::ContentPart::Thinking {
                    text,
                    signature,
                    redacted,
                } => wt::ContentPart::Thinking(wt::Thinking {
                    text: text.clone(),
                    signature: signature.clone(),
                    redacted: *redacted,
                }),
                canon::ContentPart::Opaque { json } => wt::ContentPart::Opaque(json.clone()),
            })
            .collect(),
        tool_calls: m
            .tool_calls
            .iter()
            .map(|c| wt::ToolCall {
                id: c.id.clone(),
                name: c.name.clone(),
                raw_arguments: c.raw_arguments.clone(),
                parsed: match &c.parsed {
                    Ok(v) => Ok(v.to_string()),
                    Err(e) => Err(e.clone()),
                },
            })
            .collect(),
        tool_call_id: m.tool_call_id.clone(),
        name: m.name.clone(),
    }
}

pub fn tool_role_in(r: wt::ToolRole) -> Result<canon::ToolRole, String> {
    Ok(match r {
        wt::ToolRole::Shell(s) => canon::ToolRole::Shell {
            command_argument: s.command_argument,
            fixed_arguments: fixed_args(&s.fixed_arguments)?,
        },
        wt::ToolRole::Finish(f) => canon::ToolRole::Finish {
            fixed_arguments: fixed_args(&f.fixed_arguments)?,
        },
        wt::ToolRole::Other => canon::ToolRole::Other,
    })
}

fn fixed_args(text: &str) -> Result<serde_json::Value, String> {
    if text.trim().is_empty() {
        return Ok(serde_json::json!({}));
    }
    let v = parse_json("fixed-arguments", text)?;
    if !v.is_object() {
        return Err("fixed-arguments must be a JSON object".into());
    }
    Ok(v)
}

pub fn tool_spec_in(t: wt::ToolSpec) -> Result<canon::ToolSpec, String> {
    let parameters = parse_json(
        &format!("the parameters schema of tool `{}`", t.name),
        &t.parameters,
    )?;
    Ok(canon::ToolSpec {
        role: tool_role_in(t.role).map_err(|e| format!("tool `{}`: {e}", t.name))?,
        name: t.name,
        description: t.description,
        parameters,
    })
}

pub fn params_in(p: wllm::Params) -> Result<canon::Params, String> {
    Ok(canon::Params {
        max_tokens: p.max_tokens,
        temperature: p.temperature,
        top_p: p.top_p,
        seed: p.seed,
        stop: p.stop,
        logprobs: p.logprobs,
        purpose: match p.purpose {
            wllm::Purpose::Agent => canon::Purpose::Agent,
            wllm::Purpose::Condense => canon::Purpose::Condense,
            wllm::Purpose::Other => canon::Purpose::Other,
        },
        model_role: p.model_role,
        extra: match p.extra {
            Some(text) => {
                let v = parse_json("params.extra", &text)?;
                if !v.is_object() {
                    return Err("params.extra must be a JSON object".into());
                }
                Some(v)
            }
            None => None,
        },
    })
}

pub fn finish_reason_out(f: &canon::FinishReason) -> wt::FinishReason {
    match f {
        canon::FinishReason::Stop => wt::FinishReason::Stop,
        canon::FinishReason::Length => wt::FinishReason::Length,
        canon::FinishReason::ToolCalls => wt::FinishReason::ToolCalls,
        canon::FinishReason::ContentFilter => wt::FinishReason::ContentFilter,
        canon::FinishReason::Other => wt::FinishReason::Other,
    }
}

pub fn usage_out(u: &canon::Usage) -> wt::Usage {
    wt::Usage {
        prompt_tokens: u.prompt_tokens,
        completion_tokens: u.completion_tokens,
        cached_tokens: u.cached_tokens,
        reasoning_tokens: u.reasoning_tokens,
    }
}

pub fn llm_error_out(e: &crate::llm::LlmError) -> wllm::LlmError {
    use crate::llm::LlmError as E;
    match e {
        E::ContextLengthExceeded(m) => wllm::LlmError::ContextLengthExceeded(m.clone()),
        E::BudgetExhausted(m) => wllm::LlmError::BudgetExhausted(m.clone()),
        E::Cancelled => wllm::LlmError::Cancelled,
        E::InvalidRequest(m) => wllm::LlmError::InvalidRequest(m.clone()),
        other => wllm::LlmError::Provider(other.to_string()),
    }
}

pub fn exec_options_in(o: &wsb::ExecOptions) -> sandbox::ExecOptions {
    use std::time::Duration;
    sandbox::ExecOptions {
        timeout: o.timeout_ms.map(|ms| Duration::from_millis(ms.into())),
        soft_timeout: o.soft_timeout_ms.map(|ms| Duration::from_millis(ms.into())),
        cwd: o.cwd.clone(),
        env: o.env.clone(),
        max_output_bytes: o.max_output_bytes.map(|b| b as usize),
    }
}

pub fn exec_result_out(r: sandbox::ExecOutput) -> wsb::ExecResult {
    wsb::ExecResult {
        exit_code: r.exit_code,
        output: r.output,
        truncated: r.truncated,
        timed_out: r.timed_out,
        still_running: r.still_running,
        duration_ms: r.duration.as_millis() as u64,
    }
}

pub fn sandbox_error_out(e: &sandbox::SandboxError) -> wsb::SandboxError {
    use sandbox::SandboxError as E;
    match e {
        E::NotFound(m) => wsb::SandboxError::NotFound(m.clone()),
        E::PermissionDenied(m) => wsb::SandboxError::PermissionDenied(m.clone()),
        E::IsADirectory(m) => wsb::SandboxError::IsADirectory(m.clone()),
        E::NotADirectory(m) => wsb::SandboxError::NotADirectory(m.clone()),
        E::InvalidArgument(m) => wsb::SandboxError::InvalidArgument(m.clone()),
        E::TooLarge(m) => wsb::SandboxError::TooLarge(m.clone()),
        E::NoRunningCommand => wsb::SandboxError::NoRunningCommand,
        E::Busy => wsb::SandboxError::Busy,
        E::Unsupported(m) => wsb::SandboxError::Unsupported(m.clone()),
        other => wsb::SandboxError::Infrastructure(other.to_string()),
    }
}

pub fn file_kind_out(k: &sandbox::FileKind) -> wsb::FileKind {
    match k {
        sandbox::FileKind::File => wsb::FileKind::File,
        sandbox::FileKind::Directory => wsb::FileKind::Directory,
        sandbox::FileKind::Symlink => wsb::FileKind::Symlink,
        sandbox::FileKind::Other => wsb::FileKind::Other,
    }
}
