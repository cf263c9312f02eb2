//! Template folders: the `template.yaml` schema, loading, validation and the source hash.
//!
//! Owns reading `templates/<category>/<id>/` from disk and rejecting anything malformed with one
//! line naming the file (and the line, where the YAML parser or a best-effort key search knows
//! it). It must never read the sealed `tests/` or `solution/` files for anything but hashing and
//! existence checks, and never put them anywhere an image build could pick them up.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::TaskError;
use super::instance::placeholders;

/// Default base image of a template's environment (built by `scripts/base-image.sh`).
pub const DEFAULT_IMAGE: &str = "synth-base:bookworm";
/// Default test command: pytest over the sealed folder, no cache, rootdir at the sealed folder.
pub const DEFAULT_TEST_COMMAND: &str =
    "/usr/bin/python3 -m pytest -q -p no:cacheprovider --rootdir=/synth-tests /synth-tests";
/// File name of a template's definition inside its folder.
pub const TEMPLATE_FILE: &str = "template.yaml";
/// The difficulties a template may declare.
pub const DIFFICULTIES: [&str; 3] = ["easy", "medium", "hard"];
/// Upper bound on the number of instances one template may expand into.
pub const MAX_INSTANCES: usize = 10_000;

/// One task template, as loaded from `template.yaml` plus the folder it lives in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub id: String,
    pub category: String,
    pub difficulty: String,
    pub instruction: String,
    #[serde(default)]
    pub environment: Environment,
    #[serde(default)]
    pub tests: TestSpec,
    #[serde(default)]
    pub limits: Limits,
    /// Parameter name -> values; instances are the cartesian product.
    #[serde(default)]
    pub parameters: BTreeMap<String, Vec<serde_json::Value>>,
    #[serde(default)]
    pub canary: Option<String>,
    /// The template's folder (set by the loader, not read from YAML).
    #[serde(skip)]
    pub dir: PathBuf,
    /// sha256 hex over `template.yaml` and every file of `environment/`, `tests/`, `solution/`
    /// (set by the loader). Instances mix their parameters into it for their content hash.
    #[serde(skip)]
    pub source_hash: String,
}

/// What the sandbox is built from and limited to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Environment {
    pub image: String,
    /// Shell commands run as root in the workspace at image build (`bash -lc`).
    pub setup: Vec<String>,
    pub network: bool,
    pub memory_mb: u64,
    pub cpus: f64,
    pub pids: u64,
    /// Size of the tmpfs the workspace (and the agent's home, /tmp, /var/tmp, /run/lock)
    /// lives on, in MiB; half of `memory_mb` when not given. It counts against `memory_mb`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_mb: Option<u64>,
}

impl Default for Environment {
    fn default() -> Self {
        Environment {
            image: DEFAULT_IMAGE.to_string(),
            setup: Vec::new(),
            network: false,
            memory_mb: 2048,
            cpus: 1.0,
            pids: 256,
            workspace_mb: None,
        }
    }
}

impl Environment {
    /// Memory limit in bytes (swap limit equal to it is the sandbox's business).
    pub fn memory_bytes(&self) -> i64 {
        // memory_mb is validated to be at most MAX_MEMORY_MB, so this cannot overflow.
        (self.memory_mb as i64) * 1024 * 1024
    }

    /// CPU limit in the engine's nano-CPU unit.
    pub fn nano_cpus(&self) -> i64 {
        (self.cpus * 1e9).round() as i64
    }

    /// pids limit as the engine wants it.
    pub fn pids_limit(&self) -> i64 {
        self.pids as i64
    }

    /// Size of each agent-writable tmpfs in bytes.
    pub fn workspace_bytes(&self) -> i64 {
        // Validated to be at most memory_mb (at most MAX_MEMORY_MB): no overflow.
        (self.workspace_mb() as i64) * 1024 * 1024
    }

    /// Size of each agent-writable tmpfs in MiB: as given, or half of `memory_mb`.
    pub fn workspace_mb(&self) -> u64 {
        self.workspace_mb.unwrap_or(self.memory_mb / 2).max(1)
    }
}

/// How the sealed tests are run after the agent is done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TestSpec {
    pub command: String,
    pub timeout_secs: u64,
}

impl Default for TestSpec {
    fn default() -> Self {
        TestSpec {
            command: DEFAULT_TEST_COMMAND.to_string(),
            timeout_secs: 300,
        }
    }
}

/// Episode limits handed to the scaffold and enforced by the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    pub max_steps: u32,
    pub max_seconds: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_steps: 30,
            max_seconds: 1800,
        }
    }
}

impl Template {
    /// The folder copied into the workspace at image build (the only build context).
    pub fn environment_dir(&self) -> PathBuf {
        self.dir.join("environment")
    }

