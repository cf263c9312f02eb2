//! Every text the model reads that is not a tool's own output: the system prompt and the
//! task message (our own prose), the status footer that follows each observation (SWE-agent
//! 0.7's `(Open file: ...)` / `(Current directory: ...)` / `bash-$`), and SWE-agent's fixed
//! interface strings (format-error templates, the no-output and timeout messages, the
//! clipping note), kept verbatim so trajectories read like the original's.
//!
//! Pure: no host import is called. It must never decide control flow; it only renders text.

use crate::config::Config;
use synth_sdk::{CallMode, Task, ToolSpec};

const DEFAULT_SYSTEM_PROMPT: &str = "\
You are an autonomous programmer. You work alone in a Linux sandbox on the repository at \
{{workspace}}, through a command interface built for editing code.

Besides a persistent `bash` shell you have a file viewer that shows {{window}} numbered lines \
of one file at a time:
- `open` shows a file (optionally around a given line); `goto` jumps to a line; `scroll_up` and \
`scroll_down` move the window.
- `create` makes a new, empty file and opens it.
- `edit` replaces an inclusive range of lines of the open file with new text. Write every \
replacement line in full, with all of its leading spaces: indentation is taken exactly as you \
give it. Python files are checked after each edit, and an edit that introduces a syntax error \
is refused and not applied. Look at the window shown after an edit and correct any mistake \
(wrong lines, duplicates, indentation) at once.
- `search_file`, `search_dir` and `find_file` find text in a file, text in a directory tree, \
and files by name.
- `submit` hands in your changes once you are done. It ends your work.

Call exactly one tool per reply, after a short explanation of what you are doing and why, \
then wait for its result. Each result ends with the open file and the current directory. \
Interactive programs cannot be used (no vim, nano, less or a bare python prompt): write \
scripts and run them instead. A command is stopped after {{timeout_secs}} seconds. You can \
reply at most {{max_steps}} times.";

const TASK_TEMPLATE: &str = "\
Here is the task you are to solve in the repository:
<task>
{{instruction}}
</task>

Work through it on your own:
1. Find the code involved (`find_file`, `search_dir`, `open`).
2. If it is a bug, write a short script that reproduces it and run it, so you know what \
fails.
3. Change the source with `edit`, then run your script again to confirm the fix, and think \
about edge cases.
4. Delete scratch files you no longer need and call `submit`.

A command that failed once fails again unless you change it. To see a distant line of the \
open file, use `goto` rather than scrolling many times.";

/// The system prompt: the configured override or ours, placeholders filled in; in text mode
/// followed by the tool list and the call format.
pub fn system_prompt(config: &Config, task: &Task, tools: &[ToolSpec]) -> String {
    let base = config
        .system_prompt
        .as_deref()
        .unwrap_or(DEFAULT_SYSTEM_PROMPT)
        .replace("{{workspace}}", &task.workspace)
        .replace("{{window}}", &config.window.to_string())
        .replace("{{timeout_secs}}", &config.command_timeout_secs.to_string())
        .replace("{{max_steps}}", &config.max_steps(task).to_string());
    config.tool_call_mode.system_prompt(&base, tools)
}

/// The first user message: the task and the initial status footer.
pub fn task_message(task: &Task) -> String {
    let body = TASK_TEMPLATE.replace("{{instruction}}", &task.instruction);
    format!("{body}\n\n{}", footer(None, &task.workspace))
}

/// SWE-agent 0.7's status lines. The working directory shown is always the workspace: `cd`
/// inside `bash` is not tracked.
pub fn footer(open_file: Option<&str>, workspace: &str) -> String {
    format!(
        "(Open file: {})\n(Current directory: {workspace})\nbash-$",
        open_file.unwrap_or("n/a")
    )
}

/// An observation as the model reads it: clipped, or the no-output sentence, then the footer.
pub fn next_step(observation: &str, open_file: Option<&str>, workspace: &str) -> String {
    let body = if observation.trim().is_empty() {
        NO_OUTPUT.to_string()
    } else {
        clip(observation)
    };
    format!("{body}\n{}", footer(open_file, workspace))
}

pub const NO_OUTPUT: &str = "Your command ran successfully and did not produce any output.";

/// SWE-agent's `max_observation_length`.
pub const MAX_OBSERVATION_CHARS: usize = 100_000;

/// The observation cut to [`MAX_OBSERVATION_CHARS`] characters with the original's note.
pub fn clip(observation: &str) -> String {
    let total = observation.chars().count();
    if total <= MAX_OBSERVATION_CHARS {
        return observation.to_string();
    }
    let head: String = observation.chars().take(MAX_OBSERVATION_CHARS).collect();
    format!(
        "{head}<response clipped><NOTE>Observations should not exceeded {MAX_OBSERVATION_CHARS} \
         characters. {} characters were elided. Please try a different command that produces \
         less output or use head/tail/grep/redirect the output to a file. Do not use \
         interactive pagers.</NOTE>",
        total - MAX_OBSERVATION_CHARS
    )
}

