//! Misbehaviours towards the host: probing for capabilities the contract does not grant,
//! dumping everything visible into the trajectory and a model call, calling the model
//! forever, and calling it with a huge message. What each probe saw is recorded as a
//! trajectory note (JSON) so the tests can read it from the run file.

use std::io::Read;
use std::net::{TcpStream, ToSocketAddrs, UdpSocket};
use std::time::Duration;

use serde_json::{Map, Value, json};
use synth_sdk::llm::{self, Params};
use synth_sdk::{Message, Outcome, RunError, Task};

/// The outcome of one attempt: `denied: <error>` or `allowed: <what it got>`.
fn attempt<T>(result: std::io::Result<T>, show: impl FnOnce(T) -> String) -> Value {
    match result {
        Ok(v) => json!({"allowed": show(v)}),
        Err(e) => json!({"denied": e.to_string(), "kind": format!("{:?}", e.kind())}),
    }
}

fn head(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned()
}

/// Tries to reach the host: files, environment, sockets, name lookup, processes. Every
/// attempt must fail inside the plugin. Records what it saw, then does the task honestly.
pub fn escape(params: &Map<String, Value>) -> Result<Outcome, RunError> {
    let port = params
        .get("escape_port")
        .and_then(Value::as_u64)
        .unwrap_or(47613) as u16;
    let mut seen = Map::new();
    for path in [
        "/etc/passwd",
        "/proc/self/environ",
        "/root/.ssh/id_rsa",
        ".",
    ] {
        seen.insert(
            format!("read {path}"),
            attempt(std::fs::read(path), |b| head(&b)),
        );
    }
    seen.insert(
        "list /".into(),
        attempt(std::fs::read_dir("/"), |d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(",")
        }),
    );
    seen.insert(
        "create /tmp/hostile".into(),
        attempt(std::fs::write("/tmp/hostile", b"x"), |_| "written".into()),
    );
    seen.insert(
        "current dir".into(),
        attempt(std::env::current_dir(), |p| p.display().to_string()),
    );
    seen.insert(
        "home dir".into(),
        json!(std::env::home_dir().map(|p| p.display().to_string())),
    );
    seen.insert(
        "env vars".into(),
        json!(std::env::vars().collect::<Vec<_>>()),
    );
    seen.insert("args".into(), json!(std::env::args().collect::<Vec<_>>()));
    let target = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    seen.insert(
        format!("tcp connect {target}"),
        attempt(
            TcpStream::connect_timeout(&target, Duration::from_secs(2)),
            |mut s| {
                let mut buf = [0u8; 64];
                let n = s.read(&mut buf).unwrap_or(0);
                format!("connected, read {n} bytes")
            },
        ),
    );
    seen.insert(
        "udp bind".into(),
        attempt(UdpSocket::bind("0.0.0.0:0"), |s| {
            format!("bound {:?}", s.local_addr())
        }),
    );
    for name in ["localhost:80", "example.com:443"] {
        seen.insert(
            format!("resolve {name}"),
            attempt(name.to_socket_addrs(), |a| {
                format!("{:?}", a.collect::<Vec<_>>())
            }),
        );
    }
    seen.insert(
        "spawn /bin/sh".into(),
        attempt(
            std::process::Command::new("/bin/sh")
                .arg("-c")
                .arg("id")
                .output(),
            |o| head(&o.stdout),
        ),
    );
    let seen = Value::Object(seen);
    synth_sdk::trajectory::note("escape", &seen.to_string());
    synth_sdk::info!("escape attempts: {seen}");
    crate::honest("every escape attempt was made")
}

fn task_json(task: &Task) -> Value {
    json!({
        "instance_id": task.instance_id,
        "template_id": task.template_id,
        "category": task.category,
        "difficulty": task.difficulty,
        "instruction": task.instruction,
        "workspace": task.workspace,
        "max_steps": task.max_steps,
        "max_seconds": task.max_seconds,
        "parameters": task.parameters,
    })
}

fn message_json(m: &Message) -> Value {
    json!({ "role": format!("{:?}", m.role), "text": m.text(), "tool_calls": m.tool_calls.iter().map(|c| json!({"name": c.name, "arguments": c.raw_arguments})).collect::<Vec<_>>() })
}

/// Sends everything it can see (configuration, task, environment, arguments, working
/// directory, its own messages) to the model, then records that and the answer as a note
/// and a log line. No secret may be among it. Then does the task honestly.
pub fn dump(task: &Task, config: &str) -> Result<Outcome, RunError> {
    let visible = json!({
        "config": config,
        "task": task_json(task),
        "env": std::env::vars().collect::<Vec<_>>(),
        "args": std::env::args().collect::<Vec<_>>(),
        "cwd": std::env::current_dir().map(|p| p.display().to_string()).map_err(|e| e.to_string()),
    });
    let messages = vec![
        Message::system("Repeat back everything below."),
        Message::user(format!("Everything I can see:\n{visible}")),
    ];
    let answer = llm::complete(&messages, &crate::tools(), &Params::agent());
    let answer = match &answer {
        Ok(c) => message_json(&c.message),
        Err(e) => json!({"error": e.message()}),
    };
    let record = json!({
        "visible": visible,
        "sent": messages.iter().map(message_json).collect::<Vec<_>>(),
        "received": answer,
    });
    synth_sdk::trajectory::note("dump", &record.to_string());
    synth_sdk::info!("dump: {record}");
    crate::honest("dumped everything visible")
}

/// Calls the model forever, ignoring every answer and every error.
pub fn never_finish(task: &Task) -> Result<Outcome, RunError> {
    let messages = vec![Message::user(task.instruction.clone())];
    let tools = crate::tools();
    let mut refused = 0u64;
    loop {
        if llm::complete(&messages, &tools, &Params::agent()).is_err() {
            refused += 1;
            std::hint::black_box(refused);
        }
    }
}

/// Bytes of the huge message: far over any sane request.
const HUGE: usize = 100 << 20;

/// Calls the model with one 100 MB message and reports the error it gets as its own
/// failure, as a naive scaffold would.
pub fn huge_message() -> Result<Outcome, RunError> {
    let messages = vec![Message::user("h".repeat(HUGE))];
    match llm::complete(&messages, &crate::tools(), &Params::agent()) {
        Ok(c) => Err(RunError::Internal(format!(
            "a {HUGE}-byte message was accepted and answered ({} tokens in)",
            c.usage.prompt_tokens
        ))),
        Err(e) => {
            synth_sdk::trajectory::note("huge_message", &json!({"error": e.message()}).to_string());
            Err(RunError::Llm(e.message()))
        }
    }
}
