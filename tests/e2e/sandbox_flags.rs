//! The containers of a real run carry the hard limits and flags the design promises: while a
//! scripted model keeps an episode busy, the test inspects the episode's container through
//! the Docker CLI (memory with equal swap, CPUs, pids, cap-drop ALL, no-new-privileges, an
//! init process, no network, owner labels) and the episode's own commands report that they
//! run as the non-root agent in the workspace.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::*;
use crate::llm_server::{Reply, ScriptedServer};

/// Containers whose owner label is `pid` (only the child `synth` started by this test).
fn containers_of(pid: u32) -> Vec<String> {
    let out = Command::new("docker")
        .args([
            "ps",
            "-q",
            "--filter",
            &format!("label=synth.owner.pid={pid}"),
        ])
        .output()
        .expect("docker ps");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn inspect(id: &str) -> Value {
    let out = Command::new("docker")
        .args(["inspect", id])
        .output()
        .expect("docker inspect");
    assert!(out.status.success(), "docker inspect {id} failed");
    let all: Value = serde_json::from_slice(&out.stdout).expect("inspect JSON");
    all[0].clone()
}

#[test]
fn a_running_episode_container_has_the_limits_and_flags() {
    if !docker_available() {
        return;
    }
    let script = vec![Reply::bash("id -u; id -un; pwd; sleep 6"), Reply::submit()];
    let server = ScriptedServer::start(script);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("flags.duckdb");
    let scaffold = plugin("mini.wasm");
    let templates = templates();
    let mut child = Command::new(synth_bin())
        .args([
            "run",
            "--scaffold",
            scaffold.to_str().unwrap(),
            "--tasks",
            templates.to_str().unwrap(),
            "--task",
            "inventory-rounding",
            "--model",
            "openai/scripted-model",
            "--db",
            db.to_str().unwrap(),
            "--no-progress",
        ])
        .env("OPENAI_BASE_URL", &server.base_url)
        .env("OPENAI_API_KEY", "sk-test-not-a-real-key-000")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("synth starts");
    let pid = child.id();

    // The container appears once the image is built; the `sleep 6` keeps it alive.
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut found = None;
    while Instant::now() < deadline && found.is_none() {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        found = containers_of(pid).into_iter().next();
        if found.is_none() {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let info = found.as_deref().map(inspect);
    let out = child.wait_with_output().expect("synth ends");
    assert!(out.status.success(), "synth run failed:\n{}", text(&out));
    let info = info.expect("no container of the run was seen while it ran");

    let host = &info["HostConfig"];
    assert_eq!(host["Memory"], 1024 * 1024 * 1024_i64, "memory: {host}");
    assert_eq!(host["MemorySwap"], host["Memory"], "swap must equal memory");
    assert_eq!(host["NanoCpus"], 1_000_000_000_i64);
    assert_eq!(host["PidsLimit"], 256);
    assert_eq!(host["CapDrop"], serde_json::json!(["ALL"]));
    assert_eq!(
        host["SecurityOpt"],
        serde_json::json!(["no-new-privileges"])
    );
    assert_eq!(host["Init"], true);
    assert_eq!(host["NetworkMode"], "none");
    let labels = &info["Config"]["Labels"];
    assert_eq!(labels["synth"], "1");
    assert_eq!(labels["synth.owner.pid"], pid.to_string());
    assert!(
        labels["synth.owner.start"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert!(
        labels["synth.owner.boot"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );

    // The run file names the same run and episode; the agent's command ran as `agent`
    // (uid 1000) in /workspace; the container is gone.
    let conn = open_db(&db);
    assert_eq!(
        strings(&conn, "SELECT run_id FROM runs"),
        vec![labels["synth.run"].as_str().unwrap_or_default().to_string()]
    );
    assert_eq!(
        strings(&conn, "SELECT episode_key FROM v_episodes"),
        vec![
            labels["synth.episode"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        ]
    );
    let output = strings(
        &conn,
        "SELECT output FROM v_actions WHERE op = 'exec' ORDER BY seq LIMIT 1",
    );
    let lines: Vec<&str> = output[0].lines().collect();
    assert_eq!(&lines[..3], ["1000", "agent", "/workspace"], "{output:?}");
    assert!(
        leftover_containers(&conn).is_empty(),
        "containers left behind"
    );
}
