//! One-off `docker exec` processes (not the persistent shell): start attached, optionally
//! feed stdin and close it, collect stdout and stderr with bounds, read the exit code. Used by
//! file transfer, signals and the host-only operations. It never keeps unbounded output.

use std::pin::Pin;
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use futures_util::{Stream, StreamExt};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::SandboxError;

pub(crate) type OutputStream =
    Pin<Box<dyn Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>>;
pub(crate) type InputSink = Pin<Box<dyn AsyncWrite + Send>>;

/// An attached exec that has been started.
pub(crate) struct Attached {
    pub exec_id: String,
    pub output: OutputStream,
    pub input: InputSink,
}

/// What to run.
pub(crate) struct ExecSpec<'a> {
    pub argv: Vec<String>,
    pub user: &'a str,
    /// `KEY=value` entries; None: the container's environment.
    pub env: Option<Vec<String>>,
    pub cwd: Option<&'a str>,
    pub stdin: bool,
}

/// Creates and starts an attached exec.
pub(crate) async fn start(
    docker: &Docker,
    container: &str,
    spec: &ExecSpec<'_>,
) -> Result<Attached, SandboxError> {
    let what = || format!("exec {:?} in container {container}", spec.argv.first());
    let created = docker
        .create_exec(
            container,
            CreateExecOptions::<String> {
                attach_stdin: Some(spec.stdin),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                tty: Some(false),
                env: spec.env.clone(),
                cmd: Some(spec.argv.clone()),
                user: Some(spec.user.to_string()),
                working_dir: spec.cwd.map(str::to_string),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| SandboxError::docker(what(), e))?;
    let started = docker
        .start_exec(
            &created.id,
            Some(StartExecOptions {
                detach: false,
                tty: false,
                output_capacity: Some(64 * 1024),
            }),
        )
        .await
        .map_err(|e| SandboxError::docker(what(), e))?;
    match started {
        StartExecResults::Attached { output, input } => Ok(Attached {
            exec_id: created.id,
            output,
            input,
        }),
        StartExecResults::Detached => Err(SandboxError::Infrastructure(format!(
            "{}: engine started it detached",
            what()
        ))),
    }
}

/// The exit code of a finished exec (waits briefly for the engine to record it).
pub(crate) async fn exit_code(docker: &Docker, exec_id: &str) -> Result<Option<i64>, SandboxError> {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let info = docker
            .inspect_exec(exec_id)
            .await
            .map_err(|e| SandboxError::docker(format!("inspect exec {exec_id}"), e))?;
        if info.running != Some(true) || Instant::now() >= deadline {
            return Ok(if info.running == Some(true) {
                None
            } else {
                info.exit_code
            });
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Result of [`run`].
#[derive(Debug, Default)]
pub(crate) struct RawOutput {
    pub exit_code: Option<i64>,
    pub stdout: Vec<u8>,
    /// More stdout came than the limit; `stdout` holds the first `limit` bytes.
    pub stdout_overflow: bool,
    pub stderr: Vec<u8>,
}

impl RawOutput {
    pub fn stderr_text(&self) -> String {
        super::one_line(&String::from_utf8_lossy(&self.stderr))
    }
}

const STDERR_LIMIT: usize = 64 * 1024;

/// Runs a short exec to completion: writes `stdin` (then closes it), keeps up to
/// `stdout_limit` bytes of stdout, and fails with Infrastructure after `timeout`.
pub(crate) async fn run(
    docker: &Docker,
    container: &str,
    spec: ExecSpec<'_>,
    stdin: Option<&[u8]>,
    stdout_limit: usize,
    timeout: Duration,
) -> Result<RawOutput, SandboxError> {
    let label = spec.argv.first().cloned().unwrap_or_default();
    let attached = start(docker, container, &spec).await?;
    let Attached {
        exec_id,
        mut output,
        mut input,
    } = attached;
    // The input half stays open until the output ends unless there is stdin to send: then
    // it is closed after the data (the command sees end of file).
    let write = async move {
        if let Some(data) = stdin {
            // A command that exits early closes its stdin: the rest of the write fails, and
            // the exit code tells why.
            let _ = input.write_all(data).await;
            let _ = input.shutdown().await;
        }
        input
    };
    let read = async {
        let mut out = RawOutput::default();
        while let Some(item) = output.next().await {
            match item {
                Ok(LogOutput::StdOut { message }) | Ok(LogOutput::Console { message }) => {
                    let room = stdout_limit.saturating_sub(out.stdout.len());
                    if message.len() > room {
                        out.stdout_overflow = true;
                    }
                    out.stdout
                        .extend_from_slice(&message[..room.min(message.len())]);
                }
                Ok(LogOutput::StdErr { message }) => {
                    let room = STDERR_LIMIT.saturating_sub(out.stderr.len());
                    out.stderr
                        .extend_from_slice(&message[..room.min(message.len())]);
                }
                Ok(LogOutput::StdIn { .. }) => {}
                Err(e) => {
                    return Err(SandboxError::docker(
                        format!("reading output of {label} in container {container}"),
                        e,
                    ));
                }
            }
        }
        Ok(out)
    };
    let both = async {
        let (_input, out) = tokio::join!(write, read);
        out
    };
    let mut out = tokio::time::timeout(timeout, both).await.map_err(|_| {
        SandboxError::Infrastructure(format!(
            "{label} in container {container} did not finish within {timeout:?}"
        ))
    })??;
    out.exit_code = exit_code(docker, &exec_id).await?;
    Ok(out)
}

/// Runs `argv` as `user` with no stdin and small output; returns stdout, or an
/// Infrastructure error naming stderr when it exits non-zero.
pub(crate) async fn run_checked(
    docker: &Docker,
    container: &str,
    argv: &[&str],
    user: &str,
) -> Result<Vec<u8>, SandboxError> {
    let out = run(
        docker,
        container,
        ExecSpec {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            user,
            env: None,
            cwd: None,
            stdin: false,
        },
        None,
        1024 * 1024,
        Duration::from_secs(60),
    )
    .await?;
    if out.exit_code != Some(0) {
        return Err(SandboxError::Infrastructure(format!(
            "{} in container {container} failed (exit {:?}): {}",
            argv.first().copied().unwrap_or_default(),
            out.exit_code,
            out.stderr_text()
        )));
    }
    Ok(out.stdout)
}
