//! The scaffold's configuration: the JSON object a run passes to `run`, parsed with unknown
//! fields refused, and its JSON Schema (derived from the struct) for `describe`.
//!
//! Pure: no host import is called. It must never hold episode state or prompt text.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use synth_sdk::{CallMode, RunError, Task, parse_config, schema_of};

/// The original's `WINDOW`.
pub const DEFAULT_WINDOW: u32 = 100;
/// The original's `OVERLAP`: lines kept in view when scrolling.
pub const OVERLAP: u32 = 2;
/// `last_n_observations` with n = 5, as in SWE-agent 0.7.
pub const DEFAULT_KEEP_OBSERVATIONS: u32 = 5;
pub const DEFAULT_COMMAND_TIMEOUT_SECS: u32 = 60;
/// The original's `max_requeries`.
pub const DEFAULT_MAX_FORMAT_ERRORS: u32 = 3;

/// Configuration of the SWE-agent (ACI) scaffold. Every field is optional.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Agent steps (model calls, format-error retries included) before stopping with
    /// step-limit. Default: the task's step limit.
    #[serde(default)]
    pub max_steps: Option<u32>,
    /// Replaces the default system prompt. {{workspace}}, {{window}}, {{timeout_secs}} and
    /// {{max_steps}} are substituted. In text mode the tool list is appended.
    #[serde(default)]
    pub system_prompt: Option<String>,
    /// Sampling temperature. Default: the provider's.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub temperature: Option<f32>,
    /// `native`: tools are sent as function definitions. `text`: the tools are described in
    /// the system prompt and calls are written as <function=NAME><parameter=K>V</parameter>
    /// </function> (SWE-agent's xml_function_calling).
    #[serde(default)]
    pub tool_call_mode: CallMode,
    /// Lines the file viewer shows at a time (SWE-agent's WINDOW).
    #[serde(default = "default_window")]
    #[schemars(range(min = 3))]
    pub window: u32,
    /// Tool results kept in full in each request; older ones are replaced by
    /// `Old environment output: (N lines omitted)` (last_n_observations). 0 keeps all.
    #[serde(default = "default_keep_observations")]
    pub keep_observations: u32,
    /// Hard timeout of one command (bash, and the searches and linter the tools run), in
    /// seconds; the host lowers it to its ceiling.
    #[serde(default = "default_command_timeout_secs")]
    #[schemars(range(min = 1))]
    pub command_timeout_secs: u32,
    /// Consecutive replies without exactly one valid tool call before the episode ends with
    /// gave-up (SWE-agent's exit_format after max_requeries).
    #[serde(default = "default_max_format_errors")]
    #[schemars(range(min = 1))]
    pub max_format_errors: u32,
    /// Refuse bash commands on SWE-agent's blocklist (vim, nano, less, tail -f, make, a bare
    /// python or bash, ...) with `Operation '...' is not supported by this environment.`,
    /// counted like a format error, as the original does.
    #[serde(default = "default_block_commands")]
    pub block_commands: bool,
}

fn default_block_commands() -> bool {
    true
}

fn default_window() -> u32 {
    DEFAULT_WINDOW
}

fn default_keep_observations() -> u32 {
    DEFAULT_KEEP_OBSERVATIONS
}

fn default_command_timeout_secs() -> u32 {
    DEFAULT_COMMAND_TIMEOUT_SECS
}

fn default_max_format_errors() -> u32 {
    DEFAULT_MAX_FORMAT_ERRORS
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_steps: None,
            system_prompt: None,
            temperature: None,
            tool_call_mode: CallMode::Native,
            window: DEFAULT_WINDOW,
            keep_observations: DEFAULT_KEEP_OBSERVATIONS,
            command_timeout_secs: DEFAULT_COMMAND_TIMEOUT_SECS,
            max_format_errors: DEFAULT_MAX_FORMAT_ERRORS,
            block_commands: true,
        }
    }
}

impl Config {
    pub fn parse(json: &str) -> Result<Config, RunError> {
        let config: Config = parse_config(json)?;
        let invalid = |field: &str, rule: &str| {
            Err(RunError::InvalidConfig(format!(
                "invalid configuration: field `{field}` must be {rule}"
            )))
        };
        if config.window <= OVERLAP {
            return invalid("window", "at least 3");
        }
        if config.command_timeout_secs == 0 {
            return invalid("command_timeout_secs", "at least 1");
        }
        if config.max_format_errors == 0 {
            return invalid("max_format_errors", "at least 1");
        }
        if config.temperature.is_some_and(|t| t.is_nan() || t < 0.0) {
            return invalid("temperature", "a number of at least 0");
        }
        Ok(config)
    }

    pub fn max_steps(&self, task: &Task) -> u32 {
        self.max_steps.unwrap_or(task.max_steps)
    }

    pub fn timeout_ms(&self) -> u32 {
        self.command_timeout_secs.saturating_mul(1000)
    }
}

/// JSON Schema of [`Config`], as `describe` reports it.
pub fn schema() -> Value {
    schema_of::<Config>()
}

#[cfg(test)]
pub(crate) fn test_task() -> Task {
    synth_sdk::testing::task("Fix the bug in calc.py.", 9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let c = Config::parse("{}").unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.max_steps(&test_task()), 9);
        assert_eq!(c.timeout_ms(), 60_000);
    }

    #[test]
    fn overrides_and_errors() {
        let c = Config::parse(
            r#"{"max_steps": 3, "tool_call_mode": "text", "window": 10, "keep_observations": 0,
                "command_timeout_secs": 5, "max_format_errors": 1, "temperature": 0.5}"#,
        )
        .unwrap();
        assert_eq!(c.max_steps(&test_task()), 3);
        assert_eq!(c.tool_call_mode, CallMode::Text);
        assert_eq!((c.window, c.keep_observations), (10, 0));
        for bad in [
            r#"{"window": 2}"#,
            r#"{"command_timeout_secs": 0}"#,
            r#"{"max_format_errors": 0}"#,
            r#"{"temperature": -1}"#,
            r#"{"tool_call_mode": "xml"}"#,
        ] {
            assert!(
                matches!(Config::parse(bad), Err(RunError::InvalidConfig(_))),
                "{bad}"
            );
        }
        assert!(
            matches!(Config::parse(r#"{"steps": 3}"#), Err(RunError::InvalidConfig(m)) if m.contains("unknown field `steps`"))
        );
    }

    #[test]
    fn schema_names_every_field() {
        let s = schema();
        assert_eq!(s["additionalProperties"], false);
        let props = s["properties"].as_object().unwrap();
        for key in [
            "max_steps",
            "system_prompt",
            "temperature",
            "tool_call_mode",
            "window",
            "keep_observations",
            "command_timeout_secs",
            "max_format_errors",
            "block_commands",
        ] {
            assert!(props.contains_key(key), "{key}");
            assert!(props[key].get("description").is_some(), "{key}");
        }
        assert_eq!(props["window"]["default"], 100);
        assert_eq!(props["window"]["minimum"], 3);
        assert!(
            s.get("required")
                .is_none_or(|r| r.as_array().unwrap().is_empty())
        );
    }
}
