//! Tests of the loop against the SDK's scripted host: model replies and command results are
//! queued up front; the host records every request, command and note.

use super::*;
use crate::config::test_task;
use crate::tools::{BASH, EDITOR, FINISH, THINK};
use serde_json::json;
use synth_sdk::llm::Purpose;
use synth_sdk::sandbox::SandboxError;
use synth_sdk::testing::{FakeHost, assistant_call, exec_result, still_running};
use synth_sdk::{Role, ToolCall};

fn run_with(host: &mut FakeHost, config: &str) -> Result<Outcome, RunError> {
    run(host, &test_task(), &Config::parse(config).unwrap())
}

fn bash(command: &str) -> serde_json::Value {
    json!({"command": command, "security_risk": "LOW"})
}

fn finish() -> serde_json::Value {
    json!({"message": "done"})
}

/// The last message of the history the model saw at request `n`.
fn last_seen(host: &FakeHost, n: usize) -> Message {
    host.requests[n].messages.last().unwrap().clone()
}

#[test]
fn runs_a_command_then_finishes() {
    let mut host = FakeHost::new();
    host.reply_call(BASH, bash("ls"))
        .reply_call(FINISH, finish())
        .result(exec_result(0, "calc.py\n"));
    let outcome = run_with(&mut host, "{}").unwrap();
    assert_eq!(outcome, Outcome::submitted("done"));
    let first = &host.requests[0];
    assert_eq!(first.tools.len(), 4);
    assert_eq!(first.params.purpose, Purpose::Agent);
    assert_eq!(first.messages[0].role, Role::System);
    assert!(first.messages[0].text().contains("/workspace"));
    assert_eq!(first.messages[1].text(), "Fix the bug in calc.py.");
    let result = last_seen(&host, 1);
    assert_eq!(result.role, Role::Tool);
    assert_eq!(result.tool_call_id.as_deref(), Some("call_1"));
    assert_eq!(
        result.text(),
        "calc.py\n[The command completed with exit code 0.]\n[Command finished with exit code 0]"
    );
    assert_eq!(host.exec_options[0].soft_timeout_ms, Some(10_000));
}

#[test]
fn several_calls_in_one_reply_run_in_order() {
    let mut host = FakeHost::new();
    let mut reply = assistant_call("a", BASH, bash("echo 1"));
    reply.content = vec![synth_sdk::ContentPart::Text("Two things.".into())];
    reply
        .tool_calls
        .extend(assistant_call("b", THINK, json!({"thought": "hmm"})).tool_calls);
    reply
        .tool_calls
        .extend(assistant_call("c", BASH, bash("echo 2")).tool_calls);
    host.reply(reply)
        .reply_call(FINISH, finish())
        .result(exec_result(0, "1"))
        .result(exec_result(0, "2"));
    run_with(&mut host, "{}").unwrap();
    assert_eq!(host.commands, ["echo 1", "echo 2"]);
    let seen = &host.requests[1].messages;
    let tail: Vec<(Option<&str>, String)> = seen[3..]
        .iter()
        .map(|m| (m.tool_call_id.as_deref(), m.text()))
        .collect();
    assert_eq!(tail[0].0, Some("a"));
    assert!(tail[0].1.starts_with("1\n"));
    assert_eq!(
        tail[1],
        (Some("b"), "Your thought has been logged.".to_string())
    );
    assert_eq!(tail[2].0, Some("c"));
    assert_eq!(seen[2].text(), "Two things.");
}

