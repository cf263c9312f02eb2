//! Instances: one template with one choice of parameter values, rendered and hashed.
//!
//! Owns parameter expansion (cartesian product), instruction rendering, instance ids, canaries,
//! content hashes and the environment the sealed tests get. It must never read a sealed file
//! except `solution/solve.sh` for the oracle (on request), and never put parameters anywhere but
//! the rendered instruction and `SYNTH_PARAM_<NAME>` variables.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::template::Template;
use super::{TaskError, WORKSPACE};
use crate::sandbox::ImageSpec;

/// Prefix of the environment variables that carry an instance's parameters.
pub const PARAM_ENV_PREFIX: &str = "SYNTH_PARAM_";
/// PATH given to the sealed tests (absolute interpreters only).
pub const TEST_PATH: &str = "/usr/local/bin:/usr/bin:/bin";
/// HOME given to the sealed tests.
pub const TEST_HOME: &str = "/tmp";

/// One runnable task: a template plus one value for each of its parameters.
#[derive(Debug, Clone)]
pub struct Instance {
    /// Template id, plus `-` and 8 hex of the parameters' hash when the template has parameters.
    pub instance_id: String,
    pub template: Arc<Template>,
    pub parameters: Map<String, Value>,
    /// The instruction with every `{{ name }}` replaced by its value.
    pub instruction: String,
    /// The template's canary, or `SYNTH-CANARY-<16 hex>` derived from the content hash.
    pub canary: String,
    /// sha256 hex over the template's files (template.yaml, environment/, tests/, solution/)
    /// and the canonical parameters JSON.
    pub content_hash: String,
}

impl Instance {
    /// The image this instance runs in: context = environment/, env = `SYNTH_PARAM_<NAME>`.
    pub fn image_spec(&self) -> ImageSpec {
        ImageSpec {
            base_image: self.template.environment.image.clone(),
            context_dir: self.template.environment_dir(),
            setup: self.template.environment.setup.clone(),
            env: self.param_env(),
            workspace: WORKSPACE.to_string(),
        }
    }

    /// The text of `solution/solve.sh` (parameters reach it through the environment).
    pub fn solution(&self) -> Result<String, TaskError> {
        let path = self.template.solution_path();
        let bytes = std::fs::read(&path).map_err(|e| TaskError::io(&path, e))?;
        String::from_utf8(bytes)
            .map_err(|e| TaskError::invalid(&path, None, format!("not UTF-8: {e}")))
    }

    /// The template's sealed tests folder, copied to [`super::SEALED_DIR`] after the agent is done.
    pub fn tests_dir(&self) -> PathBuf {
        self.template.tests_dir()
    }

    /// The complete, clean environment of the test run: PATH, HOME and `SYNTH_PARAM_*`.
    pub fn test_env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("PATH".to_string(), TEST_PATH.to_string()),
            ("HOME".to_string(), TEST_HOME.to_string()),
        ];
        env.extend(self.param_env());
        env
    }

    /// argv of the test run: the template's test command under `/bin/bash -c`.
    pub fn test_argv(&self) -> Vec<String> {
        vec![
            "/bin/bash".to_string(),
            "-c".to_string(),
            self.template.tests.command.clone(),
        ]
    }

    /// Time allowed for the test run.
    pub fn test_timeout(&self) -> Duration {
        Duration::from_secs(self.template.tests.timeout_secs)
    }

    /// `SYNTH_PARAM_<NAME>` = value for every parameter, sorted by name.
    pub fn param_env(&self) -> Vec<(String, String)> {
        let mut names: Vec<&String> = self.parameters.keys().collect();
        names.sort();
        names
            .into_iter()
            .map(|name| {
                (
                    format!("{PARAM_ENV_PREFIX}{}", name.to_ascii_uppercase()),
                    value_text(&self.parameters[name]),
                )
            })
            .collect()
    }
}

/// All instances of a template: the cartesian product of its parameters (in name order, values
/// in file order). A template without parameters has exactly one instance.
pub fn expand(t: &Arc<Template>) -> Vec<Instance> {
    let mut combos: Vec<Map<String, Value>> = vec![Map::new()];
    for (name, values) in &t.parameters {
        let mut next = Vec::with_capacity(combos.len() * values.len());
        for combo in &combos {
            for v in values {
                let mut c = combo.clone();
                c.insert(name.clone(), v.clone());
                next.push(c);
            }
        }
        combos = next;
    }
    combos
        .into_iter()
        .map(|params| instance(t, params))
        .collect()
}

fn instance(t: &Arc<Template>, parameters: Map<String, Value>) -> Instance {
    let params_json = canonical_json(&Value::Object(parameters.clone()));
    let instance_id = if t.parameters.is_empty() {
        t.id.clone()
    } else {
        let h = hex::encode(Sha256::digest(params_json.as_bytes()));
        format!("{}-{}", t.id, &h[..8])
    };
    let mut h = Sha256::new();
    h.update(b"synth-instance-v1\0");
    h.update(t.source_hash.as_bytes());
    h.update(b"\0");
    h.update(params_json.as_bytes());
    let content_hash = hex::encode(h.finalize());
    let canary = t
        .canary
        .clone()
        .unwrap_or_else(|| default_canary(&content_hash));
    let instruction = render(&t.instruction, &parameters);
    Instance {
        instance_id,
        template: Arc::clone(t),
        parameters,
        instruction,
        canary,
        content_hash,
    }
}

pub use crate::canonical::canonical_json;

/// `SYNTH-CANARY-<16 hex>` derived from an instance's content hash.
pub fn default_canary(content_hash: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"synth-canary\0");
    h.update(content_hash.as_bytes());
    let digest = hex::encode(h.finalize());
    format!("SYNTH-CANARY-{}", &digest[..16])
}

/// A parameter value as text: strings without quotes, anything else as JSON.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Spans of `{{ name }}` placeholders: (start, end, name). Only a name matching
/// `[A-Za-z_][A-Za-z0-9_]*` (spaces around it allowed) makes a placeholder; any other `{{...}}`
/// is literal text.
fn placeholder_spans(text: &str) -> Vec<(usize, usize, &str)> {
    let mut spans = Vec::new();
    let mut pos = 0;
    while let Some(rel) = text[pos..].find("{{") {
        let start = pos + rel;
        let Some(close) = text[start + 2..].find("}}") else {
            break;
        };
        let end = start + 2 + close + 2;
        let name = text[start + 2..start + 2 + close].trim();
        let mut chars = name.chars();
        let ident = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if ident {
            spans.push((start, end, name));
            pos = end;
        } else {
            pos = start + 2;
        }
    }
    spans
}

/// Names of the placeholders in `text`, in order of appearance.
pub fn placeholders(text: &str) -> Vec<&str> {
    placeholder_spans(text)
        .into_iter()
        .map(|(_, _, n)| n)
        .collect()
}

/// Replaces each `{{ name }}` by its parameter's text. Unknown names are left as they are
/// (loading already rejected them).
pub fn render(text: &str, params: &Map<String, Value>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end, name) in placeholder_spans(text) {
        if let Some(v) = params.get(name) {
            out.push_str(&text[last..start]);
            out.push_str(&value_text(v));
            last = end;
        }
    }
    out.push_str(&text[last..]);
    out
}
