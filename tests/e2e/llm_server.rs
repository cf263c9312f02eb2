//! A scripted LLM server for the tests: a real HTTP server on 127.0.0.1 speaking the OpenAI
//! Chat Completions wire format. It answers request N with reply N of its script and keeps
//! every request body it received, so tests can compare the rows with what was said.

use std::sync::{Arc, Mutex};

use axum::{Json, Router, extract::State, http::StatusCode, routing::post};
use serde_json::{Value, json};

/// One scripted answer.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A single tool call with these arguments.
    Tool(&'static str, Value),
    /// Plain text, no tool call.
    Text(String),
}

impl Reply {
    pub fn bash(command: &str) -> Reply {
        Reply::Tool("bash", json!({ "command": command }))
    }
    pub fn submit() -> Reply {
        Reply::Tool("submit", json!({}))
    }
}

/// Called with the index of each request before it is answered (a blocking closure: it may
/// run commands, e.g. kill the episode's container mid-step).
pub type Hook = Arc<dyn Fn(usize) + Send + Sync>;

#[derive(Clone)]
struct ServerState {
    script: Arc<Vec<Reply>>,
    requests: Arc<Mutex<Vec<Value>>>,
    hook: Option<Hook>,
    /// When set, requests that send no tools (a scaffold's summarizer) are answered with
    /// this text and do not advance the script.
    summary: Option<Arc<String>>,
    /// Script position (requests answered from the script so far).
    position: Arc<Mutex<usize>>,
}

pub struct ScriptedServer {
    pub base_url: String,
    requests: Arc<Mutex<Vec<Value>>>,
    _runtime: tokio::runtime::Runtime,
}

impl ScriptedServer {
    pub fn start(script: Vec<Reply>) -> ScriptedServer {
        ScriptedServer::start_with_hook(script, None)
    }

    /// Like [`ScriptedServer::start`], calling `hook` before answering each request.
    /// Like [`ScriptedServer::start`], answering tool-less requests (condensation calls)
    /// with `summary` without advancing the script.
    pub fn start_with_summaries(script: Vec<Reply>, summary: &str) -> ScriptedServer {
        ScriptedServer::start_inner(script, None, Some(Arc::new(summary.to_string())))
    }

    pub fn start_with_hook(script: Vec<Reply>, hook: Option<Hook>) -> ScriptedServer {
        ScriptedServer::start_inner(script, hook, None)
    }

    fn start_inner(
        script: Vec<Reply>,
        hook: Option<Hook>,
        summary: Option<Arc<String>>,
    ) -> ScriptedServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let state = ServerState {
            script: Arc::new(script),
            requests: requests.clone(),
            hook,
            summary,
            position: Arc::new(Mutex::new(0)),
        };
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("address");
        let app = Router::new()
            .route("/v1/chat/completions", post(complete))
            .with_state(state);
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        ScriptedServer {
            base_url: format!("http://{addr}/v1"),
            requests,
            _runtime: runtime,
        }
    }

    /// Runs `synth run` with `scaffold` against this server as model `openai/scripted`
    /// (see [`crate::common::run_scaffold`]); panics on failure.
    pub fn run(&self, scaffold: &std::path::Path, db: &std::path::Path, extra: &[&str]) {
        crate::common::run_scaffold(
            scaffold,
            db,
            "openai/scripted",
            extra,
            &[
                ("OPENAI_BASE_URL", &self.base_url),
                ("OPENAI_API_KEY", "sk-test-not-a-real-key-000"),
            ],
        );
    }

    /// The text of the last message of each request from the second on: with one call per
    /// reply, the result of reply N is the last message of request N+1 (read there: a
    /// scaffold may collapse old results in later requests).
    pub fn results(&self) -> Vec<String> {
        self.requests()
            .iter()
            .skip(1)
            .map(|r| {
                let last = r["messages"].as_array().and_then(|m| m.last());
                last.and_then(|m| m["content"].as_str())
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    }

    /// The request bodies received so far, in order.
    pub fn requests(&self) -> Vec<Value> {
        self.requests.lock().expect("lock").clone()
    }
}

async fn complete(
    State(state): State<ServerState>,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let n = {
        let mut reqs = state.requests.lock().expect("lock");
        reqs.push(body.clone());
        reqs.len() - 1
    };
    if let Some(hook) = state.hook.clone() {
        tokio::task::spawn_blocking(move || hook(n))
            .await
            .expect("the request hook panicked");
    }
    let tool_less = body
        .get("tools")
        .is_none_or(|t| t.as_array().is_none_or(Vec::is_empty));
    let reply = match &state.summary {
        Some(summary) if tool_less => Reply::Text(summary.to_string()),
        _ => {
            let mut position = state.position.lock().expect("lock");
            let i = *position;
            *position += 1;
            state.script.get(i).cloned().unwrap_or_else(Reply::submit)
        }
    };
    let message = match &reply {
        Reply::Tool(name, args) => json!({
            "role": "assistant",
            "content": null,
            "tool_calls": [{
                "id": format!("call_{n}"),
                "type": "function",
                "function": { "name": name, "arguments": args.to_string() }
            }]
        }),
        Reply::Text(t) => json!({ "role": "assistant", "content": t }),
    };
    let finish = if matches!(reply, Reply::Tool(..)) {
        "tool_calls"
    } else {
        "stop"
    };
    let prompt_tokens = 100 + 10 * n as u64;
    (
        StatusCode::OK,
        Json(json!({
            "id": format!("chatcmpl-{n}"),
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model").cloned().unwrap_or(json!("scripted")),
            "choices": [{ "index": 0, "message": message, "finish_reason": finish }],
            "usage": { "prompt_tokens": prompt_tokens, "completion_tokens": 7, "total_tokens": prompt_tokens + 7 }
        })),
    )
}
