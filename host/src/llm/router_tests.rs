//! Tests of model strings, configuration, built-in providers through the router, and a
//! configured local provider end to end.

use super::*;
use crate::llm::oracle::tests::tools;
use crate::llm::test_server::{Reply, TestServer, ok_body};
use crate::llm::types::{FinishReason, Message};

fn ctx(solution: Option<&str>) -> EpisodeContext {
    EpisodeContext {
        episode_key: "ep-1".into(),
        sample: 0,
        solution: solution.map(str::to_string),
        ..EpisodeContext::default()
    }
}

fn request() -> Request {
    Request {
        messages: vec![Message::system("sys"), Message::user("do it")],
        tools: tools(),
        ..Request::default()
    }
}

#[tokio::test]
async fn oracle_and_nop_through_the_router() {
    let router = Router::new(RouterConfig::default()).unwrap();
    let mut req = request();
    let out = router
        .complete("oracle", &ctx(Some("make fix")), &req)
        .await;
    let c = out.result.unwrap();
    assert_eq!(c.model, "oracle");
    let call = &c.message.tool_calls[0];
    assert_eq!(call.name, "bash");
    assert_eq!(call.parsed.as_ref().unwrap()["command"], "make fix");
    assert_eq!(out.attempts.len(), 1);
    let a = &out.attempts[0];
    assert_eq!(
        (a.provider.as_str(), a.model.as_str(), a.status),
        ("oracle", "oracle", None)
    );
    assert_eq!(a.request_body, req.canonical_json());
    let answered: Completion = serde_json::from_str(a.response_body.as_deref().unwrap()).unwrap();
    assert_eq!(answered, c);

    req.messages.push(c.message.clone());
    req.messages.push(Message::tool_result(&call.id, "done"));
    let out = router
        .complete("oracle", &ctx(Some("make fix")), &req)
        .await;
    assert_eq!(out.result.unwrap().message.tool_calls[0].name, "submit");

    let out = router.complete("oracle", &ctx(None), &request()).await;
    assert!(matches!(out.result, Err(LlmError::InvalidRequest(_))));
    assert_eq!(out.attempts.len(), 1);
    assert!(out.attempts[0].error.is_some());

    let out = router.complete("nop", &ctx(None), &request()).await;
    let c = out.result.unwrap();
    assert_eq!(c.finish_reason, FinishReason::ToolCalls);
    assert_eq!(c.message.tool_calls[0].name, "submit");
    assert_eq!(out.attempts[0].provider, "nop");
}

#[test]
fn unknown_models_are_named() {
    let router = Router::new(RouterConfig::default()).unwrap();
    let e = router.check_model("anthropic/claude").unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, LlmError::UnknownModel(_)));
    assert!(text.contains("`anthropic`"), "{text}");
    assert!(text.contains("nop, openai, oracle"), "{text}");
    assert!(!text.contains('\n'));
    assert!(
        router
            .check_model("gpt-4o")
            .unwrap_err()
            .to_string()
            .contains("provider/model")
    );
    assert!(router.check_model("openai/").is_err());
    assert!(router.check_model("oracle").is_ok());
    assert!(router.check_model("nop").is_ok());
}

#[tokio::test]
async fn unknown_model_call_fails_without_attempts() {
    let router = Router::new(RouterConfig::default()).unwrap();
    let out = router.complete("nowhere/x", &ctx(None), &request()).await;
    assert!(matches!(out.result, Err(LlmError::UnknownModel(_))));
    assert!(out.attempts.is_empty());
}

