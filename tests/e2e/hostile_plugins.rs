//! Hostile plugins. One `synth run` expands tests/templates/hostile/plugin-faults into one
//! instance per misbehaviour of the hostile test scaffold (tests/plugins/hostile) and runs
//! each beside the mini scaffold with the oracle. From the run file: every misbehaviour
//! ended its own episode only, with the expected status and a termination naming the
//! cause, within a bounded time; the honest hostile episode and every mini episode passed;
//! the run exited 0, its own log stayed small, and no container was left behind.
//! A second test runs the `dump` behaviour against a scripted server with a distinctive
//! fake API key and scans every stored value for it.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use crate::common::*;
use crate::llm_server::{Reply, ScriptedServer};

/// The `escape_port` of the template: the escape behaviour tries to connect to it.
const ESCAPE_PORT: u16 = 47613;
/// The hostile plugin's deliberate panic text (tests/plugins/hostile/src/faults.rs).
const PANIC_TEXT: &str = "hostile panic: the flux capacitor overflowed (7f3a)";
const CPU_SECS: &str = "3";
const MEMORY_MB: &str = "256";

fn hostile_templates() -> PathBuf {
    repo_root().join("tests/templates/hostile")
}

/// Instance id -> behaviour, from the template itself (the same expansion synth runs).
fn behaviours() -> BTreeMap<String, String> {
    let templates = synth::task::load_dir(&hostile_templates()).expect("hostile templates load");
    let mut map = BTreeMap::new();
    for t in templates {
        for i in synth::task::expand(&Arc::new(t)) {
            let b = i.parameters["behaviour"]
                .as_str()
                .expect("behaviour")
                .to_string();
            map.insert(i.instance_id, b);
        }
    }
    map
}

/// What one behaviour's episode must show.
struct Expect {
    status: &'static str,
    /// Texts the termination must contain.
    termination: &'static [&'static str],
    /// Whether the sealed test must pass (the behaviour recovered and did the job).
    passes: bool,
}

fn expectations() -> BTreeMap<&'static str, Expect> {
    let done = |status| Expect {
        status,
        termination: &["submitted"],
        passes: true,
    };
    let fault = |termination| Expect {
        status: "plugin_fault",
        termination,
        passes: false,
    };
    BTreeMap::from([
        ("honest", done("completed")),
        ("slow-host", done("completed")),
        ("log-flood", done("completed")),
        ("log-giant", done("completed")),
        ("stderr-flood", done("completed")),
        ("escape", done("completed")),
        ("dump", done("completed")),
        (
            "loop",
            fault(&["cpu_budget: the plugin used more than 3s of CPU"]),
        ),
        (
            "memory",
            fault(&["memory_limit: the plugin's linear memory reached its cap of 256 MiB"]),
        ),
        (
            "trap-unreachable",
            fault(&[
                "trap: wasm `unreachable` instruction executed",
                "trap_unreachable",
            ]),
        ),
        (
            "trap-oob",
            fault(&["trap: out of bounds memory access", "trap_out_of_bounds"]),
        ),
        ("panic", fault(&["trap: wasm `unreachable`", PANIC_TEXT])),
        (
            "stderr-flood-panic",
            fault(&["trap: wasm `unreachable`", PANIC_TEXT]),
        ),
        (
            "recursion",
            fault(&["stack_exhausted: the plugin's call stack ran out", "dive"]),
        ),
        (
            "recursion-host",
            // It may run out in the import's generated wrapper: no frame name checked.
            fault(&["stack_exhausted: the plugin's call stack ran out"]),
        ),
        (
            "huge-message",
            fault(&["llm_error: invalid request", "16 MiB"]),
        ),
        (
            "never-finish",
            Expect {
                status: "truncated",
                termination: &["step_limit: the plugin kept calling the model", "5 steps"],
                passes: false,
            },
        ),
    ])
}

