//! Tests of plan-act's loop against the SDK's scripted host: model replies and command
//! results are queued up front; the host records every request, command, file and note.

use super::*;
use crate::config::test_task;
use serde_json::{Value, json};
use synth_sdk::Role;
use synth_sdk::llm::LlmError;
use synth_sdk::sandbox::SandboxError;
use synth_sdk::testing::{FakeHost, exec_result};

fn run_with(host: &mut FakeHost, config: &str) -> Result<Outcome, RunError> {
    run(host, &test_task(), &Config::parse(config).unwrap())
}

/// The message the loop appended after model call `step`, as the next request saw it,
/// counting back from the end of the history (the progress message, when there is one, is
/// skipped).
fn answer(host: &FakeHost, step: usize, back: usize) -> Message {
    let messages = &host.requests[step + 1].messages;
    let end = if last_is_progress(messages) {
        messages.len() - 1
    } else {
        messages.len()
    };
    messages[end - 1 - back].clone()
}

fn last_is_progress(messages: &[Message]) -> bool {
    messages.last().is_some_and(|m| {
        m.role == Role::User
            && (m.text().starts_with("Plan progress") || m.text().starts_with("Plan: none"))
    })
}

fn notes(host: &FakeHost, kind: &str) -> Vec<Value> {
    host.notes
        .iter()
        .filter(|(k, _)| k == kind)
        .map(|(_, data)| serde_json::from_str(data).unwrap())
        .collect()
}

#[test]
fn plans_then_acts_then_submits() {
    let mut host = FakeHost::new();
    host.reply_call(
        "plan",
        json!({"steps": ["Look around", "Write the script", "Run it"]}),
    )
    .reply_call("bash", json!({"command": "ls data"}))
    .reply_call(
        "write_file",
        json!({"path": "/workspace/bin/report.sh", "content": "#!/bin/bash\necho hi\n"}),
    )
    .reply_call(
        "update_plan",
        json!({"done": [1, 2], "note": "data has 3 files"}),
    )
    .reply_call("submit", json!({"summary": "wrote bin/report.sh"}))
    .result(exec_result(0, "a.csv\nb.csv\n"));

    let outcome = run_with(
        &mut host,
        r#"{"command_timeout_secs": 30, "temperature": 0.5}"#,
    )
    .unwrap();
    assert_eq!(outcome.exit, ExitKind::Submitted);
    assert_eq!(outcome.message, "wrote bin/report.sh");

    // The first request: system prompt, the instruction verbatim, every tool, no progress yet.
    let first = &host.requests[0];
    assert_eq!(first.messages.len(), 2);
    assert_eq!(first.messages[0].role, Role::System);
    assert!(first.messages[0].text().contains("/workspace"));
    assert!(first.messages[0].text().contains("at most 6 replies"));
    assert_eq!(first.messages[1].text(), "Write bin/report.sh.");
    assert_eq!(first.tools.len(), 6);
    assert_eq!(first.params.temperature, Some(0.5));
    assert_eq!(first.params.purpose, synth_sdk::llm::Purpose::Agent);

    // Every later request ends with the current plan, which is not kept in the history.
    let progress = |i: usize| host.requests[i].messages.last().unwrap().text();
    assert!(progress(1).starts_with("Plan progress: 0 of 3 steps done.\n[ ] 1. Look around"));
    assert!(progress(4).starts_with("Plan progress: 2 of 3 steps done.\n[x] 1. Look around"));
    assert!(progress(4).contains("- data has 3 files"));
    let kept = host.requests[4]
        .messages
        .iter()
        .filter(|m| m.text().starts_with("Plan progress"));
    assert_eq!(kept.count(), 1);

    // Tool results answer their calls by id.
    let planned = answer(&host, 0, 0);
    assert_eq!(planned.role, Role::Tool);
    assert_eq!(planned.tool_call_id.as_deref(), Some("call_1"));
    assert_eq!(
        planned.text(),
        "Plan recorded: 3 steps. Carry it out, starting with step 1."
    );
    assert_eq!(
        answer(&host, 1, 0).text(),
        "<returncode>0</returncode>\n<output>\na.csv\nb.csv\n</output>"
    );
    assert_eq!(
        answer(&host, 2, 0).text(),
        "Wrote 20 bytes to /workspace/bin/report.sh."
    );

    assert_eq!(host.commands, ["ls data"]);
    assert_eq!(host.exec_options[0].timeout_ms, Some(30_000));
    assert_eq!(
        host.exec_options[0].max_output_bytes,
        Some(tools::MAX_OUTPUT_BYTES)
    );
    assert_eq!(
        host.text("/workspace/bin/report.sh"),
        "#!/bin/bash\necho hi\n"
    );
    assert_eq!(
        notes(&host, "plan"),
        [json!({"steps": ["Look around", "Write the script", "Run it"], "done": [], "notes": []})]
    );
    assert_eq!(notes(&host, "plan_update")[0]["done"], json!([1, 2]));
}

