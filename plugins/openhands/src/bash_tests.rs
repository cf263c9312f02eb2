//! Tests of `execute_bash` against the SDK's scripted host: soft timeout, poll, input, keys,
//! busy refusal, hard timeout and the host failures that do or do not end the run.

use super::*;
use crate::tools::IsInput;
use synth_sdk::testing::{FakeHost, exec_result, still_running};

fn args(command: &str, is_input: bool, timeout: Option<f64>) -> BashArgs {
    BashArgs {
        command: command.into(),
        is_input: Some(IsInput(is_input)),
        timeout,
        security_risk: None,
    }
}

fn run(host: &mut FakeHost, command: &str) -> String {
    Bash::new(10)
        .execute(host, &args(command, false, None))
        .unwrap()
}

fn input(host: &mut FakeHost, text: &str) -> String {
    Bash::new(10)
        .execute(host, &args(text, true, None))
        .unwrap()
}

#[test]
fn completed_command() {
    let mut host = FakeHost::new();
    host.result(exec_result(0, "a.py\nb.py\n"));
    assert_eq!(
        run(&mut host, "ls"),
        "a.py\nb.py\n[The command completed with exit code 0.]\n[Command finished with exit code 0]"
    );
    let options = &host.exec_options[0];
    assert_eq!(options.soft_timeout_ms, Some(10_000));
    assert_eq!(options.timeout_ms, None);
    assert_eq!(options.max_output_bytes, Some(30_000));
    host.result(exec_result(2, ""));
    assert_eq!(
        run(&mut host, "false"),
        "\n[The command completed with exit code 2.]\n[Command finished with exit code 2]"
    );
}

#[test]
fn invalid_utf8_is_replaced() {
    let mut host = FakeHost::new();
    let mut result = exec_result(0, "");
    result.output = b"a\xffb".to_vec();
    host.result(result);
    assert!(run(&mut host, "cat bin").starts_with("a\u{fffd}b\n"));
}

#[test]
fn soft_timeout_then_poll_then_input_then_interrupt() {
    let mut host = FakeHost::new();
    host.result(still_running("Enter your name: ", 10_000))
        .result(still_running("", 10_000))
        .result(still_running("Hello Alice\nEnter your age: ", 10_000))
        .result(exec_result(130, "^C"));
    let first = run(&mut host, "python3 ask.py");
    assert_eq!(
        first,
        format!(
            "Enter your name: \n[The command has no new output after 10 seconds. {TIMEOUT_MESSAGE_TEMPLATE}]"
        )
    );
    assert!(!first.contains("Command finished"));
    let polled = run(&mut host, "");
    assert!(
        polled.starts_with(
            "[Below is the output of the previous command.]\n\n[The command has no new output"
        ),
        "{polled}"
    );
    let answered = input(&mut host, "Alice");
    assert!(answered.starts_with("[Below is the output of the previous command.]\nHello Alice"));
    let stopped = input(&mut host, "C-c");
    assert_eq!(
        stopped,
        "[Below is the output of the previous command.]\n^C\n[The command completed with exit \
         code 130. CTRL+C was sent.]\n[Command finished with exit code 130]"
    );
    assert_eq!(
        host.commands,
        ["python3 ask.py", "poll", "send-input:Alice\n", "interrupt"]
    );
}

#[test]
fn control_keys_are_sent_as_bytes() {
    let mut host = FakeHost::new();
    host.result(exec_result(0, ""))
        .result(still_running("", 10));
    assert!(input(&mut host, "C-d").contains("CTRL+D was sent."));
    input(&mut host, "C-z");
    assert_eq!(host.commands, ["send-input:\u{4}", "send-input:\u{1a}"]);
}

#[test]
fn busy_and_nothing_running() {
    let mut host = FakeHost::new();
    host.results.push_back(Err(SandboxError::Busy));
    host.result(still_running("50%\n", 12_000));
    host.results.push_back(Err(SandboxError::Busy));
    host.results.push_back(Err(SandboxError::NoRunningCommand));
    host.results.push_back(Err(SandboxError::NoRunningCommand));
    host.results.push_back(Err(SandboxError::NoRunningCommand));
    host.results.push_back(Err(SandboxError::NoRunningCommand));
    let busy = run(&mut host, "ls -la");
    assert!(
        busy.starts_with(
            "[Below is the output of the previous command.]\n50%\n[Your command \"ls -la\" is NOT \
             executed. The previous command is still running - You CANNOT send new commands until \
             the previous command is completed."
        ),
        "{busy}"
    );
    assert!(busy.ends_with("before sending your new command.]"));
    // The command ended between the refusal and the poll: the refusal alone.
    assert!(run(&mut host, "pwd").starts_with("[Your command \"pwd\" is NOT executed."));
    assert_eq!(host.commands, ["ls -la", "poll", "pwd", "poll"]);
    assert_eq!(run(&mut host, ""), NO_COMMAND_TO_POLL);
    assert_eq!(input(&mut host, "y"), NO_COMMAND_TO_INTERACT);
    assert_eq!(input(&mut host, "C-c"), NO_COMMAND_TO_INTERACT);
}

#[test]
fn hard_timeout_is_blocking() {
    let mut host = FakeHost::new();
    let mut result = exec_result(0, "partial");
    result.exit_code = None;
    result.timed_out = true;
    host.result(result);
    let text = Bash::new(10)
        .execute(&mut host, &args("sleep 100", false, Some(30.0)))
        .unwrap();
    assert_eq!(
        text,
        format!("partial\n[The command timed out after 30 seconds. {TIMEOUT_MESSAGE_TEMPLATE}]")
    );
    let options = &host.exec_options[0];
    assert_eq!(options.timeout_ms, Some(30_000));
    assert_eq!(options.soft_timeout_ms, None);
}

#[test]
fn sandbox_failures() {
    let mut host = FakeHost::new();
    host.results
        .push_back(Err(SandboxError::InvalidArgument("bad".into())));
    host.results
        .push_back(Err(SandboxError::Infrastructure("container gone".into())));
    assert_eq!(run(&mut host, "x"), "ERROR: invalid argument: bad");
    let err = Bash::new(10)
        .execute(&mut host, &args("x", false, None))
        .unwrap_err();
    assert_eq!(err, RunError::Sandbox("container gone".into()));
}

#[test]
fn keys_and_numbers() {
    assert_eq!(special_key("C-c"), Some('C'));
    assert_eq!(special_key("c-Z"), Some('Z'));
    assert_eq!(special_key("C-x"), None);
    assert_eq!(special_key("C-cc"), None);
    assert_eq!(number(30.0), "30");
    assert_eq!(number(2.5), "2.5");
}
