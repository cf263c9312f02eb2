//! Each scaffold solves three different templates with its own tools, driven by a scripted
//! OpenAI-format server: openhands with `str_replace_editor`, swe-agent with its windowed
//! `edit`, the Rust example (plan-act) and the Python example with `write_file`. Every run
//! must end with reward 1, and the stored replies and actions must be the script's.
//!
//! The scripts compute their edits from the templates' own files, so they stay right when a
//! template changes.

use std::path::Path;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::*;
use crate::llm_server::{Reply, ScriptedServer};

const WS: &str = "/workspace";

/// A template the scripts solve: its `--task` filter and the files a correct fix writes.
struct Fix {
    task: String,
    /// Files edited by replacing one line with another: (path, old line, new line).
    line_edits: Vec<(&'static str, String, String)>,
    /// Files written whole: (path, content).
    whole_files: Vec<(&'static str, String)>,
    /// A shell command run after the edits (chmod, a check).
    after: &'static str,
}

fn template_file(rel: &str) -> String {
    std::fs::read_to_string(templates().join(rel))
        .unwrap_or_else(|e| panic!("templates/{rel}: {e}"))
}

/// The text between the line ending with `start` and the line equal to `end`.
fn heredoc(text: &str, start: &str, end: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        if inside {
            if line == end {
                return out;
            }
            out.push_str(line);
            out.push('\n');
        } else if line.trim_end().ends_with(start) {
            inside = true;
        }
    }
    panic!("no heredoc {start} .. {end}");
}

fn inventory() -> Fix {
    Fix {
        task: "inventory-rounding".into(),
        line_edits: vec![
            (
                "inventory/money.py",
                "return value.quantize(CENT)".into(),
                "return value.quantize(CENT, rounding=ROUND_HALF_UP)".into(),
            ),
            (
                "inventory/report.py",
                "value = pos.quantity * pos.unit_cost".into(),
                "value = round_cents(pos.quantity * pos.unit_cost)".into(),
            ),
            (
                "inventory/report.py",
                r#"total = round_cents(sum((line.value for line in lines), Decimal("0")))"#.into(),
                r#"total = sum((line.value for line in lines), Decimal("0.00"))"#.into(),
            ),
        ],
        whole_files: Vec::new(),
        after: "python3 -m inventory report data/items.csv data/movements.csv | tail -3",
    }
}

fn service_config() -> Fix {
    let solve = template_file("shell-sysadmin/service-config/solution/solve.sh");
    Fix {
        task: "service-config".into(),
        line_edits: Vec::new(),
        whole_files: vec![("config/service.ini", heredoc(&solve, "<<'INI' &&", "INI"))],
        after: "python3 -m catalog --config config/service.ini --check",
    }
}

fn csv_report() -> Fix {
    let solve = template_file("shell-sysadmin/csv-report/solution/solve.sh");
    let script = format!(
        "#!/bin/bash\n# Sales summary of a till export folder (see data/FORMAT.md).\n\
         # usage: sales-summary.sh INPUT_DIR OUTPUT_FILE\nsep=','\n{}",
        heredoc(&solve, "<<'SCRIPT'", "SCRIPT")
    );
    // The instance whose delimiter is `,` (instance ids hash the canonical parameters).
    let hash = hex_sha256(br#"{"delimiter":","}"#);
    Fix {
        task: format!("csv-report-{}", &hash[..8]),
        line_edits: Vec::new(),
        whole_files: vec![("bin/sales-summary.sh", script)],
        after: "chmod +x bin/sales-summary.sh && bin/sales-summary.sh data/sales /tmp/out.csv && cat /tmp/out.csv",
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn fixes() -> Vec<Fix> {
    vec![inventory(), service_config(), csv_report()]
}

/// The current content of a workspace file after `edits` (for whole-file tools).
fn edited(path: &str, fix: &Fix) -> String {
    let template = match fix.task.as_str() {
        "inventory-rounding" => "bug-fixing/inventory-rounding",
        _ => panic!("line edits only in inventory-rounding"),
    };
    let mut text = template_file(&format!("{template}/environment/{path}"));
    for (p, old, new) in &fix.line_edits {
        if *p == path {
            assert!(text.contains(old.as_str()), "{path} lacks {old}");
            text = text.replacen(old.as_str(), new, 1);
        }
    }
    text
}

/// 1-based number of the line of `path` (in the template) containing `needle`.
fn line_of(path: &str, needle: &str) -> usize {
    let text = template_file(&format!("bug-fixing/inventory-rounding/environment/{path}"));
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{path} lacks {needle}"))
        + 1
}

fn indent_of(path: &str, line: usize) -> String {
    let text = template_file(&format!("bug-fixing/inventory-rounding/environment/{path}"));
    let l = text.lines().nth(line - 1).expect("line");
    l[..l.len() - l.trim_start().len()].to_string()
}

fn openhands_script(fix: &Fix) -> Vec<Reply> {
    let risk = "LOW";
    let mut s = vec![Reply::Tool(
        "str_replace_editor",
        json!({"command": "view", "path": WS, "security_risk": risk}),
    )];
    for (path, old, new) in &fix.line_edits {
        s.push(Reply::Tool(
            "str_replace_editor",
            json!({"command": "str_replace", "path": format!("{WS}/{path}"),
                   "old_str": old, "new_str": new, "security_risk": risk}),
        ));
    }
    for (path, content) in &fix.whole_files {
        s.push(Reply::Tool(
            "execute_bash",
            json!({"command": format!("rm -f {path}"), "security_risk": risk}),
        ));
        s.push(Reply::Tool(
            "str_replace_editor",
            json!({"command": "create", "path": format!("{WS}/{path}"),
                   "file_text": content, "security_risk": risk}),
        ));
    }
    s.push(Reply::Tool(
        "execute_bash",
        json!({"command": fix.after, "security_risk": risk}),
    ));
    s.push(Reply::Tool("think", json!({"thought": "The checks pass."})));
    s.push(Reply::Tool("finish", json!({"message": "Fixed."})));
    s
}

fn swe_agent_script(fix: &Fix) -> Vec<Reply> {
    let mut s = vec![Reply::Tool("find_file", json!({"file_name": "*.md"}))];
    let mut open = "";
    for (path, old, new) in &fix.line_edits {
        if *path != open {
            s.push(Reply::Tool("open", json!({"path": path})));
            open = path;
        }
        let n = line_of(path, old);
        let line = format!("{}{}", indent_of(path, n), new);
        s.push(Reply::Tool(
            "edit",
            json!({"start_line": n, "end_line": n, "replacement_text": line}),
        ));
    }
    for (path, content) in &fix.whole_files {
        s.push(Reply::Tool(
            "bash",
            json!({"command": format!("rm -f {path}")}),
        ));
        s.push(Reply::Tool("create", json!({"filename": path})));
        s.push(Reply::Tool(
            "edit",
            json!({"start_line": 1, "end_line": 1, "replacement_text": content.trim_end_matches('\n')}),
        ));
    }
    s.push(Reply::Tool("bash", json!({"command": fix.after})));
    s.push(Reply::Tool("submit", json!({})));
    s
}

/// Whole-file writes for the scaffolds whose file tool is `write_file`.
fn write_file_steps(fix: &Fix) -> Vec<Reply> {
    let mut s = Vec::new();
    let mut paths: Vec<&str> = fix.line_edits.iter().map(|(p, _, _)| *p).collect();
    paths.dedup();
    for path in paths {
        s.push(Reply::Tool(
            "write_file",
            json!({"path": format!("{WS}/{path}"), "content": edited(path, fix)}),
        ));
    }
    for (path, content) in &fix.whole_files {
        s.push(Reply::Tool(
            "write_file",
            json!({"path": format!("{WS}/{path}"), "content": content}),
        ));
    }
    s.push(Reply::Tool("bash", json!({"command": fix.after})));
    s
}

fn plan_act_script(fix: &Fix) -> Vec<Reply> {
    let mut s = vec![Reply::Tool(
        "plan",
        json!({"steps": ["write the fix", "check it", "submit"]}),
    )];
    s.extend(write_file_steps(fix));
    s.push(Reply::Tool("submit", json!({"summary": "Fixed."})));
    s
}

fn python_agent_script(fix: &Fix) -> Vec<Reply> {
    let mut s = write_file_steps(fix);
    s.push(Reply::Tool("submit", json!({"message": "Fixed."})));
    s
}

/// Runs `scaffold` on `fix` with `script`, checks reward 1 and that the stored replies and
/// file writes are the script's; returns the run file's folder (kept alive) and path.
fn solve(
    scaffold: &Path,
    fix: &Fix,
    script: Vec<Reply>,
) -> (tempfile::TempDir, std::path::PathBuf) {
    let server = ScriptedServer::start(script.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("run.duckdb");
    server.run(scaffold, &db, &["--task", &fix.task]);
    let conn = open_db(&db);
    let name = scaffold.file_stem().unwrap().to_string_lossy();
    let outcome = strings(
        &conn,
        "SELECT status || ' ' || termination || ' ' || reward::VARCHAR FROM v_episodes",
    );
    assert_eq!(
        outcome,
        vec!["completed submitted 1.0".to_string()],
        "{name} on {}: {:?}",
        fix.task,
        strings(&conn, "SELECT output FROM v_actions ORDER BY seq")
    );
    assert_eq!(server.requests().len(), script.len(), "{name}: requests");

    // The stored replies are the script, call by call.
    let stored = strings(
        &conn,
        "SELECT m.tool_calls FROM v_llm_calls c JOIN messages m ON m.message_hash = c.response_message_hash
         WHERE c.purpose = 'agent' ORDER BY c.started_at",
    );
    assert_eq!(stored.len(), script.len(), "{name}: stored replies");
    for (i, (row, reply)) in stored.iter().zip(&script).enumerate() {
        let Reply::Tool(tool, args) = reply else {
            continue;
        };
        let calls: Value = serde_json::from_str(row).expect("tool_calls JSON");
        assert_eq!(calls[0]["name"], *tool, "{name} step {}", i + 1);
        assert_eq!(&calls[0]["arguments"], args, "{name} step {}", i + 1);
    }
    // Every whole file the script wrote went through a sandbox file write or a shell
    // command of this episode.
    let writes = strings(
        &conn,
        "SELECT target FROM v_actions WHERE op = 'write_file' ORDER BY seq",
    );
    for (path, _) in &fix.whole_files {
        let full = format!("{WS}/{path}");
        assert!(
            writes.iter().any(|w| *w == full || w == path),
            "{name}: no write of {path} in {writes:?}"
        );
    }
    assert!(
        leftover_containers(&conn).is_empty(),
        "containers left behind"
    );
    drop(conn);
    (dir, db)
}

#[test]
fn openhands_solves_three_templates_with_its_editor() {
    if !docker_available() {
        return;
    }
    let openhands = plugin("openhands.wasm");
    for fix in fixes() {
        let (_dir, db) = solve(&openhands, &fix, openhands_script(&fix));
        let conn = open_db(&db);
        // str_replace edits read and write the file in the sandbox, no shell involved.
        if !fix.line_edits.is_empty() {
            assert!(
                count(
                    &conn,
                    "SELECT count(*) FROM v_actions WHERE op = 'write_file'"
                ) >= 3
            );
        }
    }
}

#[test]
fn swe_agent_solves_three_templates_with_its_edit_command() {
    if !docker_available() {
        return;
    }
    let swe = plugin("swe-agent.wasm");
    for fix in fixes() {
        let (_dir, db) = solve(&swe, &fix, swe_agent_script(&fix));
        let conn = open_db(&db);
        if !fix.line_edits.is_empty() {
            // Each .py edit was linted with flake8 before and after.
            assert!(
                count(
                    &conn,
                    "SELECT count(*) FROM v_actions WHERE op = 'exec' AND target LIKE '%flake8%'"
                ) >= 3
            );
        }
    }
}

#[test]
fn rust_example_solves_three_templates() {
    if !docker_available() {
        return;
    }
    let plan_act = plugin("plan-act.wasm");
    for fix in fixes() {
        let (_dir, db) = solve(&plan_act, &fix, plan_act_script(&fix));
        let conn = open_db(&db);
        assert_eq!(
            count(&conn, "SELECT count(*) FROM v_notes WHERE kind = 'plan'"),
            1,
            "the plan is a trajectory note"
        );
    }
}

#[test]
fn python_example_solves_three_templates() {
    if !docker_available() {
        return;
    }
    let python = plugin("python-agent.wasm");
    for fix in fixes() {
        solve(&python, &fix, python_agent_script(&fix));
    }
}
