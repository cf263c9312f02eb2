//! Parses a plugin's JSON configuration (the `config` string of `run` / `score`) into a
//! serde type, with errors that name the offending field.
//!
//! Pure: no host import is called. An empty string counts as `{}`; anything but a JSON object
//! is refused. Unknown fields are refused when the target type says
//! `#[serde(deny_unknown_fields)]`, which plugin configs should.

use crate::RunError;
use crate::message::json_kind;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt;

/// Why a configuration was refused. Converts into [`RunError::InvalidConfig`].
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError(String);

impl ConfigError {
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

impl From<ConfigError> for RunError {
    fn from(e: ConfigError) -> RunError {
        RunError::InvalidConfig(e.to_string())
    }
}

/// Parses `json` (a JSON object, or empty for `{}`) into `T`.
pub fn parse_config<T: DeserializeOwned>(json: &str) -> Result<T, ConfigError> {
    let value: Value = if json.trim().is_empty() {
        Value::Object(Default::default())
    } else {
        serde_json::from_str(json).map_err(|e| ConfigError(format!("not valid JSON: {e}")))?
    };
    if !value.is_object() {
        return Err(ConfigError(format!(
            "expected a JSON object, got {}",
            json_kind(&value)
        )));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            ConfigError(inner.to_string())
        } else {
            ConfigError(format!("field `{path}`: {inner}"))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Config {
        #[serde(default)]
        max_steps: Option<u32>,
        #[serde(default = "default_timeout")]
        timeout_secs: u32,
    }

    fn default_timeout() -> u32 {
        120
    }

    #[test]
    fn empty_and_object() {
        let want = Config {
            max_steps: None,
            timeout_secs: 120,
        };
        assert_eq!(parse_config::<Config>("").unwrap(), want);
        assert_eq!(parse_config::<Config>(" {} ").unwrap(), want);
        let c: Config = parse_config(r#"{"max_steps": 5, "timeout_secs": 9}"#).unwrap();
        assert_eq!(c.max_steps, Some(5));
        assert_eq!(c.timeout_secs, 9);
    }

    #[test]
    fn errors_name_the_problem() {
        let e = parse_config::<Config>(r#"{"max_steps": "x"}"#).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid configuration: field `max_steps`: invalid type"),
            "{e}"
        );
        let e = parse_config::<Config>(r#"{"max_step": 1}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `max_step`"), "{e}");
        let e = parse_config::<Config>("[1]").unwrap_err();
        assert!(e.to_string().contains("got an array"), "{e}");
        let e = parse_config::<Config>("{").unwrap_err();
        assert!(e.to_string().contains("not valid JSON"), "{e}");
        let e = parse_config::<Config>(r#"{"max_steps": -1}"#).unwrap_err();
        assert!(matches!(RunError::from(e), RunError::InvalidConfig(m) if m.contains("max_steps")));
    }
}
