//! Tool argument types as the single source of a tool's JSON Schema and of its parsing.
//!
//! Derive `serde::Deserialize` and `schemars::JsonSchema` on a struct (doc comments become
//! the descriptions), build the tool with [`ToolSpec::from_args`], and read a call's
//! arguments with [`ToolCall::parse_args`]. The schema sent to the model and the check of
//! what it answered cannot drift apart. Pure: no host import is called.

use crate::{ToolCall, ToolSpec};
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::fmt;

/// The JSON Schema of `T` as a tool's `parameters`: subschemas inlined, no `$schema`,
/// `title` or top-level `description` (the struct's doc comment; the tool has its own), an
/// explicit empty `properties` for a struct without fields, and optional fields shown by
/// their type alone (an `Option<String>` field is `{"type": "string"}` and is left out of
/// `required`), as function-calling APIs expect.
pub fn schema_of<T: JsonSchema>() -> Value {
    let generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .into_generator();
    let mut value = generator.into_root_schema_for::<T>().to_value();
    if let Value::Object(map) = &mut value {
        map.remove("title");
        map.remove("description");
        if map.get("type") == Some(&Value::String("object".into())) {
            map.entry("properties")
                .or_insert_with(|| Value::Object(Map::new()));
        }
    }
    tidy(&mut value);
    value
}

/// Drops the `null` alternatives and `default: null` that `Option` adds, and `format`
/// annotations (`int64`, `double`) that models do not use.
fn tidy(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("format");
            if map.get("default") == Some(&Value::Null) {
                map.remove("default");
            }
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".into(), only);
                }
            }
            for key in ["anyOf", "oneOf"] {
                if let Some(Value::Array(options)) = map.get_mut(key) {
                    options.retain(|o| o.get("type") != Some(&Value::String("null".into())));
                    if options.len() == 1 {
                        let Some(Value::Object(only)) = options.pop() else {
                            continue;
                        };
                        map.remove(key);
                        for (k, v) in only {
                            map.entry(k).or_insert(v);
                        }
                    }
                }
            }
            if let Some(Value::Array(variants)) = map.get_mut("enum") {
                variants.retain(|v| !v.is_null());
            }
            for child in map.values_mut() {
                tidy(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(tidy),
        _ => {}
    }
}

impl ToolSpec {
    /// A tool (role `other`) whose parameters are the schema of `T` (see [`schema_of`]).
    pub fn from_args<T: JsonSchema>(
        name: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        ToolSpec::new(name, description, schema_of::<T>())
    }
}

/// Why a call's arguments do not fit the tool. Scaffolds word it for the model in their own
/// style (OpenHands and SWE-agent phrase these differently); `Display` is a plain sentence.
#[derive(Debug, Clone, PartialEq)]
pub enum ArgError {
    /// The arguments are not a JSON object (the host's parse error, or another JSON kind).
    NotAnObject(String),
    /// Required arguments absent, in schema order.
    Missing(Vec<String>),
    /// Arguments the schema does not know, in the order given.
    Unexpected {
        names: Vec<String>,
        allowed: Vec<String>,
    },
    /// An argument of the wrong type or value.
    Invalid { name: String, message: String },
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgError::NotAnObject(m) => f.write_str(m),
            ArgError::Missing(names) => {
                write!(f, "missing required argument(s): {}", names.join(", "))
            }
            ArgError::Unexpected { names, allowed } => write!(
                f,
                "unexpected argument(s): {}; allowed: {}",
                names.join(", "),
                allowed.join(", ")
            ),
            ArgError::Invalid { name, message } => write!(f, "argument `{name}`: {message}"),
        }
    }
}

impl std::error::Error for ArgError {}

impl ToolCall {
    /// The call's arguments as `T`, checked against `T`'s schema first so a missing or
    /// unknown argument is named as such.
    pub fn parse_args<T: DeserializeOwned + JsonSchema>(&self) -> Result<T, ArgError> {
        let arguments = self.arguments().map_err(ArgError::NotAnObject)?;
        parse_object::<T>(arguments)
    }
}