/// The original's `command_cancelled_timeout_template`.
pub fn timed_out(command: &str, timeout_secs: u32) -> String {
    format!(
        "The command '{command}' was cancelled because it took more than {timeout_secs} seconds. \
         Please try a different command that completes more quickly. Note: A common source of \
         this error is if the command is interactive or requires user input (it is impossible \
         to receive user input in the current environment, so the command will never complete)."
    )
}

/// Why a reply was not one valid tool call (the original's `FunctionCallingFormatError` codes).
#[derive(Debug, Clone, PartialEq)]
pub enum FormatIssue {
    /// No tool call.
    Missing,
    /// More than one tool call.
    Multiple,
    /// Arguments the tool does not take; the message names them.
    UnexpectedArg(String),
    /// A bash command the environment refuses (see `blocklist`); holds the command.
    Blocked(String),
    /// Anything else (unknown command, missing or invalid arguments, unparseable text call).
    Other(String),
}

/// The error shown to the model, from the `function_calling` (native) or
/// `xml_function_calling` (text) parser's template.
pub fn format_error(issue: &FormatIssue, mode: CallMode) -> String {
    match issue {
        FormatIssue::Missing => match mode {
            CallMode::Native => "Your last output did not use any tool calls!\n\
                Please make sure your output includes exactly _ONE_ function call!\n\
                You must invoke the function directly using the function call format.\n\
                You cannot invoke commands with ```, you have to use the function call format.\n\
                If you think you have already resolved the issue, please submit your changes by running the `submit` command.\n\
                If you think you cannot solve the problem, please run `exit_forfeit` (if available) or `submit`.\n\
                Else, please continue with a new tool call!"
                .to_string(),
            CallMode::Text => "Your last output did not use any tool calls!\n\
                Please make sure your output includes exactly _ONE_ function call!\n\
                If you think you have already resolved the issue, please submit your changes by running the `submit` command.\n\
                If you think you cannot solve the problem, please run `submit`.\n\
                Else, please continue with a new tool call!"
                .to_string(),
        },
        FormatIssue::Multiple => "Your last output included multiple tool calls!\n\
            Please make sure your output includes a thought and exactly _ONE_ function call."
            .to_string(),
        FormatIssue::UnexpectedArg(message) => format!(
            "Your action could not be parsed properly: {message}.\n\
             Make sure your function call doesn't include any extra arguments that are not in \
             the allowed arguments, and only use the allowed commands."
        ),
        FormatIssue::Blocked(command) => crate::blocklist::message(command),
        FormatIssue::Other(message) => {
            format!("Your action could not be parsed properly: {message}.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_task;

    #[test]
    fn prompts_fill_placeholders() {
        let config = Config::default();
        let prompt = system_prompt(&config, &test_task(), &[]);
        assert!(prompt.contains("/workspace"));
        assert!(prompt.contains("shows 100 numbered lines"));
        assert!(prompt.contains("after 60 seconds"));
        assert!(prompt.contains("at most 9 times"));
        assert!(!prompt.contains("{{"));
        let text = Config {
            tool_call_mode: CallMode::Text,
            system_prompt: Some("in {{workspace}}".into()),
            ..Config::default()
        };
        let prompt = system_prompt(&text, &test_task(), &[]);
        assert!(prompt.starts_with("in /workspace\n\nYou have access to the following functions"));
        let task = task_message(&test_task());
        assert!(task.contains("<task>\nFix the bug in calc.py.\n</task>"));
        assert!(task.ends_with("(Open file: n/a)\n(Current directory: /workspace)\nbash-$"));
    }

    #[test]
    fn observations_get_the_footer() {
        assert_eq!(
            next_step("hi\n", Some("/w/a.py"), "/w"),
            "hi\n\n(Open file: /w/a.py)\n(Current directory: /w)\nbash-$"
        );
        assert_eq!(
            next_step(" \n", None, "/w"),
            format!("{NO_OUTPUT}\n(Open file: n/a)\n(Current directory: /w)\nbash-$")
        );
    }

    #[test]
    fn clipping_counts_characters() {
        let long = "é".repeat(MAX_OBSERVATION_CHARS + 7);
        let clipped = clip(&long);
        assert!(clipped.contains("<response clipped><NOTE>Observations should not exceeded 100000 characters. 7 characters were elided."));
        assert_eq!(clip("short"), "short");
    }

    #[test]
    fn format_error_templates() {
        let missing = format_error(&FormatIssue::Missing, CallMode::Native);
        assert!(missing.starts_with("Your last output did not use any tool calls!\n"));
        assert!(missing.contains("`exit_forfeit`"));
        assert!(!format_error(&FormatIssue::Missing, CallMode::Text).contains("exit_forfeit"));
        assert_eq!(
            format_error(
                &FormatIssue::Other(
                    "Command 'vim' not found in list of available commands.".into()
                ),
                CallMode::Native
            ),
            "Your action could not be parsed properly: Command 'vim' not found in list of available commands.."
        );
        assert!(
            format_error(
                &FormatIssue::UnexpectedArg("Unexpected argument(s): x".into()),
                CallMode::Native
            )
            .contains("Unexpected argument(s): x.\nMake sure your function call")
        );
    }
}