    /// The sealed tests folder.
    pub fn tests_dir(&self) -> PathBuf {
        self.dir.join("tests")
    }

    /// The oracle's script.
    pub fn solution_path(&self) -> PathBuf {
        self.dir.join("solution").join("solve.sh")
    }

    /// Number of instances this template expands into.
    pub fn instance_count(&self) -> usize {
        self.parameters.values().map(Vec::len).product()
    }
}

const MAX_MEMORY_MB: u64 = 1 << 20;
const MAX_CPUS: f64 = 1024.0;
const MAX_PIDS: u64 = 1 << 22;
const MAX_TEST_TIMEOUT_SECS: u64 = 24 * 3600;

/// Loads every template under `root`: each folder holding a `template.yaml` (the layout is
/// `templates/<category>/<id>/`; `root` may also be a single template folder). Hidden folders
/// are skipped and a template folder is not searched further. Sorted by id; duplicate ids and an
/// empty tree are errors.
pub fn load_dir(root: &Path) -> Result<Vec<Template>, TaskError> {
    let meta = fs::metadata(root).map_err(|e| TaskError::io(root, e))?;
    if !meta.is_dir() {
        return Err(TaskError::invalid(
            root,
            None,
            "not a folder of task templates",
        ));
    }
    let mut dirs = Vec::new();
    find_template_dirs(root, &mut dirs)?;
    let mut templates: Vec<Template> = Vec::new();
    for dir in dirs {
        templates.push(load_template(&dir)?);
    }
    templates.sort_by(|a, b| a.id.cmp(&b.id));
    for pair in templates.windows(2) {
        if pair[0].id == pair[1].id {
            return Err(TaskError::DuplicateId {
                id: pair[0].id.clone(),
                first: pair[0].dir.join(TEMPLATE_FILE),
                second: pair[1].dir.join(TEMPLATE_FILE),
            });
        }
    }
    if templates.is_empty() {
        return Err(TaskError::NoTemplates {
            root: root.to_path_buf(),
        });
    }
    Ok(templates)
}

fn find_template_dirs(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), TaskError> {
    if dir.join(TEMPLATE_FILE).is_file() {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    for (name, path) in sorted_entries(dir)? {
        if name.as_bytes().starts_with(b".") {
            continue;
        }
        let meta = fs::symlink_metadata(&path).map_err(|e| TaskError::io(&path, e))?;
        if meta.is_dir() {
            find_template_dirs(&path, out)?;
        }
    }
    Ok(())
}

fn sorted_entries(dir: &Path) -> Result<Vec<(std::ffi::OsString, PathBuf)>, TaskError> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| TaskError::io(dir, e))? {
        let entry = entry.map_err(|e| TaskError::io(dir, e))?;
        entries.push((entry.file_name(), entry.path()));
    }
    entries.sort();
    Ok(entries)
}

