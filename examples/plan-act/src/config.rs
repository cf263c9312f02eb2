//! plan-act's configuration: the JSON object a run passes to `run` (`--scaffold-config`), and
//! its JSON Schema for `describe`. One struct is the source of both, so they cannot drift.
//!
//! Pure: it must never call a host import (it is tested natively) and never guess at a
//! field it does not know: unknown fields are refused with the field's name.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use synth_sdk::{CallMode, RunError, Task, parse_config, schema_of};

pub const DEFAULT_COMMAND_TIMEOUT_SECS: u32 = 120;

/// Configuration of the plan-act scaffold. Every field is optional.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Agent steps (model calls, the planning call included) before stopping with
    /// step-limit. Default: the task's step limit.
    #[serde(default)]
    pub max_steps: Option<u32>,
    /// Sampling temperature of every model call. Default: the run's or the provider's.
    #[serde(default)]
    #[schemars(range(min = 0.0))]
    pub temperature: Option<f32>,
    /// How tool calls travel: `native` function calling, or `text` (tools described in the
    /// system prompt, calls written as `<function=...>` blocks and parsed by the plugin).
    #[serde(default)]
    pub tool_call_mode: CallMode,
    /// Hard timeout of one `bash` command, in seconds (the host lowers it to its ceiling).
    #[serde(default = "default_command_timeout_secs")]
    #[schemars(range(min = 1))]
    pub command_timeout_secs: u32,
}

fn default_command_timeout_secs() -> u32 {
    DEFAULT_COMMAND_TIMEOUT_SECS
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_steps: None,
            temperature: None,
            tool_call_mode: CallMode::Native,
            command_timeout_secs: DEFAULT_COMMAND_TIMEOUT_SECS,
        }
    }
}

impl Config {
    /// Parses `json` (empty counts as `{}`); errors name the offending field.
    pub fn parse(json: &str) -> Result<Config, RunError> {
        let config: Config = parse_config(json)?;
        if config.command_timeout_secs == 0 {
            return Err(RunError::InvalidConfig(
                "invalid configuration: field `command_timeout_secs` must be at least 1".into(),
            ));
        }
        if let Some(t) = config.temperature
            && !(t.is_finite() && t >= 0.0)
        {
            return Err(RunError::InvalidConfig(format!(
                "invalid configuration: field `temperature` must be a number >= 0, got {t}"
            )));
        }
        Ok(config)
    }

    /// The step limit of this episode: the configured one, else the task's.
    pub fn max_steps(&self, task: &Task) -> u32 {
        self.max_steps.unwrap_or(task.max_steps)
    }
}

/// The JSON Schema `describe` reports as `config-schema`.
pub fn schema() -> Value {
    schema_of::<Config>()
}

#[cfg(test)]
pub(crate) fn test_task() -> Task {
    synth_sdk::testing::task("Write bin/report.sh.", 6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let c = Config::parse("").unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.max_steps(&test_task()), 6);
        assert_eq!(Config::parse("{}").unwrap(), c);
    }

    #[test]
    fn every_field() {
        let c = Config::parse(
            r#"{"max_steps": 3, "temperature": 0.2, "tool_call_mode": "text", "command_timeout_secs": 9}"#,
        )
        .unwrap();
        assert_eq!(c.max_steps(&test_task()), 3);
        assert_eq!(c.temperature, Some(0.2));
        assert_eq!(c.tool_call_mode, CallMode::Text);
        assert_eq!(c.command_timeout_secs, 9);
    }

    #[test]
    fn errors_name_the_field() {
        let message = |json: &str| match Config::parse(json) {
            Err(RunError::InvalidConfig(m)) => m,
            other => panic!("{json}: {other:?}"),
        };
        assert!(message(r#"{"max_step": 3}"#).contains("unknown field `max_step`"));
        assert!(message(r#"{"tool_call_mode": "xml"}"#).contains("tool_call_mode"));
        assert!(message(r#"{"max_steps": -1}"#).contains("max_steps"));
        assert!(message(r#"{"command_timeout_secs": 0}"#).contains("command_timeout_secs"));
        assert!(message(r#"{"temperature": -1}"#).contains("temperature"));
        assert!(message("[]").contains("JSON object"));
    }

    #[test]
    fn schema_lists_every_field_and_no_others() {
        let s = schema();
        assert_eq!(s["type"], "object");
        assert_eq!(s["additionalProperties"], false);
        let props = s["properties"].as_object().unwrap();
        let mut names: Vec<&str> = props.keys().map(String::as_str).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "command_timeout_secs",
                "max_steps",
                "temperature",
                "tool_call_mode"
            ]
        );
        assert!(
            s.get("required")
                .is_none_or(|r| r.as_array().unwrap().is_empty())
        );
        let modes: Vec<&Value> = props["tool_call_mode"]["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| &v["const"])
            .collect();
        assert_eq!(modes, ["native", "text"]);
        assert_eq!(props["tool_call_mode"]["default"], "native");
        assert_eq!(props["command_timeout_secs"]["minimum"], 1);
        assert_eq!(props["command_timeout_secs"]["default"], 120);
        assert_eq!(props["temperature"]["minimum"], 0.0);
    }
}
