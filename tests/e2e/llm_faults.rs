//! Faults of the LLM endpoint, end to end: the real binary runs the mini scaffold against the
//! fault server, and the run file must show every HTTP attempt the retry policy promises —
//! status, error, latency and the wait before it — with the waits honoured (Retry-After in
//! seconds and as an HTTP-date), hangs cut at the request timeout, cut-short and malformed
//! bodies retried, and tool-call arguments that are not JSON fed back to the model with the
//! raw text kept. A provider that keeps failing ends its episode as `infra_error` after the
//! flow's bounded attempts while the other episodes of the run finish; an unknown provider
//! or model stops the run with one line before anything runs.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::*;
use crate::fault_server::{FaultServer, NO_CHOICES, NOT_JSON, Plan, Step};

/// Attempts of one episode when the infrastructure (here: the provider) fails under it
/// (flow::episode::MAX_ATTEMPTS).
const FLOW_ATTEMPTS: i64 = 3;

const BAD_ARGUMENTS: &str = r#"{"command": "echo never-run"#;

fn write_config(dir: &Path, base_url: &str, extra: &str) -> String {
    let path = dir.join("llm.toml");
    std::fs::write(
        &path,
        format!("{extra}\n[providers.faulty]\nkind = \"openai\"\nbase_url = \"{base_url}\"\n"),
    )
    .expect("write config");
    path.to_str().expect("utf-8 path").to_string()
}

/// One attempt row, in the order the attempts started.
#[derive(Debug)]
struct Row {
    call: usize,
    attempt_no: i64,
    status: Option<i64>,
    error: Option<String>,
    latency_ms: i64,
    wait_ms: i64,
    started_us: i64,
    response_body: Option<String>,
    response_message_hash: Option<String>,
}

fn attempt_rows(conn: &duckdb::Connection) -> Vec<Row> {
    let mut stmt = conn
        .prepare(
            "SELECT dense_rank() OVER (ORDER BY first_start) AS call, attempt_no, status, error,
                    latency_ms, wait_ms, epoch_us(started_at), response_body,
                    response_message_hash
             FROM (SELECT *, min(started_at) OVER (PARTITION BY call_id) AS first_start
                   FROM llm_calls)
             ORDER BY started_at",
        )
        .expect("prepare");
    stmt.query_map([], |r| {
        Ok(Row {
            call: r.get::<_, i64>(0)? as usize,
            attempt_no: r.get(1)?,
            status: r.get(2)?,
            error: r.get(3)?,
            latency_ms: r.get(4)?,
            wait_ms: r.get(5)?,
            started_us: r.get(6)?,
            response_body: r.get(7)?,
            response_message_hash: r.get(8)?,
        })
    })
    .expect("query")
    .map(|r| r.expect("row"))
    .collect()
}

