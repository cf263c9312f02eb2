//! Tests of the file itself: what is refused and left untouched, migrations, the once-per-
//! process rule, and readability by other DuckDB clients (the PyPI CLI) and `synth query`.

use std::path::PathBuf;
use std::process::{Command as Proc, Stdio};
use std::time::{Duration, Instant};

use duckdb::Connection;

use super::*;

#[tokio::test]
async fn newer_schema_is_refused_and_file_left_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db(&dir);
    let (store, _w) = Store::open(&path).await.expect("open");
    store.close().await.expect("close");
    {
        let conn = Connection::open(&path).expect("open rw");
        conn.execute_batch(
            "UPDATE meta SET value = '99' WHERE key = 'schema_version'; CHECKPOINT;",
        )
        .expect("bump version");
    }
    let before = std::fs::read(&path).expect("read");
    let err = Store::open(&path).await.err().expect("must refuse");
    assert!(
        matches!(
            err,
            StoreError::NewerSchema {
                file_version: 99,
                ..
            }
        ),
        "{err}"
    );
    assert_one_line(
        &err,
        &[&path.display().to_string(), "99", "schema version 1"],
    );
    assert_eq!(std::fs::read(&path).expect("read"), before);
    assert!(!wal(&path).exists());
}

#[tokio::test]
async fn foreign_files_are_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Not DuckDB at all.
    let text = dir.path().join("notes.duckdb");
    std::fs::write(&text, b"these are my notes, not a database\n").expect("write");
    let err = Store::open(&text).await.err().expect("must refuse");
    assert!(matches!(err, StoreError::NotDuckDb { .. }), "{err}");
    assert_one_line(&err, &[&text.display().to_string(), "not a DuckDB"]);
    assert_eq!(
        std::fs::read(&text).expect("read"),
        b"these are my notes, not a database\n"
    );
    assert!(!wal(&text).exists());
    let err = query_to_table(&text, "SELECT 1").expect_err("must refuse");
    assert!(matches!(err, StoreError::NotDuckDb { .. }), "{err}");

    // A DuckDB file of someone else's.
    let other = dir.path().join("other.duckdb");
    {
        let conn = Connection::open(&other).expect("create");
        conn.execute_batch(
            "CREATE TABLE mine (x INTEGER); INSERT INTO mine VALUES (1); CHECKPOINT;",
        )
        .expect("fill");
    }
    let before = std::fs::read(&other).expect("read");
    let err = Store::open(&other).await.err().expect("must refuse");
    assert!(matches!(err, StoreError::NotSynth { .. }), "{err}");
    assert_one_line(&err, &[&other.display().to_string()]);
    assert_eq!(std::fs::read(&other).expect("read"), before);

    // A path whose directory cannot be created (a regular file is in the way).
    let blocked = text.join("run.duckdb");
    let err = Store::open(&blocked).await.err().expect("must fail");
    assert_one_line(&err, &["cannot open", &blocked.display().to_string()]);
}

#[tokio::test]
async fn migrations_apply_forward_generically() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db(&dir);
    let (store, _w) = Store::open(&path).await.expect("open");
    store.close().await.expect("close");
    let conn = Connection::open(&path).expect("open rw");
    let next = [
        schema::Migration {
            version: 1,
            description: "already applied",
            sql: "SELECT error('must not run again')",
        },
        schema::Migration {
            version: 2,
            description: "add a column",
            sql: "ALTER TABLE episodes ADD COLUMN extra VARCHAR;",
        },
    ];
    let v = schema::migrate(&conn, &next, "test").expect("migrate");
    assert_eq!(v, 2);
    assert_eq!(count(&conn, "SELECT count(*) FROM schema_migrations"), 2);
    assert_eq!(schema::read_version(&conn).expect("version"), Some(2));
    assert!(matches!(
        schema::migrate(&conn, schema::MIGRATIONS, "test"),
        Err(schema::MigrateError::Newer { file: 2, code: 1 })
    ));
}

/// The DuckDB CLI from PyPI, or None (skip) outside CI.
fn duckdb_cli() -> Option<&'static str> {
    let ok = Proc::new("duckdb")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some("duckdb");
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("the DuckDB CLI (`pip install duckdb-cli==1.5.6`) is required in CI");
    }
    eprintln!("skipped: no `duckdb` CLI on PATH (pip install duckdb-cli==1.5.6)");
    None
}

async fn finished_file(dir: &tempfile::TempDir) -> PathBuf {
    let path = db(dir);
    let (store, writer) = Store::open(&path).await.expect("open");
    writer.send(Event::RunStarted(run_row()));
    for (i, key) in ["ep-1", "ep-2"].into_iter().enumerate() {
        let attempt = format!("{key}-a1");
        for ev in attempt_events(key, &attempt) {
            writer.send(ev);
        }
        let mut ep = episode(key, &attempt, Status::Completed);
        ep.sample = i as u32;
        ep.resolved = Some(i == 0);
        ep.patch = Some("x".repeat(200));
        ep.termination = None;
        writer.send(Event::EpisodeFinal(ep));
    }
    store.close().await.expect("close");
    path
}