/// Loads and validates one template folder (the one holding `template.yaml`).
pub fn load_template(dir: &Path) -> Result<Template, TaskError> {
    let file = dir.join(TEMPLATE_FILE);
    let bytes = fs::read(&file).map_err(|e| TaskError::io(&file, e))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| TaskError::invalid(&file, None, format!("not UTF-8: {e}")))?;
    let mut template: Template =
        serde_yaml::from_str(text).map_err(|e| TaskError::parse(&file, &e))?;
    template.dir = dir.to_path_buf();
    validate(&template, &file, text)?;
    check_layout(&template)?;
    template.source_hash = source_hash(dir, &bytes)?;
    Ok(template)
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// `[a-z_][a-z0-9_]*`
pub(crate) fn is_param_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_lowercase() || b == b'_')
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn validate(t: &Template, file: &Path, text: &str) -> Result<(), TaskError> {
    let err = |path: &[&str], msg: String| TaskError::invalid(file, locate(text, path), msg);
    if !is_slug(&t.id) {
        return Err(err(
            &["id"],
            format!("id `{}` must be lowercase letters, digits and `-`", t.id),
        ));
    }
    if !is_slug(&t.category) {
        return Err(err(
            &["category"],
            format!(
                "category `{}` must be lowercase letters, digits and `-`",
                t.category
            ),
        ));
    }
    if !DIFFICULTIES.contains(&t.difficulty.as_str()) {
        return Err(err(
            &["difficulty"],
            format!(
                "difficulty `{}` must be one of easy, medium, hard",
                t.difficulty
            ),
        ));
    }
    if t.instruction.trim().is_empty() {
        return Err(err(&["instruction"], "instruction is empty".into()));
    }
    let env = &t.environment;
    if env.image.trim().is_empty() {
        return Err(err(
            &["environment", "image"],
            "environment.image is empty".into(),
        ));
    }
    if let Some(i) = env.setup.iter().position(|c| c.trim().is_empty()) {
        return Err(err(
            &["environment", "setup"],
            format!("environment.setup[{i}] is empty"),
        ));
    }
    if env.memory_mb == 0 || env.memory_mb > MAX_MEMORY_MB {
        return Err(err(
            &["environment", "memory_mb"],
            format!("environment.memory_mb must be between 1 and {MAX_MEMORY_MB}"),
        ));
    }
    if !(env.cpus.is_finite() && env.cpus > 0.0 && env.cpus <= MAX_CPUS) {
        return Err(err(
            &["environment", "cpus"],
            format!("environment.cpus must be greater than 0 and at most {MAX_CPUS}"),
        ));
    }
    if env.pids == 0 || env.pids > MAX_PIDS {
        return Err(err(
            &["environment", "pids"],
            format!("environment.pids must be between 1 and {MAX_PIDS}"),
        ));
    }
    if let Some(w) = env.workspace_mb
        && (w == 0 || w > env.memory_mb)
    {
        return Err(err(
            &["environment", "workspace_mb"],
            format!(
                "environment.workspace_mb must be between 1 and environment.memory_mb ({}): the tmpfs counts against the memory limit",
                env.memory_mb
            ),
        ));
    }
    if t.tests.command.trim().is_empty() {
        return Err(err(&["tests", "command"], "tests.command is empty".into()));
    }
    if t.tests.timeout_secs == 0 || t.tests.timeout_secs > MAX_TEST_TIMEOUT_SECS {
        return Err(err(
            &["tests", "timeout_secs"],
            format!("tests.timeout_secs must be between 1 and {MAX_TEST_TIMEOUT_SECS}"),
        ));
    }
    if t.limits.max_steps == 0 {
        return Err(err(
            &["limits", "max_steps"],
            "limits.max_steps must be greater than 0".into(),
        ));
    }
    if t.limits.max_seconds == 0 {
        return Err(err(
            &["limits", "max_seconds"],
            "limits.max_seconds must be greater than 0".into(),
        ));
    }
    let mut instances: usize = 1;
    for (name, values) in &t.parameters {
        let at = &["parameters", name.as_str()];
        if !is_param_name(name) {
            return Err(err(
                at,
                format!("parameter name `{name}` must match [a-z_][a-z0-9_]*"),
            ));
        }
        if values.is_empty() {
            return Err(err(at, format!("parameter `{name}` has no values")));
        }
        let mut seen = std::collections::BTreeSet::new();
        for v in values {
            if !(v.is_string() || v.is_number() || v.is_boolean()) {
                return Err(err(
                    at,
                    format!("parameter `{name}`: value {v} is not a string, number or boolean"),
                ));
            }
            if v.as_str().is_some_and(|s| s.contains(['\n', '\r', '\0'])) {
                return Err(err(
                    at,
                    format!(
                        "parameter `{name}`: value {v} has a line break or NUL (it becomes an environment variable)"
                    ),
                ));
            }
            if !seen.insert(v.to_string()) {
                return Err(err(
                    at,
                    format!("parameter `{name}`: value {v} is repeated"),
                ));
            }
        }
        instances = instances.saturating_mul(values.len());
    }
    if instances > MAX_INSTANCES {
        return Err(err(
            &["parameters"],
            format!("parameters expand into {instances} instances (at most {MAX_INSTANCES})"),
        ));
    }
    for name in placeholders(&t.instruction) {
        if !t.parameters.contains_key(name) {
            let loc = find_placeholder(text, name).or_else(|| locate(text, &["instruction"]));
            return Err(TaskError::invalid(
                file,
                loc,
                format!(
                    "instruction uses unknown placeholder `{{{{ {name} }}}}` (not a parameter)"
                ),
            ));
        }
    }
    if let Some(c) = &t.canary
        && (c.len() < 8 || c.chars().any(char::is_whitespace))
    {
        return Err(err(
            &["canary"],
            "canary must be at least 8 characters without whitespace".into(),
        ));
    }
    Ok(())
}