#[test]
fn argument_errors_are_observations() {
    let mut host = FakeHost::new();
    host.reply_call(BASH, json!({"security_risk": "LOW"}))
        .reply_call(
            EDITOR,
            json!({"command": "view", "path": "/workspace", "colour": "red"}),
        )
        .reply_call("browse", json!({"url": "x"}))
        .reply(Message {
            tool_calls: vec![ToolCall {
                id: "bad".into(),
                name: BASH.into(),
                raw_arguments: "{\"command\": ".into(),
                parsed: Err("EOF while parsing".into()),
            }],
            ..Message::assistant("")
        })
        .reply_call(EDITOR, json!({"command": "delete", "path": "/w"}))
        .reply_call(FINISH, finish());
    run_with(&mut host, "{}").unwrap();
    assert_eq!(
        last_seen(&host, 1).text(),
        "Missing required argument \"command\" in tool call execute_bash\n[Error occurred in processing last action]"
    );
    assert!(last_seen(&host, 2).text().starts_with(
        "Unexpected argument colour in tool call str_replace_editor. Allowed arguments are: {"
    ));
    assert_eq!(
        last_seen(&host, 3).text(),
        "Tool browse is not registered. (arguments: {\"url\":\"x\"}). Please check the tool name and retry with an existing tool.\n[Error occurred in processing last action]"
    );
    assert_eq!(
        last_seen(&host, 4).text(),
        "Failed to parse tool call arguments: {\"command\": \n[Error occurred in processing last action]"
    );
    assert_eq!(
        last_seen(&host, 5).text(),
        "ERROR:\nUnrecognized command delete. The allowed commands for the str_replace_editor tool are: view, create, str_replace, insert, undo_edit"
    );
    assert!(host.commands.is_empty());
}

#[test]
fn a_reply_without_a_call_gets_the_auto_reply() {
    let mut host = FakeHost::new();
    host.reply(Message::assistant("Should I proceed?"))
        .reply(Message::assistant("Really?"))
        .reply_call(FINISH, finish());
    run_with(&mut host, "{}").unwrap();
    let first = last_seen(&host, 1);
    assert_eq!(first.role, Role::User);
    assert_eq!(first.text(), crate::prompt::no_tool_call_reply(0));
    assert_eq!(
        last_seen(&host, 2).text(),
        crate::prompt::no_tool_call_reply(1)
    );
    assert_eq!(host.requests[1].messages[2].text(), "Should I proceed?");
}

