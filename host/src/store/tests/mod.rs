//! Store tests on real DuckDB files in temporary directories. The CLI tests use the DuckDB
//! CLI from PyPI (`pip install duckdb-cli`); without it they skip with a reason, unless
//! CI=true, where they fail.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use duckdb::{AccessMode, Config, Connection};
use serde_json::json;

use super::*;

mod files;
mod finalise;

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_760_000_000 + secs, 123_456_000)
        .single()
        .expect("valid time")
}

fn db(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("runs").join("run.duckdb")
}

fn message(hash: &str, role: &str, text: &str) -> MessageRow {
    MessageRow {
        message_hash: hash.into(),
        role: role.into(),
        content: json!([{"type": "text", "text": text}]),
        tool_calls: json!([]),
        tool_call_id: None,
        name: None,
        text: text.into(),
    }
}

fn episode(key: &str, attempt: &str, status: Status) -> EpisodeRow {
    EpisodeRow {
        episode_key: key.into(),
        attempt_id: attempt.into(),
        run_id: "run-1".into(),
        instance_id: "fix-bug-0123abcd".into(),
        template_id: "fix-bug".into(),
        category: "python".into(),
        difficulty: "easy".into(),
        scaffold: "mini".into(),
        scaffold_version: "0.1.0".into(),
        scaffold_hash: "abc".into(),
        scaffold_config: json!({"max_steps": 30}),
        model: "oracle".into(),
        sampling: json!({"temperature": 0.0}),
        sample: 0,
        status,
        termination: Some("finished".into()),
        reward: Some(1.0),
        resolved: Some(true),
        steps: 2,
        prompt_tokens: 100,
        completion_tokens: 20,
        cached_tokens: 5,
        cost_usd: 0.25,
        wall_ms: 1234,
        image_id: Some("sha256:img".into()),
        patch: Some("diff --git a/x b/x".into()),
        started_at: t(0),
        ended_at: t(60),
    }
}

/// Every row of one attempt except its final row.
fn attempt_events(key: &str, attempt: &str) -> Vec<Event> {
    let call = format!("{attempt}-call-0");
    vec![
        Event::AttemptStarted(AttemptRow {
            attempt_id: attempt.into(),
            episode_key: key.into(),
            run_id: "run-1".into(),
            started_at: t(0),
        }),
        Event::Message(message("h-system", "system", "You are an agent.")),
        Event::Message(message(&format!("h-user-{key}"), "user", "Fix the bug.")),
        Event::CallMessages(CallMessagesRow {
            call_id: call.clone(),
            episode_key: key.into(),
            attempt_id: attempt.into(),
            step_index: 0,
            message_hashes: vec!["h-system".into(), format!("h-user-{key}")],
        }),
        Event::LlmCall(LlmCallRow {
            call_id: call.clone(),
            attempt_no: 1,
            episode_key: key.into(),
            attempt_id: attempt.into(),
            step_index: 0,
            purpose: "agent".into(),
            provider: "oracle".into(),
            model: "oracle".into(),
            request_hash: "req-hash".into(),
            request_body: "{\"messages\":[]}".into(),
            response_body: Some("{\"choices\":[]}".into()),
            status: Some(200),
            error: None,
            latency_ms: 12,
            wait_ms: 0,
            prompt_tokens: Some(50),
            completion_tokens: Some(10),
            cached_tokens: None,
            reasoning_tokens: None,
            cost_usd: 0.0,
            finish_reason: Some("tool_calls".into()),
            response_message_hash: Some("h-assistant".into()),
            started_at: t(1),
        }),
        Event::Message(message("h-assistant", "assistant", "ls")),
        Event::Step(StepRow {
            episode_key: key.into(),
            attempt_id: attempt.into(),
            step_index: 0,
            llm_call_id: Some(call),
            started_at: t(1),
            ended_at: Some(t(3)),
            n_actions: 1,
            prompt_tokens: 50,
            completion_tokens: 10,
        }),
        Event::Action(ActionRow {
            episode_key: key.into(),
            attempt_id: attempt.into(),
            step_index: 0,
            seq: 0,
            op: "exec".into(),
            target: Some("ls".into()),
            exit_code: Some(0),
            output: b"file.py\n".to_vec(),
            truncated: false,
            timed_out: false,
            still_running: false,
            error: None,
            duration_ms: 40,
            started_at: t(2),
        }),
        Event::Note(NoteRow {
            episode_key: key.into(),
            attempt_id: attempt.into(),
            step_index: Some(0),
            kind: "log".into(),
            level: Some("info".into()),
            data: "thinking".into(),
            created_at: t(2),
        }),
        Event::Verification(VerificationRow {
            episode_key: key.into(),
            attempt_id: attempt.into(),
            command: "pytest".into(),
            exit_code: Some(0),
            passed: true,
            timed_out: false,
            output: b"1 passed".to_vec(),
            duration_ms: 900,
            patch: Some("diff".into()),
            started_at: t(50),
        }),
        Event::Score(ScoreRow {
            episode_key: key.into(),
            attempt_id: attempt.into(),
            source: "tests-pass".into(),
            name: "reward".into(),
            value: 1.0,
            step_index: None,
            detail: Some("all tests passed".into()),
        }),
        Event::AttemptEnded(AttemptEnd {
            attempt_id: attempt.into(),
            ended_at: t(60),
            status: Status::Completed,
            termination: Some("finished".into()),
            error: None,
        }),
    ]
}