#[test]
fn config_parses_and_errors_name_file_and_field() {
    let text = r#"
connect_timeout_secs = 5

[retry]
base_delay_ms = 10

[providers.vllm]
kind = "openai"
base_url = "http://127.0.0.1:8000/v1"
timeout_secs = 120
max_retries = 2

[providers.router]
kind = "openai"
base_url = "https://openrouter.ai/api/v1"
api_key_env = "OPENROUTER_API_KEY"

[prices."vllm/qwen"]
input_per_mtok = 0.1
output_per_mtok = 0.2
"#;
    let c = RouterConfig::parse(text, "llm.toml").unwrap();
    assert_eq!(c.providers.len(), 2);
    assert_eq!(c.providers["vllm"].timeout_secs, Some(120.0));
    assert_eq!(c.retry.base_delay_ms, Some(10));
    let router = Router::new(c).unwrap();
    assert_eq!(
        router.provider_names(),
        ["nop", "openai", "oracle", "router", "vllm"]
    );
    assert!(router.check_model("vllm/qwen").is_ok());
    assert_eq!(router.price("vllm/qwen").unwrap().input_per_mtok, 0.1);
    assert!(router.price("vllm/other").is_none());
    assert!(router.price("openai/gpt-4o").is_some());

    let bad = "[providers.vllm]\nkind = \"openai\"\nbase_url = \"http://x\"\ntimeout = 3\n";
    let e = RouterConfig::parse(bad, "llm.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("llm.toml:4:1"), "{e}");
    assert!(e.contains("unknown field `timeout`"), "{e}");
    assert!(!e.contains('\n'), "{e}");

    let e = RouterConfig::parse("[prices.\"a/b\"]\ninput = 1\n", "p.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("p.toml:2:1") && e.contains("`input`"), "{e}");
    let e = RouterConfig::parse("[providers.x]\nkind = \"grpc\"\n", "k.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("k.toml:2") && e.contains("grpc"), "{e}");
    let e = RouterConfig::parse("colour = 1\n", "c.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("c.toml:1:1") && e.contains("colour"), "{e}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("llm.toml");
    std::fs::write(&path, "[providers.local]\nkind = \"openai\"\n").unwrap();
    let c = RouterConfig::load(&path).unwrap();
    let e = Router::new(c).unwrap_err().to_string();
    assert!(
        e.contains("llm.toml") && e.contains("needs base_url"),
        "{e}"
    );
    let e = RouterConfig::load(&dir.path().join("missing.toml"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.toml"), "{e}");
    let c = RouterConfig::parse(
        "[providers.nop]\nkind = \"openai\"\nbase_url = \"http://x\"\n",
        "n",
    )
    .unwrap();
    assert!(Router::new(c).is_err());
}

#[test]
fn missing_key_variable_is_named_not_leaked() {
    let c = RouterConfig::parse(
        "[providers.p]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\napi_key_env = \"SYNTH_TEST_SURELY_UNSET_VAR\"\n",
        "x.toml",
    )
    .unwrap();
    let router = Router::new(c).unwrap();
    let e = router.check_model("p/m").unwrap_err().to_string();
    assert!(e.contains("SYNTH_TEST_SURELY_UNSET_VAR"), "{e}");
}

#[tokio::test]
async fn configured_local_provider_end_to_end() {
    let server = TestServer::start(vec![
        Reply::json(503, "{}"),
        Reply::json(200, ok_body("hello from local")),
    ])
    .await;
    let text = format!(
        "[retry]\nbase_delay_ms = 5\n[providers.local]\nkind = \"openai\"\nbase_url = \"{}\"\ntimeout_secs = 5\n[prices.\"local/test-model\"]\ninput_per_mtok = 1.0\noutput_per_mtok = 2.0\n",
        server.base_url
    );
    let router = Router::new(RouterConfig::parse(&text, "t.toml").unwrap()).unwrap();
    let out = router
        .complete("local/test-model", &ctx(None), &request())
        .await;
    let c = out.result.unwrap();
    assert_eq!(c.message.text(), "hello from local");
    assert_eq!(out.attempts.len(), 2);
    let a = &out.attempts[1];
    assert_eq!(
        (a.provider.as_str(), a.model.as_str()),
        ("local", "local/test-model")
    );
    // No cached price given: cached tokens at the input price. (1000 * 1 + 100 * 2) / 1e6
    assert!((a.cost_usd - 0.0012).abs() < 1e-12, "{}", a.cost_usd);
    let sent: serde_json::Value = serde_json::from_str(&server.requests()[0].body).unwrap();
    assert_eq!(sent["model"], "test-model");
    assert_eq!(sent["tools"].as_array().unwrap().len(), 3);
}

#[test]
fn request_hash_separates_samples_and_models() {
    let req = request();
    let h = request_hash("oracle", &req, 0);
    assert_eq!(h.len(), 64);
    assert_eq!(h, request_hash("oracle", &req.clone(), 0));
    assert_ne!(h, request_hash("oracle", &req, 1));
    assert_ne!(h, request_hash("nop", &req, 0));
    let mut other = req.clone();
    other.params.temperature = Some(0.1);
    assert_ne!(h, request_hash("oracle", &other, 0));
}

#[test]
fn price_counts_cached_tokens_once() {
    let p = Price {
        input_per_mtok: 2.0,
        output_per_mtok: 8.0,
        cached_input_per_mtok: Some(0.5),
    };
    let u = Usage {
        prompt_tokens: 1_000_000,
        completion_tokens: 1_000_000,
        cached_tokens: 500_000,
        reasoning_tokens: 200_000,
    };
    assert!((p.cost(&u) - (1.0 + 0.25 + 8.0)).abs() < 1e-9);
}

#[test]
fn complete_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let router = Router::new(RouterConfig::default()).unwrap();
    let (c, r) = (ctx(None), request());
    let fut = router.complete("nop", &c, &r);
    assert_send(&fut);
}

#[test]
fn retry_and_timeout_figures_come_from_the_config() {
    let text = r#"
request_timeout_secs = 2.5

[retry]
max_retries = 3
base_delay_ms = 20
max_delay_secs = 0.5
max_retry_after_secs = 4

[providers.slow]
kind = "openai"
base_url = "http://127.0.0.1:9/v1"
timeout_secs = 30
max_retries = 1
"#;
    let router = Router::new(RouterConfig::parse(text, "r.toml").unwrap()).unwrap();
    let openai = &router.providers["openai"];
    assert_eq!(openai.timeout, Duration::from_millis(2500));
    assert_eq!(
        openai.policy,
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(4),
        }
    );
    let slow = &router.providers["slow"];
    assert_eq!(slow.timeout, Duration::from_secs(30));
    assert_eq!(slow.policy.max_retries, 1);
    assert_eq!(slow.policy.base_delay, Duration::from_millis(20));

    // Defaults without a config.
    let router = Router::new(RouterConfig::default()).unwrap();
    assert_eq!(router.providers["openai"].timeout, DEFAULT_TIMEOUT);
    assert_eq!(router.providers["openai"].policy, RetryPolicy::default());

    // Wrong values name the file and the key, in one line.
    for (bad, want) in [
        (
            "request_timeout_secs = 0\n",
            "request_timeout_secs must be a positive number",
        ),
        (
            "request_timeout_secs = -3\n",
            "request_timeout_secs must be a positive number",
        ),
        (
            "[retry]\nmax_delay_secs = 0\n",
            "retry.max_delay_secs must be a positive number",
        ),
    ] {
        let e = Router::new(RouterConfig::parse(bad, "r.toml").unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains(want), "{bad}: {e}");
    }
    let e = RouterConfig::parse("request_timeout_secs = \"fast\"\n", "r.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains(": r.toml:1:") && !e.contains('\n'), "{e}");
    assert!(e.contains("`request_timeout_secs`: invalid type"), "{e}");
    let e = RouterConfig::parse("[retry]\nmax_retries = -1\n", "r.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains(": r.toml:2:"), "{e}");
}