#[test]
fn acting_before_planning_records_an_empty_plan() {
    // What the oracle (and a terse scripted model) does: the shell tool at once, then the
    // finish tool with its fixed arguments `{}`.
    let mut host = FakeHost::new();
    host.reply_call("bash", json!({"command": "cd /workspace && ./solve"}))
        .reply_call("submit", json!({}))
        .result(exec_result(0, "ok\n"));
    let outcome = run_with(&mut host, "{}").unwrap();
    assert_eq!(outcome.exit, ExitKind::Submitted);
    assert_eq!(outcome.message, "");
    assert_eq!(host.commands, ["cd /workspace && ./solve"]);
    assert_eq!(
        notes(&host, "plan"),
        [json!({"steps": [], "done": [], "notes": []})]
    );
    let progress = host.requests[1].messages.last().unwrap().text();
    assert!(progress.starts_with("Plan: none was written"), "{progress}");
    // A plan written later replaces the empty one.
    let mut host = FakeHost::new();
    host.reply_call("read_file", json!({"path": "/workspace/README.md"}))
        .reply_call("plan", json!({"steps": ["fix it"]}))
        .reply_call("submit", json!({}))
        .file("/workspace/README.md", "# inventory\n");
    run_with(&mut host, "{}").unwrap();
    assert_eq!(answer(&host, 0, 0).text(), "# inventory\n");
    assert!(
        answer(&host, 1, 0)
            .text()
            .starts_with("Plan recorded: 1 steps")
    );
    assert_eq!(notes(&host, "plan").len(), 2);
}

