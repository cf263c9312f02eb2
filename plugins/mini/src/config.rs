//! mini's configuration: the JSON object a run passes to `run`, its JSON Schema, and the
//! system prompt it selects. Pure: no host import is called.

use serde::Deserialize;
use serde_json::Value;
use synth_sdk::schemars::{self, JsonSchema};
use synth_sdk::{CallMode, RunError, Task, parse_config, schema_of};

pub const DEFAULT_TIMEOUT_SECS: u32 = 120;

/// The parsed configuration. Every field is optional in the JSON.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Agent steps (model calls) before stopping with step-limit. Default: the task's step
    /// limit.
    #[serde(default)]
    pub max_steps: Option<u32>,
    /// Replaces the default system prompt. {{workspace}}, {{timeout_secs}} and {{max_steps}}
    /// are substituted. The task instruction always follows as the first user message.
    #[serde(default)]
    pub system_prompt: Option<String>,
    /// Sampling temperature. Default: the provider's.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub temperature: Option<f32>,
    /// Hard timeout of one bash command, in seconds (the host lowers it to its ceiling).
    #[serde(default = "default_timeout_secs")]
    #[schemars(range(min = 1))]
    pub timeout_secs: u32,
    /// `native` function calling (default), or `text`: the tools are described in the system
    /// prompt and calls are written as <function=NAME><parameter=K>V</parameter></function>.
    #[serde(default)]
    pub tool_call_mode: CallMode,
}

fn default_timeout_secs() -> u32 {
    DEFAULT_TIMEOUT_SECS
}

impl Config {
    pub fn parse(json: &str) -> Result<Config, RunError> {
        let config: Config = parse_config(json)?;
        if config.timeout_secs == 0 {
            return Err(RunError::InvalidConfig(
                "invalid configuration: field `timeout_secs` must be at least 1".into(),
            ));
        }
        Ok(config)
    }

    pub fn max_steps(&self, task: &Task) -> u32 {
        self.max_steps.unwrap_or(task.max_steps)
    }
}

/// JSON Schema of [`Config`], as `describe` reports it.
pub fn schema() -> Value {
    schema_of::<Config>()
}

const DEFAULT_SYSTEM_PROMPT: &str = "\
You are an autonomous software engineer working on a task in a Linux sandbox. \
The task's files are in {{workspace}}, your working directory.

Every reply must call exactly one tool:
- `bash` runs one command in a persistent bash shell: the working directory and exported \
variables carry over between commands. You see the exit code and the output. A command is \
interrupted after {{timeout_secs}} seconds. Nobody can type into interactive programs: use \
non-interactive commands only (no vim or nano, no pagers; write files with cat <<'EOF', sed \
or python3).
- `submit` ends your work once the task is done. It cannot be undone.

Work step by step: explore the files, make the change, check that it works (run the code or \
its tests), then call `submit`. You have at most {{max_steps}} replies.";

/// The system prompt for `task`: the configured override or the default, with placeholders
/// filled in.
pub fn system_prompt(config: &Config, task: &Task) -> String {
    config
        .system_prompt
        .as_deref()
        .unwrap_or(DEFAULT_SYSTEM_PROMPT)
        .replace("{{workspace}}", &task.workspace)
        .replace("{{timeout_secs}}", &config.timeout_secs.to_string())
        .replace("{{max_steps}}", &config.max_steps(task).to_string())
}

#[cfg(test)]
pub(crate) fn test_task() -> Task {
    synth_sdk::testing::task("Fix the bug in calc.py.", 7)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let c = Config::parse("{}").unwrap();
        assert_eq!(c.timeout_secs, 120);
        assert_eq!(c.max_steps(&test_task()), 7);
        assert_eq!(c.temperature, None);
        let prompt = system_prompt(&c, &test_task());
        assert!(prompt.contains("/workspace"));
        assert!(prompt.contains("120 seconds"));
        assert!(prompt.contains("at most 7 replies"));
        assert!(!prompt.contains("{{"));
    }

    #[test]
    fn overrides_and_errors() {
        let c = Config::parse(
            r#"{"max_steps": 3, "system_prompt": "in {{workspace}}", "temperature": 0.5, "timeout_secs": 9}"#,
        )
        .unwrap();
        assert_eq!(c.max_steps(&test_task()), 3);
        assert_eq!(c.temperature, Some(0.5));
        assert_eq!(system_prompt(&c, &test_task()), "in /workspace");
        assert!(matches!(
            Config::parse(r#"{"timeout_secs": 0}"#),
            Err(RunError::InvalidConfig(_))
        ));
        assert!(
            matches!(Config::parse(r#"{"steps": 3}"#), Err(RunError::InvalidConfig(m)) if m.contains("unknown field `steps`"))
        );
    }

    #[test]
    fn schema_names_every_field() {
        let s = schema();
        let props = s["properties"].as_object().unwrap();
        for key in [
            "max_steps",
            "system_prompt",
            "temperature",
            "timeout_secs",
            "tool_call_mode",
        ] {
            assert!(props.contains_key(key), "{key}");
        }
    }
}
