//! Builders for tool specs and their roles, from JSON values instead of JSON text.
//!
//! Pure data: no host import is called here.

use crate::{FinishRole, ShellRole, ToolRole, ToolSpec};
use serde_json::Value;

impl ToolRole {
    /// A shell tool: argument `command_argument` holds the command line; `fixed_arguments`
    /// (a JSON object, or null for none) are arguments a caller must add.
    pub fn shell(command_argument: impl Into<String>, fixed_arguments: Value) -> ToolRole {
        ToolRole::Shell(ShellRole {
            command_argument: command_argument.into(),
            fixed_arguments: object_text(fixed_arguments),
        })
    }

    /// A finish tool; `fixed_arguments` as for [`ToolRole::shell`].
    pub fn finish(fixed_arguments: Value) -> ToolRole {
        ToolRole::Finish(FinishRole {
            fixed_arguments: object_text(fixed_arguments),
        })
    }
}

impl ToolSpec {
    /// A tool with role `other`; `parameters` is the JSON Schema of its arguments object.
    /// Chain [`ToolSpec::shell`], [`ToolSpec::finish`] or [`ToolSpec::role`] to give it a role.
    pub fn new(name: impl Into<String>, description: impl Into<String>, parameters: Value) -> Self {
        ToolSpec {
            name: name.into(),
            description: description.into(),
            parameters: parameters.to_string(),
            role: ToolRole::Other,
        }
    }

    pub fn role(self, role: ToolRole) -> Self {
        ToolSpec { role, ..self }
    }

    pub fn shell(self, command_argument: impl Into<String>, fixed_arguments: Value) -> Self {
        self.role(ToolRole::shell(command_argument, fixed_arguments))
    }

    pub fn finish(self, fixed_arguments: Value) -> Self {
        self.role(ToolRole::finish(fixed_arguments))
    }
}

/// The contract's fixed arguments are a JSON object text; null stands for `{}`.
fn object_text(value: Value) -> String {
    match value {
        Value::Null => "{}".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builds_specs_with_roles() {
        let schema = json!({"type": "object", "properties": {"command": {"type": "string"}}});
        let bash = ToolSpec::new("bash", "run", schema.clone()).shell("command", json!({}));
        assert_eq!(bash.name, "bash");
        let parsed: Value = serde_json::from_str(&bash.parameters).unwrap();
        assert_eq!(parsed, schema);
        match bash.role {
            ToolRole::Shell(role) => {
                assert_eq!(role.command_argument, "command");
                assert_eq!(role.fixed_arguments, "{}");
            }
            other => panic!("wrong role {other:?}"),
        }
        let submit = ToolSpec::new("submit", "done", json!({"type": "object"})).finish(Value::Null);
        assert!(matches!(submit.role, ToolRole::Finish(ref f) if f.fixed_arguments == "{}"));
        let plain = ToolSpec::new("think", "think", json!({}));
        assert!(matches!(plain.role, ToolRole::Other));
        let input = ToolRole::shell("command", json!({"is_input": false}));
        assert!(
            matches!(input, ToolRole::Shell(ref s) if s.fixed_arguments == r#"{"is_input":false}"#)
        );
    }
}
