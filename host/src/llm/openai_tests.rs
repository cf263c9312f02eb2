//! Tests of the OpenAI codec and HTTP provider (against a scripted local server).

use super::*;
use crate::llm::test_server::{Reply, TestServer, ok_body};
use crate::llm::types::{Params, ToolRole, ToolSpec};

const KEY: &str = "sk-synthTESTkey0123456789abcdef";

fn conversation() -> Request {
    let mut assistant = Message::assistant("Let me look.");
    assistant.content.insert(
        0,
        ContentPart::Thinking {
            text: "I should list files.".into(),
            signature: None,
            redacted: false,
        },
    );
    assistant.tool_calls = vec![
        ToolCall::from_raw("call_a", "bash", r#"{"command": "ls"}"#),
        ToolCall::from_raw("call_b", "bash", r#"{"command": "cat a.py"#),
    ];
    let mut user_parts = Message::user("first");
    user_parts.content.push(ContentPart::text("second"));
    Request {
        messages: vec![
            Message::system("You are an agent."),
            Message::user("Fix the bug."),
            assistant,
            Message::tool_result("call_a", "a.py\nb.py"),
            Message::tool_result("call_b", "error: bad arguments"),
            user_parts,
        ],
        tools: vec![ToolSpec {
            name: "bash".into(),
            description: "Run a command.".into(),
            parameters: json!({"type": "object", "properties": {"command": {"type": "string"}}}),
            role: ToolRole::Shell {
                command_argument: "command".into(),
                fixed_arguments: Value::Null,
            },
        }],
        params: Params {
            max_tokens: Some(512),
            temperature: Some(0.7),
            top_p: Some(0.95),
            seed: Some(42),
            stop: vec!["</done>".into()],
            logprobs: Some(3),
            extra: Some(json!({"top_k": 20, "temperature": 0.5})),
            ..Params::default()
        },
    }
}

#[test]
fn request_body_shape() {
    let body = encode_request("gpt-test", &conversation()).unwrap();
    let expected = json!({
        "model": "gpt-test",
        "messages": [
            {"role": "system", "content": "You are an agent."},
            {"role": "user", "content": "Fix the bug."},
            {"role": "assistant", "content": "Let me look.",
             "reasoning_content": "I should list files.",
             "tool_calls": [
                {"id": "call_a", "type": "function",
                 "function": {"name": "bash", "arguments": "{\"command\": \"ls\"}"}},
                {"id": "call_b", "type": "function",
                 "function": {"name": "bash", "arguments": "{\"command\": \"cat a.py"}}
             ]},
            {"role": "tool", "tool_call_id": "call_a", "content": "a.py\nb.py"},
            {"role": "tool", "tool_call_id": "call_b", "content": "error: bad arguments"},
            {"role": "user", "content": [{"type": "text", "text": "first"},
                                         {"type": "text", "text": "second"}]}
        ],
        "tools": [{"type": "function", "function": {"name": "bash",
            "description": "Run a command.",
            "parameters": {"type": "object", "properties": {"command": {"type": "string"}}}}}],
        "max_tokens": 512,
        // `extra` overrides: 0.5, not 0.7.
        "temperature": 0.5,
        "top_p": 0.95,
        "seed": 42,
        "stop": ["</done>"],
        "logprobs": true,
        "top_logprobs": 3,
        "top_k": 20
    });
    assert_eq!(body, expected);
    // 0.7f32 is sent as 0.7.
    let mut req = conversation();
    req.params.extra = None;
    let body = encode_request("m", &req).unwrap().to_string();
    assert!(body.contains("\"temperature\":0.7,"), "{body}");
}

#[test]
fn assistant_with_only_tool_calls_has_null_content() {
    let mut m = Message::assistant("");
    m.content.clear();
    m.tool_calls.push(ToolCall::from_raw("c", "f", "{}"));
    let req = Request {
        messages: vec![m],
        ..Request::default()
    };
    let body = encode_request("m", &req).unwrap();
    assert_eq!(body["messages"][0]["content"], Value::Null);

    let bad = Request {
        messages: vec![Message::new(Role::Tool, "no id")],
        ..Request::default()
    };
    assert!(matches!(
        encode_request("m", &bad),
        Err(LlmError::InvalidRequest(_))
    ));
    let mut extra = Request::default();
    extra.params.extra = Some(json!([1]));
    assert!(matches!(
        encode_request("m", &extra),
        Err(LlmError::InvalidRequest(_))
    ));
}

#[test]
fn response_with_invalid_arguments_keeps_raw_text_and_error() {
    let body = json!({
        "model": "qwen",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": null, "reasoning_content": "thinking...",
            "tool_calls": [
                {"id": "c1", "type": "function",
                 "function": {"name": "bash", "arguments": "{\"command\": \"ls -la\"}"}},
                {"id": "c2", "type": "function",
                 "function": {"name": "bash", "arguments": "{\"command\": \"echo 'unterminated}"}}
            ]}}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 30,
                  "prompt_tokens_details": {"cached_tokens": 100},
                  "completion_tokens_details": {"reasoning_tokens": 12}}
    })
    .to_string();
    let c = decode_response(&body, "vllm", "vllm/requested").unwrap();
    assert_eq!(c.model, "vllm/qwen");
    assert_eq!(c.finish_reason, FinishReason::ToolCalls);
    assert_eq!(
        c.message.content,
        vec![ContentPart::Thinking {
            text: "thinking...".into(),
            signature: None,
            redacted: false
        }]
    );
    let calls = &c.message.tool_calls;
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].parsed, Ok(json!({"command": "ls -la"})));
    assert_eq!(
        calls[1].raw_arguments,
        "{\"command\": \"echo 'unterminated}"
    );
    let err = calls[1].parsed.as_ref().unwrap_err();
    assert!(err.contains("not valid JSON"), "{err}");
    assert_eq!(
        c.usage,
        Usage {
            prompt_tokens: 120,
            completion_tokens: 30,
            cached_tokens: 100,
            reasoning_tokens: 12
        }
    );
    // The decoded message encodes back to the same wire message.
    let req = Request {
        messages: vec![c.message],
        ..Request::default()
    };
    let back = encode_request("m", &req).unwrap();
    let wire: Value = serde_json::from_str(&body).unwrap();
    let sent = &back["messages"][0];
    assert_eq!(
        sent["tool_calls"],
        wire["choices"][0]["message"]["tool_calls"]
    );
    assert_eq!(sent["reasoning_content"], "thinking...");
    assert_eq!(sent["content"], Value::Null);
}

