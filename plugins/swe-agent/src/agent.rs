//! The agent loop: ask the model (with the collapsed history), read exactly one tool call,
//! run it, append the observation with the status footer; until `submit` or a limit.
//!
//! Bad replies are handled like SWE-agent's requery: the bad reply and the format-error
//! template go with the next request only; once the model recovers they leave the history
//! (the host still records every call). After `max_format_errors` consecutive bad replies
//! the episode ends with gave-up (the original's `exit_format`).
//!
//! Bash commands on SWE-agent's blocklist (editors, pagers, bare interpreters, `make`) are
//! refused the same way unless `block_commands` is off.
//!
//! The working directory shown in the footer is always the workspace: `cd` inside `bash` is
//! not tracked, and the file tools resolve relative paths against the workspace.
//!
//! Written against [`Host`]; it must never repair a model's output or call imports directly.

use crate::blocklist;
use crate::config::{Config, OVERLAP};
use crate::history::collapse;
use crate::prompt::{self, FormatIssue};
use crate::tools::{self, Action, Session};
use crate::viewer::Viewer;
use synth_sdk::host::Host;
use synth_sdk::llm::Params;
use synth_sdk::log::Level;
use synth_sdk::{CallMode, ExitKind, Message, Outcome, Reply, RunError, Task, ToolCall};

pub fn run(host: &mut impl Host, task: &Task, config: &Config) -> Result<Outcome, RunError> {
    let mode = config.tool_call_mode;
    let specs = tools::specs(config.window);
    let request_tools = mode.request_tools(&specs);
    let params = mode.params(Params {
        temperature: config.temperature,
        ..Params::agent()
    });
    let mut session = Session {
        workspace: task.workspace.clone(),
        viewer: Viewer::new(config.window as usize, OVERLAP as usize),
        timeout_secs: config.command_timeout_secs,
    };
    let mut history = vec![
        Message::system(prompt::system_prompt(config, task, &specs)),
        Message::user(prompt::task_message(task)),
    ];
    let mut retry: Vec<Message> = Vec::new();
    let mut format_errors = 0;
    let max_steps = config.max_steps(task);
    host.log(
        Level::Info,
        &format!("swe-agent: {} (max {max_steps} steps)", task.instance_id),
    );

    for step in 0..max_steps as usize {
        let mut request = collapse(&history, config.keep_observations as usize);
        request.extend(retry.iter().cloned());
        let completion = match host.complete(&request, &request_tools, &params) {
            Ok(completion) => completion,
            Err(e) => return e.into_outcome(),
        };
        let reply = mode.parse(&completion.message, &specs, step + 1);
        let (call, action) = match one_call(&reply, config.block_commands) {
            Ok(found) => found,
            Err(issue) => {
                format_errors += 1;
                host.log(
                    Level::Warn,
                    &format!("format error {format_errors}: {issue:?}"),
                );
                if format_errors >= config.max_format_errors {
                    return Ok(Outcome::new(
                        ExitKind::GaveUp,
                        format!(
                            "exit_format: {format_errors} consecutive replies without one valid tool call"
                        ),
                    ));
                }
                let error = prompt::format_error(&issue, mode);
                retry = retry_messages(mode, &completion.message, &reply, &error);
                continue;
            }
        };
        format_errors = 0;
        retry.clear();
        history.push(mode.history_message(&completion.message));
        if action == Action::Submit {
            return Ok(Outcome::submitted("submitted"));
        }
        let observation = session.execute(host, action)?;
        let text = prompt::next_step(&observation, session.viewer.file(), &task.workspace);
        history.push(mode.result_message(&call, text));
    }
    Ok(Outcome::new(
        ExitKind::StepLimit,
        format!("no submission within {max_steps} steps"),
    ))
}

/// The reply's single call and what it asks for, or why there is not exactly one (or why
/// the environment refuses it, when `block` is set).
fn one_call(reply: &Reply, block: bool) -> Result<(ToolCall, Action), FormatIssue> {
    if let Some(error) = &reply.format_error {
        // The SDK's text parser says so when a reply holds several calls.
        return Err(if error.0.starts_with("Only one function call") {
            FormatIssue::Multiple
        } else {
            FormatIssue::Other(error.0.trim_end_matches('.').to_string())
        });
    }
    match reply.calls.as_slice() {
        [] => Err(FormatIssue::Missing),
        [call] => match tools::parse_call(call)? {
            Action::Bash(command) if block && blocklist::blocked(&command) => {
                Err(FormatIssue::Blocked(command))
            }
            action => Ok((call.clone(), action)),
        },
        _ => Err(FormatIssue::Multiple),
    }
}

/// The bad reply and the error, as the next request's last messages: natively every call
/// gets the error as its result (so each call id is answered), else it is a user message.
fn retry_messages(mode: CallMode, message: &Message, reply: &Reply, error: &str) -> Vec<Message> {
    let mut messages = vec![mode.history_message(message)];
    match mode {
        CallMode::Native if !reply.calls.is_empty() => {
            messages.extend(reply.calls.iter().map(|c| mode.result_message(c, error)))
        }
        _ => messages.push(Message::user(error)),
    }
    messages
}

#[cfg(test)]
#[path = "agent_tests.rs"]
mod tests;