fn run_hostile(
    db: &Path,
    model: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (std::process::Output, f64) {
    let hostile = plugin("hostile.wasm");
    let scorer = plugin("tests-pass.wasm");
    let tasks = hostile_templates();
    let mut args = vec![
        "run",
        "--scaffold",
        hostile.to_str().expect("utf-8 path"),
        "--scorer",
        scorer.to_str().expect("utf-8 path"),
        "--tasks",
        tasks.to_str().expect("utf-8 path"),
        "--model",
        model,
        "--db",
        db.to_str().expect("utf-8 path"),
        "--no-progress",
        "--plugin-cpu-secs",
        CPU_SECS,
        "--plugin-memory-mb",
        MEMORY_MB,
    ];
    args.extend_from_slice(extra);
    let started = Instant::now();
    let out = synth(&args, env);
    (out, started.elapsed().as_secs_f64())
}

/// The first note of `kind` of an episode (None when there is none).
fn note(conn: &duckdb::Connection, key: &str, kind: &str) -> Option<String> {
    strings(
        conn,
        &format!(
            "SELECT data FROM v_notes WHERE episode_key = '{key}' AND kind = '{kind}' ORDER BY created_at LIMIT 1"
        ),
    )
    .into_iter()
    .next()
}

#[test]
fn each_hostile_plugin_fails_only_its_own_episode() {
    if !docker_available() {
        return;
    }
    let by_instance = behaviours();
    let expect = expectations();
    let planned: Vec<&String> = by_instance.values().collect();
    assert_eq!(
        planned.len(),
        expect.len(),
        "the template and the test disagree on the behaviours: {planned:?}"
    );
    // Listen where the escape behaviour tries to connect, to prove nothing arrives.
    let listener = TcpListener::bind(("127.0.0.1", ESCAPE_PORT)).ok();
    if let Some(l) = &listener {
        l.set_nonblocking(true).expect("nonblocking listener");
    } else {
        eprintln!(
            "note: 127.0.0.1:{ESCAPE_PORT} is taken; the escape check relies on the plugin's own record"
        );
    }

    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("hostile.duckdb");
    let mini = plugin("mini.wasm");
    let (out, run_secs) = run_hostile(
        &db,
        "oracle",
        &[
            "--scaffold",
            mini.to_str().expect("utf-8 path"),
            "--concurrency",
            "2",
        ],
        &[],
    );
    assert!(out.status.success(), "synth run failed:\n{}", text(&out));
    // The run's own log stays readable: one line per episode and the summary, none of the
    // plugins' floods.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.stderr.len() < 64 << 10,
        "synth's stderr grew to {} bytes",
        out.stderr.len()
    );
    assert!(
        !stderr.contains("flood line") && !stderr.contains("eeeeeeee"),
        "{stderr}"
    );

    let conn = open_db(&db);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM v_episodes"),
        2 * by_instance.len() as i64,
        "{}",
        text(&out)
    );
    // Every mini + oracle episode passed, beside the hostile ones.
    let mini_rows = strings(
        &conn,
        "SELECT instance_id || ' ' || status || ' ' || coalesce(reward::VARCHAR, 'NULL') FROM v_episodes WHERE scaffold = 'mini' ORDER BY 1",
    );
    assert_eq!(mini_rows.len(), by_instance.len());
    for row in &mini_rows {
        assert!(row.ends_with(" completed 1.0"), "mini episode: {row}");
    }

    let mut table = Vec::new();
    let mut failures = Vec::new();
    for (instance, behaviour) in &by_instance {
        let e = &expect[behaviour.as_str()];
        let row = conn
            .query_row(
                "SELECT episode_key, status, termination, coalesce(reward, -1), wall_ms::BIGINT, steps::BIGINT
                 FROM v_episodes WHERE scaffold = 'hostile' AND instance_id = ?",
                [instance],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, f64>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, i64>(5)?,
                    ))
                },
            )
            .unwrap_or_else(|err| panic!("{behaviour}: no episode row: {err}"));
        let (key, status, termination, reward, wall_ms, steps) = row;
        let time: Value = note(&conn, &key, "plugin_time")
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null);
        table.push(format!(
            "| {behaviour} | {status} | {} | {wall_ms} | {} | {} | {} |",
            termination
                .replace('|', "/")
                .chars()
                .take(160)
                .collect::<String>(),
            time["wall_ms"],
            time["cpu_ms"],
            time["waited_ms"],
        ));
        if status != e.status {
            failures.push(format!(
                "{behaviour}: status {status}, expected {}: {termination}",
                e.status
            ));
        }
        for want in e.termination {
            if !termination.contains(want) {
                failures.push(format!(
                    "{behaviour}: termination lacks `{want}`: {termination}"
                ));
            }
        }
        let want_reward = if e.passes { 1.0 } else { 0.0 };
        if reward != want_reward {
            failures.push(format!(
                "{behaviour}: reward {reward}, expected {want_reward}"
            ));
        }
        // Time to containment: the plugin's own run, generously bounded.
        let plugin_ms = time["wall_ms"].as_u64().unwrap_or(u64::MAX);
        if plugin_ms > 45_000 {
            failures.push(format!("{behaviour}: the plugin ran {plugin_ms} ms"));
        }
        check_behaviour(&conn, behaviour, &key, steps, &time, &mut failures);
    }
    eprintln!("run: {run_secs:.1}s for {} episodes", 2 * by_instance.len());
    eprintln!(
        "| behaviour | status | termination | episode wall ms | plugin wall ms | plugin cpu ms | waited ms |"
    );
    eprintln!("|---|---|---|---|---|---|---|");
    for line in &table {
        eprintln!("{line}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    if let Some(l) = &listener {
        match l.accept() {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            other => panic!("something connected to 127.0.0.1:{ESCAPE_PORT}: {other:?}"),
        }
    }
    // No huge request reached a provider or a row.
    let longest = count(
        &conn,
        "SELECT coalesce(max(length(request_body)), 0) FROM llm_calls",
    );
    assert!(
        longest < 1 << 20,
        "a request body of {longest} bytes was stored"
    );
    assert!(
        leftover_containers(&conn).is_empty(),
        "containers left behind"
    );
}

