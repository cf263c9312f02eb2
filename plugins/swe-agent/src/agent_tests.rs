//! Tests of the loop against `FakeHost`: model replies and command results are queued up
//! front; the host records every request the loop made.

use super::*;
use crate::config::test_task;
use serde_json::json;
use synth_sdk::llm::LlmError;
use synth_sdk::sandbox::SandboxError;
use synth_sdk::testing::{FakeHost, exec_result};
use synth_sdk::{ContentPart, Role};

fn run_with(host: &mut FakeHost, config: &str) -> Result<Outcome, RunError> {
    run(host, &test_task(), &Config::parse(config).unwrap())
}

fn last_text(host: &FakeHost, request: usize) -> String {
    host.requests[request].messages.last().unwrap().text()
}

const FOOTER_NONE: &str = "(Open file: n/a)\n(Current directory: /workspace)\nbash-$";

#[test]
fn open_edit_submit() {
    let mut host = FakeHost::new();
    host.file("/workspace/calc.py", "def add(a, b):\n    return a - b\n");
    host.reply_call("open", json!({"path": "calc.py"}))
        .reply_call(
            "edit",
            json!({"start_line": 2, "end_line": 2, "replacement_text": "    return a + b\n"}),
        )
        .reply_call("submit", json!({}));
    host.result(exec_result(0, "")).result(exec_result(0, ""));

    let outcome = run_with(&mut host, "{}").unwrap();
    assert_eq!(outcome.exit, ExitKind::Submitted);
    assert_eq!(
        host.text("/workspace/calc.py"),
        "def add(a, b):\n    return a + b\n"
    );

    let first = &host.requests[0];
    assert_eq!(first.tools.len(), 11);
    assert_eq!(first.messages[0].role, Role::System);
    assert!(first.messages[1].text().ends_with(FOOTER_NONE));
    let opened = &host.requests[1].messages[3];
    assert_eq!(opened.role, Role::Tool);
    assert_eq!(opened.tool_call_id.as_deref(), Some("call_1"));
    assert_eq!(
        opened.text(),
        "[File: /workspace/calc.py (2 lines total)]\n1:def add(a, b):\n2:    return a - b\n\
         (Open file: /workspace/calc.py)\n(Current directory: /workspace)\nbash-$"
    );
    assert!(last_text(&host, 2).starts_with("File updated."));
    assert_eq!(host.requests.len(), 3);
}

