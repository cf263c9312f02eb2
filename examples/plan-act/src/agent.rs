//! plan-act's loop: the model first writes a plan (`plan`), then acts on it (`bash`,
//! `write_file`, `read_file`, `update_plan`) until it calls `submit` or a limit stops it.
//!
//! Every request is the history plus one trailing user message showing the plan and its
//! progress; that message is rebuilt for each request and not kept in the history, so the
//! model always sees the current plan once, at the end. A model that acts before planning is
//! accepted: an empty plan is recorded and the episode goes on.
//!
//! Written against [`Host`], so it runs natively in the tests against
//! [`synth_sdk::testing::FakeHost`]. It must never repair a model's output or retry a call
//! behind the host's back: a malformed turn is answered with an error the model reads.

use crate::config::Config;
use crate::plan::Plan;
use crate::tools::{self, Call};
use synth_sdk::host::Host;
use synth_sdk::llm::Params;
use synth_sdk::log::Level;
use synth_sdk::{ExitKind, FinishReason, Message, Outcome, RunError, Task, ToolCall};

/// What one tool call led to.
enum Next {
    /// The text the model reads as the call's result.
    Observe(String),
    /// `submit` was called with this summary.
    Submit(String),
}

/// Runs one episode of `task`.
pub fn run(host: &mut impl Host, task: &Task, config: &Config) -> Result<Outcome, RunError> {
    let mode = config.tool_call_mode;
    let tools = tools::specs();
    let request_tools = mode.request_tools(&tools);
    let params = mode.params(Params {
        temperature: config.temperature,
        ..Params::agent()
    });
    let max_steps = config.max_steps(task);
    let mut history = vec![
        Message::system(mode.system_prompt(&system_prompt(task, config), &tools)),
        Message::user(&task.instruction),
    ];
    let mut plan: Option<Plan> = None;
    host.log(
        Level::Info,
        &format!(
            "plan-act: {} (max {max_steps} steps, {:?} tool calls)",
            task.instance_id, mode
        ),
    );

    for step in 0..max_steps {
        let mut request = history.clone();
        if let Some(plan) = &plan {
            request.push(Message::user(plan.render()));
        }
        let completion = match host.complete(&request, &request_tools, &params) {
            Ok(completion) => completion,
            Err(e) => return e.into_outcome(),
        };
        let reply = mode.parse(&completion.message, &tools, step as usize + 1);
        history.push(mode.history_message(&completion.message));
        if let Some(error) = reply.format_error {
            history.push(Message::user(format!("Error: {error}")));
            continue;
        }
        if reply.calls.is_empty() {
            history.push(Message::user(no_tool_call(
                completion.finish_reason,
                plan.is_none(),
            )));
            continue;
        }
        for call in &reply.calls {
            match act(host, call, &mut plan, config)? {
                Next::Submit(summary) => return Ok(Outcome::submitted(summary)),
                Next::Observe(text) => history.push(mode.result_message(call, text)),
            }
        }
    }
    Ok(Outcome::new(
        ExitKind::StepLimit,
        format!("no submission within {max_steps} steps"),
    ))
}

/// Runs one call. Only a broken sandbox is an error; anything the model can fix is an
/// observation.
fn act(
    host: &mut impl Host,
    call: &ToolCall,
    plan: &mut Option<Plan>,
    config: &Config,
) -> Result<Next, RunError> {
    let call = match tools::parse(call) {
        Ok(call) => call,
        Err(message) => return Ok(Next::Observe(format!("Error: {message}"))),
    };
    if plan.is_none() && !matches!(call, Call::Plan(_)) {
        // Acting before planning is allowed; the trajectory still gets its (empty) plan.
        let empty = Plan::default();
        host.log(Level::Info, "plan-act: the model acted before planning");
        host.note("plan", &empty.to_json().to_string());
        *plan = Some(empty);
    }
    let text = match call {
        Call::Plan(args) => write_plan(host, plan, args.steps),
        Call::Submit(args) => return Ok(Next::Submit(args.summary.unwrap_or_default())),
        Call::Bash(args) => tools::bash(host, &args.command, config.command_timeout_secs)?,
        Call::WriteFile(args) => tools::write_file(host, &args.path, &args.content)?,
        Call::ReadFile(args) => tools::read_file(host, &args.path)?,
        Call::UpdatePlan(args) => {
            let plan = plan.get_or_insert_with(Plan::default);
            match plan.update(&args.done, args.note) {
                Ok(()) => {
                    host.note("plan_update", &plan.to_json().to_string());
                    format!("Plan updated.\n{}", plan.render())
                }
                Err(e) => format!("Error: the plan was not changed: {e}."),
            }
        }
    };
    Ok(Next::Observe(text))
}

/// Records a new plan (replacing any earlier one) and says so.
fn write_plan(host: &mut impl Host, plan: &mut Option<Plan>, steps: Vec<String>) -> String {
    let steps: Vec<String> = steps
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if steps.is_empty() {
        return "Error: the plan was not recorded: it needs at least one non-empty step.".into();
    }
    let replaced = plan.as_ref().is_some_and(|p| !p.steps.is_empty());
    let new = Plan::new(steps);
    host.note("plan", &new.to_json().to_string());
    let n = new.steps.len();
    *plan = Some(new);
    if replaced {
        format!("Plan replaced: {n} steps, none done yet. Carry it out, starting with step 1.")
    } else {
        format!("Plan recorded: {n} steps. Carry it out, starting with step 1.")
    }
}

fn no_tool_call(finish_reason: FinishReason, no_plan_yet: bool) -> String {
    let cut = if finish_reason == FinishReason::Length {
        "Your reply was cut off at the output token limit. "
    } else {
        ""
    };
    let next = if no_plan_yet {
        "Start by calling `plan` with the steps you will take."
    } else {
        "Continue with your plan, or call `submit` if the task is done."
    };
    format!("{cut}Error: your reply called no tool. Every reply must call a tool. {next}")
}

const SYSTEM_PROMPT: &str = "\
You are an autonomous software engineer working on a task in a Linux sandbox. The task's \
files are in {{workspace}}, the shell's working directory.

Work in two phases:
1. Plan. Your first reply calls `plan` with the steps you will take, in order (usually 3 to \
8: explore, change, check).
2. Act. Carry the plan out with `bash` (one command in a persistent shell; non-interactive \
commands only, no editors or pagers), `write_file` (create or replace a whole file) and \
`read_file`. Every request ends with the plan and its progress: mark steps done with \
`update_plan`, adding a note when you learn something that changes the plan (or call `plan` \
again to replace it).

When the task is done and you have checked it (run the code, its tests or the command the \
task names), call `submit` with a short summary. Submitting ends your work and cannot be \
undone. A command is interrupted after {{timeout_secs}} seconds. You have at most \
{{max_steps}} replies, the plan included.";

/// The system prompt for `task` (before text mode appends the tool descriptions).
pub fn system_prompt(task: &Task, config: &Config) -> String {
    SYSTEM_PROMPT
        .replace("{{workspace}}", &task.workspace)
        .replace("{{timeout_secs}}", &config.command_timeout_secs.to_string())
        .replace("{{max_steps}}", &config.max_steps(task).to_string())
}

#[cfg(test)]
#[path = "agent_tests.rs"]
mod tests;