#[test]
fn response_edge_cases() {
    for (reason, want) in [
        ("stop", FinishReason::Stop),
        ("length", FinishReason::Length),
        ("content_filter", FinishReason::ContentFilter),
        ("weird", FinishReason::Other),
    ] {
        let body = json!({"choices": [{"finish_reason": reason,
            "message": {"role": "assistant", "content": "hi"}}]})
        .to_string();
        let c = decode_response(&body, "p", "p/m").unwrap();
        assert_eq!(c.finish_reason, want);
        assert_eq!(c.model, "p/m");
        assert_eq!(c.message.text(), "hi");
        assert_eq!(c.usage, Usage::default());
    }
    assert!(decode_response("not json", "p", "p/m").is_err());
    assert!(decode_response("{\"choices\": []}", "p", "p/m").is_err());
    assert!(decode_response("{\"error\": {\"message\": \"x\"}}", "p", "p/m").is_err());
    // Missing ids are minted, object arguments kept as their JSON text.
    let body = json!({"choices": [{"finish_reason": "tool_calls", "message": {"role": "assistant",
        "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]}}]})
    .to_string();
    let c = decode_response(&body, "p", "p/m").unwrap();
    assert_eq!(c.message.tool_calls[0].id, "call_0");
    assert_eq!(c.message.tool_calls[0].raw_arguments, "{\"a\":1}");
}

fn provider(base_url: &str, key: KeySource, timeout: Duration, max_retries: u32) -> OpenAiProvider {
    OpenAiProvider {
        name: "local".into(),
        base_url: base_url.to_string(),
        key,
        timeout,
        policy: RetryPolicy {
            max_retries,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(5),
        },
    }
}

async fn call(server: &TestServer, key: KeySource, timeout: Duration, retries: u32) -> CallOutcome {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let p = provider(&server.base_url, key, timeout, retries);
    let req = Request {
        messages: vec![Message::user("hello")],
        ..Request::default()
    };
    let price = Price {
        input_per_mtok: 1.0,
        output_per_mtok: 10.0,
        cached_input_per_mtok: Some(0.5),
    };
    p.complete(&client, "local/test-model", "test-model", &req, Some(price))
        .await
}

const SECS: Duration = Duration::from_secs(30);

#[tokio::test]
async fn retry_after_seconds_then_success() {
    let server = TestServer::start(vec![
        Reply::with_header(
            429,
            "retry-after",
            "1",
            r#"{"error":{"message":"slow down"}}"#,
        ),
        Reply::json(200, ok_body("hi")),
    ])
    .await;
    let out = call(&server, KeySource::None, SECS, 5).await;
    let c = out.result.unwrap();
    assert_eq!(c.message.text(), "hi");
    assert_eq!(c.model, "local/test-model");
    let a = &out.attempts;
    assert_eq!(a.len(), 2);
    assert_eq!((a[0].attempt, a[0].status), (1, Some(429)));
    assert!(a[0].error.as_deref().unwrap().contains("slow down"));
    assert_eq!((a[1].attempt, a[1].status), (2, Some(200)));
    assert!(
        a[1].wait_before >= Duration::from_secs(1),
        "{:?}",
        a[1].wait_before
    );
    assert_eq!(a[1].usage.unwrap().cached_tokens, 400);
    // 600 uncached * 1 + 400 cached * 0.5 + 100 out * 10, per million.
    assert!((a[1].cost_usd - 0.0018).abs() < 1e-12, "{}", a[1].cost_usd);
    assert_eq!(a[1].request_body, server.requests()[1].body);
    assert!(
        !server.requests()[0]
            .head
            .to_lowercase()
            .contains("authorization")
    );
}

#[tokio::test]
async fn retry_after_http_date() {
    let when = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(2));
    let server = TestServer::start(vec![
        Reply::with_header(429, "Retry-After", &when, "{}"),
        Reply::json(200, ok_body("ok")),
    ])
    .await;
    let out = call(&server, KeySource::None, SECS, 5).await;
    assert!(out.result.is_ok());
    assert_eq!(out.attempts.len(), 2);
    let w = out.attempts[1].wait_before;
    assert!(
        w >= Duration::from_millis(900) && w <= Duration::from_secs(3),
        "{w:?}"
    );
}

#[tokio::test]
async fn server_errors_then_success() {
    let server = TestServer::start(vec![
        Reply::json(500, "oops"),
        Reply::json(503, "{}"),
        Reply::json(200, ok_body("third time")),
    ])
    .await;
    let out = call(&server, KeySource::None, SECS, 5).await;
    assert_eq!(out.result.unwrap().message.text(), "third time");
    let statuses: Vec<_> = out.attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(500), Some(503), Some(200)]);
    assert_eq!(out.attempts[1].response_body.as_deref(), Some("{}"));
}

#[tokio::test]
async fn bad_request_is_not_retried() {
    let server = TestServer::start(vec![
        Reply::json(400, r#"{"error":{"message":"bad param","code":"invalid"}}"#),
        Reply::json(200, ok_body("never")),
    ])
    .await;
    let out = call(&server, KeySource::None, SECS, 5).await;
    let e = out.result.unwrap_err();
    assert!(
        matches!(&e, LlmError::Provider(m) if m.contains("HTTP 400") && m.contains("bad param"))
    );
    assert_eq!(out.attempts.len(), 1);
    assert_eq!(server.requests().len(), 1);

    let server = TestServer::start(vec![Reply::json(
        400,
        r#"{"error":{"message":"This model's maximum context length is 8192 tokens.","code":"context_length_exceeded"}}"#,
    )])
    .await;
    let out = call(&server, KeySource::None, SECS, 5).await;
    assert!(matches!(
        out.result,
        Err(LlmError::ContextLengthExceeded(_))
    ));
    assert_eq!(out.attempts.len(), 1);
}

#[tokio::test]
async fn malformed_200_is_retried_as_transient() {
    let server = TestServer::start(vec![
        Reply::json(200, "{\"choices\": "),
        Reply::json(200, ok_body("fine")),
    ])
    .await;
    let out = call(&server, KeySource::None, SECS, 5).await;
    assert_eq!(out.result.unwrap().message.text(), "fine");
    assert_eq!(out.attempts.len(), 2);
    assert!(
        out.attempts[0]
            .error
            .as_deref()
            .unwrap()
            .contains("unusable body")
    );
}

#[tokio::test]
async fn hanging_server_times_out_and_retries() {
    let server = TestServer::start(vec![Reply::Hang]).await;
    let out = call(&server, KeySource::None, Duration::from_millis(300), 2).await;
    let e = out.result.unwrap_err();
    assert!(e.to_string().contains("timed out"), "{e}");
    assert_eq!(out.attempts.len(), 3);
    for (i, a) in out.attempts.iter().enumerate() {
        assert_eq!(a.attempt as usize, i + 1);
        assert_eq!(a.status, None);
        assert!(a.error.as_deref().unwrap().contains("timed out"));
        assert!(a.latency >= Duration::from_millis(250));
    }
}

#[tokio::test]
async fn connection_refused_is_retried() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let p = provider(
        &format!("http://127.0.0.1:{port}/v1"),
        KeySource::None,
        SECS,
        1,
    );
    let req = Request {
        messages: vec![Message::user("x")],
        ..Request::default()
    };
    let out = p
        .complete(&reqwest::Client::new(), "local/m", "m", &req, None)
        .await;
    assert!(
        out.result
            .unwrap_err()
            .to_string()
            .contains("could not connect")
    );
    assert_eq!(out.attempts.len(), 2);
}

#[tokio::test]
async fn echoed_key_is_redacted_everywhere() {
    let server = TestServer::start(vec![Reply::json(
        401,
        r#"{"error":{"message":"Incorrect API key provided: {AUTH}. Header was Authorization: {AUTH}","code":"invalid_api_key"}}"#,
    )])
    .await;
    let key = KeySource::Value(Secret::new(KEY));
    let out = call(&server, key, SECS, 5).await;
    // The key was sent...
    assert!(server.requests()[0].head.contains(&format!("Bearer {KEY}")));
    // ...but appears nowhere we keep.
    let e = out.result.unwrap_err();
    assert_eq!(out.attempts.len(), 1);
    let a = &out.attempts[0];
    let mut kept = vec![
        e.to_string(),
        a.request_body.clone(),
        format!("{a:?}"),
        format!("{e:?}"),
    ];
    kept.extend(a.response_body.clone());
    kept.extend(a.error.clone());
    for text in &kept {
        for w in KEY.as_bytes().windows(8) {
            let frag = std::str::from_utf8(w).unwrap();
            assert!(!text.contains(frag), "fragment {frag} in {text}");
        }
    }
    assert!(a.response_body.as_deref().unwrap().contains("[REDACTED]"));
}

#[tokio::test]
async fn masked_key_echo_is_redacted() {
    // OpenAI's own 401 shows the key's first characters and last four around stars.
    let masked = format!("{}***{}", &KEY[..8], &KEY[KEY.len() - 4..]);
    let body = format!(
        r#"{{"error":{{"message":"Incorrect API key provided: {masked}. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","code":"invalid_api_key"}}}}"#
    );
    let server = TestServer::start(vec![Reply::json(401, body)]).await;
    let out = call(&server, KeySource::Value(Secret::new(KEY)), SECS, 5).await;
    let e = out.result.unwrap_err();
    assert_eq!(out.attempts.len(), 1, "a 401 is never retried");
    let a = &out.attempts[0];
    let kept = [
        e.to_string(),
        a.error.clone().unwrap_or_default(),
        a.response_body.clone().unwrap_or_default(),
    ];
    for text in &kept {
        assert!(!text.contains(&masked), "{text}");
        assert!(!text.contains(&KEY[KEY.len() - 4..]), "suffix in {text}");
        assert!(!text.contains(&KEY[..8]), "prefix in {text}");
    }
    assert!(
        kept[2].contains("Incorrect API key provided: [REDACTED]."),
        "{}",
        kept[2]
    );
}

#[tokio::test]
async fn cut_short_body_is_retried_as_transport_error() {
    let ok = ok_body("after the cut");
    let server = TestServer::start(vec![
        Reply::CutShort {
            declared: ok.len() + 500,
            body: ok[..40].to_string(),
        },
        Reply::json(200, ok.clone()),
    ])
    .await;
    let out = call(&server, KeySource::None, SECS, 5).await;
    assert_eq!(out.result.unwrap().message.text(), "after the cut");
    let a = &out.attempts;
    assert_eq!(a.len(), 2);
    assert_eq!((a[0].attempt, a[0].status), (1, Some(200)));
    let err = a[0].error.as_deref().unwrap();
    assert!(err.contains("cut short"), "{err}");
    assert_eq!(a[0].response_body, None);
    assert_eq!(a[0].usage, None);
    assert_eq!(
        (a[1].attempt, a[1].status, a[1].error.as_deref()),
        (2, Some(200), None)
    );
}

#[tokio::test]
async fn stalled_body_times_out_and_retries() {
    let server = TestServer::start(vec![
        Reply::HangAfterHeaders,
        Reply::json(200, ok_body("ok")),
    ])
    .await;
    let out = call(&server, KeySource::None, Duration::from_millis(300), 5).await;
    assert!(out.result.is_ok());
    let a = &out.attempts[0];
    assert_eq!(a.status, Some(200));
    assert!(a.error.as_deref().unwrap().contains("timed out"), "{a:?}");
    assert!(a.latency >= Duration::from_millis(250), "{:?}", a.latency);
    assert_eq!(out.attempts.len(), 2);
}

#[tokio::test]
async fn malformed_bodies_are_kept_and_retried() {
    let no_choices = r#"{"id":"chatcmpl-9","object":"chat.completion","usage":{}}"#;
    let html = "<html><body>502 Bad Gateway</body></html>";
    let server = TestServer::start(vec![
        Reply::json(200, no_choices),
        Reply::json(200, html),
        Reply::json(200, r#"{"error":{"message":"upstream overloaded"}}"#),
        Reply::json(200, ok_body("finally")),
    ])
    .await;
    let out = call(&server, KeySource::None, SECS, 5).await;
    assert_eq!(out.result.unwrap().message.text(), "finally");
    let a = &out.attempts;
    assert_eq!(a.len(), 4);
    for (i, want) in ["no choices", "not JSON", "upstream overloaded"]
        .iter()
        .enumerate()
    {
        let err = a[i].error.as_deref().unwrap();
        assert!(err.contains("unusable body") && err.contains(want), "{err}");
        assert_eq!(a[i].status, Some(200));
    }
    // The raw bodies are kept as received.
    assert_eq!(a[0].response_body.as_deref(), Some(no_choices));
    assert_eq!(a[1].response_body.as_deref(), Some(html));
}

#[tokio::test]
async fn client_errors_are_never_retried() {
    for (status, body) in [
        (400, r#"{"error":{"message":"bad"}}"#),
        (401, r#"{"error":{"message":"no key"}}"#),
        (403, "forbidden"),
        (404, r#"{"error":{"message":"no such model"}}"#),
        (422, "{}"),
        (
            429,
            r#"{"error":{"message":"You exceeded your current quota","code":"insufficient_quota"}}"#,
        ),
    ] {
        let server = TestServer::start(vec![
            Reply::with_header(status, "retry-after", "0", body),
            Reply::json(200, ok_body("never")),
        ])
        .await;
        let out = call(&server, KeySource::None, SECS, 5).await;
        let e = out.result.unwrap_err();
        assert!(
            matches!(&e, LlmError::Provider(m) if m.contains(&format!("HTTP {status}"))),
            "{status}: {e}"
        );
        assert_eq!(out.attempts.len(), 1, "{status}");
        assert_eq!(server.requests().len(), 1, "{status}");
    }
}

#[tokio::test]
async fn retry_budget_ends_in_a_typed_provider_error() {
    // Always 429 with a short Retry-After: exactly max_retries + 1 attempts, each wait the
    // one asked for, then the last error.
    let server = TestServer::start(vec![Reply::with_header(
        429,
        "retry-after",
        "0.05",
        r#"{"error":{"message":"rate limited"}}"#,
    )])
    .await;
    let out = call(&server, KeySource::None, SECS, 3).await;
    let e = out.result.unwrap_err();
    assert!(
        matches!(&e, LlmError::Provider(m) if m.contains("HTTP 429") && m.contains("rate limited")),
        "{e}"
    );
    let a = &out.attempts;
    assert_eq!(a.len(), 4);
    assert_eq!(server.requests().len(), 4);
    assert_eq!(a[0].wait_before, Duration::ZERO);
    for (i, at) in a.iter().enumerate() {
        assert_eq!(at.attempt as usize, i + 1);
        assert_eq!(at.status, Some(429));
        if i > 0 {
            assert_eq!(at.wait_before, Duration::from_millis(50));
            let gap = (at.started_at - a[i - 1].started_at).to_std().unwrap();
            assert!(gap >= Duration::from_millis(50), "{gap:?}");
        }
    }

    // Always 503 without Retry-After: jittered waits under the exponential ceiling.
    let server = TestServer::start(vec![Reply::json(503, "{}")]).await;
    let out = call(&server, KeySource::None, SECS, 4).await;
    assert!(matches!(out.result, Err(LlmError::Provider(ref m)) if m.contains("HTTP 503")));
    assert_eq!(out.attempts.len(), 5);
    for (i, at) in out.attempts.iter().enumerate().skip(1) {
        // base 10 ms doubling, capped at 50 ms (see `provider`).
        let ceiling = Duration::from_millis((10u64 << (i - 1)).min(50));
        assert!(
            at.wait_before <= ceiling,
            "attempt {}: {:?}",
            i + 1,
            at.wait_before
        );
    }
}

#[tokio::test]
async fn key_echoed_in_a_completion_reaches_neither_the_answer_nor_the_row() {
    let masked = format!("{}***{}", &KEY[..8], &KEY[KEY.len() - 4..]);
    let server = TestServer::start(vec![Reply::json(
        200,
        ok_body(&format!("your header: {{AUTH}}; your key: {masked}")),
    )])
    .await;
    let out = call(&server, KeySource::Value(Secret::new(KEY)), SECS, 5).await;
    let c = out.result.unwrap();
    let kept = [
        c.message.text(),
        out.attempts[0].response_body.clone().unwrap_or_default(),
    ];
    for text in &kept {
        assert!(text.contains("your header: Bearer [REDACTED]"), "{text}");
        assert!(!text.contains(&KEY[KEY.len() - 4..]), "{text}");
        for w in KEY.as_bytes().windows(8) {
            assert!(!text.contains(std::str::from_utf8(w).unwrap()), "{text}");
        }
    }
}