/// The checks particular to one behaviour, beyond status and termination.
fn check_behaviour(
    conn: &duckdb::Connection,
    behaviour: &str,
    key: &str,
    steps: i64,
    time: &Value,
    failures: &mut Vec<String>,
) {
    let mut fail = |m: String| failures.push(format!("{behaviour}: {m}"));
    let notes_of = |kind: &str| {
        count(
            conn,
            &format!(
                "SELECT count(*) FROM v_notes WHERE episode_key = '{key}' AND kind = '{kind}'"
            ),
        )
    };
    match behaviour {
        "loop" => {
            let cpu = time["cpu_ms"].as_u64().unwrap_or(0);
            if cpu < 3000 {
                fail(format!("ended after only {cpu} ms of counted CPU"));
            }
        }
        "slow-host" => {
            // 400 commands of 20 ms each: the waiting is not CPU time.
            let cpu = time["cpu_ms"].as_u64().unwrap_or(u64::MAX);
            let waited = time["waited_ms"].as_u64().unwrap_or(0);
            if cpu >= 3000 || waited < 1000 {
                fail(format!("cpu {cpu} ms, waited {waited} ms"));
            }
        }
        "log-flood" => {
            let logs = notes_of("log");
            if logs != 1000 {
                fail(format!(
                    "{logs} log lines recorded, expected the cap of 1000"
                ));
            }
            let dropped = note(conn, key, "log_dropped").unwrap_or_default();
            if !dropped.starts_with("99001 log lines") {
                fail(format!("log_dropped note: {dropped}"));
            }
        }
        "log-giant" => {
            let longest = count(
                conn,
                &format!(
                    "SELECT max(length(data)) FROM v_notes WHERE episode_key = '{key}' AND kind = 'log'"
                ),
            );
            if longest > 4200 {
                fail(format!("a log line of {longest} bytes was recorded"));
            }
        }
        "stderr-flood" | "stderr-flood-panic" => {
            let stderr = note(conn, key, "stderr").unwrap_or_default();
            if stderr.len() > 70_000 || !stderr.contains("bytes dropped") {
                fail(format!("stderr note of {} bytes", stderr.len()));
            }
            if behaviour == "stderr-flood-panic" && !stderr.contains(PANIC_TEXT) {
                fail("the stderr note lost the panic message".into());
            }
        }
        "panic" => {
            let stderr = note(conn, key, "stderr").unwrap_or_default();
            if !stderr.contains(PANIC_TEXT) {
                fail(format!("stderr note: {stderr}"));
            }
        }
        "escape" => check_escape(&note(conn, key, "escape").unwrap_or_default(), &mut fail),
        "never-finish" if steps != 5 => {
            fail(format!("{steps} steps, expected the limit of 5"));
        }
        "huge-message" => {
            let refused = note(conn, key, "llm_refused").unwrap_or_default();
            // The 100 MiB message plus the task's prompt and the tool specs.
            let carried = refused
                .split_once("carries ")
                .and_then(|(_, rest)| rest.split_once(' '))
                .and_then(|(n, _)| n.parse::<u64>().ok())
                .unwrap_or(0);
            if !(100 << 20..(100 << 20) + 65536).contains(&carried)
                || !refused.contains("limit of 16 MiB")
            {
                fail(format!("llm_refused note: {refused}"));
            }
            let calls = count(
                conn,
                &format!("SELECT count(*) FROM v_llm_calls WHERE episode_key = '{key}'"),
            );
            if calls != 0 {
                fail(format!("{calls} model calls were made"));
            }
        }
        _ => {}
    }
    if [
        "memory",
        "recursion",
        "recursion-host",
        "trap-oob",
        "trap-unreachable",
        "panic",
    ]
    .contains(&behaviour)
        && notes_of("trap") != 1
    {
        fail("no `trap` note with the full error".into());
    }
}

