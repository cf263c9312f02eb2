//! The offline models plugin authors iterate with: `script:FILE` answers from a JSONL file,
//! `replay:RUN.duckdb` answers with what a stored run's model said. No key, no server.

use serde_json::json;

use crate::common::*;

fn solution() -> String {
    std::fs::read_to_string(templates().join("bug-fixing/inventory-rounding/solution/solve.sh"))
        .expect("solve.sh")
}

#[test]
fn script_and_replay_models_run_offline() {
    if !docker_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("replies.jsonl");
    let lines = [
        json!({"content": "Looking first.", "tool": "bash", "arguments": {"command": "ls inventory"}}),
        json!({"tool": "bash", "arguments": {"command": solution()}}),
        json!({"role": "assistant", "content": null, "tool_calls": [{"id": "c3", "type": "function",
               "function": {"name": "submit", "arguments": "{\"message\": \"fixed\"}"}}]}),
    ];
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&script, body).expect("write script");
    let model = format!("script:{}", script.display());
    let first = dir.path().join("first.duckdb");
    run_mini(&first, &model, &["--task", "inventory-rounding"], &[]);
    let conn = open_db(&first);
    assert_eq!(
        strings(
            &conn,
            "SELECT model || ' ' || status || ' ' || reward::VARCHAR FROM v_episodes"
        ),
        vec![format!("{model} completed 1.0")]
    );
    assert_eq!(
        strings(&conn, "SELECT DISTINCT provider FROM v_llm_calls"),
        vec!["script".to_string()]
    );
    let ran = strings(
        &conn,
        "SELECT target FROM v_actions WHERE op = 'exec' ORDER BY seq",
    );
    assert_eq!(ran, vec!["ls inventory".to_string(), solution()]);
    drop(conn);

    // Replay the stored run into a new file: the same replies, the same commands.
    let second = dir.path().join("second.duckdb");
    let replay = format!("replay:{}", first.display());
    run_mini(&second, &replay, &["--task", "inventory-rounding"], &[]);
    let conn = open_db(&second);
    assert_eq!(
        strings(
            &conn,
            "SELECT status || ' ' || reward::VARCHAR FROM v_episodes"
        ),
        vec!["completed 1.0".to_string()]
    );
    assert_eq!(
        strings(
            &conn,
            "SELECT target FROM v_actions WHERE op = 'exec' ORDER BY seq"
        ),
        ran
    );
    assert_eq!(
        strings(&conn, "SELECT DISTINCT provider FROM v_llm_calls"),
        vec!["replay".to_string()]
    );
    drop(conn);

    // Replaying the file being written is refused before anything starts.
    let out = synth_run(
        &run_args(
            &plugin("mini.wasm"),
            &second,
            &format!("replay:{}", second.display()),
            &["--task", "inventory-rounding"],
        ),
        &[],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot replay the run file being written"),
        "{}",
        text(&out)
    );

    // A script that runs out: the episode ends with an LLM error naming the file.
    let short = dir.path().join("short.jsonl");
    std::fs::write(
        &short,
        "{\"tool\": \"bash\", \"arguments\": {\"command\": \"true\"}}\n",
    )
    .expect("w");
    let third = dir.path().join("third.duckdb");
    run_mini(
        &third,
        &format!("script:{}", short.display()),
        &["--task", "inventory-rounding"],
        &[],
    );
    let conn = open_db(&third);
    let termination = strings(&conn, "SELECT termination FROM v_episodes");
    assert!(
        termination[0].contains("short.jsonl has 1 replies; model call 2 has none"),
        "{termination:?}"
    );
}