#[test]
fn every_fault_gets_the_attempts_and_waits_the_policy_promises() {
    if !docker_available() {
        return;
    }
    let plan = vec![
        // Call 1: rate limits in both Retry-After forms, then a 5xx burst.
        Step::RetryAfterSecs(1),
        Step::RetryAfterDate(2),
        Step::Status(500, "Internal Server Error".into()),
        Step::Status(503, r#"{"error":{"message":"overloaded"}}"#.into()),
        Step::bash("echo step-one"),
        // Call 2: broken bodies and a hang, then arguments that are not JSON.
        Step::CutShort,
        Step::NotJson,
        Step::NoChoices,
        Step::Hang,
        Step::Tool {
            name: "bash".into(),
            raw_arguments: BAD_ARGUMENTS.into(),
        },
        // Call 3: one more 503, then a command; call 4: submit.
        Step::Status(503, "{}".into()),
        Step::bash("echo after-bad-arguments"),
        Step::submit(),
    ];
    let n_requests = plan.len();
    let server = FaultServer::start(vec![(
        "plan",
        Plan {
            steps: plan.clone(),
            then: Step::submit(),
        },
    )]);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(
        dir.path(),
        &server.base_url,
        "request_timeout_secs = 2\n[retry]\nmax_retries = 5\nbase_delay_ms = 100\nmax_delay_secs = 0.4\nmax_retry_after_secs = 5",
    );
    let db = dir.path().join("faults.duckdb");
    let t0 = Instant::now();
    run_mini(
        &db,
        "faulty/plan",
        &["--task", "inventory-rounding", "--config", &config],
        &[],
    );
    let wall = t0.elapsed();

    let conn = open_db(&db);
    assert_eq!(
        strings(
            &conn,
            "SELECT status || ' ' || termination || ' ' || steps::VARCHAR FROM v_episodes"
        ),
        vec!["completed submitted 4".to_string()]
    );
    let rows = attempt_rows(&conn);
    let seen = server.seen();
    assert_eq!(seen.len(), n_requests, "requests the server saw");
    assert_eq!(
        rows.len(),
        n_requests,
        "one llm_calls row per HTTP attempt: {rows:#?}"
    );

    // (call, attempt, status, what the error says) for every attempt, in order.
    let expected: Vec<(usize, i64, Option<i64>, Option<&str>)> = vec![
        (1, 1, Some(429), Some("HTTP 429")),
        (1, 2, Some(429), Some("HTTP 429")),
        (1, 3, Some(500), Some("HTTP 500")),
        (1, 4, Some(503), Some("overloaded")),
        (1, 5, Some(200), None),
        (2, 1, Some(200), Some("cut short")),
        (2, 2, Some(200), Some("not JSON")),
        (2, 3, Some(200), Some("no choices")),
        (2, 4, None, Some("timed out after 2.0 s")),
        (2, 5, Some(200), None),
        (3, 1, Some(503), Some("HTTP 503")),
        (3, 2, Some(200), None),
        (4, 1, Some(200), None),
    ];
    for (row, (call, attempt_no, status, error)) in rows.iter().zip(&expected) {
        let what = format!("{row:?}");
        assert_eq!(
            (row.call, row.attempt_no, row.status),
            (*call, *attempt_no, *status),
            "{what}"
        );
        match error {
            Some(e) => assert!(
                row.error.as_deref().is_some_and(|t| t.contains(e)),
                "{what}"
            ),
            None => assert_eq!(row.error, None, "{what}"),
        }
        if *attempt_no == 1 {
            assert_eq!(row.wait_ms, 0, "{what}");
        }
        // Only successful attempts name the answer.
        assert_eq!(
            row.response_message_hash.is_some(),
            error.is_none(),
            "{what}"
        );
    }

    // Raw bodies are kept per attempt: the malformed ones as received, none for a cut.
    assert_eq!(rows[5].response_body, None);
    assert_eq!(rows[6].response_body.as_deref(), Some(NOT_JSON));
    assert_eq!(rows[7].response_body.as_deref(), Some(NO_CHOICES));
    assert_eq!(rows[8].response_body, None);

    // Waits. Retry-After: 1 is waited exactly; the HTTP-date is waited until the date it
    // named; unadvised retries wait a jittered backoff under the 400 ms cap.
    assert_eq!(rows[1].wait_ms, 1000);
    let asked_gap = seen[1].arrived - seen[0].finished.expect("answered");
    assert!(asked_gap >= Duration::from_secs(1), "{asked_gap:?}");
    let date = seen[1].retry_at.expect("an HTTP-date was sent");
    assert!(
        seen[2].arrived_wall >= date,
        "the retry came before the HTTP-date: {:?} < {date:?}",
        seen[2].arrived_wall
    );
    assert!((900..=2000).contains(&rows[2].wait_ms), "{:?}", rows[2]);
    for i in [3, 4, 6, 7, 8, 9, 11] {
        assert!(rows[i].wait_ms <= 400, "{:?}", rows[i]);
    }
    // Each attempt starts no earlier than the previous start plus the wait recorded.
    for pair in rows.windows(2) {
        if pair[1].call == pair[0].call {
            let gap_us = pair[1].started_us - pair[0].started_us;
            assert!(
                gap_us >= (pair[0].latency_ms + pair[1].wait_ms) * 1000,
                "{pair:?}"
            );
        }
    }
    // The hang was cut at the 2 s request timeout.
    assert!(
        (2000..10_000).contains(&rows[8].latency_ms),
        "{:?}",
        rows[8]
    );

    // The arguments that are not JSON: kept raw with their parse error, not run, and fed
    // back to the model as an error observation for that call.
    let hash = rows[9].response_message_hash.clone().expect("hash");
    let calls: serde_json::Value = serde_json::from_str(
        &strings(
            &conn,
            &format!("SELECT tool_calls FROM messages WHERE message_hash = '{hash}'"),
        )[0],
    )
    .expect("tool_calls JSON");
    let call = &calls[0];
    assert_eq!(call["raw_arguments"], BAD_ARGUMENTS);
    assert!(call["arguments_error"].is_string(), "{call}");
    assert!(call.get("arguments").is_none(), "{call}");
    assert_eq!(
        strings(
            &conn,
            "SELECT target FROM v_actions WHERE op = 'exec' ORDER BY seq"
        ),
        vec!["echo step-one", "echo after-bad-arguments"]
    );
    let next = &seen[10].body["messages"];
    let answer = next
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["role"] == "tool" && m["tool_call_id"] == call["id"])
        .unwrap_or_else(|| panic!("no tool result for the bad call in {next}"));
    let text = answer["content"].to_string();
    assert!(text.contains("Error:"), "{text}");

    assert!(
        leftover_containers(&conn).is_empty(),
        "containers left behind"
    );

    eprintln!(
        "fault plan: {} requests, run wall {:.1} s",
        n_requests,
        wall.as_secs_f64()
    );
    eprintln!(
        "call attempt  step                         status  wait_ms  latency_ms  gap_after_previous_answer_ms  error"
    );
    for (i, (row, s)) in rows.iter().zip(&seen).enumerate() {
        let gap = (i > 0 && row.attempt_no > 1)
            .then(|| seen[i - 1].finished.map(|f| (s.arrived - f).as_millis()))
            .flatten()
            .map_or("-".into(), |g| g.to_string());
        eprintln!(
            "{:>4} {:>7}  {:<28} {:>6}  {:>7}  {:>10}  {:>28}  {}",
            row.call,
            row.attempt_no,
            s.step.label(),
            row.status.map_or("NULL".into(), |s| s.to_string()),
            row.wait_ms,
            row.latency_ms,
            gap,
            row.error.as_deref().map_or("", |e| &e[..e.len().min(70)])
        );
    }
}

