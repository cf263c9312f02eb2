//! OpenAI Chat Completions (`POST {base_url}/chat/completions`): the codec between the
//! canonical model and the wire JSON, and the HTTP provider that sends it through the one
//! retry layer, recording every attempt. vLLM, llama.cpp, Ollama `/v1` and OpenRouter speak
//! the same format.
//!
//! The provider reads its key at call time and sends it only in the `Authorization` header.
//! It must never put the key in a record, an error or a log line, never retry by itself
//! (reqwest does not retry; [`super::retry`] does), and never repair tool-call arguments.
//!
//! A 200 whose body is not a usable completion is treated as a transient fault: it is
//! recorded and retried like a 503, within the same retry budget. A body cut short (the
//! connection closes before the announced length) and a request past its timeout are
//! transient too. Successful bodies are decoded after any fragment of the key was removed,
//! so a server echoing the key cannot hand it to the plugin or the rows.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Map, Number, Value, json};

use super::redact::{Redactor, Secret};
use super::retry::{self, AttemptInfo, Failure, RetryPolicy};
use super::router::{AttemptRecord, CallOutcome, Price};
use super::types::{
    Completion, ContentPart, FinishReason, LlmError, Message, Request, Role, ToolCall, Usage,
};

/// Where a provider's API key comes from. `Debug` never shows a key.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// No key (local servers).
    None,
    /// The named environment variable, read at call time; it must be set.
    Env(String),
    /// A key given directly (tests, embedding).
    Value(Secret),
}

/// One OpenAI-compatible endpoint.
#[derive(Debug, Clone)]
pub struct OpenAiProvider {
    /// Provider name, the part of model strings before the slash.
    pub name: String,
    /// Base URL up to and including the version, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    pub key: KeySource,
    /// Whole-request timeout (connect + response body).
    pub timeout: Duration,
    pub policy: RetryPolicy,
}

impl OpenAiProvider {
    /// The key for this call, read now. A named variable that is unset is an error naming
    /// the variable (never its value).
    pub fn resolve_key(&self) -> Result<Option<Secret>, LlmError> {
        match &self.key {
            KeySource::None => Ok(None),
            KeySource::Value(s) => Ok(Some(s.clone())),
            KeySource::Env(var) => match std::env::var(var) {
                Ok(v) if !v.trim().is_empty() => Ok(Some(Secret::new(v.trim()))),
                _ => Err(LlmError::Config(format!(
                    "provider `{}` needs an API key in the environment variable {var}, which is not set",
                    self.name
                ))),
            },
        }
    }

    /// Sends `req` to `model` (the part after `provider/`), retrying transient failures.
    /// `model_string` is the full `provider/model` recorded with each attempt.
    pub async fn complete(
        &self,
        client: &reqwest::Client,
        model_string: &str,
        model: &str,
        req: &Request,
        price: Option<Price>,
    ) -> CallOutcome {
        let key = match self.resolve_key() {
            Ok(k) => k,
            Err(e) => return CallOutcome::failed(e),
        };
        let redactor = Redactor::new(key.iter());
        let body = match encode_request(model, req) {
            Ok(v) => v.to_string(),
            Err(e) => return CallOutcome::failed(e),
        };
        let url = format!("{}/chat/completions", self.base_url.trim_end_matches('/'));
        let attempts = Mutex::new(Vec::new());
        let ctx = AttemptCtx {
            provider: self,
            client,
            url: &url,
            body: &body,
            key: key.as_ref(),
            redactor: &redactor,
            model_string,
            price,
            attempts: &attempts,
        };
        let result = retry::run(&self.policy, |info| ctx.attempt(info)).await;
        let attempts = attempts.into_inner().unwrap_or_else(|p| p.into_inner());
        CallOutcome { result, attempts }
    }
}

/// Everything one attempt needs, borrowed for the whole call.
struct AttemptCtx<'a> {
    provider: &'a OpenAiProvider,
    client: &'a reqwest::Client,
    url: &'a str,
    body: &'a str,
    key: Option<&'a Secret>,
    redactor: &'a Redactor,
    model_string: &'a str,
    price: Option<Price>,
    attempts: &'a Mutex<Vec<AttemptRecord>>,
}

