//! The CodeAct loop, mini-swe-agent style: condense if due, ask the model, run every tool call
//! of the reply in order (OpenHands queues them), append the results, until `finish` or a
//! limit.
//!
//! Written against [`synth_sdk::host::Host`], so it runs natively in tests against a scripted
//! host. It never repairs a model's output: malformed calls, text-format errors and replies
//! without a call are answered with a message the model reads, and the episode goes on.

use crate::condenser::{Condenser, Reason};
use crate::config::Config;
use crate::prompt::{no_tool_call_reply, system_prompt};
use crate::tools::{Action, ERROR_SUFFIX, Toolbox, specs};
use synth_sdk::host::Host;
use synth_sdk::llm::{Completion, LlmError, Params};
use synth_sdk::log::Level;
use synth_sdk::{ExitKind, FinishReason, Message, Outcome, RunError, Task, ToolSpec};

/// Why an episode ends before `finish` or the step limit.
#[derive(Debug, Clone, PartialEq)]
pub enum End {
    /// With an outcome (budget or context exhausted).
    Stop(Outcome),
    /// With a run error (the model or the sandbox failed).
    Fail(RunError),
}

/// Budget and context errors end the episode with an outcome; the others fail the run.
pub fn llm_end(error: LlmError) -> End {
    match error.into_outcome() {
        Ok(outcome) => End::Stop(outcome),
        Err(error) => End::Fail(error),
    }
}

pub fn run(host: &mut impl Host, task: &Task, config: &Config) -> Result<Outcome, RunError> {
    match episode(host, task, config) {
        Ok(outcome) | Err(End::Stop(outcome)) => Ok(outcome),
        Err(End::Fail(error)) => Err(error),
    }
}

fn episode(host: &mut impl Host, task: &Task, config: &Config) -> Result<Outcome, End> {
    let mode = config.tool_call_mode;
    let tools = specs();
    let request_tools = mode.request_tools(&tools);
    let params = mode.params(Params {
        temperature: config.temperature,
        ..Params::agent()
    });
    let max_steps = config.max_steps(task);
    let system = mode.system_prompt(&system_prompt(config, task), &tools);
    let mut history = vec![Message::system(system), Message::user(&task.instruction)];
    let mut toolbox = Toolbox::new(config, task);
    let mut condenser = Condenser::new(&config.condenser);
    let (mut calls_seen, mut idle_replies) = (0, 0);
    host.log(
        Level::Info,
        &format!(
            "openhands: {} (max {max_steps} steps, {mode:?} calls)",
            task.instance_id
        ),
    );

    for _ in 0..max_steps {
        condenser.condense(host, &mut history, Reason::MaxMessages)?;
        let completion = ask(host, &mut condenser, &mut history, &request_tools, &params)?;
        let reply = mode.parse(&completion.message, &tools, calls_seen + 1);
        calls_seen += reply.calls.len();
        history.push(mode.history_message(&completion.message));
        if let Some(error) = reply.format_error {
            history.push(Message::user(format!("{error}{ERROR_SUFFIX}")));
            continue;
        }
        if reply.calls.is_empty() {
            let cut = match completion.finish_reason {
                FinishReason::Length => "Your reply was cut off at the output token limit. ",
                _ => "",
            };
            history.push(Message::user(format!(
                "{cut}{}",
                no_tool_call_reply(idle_replies)
            )));
            idle_replies += 1;
            continue;
        }
        for call in &reply.calls {
            match toolbox.run(host, call).map_err(End::Fail)? {
                Action::Finish(message) => return Ok(Outcome::submitted(message)),
                Action::Observe(text) => history.push(mode.result_message(call, text)),
            }
        }
    }
    Ok(Outcome::new(
        ExitKind::StepLimit,
        format!("no finish within {max_steps} steps"),
    ))
}

/// One agent call. A context overflow condenses the history once and asks again; when that
/// is impossible or the condensed history still does not fit, the episode ends with
/// context-limit.
fn ask(
    host: &mut impl Host,
    condenser: &mut Condenser,
    history: &mut Vec<Message>,
    tools: &[ToolSpec],
    params: &Params,
) -> Result<Completion, End> {
    match host.complete(history, tools, params) {
        Err(LlmError::ContextLengthExceeded(message)) => {
            if !condenser.condense(host, history, Reason::ContextLength)? {
                return Err(End::Stop(Outcome::new(ExitKind::ContextLimit, message)));
            }
            host.complete(history, tools, params).map_err(llm_end)
        }
        other => other.map_err(llm_end),
    }
}

#[cfg(test)]
#[path = "agent_tests.rs"]
mod tests;