#[test]
fn bash_output_timeouts_and_empty_output() {
    let mut host = FakeHost::new();
    host.reply_call("bash", json!({"command": "ls"}))
        .reply_call("bash", json!({"command": "true"}))
        .reply_call("bash", json!({"command": "sleep 99"}))
        .reply_call("submit", json!({}));
    let mut slow = exec_result(0, "partial");
    slow.timed_out = true;
    host.result(exec_result(0, "calc.py\n"))
        .result(exec_result(0, ""))
        .result(slow);

    run_with(&mut host, r#"{"command_timeout_secs": 7}"#).unwrap();
    assert_eq!(host.commands[0], "ls");
    assert_eq!(host.exec_options[0].timeout_ms, Some(7000));
    assert_eq!(last_text(&host, 1), format!("calc.py\n\n{FOOTER_NONE}"));
    assert_eq!(
        last_text(&host, 2),
        format!("Your command ran successfully and did not produce any output.\n{FOOTER_NONE}")
    );
    assert!(
        last_text(&host, 3).starts_with(
            "The command 'sleep 99' was cancelled because it took more than 7 seconds."
        )
    );
}

#[test]
fn old_observations_are_collapsed_in_requests_only() {
    let mut host = FakeHost::new();
    for i in 0..7 {
        host.reply_call("bash", json!({"command": format!("echo {i}")}));
        host.result(exec_result(0, &format!("out {i}\n")));
    }
    host.reply_call("submit", json!({}));
    run_with(&mut host, "{}").unwrap();
    let last = &host.requests[7].messages;
    let results: Vec<String> = last
        .iter()
        .filter(|m| m.role == Role::Tool)
        .map(|m| m.text())
        .collect();
    assert_eq!(results.len(), 7);
    assert_eq!(results[0], "Old environment output: (5 lines omitted)");
    assert_eq!(results[1], "Old environment output: (5 lines omitted)");
    assert!(results[2].starts_with("out 2\n"));
    assert!(results[6].starts_with("out 6\n"));
    // Earlier requests saw the full output.
    assert!(host.requests[1].messages[3].text().starts_with("out 0\n"));
}

#[test]
fn format_errors_are_retried_then_dropped_from_the_history() {
    let mut host = FakeHost::new();
    host.reply(Message::assistant("I think I am done."))
        .reply_call("vim", json!({"file": "a.py"}))
        .reply_call("bash", json!({"command": "ls"}))
        .reply_call("submit", json!({}));
    host.result(exec_result(0, "a.py\n"));
    let outcome = run_with(&mut host, "{}").unwrap();
    assert_eq!(outcome.exit, ExitKind::Submitted);

    let missing = &host.requests[1].messages;
    assert_eq!(missing.len(), 4);
    assert_eq!(missing[2].text(), "I think I am done.");
    assert!(
        missing[3]
            .text()
            .starts_with("Your last output did not use any tool calls!")
    );
    // Only the latest bad reply goes with the retry; its call is answered by id.
    let unknown = &host.requests[2].messages;
    assert_eq!(unknown.len(), 4);
    assert_eq!(unknown[3].role, Role::Tool);
    assert_eq!(unknown[3].tool_call_id.as_deref(), Some("call_2"));
    assert_eq!(
        unknown[3].text(),
        "Your action could not be parsed properly: Command 'vim' not found in list of available commands.."
    );
    // After the recovery the bad turns are gone.
    let after = &host.requests[3].messages;
    assert_eq!(after.len(), 4);
    assert_eq!(after[2].tool_calls[0].name, "bash");
}

#[test]
fn several_calls_are_one_format_error() {
    let mut host = FakeHost::new();
    let mut two = synth_sdk::testing::assistant_call("a", "bash", json!({"command": "ls"}));
    two.tool_calls.push(
        synth_sdk::testing::assistant_call("b", "submit", json!({}))
            .tool_calls
            .remove(0),
    );
    host.reply(two).reply_call("submit", json!({}));
    run_with(&mut host, "{}").unwrap();
    let retry = &host.requests[1].messages;
    assert_eq!(retry.len(), 5);
    assert_eq!(retry[3].tool_call_id.as_deref(), Some("a"));
    assert_eq!(retry[4].tool_call_id.as_deref(), Some("b"));
    assert!(
        retry[4]
            .text()
            .starts_with("Your last output included multiple tool calls!")
    );
    assert!(host.commands.is_empty());
}

#[test]
fn consecutive_format_errors_end_the_episode() {
    let mut host = FakeHost::new();
    host.reply_call("edit", json!({"start_line": 1}))
        .reply_call("submit", json!({"force": true}))
        .reply(Message::assistant("hmm"));
    let outcome = run_with(&mut host, "{}").unwrap();
    assert_eq!(outcome.exit, ExitKind::GaveUp);
    assert!(outcome.message.starts_with("exit_format"));
    assert_eq!(host.requests.len(), 3);
    assert_eq!(
        last_text(&host, 1),
        "Your action could not be parsed properly: Required argument(s) missing: end_line, replacement_text."
    );
    assert!(last_text(&host, 2).contains("Unexpected argument(s): force.\nMake sure"));

    let mut host = FakeHost::new();
    host.reply(Message::assistant("a"))
        .reply_call("submit", json!({}));
    let outcome = run_with(&mut host, r#"{"max_format_errors": 1}"#).unwrap();
    assert_eq!(outcome.exit, ExitKind::GaveUp);
}

#[test]
fn text_mode_runs_calls_from_the_reply_text() {
    let mut host = FakeHost::new();
    host.reply(Message::assistant(
        "Let me look.\n<function=bash>\n<parameter=command>ls -a</parameter>\n</function",
    ))
    .reply(Message::assistant("no call here"))
    .reply(Message::assistant("<function=submit>\n</function>"));
    host.result(exec_result(0, "calc.py\n"));
    let outcome = run_with(&mut host, r#"{"tool_call_mode": "text"}"#).unwrap();
    assert_eq!(outcome.exit, ExitKind::Submitted);
    let first = &host.requests[0];
    assert!(first.tools.is_empty());
    assert!(first.params.stop.contains(&"</function".to_string()));
    assert!(
        first.messages[0]
            .text()
            .contains("---- BEGIN FUNCTION #1: bash ----")
    );
    assert_eq!(host.commands, vec!["ls -a"]);
    let second = &host.requests[1].messages;
    assert!(
        second[2].text().ends_with("</function>"),
        "the cut call is closed in the history"
    );
    assert_eq!(second[3].role, Role::User);
    assert_eq!(
        second[3].text(),
        format!("EXECUTION RESULT of [bash]:\ncalc.py\n\n{FOOTER_NONE}")
    );
    let retry = &host.requests[2].messages;
    assert!(retry.last().unwrap().text().starts_with("Your last output did not use any tool calls!\nPlease make sure your output includes exactly _ONE_ function call!\nIf you think"));
}

#[test]
fn text_mode_parse_errors_are_format_errors() {
    let mut host = FakeHost::new();
    host.reply(Message::assistant("<function=goto>\n</function>"))
        .reply(Message::assistant("<function=submit>\n</function>"));
    run_with(&mut host, r#"{"tool_call_mode": "text"}"#).unwrap();
    let error = last_text(&host, 1);
    assert!(error.starts_with("Your action could not be parsed properly: Missing required parameters for function 'goto'"), "{error}");
}

#[test]
fn limits_and_failures() {
    let mut host = FakeHost::new();
    host.reply_call("bash", json!({"command": "ls"}))
        .reply_call("bash", json!({"command": "ls"}));
    host.result(exec_result(0, "")).result(exec_result(0, ""));
    let outcome = run_with(&mut host, r#"{"max_steps": 2}"#).unwrap();
    assert_eq!(outcome.exit, ExitKind::StepLimit);

    let mut host = FakeHost::new();
    host.replies
        .push_back(Err(LlmError::BudgetExhausted("cost".into())));
    assert_eq!(
        run_with(&mut host, "{}").unwrap().exit,
        ExitKind::BudgetExhausted
    );
    let mut host = FakeHost::new();
    host.replies
        .push_back(Err(LlmError::ContextLengthExceeded("big".into())));
    assert_eq!(
        run_with(&mut host, "{}").unwrap().exit,
        ExitKind::ContextLimit
    );
    let mut host = FakeHost::new();
    host.replies
        .push_back(Err(LlmError::Provider("503".into())));
    assert!(matches!(run_with(&mut host, "{}"), Err(RunError::Llm(m)) if m.contains("503")));

    let mut host = FakeHost::new();
    host.reply_call("bash", json!({"command": "ls"}));
    host.results
        .push_back(Err(SandboxError::Infrastructure("container gone".into())));
    assert!(
        matches!(run_with(&mut host, "{}"), Err(RunError::Sandbox(m)) if m == "container gone")
    );

    let mut host = FakeHost::new();
    host.reply_call("bash", json!({"command": "ls"}))
        .reply_call("submit", json!({}));
    host.results.push_back(Err(SandboxError::Busy));
    run_with(&mut host, "{}").unwrap();
    assert!(last_text(&host, 1).starts_with("Error: another command is still running"));
}

#[test]
fn temperature_and_thinking_pass_through() {
    let mut host = FakeHost::new();
    let mut reply = synth_sdk::testing::assistant_call("x", "submit", json!({}));
    reply.content.push(ContentPart::Text("done".into()));
    host.reply(reply);
    run_with(&mut host, r#"{"temperature": 0.0}"#).unwrap();
    assert_eq!(host.requests[0].params.temperature, Some(0.0));
    assert!(host.requests[0].params.stop.is_empty());
}

#[test]
fn blocked_commands_are_refused_unless_allowed() {
    let mut host = FakeHost::new();
    host.reply_call("bash", json!({"command": "vim calc.py"}))
        .reply_call("submit", json!({}));
    run_with(&mut host, "{}").unwrap();
    assert!(host.commands.is_empty());
    assert_eq!(
        last_text(&host, 1),
        "Operation 'vim calc.py' is not supported by this environment."
    );

    let mut host = FakeHost::new();
    host.reply_call("bash", json!({"command": "make"}))
        .reply_call("submit", json!({}));
    host.result(exec_result(0, "built\n"));
    run_with(&mut host, r#"{"block_commands": false}"#).unwrap();
    assert_eq!(host.commands, vec!["make"]);
}
