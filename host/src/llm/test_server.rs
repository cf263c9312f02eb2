//! Test-only scripted HTTP/1.1 server on 127.0.0.1 that plays an OpenAI-compatible
//! endpoint: it answers each request with the next scripted reply and records what it got.
//! It must never be compiled outside tests.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Status, extra headers, body. `{AUTH}` in the body becomes the request's
    /// Authorization header value (to test redaction of echoed keys).
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Never answer (until the connection is dropped).
    Hang,
    /// Status line and headers announcing `declared` body bytes, then only `body`, then
    /// the connection is closed.
    CutShort { declared: usize, body: String },
    /// Status line and headers announcing a body, then nothing until the client leaves.
    HangAfterHeaders,
}

impl Reply {
    pub fn json(status: u16, body: impl Into<String>) -> Reply {
        Reply::Respond {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }
    pub fn with_header(status: u16, name: &str, value: &str, body: impl Into<String>) -> Reply {
        Reply::Respond {
            status,
            headers: vec![(name.to_string(), value.to_string())],
            body: body.into(),
        }
    }
}

/// A request as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// Request line and headers.
    pub head: String,
    pub body: String,
}

pub struct TestServer {
    pub base_url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    /// Starts serving `script` in order; once it is used up the last reply repeats.
    pub async fn start(script: Vec<Reply>) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let received = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(script);
        let next = Arc::new(AtomicUsize::new(0));
        let rec = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (rec, script, next) = (rec.clone(), script.clone(), next.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, rec, script, next).await;
                });
            }
        });
        TestServer {
            base_url: format!("http://{addr}/v1"),
            received,
            task,
        }
    }

    pub fn requests(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }
}

async fn serve(
    mut stream: TcpStream,
    rec: Arc<Mutex<Vec<Received>>>,
    script: Arc<Vec<Reply>>,
    next: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    let len: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
    let auth = header("authorization").unwrap_or_default();
    rec.lock().expect("lock").push(Received {
        head: head.clone(),
        body,
    });
    let i = next.fetch_add(1, Ordering::SeqCst);
    let reply = script
        .get(i)
        .or(script.last())
        .cloned()
        .unwrap_or(Reply::Hang);
    match reply {
        Reply::Hang => wait_for_close(stream).await,
        Reply::HangAfterHeaders => {
            let head =
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n";
            stream.write_all(head.as_bytes()).await?;
            wait_for_close(stream).await
        }
        Reply::CutShort { declared, body } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {declared}\r\nconnection: close\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(body.as_bytes()).await?;
            stream.shutdown().await
        }
        Reply::Respond {
            status,
            headers,
            body,
        } => {
            let body = body.replace("{AUTH}", &auth);
            let mut out = format!(
                "HTTP/1.1 {status} Scripted\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            out.push_str(&body);
            stream.write_all(out.as_bytes()).await?;
            stream.shutdown().await
        }
    }
}

/// Holds the connection open until the client closes it (or an hour passes).
async fn wait_for_close(mut stream: TcpStream) -> std::io::Result<()> {
    let mut sink = [0u8; 1024];
    let read_to_end = async {
        while stream.read(&mut sink).await? > 0 {}
        Ok::<(), std::io::Error>(())
    };
    match tokio::time::timeout(Duration::from_secs(3600), read_to_end).await {
        Ok(r) => r,
        Err(_) => Ok(()),
    }
}

/// A minimal successful chat completion with text `text`.
pub fn ok_body(text: &str) -> String {
    serde_json::json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "test-model",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100,
                  "prompt_tokens_details": {"cached_tokens": 400}}
    })
    .to_string()
}
