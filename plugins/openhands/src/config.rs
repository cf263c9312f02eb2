//! The scaffold's configuration: the JSON object a run passes to `run`, its defaults, its
//! checks, and its JSON Schema (derived from the types, so the two cannot drift apart).
//!
//! Pure: no host import is called. It must never guess at a misspelt field: unknown fields
//! are refused (`deny_unknown_fields`), as are values the loop cannot work with.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use synth_sdk::{CallMode, RunError, Task, parse_config, schema_of};

pub const DEFAULT_NO_CHANGE_TIMEOUT_SECS: u32 = 10;
pub const DEFAULT_MAX_MESSAGES: usize = 100;
pub const DEFAULT_KEEP_FIRST: usize = 2;

/// Configuration of the OpenHands-style scaffold. Every field is optional.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Agent steps (model calls) before stopping with step-limit. Default: the task's limit.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub max_steps: Option<u32>,
    /// Replaces the default system prompt. {{workspace}}, {{max_steps}} and
    /// {{no_change_timeout_secs}} are substituted. The task instruction always follows as the
    /// first user message.
    #[serde(default)]
    pub system_prompt: Option<String>,
    /// Sampling temperature. Default: the provider's.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub temperature: Option<f32>,
    /// How tool calls are exchanged: `native` function calling (default) or the `text`
    /// format `<function=NAME><parameter=K>V</parameter></function>` parsed by the plugin.
    #[serde(default)]
    pub tool_call_mode: CallMode,
    /// Seconds a command may print nothing new before `execute_bash` returns with the command
    /// still running (OpenHands' no-change timeout). Not applied when the model sets `timeout`.
    #[serde(default = "default_no_change_timeout_secs")]
    #[schemars(range(min = 1))]
    pub no_change_timeout_secs: u32,
    /// The LLM-summarizing condenser.
    #[serde(default)]
    pub condenser: CondenserConfig,
}

/// When and how the history is summarized.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CondenserConfig {
    /// Summarize the middle of the history when it grows past `max_messages`, or once when
    /// the provider reports a context overflow. Default: true.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Messages in the history before it is condensed to about half. Default: 100.
    #[serde(default = "default_max_messages")]
    #[schemars(range(min = 4))]
    pub max_messages: usize,
    /// Messages at the start that are always kept (the system prompt and the task). Must be
    /// below half of `max_messages`. Default: 2.
    #[serde(default = "default_keep_first")]
    #[schemars(range(min = 1))]
    pub keep_first: usize,
}

impl Default for CondenserConfig {
    fn default() -> CondenserConfig {
        CondenserConfig {
            enabled: true,
            max_messages: DEFAULT_MAX_MESSAGES,
            keep_first: DEFAULT_KEEP_FIRST,
        }
    }
}

fn default_true() -> bool {
    true
}

fn default_no_change_timeout_secs() -> u32 {
    DEFAULT_NO_CHANGE_TIMEOUT_SECS
}

fn default_max_messages() -> usize {
    DEFAULT_MAX_MESSAGES
}

fn default_keep_first() -> usize {
    DEFAULT_KEEP_FIRST
}

impl Config {
    pub fn parse(json: &str) -> Result<Config, RunError> {
        let config: Config = parse_config(json)?;
        let invalid = |m: &str| {
            Err(RunError::InvalidConfig(format!(
                "invalid configuration: {m}"
            )))
        };
        if config.no_change_timeout_secs == 0 {
            return invalid("field `no_change_timeout_secs` must be at least 1");
        }
        let c = &config.condenser;
        if c.keep_first == 0 {
            return invalid("field `condenser.keep_first` must be at least 1");
        }
        if c.keep_first >= c.max_messages / 2 {
            return invalid("field `condenser.keep_first` must be below half of `max_messages`");
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

#[cfg(test)]
pub(crate) fn test_task() -> Task {
    synth_sdk::testing::task("Fix the bug in calc.py.", 30)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let c = Config::parse("{}").unwrap();
        assert_eq!(c.max_steps(&test_task()), 30);
        assert_eq!(c.no_change_timeout_secs, 10);
        assert_eq!(c.tool_call_mode, CallMode::Native);
        assert_eq!(c.condenser, CondenserConfig::default());
        assert!(c.condenser.enabled);
        assert_eq!((c.condenser.max_messages, c.condenser.keep_first), (100, 2));
    }

    #[test]
    fn overrides_and_errors() {
        let c = Config::parse(
            r#"{"max_steps": 3, "temperature": 0.5, "tool_call_mode": "text",
                "no_change_timeout_secs": 4, "condenser": {"enabled": false, "max_messages": 20}}"#,
        )
        .unwrap();
        assert_eq!(c.max_steps(&test_task()), 3);
        assert_eq!(c.tool_call_mode, CallMode::Text);
        assert!(!c.condenser.enabled);
        assert_eq!(c.condenser.keep_first, 2);
        let err = |json: &str| match Config::parse(json) {
            Err(RunError::InvalidConfig(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(err(r#"{"steps": 3}"#).contains("unknown field `steps`"));
        assert!(err(r#"{"condenser": {"max": 3}}"#).contains("unknown field `max`"));
        assert!(err(r#"{"tool_call_mode": "xml"}"#).contains("tool_call_mode"));
        assert!(err(r#"{"no_change_timeout_secs": 0}"#).contains("at least 1"));
        assert!(err(r#"{"condenser": {"keep_first": 0}}"#).contains("at least 1"));
        assert!(
            err(r#"{"condenser": {"max_messages": 8, "keep_first": 4}}"#).contains("below half")
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
            "no_change_timeout_secs",
            "condenser",
        ] {
            assert!(props.contains_key(key), "{key}");
        }
        let condenser = &s["properties"]["condenser"]["properties"];
        for key in ["enabled", "max_messages", "keep_first"] {
            assert!(condenser.get(key).is_some(), "{key}: {s}");
        }
        let modes: Vec<&Value> = s["properties"]["tool_call_mode"]["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| &v["const"])
            .collect();
        assert_eq!(modes, ["native", "text"]);
        assert!(
            s.get("required")
                .is_none_or(|r| r.as_array().unwrap().is_empty())
        );
    }
}
