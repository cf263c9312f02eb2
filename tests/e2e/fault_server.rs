//! A fault-injecting LLM server for the tests: raw HTTP/1.1 on 127.0.0.1 speaking the OpenAI
//! Chat Completions wire format, driven by one plan per model name (the `model` field of the
//! request body). Request N for a model gets step N of its plan (then the plan's fallback):
//! a completion, or a fault the real world produces — 429 with Retry-After in seconds or as
//! an HTTP-date, 5xx, a hang, a body cut short, a body that is not JSON or has no choices,
//! and a 401 that echoes the caller's key the way OpenAI's does. Every request is kept with
//! when it arrived and when its answer ended, so tests can measure the waits in between.
//!
//! It is raw TCP (not axum) because a hang and a cut-short body must be under its control.
//! It never answers a request it cannot parse with anything but a 400.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One scripted answer.
#[derive(Clone, Debug)]
pub enum Step {
    /// A completion with one tool call whose arguments are this raw text (not necessarily
    /// JSON).
    Tool { name: String, raw_arguments: String },
    /// A completion whose text repeats the request's Authorization header and a masked
    /// form of its key (a hostile or broken proxy).
    EchoKeyText,
    /// Any status with this body (e.g. 500, 503).
    Status(u16, String),
    /// 429 with `Retry-After: <seconds>`.
    RetryAfterSecs(u64),
    /// 429 with `Retry-After: <HTTP-date>` that many seconds after the answer is written.
    RetryAfterDate(u64),
    /// 200 announcing more body bytes than it sends, then the connection closes.
    CutShort,
    /// 200 whose body is not JSON.
    NotJson,
    /// 200 with JSON that has no `choices`.
    NoChoices,
    /// Reads the request, never answers; closes when the client gives up.
    Hang,
    /// 401 with OpenAI's message, echoing the key masked (`sk-abcdefgh***wxyz`) and the
    /// whole Authorization header.
    KeyEcho401,
    /// The same echo in a 500 (retried by the client).
    KeyEcho500,
}

impl Step {
    pub fn bash(command: &str) -> Step {
        Step::Tool {
            name: "bash".into(),
            raw_arguments: json!({ "command": command }).to_string(),
        }
    }
    pub fn submit() -> Step {
        Step::Tool {
            name: "submit".into(),
            raw_arguments: "{}".into(),
        }
    }
    /// Short name for test output.
    pub fn label(&self) -> String {
        match self {
            Step::Tool { name, .. } => format!("ok({name})"),
            Step::EchoKeyText => "ok(echo)".into(),
            Step::Status(s, _) => s.to_string(),
            Step::RetryAfterSecs(n) => format!("429 Retry-After: {n}"),
            Step::RetryAfterDate(n) => format!("429 Retry-After: date+{n}s"),
            Step::CutShort => "cut-short".into(),
            Step::NotJson => "not-json".into(),
            Step::NoChoices => "no-choices".into(),
            Step::Hang => "hang".into(),
            Step::KeyEcho401 => "401 echo".into(),
            Step::KeyEcho500 => "500 echo".into(),
        }
    }
}

/// The steps for one model name, then the answer to every later request.
#[derive(Clone, Debug)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub then: Step,
}

/// A request as it was received and answered.
#[derive(Clone, Debug)]
pub struct Seen {
    pub model: String,
    pub step: Step,
    pub body: Value,
    pub authorization: Option<String>,
    pub arrived: Instant,
    pub arrived_wall: SystemTime,
    /// When the answer was fully written (or the client left a hang).
    pub finished: Option<Instant>,
    /// The instant an HTTP-date Retry-After named.
    pub retry_at: Option<SystemTime>,
}

struct State {
    plans: HashMap<String, Plan>,
    next: HashMap<String, usize>,
    seen: Vec<Seen>,
}

pub struct FaultServer {
    pub base_url: String,
    state: Arc<Mutex<State>>,
    _runtime: tokio::runtime::Runtime,
}

impl FaultServer {
    /// Serves `plans` (model name → plan) on a fresh port.
    pub fn start(plans: Vec<(&str, Plan)>) -> FaultServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let state = Arc::new(Mutex::new(State {
            plans: plans.into_iter().map(|(m, p)| (m.to_string(), p)).collect(),
            next: HashMap::new(),
            seen: Vec::new(),
        }));
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("address");
        let shared = state.clone();
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, state).await;
                });
            }
        });
        FaultServer {
            base_url: format!("http://{addr}/v1"),
            state,
            _runtime: runtime,
        }
    }

    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().expect("lock").seen.clone()
    }

    /// The requests for one model, in arrival order.
    pub fn seen_for(&self, model: &str) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.model == model)
            .collect()
    }
}

/// Reads one request (head and Content-Length body). None when the client left early.
async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let len: usize = header(&head, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(Some((head, buf[head_end..head_end + len].to_vec())))
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}

