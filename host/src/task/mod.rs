//! Task templates and their instances.
//!
//! Owns the `templates/<category>/<id>/` format (see templates/README.md): loading and
//! validating `template.yaml`, expanding parameters into instances, rendering instructions,
//! content hashes and canaries. It only reads template folders; it must never touch Docker,
//! and must never hand the sealed `tests/` or `solution/` contents to anything an agent can see
//! (the solution goes only to the oracle provider, the tests only into the container after the
//! agent is done, at [`SEALED_DIR`]).

mod instance;
mod template;

use std::path::{Path, PathBuf};

pub use instance::{
    Instance, PARAM_ENV_PREFIX, TEST_HOME, TEST_PATH, canonical_json, default_canary, expand,
    placeholders, render, value_text,
};
pub use template::{
    DEFAULT_IMAGE, DEFAULT_TEST_COMMAND, DIFFICULTIES, Environment, Limits, MAX_INSTANCES,
    TEMPLATE_FILE, Template, TestSpec, load_dir, load_template,
};

/// Where the sealed tests are copied in the container once the agent is done.
pub const SEALED_DIR: &str = "/synth-tests";
/// The agent's working folder in the container (the environment/ folder lands here).
pub const WORKSPACE: &str = "/workspace";

/// Everything that can be wrong with a template folder. Each renders as one line naming the
/// file (and line:column where known).
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// YAML syntax error, unknown or missing field, wrong type (location from serde_yaml).
    #[error("{}: {message}", located(path, *line, *column))]
    Parse {
        path: PathBuf,
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    /// A value that parses but is not allowed (location best effort).
    #[error("{}: {message}", located(path, *line, *column))]
    Invalid {
        path: PathBuf,
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    /// A file or folder the template needs is missing.
    #[error("{}: missing ({what})", path.display())]
    MissingFile { path: PathBuf, what: &'static str },
    #[error("template id `{id}` is used twice: {} and {}", first.display(), second.display())]
    DuplicateId {
        id: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("{}: no task templates found (expected <category>/<id>/template.yaml)", root.display())]
    NoTemplates { root: PathBuf },
}

fn located(path: &Path, line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}", path.display()),
        (Some(l), None) => format!("{}:{l}", path.display()),
        _ => path.display().to_string(),
    }
}

impl TaskError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        TaskError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn invalid(
        path: &Path,
        at: Option<(usize, usize)>,
        message: impl Into<String>,
    ) -> Self {
        TaskError::Invalid {
            path: path.to_path_buf(),
            line: at.map(|(l, _)| l),
            column: at.map(|(_, c)| c),
            message: one_line(&message.into()),
        }
    }

    /// serde_yaml's message without its trailing " at line L column C" (the location moves to
    /// the front: `file:L:C: message`).
    pub(crate) fn parse(path: &Path, e: &serde_yaml::Error) -> Self {
        let mut message = e.to_string();
        let (line, column) = match e.location() {
            Some(loc) => {
                let suffix = format!(" at line {} column {}", loc.line(), loc.column());
                if let Some(i) = message.find(&suffix) {
                    message.replace_range(i..i + suffix.len(), "");
                }
                (Some(loc.line()), Some(loc.column()))
            }
            None => (None, None),
        };
        TaskError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message: one_line(&message),
        }
    }
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests;
