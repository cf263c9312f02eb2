//! Tests of mini's loop against the SDK's scripted host: model replies and command results are
//! queued up front; the host records what the loop sent.

use super::*;
use crate::config::test_task;
use synth_sdk::llm::LlmError;
use synth_sdk::sandbox::ExecResult;
use synth_sdk::testing::FakeHost;
use synth_sdk::{Role, ToolRole};

/// The SDK's scripted host; every request must offer mini's two tools as an agent call.
type Scripted = FakeHost;

fn seen(host: &Scripted, i: usize) -> &Vec<Message> {
    let request = &host.requests[i];
    assert_eq!(request.tools.len(), 2);
    assert_eq!(request.params.purpose, synth_sdk::llm::Purpose::Agent);
    &request.messages
}

fn call(id: &str, name: &str, arguments: Result<&str, &str>) -> ToolCall {
    ToolCall {
        id: id.into(),
        name: name.into(),
        raw_arguments: arguments.unwrap_or("?").into(),
        parsed: arguments.map(str::to_string).map_err(str::to_string),
    }
}

fn reply(calls: Vec<ToolCall>) -> Result<Message, LlmError> {
    Ok(Message {
        tool_calls: calls,
        ..Message::assistant("")
    })
}

fn bash(id: &str, command: &str) -> ToolCall {
    call(id, "bash", Ok(&json!({ "command": command }).to_string()))
}

fn exit(code: i32, output: &str) -> Result<ExecResult, SandboxError> {
    Ok(synth_sdk::testing::exec_result(code, output))
}

fn run_script(host: &mut Scripted, config: &str) -> Result<Outcome, RunError> {
    run(host, &test_task(), &Config::parse(config).unwrap())
}

/// A message the loop appended after model call `step`, as the next call saw it:
/// `index_from_end` 0 is the last message of that history.
fn answer(host: &Scripted, step: usize, index_from_end: usize) -> Message {
    let history = seen(host, step + 1);
    history[history.len() - 1 - index_from_end].clone()
}

#[test]
fn tools_have_roles() {
    let tools = tools();
    assert!(
        matches!(&tools[0].role, ToolRole::Shell(s) if s.command_argument == "command" && s.fixed_arguments == "{}")
    );
    assert!(matches!(&tools[1].role, ToolRole::Finish(f) if f.fixed_arguments == "{}"));
}

