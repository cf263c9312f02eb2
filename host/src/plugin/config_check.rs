//! Checks a run's scaffold configuration against the JSON Schema the scaffold declared in
//! `describe`, before any episode starts: a wrong type or an unknown field becomes one line
//! naming the plugin and the field, instead of one failed episode per cell of the matrix.
//! Pure: it never runs guest code and never fetches a referenced schema.

use serde_json::Value;

/// At most this many problems are named in the one line.
const MAX_PROBLEMS: usize = 3;

/// Validates `config` against `schema`. The error names the plugin and each failing field
/// (as a JSON pointer into the configuration), on one line.
pub fn check_config(plugin: &str, schema: &Value, config: &Value) -> Result<(), String> {
    let validator = jsonschema::validator_for(schema)
        .map_err(|e| format!("{plugin}: its configuration schema is invalid: {e}"))?;
    let problems: Vec<String> = validator
        .iter_errors(config)
        .take(MAX_PROBLEMS + 1)
        .map(|e| {
            let at = e.instance_path().to_string();
            let at = if at.is_empty() { "/".to_string() } else { at };
            format!("at {at}: {e}").replace('\n', " ")
        })
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    let more = if problems.len() > MAX_PROBLEMS {
        " (and more)"
    } else {
        ""
    };
    let shown: Vec<&str> = problems
        .iter()
        .take(MAX_PROBLEMS)
        .map(String::as_str)
        .collect();
    Err(format!(
        "does not fit scaffold `{plugin}`'s configuration schema: {}{more}",
        shown.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "timeout_secs": {"type": "integer", "minimum": 1},
                "system_prompt": {"type": "string"}
            }
        })
    }

    #[test]
    fn a_fitting_configuration_passes() {
        assert_eq!(check_config("mini", &schema(), &json!({})), Ok(()));
        assert_eq!(
            check_config("mini", &schema(), &json!({"timeout_secs": 5})),
            Ok(())
        );
    }

    #[test]
    fn a_wrong_type_names_the_plugin_and_the_field() {
        let err = check_config("mini", &schema(), &json!({"timeout_secs": "soon"})).unwrap_err();
        assert!(err.contains("`mini`"), "{err}");
        assert!(err.contains("/timeout_secs"), "{err}");
        assert!(err.contains("integer"), "{err}");
        assert_eq!(err.lines().count(), 1);
    }

    #[test]
    fn unknown_fields_and_many_problems_stay_on_one_line() {
        let err = check_config(
            "mini",
            &schema(),
            &json!({"timeout_secs": 0, "system_prompt": 3, "colour": "red", "size": 1}),
        )
        .unwrap_err();
        for want in ["/timeout_secs", "/system_prompt", "'colour'", "'size'"] {
            assert!(err.contains(want), "{want}: {err}");
        }
        assert!(!err.contains("and more"), "{err}");
        assert_eq!(err.lines().count(), 1);
        let wide = json!({
            "type": "object",
            "properties": {
                "a": {"type": "string"}, "b": {"type": "string"},
                "c": {"type": "string"}, "d": {"type": "string"}
            }
        });
        let err =
            check_config("mini", &wide, &json!({"a": 1, "b": 2, "c": 3, "d": 4})).unwrap_err();
        assert!(err.ends_with("(and more)"), "{err}");
        assert_eq!(err.matches("is not of type").count(), MAX_PROBLEMS, "{err}");
    }

    #[test]
    fn an_invalid_schema_is_reported_as_the_plugins_fault() {
        let err = check_config("odd", &json!({"type": 12}), &json!({})).unwrap_err();
        assert!(err.contains("`odd`") || err.contains("odd:"), "{err}");
        assert!(err.contains("schema is invalid"), "{err}");
    }
}