impl AttemptCtx<'_> {
    async fn attempt(&self, info: AttemptInfo) -> Result<Completion, Failure> {
        let name = &self.provider.name;
        let started_at = chrono::Utc::now();
        let t0 = Instant::now();
        let mut rb = self
            .client
            .post(self.url)
            .timeout(self.provider.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(self.body.to_string());
        if let Some(k) = self.key {
            rb = rb.bearer_auth(k.expose());
        }
        let sent = rb.send().await;
        let (status, text) = match sent {
            Err(e) => {
                let f = transport_failure(name, self.provider.timeout, &e, false);
                self.record(info, started_at, t0, None, None, &f.error);
                return Err(f);
            }
            Ok(resp) => {
                let status = resp.status().as_u16();
                let retry_after =
                    retry::parse_retry_after(resp.headers(), std::time::SystemTime::now());
                match resp.text().await {
                    Err(e) => {
                        let f = transport_failure(name, self.provider.timeout, &e, true);
                        self.record(info, started_at, t0, Some(status), None, &f.error);
                        return Err(f);
                    }
                    Ok(text) if (200..300).contains(&status) => (status, text),
                    Ok(text) => {
                        let body = self.redactor.redact(&text);
                        let f = status_failure(name, status, &body, retry_after);
                        self.record(info, started_at, t0, Some(status), Some(body), &f.error);
                        return Err(f);
                    }
                }
            }
        };
        // Decoded from the redacted text: a server that echoes the key into a completion
        // must not put it in front of the plugin or into `messages` either.
        let stored = self.redactor.redact_secrets(&text);
        match decode_response(&stored, name, self.model_string) {
            Ok(c) => {
                let cost = self.price.map(|p| p.cost(&c.usage)).unwrap_or(0.0);
                let mut records = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
                records.push(AttemptRecord {
                    attempt: info.number,
                    provider: name.clone(),
                    model: self.model_string.to_string(),
                    request_body: self.redactor.redact_secrets(self.body),
                    response_body: Some(stored),
                    status: Some(status),
                    error: None,
                    latency: t0.elapsed(),
                    started_at,
                    usage: Some(c.usage),
                    cost_usd: cost,
                    wait_before: info.wait_before,
                });
                Ok(c)
            }
            Err(why) => {
                let e = LlmError::Provider(one_line(&self.redactor.redact(&format!(
                    "provider `{name}` returned HTTP {status} with an unusable body: {why}"
                ))));
                self.record(info, started_at, t0, Some(status), Some(stored), &e);
                Err(Failure::transient(e, None))
            }
        }
    }

    fn record(
        &self,
        info: AttemptInfo,
        started_at: chrono::DateTime<chrono::Utc>,
        t0: Instant,
        status: Option<u16>,
        response_body: Option<String>,
        error: &LlmError,
    ) {
        let mut records = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        records.push(AttemptRecord {
            attempt: info.number,
            provider: self.provider.name.clone(),
            model: self.model_string.to_string(),
            request_body: self.redactor.redact_secrets(self.body),
            response_body,
            status,
            error: Some(self.redactor.redact(&error.to_string())),
            latency: t0.elapsed(),
            started_at,
            usage: None,
            cost_usd: 0.0,
            wait_before: info.wait_before,
        });
    }
}

/// A failure before a status arrived, or while reading the body (`reading_body`: the
/// connection closed before the announced length, or stalled): timeouts, connection errors
/// and cut bodies are transient; a request that cannot even be built is permanent.
fn transport_failure(
    provider: &str,
    timeout: Duration,
    e: &reqwest::Error,
    reading_body: bool,
) -> Failure {
    let mut chain = Vec::new();
    let mut src: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = src {
        chain.push(s.to_string());
        src = s.source();
    }
    let detail = one_line(&redact_plain(&chain.join(": ")));
    if e.is_builder() {
        return Failure::permanent(LlmError::Config(format!(
            "provider `{provider}`: invalid request: {detail}"
        )));
    }
    let what = if e.is_timeout() {
        format!("request timed out after {:.1} s", timeout.as_secs_f64())
    } else if e.is_connect() {
        "could not connect".to_string()
    } else if reading_body {
        "the response body was cut short or unreadable".to_string()
    } else {
        "transport error".to_string()
    };
    Failure::transient(
        LlmError::Provider(format!("provider `{provider}`: {what}: {detail}")),
        None,
    )
}

fn redact_plain(s: &str) -> String {
    super::redact::redact_patterns(s)
}