fn run_row() -> RunRow {
    RunRow {
        run_id: "run-1".into(),
        started_at: t(0),
        args: json!(["synth", "run", "--model", "oracle"]),
        synth_version: "0.1.0".into(),
        synth_revision: Some("deadbeef".into()),
        wasmtime_version: "48.0.8".into(),
        hostname: Some("box".into()),
        config: json!({"concurrency": 2}),
    }
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn read_only(path: &Path) -> Connection {
    let cfg = Config::default()
        .access_mode(AccessMode::ReadOnly)
        .expect("config");
    Connection::open_with_flags(path, cfg).expect("open read-only")
}

async fn cell(store: &Store, sql: &str) -> String {
    let table = store.query(sql).await.expect(sql);
    table.rows[0][0].clone().unwrap_or_else(|| "NULL".into())
}

#[tokio::test]
async fn round_trip_of_every_event_kind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db(&dir);
    let (store, writer) = Store::open(&path).await.expect("open");
    writer.send(Event::RunStarted(run_row()));
    for ev in attempt_events("ep-1", "at-1") {
        writer.send(ev);
    }
    writer.send(Event::EpisodeFinal(episode(
        "ep-1",
        "at-1",
        Status::Completed,
    )));
    writer.send(Event::RunFinished(RunFinish {
        run_id: "run-1".into(),
        finished_at: t(100),
        summary: json!({"episodes": 1, "passed": 1}),
    }));
    writer.flush().await.expect("flush");
    store.close().await.expect("close");
    assert!(!PathBuf::from(format!("{}.wal", path.display())).exists());

    let conn = read_only(&path);
    let tags: String = conn
        .query_row(
            "SELECT CAST(tags AS VARCHAR) FROM duckdb_databases() \
             WHERE database_name = current_database()",
            [],
            |r| r.get(0),
        )
        .expect("storage tag");
    assert!(
        tags.contains(&format!("storage_version={STORAGE_VERSION}")),
        "{tags}"
    );
    for (table, n) in [
        ("runs", 1),
        ("attempts", 1),
        ("episodes", 1),
        ("steps", 1),
        ("messages", 3),
        ("llm_call_messages", 2),
        ("llm_calls", 1),
        ("actions", 1),
        ("verifications", 1),
        ("scores", 1),
        ("notes", 1),
        ("v_episodes", 1),
        ("v_steps", 1),
        ("v_messages_by_call", 2),
    ] {
        assert_eq!(
            count(&conn, &format!("SELECT count(*) FROM {table}")),
            n,
            "{table}"
        );
    }
    let (args, summary, finished, dv): (String, String, String, String) = conn
        .query_row(
            "SELECT args, summary, strftime(finished_at, '%Y-%m-%d %H:%M:%S.%f'), duckdb_version FROM runs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect("runs row");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&args).expect("json"),
        run_row().args
    );
    assert_eq!(summary, r#"{"episodes":1,"passed":1}"#);
    assert_eq!(finished, t(100).format("%Y-%m-%d %H:%M:%S%.6f").to_string());
    assert!(dv.starts_with("v1."), "{dv}");
    let (status, termination, ended): (String, String, bool) = conn
        .query_row(
            "SELECT status, termination, ended_at IS NOT NULL FROM attempts",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("attempt");
    assert_eq!(
        (status.as_str(), termination.as_str(), ended),
        ("completed", "finished", true)
    );
    let ep: (String, f64, bool, i64, String, f64) = conn
        .query_row(
            "SELECT status, reward, resolved, prompt_tokens, sampling, cost_usd FROM episodes",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .expect("episode");
    assert_eq!(
        ep,
        (
            "completed".into(),
            1.0,
            true,
            100,
            r#"{"temperature":0.0}"#.into(),
            0.25
        )
    );
    let order: Vec<String> = conn
        .prepare("SELECT role FROM v_messages_by_call ORDER BY position")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("messages by call");
    assert_eq!(order, ["system", "user"]);
    let call: (Option<i64>, i32, String) = conn
        .query_row(
            "SELECT cached_tokens, status, finish_reason FROM llm_calls",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("llm call");
    assert_eq!(call, (None, 200, "tool_calls".into()));
    let score: (f64, Option<i32>) = conn
        .query_row("SELECT value, step_index FROM scores", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("score");
    assert_eq!(score, (1.0, None));
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM verifications WHERE passed AND output = '1 passed' AND output_raw IS NULL"
        ),
        1
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM notes WHERE kind = 'log' AND step_index = 0"
        ),
        1
    );
    assert_eq!(
        count(&conn, "SELECT max(version) FROM schema_migrations"),
        i64::from(SCHEMA_VERSION)
    );
}

#[tokio::test]
async fn messages_are_stored_once_also_across_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db(&dir);
    let (store, writer) = Store::open(&path).await.expect("open");
    writer.send(Event::Message(message("same", "user", "hi")));
    writer.send(Event::Message(message("same", "user", "hi")));
    writer.flush().await.expect("flush");
    writer.send(Event::Message(message("same", "user", "hi")));
    writer.flush().await.expect("flush");
    assert_eq!(cell(&store, "SELECT count(*) FROM messages").await, "1");
    store.close().await.expect("close");

    let (store, writer) = Store::open(&path).await.expect("reopen");
    writer.send(Event::Message(message("same", "user", "hi")));
    writer.send(Event::Message(message("other", "user", "bye")));
    writer.flush().await.expect("flush");
    assert_eq!(cell(&store, "SELECT count(*) FROM messages").await, "2");
    assert_eq!(
        cell(&store, "SELECT count(DISTINCT message_hash) FROM messages").await,
        "2"
    );
    store.close().await.expect("close");
}

#[tokio::test]
async fn done_keys_count_terminal_statuses_only_and_survive_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db(&dir);
    let (store, writer) = Store::open(&path).await.expect("open");
    for (key, status) in [
        ("ep-completed", Some(Status::Completed)),
        ("ep-truncated", Some(Status::Truncated)),
        ("ep-fault", Some(Status::PluginFault)),
        ("ep-infra", Some(Status::InfraError)),
        ("ep-cancelled", Some(Status::Cancelled)),
        ("ep-running", None),
    ] {
        let attempt = format!("{key}-a1");
        for ev in attempt_events(key, &attempt) {
            writer.send(ev);
        }
        if let Some(status) = status {
            // Flow sends no final row for infra_error/cancelled; one arriving anyway must
            // still not count as done.
            writer.send(Event::EpisodeFinal(episode(key, &attempt, status)));
        }
    }
    let expected: HashSet<String> = ["ep-completed", "ep-truncated", "ep-fault"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(store.done_keys().await.expect("done keys"), expected);
    assert_eq!(cell(&store, "SELECT count(*) FROM v_episodes").await, "3");
    store.close().await.expect("close");

    let (store, _writer) = Store::open(&path).await.expect("reopen");
    assert_eq!(store.done_keys().await.expect("done keys"), expected);
    store.close().await.expect("close");
}

#[tokio::test]
async fn final_row_sent_last_finalises_the_attempt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db(&dir);
    let (store, writer) = Store::open(&path).await.expect("open");
    for ev in attempt_events("ep-1", "at-1") {
        writer.send(ev);
    }
    writer.flush().await.expect("flush");
    // Partial attempt: in the base tables, invisible to the views and to resume.
    for (table, n) in [
        ("steps", "1"),
        ("actions", "1"),
        ("llm_calls", "1"),
        ("v_episodes", "0"),
        ("v_steps", "0"),
        ("v_actions", "0"),
        ("v_llm_calls", "0"),
        ("v_messages_by_call", "0"),
        ("v_scores", "0"),
    ] {
        assert_eq!(
            cell(&store, &format!("SELECT count(*) FROM {table}")).await,
            n,
            "{table}"
        );
    }
    assert!(store.done_keys().await.expect("keys").is_empty());
    writer.send(Event::EpisodeFinal(episode(
        "ep-1",
        "at-1",
        Status::Completed,
    )));
    writer.flush().await.expect("flush");
    for table in [
        "v_episodes",
        "v_steps",
        "v_actions",
        "v_llm_calls",
        "v_scores",
        "v_notes",
    ] {
        assert_eq!(
            cell(&store, &format!("SELECT count(*) FROM {table}")).await,
            "1",
            "{table}"
        );
    }
    assert_eq!(store.done_keys().await.expect("keys").len(), 1);
    store.close().await.expect("close");
}

