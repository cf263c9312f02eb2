//! Long horizons and models without function calling, through the openhands scaffold and a
//! scripted OpenAI-format server:
//! - a 160-step episode completes under the condenser: condensations happen, are recorded as
//!   such, requests shrink after each, and every message stays reconstructible from the rows;
//! - a model answering in the text tool-call format solves a template, and a malformed call
//!   gets a format-error observation while the episode goes on.

use serde_json::{Value, json};

use crate::common::*;
use crate::llm_server::{Reply, ScriptedServer};

const STEPS: usize = 160;
const SUMMARY: &str = "USER_CONTEXT: fix the inventory rounding bug.\nCOMPLETED: counted files.";

fn solution(template: &str) -> String {
    std::fs::read_to_string(templates().join(template).join("solution/solve.sh")).expect("solve.sh")
}

#[test]
fn openhands_condenses_a_160_step_episode() {
    if !docker_available() {
        return;
    }
    let mut script: Vec<Reply> = (1..STEPS)
        .map(|i| {
            Reply::Tool(
                "execute_bash",
                json!({"command": format!("echo step-{i} && ls inventory | wc -l"), "security_risk": "LOW"}),
            )
        })
        .collect();
    script.push(Reply::Tool(
        "execute_bash",
        json!({"command": solution("bug-fixing/inventory-rounding"), "security_risk": "LOW", "timeout": 300}),
    ));
    script.push(Reply::Tool("finish", json!({"message": "Fixed."})));
    let server = ScriptedServer::start_with_summaries(script.clone(), SUMMARY);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("long.duckdb");
    server.run(
        &plugin("openhands.wasm"),
        &db,
        &[
            "--task",
            "inventory-rounding",
            "--max-steps",
            "200",
            "--scaffold-config",
            r#"{"condenser": {"max_messages": 60}}"#,
        ],
    );
    let conn = open_db(&db);
    assert_eq!(
        strings(
            &conn,
            "SELECT status || ' ' || termination || ' ' || reward::VARCHAR FROM v_episodes"
        ),
        vec!["completed submitted 1.0".to_string()]
    );
    assert_eq!(
        count(&conn, "SELECT steps FROM v_episodes"),
        (STEPS + 1) as i64
    );

    // Condensations happened, each recorded as a note and as a condense-purpose call.
    let notes = count(
        &conn,
        "SELECT count(*) FROM v_notes WHERE kind = 'condensation'",
    );
    let calls = count(
        &conn,
        "SELECT count(*) FROM v_llm_calls WHERE purpose = 'condense'",
    );
    assert!(notes >= 1, "no condensation note");
    assert_eq!(notes, calls, "every condensation has its summarizer call");

    // Requests shrink after a condensation: the agent call right after one sends fewer
    // messages than the one right before it.
    let sizes: Vec<(String, i64)> = {
        let mut stmt = conn
            .prepare(
                "SELECT c.purpose, (SELECT count(*) FROM llm_call_messages m WHERE m.call_id = c.call_id)
                 FROM v_llm_calls c WHERE c.response_message_hash IS NOT NULL ORDER BY c.started_at",
            )
            .expect("prepare");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .map(|r| r.expect("row"))
            .collect()
    };
    let mut checked = 0;
    for w in sizes.windows(3) {
        if w[1].0 == "condense" {
            assert_eq!(w[0].0, "agent");
            assert_eq!(w[2].0, "agent");
            assert!(
                w[2].1 < w[0].1,
                "request after a condensation has {} messages, before {}",
                w[2].1,
                w[0].1
            );
            checked += 1;
        }
    }
    assert!(checked >= 1);
    let agent_sizes: Vec<i64> = sizes
        .iter()
        .filter(|s| s.0 == "agent")
        .map(|s| s.1)
        .collect();
    eprintln!(
        "LONG HORIZON | {} agent steps | {notes} condensations | messages per agent request: max {}, last {}",
        agent_sizes.len(),
        agent_sizes.iter().max().unwrap_or(&0),
        agent_sizes.last().unwrap_or(&0)
    );
    let largest = sizes.iter().map(|s| s.1).max().unwrap_or(0);
    assert!(
        largest < (2 * STEPS) as i64,
        "requests never shrank: largest {largest} messages"
    );

    // The whole history stays reconstructible: every command's output the agent saw is a
    // stored message, though no single request holds them all.
    let seen = count(
        &conn,
        "SELECT count(DISTINCT regexp_extract(m.text, 'step-[0-9]+'))
         FROM messages m WHERE m.role = 'tool' AND m.text LIKE '%step-%'",
    );
    assert_eq!(seen, (STEPS - 1) as i64, "tool results stored");
    // The summary reached the agent: some agent request carries it.
    assert!(
        count(
            &conn,
            &format!(
                "SELECT count(*) FROM v_messages_by_call WHERE text LIKE '%{}%'",
                "COMPLETED: counted files"
            )
        ) >= 1
    );
    // The server saw the same number of requests the rows hold.
    assert_eq!(
        server.requests().len() as i64,
        count(&conn, "SELECT count(DISTINCT call_id) FROM v_llm_calls")
    );
}