/// Maps a non-2xx answer (body already redacted) to a failure.
fn status_failure(
    provider: &str,
    status: u16,
    body: &str,
    retry_after: Option<Duration>,
) -> Failure {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let err = parsed.as_ref().and_then(|v| v.get("error"));
    let field = |k: &str| {
        err.and_then(|e| e.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let (message, code, kind) = (field("message"), field("code"), field("type"));
    let summary = if !message.is_empty() {
        message.to_string()
    } else if let Some(s) = err.and_then(Value::as_str) {
        s.to_string()
    } else {
        truncate(body, 400)
    };
    let summary = one_line(&summary);
    let lower = summary.to_lowercase();
    let context = code == "context_length_exceeded"
        || kind == "exceed_context_size_error"
        || lower.contains("maximum context length")
        || lower.contains("context length exceeded")
        || lower.contains("exceeds the available context size");
    if (status == 400 || status == 413) && context {
        return Failure::permanent(LlmError::ContextLengthExceeded(format!(
            "provider `{provider}`: {summary}"
        )));
    }
    let e = LlmError::Provider(format!(
        "provider `{provider}` returned HTTP {status}: {summary}"
    ));
    if retry::is_retryable_status(status) && code != "insufficient_quota" {
        Failure::transient(e, retry_after)
    } else {
        Failure::permanent(e)
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &s[..end], s.len())
}

// ---------------------------------------------------------------------------------------
// Codec

/// The request body for `model` (the provider's model name).
pub fn encode_request(model: &str, req: &Request) -> Result<Value, LlmError> {
    let mut body = Map::new();
    body.insert("model".into(), json!(model));
    let messages = req
        .messages
        .iter()
        .map(encode_message)
        .collect::<Result<Vec<_>, _>>()?;
    body.insert("messages".into(), Value::Array(messages));
    if !req.tools.is_empty() {
        let tools = req
            .tools
            .iter()
            .map(|t| {
                json!({"type": "function", "function": {
                    "name": t.name, "description": t.description, "parameters": t.parameters}})
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
    }
    let p = &req.params;
    if let Some(n) = p.max_tokens {
        body.insert("max_tokens".into(), json!(n));
    }
    if let Some(t) = p.temperature {
        body.insert("temperature".into(), f32_json("temperature", t)?);
    }
    if let Some(t) = p.top_p {
        body.insert("top_p".into(), f32_json("top_p", t)?);
    }
    if let Some(s) = p.seed {
        body.insert("seed".into(), json!(s));
    }
    if !p.stop.is_empty() {
        body.insert("stop".into(), json!(p.stop));
    }
    if let Some(n) = p.logprobs {
        body.insert("logprobs".into(), json!(true));
        if n > 0 {
            body.insert("top_logprobs".into(), json!(n));
        }
    }
    match &p.extra {
        None | Some(Value::Null) => {}
        Some(Value::Object(extra)) => {
            for (k, v) in extra {
                body.insert(k.clone(), v.clone());
            }
        }
        Some(_) => {
            return Err(LlmError::InvalidRequest(
                "params.extra must be a JSON object".into(),
            ));
        }
    }
    Ok(Value::Object(body))
}

/// An f32 as the decimal a person wrote (0.7, not 0.699999988079071).
fn f32_json(name: &str, x: f32) -> Result<Value, LlmError> {
    x.to_string()
        .parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
        .ok_or_else(|| LlmError::InvalidRequest(format!("params.{name} is not a finite number")))
}

fn encode_message(m: &Message) -> Result<Value, LlmError> {
    let mut obj = Map::new();
    let role = match m.role {
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
    };
    obj.insert("role".into(), json!(role));
    let mut parts = Vec::new();
    let mut reasoning = String::new();
    for p in &m.content {
        match p {
            ContentPart::Text { text } => parts.push(json!({"type": "text", "text": text})),
            ContentPart::Thinking { text, redacted, .. } => {
                // Redacted/encrypted reasoning cannot be expressed in this format.
                if !redacted {
                    reasoning.push_str(text);
                }
            }
            ContentPart::Opaque { json } => {
                let v: Value = serde_json::from_str(json).map_err(|e| {
                    LlmError::InvalidRequest(format!("an opaque content part is not JSON: {e}"))
                })?;
                parts.push(v);
            }
        }
    }
    let content = match parts.len() {
        0 if m.role == Role::Assistant && !m.tool_calls.is_empty() => Value::Null,
        0 => json!(""),
        1 if parts[0].get("type") == Some(&json!("text")) => parts[0]["text"].clone(),
        _ => Value::Array(parts),
    };
    obj.insert("content".into(), content);
    if m.role == Role::Assistant {
        if !reasoning.is_empty() {
            obj.insert("reasoning_content".into(), json!(reasoning));
        }
        if !m.tool_calls.is_empty() {
            let calls = m
                .tool_calls
                .iter()
                .map(|c| {
                    json!({"id": c.id, "type": "function",
                           "function": {"name": c.name, "arguments": c.raw_arguments}})
                })
                .collect();
            obj.insert("tool_calls".into(), Value::Array(calls));
        }
    } else if !m.tool_calls.is_empty() {
        return Err(LlmError::InvalidRequest(format!(
            "a {role} message cannot carry tool calls"
        )));
    }
    if m.role == Role::Tool {
        let id = m.tool_call_id.as_ref().ok_or_else(|| {
            LlmError::InvalidRequest("a tool message needs the tool_call_id it answers".into())
        })?;
        obj.insert("tool_call_id".into(), json!(id));
    }
    if let Some(name) = &m.name {
        obj.insert("name".into(), json!(name));
    }
    Ok(Value::Object(obj))
}

/// Parses a 2xx body. `provider` prefixes the answering model (`provider/model`);
/// `requested` is used when the body names no model.
pub fn decode_response(body: &str, provider: &str, requested: &str) -> Result<Completion, String> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
        return Err(format!("error object: {}", truncate(&err.to_string(), 300)));
    }
    let choice = v
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .ok_or("no choices")?;
    let msg = choice
        .get("message")
        .filter(|m| m.is_object())
        .ok_or("choice has no message")?;
    let mut content = Vec::new();
    let reasoning = ["reasoning_content", "reasoning"].iter().find_map(|k| {
        msg.get(*k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    });
    if let Some(r) = reasoning {
        content.push(ContentPart::Thinking {
            text: r.to_string(),
            signature: None,
            redacted: false,
        });
    }
    match msg.get("content") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => {
            if !s.is_empty() {
                content.push(ContentPart::text(s.clone()));
            }
        }
        Some(Value::Array(parts)) => {
            for p in parts {
                match (
                    p.get("type").and_then(Value::as_str),
                    p.get("text").and_then(Value::as_str),
                ) {
                    (Some("text"), Some(t)) => content.push(ContentPart::text(t)),
                    _ => content.push(ContentPart::Opaque {
                        json: p.to_string(),
                    }),
                }
            }
        }
        Some(other) => return Err(format!("message content is {other}, not text")),
    }
    if let Some(r) = msg.get("refusal").filter(|r| r.is_string()) {
        content.push(ContentPart::Opaque {
            json: json!({"type": "refusal", "refusal": r}).to_string(),
        });
    }
    let mut tool_calls = Vec::new();
    if let Some(calls) = msg.get("tool_calls").filter(|c| !c.is_null()) {
        let calls = calls.as_array().ok_or("tool_calls is not an array")?;
        for (i, c) in calls.iter().enumerate() {
            let f = c.get("function").ok_or("tool call without function")?;
            let name = f
                .get("name")
                .and_then(Value::as_str)
                .ok_or("tool call without a name")?;
            let raw = match f.get("arguments") {
                Some(Value::String(s)) => s.clone(),
                None | Some(Value::Null) => String::new(),
                // Some servers send an object; its JSON text is what the model produced.
                Some(other) => other.to_string(),
            };
            let id = c
                .get("id")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map_or_else(|| format!("call_{i}"), str::to_string);
            tool_calls.push(ToolCall::from_raw(id, name, raw));
        }
    }
    let finish_reason = match choice.get("finish_reason").and_then(Value::as_str) {
        Some("stop") => FinishReason::Stop,
        Some("length") => FinishReason::Length,
        Some("tool_calls") | Some("function_call") => FinishReason::ToolCalls,
        Some("content_filter") => FinishReason::ContentFilter,
        _ => FinishReason::Other,
    };
    let u = v.get("usage");
    let num = |path: &[&str]| {
        let mut cur = u;
        for k in path {
            cur = cur.and_then(|c| c.get(*k));
        }
        cur.and_then(Value::as_u64).unwrap_or(0)
    };
    let usage = Usage {
        prompt_tokens: num(&["prompt_tokens"]),
        completion_tokens: num(&["completion_tokens"]),
        cached_tokens: num(&["prompt_tokens_details", "cached_tokens"]),
        reasoning_tokens: num(&["completion_tokens_details", "reasoning_tokens"]),
    };
    let model = v
        .get("model")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
        .map_or_else(|| requested.to_string(), |m| format!("{provider}/{m}"));
    Ok(Completion {
        message: Message {
            role: Role::Assistant,
            content,
            tool_calls,
            tool_call_id: None,
            name: None,
        },
        finish_reason,
        usage,
        model,
    })
}

#[cfg(test)]
#[path = "openai_tests.rs"]
mod tests;