/// The folder names must agree with the YAML, and the files the template relies on must exist.
fn check_layout(t: &Template) -> Result<(), TaskError> {
    let file = t.dir.join(TEMPLATE_FILE);
    let folder = t.dir.file_name().map(|n| n.to_string_lossy().into_owned());
    if folder.as_deref() != Some(t.id.as_str()) {
        return Err(TaskError::invalid(
            &file,
            None,
            format!(
                "id `{}` differs from its folder name `{}` (layout: templates/<category>/<id>/)",
                t.id,
                folder.unwrap_or_default()
            ),
        ));
    }
    let parent = t
        .dir
        .parent()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned());
    if parent.as_deref() != Some(t.category.as_str()) {
        return Err(TaskError::invalid(
            &file,
            None,
            format!(
                "category `{}` differs from its parent folder name `{}` (layout: templates/<category>/<id>/)",
                t.category,
                parent.unwrap_or_default()
            ),
        ));
    }
    for (path, what) in [
        (
            t.environment_dir(),
            "the environment/ folder (build context)",
        ),
        (t.tests_dir(), "the sealed tests/ folder"),
    ] {
        if !path.is_dir() {
            return Err(TaskError::MissingFile { path, what });
        }
    }
    let solve = t.solution_path();
    if !solve.is_file() {
        return Err(TaskError::MissingFile {
            path: solve,
            what: "the oracle's solution/solve.sh",
        });
    }
    let mut tests = Vec::new();
    collect_files(&t.tests_dir(), Path::new(""), &mut tests)?;
    if tests.is_empty() {
        return Err(TaskError::MissingFile {
            path: t.tests_dir(),
            what: "any sealed test file in tests/",
        });
    }
    Ok(())
}

/// sha256 hex over `template.yaml` and every file under environment/, tests/, solution/
/// (relative path, executable bit, bytes; sorted by path; symlinks by their target).
fn source_hash(dir: &Path, template_yaml: &[u8]) -> Result<String, TaskError> {
    let mut h = Sha256::new();
    h.update(b"synth-template-v1\0");
    feed(&mut h, b"template.yaml", b"f", template_yaml);
    let mut files = Vec::new();
    for sub in ["environment", "solution", "tests"] {
        collect_files(&dir.join(sub), Path::new(sub), &mut files)?;
    }
    files.sort();
    for rel in files {
        let path = dir.join(&rel);
        let meta = fs::symlink_metadata(&path).map_err(|e| TaskError::io(&path, e))?;
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&path).map_err(|e| TaskError::io(&path, e))?;
            feed(
                &mut h,
                rel.as_os_str().as_bytes(),
                b"l",
                target.as_os_str().as_bytes(),
            );
        } else {
            let bytes = fs::read(&path).map_err(|e| TaskError::io(&path, e))?;
            let kind: &[u8] = if meta.permissions().mode() & 0o111 != 0 {
                b"x"
            } else {
                b"f"
            };
            feed(&mut h, rel.as_os_str().as_bytes(), kind, &bytes);
        }
    }
    Ok(hex::encode(h.finalize()))
}

fn feed(h: &mut Sha256, name: &[u8], kind: &[u8], bytes: &[u8]) {
    h.update((name.len() as u64).to_le_bytes());
    h.update(name);
    h.update(kind);
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

/// Relative paths (prefixed by `rel`) of every non-directory entry under `dir`, not following
/// symlinked folders. A missing `dir` contributes nothing.
fn collect_files(dir: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> Result<(), TaskError> {
    if !dir.exists() {
        return Ok(());
    }
    for (name, path) in sorted_entries(dir)? {
        let meta = fs::symlink_metadata(&path).map_err(|e| TaskError::io(&path, e))?;
        if meta.is_dir() {
            collect_files(&path, &rel.join(&name), out)?;
        } else {
            out.push(rel.join(&name));
        }
    }
    Ok(())
}

/// Best-effort (line, column), 1-based, of a key path such as `["limits", "max_steps"]` in
/// block-style YAML text. Only used to make validation messages point somewhere useful.
pub(crate) fn locate(text: &str, path: &[&str]) -> Option<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0usize;
    let mut parent_indent: Option<usize> = None;
    let mut found = None;
    for key in path {
        found = None;
        for (i, line) in lines.iter().enumerate().skip(from) {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let indent = line.len() - trimmed.len();
            match parent_indent {
                Some(p) if indent <= p => break,
                None if indent > 0 => continue,
                _ => {}
            }
            let rest = trimmed.strip_prefix(key).map(str::trim_start);
            if rest.is_some_and(|r| r.starts_with(':')) {
                found = Some((i, indent));
                break;
            }
        }
        let (i, indent) = found?;
        from = i + 1;
        parent_indent = Some(indent);
    }
    found.map(|(i, indent)| (i + 1, indent + 1))
}

/// (line, column), 1-based, of the first `{{ name }}` placeholder in the YAML text.
fn find_placeholder(text: &str, name: &str) -> Option<(usize, usize)> {
    text.lines().enumerate().find_map(|(i, line)| {
        line.match_indices("{{").find_map(|(col, _)| {
            let rest = line[col + 2..].trim_start();
            let after = rest.strip_prefix(name)?;
            let next = after.chars().next();
            if next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                return None;
            }
            Some((i + 1, col + 1))
        })
    })
}