#[tokio::test]
async fn the_pypi_cli_opens_the_file_and_runs_the_analyst_queries() {
    let Some(cli) = duckdb_cli() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = finished_file(&dir).await;
    let sql = "SELECT count(*) FROM episodes; \
               SELECT round(pass_at_k(10, 3, 1), 6), round(pass_at_k(10, 3, 5), 6), \
                      pass_at_k(10, 0, 1), pass_at_k(5, 5, 1); \
               WITH per_task AS (SELECT model, instance_id, count(*) AS n, \
                                        count(*) FILTER (WHERE resolved) AS c \
                                 FROM v_episodes GROUP BY ALL) \
               SELECT model, avg(pass_at_k(n, c, 1)) FROM per_task GROUP BY model; \
               SELECT count(*) FROM v_messages_by_call; \
               SELECT json_extract_string(sampling, '$.temperature') FROM v_episodes LIMIT 1;";
    let out = Proc::new(cli)
        .args(["-readonly", "-csv", "-noheader"])
        .arg(&path)
        .args(["-c", sql])
        .output()
        .expect("run the CLI");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "CLI failed: {}{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        ["2", "0.3,0.916667,0.0,1.0", "oracle,0.5", "4", "0.0"],
        "{stdout}"
    );
}

#[tokio::test]
async fn query_to_table_renders_and_reports_a_locked_file_in_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = finished_file(&dir).await;
    let out = query_to_table(
        &path,
        "SELECT episode_key, sample, termination, patch FROM v_episodes ORDER BY sample",
    )
    .expect("query");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0], "episode_key | sample | termination | patch",
        "{out}"
    );
    assert!(lines[1].starts_with("------------+--------+-"), "{out}");
    assert!(
        lines[2].starts_with("ep-1        |      0 | NULL        | xxxx"),
        "{out}"
    );
    assert!(lines[2].ends_with('…'), "{out}");
    assert_eq!(
        lines[2].split(" | ").last().map(|c| c.chars().count()),
        Some(80)
    );
    assert_eq!(lines.last(), Some(&"(2 rows)"));
    let err = query_to_table(&path, "SELECT nope FROM episodes").expect_err("bad sql");
    assert_one_line(&err, &["query on", "nope"]);

    // A writer in another process holds the file: readers get one clear line.
    let Some(cli) = duckdb_cli() else { return };
    // The CLI opens the file read-write at start and holds it while its stdin is open.
    let spawn = || {
        Proc::new(cli)
            .arg(&path)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the CLI")
    };
    let mut child = spawn();
    let deadline = Instant::now() + Duration::from_secs(20);
    let err = loop {
        std::thread::sleep(Duration::from_millis(100));
        // If our own probe held the file at the moment the CLI started, the CLI gave up:
        // start it again.
        if matches!(child.try_wait(), Ok(Some(_))) {
            child = spawn();
            continue;
        }
        match query_to_table(&path, "SELECT 1") {
            Err(e @ StoreError::Locked { .. }) => break Some(e),
            _ if Instant::now() > deadline => break None,
            _ => {}
        }
    };
    drop(child.stdin.take());
    let _ = child.wait();
    let err = err.expect("the file held by the CLI must be reported as locked");
    assert_one_line(
        &err,
        &[&path.display().to_string(), "locked", "Conflicting lock"],
    );
    // Once the writer is gone the file reads again.
    assert!(query_to_table(&path, "SELECT count(*) FROM runs").is_ok());
}

#[test]
fn table_render_layout() {
    let table = Table {
        columns: vec!["name".into(), "n".into()],
        rows: vec![
            vec![Some("a\nb".into()), Some("7".into())],
            vec![None, Some("12".into())],
        ],
        numeric: vec![false, true],
    };
    assert_eq!(
        table.render(),
        "name | n\n-----+---\na\\nb |  7\nNULL | 12\n(2 rows)\n"
    );
}

#[tokio::test]
async fn a_file_is_opened_once_per_process() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db(&dir);
    let (store, _writer) = Store::open(&path).await.expect("open");
    // Same file through another spelling of the path.
    let other = dir.path().join("runs").join(".").join("run.duckdb");
    let err = Store::open(&other)
        .await
        .err()
        .expect("second open must fail");
    assert_one_line(&err, &["already open in this process"]);
    store.close().await.expect("close");
    let (store, _writer) = Store::open(&other).await.expect("open after close");
    store.close().await.expect("close");
}
