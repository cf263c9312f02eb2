//! The scaffold's own prose for the model: the default system prompt and the auto-reply sent
//! when a reply calls no tool. Written for this scaffold (not OpenHands' text), in the spirit
//! of CodeAct: act through tools, verify, never wait for a human.
//!
//! Pure: no host import is called. It must never describe tools differently from their
//! specs in `tools` (text mode appends the specs themselves).

use crate::config::Config;
use synth_sdk::Task;

const DEFAULT_SYSTEM_PROMPT: &str = "\
You are a capable software engineering agent. You solve the task you are given by acting in a \
Linux sandbox through your tools, without a human to ask: nobody will answer questions or \
approve steps.

<WORKSPACE>
The task's files are in {{workspace}}, the shell's starting directory. Use absolute paths with \
the editor. Change only what the task needs; do not create stray files (scratch scripts go in \
/tmp).
</WORKSPACE>

<TOOLS>
* execute_bash runs commands in a persistent shell. A command that prints nothing new for \
{{no_change_timeout_secs}} seconds keeps running in the background and you get what it printed \
so far: send an empty command to see more, or \"C-c\" with is_input \"true\" to stop it. \
Prefer non-interactive commands; never open editors or pagers.
* str_replace_editor views, creates and edits files. Edits must match the file exactly, \
whitespace included; view the lines first.
* think records reasoning when a decision is not obvious.
* finish ends your work; call it once the task is done and checked.
* Set security_risk honestly on every command and edit: LOW for reading, building and testing, \
MEDIUM for changes to the project, HIGH for anything that could harm the system or leak data.
</TOOLS>

<WORKFLOW>
1. Explore: read the relevant files and find how the code is run and tested.
2. Reproduce: when fixing a bug, first make it happen.
3. Fix: make the smallest clean change that solves the task.
4. Verify: run the code or its tests and read the output; fix what fails.
5. Finish: call finish with a short summary.
</WORKFLOW>

You can make at most {{max_steps}} replies; each reply should call a tool.";

/// The system prompt for `task`: the configured override or the default, with placeholders
/// filled in.
pub fn system_prompt(config: &Config, task: &Task) -> String {
    config
        .system_prompt
        .as_deref()
        .unwrap_or(DEFAULT_SYSTEM_PROMPT)
        .replace("{{workspace}}", &task.workspace)
        .replace("{{max_steps}}", &config.max_steps(task).to_string())
        .replace(
            "{{no_change_timeout_secs}}",
            &config.no_change_timeout_secs.to_string(),
        )
}

/// The user message answering a reply that called no tool. `count` is how many such replies
/// came before this one; from the second on, giving up through `finish` is allowed.
pub fn no_tool_call_reply(count: usize) -> String {
    let mut text = String::from(
        "Carry on with the task, using whatever approach you judge best. Act through your \
         tools: every reply should call one. When the task is done and checked, call `finish`.",
    );
    if count > 0 {
        text.push_str(
            " If you are certain you cannot make further progress, call `finish` and explain why.",
        );
    }
    text.push_str(" IMPORTANT: never ask for human help; no one will reply.");
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_task;

    #[test]
    fn placeholders_are_filled() {
        let c = Config::parse("{}").unwrap();
        let p = system_prompt(&c, &test_task());
        assert!(p.contains("/workspace"));
        assert!(p.contains("at most 30 replies"));
        assert!(
            p.contains("for\n10 seconds") || p.contains("for 10 seconds"),
            "{p}"
        );
        assert!(!p.contains("{{"));
        let c = Config::parse(r#"{"system_prompt": "work in {{workspace}}"}"#).unwrap();
        assert_eq!(system_prompt(&c, &test_task()), "work in /workspace");
    }

    #[test]
    fn auto_reply() {
        assert!(!no_tool_call_reply(0).contains("cannot make further progress"));
        assert!(no_tool_call_reply(1).contains("cannot make further progress"));
        assert!(no_tool_call_reply(0).contains("never ask for human help"));
    }
}