#[tokio::test]
async fn invalid_utf8_action_output_is_stored_losslessly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db(&dir);
    let (store, writer) = Store::open(&path).await.expect("open");
    let raw = b"ok \xFF\xFE end \xE2\x9C\x93".to_vec();
    for (seq, output) in [(0, raw.clone()), (1, "fine ✓".as_bytes().to_vec())] {
        writer.send(Event::Action(ActionRow {
            episode_key: "ep".into(),
            attempt_id: "at".into(),
            step_index: 0,
            seq,
            op: "exec".into(),
            target: Some("cat bin".into()),
            exit_code: Some(0),
            output,
            truncated: false,
            timed_out: false,
            still_running: false,
            error: None,
            duration_ms: 1,
            started_at: t(0),
        }));
    }
    writer.flush().await.expect("flush");
    store.close().await.expect("close");
    let conn = read_only(&path);
    let (text, blob, n): (String, Vec<u8>, i64) = conn
        .query_row(
            "SELECT output, output_raw, output_bytes FROM actions WHERE seq = 0",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("row");
    assert_eq!(text, "ok \\xFF\\xFE end ✓");
    assert_eq!(blob, raw);
    assert_eq!(n, raw.len() as i64);
    let (text, blob): (String, Option<Vec<u8>>) = conn
        .query_row(
            "SELECT output, output_raw FROM actions WHERE seq = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("row");
    assert_eq!((text.as_str(), blob), ("fine ✓", None));
}

fn assert_one_line(e: &StoreError, must_contain: &[&str]) {
    let msg = e.to_string();
    assert!(!msg.contains('\n'), "not one line: {msg}");
    for s in must_contain {
        assert!(msg.contains(s), "{msg:?} lacks {s:?}");
    }
}

fn wal(path: &Path) -> PathBuf {
    PathBuf::from(format!("{}.wal", path.display()))
}

#[tokio::test]
async fn a_failed_batch_is_reported_not_dropped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db(&dir);
    let (store, writer) = Store::open(&path).await.expect("open");
    // Break the table behind the writer's back: the next appends must fail loudly.
    store.query("DROP VIEW v_steps").await.expect("drop view");
    store.query("DROP TABLE steps").await.expect("drop table");
    for ev in attempt_events("ep-1", "at-1") {
        writer.send(ev);
    }
    let err = writer.flush().await.expect_err("flush must fail");
    assert_one_line(&err, &[&path.display().to_string(), "steps", "rolled back"]);
    // Everything after the failure is refused too, and close reports the first error.
    writer.send(Event::EpisodeFinal(episode(
        "ep-1",
        "at-1",
        Status::Completed,
    )));
    assert!(writer.flush().await.is_err());
    assert!(store.done_keys().await.expect("keys").is_empty());
    let err = store.close().await.expect_err("close reports the error");
    assert!(err.to_string().contains("steps"), "{err}");
}