#[test]
fn a_provider_failing_past_the_budget_is_an_infra_error_and_the_run_goes_on() {
    if !docker_available() {
        return;
    }
    let server = FaultServer::start(vec![
        (
            "down",
            Plan {
                steps: vec![],
                then: Step::Status(503, r#"{"error":{"message":"overloaded"}}"#.into()),
            },
        ),
        (
            "stuck",
            Plan {
                steps: vec![],
                then: Step::Hang,
            },
        ),
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(
        dir.path(),
        &server.base_url,
        "request_timeout_secs = 1\n[retry]\nmax_retries = 2\nbase_delay_ms = 50\nmax_delay_secs = 0.2",
    );
    let db = dir.path().join("down.duckdb");
    let t0 = Instant::now();
    let args = run_args(
        &plugin("mini.wasm"),
        &db,
        "faulty/down",
        &[
            "--task",
            "inventory-rounding",
            "--model",
            "faulty/stuck",
            "--model",
            "oracle",
            "--concurrency",
            "3",
            "--config",
            &config,
        ],
    );
    let out = synth_run(&args, &[]);
    let wall = t0.elapsed();
    // Bounded: 3 flow attempts × 3 HTTP attempts (≤ 1 s each) plus the flow's pauses.
    assert!(
        wall < Duration::from_secs(240),
        "took {wall:?}\n{}",
        text(&out)
    );
    assert!(db.exists(), "{}", text(&out));

    let conn = open_db(&db);
    // The oracle's episode is unharmed.
    assert_eq!(
        strings(
            &conn,
            "SELECT model || ' ' || status || ' ' || reward::VARCHAR FROM v_episodes"
        ),
        vec!["oracle completed 1.0".to_string()],
        "{}",
        text(&out)
    );
    for (model, error) in [("faulty/down", "HTTP 503"), ("faulty/stuck", "timed out")] {
        let attempts = strings(
            &conn,
            &format!(
                "SELECT a.status || ' | ' || a.error FROM attempts a
                 WHERE a.episode_key IN (SELECT DISTINCT episode_key FROM llm_calls WHERE model = '{model}')
                 ORDER BY a.started_at"
            ),
        );
        assert_eq!(
            attempts.len() as i64,
            FLOW_ATTEMPTS,
            "{model}: {attempts:?}"
        );
        for a in &attempts {
            assert!(
                a.starts_with("infra_error | ") && a.contains(error),
                "{model}: {a}"
            );
        }
        // Every flow attempt made exactly max_retries + 1 = 3 HTTP attempts.
        let per_attempt = strings(
            &conn,
            &format!(
                "SELECT count(*)::VARCHAR || ':' || max(attempt_no)::VARCHAR FROM llm_calls
                 WHERE model = '{model}' GROUP BY attempt_id ORDER BY min(started_at)"
            ),
        );
        assert_eq!(per_attempt, vec!["3:3"; FLOW_ATTEMPTS as usize], "{model}");
        assert_eq!(
            count(
                &conn,
                &format!(
                    "SELECT count(*) FROM episodes e JOIN llm_calls c USING (attempt_id) WHERE c.model = '{model}'"
                )
            ),
            0,
            "{model}: an infra error is not a final episode row"
        );
        let name = model.trim_start_matches("faulty/");
        assert_eq!(server.seen_for(name).len(), 9, "{model}");
    }
    let hangs = strings(
        &conn,
        "SELECT latency_ms::VARCHAR FROM llm_calls WHERE model = 'faulty/stuck'",
    );
    for l in &hangs {
        let ms: i64 = l.parse().expect("number");
        assert!((1000..5000).contains(&ms), "hang latency {ms}");
    }
    assert!(
        leftover_containers(&conn).is_empty(),
        "containers left behind"
    );
    eprintln!(
        "failing providers: exit {:?}, run wall {:.1} s; stdout:\n{}",
        out.status.code(),
        wall.as_secs_f64(),
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn unknown_provider_or_model_is_one_line_before_anything_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let existing = dir.path().join("existing.duckdb");
    std::fs::write(&existing, b"not touched").expect("write");
    let fresh = dir.path().join("fresh.duckdb");
    let bad_config = dir.path().join("bad.toml");
    std::fs::write(&bad_config, "request_timeout_secs = \"fast\"\n").expect("write");
    let bad_config = bad_config.to_str().unwrap().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--model", "nowhere/x"], "unknown provider `nowhere`"),
        (vec!["--model", "gpt-4o"], "`provider/model`"),
        (vec!["--model", "openai/"], "names no model"),
        (vec!["--model", "openai/gpt-4o"], "OPENAI_API_KEY"),
        (
            vec!["--model", "oracle", "--model", "faulty/x"],
            "unknown provider `faulty`",
        ),
        (vec!["--config", &bad_config], "bad.toml:1:"),
    ];
    let (mini, scorer, tasks) = (plugin("mini.wasm"), plugin("tests-pass.wasm"), templates());
    for db in [&existing, &fresh] {
        for (extra, want) in &cases {
            let mut args = vec![
                "run",
                "--scaffold",
                mini.to_str().unwrap(),
                "--scorer",
                scorer.to_str().unwrap(),
                "--tasks",
                tasks.to_str().unwrap(),
                "--db",
                db.to_str().unwrap(),
                "--no-progress",
            ];
            args.extend(extra.iter().copied());
            let out = synth(&args, &[]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{extra:?}: {}", text(&out));
            let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
            assert_eq!(lines.len(), 1, "{extra:?}: not one line: {stderr}");
            assert!(
                lines[0].starts_with("error: ") && lines[0].contains(want),
                "{extra:?}: {stderr}"
            );
            assert!(out.stdout.is_empty(), "{extra:?}: {}", text(&out));
        }
    }
    assert_eq!(std::fs::read(&existing).expect("read"), b"not touched");
    assert!(!fresh.exists(), "a run file was created");
}