/// [`ToolCall::parse_args`] over an arguments object already in hand.
pub fn parse_object<T: DeserializeOwned + JsonSchema>(
    arguments: Map<String, Value>,
) -> Result<T, ArgError> {
    let schema = schema_of::<T>();
    let properties: Vec<String> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let missing: Vec<String> = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|name| !arguments.contains_key(*name))
        .map(str::to_string)
        .collect();
    if !missing.is_empty() {
        return Err(ArgError::Missing(missing));
    }
    let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
    let unexpected: Vec<String> = arguments
        .keys()
        .filter(|k| closed && !properties.contains(k))
        .cloned()
        .collect();
    if !unexpected.is_empty() {
        return Err(ArgError::Unexpected {
            names: unexpected,
            allowed: properties,
        });
    }
    serde_path_to_error::deserialize(Value::Object(arguments)).map_err(|e| {
        let name = e.path().to_string();
        ArgError::Invalid {
            name,
            message: e.into_inner().to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize, JsonSchema, PartialEq)]
    #[serde(rename_all = "UPPERCASE")]
    enum Risk {
        Low,
        High,
    }

    /// Runs a command.
    #[derive(Debug, Deserialize, JsonSchema, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Args {
        /// The command line.
        command: String,
        /// Optional timeout in seconds.
        #[serde(default)]
        timeout: Option<f64>,
        /// Lines to show.
        #[serde(default)]
        view_range: Option<Vec<i64>>,
        /// How risky it is.
        security_risk: Risk,
        /// Optional risk.
        #[serde(default)]
        other_risk: Option<Risk>,
    }

    fn call(args: &str) -> ToolCall {
        ToolCall {
            id: "c".into(),
            name: "run".into(),
            raw_arguments: args.into(),
            parsed: Ok(args.into()),
        }
    }

    /// No arguments.
    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct NoArgs {}

    #[test]
    fn schema_of_an_empty_struct() {
        let s = schema_of::<NoArgs>();
        assert_eq!(
            s,
            json!({"type": "object", "properties": {}, "additionalProperties": false})
        );
    }

    #[test]
    fn schema_is_clean() {
        let s = schema_of::<Args>();
        assert_eq!(s["type"], "object");
        assert!(s.get("title").is_none() && s.get("$schema").is_none());
        assert!(s.get("description").is_none());
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(
            s["properties"]["command"],
            json!({"type": "string", "description": "The command line."})
        );
        assert_eq!(
            s["properties"]["timeout"],
            json!({"type": "number", "description": "Optional timeout in seconds."})
        );
        assert_eq!(
            s["properties"]["view_range"],
            json!({"type": "array", "items": {"type": "integer"}, "description": "Lines to show."})
        );
        assert_eq!(
            s["properties"]["security_risk"]["enum"],
            json!(["LOW", "HIGH"])
        );
        assert_eq!(
            s["properties"]["other_risk"]["enum"],
            json!(["LOW", "HIGH"])
        );
        assert_eq!(s["required"], json!(["command", "security_risk"]));
        assert!(!s.to_string().contains("null"), "{s}");
        let spec = ToolSpec::from_args::<Args>("run", "Runs.");
        assert_eq!(serde_json::from_str::<Value>(&spec.parameters).unwrap(), s);
    }

    #[test]
    fn parse_names_what_is_wrong() {
        let ok: Args = call(r#"{"command":"ls","security_risk":"LOW","view_range":[1,-1]}"#)
            .parse_args()
            .unwrap();
        assert_eq!(ok.command, "ls");
        assert_eq!(ok.view_range, Some(vec![1, -1]));
        assert_eq!(
            call(r#"{"timeout":1}"#).parse_args::<Args>().unwrap_err(),
            ArgError::Missing(vec!["command".into(), "security_risk".into()])
        );
        match call(r#"{"command":"ls","security_risk":"LOW","x":1}"#)
            .parse_args::<Args>()
            .unwrap_err()
        {
            ArgError::Unexpected { names, allowed } => {
                assert_eq!(names, vec!["x"]);
                assert!(allowed.contains(&"command".to_string()));
            }
            other => panic!("{other:?}"),
        }
        match call(r#"{"command":"ls","security_risk":"MAX"}"#)
            .parse_args::<Args>()
            .unwrap_err()
        {
            ArgError::Invalid { name, message } => {
                assert_eq!(name, "security_risk");
                assert!(message.contains("unknown variant `MAX`"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            call("[1]").parse_args::<Args>(),
            Err(ArgError::NotAnObject(m)) if m.contains("an array")
        ));
    }
}