fn function(name: &str, params: &[(&str, &str)]) -> String {
    let mut s = format!("<function={name}>\n");
    for (k, v) in params {
        s.push_str(&format!("<parameter={k}>{v}</parameter>\n"));
    }
    s.push_str("</function>");
    s
}

#[test]
fn text_tool_calls_drive_openhands_and_format_errors_are_observations() {
    if !docker_available() {
        return;
    }
    let fix = solution("shell-sysadmin/service-config");
    let script = vec![
        Reply::Text(format!(
            "Let me look around first.\n{}",
            function(
                "execute_bash",
                &[("command", "ls -la"), ("security_risk", "LOW")]
            )
        )),
        // Malformed: the required security_risk is missing.
        Reply::Text(function(
            "execute_bash",
            &[("command", "cat config/service.ini")],
        )),
        Reply::Text(function(
            "execute_bash",
            &[
                ("command", &fix),
                ("security_risk", "LOW"),
                ("timeout", "120"),
            ],
        )),
        Reply::Text(function(
            "finish",
            &[("message", "Repaired the configuration.")],
        )),
    ];
    let server = ScriptedServer::start(script);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("text.duckdb");
    server.run(
        &plugin("openhands.wasm"),
        &db,
        &[
            "--task",
            "service-config",
            "--scaffold-config",
            r#"{"tool_call_mode": "text"}"#,
        ],
    );
    let conn = open_db(&db);
    assert_eq!(
        strings(
            &conn,
            "SELECT status || ' ' || termination || ' ' || reward::VARCHAR FROM v_episodes"
        ),
        vec!["completed submitted 1.0".to_string()]
    );
    // No tools went to the model; the stop word did; the tools are described in the prompt.
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    for r in &requests {
        assert!(r.get("tools").is_none(), "text mode sends no tools");
        assert_eq!(r["stop"], json!(["</function"]));
    }
    let system = requests[0]["messages"][0]["content"].as_str().unwrap_or("");
    assert!(
        system.contains("---- BEGIN FUNCTION #1: execute_bash ----"),
        "{system}"
    );
    // Only the well-formed calls ran; the malformed one was answered with a format error
    // the model saw, and the episode went on.
    let ran = strings(
        &conn,
        "SELECT target FROM v_actions WHERE op = 'exec' ORDER BY seq",
    );
    assert_eq!(ran.len(), 2, "{ran:?}");
    assert_eq!(ran[0], "ls -la");
    let third: &Value = &requests[2]["messages"];
    let last_user = third
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or("");
    assert!(
        last_user.contains("security_risk"),
        "the format error names the missing parameter: {last_user}"
    );
    // Results come back in the text format.
    let second: &Value = &requests[1]["messages"];
    let result = second
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .unwrap_or("");
    assert!(
        result.starts_with("EXECUTION RESULT of [execute_bash]:"),
        "{result}"
    );
}