#[test]
fn bad_calls_are_answered_and_the_episode_goes_on() {
    let mut host = FakeHost::new();
    host.reply_call("plan", json!({"steps": [" ", ""]}))
        .reply_call("bash", json!({"cmd": "ls"}))
        .reply_call(
            "write_file",
            json!({"path": "a", "content": "x", "mode": 755}),
        )
        .reply_call("update_plan", json!({"done": [9]}))
        .reply_call("python", json!({"code": "1"}))
        .reply(Message {
            tool_calls: vec![ToolCall {
                id: "broken".into(),
                name: "bash".into(),
                raw_arguments: "{\"command\": \"ls".into(),
                parsed: Err("EOF while parsing a string".into()),
            }],
            ..Message::assistant("")
        })
        .reply(Message::assistant("I am done, I think."))
        .reply_call("submit", json!({"summary": "gave it a go"}));
    let outcome = run_with(&mut host, r#"{"max_steps": 10}"#).unwrap();
    assert_eq!(outcome.exit, ExitKind::Submitted);
    assert!(host.commands.is_empty() && host.files.is_empty());
    let said = |step: usize| answer(&host, step, 0).text();
    assert!(
        said(0).contains("at least one non-empty step"),
        "{}",
        said(0)
    );
    assert_eq!(
        said(1),
        "Error: `bash` was not run: missing required argument(s): command."
    );
    assert!(
        said(2).contains("unexpected argument(s): mode"),
        "{}",
        said(2)
    );
    assert!(
        said(3).contains("step number(s) 9 do not exist") || said(3).contains("no plan"),
        "{}",
        said(3)
    );
    assert!(said(4).contains("unknown tool `python`"), "{}", said(4));
    assert!(
        said(5).contains("EOF while parsing a string"),
        "{}",
        said(5)
    );
    let nudge = answer(&host, 6, 0);
    assert_eq!(nudge.role, Role::User);
    assert!(nudge.text().contains("called no tool"), "{}", nudge.text());
}

#[test]
fn write_then_read_round_trip() {
    let mut host = FakeHost::new();
    host.reply_call("plan", json!({"steps": ["write", "read back"]}))
        .reply_call(
            "write_file",
            json!({"path": "/workspace/notes/a.txt", "content": "héllo\n"}),
        )
        .reply_call("read_file", json!({"path": "/workspace/notes/a.txt"}))
        .reply_call("read_file", json!({"path": "/workspace/missing.txt"}))
        .reply_call("read_file", json!({"path": "/workspace/notes"}))
        .reply_call("submit", json!({}));
    run_with(&mut host, "{}").unwrap();
    assert_eq!(host.text("/workspace/notes/a.txt"), "héllo\n");
    assert_eq!(answer(&host, 2, 0).text(), "héllo\n");
    assert_eq!(
        answer(&host, 3, 0).text(),
        "Error: /workspace/missing.txt could not be read: not found: /workspace/missing.txt."
    );
    assert!(answer(&host, 4, 0).text().contains("is a directory"));

    // A long file is cut, and says so.
    let mut host = FakeHost::new();
    host.file("/w/big", &"x".repeat(tools::MAX_READ_BYTES + 5));
    let text = tools::read_file(&mut host, "/w/big").unwrap();
    assert!(text.contains(&format!("has {} bytes", tools::MAX_READ_BYTES + 5)));
}

#[test]
fn several_calls_in_one_reply_run_in_order() {
    let mut host = FakeHost::new();
    host.reply(Message {
        tool_calls: vec![
            synth_sdk::testing::assistant_call("a", "plan", json!({"steps": ["run"]})).tool_calls
                [0]
            .clone(),
            synth_sdk::testing::assistant_call("b", "bash", json!({"command": "echo 1"}))
                .tool_calls[0]
                .clone(),
            synth_sdk::testing::assistant_call("c", "submit", json!({})).tool_calls[0].clone(),
            synth_sdk::testing::assistant_call("d", "bash", json!({"command": "echo never"}))
                .tool_calls[0]
                .clone(),
        ],
        ..Message::assistant("Plan, run, submit.")
    })
    .result(exec_result(0, "1\n"));
    let outcome = run_with(&mut host, "{}").unwrap();
    assert_eq!(outcome.exit, ExitKind::Submitted);
    assert_eq!(host.requests.len(), 1);
    assert_eq!(host.commands, ["echo 1"]);
}

#[test]
fn step_limit_counts_the_plan() {
    let mut host = FakeHost::new();
    host.reply_call("plan", json!({"steps": ["loop"]}))
        .reply_call("bash", json!({"command": "true"}))
        .result(exec_result(0, ""));
    let outcome = run_with(&mut host, r#"{"max_steps": 2}"#).unwrap();
    assert_eq!(outcome.exit, ExitKind::StepLimit);
    assert_eq!(host.requests.len(), 2);

    // Without max_steps the task's limit (6) applies, also to replies that call nothing.
    let mut host = FakeHost::new();
    for _ in 0..6 {
        host.reply(Message::assistant("hmm"));
    }
    assert_eq!(run_with(&mut host, "{}").unwrap().exit, ExitKind::StepLimit);
    assert_eq!(host.requests.len(), 6);
    assert!(
        answer(&host, 0, 0)
            .text()
            .contains("Start by calling `plan`")
    );
}

#[test]
fn llm_errors_end_with_an_outcome_or_fail_the_run() {
    let cases = [
        (
            LlmError::BudgetExhausted("cost".into()),
            Some(ExitKind::BudgetExhausted),
        ),
        (
            LlmError::ContextLengthExceeded("128k".into()),
            Some(ExitKind::ContextLimit),
        ),
        (LlmError::Provider("503".into()), None),
        (LlmError::Cancelled, None),
    ];
    for (error, want) in cases {
        let mut host = FakeHost::new();
        host.replies.push_back(Err(error));
        match (run_with(&mut host, "{}"), want) {
            (Ok(outcome), Some(exit)) => assert_eq!(outcome.exit, exit),
            (Err(RunError::Llm(_)), None) => {}
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn a_broken_sandbox_fails_the_run_other_errors_are_observations() {
    let mut host = FakeHost::new();
    host.reply_call("bash", json!({"command": "sleep 1 &"}))
        .reply_call("bash", json!({"command": "ls"}));
    host.results.push_back(Err(SandboxError::Busy));
    host.results
        .push_back(Err(SandboxError::Infrastructure("container gone".into())));
    let result = run_with(&mut host, "{}");
    assert!(
        matches!(result, Err(RunError::Sandbox(ref m)) if m == "container gone"),
        "{result:?}"
    );
    assert!(
        answer(&host, 0, 0)
            .text()
            .starts_with("Error: the command could not run: another command")
    );
}

#[test]
fn text_mode_sends_no_tools_and_parses_calls_from_text() {
    let mut host = FakeHost::new();
    host.reply(Message::assistant(
        "First the plan.\n<function=plan>\n<parameter=steps>[\"list\", \"submit\"]</parameter>\n</function",
    ))
    .reply(Message::assistant("<function=bash>\n<parameter=command>ls</parameter>\n</function>"))
    .reply(Message::assistant("<function=bash>\n<parameter=cmd>ls</parameter>\n</function>"))
    .reply(Message::assistant("<function=submit>\n</function>"))
    .result(exec_result(0, "x\n"));
    let outcome = run_with(&mut host, r#"{"tool_call_mode": "text"}"#).unwrap();
    assert_eq!(outcome.exit, ExitKind::Submitted);
    let first = &host.requests[0];
    assert!(first.tools.is_empty());
    assert!(
        first
            .params
            .stop
            .contains(&synth_sdk::calls::TEXT_STOP.to_string())
    );
    assert!(
        first.messages[0]
            .text()
            .contains("---- BEGIN FUNCTION #2: bash ----")
    );
    // The cut-off call is closed in the history, and results come back as user messages.
    assert!(host.requests[1].messages[2].text().ends_with("</function>"));
    let result = answer(&host, 0, 0);
    assert_eq!(result.role, Role::User);
    assert!(
        result
            .text()
            .starts_with("EXECUTION RESULT of [plan]:\nPlan recorded: 2 steps")
    );
    assert!(
        answer(&host, 1, 0)
            .text()
            .contains("<returncode>0</returncode>")
    );
    let refused = answer(&host, 2, 0).text();
    assert!(
        refused.starts_with("Error: Parameter 'cmd' is not allowed"),
        "{refused}"
    );
    assert_eq!(host.commands, ["ls"]);
}