/// Every escape attempt failed inside the plugin, and it saw no environment.
fn check_escape(record: &str, fail: &mut impl FnMut(String)) {
    let seen: Value = match serde_json::from_str(record) {
        Ok(v) => v,
        Err(e) => return fail(format!("escape note is not JSON ({e}): {record}")),
    };
    let Some(attempts) = seen.as_object() else {
        return fail(format!("escape note: {record}"));
    };
    eprintln!("escape attempts, as the plugin saw them:");
    for (what, outcome) in attempts {
        eprintln!("  {what}: {outcome}");
        match what.as_str() {
            "env vars" | "args" => {
                if outcome.as_array().is_none_or(|a| !a.is_empty()) {
                    fail(format!("{what}: {outcome}"));
                }
            }
            "home dir" => {
                if !outcome.is_null() {
                    fail(format!("{what}: {outcome}"));
                }
            }
            // wasi-libc keeps a notional working directory of `/`: no capability.
            "current dir" => {
                if outcome.get("denied").is_none() && outcome["allowed"] != "/" {
                    fail(format!("{what}: {outcome}"));
                }
            }
            _ => {
                if outcome.get("denied").is_none() {
                    fail(format!("{what} was allowed: {outcome}"));
                }
            }
        }
    }
    if attempts.len() < 14 {
        fail(format!("only {} attempts recorded", attempts.len()));
    }
}

/// The distinctive fake key of the dump test.
const FAKE_KEY: &str = "sk-hostile-dump-3e9a1c7f5b2d8046aa";

#[test]
fn a_plugin_dumping_everything_it_sees_finds_no_api_key() {
    if !docker_available() {
        return;
    }
    let dump_instance = behaviours()
        .into_iter()
        .find(|(_, b)| b == "dump")
        .map(|(i, _)| i)
        .expect("the template has a dump instance");
    let server = ScriptedServer::start(vec![Reply::Text("noted".into())]);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("dump.duckdb");
    let (out, _) = run_hostile(
        &db,
        "openai/scripted-model",
        &["--task", &dump_instance],
        &[
            ("OPENAI_BASE_URL", &server.base_url),
            ("OPENAI_API_KEY", FAKE_KEY),
        ],
    );
    assert!(out.status.success(), "synth run failed:\n{}", text(&out));
    let conn = open_db(&db);
    assert_eq!(
        strings(
            &conn,
            "SELECT status || ' ' || termination || ' ' || reward::VARCHAR FROM v_episodes"
        ),
        vec!["completed submitted 1.0".to_string()]
    );
    // The dump reached the model, and holds no key.
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let sent = requests[0].to_string();
    assert!(sent.contains("Everything I can see"), "{sent}");
    assert!(!sent.contains(FAKE_KEY), "the plugin sent the key: {sent}");
    // What the plugin saw of its environment: nothing.
    let dump: Value = serde_json::from_str(
        &strings(&conn, "SELECT data FROM v_notes WHERE kind = 'dump'")
            .into_iter()
            .next()
            .expect("a dump note"),
    )
    .expect("dump note JSON");
    assert_eq!(dump["visible"]["env"], serde_json::json!([]), "{dump}");
    assert_eq!(dump["received"]["text"], "noted", "{dump}");

    // No stored value anywhere holds the key or a distinctive fragment of it.
    let fragments = [FAKE_KEY, &FAKE_KEY[FAKE_KEY.len() - 12..], &FAKE_KEY[..18]];
    let columns = {
        let mut stmt = conn
            .prepare(
                "SELECT c.table_name, c.column_name FROM information_schema.columns c
                 JOIN information_schema.tables t USING (table_catalog, table_schema, table_name)
                 WHERE t.table_type = 'BASE TABLE' AND (c.data_type = 'VARCHAR' OR c.data_type = 'BLOB' OR c.data_type = 'JSON')",
            )
            .expect("columns query");
        stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .expect("columns")
            .map(|r| r.expect("column row"))
            .collect::<Vec<_>>()
    };
    assert!(
        columns.len() > 20,
        "only {} text columns found",
        columns.len()
    );
    for (table, column) in &columns {
        for fragment in fragments {
            let hits = count(
                &conn,
                &format!(
                    "SELECT count(*) FROM \"{table}\" WHERE CAST(\"{column}\" AS VARCHAR) LIKE '%{fragment}%'"
                ),
            );
            assert_eq!(hits, 0, "{table}.{column} holds `{fragment}`");
        }
    }
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!output.contains(fragments[1]), "synth printed the key");
    assert!(
        leftover_containers(&conn).is_empty(),
        "containers left behind"
    );
}
