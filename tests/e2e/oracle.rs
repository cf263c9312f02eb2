//! The oracle solves every template through the mini scaffold (reward 1), its stored tool
//! calls are the solutions' commands, and `nop` fails every template (reward 0). The run
//! file opens in the analysts' DuckDB CLI.

use std::process::Command;

use crate::common::*;

#[test]
fn oracle_solves_and_nop_fails_every_template() {
    if !docker_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("oracle.duckdb");
    let out = run_mini(
        &db,
        "oracle",
        &["--model", "nop", "--concurrency", "3"],
        &[],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("passed:"), "no summary:\n{}", text(&out));

    let conn = open_db(&db);
    let instances = instance_ids(&conn);
    assert!(
        instances.len() >= 3,
        "expected at least three instances, got {instances:?}"
    );
    let template_ids = strings(&conn, "SELECT DISTINCT template_id FROM episodes");
    assert!(
        template_ids.len() >= 3,
        "expected three templates, got {template_ids:?}"
    );

    // Every oracle episode is completed with reward 1; every nop episode has reward 0.
    let bad_oracle = strings(
        &conn,
        "SELECT instance_id || ' ' || status || ' ' || coalesce(reward::VARCHAR, 'NULL') || ' ' || termination
         FROM v_episodes WHERE model = 'oracle' AND NOT (status = 'completed' AND reward = 1.0 AND resolved)",
    );
    assert!(
        bad_oracle.is_empty(),
        "oracle episodes that did not pass: {bad_oracle:?}"
    );
    let bad_nop = strings(
        &conn,
        "SELECT instance_id || ' ' || coalesce(reward::VARCHAR, 'NULL')
         FROM v_episodes WHERE model = 'nop' AND NOT (reward = 0.0 AND NOT resolved)",
    );
    assert!(
        bad_nop.is_empty(),
        "nop episodes that did not fail: {bad_nop:?}"
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM v_episodes WHERE model = 'oracle'"
        ),
        instances.len() as i64
    );
    assert_eq!(
        count(&conn, "SELECT count(*) FROM v_episodes WHERE model = 'nop'"),
        instances.len() as i64
    );

    // The oracle's stored tool call is the instance's solve.sh, run through the shell tool,
    // and the command the sandbox ran is that same text.
    for instance in &instances {
        let template_dir = strings(
            &conn,
            &format!(
                "SELECT DISTINCT template_id || '|' || category FROM episodes WHERE instance_id = '{instance}'"
            ),
        );
        let (template, category) = template_dir[0].split_once('|').expect("pair");
        let solve = std::fs::read_to_string(
            templates()
                .join(category)
                .join(template)
                .join("solution/solve.sh"),
        )
        .expect("solve.sh");
        let commands = strings(
            &conn,
            &format!(
                "SELECT a.target FROM v_actions a JOIN v_episodes e USING (attempt_id)
                 WHERE e.instance_id = '{instance}' AND e.model = 'oracle' AND a.op = 'exec' ORDER BY a.seq"
            ),
        );
        assert_eq!(
            commands,
            vec![solve.clone()],
            "{instance}: the oracle ran something else"
        );
        let calls = strings(
            &conn,
            &format!(
                "SELECT m.tool_calls::VARCHAR FROM v_llm_calls c JOIN messages m ON m.message_hash = c.response_message_hash
                 JOIN v_episodes e USING (attempt_id)
                 WHERE e.instance_id = '{instance}' AND e.model = 'oracle' ORDER BY c.step_index"
            ),
        );
        assert_eq!(
            calls.len(),
            2,
            "{instance}: the oracle answers twice (shell, then finish): {calls:?}"
        );
        let first: serde_json::Value = serde_json::from_str(&calls[0]).expect("tool_calls JSON");
        assert_eq!(first[0]["name"], "bash", "{instance}: {first}");
        let raw = first[0]["raw_arguments"].as_str().expect("raw arguments");
        let args: serde_json::Value = serde_json::from_str(raw).expect("arguments JSON");
        assert_eq!(args["command"].as_str(), Some(solve.as_str()));
        let second: serde_json::Value = serde_json::from_str(&calls[1]).expect("tool_calls JSON");
        assert_eq!(second[0]["name"], "submit");
    }

    // Rows of every kind exist and belong to finalised attempts.
    for table in [
        "steps",
        "messages",
        "llm_call_messages",
        "llm_calls",
        "actions",
        "verifications",
        "scores",
        "attempts",
        "runs",
    ] {
        assert!(
            count(&conn, &format!("SELECT count(*) FROM {table}")) > 0,
            "table {table} is empty"
        );
    }
    assert!(
        leftover_containers(&conn).is_empty(),
        "containers left behind"
    );
    drop(conn);

    // The analysts' CLI (duckdb-cli from PyPI) opens the file.
    match Command::new("duckdb")
        .arg("-readonly")
        .arg(&db)
        .arg("-c")
        .arg("SELECT count(*) AS n FROM episodes")
        .output()
    {
        Ok(o) => {
            assert!(
                o.status.success(),
                "duckdb CLI failed: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let shown = String::from_utf8_lossy(&o.stdout);
            assert!(
                shown.contains(&(2 * instances.len()).to_string()),
                "CLI shows: {shown}"
            );
        }
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("the duckdb CLI (pip install duckdb-cli==1.5.6) is missing under CI: {e}");
            }
            eprintln!("skipping the CLI check: duckdb CLI not installed ({e})");
        }
    }
}
