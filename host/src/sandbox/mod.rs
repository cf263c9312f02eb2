//! sandbox: the Docker side of an episode, through bollard — task images (built from a
//! generated Dockerfile and a tar of the template's environment folder only), containers with
//! hard limits, sized tmpfs folders and owner labels, the persistent shell the agent's
//! commands run in (with OOM kills and the pids limit watched per command), file transfer
//! through exec + tar, host-only operations for verification, and cleanup of containers whose
//! owning process is gone.
//!
//! It must never pull from a registry (images are built `FROM` a local base image), never put
//! a secret into an image or a container, and never remove a container that belongs to another
//! live synth process.

mod cgroup;
mod commands;
mod container;
mod engine;
mod files;
mod gc;
mod host_ops;
mod image;
mod output;
mod raw;
mod shell;
mod workspace;

#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::time::Duration;

pub use container::Sandbox;
pub use engine::Engine;
pub use image::{BASELINE_FILE, builds_of};
pub use workspace::STASH_DIR;

/// The user the agent's commands run as, created in every task image (uid 1000 when free).
pub const AGENT_USER: &str = "agent";
/// Hard timeout of a shell command when the caller gives none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// Hard timeouts above this are lowered to it.
pub const TIMEOUT_CEILING: Duration = Duration::from_secs(30 * 60);
/// Output caps above this are lowered to it (shell commands).
pub const OUTPUT_CEILING: usize = 1024 * 1024;
/// Output cap of a shell command when the caller gives none.
pub const DEFAULT_MAX_OUTPUT: usize = 64 * 1024;
/// Largest file `read_file` returns.
pub const READ_FILE_LIMIT: u64 = 64 * 1024 * 1024;
/// Largest file `write_file` accepts.
pub const WRITE_FILE_LIMIT: usize = 64 * 1024 * 1024;

/// Everything an image build depends on. The tag is a hash over all of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSpec {
    /// Local image to build `FROM` (never pulled), e.g. `synth-base:bookworm`.
    pub base_image: String,
    /// The template's environment folder: the whole build context, copied into the workspace.
    /// A folder that does not exist counts as empty.
    pub context_dir: PathBuf,
    /// Commands run as root in the workspace with `bash -lc`, in order.
    pub setup: Vec<String>,
    /// Image environment variables.
    pub env: Vec<(String, String)>,
    /// Absolute path of the workspace, e.g. `/workspace`.
    pub workspace: String,
}

/// A built (or reused) task image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// `synth-task:<16 hex>`.
    pub tag: String,
    /// The engine's image id (`sha256:...`).
    pub id: String,
}

/// How to start one episode's container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSpec {
    pub image: String,
    pub run_id: String,
    pub episode_key: String,
    /// Network access (bridge); `false` means network mode `none`.
    pub network: bool,
    /// Memory limit in bytes; swap is limited to the same figure (no swap). 0: no limit.
    pub memory_bytes: i64,
    /// CPU limit in units of 1e-9 CPUs. 0: no limit.
    pub nano_cpus: i64,
    /// Maximum number of processes. 0: no limit.
    pub pids_limit: i64,
    /// Absolute workspace path; the shell starts there.
    pub workspace: String,
    /// Size in bytes of each tmpfs the agent can write: the workspace (copied in from the
    /// image), the agent's home, /tmp, /var/tmp and /run/lock. tmpfs pages count against
    /// `memory_bytes`. 0: no tmpfs; those folders stay on the container's disk, unbounded.
    pub workspace_bytes: i64,
    /// The unprivileged user the shell and file operations run as (`agent`).
    pub user: String,
}

/// Options of one shell command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOptions {
    /// Hard timeout ([`DEFAULT_TIMEOUT`] when none; lowered to [`TIMEOUT_CEILING`]).
    pub timeout: Option<Duration>,
    /// Return with `still_running` when the command prints nothing new for this long.
    pub soft_timeout: Option<Duration>,
    /// Directory for this command only (the shell's own directory is unchanged).
    pub cwd: Option<String>,
    /// Variables for this command only.
    pub env: Vec<(String, String)>,
    /// Output cap ([`DEFAULT_MAX_OUTPUT`] when none; lowered to [`OUTPUT_CEILING`]).
    pub max_output_bytes: Option<usize>,
}

/// The result of a command (or of one poll of a running command).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOutput {
    /// None while the command runs, or when it was interrupted, timed out or killed.
    pub exit_code: Option<i32>,
    /// Standard output and standard error as the command interleaved them.
    pub output: Vec<u8>,
    /// Output was cut: `output` holds the head, a marker line and the tail.
    pub truncated: bool,
    pub timed_out: bool,
    pub still_running: bool,
    /// The kernel killed a process for running out of memory while the command ran (the
    /// container's OOM counter went up); a note line in `output` says so too.
    pub oom_killed: bool,
    /// Since the command started.
    pub duration: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub kind: FileKind,
    pub size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    File,
    Directory,
    Symlink,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStat {
    pub kind: FileKind,
    pub size: u64,
    /// Permission bits (`mode & 0o7777`).
    pub mode: u32,
    /// Modification time, seconds since the Unix epoch.
    pub modified: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    #[error("is a directory: {0}")]
    IsADirectory(String),
    #[error("not a directory: {0}")]
    NotADirectory(String),
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    #[error("too large: {0}")]
    TooLarge(String),
    #[error("no command is running")]
    NoRunningCommand,
    #[error("another command is still running: poll, interrupt or send input first")]
    Busy,
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("sandbox infrastructure: {0}")]
    Infrastructure(String),
}

impl SandboxError {
    /// An engine error with what was being done when it happened.
    pub(crate) fn docker(context: impl std::fmt::Display, err: bollard::errors::Error) -> Self {
        SandboxError::Infrastructure(format!("{context}: {}", one_line(&err.to_string())))
    }
}

/// Joins lines so an error stays one log line.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// True for an engine "no such container/image" answer.
pub(crate) fn is_not_found(err: &bollard::errors::Error) -> bool {
    matches!(
        err,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}