#[test]
fn interactive_command_through_the_loop() {
    let mut host = FakeHost::new();
    host.reply_call(BASH, bash("python3 ask.py"))
        .reply_call(BASH, bash("ls"))
        .reply_call(BASH, bash(""))
        .reply_call(
            BASH,
            json!({"command": "Alice", "is_input": "true", "security_risk": "LOW"}),
        )
        .reply_call(
            BASH,
            json!({"command": "C-c", "is_input": "true", "security_risk": "LOW"}),
        )
        .reply_call(FINISH, finish())
        .result(still_running("name? ", 10_000));
    host.results.push_back(Err(SandboxError::Busy));
    host.result(still_running("", 10_000))
        .result(still_running("", 10_000))
        .result(still_running("age? ", 10_000))
        .result(exec_result(130, ""));
    run_with(&mut host, r#"{"no_change_timeout_secs": 5}"#).unwrap();
    assert_eq!(host.exec_options[0].soft_timeout_ms, Some(5_000));
    assert!(
        last_seen(&host, 1)
            .text()
            .contains("no new output after 5 seconds")
    );
    assert!(last_seen(&host, 2).text().starts_with(
        "[Below is the output of the previous command.]\n\n[Your command \"ls\" is NOT"
    ));
    assert!(
        last_seen(&host, 3)
            .text()
            .starts_with("[Below is the output of the previous command.]")
    );
    assert!(last_seen(&host, 4).text().contains("age? "));
    assert!(last_seen(&host, 5).text().contains("CTRL+C was sent."));
    assert_eq!(
        host.commands,
        [
            "python3 ask.py",
            "ls",
            "poll",
            "poll",
            "send-input:Alice\n",
            "interrupt"
        ]
    );
}

#[test]
fn editor_through_the_loop() {
    let mut host = FakeHost::new();
    host.file("/workspace/calc.py", "def add(a, b):\n    return a - b\n");
    host.reply_call(
        EDITOR,
        json!({"command": "str_replace", "path": "/workspace/calc.py",
               "old_str": "a - b", "new_str": "a + b", "security_risk": "MEDIUM"}),
    )
    .reply_call(FINISH, finish());
    run_with(&mut host, "{}").unwrap();
    assert_eq!(
        host.text("/workspace/calc.py"),
        "def add(a, b):\n    return a + b\n"
    );
    assert!(
        last_seen(&host, 1)
            .text()
            .starts_with("The file /workspace/calc.py has been edited.")
    );
}

#[test]
fn text_mode_success() {
    let mut host = FakeHost::new();
    host.reply(Message::assistant(
        "Let me look.\n<function=execute_bash>\n<parameter=command>ls</parameter>\n<parameter=security_risk>LOW</parameter>\n</function",
    ))
    .reply(Message::assistant("<function=finish>\n<parameter=message>fixed</parameter>\n</function>"))
    .result(exec_result(0, "calc.py"));
    let outcome = run_with(&mut host, r#"{"tool_call_mode": "text"}"#).unwrap();
    assert_eq!(outcome, Outcome::submitted("fixed"));
    let first = &host.requests[0];
    assert!(first.tools.is_empty());
    assert!(first.params.stop.contains(&"</function".to_string()));
    assert!(
        first.messages[0]
            .text()
            .contains("---- BEGIN FUNCTION #1: execute_bash ----")
    );
    let seen = &host.requests[1].messages;
    assert!(seen[2].text().ends_with("</function>"));
    assert_eq!(seen[3].role, Role::User);
    assert!(
        seen[3]
            .text()
            .starts_with("EXECUTION RESULT of [execute_bash]:\ncalc.py\n[The command")
    );
}

#[test]
fn text_mode_format_error_continues() {
    let mut host = FakeHost::new();
    host.reply(Message::assistant("<function=rm_rf>\n</function>"))
        .reply(Message::assistant(
            "<function=execute_bash>\n<parameter=timeout>5</parameter>\n</function>",
        ))
        .reply(Message::assistant(
            "<function=finish>\n<parameter=message>ok</parameter>\n</function>",
        ));
    let outcome = run_with(&mut host, r#"{"tool_call_mode": "text"}"#).unwrap();
    assert_eq!(outcome.exit, ExitKind::Submitted);
    let first = last_seen(&host, 1);
    assert_eq!(first.role, Role::User);
    assert!(
        first
            .text()
            .starts_with("Function 'rm_rf' not found in available tools")
    );
    assert!(first.text().ends_with(ERROR_SUFFIX));
    assert!(
        last_seen(&host, 2)
            .text()
            .contains("Missing required parameters for function 'execute_bash'")
    );
    assert!(host.commands.is_empty());
}

#[test]
fn step_limit() {
    let mut host = FakeHost::new();
    host.reply_call(THINK, json!({"thought": "a"}))
        .reply_call(THINK, json!({"thought": "b"}));
    let outcome = run_with(&mut host, r#"{"max_steps": 2}"#).unwrap();
    assert_eq!(outcome.exit, ExitKind::StepLimit);
    assert_eq!(host.requests.len(), 2);
}

#[test]
fn llm_failures() {
    let mut host = FakeHost::new();
    host.replies
        .push_back(Err(LlmError::BudgetExhausted("cost".into())));
    assert_eq!(
        run_with(&mut host, "{}").unwrap().exit,
        ExitKind::BudgetExhausted
    );
    host.replies
        .push_back(Err(LlmError::Provider("503".into())));
    assert_eq!(
        run_with(&mut host, "{}").unwrap_err(),
        RunError::Llm("provider error: 503".into())
    );
    // Nothing to condense in a two-message history.
    host.replies
        .push_back(Err(LlmError::ContextLengthExceeded("too long".into())));
    let outcome = run_with(&mut host, "{}").unwrap();
    assert_eq!(outcome, Outcome::new(ExitKind::ContextLimit, "too long"));
}

#[test]
fn sandbox_failure_ends_the_run() {
    let mut host = FakeHost::new();
    host.reply_call(BASH, bash("ls"));
    host.results
        .push_back(Err(SandboxError::Infrastructure("container died".into())));
    assert_eq!(
        run_with(&mut host, "{}").unwrap_err(),
        RunError::Sandbox("container died".into())
    );
}

#[test]
fn context_overflow_condenses_once_then_retries() {
    let mut host = FakeHost::new();
    for i in 0..4 {
        host.reply_call(BASH, bash(&format!("echo {i}")));
        host.result(exec_result(0, "x"));
    }
    host.replies
        .push_back(Err(LlmError::ContextLengthExceeded("over".into())));
    host.reply(Message::assistant("SUMMARY"));
    host.reply_call(FINISH, finish());
    assert_eq!(run_with(&mut host, "{}").unwrap().exit, ExitKind::Submitted);
    // Requests: 4 steps, the refused one, the summary, the retry.
    assert_eq!(host.requests.len(), 7);
    assert_eq!(host.requests[5].params.purpose, Purpose::Condense);
    assert_eq!(host.requests[4].messages.len(), 10);
    assert!(host.requests[6].messages.len() < 10);
    let note: serde_json::Value = serde_json::from_str(&host.notes[0].1).unwrap();
    assert_eq!(note["reason"], "context_length");

    // The condensed history still does not fit: context-limit.
    let mut host = FakeHost::new();
    for i in 0..4 {
        host.reply_call(BASH, bash(&format!("echo {i}")));
        host.result(exec_result(0, "x"));
    }
    host.replies
        .push_back(Err(LlmError::ContextLengthExceeded("over".into())));
    host.reply(Message::assistant("SUMMARY"));
    host.replies
        .push_back(Err(LlmError::ContextLengthExceeded("still over".into())));
    let outcome = run_with(&mut host, "{}").unwrap();
    assert_eq!(outcome, Outcome::new(ExitKind::ContextLimit, "still over"));
}

#[test]
fn long_run_condenses_and_requests_shrink() {
    let mut host = FakeHost::new();
    // max_messages 10: after 5 steps the history holds 12 messages and is condensed to 5
    // before step 6; again when it passes 10.
    for step in 0..12 {
        if step == 5 || step == 8 || step == 11 {
            host.reply(Message::assistant(format!("summary {step}")));
        }
        host.reply_call(BASH, bash(&format!("echo {step}")));
        host.result(exec_result(0, &format!("{step}")));
    }
    host.reply_call(FINISH, finish());
    let config = r#"{"condenser": {"max_messages": 10, "keep_first": 2}}"#;
    assert_eq!(
        run_with(&mut host, config).unwrap().exit,
        ExitKind::Submitted
    );
    let agent: Vec<usize> = host
        .requests
        .iter()
        .filter(|r| r.params.purpose == Purpose::Agent)
        .map(|r| r.messages.len())
        .collect();
    assert_eq!(agent, [2, 4, 6, 8, 10, 5, 7, 9, 5, 7, 9, 5, 7]);
    assert_eq!(host.notes.len(), 3);
    let condense_calls = host
        .requests
        .iter()
        .filter(|r| r.params.purpose == Purpose::Condense)
        .count();
    assert_eq!(condense_calls, 3);
    // Every tool result the model sees answers a call it sees.
    for request in &host.requests {
        for m in request.messages.iter().filter(|m| m.role == Role::Tool) {
            let id = m.tool_call_id.as_deref().unwrap();
            assert!(
                request
                    .messages
                    .iter()
                    .any(|a| a.tool_calls.iter().any(|c| c.id == id))
            );
        }
    }
    let last = host.requests.last().unwrap();
    assert!(
        last.messages[2]
            .text()
            .starts_with(crate::condenser::SUMMARY_HEADER)
    );
}
