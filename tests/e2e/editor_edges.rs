//! The editors' edge cases against a real container, read back from what the model was
//! shown (the tool results stored with each request): openhands' `str_replace_editor`
//! (non-unique and missing matches, a missing file, insert past the end, undo after two
//! edits) and swe-agent's ACI (the viewer at the file's start and end, an edit that breaks
//! the syntax refused by the real flake8 and the file left as it was, the search cap), and
//! openhands' `execute_bash` with a real shell: the soft timeout, a refused second command,
//! polling, input to the running command and C-c.

use serde_json::{Value, json};

use crate::common::*;
use crate::llm_server::{Reply, ScriptedServer};

const FILE: &str = "/workspace/edge.py";

/// Runs `scaffold` with `script` (and `extra` arguments) on service-config; returns what
/// each call's result showed the model, and the run file's folder and path.
fn tool_results(
    scaffold: &str,
    script: Vec<Reply>,
    extra: &[&str],
) -> (Vec<String>, tempfile::TempDir, std::path::PathBuf) {
    let server = ScriptedServer::start(script.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("edges.duckdb");
    let mut args = vec!["--task", "service-config"];
    args.extend_from_slice(extra);
    server.run(&plugin(scaffold), &db, &args);
    assert_eq!(
        server.requests().len(),
        script.len(),
        "{scaffold}: every reply was asked for"
    );
    (server.results(), dir, db)
}

fn editor(args: Value) -> Reply {
    let mut args = args;
    args["security_risk"] = json!("LOW");
    Reply::Tool("str_replace_editor", args)
}

#[test]
fn openhands_editor_edge_cases_in_a_real_sandbox() {
    if !docker_available() {
        return;
    }
    let text = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a + b\n";
    let script = vec![
        editor(json!({"command": "create", "path": FILE, "file_text": text})),
        editor(
            json!({"command": "str_replace", "path": FILE, "old_str": "return a + b", "new_str": "return a - b"}),
        ),
        editor(
            json!({"command": "str_replace", "path": FILE, "old_str": "return a * b", "new_str": "x"}),
        ),
        editor(json!({"command": "view", "path": "/workspace/missing.py"})),
        editor(json!({"command": "insert", "path": FILE, "insert_line": 99, "new_str": "pass"})),
        editor(json!({"command": "insert", "path": FILE, "insert_line": 6, "new_str": "# end"})),
        editor(
            json!({"command": "str_replace", "path": FILE, "old_str": "def sub(a, b):\n    return a + b", "new_str": "def sub(a, b):\n    return a - b"}),
        ),
        editor(json!({"command": "undo_edit", "path": FILE})),
        editor(json!({"command": "undo_edit", "path": FILE})),
        editor(json!({"command": "undo_edit", "path": FILE})),
        Reply::Tool(
            "execute_bash",
            json!({"command": format!("cat {FILE}"), "security_risk": "LOW"}),
        ),
        Reply::Tool("finish", json!({"message": "done"})),
    ];
    let (results, _dir, _) = tool_results("openhands.wasm", script, &[]);
    assert_eq!(results.len(), 11, "{results:#?}");
    assert_eq!(results[0], format!("File created successfully at: {FILE}"));
    assert!(
        results[1].contains("Multiple occurrences of old_str `return a + b` in lines [2, 6]"),
        "{}",
        results[1]
    );
    assert!(
        results[2].contains("did not appear verbatim in /workspace/edge.py"),
        "{}",
        results[2]
    );
    assert!(
        results[3].contains("The path /workspace/missing.py does not exist"),
        "{}",
        results[3]
    );
    assert!(
        results[4].contains("Invalid `insert_line` parameter: 99") && results[4].contains("[0, 6]"),
        "{}",
        results[4]
    );
    assert!(results[5].contains("has been edited"), "{}", results[5]);
    assert!(results[6].contains("has been edited"), "{}", results[6]);
    // Two undos restore both earlier versions in order; a third has nothing left.
    assert!(
        results[7].contains("undone successfully")
            && results[7].contains("return a + b\n     7\t# end"),
        "{}",
        results[7]
    );
    assert!(
        results[8].contains("undone successfully") && !results[8].contains("# end"),
        "{}",
        results[8]
    );
    assert!(
        results[9].contains("No edit history found for /workspace/edge.py"),
        "{}",
        results[9]
    );
    assert!(results[10].contains(text.trim_end()), "{}", results[10]);
}

#[test]
fn swe_agent_viewer_lint_and_search_in_a_real_sandbox() {
    if !docker_available() {
        return;
    }
    let long: String = (1..=150).map(|i| format!("x{i} = {i}\n")).collect();
    let script = vec![
        Reply::Tool(
            "bash",
            json!({"command": format!(
                "printf '%s' '{long}' > long.py && mkdir -p many && for i in $(seq 1 101); do echo needle > many/f$i.txt; done"
            )}),
        ),
        Reply::Tool("open", json!({"path": "long.py"})),
        Reply::Tool("goto", json!({"line_number": 150})),
        Reply::Tool("goto", json!({"line_number": 151})),
        // Breaks the syntax: flake8 reports E999; the edit is refused and the file kept.
        Reply::Tool(
            "edit",
            json!({"start_line": 3, "end_line": 3, "replacement_text": "x3 = (3"}),
        ),
        Reply::Tool("bash", json!({"command": "sed -n 3p long.py"})),
        Reply::Tool(
            "search_dir",
            json!({"search_term": "needle", "dir": "many"}),
        ),
        Reply::Tool("search_file", json!({"search_term": "x14 ="})),
        Reply::Tool("submit", json!({})),
    ];
    let (results, _dir, _) = tool_results("swe-agent.wasm", script, &[]);
    assert_eq!(results.len(), 8, "{results:#?}");
    let open = &results[1];
    assert!(
        open.starts_with("[File: /workspace/long.py (150 lines total)]\n1:x1 = 1\n"),
        "{open}"
    );
    assert!(!open.contains("more lines above"), "{open}");
    assert!(open.contains("(50 more lines below)"), "{open}");
    let end = &results[2];
    assert!(end.contains("150:x150 = 150"), "{end}");
    assert!(!end.contains("more lines below"), "{end}");
    assert!(end.contains("more lines above)"), "{end}");
    assert!(
        results[3].contains("Error: <line> must be less than or equal to 150"),
        "{}",
        results[3]
    );
    let refused = &results[4];
    assert!(
        refused.starts_with("Your proposed edit has introduced new syntax error(s)."),
        "{refused}"
    );
    assert!(refused.contains("E999"), "{refused}");
    assert!(
        refused.contains("Your changes have NOT been applied."),
        "{refused}"
    );
    assert!(
        results[5].contains("x3 = 3"),
        "file restored: {}",
        results[5]
    );
    assert!(
        results[6].contains("More than 101 files matched for \"needle\" in /workspace/many. Please narrow your search."),
        "{}",
        results[6]
    );
    assert!(
        results[7].contains("Found 1 matches for \"x14 =\" in /workspace/long.py:")
            && results[7].contains("Line 14:x14 = 14"),
        "{}",
        results[7]
    );
}

fn bash(command: &str, is_input: bool) -> Reply {
    Reply::Tool(
        "execute_bash",
        json!({"command": command, "is_input": if is_input { "true" } else { "false" }, "security_risk": "LOW"}),
    )
}

#[test]
fn openhands_bash_soft_timeout_input_and_interrupt_in_a_real_sandbox() {
    if !docker_available() {
        return;
    }
    let script = vec![
        // Quiet for longer than the no-change timeout: back with exit code -1, still running.
        bash("echo ready; read name; echo \"hello $name\"", false),
        // A new command while it runs is refused.
        bash("ls", false),
        // An empty command fetches more output (there is none yet).
        bash("", false),
        // Input goes to the running command, which finishes.
        bash("world", true),
        // Nothing runs now.
        bash("", false),
        bash("sleep 600", false),
        bash("C-c", true),
        bash("echo after", false),
        Reply::Tool("finish", json!({"message": "done"})),
    ];
    let (results, _dir, db) = tool_results(
        "openhands.wasm",
        script,
        &["--scaffold-config", r#"{"no_change_timeout_secs": 1}"#],
    );
    assert!(results[0].starts_with("ready"), "{}", results[0]);
    assert!(
        results[0].contains("[The command has no new output after 1 seconds."),
        "{}",
        results[0]
    );
    assert!(results[1].contains("is NOT executed"), "{}", results[1]);
    assert!(
        results[2].starts_with("[Below is the output of the previous command.]"),
        "{}",
        results[2]
    );
    assert!(
        results[3].contains("hello world") && results[3].contains("exit code 0"),
        "{}",
        results[3]
    );
    assert!(
        results[4].contains("ERROR: No previous running command to retrieve logs from."),
        "{}",
        results[4]
    );
    assert!(
        results[5].contains("no new output after 1 seconds"),
        "{}",
        results[5]
    );
    assert!(results[6].contains("CTRL+C was sent"), "{}", results[6]);
    assert!(results[7].contains("after"), "{}", results[7]);
    let conn = open_db(&db);
    let ops = strings(&conn, "SELECT op FROM v_actions ORDER BY seq");
    assert!(ops.contains(&"send_input".to_string()), "{ops:?}");
    assert!(ops.contains(&"interrupt".to_string()), "{ops:?}");
    assert!(ops.contains(&"poll".to_string()), "{ops:?}");
}
