//! Shell quoting and sandbox path helpers. Candidate for the SDK: nothing here is specific
//! to SWE-agent, and every scaffold that builds command lines from model-controlled strings
//! or resolves paths against the task's workspace needs the same two functions.
//!
//! Pure: no host import is called. It must never run anything: it only builds strings.

/// `value` as one bash word: unchanged when it holds only characters bash never interprets,
/// otherwise wrapped in single quotes with each `'` written as `'"'"'`.
pub fn quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c));
    if plain {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', r#"'"'"'"#))
    }
}

/// The absolute, lexically normalised form of `path`: relative paths are taken from
/// `workspace`; `.`, `..`, repeated and trailing slashes are folded. Symlinks are not followed
/// (the sandbox is not asked).
pub fn resolve(workspace: &str, path: &str) -> String {
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{workspace}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(quote("src/a_b-1.py"), "src/a_b-1.py");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r#"'it'"'"'s'"#);
        assert_eq!(quote("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(quote("*.py"), "'*.py'");
        assert_eq!(quote("-n"), "-n");
        assert_eq!(quote("a\nb"), "'a\nb'");
    }

    #[test]
    fn resolves_against_the_workspace() {
        assert_eq!(resolve("/workspace", "a.py"), "/workspace/a.py");
        assert_eq!(resolve("/workspace", "./src//b.py"), "/workspace/src/b.py");
        assert_eq!(resolve("/workspace", "../etc/x"), "/etc/x");
        assert_eq!(resolve("/workspace", "/tmp/y/"), "/tmp/y");
        assert_eq!(resolve("/workspace", ""), "/workspace");
        assert_eq!(resolve("/workspace", "."), "/workspace");
        assert_eq!(resolve("/", "../../x"), "/x");
    }
}