#[test]
fn runs_a_command_then_submits() {
    let mut host = Scripted::new();
    host.replies.push_back(reply(vec![bash("c1", "ls")]));
    host.replies.push_back(reply(vec![call(
        "c2",
        "submit",
        Ok(r#"{"message":"done"}"#),
    )]));
    host.results.push_back(exit(0, "calc.py\n"));

    let outcome = run_script(&mut host, r#"{"timeout_secs": 7}"#).unwrap();
    assert_eq!(outcome.exit, ExitKind::Submitted);
    assert_eq!(outcome.message, "done");

    let first = seen(&host, 0);
    assert_eq!(first[0].role, Role::System);
    assert!(first[0].text().contains("/workspace"));
    assert_eq!(first[1].role, Role::User);
    assert_eq!(first[1].text(), "Fix the bug in calc.py.");

    assert_eq!(host.commands.len(), 1);
    let (command, options) = (&host.commands[0], &host.exec_options[0]);
    assert_eq!(command, "ls");
    assert_eq!(options.timeout_ms, Some(7000));
    assert_eq!(options.max_output_bytes, Some(MAX_OUTPUT_BYTES));

    let tool = answer(&host, 0, 0);
    assert_eq!(tool.role, Role::Tool);
    assert_eq!(tool.tool_call_id.as_deref(), Some("c1"));
    assert_eq!(
        tool.text(),
        "<returncode>0</returncode>\n<output>\ncalc.py\n</output>"
    );
    // The assistant turn is kept verbatim before its answer.
    assert_eq!(answer(&host, 0, 1).tool_calls[0].id, "c1");
}

#[test]
fn no_tool_call_is_a_format_error_and_the_episode_goes_on() {
    let mut host = Scripted::new();
    host.replies
        .push_back(Ok(Message::assistant("I think I should look around.")));
    host.replies
        .push_back(reply(vec![call("c2", "submit", Ok("{}"))]));
    let outcome = run_script(&mut host, "{}").unwrap();
    assert_eq!(outcome.exit, ExitKind::Submitted);
    let feedback = answer(&host, 0, 0);
    assert_eq!(feedback.role, Role::User);
    assert!(
        feedback.text().contains("exactly one tool"),
        "{}",
        feedback.text()
    );
}

#[test]
fn only_the_first_of_several_calls_runs() {
    let mut host = Scripted::new();
    host.replies.push_back(reply(vec![
        bash("a", "echo 1"),
        bash("b", "echo 2"),
        call("c", "submit", Ok("{}")),
    ]));
    host.replies
        .push_back(reply(vec![call("d", "submit", Ok("{}"))]));
    host.results.push_back(exit(0, "1\n"));
    run_script(&mut host, "{}").unwrap();
    assert_eq!(host.commands.len(), 1);
    assert_eq!(host.commands[0], "echo 1");
    let history = seen(&host, 1);
    let answers: Vec<_> = history[history.len() - 3..].to_vec();
    assert_eq!(answers[0].tool_call_id.as_deref(), Some("a"));
    assert!(answers[0].text().contains("<returncode>0"));
    for (m, id) in answers[1..].iter().zip(["b", "c"]) {
        assert_eq!(m.tool_call_id.as_deref(), Some(id));
        assert!(m.text().contains("Only one tool call per turn"));
    }
}

#[test]
fn bad_arguments_and_unknown_tools_are_reported_to_the_model() {
    let mut host = Scripted::new();
    host.replies.push_back(reply(vec![call(
        "a",
        "bash",
        Err("expected value at line 1 column 1"),
    )]));
    host.replies
        .push_back(reply(vec![call("b", "bash", Ok(r#"{"cmd":"ls"}"#))]));
    host.replies
        .push_back(reply(vec![call("c", "python", Ok("{}"))]));
    host.replies
        .push_back(reply(vec![call("d", "submit", Err("trailing comma"))]));
    host.replies
        .push_back(reply(vec![call("e", "submit", Ok("{}"))]));
    let outcome = run_script(&mut host, "{}").unwrap();
    assert_eq!(outcome.exit, ExitKind::Submitted);
    assert!(host.commands.is_empty());
    assert!(
        answer(&host, 0, 0)
            .text()
            .contains("expected value at line 1 column 1")
    );
    assert!(
        answer(&host, 1, 0)
            .text()
            .contains("missing required argument(s): command")
    );
    assert!(answer(&host, 2, 0).text().contains("unknown tool `python`"));
    assert!(answer(&host, 3, 0).text().contains("trailing comma"));
}

#[test]
fn step_limit_from_config_or_task() {
    let mut host = Scripted::new();
    for i in 0..2 {
        host.replies
            .push_back(reply(vec![bash(&format!("c{i}"), "true")]));
        host.results.push_back(exit(0, ""));
    }
    let outcome = run_script(&mut host, r#"{"max_steps": 2}"#).unwrap();
    assert_eq!(outcome.exit, ExitKind::StepLimit);
    assert_eq!(host.requests.len(), 2);

    let mut host = Scripted::new();
    for _ in 0..7 {
        host.replies.push_back(Ok(Message::assistant("thinking")));
    }
    assert_eq!(
        run_script(&mut host, "{}").unwrap().exit,
        ExitKind::StepLimit
    );
    assert_eq!(host.requests.len(), 7);
}

#[test]
fn llm_errors_map_to_outcomes_or_run_errors() {
    let cases = [
        (
            LlmError::BudgetExhausted("cost".into()),
            Ok(ExitKind::BudgetExhausted),
        ),
        (
            LlmError::ContextLengthExceeded("128k".into()),
            Ok(ExitKind::ContextLimit),
        ),
        (LlmError::Provider("503".into()), Err(())),
        (LlmError::Cancelled, Err(())),
    ];
    for (error, want) in cases {
        let mut host = Scripted::new();
        host.replies.push_back(Err(error));
        match (run_script(&mut host, "{}"), want) {
            (Ok(outcome), Ok(exit)) => assert_eq!(outcome.exit, exit),
            (Err(RunError::Llm(_)), Err(())) => {}
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn sandbox_errors_are_observations_except_infrastructure() {
    let mut host = Scripted::new();
    host.replies.push_back(reply(vec![bash("a", "sleep 999")]));
    host.replies.push_back(reply(vec![bash("b", "ls")]));
    host.replies.push_back(reply(vec![bash("c", "ls")]));
    host.results.push_back(Ok(ExecResult {
        exit_code: None,
        output: Vec::new(),
        truncated: false,
        timed_out: true,
        still_running: false,
        duration_ms: 120_000,
    }));
    host.results.push_back(Err(SandboxError::Busy));
    host.results
        .push_back(Err(SandboxError::Infrastructure("container gone".into())));
    let result = run_script(&mut host, "{}");
    assert!(
        matches!(result, Err(RunError::Sandbox(ref m)) if m == "container gone"),
        "{result:?}"
    );
    assert!(answer(&host, 0, 0).text().contains("timed out after 120 s"));
    assert!(answer(&host, 1, 0).text().contains("could not run"));
}

#[test]
fn text_mode_parses_calls_and_answers_format_errors() {
    use synth_sdk::testing::{FakeHost, exec_result};
    let mut host = FakeHost::new();
    host.reply(Message::assistant(
        "I will list.\n<function=bash>\n<parameter=command>ls</parameter>\n</function>",
    ))
    .result(exec_result(0, "calc.py\n"))
    .reply(Message::assistant("<function=rm>\n</function>"))
    .reply(Message::assistant("<function=submit>\n</function>"));
    let config = Config::parse(r#"{"tool_call_mode": "text"}"#).unwrap();
    let outcome = run(&mut host, &test_task(), &config).unwrap();
    assert_eq!(outcome.exit, ExitKind::Submitted);
    assert_eq!(host.commands, vec!["ls"]);
    let first = &host.requests[0];
    assert!(first.tools.is_empty());
    assert!(
        first.messages[0]
            .text()
            .contains("---- BEGIN FUNCTION #1: bash ----")
    );
    assert_eq!(
        first.params.stop,
        vec![synth_sdk::calls::TEXT_STOP.to_string()]
    );
    let second = &host.requests[1].messages;
    assert!(
        second[second.len() - 1]
            .text()
            .starts_with("EXECUTION RESULT of [bash]:\n<returncode>0</returncode>")
    );
    let third = &host.requests[2].messages;
    assert!(
        third[third.len() - 1]
            .text()
            .contains("Format error: Function 'rm' not found")
    );
}
