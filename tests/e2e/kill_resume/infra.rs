//! Faults of the infrastructure: a container that dies mid-episode is an infrastructure
//! failure, kept apart from agent failures and retried by a new attempt; a Docker engine
//! that cannot be reached at start is one line naming the socket, and the run file is left
//! untouched.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use super::*;
use crate::llm_server::{Hook, Reply, ScriptedServer};

#[test]
fn a_container_killed_mid_episode_is_an_infra_error_retried_by_a_new_attempt() {
    if !docker_available() {
        return;
    }
    let owner = Arc::new(AtomicU32::new(0));
    let killed = Arc::new(Mutex::new(Vec::<String>::new()));
    let hook: Hook = {
        let owner = owner.clone();
        let killed = killed.clone();
        // Before answering the second request (the first command has run), kill the
        // episode's container and wait until it has stopped.
        Arc::new(move |n: usize| {
            if n != 1 {
                return;
            }
            let ids = containers_of_pid(owner.load(Ordering::SeqCst));
            for id in &ids {
                let _ = Command::new("docker").args(["kill", id]).output();
                let _ = Command::new("docker").args(["wait", id]).output();
            }
            killed.lock().expect("lock").extend(ids);
        })
    };
    let script = vec![
        Reply::bash("echo before-the-kill"),
        Reply::bash("echo after-the-kill"),
        // Then the default: submit.
    ];
    let server = ScriptedServer::start_with_hook(script, Some(hook));
    let w = Workload::new(
        "container-dies",
        "inventory-rounding",
        "openai/scripted-model",
        1,
    );
    let mut reaper = Reaper::default();
    let env = [
        ("OPENAI_BASE_URL", server.base_url.as_str()),
        ("OPENAI_API_KEY", "sk-test-not-a-real-key-000"),
    ];
    let child = w.command(&env).spawn().expect("synth starts");
    owner.store(child.id(), Ordering::SeqCst);
    reaper.watch(child.id());
    let out = child.wait_with_output().expect("synth ends");
    assert!(out.status.success(), "{}", text(&out));
    let killed = killed.lock().expect("lock").clone();
    assert_eq!(
        killed.len(),
        1,
        "one container killed mid-episode: {killed:?}"
    );
    assert!(
        containers_of_pid(owner.load(Ordering::SeqCst)).is_empty(),
        "containers left behind"
    );

    let conn = open_db(&w.db);
    let attempts = strings(
        &conn,
        "SELECT status || ' | ' || coalesce(error, termination, '') FROM attempts ORDER BY started_at",
    );
    eprintln!("attempts: {attempts:#?}");
    assert!(
        (2..=3).contains(&attempts.len()),
        "a bounded retry: {attempts:?}"
    );
    assert!(
        attempts[0].starts_with("infra_error | ") && attempts[0].len() > "infra_error | ".len(),
        "the attempt whose container died is an infrastructure failure with a reason: {attempts:?}"
    );
    assert!(
        attempts.last().is_some_and(|a| a.starts_with("completed")),
        "a later attempt completes the episode: {attempts:?}"
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM attempts WHERE status = 'plugin_fault'"
        ),
        0,
        "an infrastructure failure was blamed on the agent"
    );
    assert_eq!(
        strings(&conn, "SELECT status FROM v_episodes"),
        vec!["completed".to_string()]
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM v_episodes e JOIN attempts a USING (attempt_id)
             WHERE a.started_at = (SELECT max(started_at) FROM attempts)"
        ),
        1,
        "the final row is the last attempt's"
    );
    // The failed attempt's rows stay in the base tables for debugging, out of the views.
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM actions WHERE target = 'echo before-the-kill'"
        ),
        1
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM v_actions WHERE target LIKE 'echo %the-kill'"
        ),
        0
    );
    assert!(leftover_containers(&conn).is_empty());
}

/// Creates a run file with the store itself (no Docker needed).
fn make_run_file(path: &Path) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let (store, _writer) = synth::store::Store::open(path).await.expect("open");
        store.close().await.expect("close");
    });
}

#[test]
fn docker_unreachable_at_start_is_one_line_naming_the_socket_and_the_file_is_untouched() {
    let socket = "unix:///nonexistent-synth-test.sock";
    let w = Workload::standard("unreachable");
    make_run_file(&w.db);
    let bytes = std::fs::read(&w.db).expect("run file");
    let out = w
        .command(&[("DOCKER_HOST", socket)])
        .output()
        .expect("synth runs");
    assert!(!out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line:\n{}", text(&out));
    assert!(
        lines[0].starts_with("error: ") && lines[0].contains(socket),
        "the line names the socket: {}",
        lines[0]
    );
    assert_eq!(
        std::fs::read(&w.db).expect("run file"),
        bytes,
        "the run file was modified"
    );
    let wal = PathBuf::from(format!("{}.wal", w.db.display()));
    assert!(!wal.exists(), "a WAL appeared beside the run file");
    eprintln!("docker unreachable: {}", lines[0]);
}