async fn serve(mut stream: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let Some((head, body)) = read_request(&mut stream).await? else {
        return Ok(());
    };
    let arrived = Instant::now();
    let arrived_wall = SystemTime::now();
    let authorization = header(&head, "authorization");
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return respond(
            &mut stream,
            400,
            &[],
            "{\"error\":{\"message\":\"bad JSON\"}}",
        )
        .await;
    };
    let model = body["model"].as_str().unwrap_or_default().to_string();
    let planned = {
        let mut s = state.lock().expect("lock");
        match s.plans.get(&model).cloned() {
            None => None,
            Some(plan) => {
                let n = *s.next.get(&model).unwrap_or(&0);
                s.next.insert(model.clone(), n + 1);
                let step = plan.steps.get(n).cloned().unwrap_or(plan.then);
                s.seen.push(Seen {
                    model: model.clone(),
                    step: step.clone(),
                    body: body.clone(),
                    authorization: authorization.clone(),
                    arrived,
                    arrived_wall,
                    finished: None,
                    retry_at: None,
                });
                Some((s.seen.len() - 1, step, n))
            }
        }
    };
    let Some((index, step, n_for_model)) = planned else {
        let msg = format!("{{\"error\":{{\"message\":\"no plan for model {model}\"}}}}");
        return respond(&mut stream, 404, &[], &msg).await;
    };
    let key = authorization
        .as_deref()
        .unwrap_or_default()
        .trim_start_matches("Bearer ")
        .to_string();
    let mut retry_at = None;
    let result = match &step {
        Step::Tool { .. } | Step::EchoKeyText => {
            let text = completion(&step, &body, n_for_model, authorization.as_deref(), &key);
            respond(&mut stream, 200, &[], &text).await
        }
        Step::Status(status, text) => respond(&mut stream, *status, &[], text).await,
        Step::RetryAfterSecs(n) => {
            let ra = n.to_string();
            respond(&mut stream, 429, &[("retry-after", &ra)], RATE_LIMITED).await
        }
        Step::RetryAfterDate(n) => {
            let at = SystemTime::now() + Duration::from_secs(*n);
            let date = httpdate::fmt_http_date(at);
            // The date has whole seconds: the instant it names is the second it shows.
            retry_at = Some(httpdate::parse_http_date(&date).expect("own date"));
            respond(&mut stream, 429, &[("retry-after", &date)], RATE_LIMITED).await
        }
        Step::CutShort => {
            let full = completion(&Step::submit(), &body, n_for_model, None, "");
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                full.len() + 1000
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&full.as_bytes()[..full.len() / 2]).await?;
            stream.shutdown().await
        }
        Step::NotJson => respond(&mut stream, 200, &[], NOT_JSON).await,
        Step::NoChoices => respond(&mut stream, 200, &[], NO_CHOICES).await,
        Step::Hang => {
            // Until the client closes its end.
            let mut sink = [0u8; 1024];
            let wait = async {
                while stream.read(&mut sink).await? > 0 {}
                Ok::<(), std::io::Error>(())
            };
            match tokio::time::timeout(Duration::from_secs(600), wait).await {
                Ok(r) => r,
                Err(_) => Ok(()),
            }
        }
        Step::KeyEcho401 | Step::KeyEcho500 => {
            let status = if matches!(step, Step::KeyEcho401) {
                401
            } else {
                500
            };
            let text = json!({"error": {
                "message": format!(
                    "Incorrect API key provided: {}. You can find your API key at https://platform.openai.com/account/api-keys.",
                    masked(&key)
                ),
                "type": "invalid_request_error",
                "param": null,
                "code": "invalid_api_key",
                "received_header": format!("Authorization: {}", authorization.as_deref().unwrap_or_default()),
            }})
            .to_string();
            respond(&mut stream, status, &[], &text).await
        }
    };
    let mut s = state.lock().expect("lock");
    s.seen[index].finished = Some(Instant::now());
    s.seen[index].retry_at = retry_at;
    result
}

/// OpenAI's way of showing a key: its first 8 characters, stars, its last 4.
pub fn masked(key: &str) -> String {
    if key.len() < 12 {
        return "***".into();
    }
    format!("{}***{}", &key[..8], &key[key.len() - 4..])
}

const RATE_LIMITED: &str = r#"{"error":{"message":"Rate limit reached for requests","type":"requests","code":"rate_limit_exceeded"}}"#;
pub const NOT_JSON: &str = "<html><body><h1>502 Bad Gateway</h1></body></html>";
pub const NO_CHOICES: &str = r#"{"id":"chatcmpl-x","object":"chat.completion","model":"m"}"#;

fn completion(
    step: &Step,
    body: &Value,
    n: usize,
    authorization: Option<&str>,
    key: &str,
) -> String {
    let message = match step {
        Step::Tool {
            name,
            raw_arguments,
        } => json!({
            "role": "assistant",
            "content": null,
            "tool_calls": [{
                "id": format!("call_{n}"),
                "type": "function",
                "function": { "name": name, "arguments": raw_arguments }
            }]
        }),
        _ => json!({
            "role": "assistant",
            "content": format!(
                "Your header was `{}`, your key {} ({key}).",
                authorization.unwrap_or_default(),
                masked(key)
            )
        }),
    };
    let finish = if matches!(step, Step::Tool { .. }) {
        "tool_calls"
    } else {
        "stop"
    };
    json!({
        "id": format!("chatcmpl-{n}"),
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model").cloned().unwrap_or(json!("fault")),
        "choices": [{ "index": 0, "message": message, "finish_reason": finish }],
        "usage": { "prompt_tokens": 100, "completion_tokens": 7, "total_tokens": 107 }
    })
    .to_string()
}

async fn respond(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {status} Fault\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(body);
    stream.write_all(out.as_bytes()).await?;
    stream.shutdown().await
}
