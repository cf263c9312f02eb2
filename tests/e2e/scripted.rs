//! A scripted LLM server (real HTTP, OpenAI wire format) drives the mini scaffold through the
//! inventory-rounding template: one script to a correct fix (reward 1), one to a wrong one
//! (reward 0). The rows must match what was said and done, step by step. Mid-episode the
//! script searches the container for the template's canary and sealed test files: nothing
//! may be found.

use crate::common::*;
use crate::llm_server::{Reply, ScriptedServer};

const CANARY: &str = "SYNTH-CANARY-f0d1827f926c097c";
const SEARCH_DONE: &str = "SEARCH-DONE";

fn search_command() -> String {
    format!(
        "grep -rl --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev '{CANARY}' / 2>/dev/null; \
         ls -d /synth-tests 2>&1; find / -xdev -name 'test_valuation.py' 2>/dev/null; echo {SEARCH_DONE}"
    )
}

const FIX: &str = "sed -i 's/return value.quantize(CENT)$/return value.quantize(CENT, rounding=ROUND_HALF_UP)/' inventory/money.py && \
sed -i 's/value = pos.quantity \\* pos.unit_cost$/value = round_cents(pos.quantity * pos.unit_cost)/' inventory/report.py && \
sed -i 's/total = round_cents(sum((line.value for line in lines), Decimal(\"0\")))/total = sum((line.value for line in lines), Decimal(\"0.00\"))/' inventory/report.py && \
git diff --stat";

fn run_script(
    name: &str,
    script: Vec<Reply>,
) -> (tempfile::TempDir, std::path::PathBuf, ScriptedServer) {
    let server = ScriptedServer::start(script);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join(format!("{name}.duckdb"));
    run_mini(
        &db,
        "openai/scripted-model",
        &["--task", "inventory-rounding"],
        &[
            ("OPENAI_BASE_URL", &server.base_url),
            ("OPENAI_API_KEY", "sk-test-not-a-real-key-000"),
        ],
    );
    (dir, db, server)
}

fn bash_commands(script: &[Reply]) -> Vec<String> {
    script
        .iter()
        .filter_map(|r| match r {
            Reply::Tool("bash", args) => args["command"].as_str().map(str::to_string),
            _ => None,
        })
        .collect()
}

#[test]
fn scripted_model_fixes_the_bug_and_rows_match_the_script() {
    if !docker_available() {
        return;
    }
    let script = vec![
        Reply::bash("cat README.md; ls -R inventory"),
        Reply::bash(&search_command()),
        Reply::bash(FIX),
        Reply::bash("python3 -m pytest -q -p no:cacheprovider tests 2>&1 | tail -3"),
        Reply::submit(),
    ];
    let (_dir, db, server) = run_script("fix", script.clone());
    let conn = open_db(&db);
    assert_eq!(
        strings(
            &conn,
            "SELECT status || ' ' || termination || ' ' || reward::VARCHAR FROM v_episodes"
        ),
        vec!["completed submitted 1.0".to_string()]
    );
    assert_eq!(count(&conn, "SELECT steps FROM v_episodes"), 5);

    // What ran is what the script said, in order, one command per step.
    let ran = strings(
        &conn,
        "SELECT target FROM v_actions WHERE op = 'exec' ORDER BY seq",
    );
    assert_eq!(ran, bash_commands(&script));
    let steps = strings(
        &conn,
        "SELECT step_index::VARCHAR FROM v_actions WHERE op = 'exec' ORDER BY seq",
    );
    assert_eq!(steps, vec!["1", "2", "3", "4"]);
    assert_eq!(count(&conn, "SELECT count(*) FROM v_steps"), 5);

    // Every request the server saw is a stored call; the stored prompt has the same
    // messages, in order, as the request body.
    let requests = server.requests();
    assert_eq!(requests.len(), 5);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM v_llm_calls WHERE status = 200"),
        5
    );
    for (i, req) in requests.iter().enumerate() {
        let step = i + 1;
        let sent = req["messages"].as_array().expect("messages");
        let stored_roles = strings(
            &conn,
            &format!(
                "SELECT m.role FROM llm_call_messages cm JOIN messages m USING (message_hash)
                 JOIN v_llm_calls c ON c.call_id = cm.call_id WHERE c.step_index = {step} ORDER BY cm.position"
            ),
        );
        let sent_roles: Vec<String> = sent
            .iter()
            .map(|m| m["role"].as_str().unwrap_or("").to_string())
            .collect();
        assert_eq!(stored_roles, sent_roles, "step {step}");
        let body = strings(
            &conn,
            &format!("SELECT request_body FROM v_llm_calls WHERE step_index = {step}"),
        );
        let stored: serde_json::Value = serde_json::from_str(&body[0]).expect("request body JSON");
        assert_eq!(
            &stored["messages"], &req["messages"],
            "step {step}: stored request body differs"
        );
    }

    // The search found neither the canary nor the sealed tests while the agent worked.
    let search = strings(
        &conn,
        "SELECT output FROM v_actions WHERE op = 'exec' AND seq = 2",
    );
    let observed = &search[0];
    assert!(observed.contains(SEARCH_DONE), "{observed}");
    assert!(
        !observed.contains(CANARY) && !observed.contains("test_valuation.py"),
        "leak: {observed}"
    );
    assert!(observed.contains("No such file or directory"), "{observed}");
    // The model saw that same output in the next request, and no tool result it was
    // shown holds the canary (its own command, which names the canary, aside).
    let tool_results: Vec<String> = requests[2]["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["content"].to_string())
        .collect();
    assert!(
        tool_results.iter().any(|t| t.contains(SEARCH_DONE)),
        "{tool_results:?}"
    );
    assert!(
        tool_results.iter().all(|t| !t.contains(CANARY)),
        "{tool_results:?}"
    );

    // The verification ran the sealed tests after the agent, and the patch is recorded.
    let patch = strings(&conn, "SELECT patch FROM verifications");
    assert!(patch[0].contains("ROUND_HALF_UP"), "patch: {}", patch[0]);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM verifications WHERE passed"),
        1
    );
    assert!(
        leftover_containers(&conn).is_empty(),
        "containers left behind"
    );
}

#[test]
fn scripted_model_with_a_wrong_fix_gets_reward_zero() {
    if !docker_available() {
        return;
    }
    let script = vec![
        Reply::bash("cat inventory/money.py"),
        Reply::Text("I think it is fine.".into()),
        Reply::bash(
            "sed -i 's/quantize(CENT)/quantize(CENT, rounding=ROUND_HALF_UP)/' inventory/money.py",
        ),
        Reply::submit(),
    ];
    let (_dir, db, server) = run_script("wrong", script.clone());
    let conn = open_db(&db);
    assert_eq!(
        strings(
            &conn,
            "SELECT status || ' ' || termination || ' ' || reward::VARCHAR FROM v_episodes"
        ),
        vec!["completed submitted 0.0".to_string()]
    );
    assert_eq!(server.requests().len(), 4);
    assert_eq!(
        strings(
            &conn,
            "SELECT target FROM v_actions WHERE op = 'exec' ORDER BY seq"
        ),
        bash_commands(&script)
    );
    // The text-only answer was fed back as a format error and the episode went on.
    let third = serde_json::to_string(&server.requests()[2]["messages"]).expect("json");
    assert!(third.contains("I think it is fine."), "{third}");
    assert_eq!(
        count(&conn, "SELECT count(*) FROM verifications WHERE NOT passed"),
        1
    );
    assert!(
        leftover_containers(&conn).is_empty(),
        "containers left behind"
    );
}
