//! Host-only operations on a sandbox, never reachable from a plugin: a fresh exec with a
//! clean environment (the sealed tests), copying a host folder in, killing every process of
//! a user, and the workspace diff against the image's baseline commit. Nothing here may
//! pass the host's environment (keys) into the container.

use std::path::Path;
use std::time::{Duration, Instant};

use bollard::container::LogOutput;
use futures_util::StreamExt;

use super::commands::check_env_name;
use super::output::CappedSink;
use super::raw::{self, ExecSpec};
use super::{ExecOutput, Sandbox, SandboxError};

/// Wrapper that prints its pid (for the timeout kill) and replaces itself with `env -i`,
/// so the command sees exactly the given environment.
const FRESH_WRAPPER: &str = "echo \"$$\"; exec /usr/bin/env -i \"$@\"";
/// Largest diff returned in full; beyond it head and tail are kept.
const DIFF_CAP: usize = 16 * 1024 * 1024;
const DRAIN_AFTER_KILL: Duration = Duration::from_secs(2);
/// How long clearing every process of a user may take: at the pids limit (a fork bomb) an
/// exec starts only once a slot frees up.
const KILL_ALL_DEADLINE: Duration = Duration::from_secs(30);

/// The diff goes through a temporary index AND a temporary object folder: nothing is written
/// into the agent's repository (its workspace may be a full tmpfs); its own objects are read
/// through the alternate.
const DIFF_SCRIPT: &str = r#"set -e
base=$(cat /etc/synth-baseline 2>/dev/null || git rev-parse HEAD)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git_dir=$(git rev-parse --absolute-git-dir)
if [ -f "$git_dir/index" ]; then cp "$git_dir/index" "$tmp/index"; fi
mkdir "$tmp/objects"
export GIT_INDEX_FILE="$tmp/index" GIT_OBJECT_DIRECTORY="$tmp/objects" GIT_ALTERNATE_OBJECT_DIRECTORIES="$git_dir/objects"
git -c core.fsmonitor=false add -A
git -c core.fsmonitor=false diff --cached --binary --no-color --no-ext-diff "$base""#;

/// A short exec of `argv` as `user` in `/`, no stdin.
fn one_off<'a>(argv: &[&str], user: &'a str) -> ExecSpec<'a> {
    ExecSpec {
        argv: argv.iter().map(|s| s.to_string()).collect(),
        user,
        env: None,
        cwd: Some("/"),
        stdin: false,
    }
}

impl Sandbox {
    /// A fresh `docker exec` (not the shell) of `argv` as `user` in `cwd` with exactly `env`.
    /// Output (stdout and stderr as they arrive) is capped at `max_output` (head and tail);
    /// after `timeout` the process group is killed and `timed_out` is set.
    pub async fn exec_fresh(
        &self,
        argv: &[&str],
        user: &str,
        env: &[(String, String)],
        cwd: &str,
        timeout: Duration,
        max_output: usize,
    ) -> Result<ExecOutput, SandboxError> {
        let Some(program) = argv.first() else {
            return Err(SandboxError::InvalidArgument("empty argv".into()));
        };
        if program.contains('=') {
            return Err(SandboxError::InvalidArgument(format!(
                "program name must not contain '=': {program:?}"
            )));
        }
        if argv.iter().any(|a| a.contains('\0')) {
            return Err(SandboxError::InvalidArgument(
                "argv contains a NUL byte".into(),
            ));
        }
        let mut pairs = Vec::with_capacity(env.len());
        for (k, v) in env {
            check_env_name(k)?;
            if v.contains('\0') {
                return Err(SandboxError::InvalidArgument(format!(
                    "value of {k} contains a NUL byte"
                )));
            }
            pairs.push(format!("{k}={v}"));
        }
        let mut full: Vec<String> = vec![
            "/bin/sh".into(),
            "-c".into(),
            FRESH_WRAPPER.into(),
            "synth-exec".into(),
        ];
        full.extend(pairs.iter().cloned());
        full.extend(argv.iter().map(|s| s.to_string()));
        let started = Instant::now();
        let attached = raw::start(
            &self.docker,
            &self.id,
            &ExecSpec {
                argv: full,
                user,
                env: Some(pairs),
                cwd: Some(cwd),
                stdin: false,
            },
        )
        .await?;
        let (exec_id, mut output, _input) = (attached.exec_id, attached.output, attached.input);
        let mut sink = CappedSink::new(max_output);
        let mut pid_line: Option<Vec<u8>> = Some(Vec::new());
        let mut pid: Option<u32> = None;
        let deadline = tokio::time::Instant::now() + timeout;
        let mut timed_out = false;
        loop {
            let item = if timed_out {
                match tokio::time::timeout(DRAIN_AFTER_KILL, output.next()).await {
                    Ok(item) => item,
                    Err(_) => break,
                }
            } else {
                match tokio::time::timeout_at(deadline, output.next()).await {
                    Ok(item) => item,
                    Err(_) => {
                        timed_out = true;
                        self.kill_fresh(pid, user).await;
                        continue;
                    }
                }
            };
            match item {
                None => break,
                Some(Ok(LogOutput::StdOut { message }))
                | Some(Ok(LogOutput::Console { message })) => {
                    let mut data: &[u8] = &message;
                    // The wrapper's first stdout line is its pid.
                    if let Some(line) = pid_line.as_mut() {
                        match data.iter().position(|&b| b == b'\n') {
                            Some(nl) => {
                                line.extend_from_slice(&data[..nl]);
                                pid = std::str::from_utf8(line)
                                    .ok()
                                    .and_then(|s| s.trim().parse().ok());
                                pid_line = None;
                                data = &data[nl + 1..];
                            }
                            None => {
                                line.extend_from_slice(data);
                                data = &[];
                            }
                        }
                    }
                    sink.push(data);
                }
                Some(Ok(LogOutput::StdErr { message })) => sink.push(&message),
                Some(Ok(LogOutput::StdIn { .. })) => {}
                Some(Err(e)) => {
                    return Err(SandboxError::docker(
                        format!("reading output of {program} in container {}", self.name),
                        e,
                    ));
                }
            }
        }
        let (output, truncated) = sink.take();
        let exit_code = if timed_out {
            None
        } else {
            raw::exit_code(&self.docker, &exec_id)
                .await?
                .map(|c| c as i32)
        };
        Ok(ExecOutput {
            exit_code,
            output,
            truncated,
            timed_out,
            still_running: false,
            oom_killed: false,
            duration: started.elapsed(),
        })
    }

    async fn kill_fresh(&self, pid: Option<u32>, user: &str) {
        let Some(pid) = pid else {
            tracing::warn!(container = %self.id, "timed-out exec has no known pid; cannot kill it");
            return;
        };
        // dash's builtin kill: the process group, then the process itself.
        let pid = pid.to_string();
        let argv = [
            "/bin/sh",
            "-c",
            "kill -s KILL -- \"-$1\" \"$1\"",
            "synth-kill",
            &pid,
        ];
        if let Err(e) = raw::run_checked(&self.docker, &self.id, &argv, user).await {
            tracing::debug!(container = %self.id, error = %e, "killing a timed-out exec");
        }
    }

    /// Copies a host folder into the container at `dest` (created), owned by root and
    /// readable by all, through tar on the exec's stdin.
    pub async fn copy_dir_in(&self, host_dir: &Path, dest: &str) -> Result<(), SandboxError> {
        if !dest.starts_with('/') || dest.contains('\0') {
            return Err(SandboxError::InvalidArgument(format!(
                "destination must be absolute: {dest:?}"
            )));
        }
        let dir = host_dir.to_path_buf();
        let archive = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
            let mut builder = tar::Builder::new(Vec::new());
            builder.mode(tar::HeaderMode::Deterministic);
            builder.follow_symlinks(true);
            builder.append_dir_all(".", &dir)?;
            builder.into_inner()
        })
        .await
        .map_err(|e| SandboxError::Infrastructure(format!("tar task failed: {e}")))?
        .map_err(|e| {
            SandboxError::Infrastructure(format!("reading {}: {e}", host_dir.display()))
        })?;
        let script = "mkdir -p -- \"$1\" && tar -x -f - -C \"$1\" --no-same-owner && chmod -R u+rwX,go+rX,go-w -- \"$1\"";
        let out = raw::run(
            &self.docker,
            &self.id,
            ExecSpec {
                argv: vec![
                    "/bin/sh".into(),
                    "-c".into(),
                    script.into(),
                    "synth-copy".into(),
                    dest.into(),
                ],
                user: "0:0",
                env: None,
                cwd: Some("/"),
                stdin: true,
            },
            Some(&archive),
            64 * 1024,
            Duration::from_secs(300),
        )
        .await?;
        if out.exit_code != Some(0) {
            return Err(SandboxError::Infrastructure(format!(
                "copying {} to {dest} in container {} failed (exit {:?}): {}",
                host_dir.display(),
                self.name,
                out.exit_code,
                out.stderr_text()
            )));
        }
        Ok(())
    }

    /// SIGKILLs every process of `user` (the shell included; the next command gets a fresh
    /// shell) and checks that none is left.
    pub async fn kill_user_processes(&self, user: &str) -> Result<(), SandboxError> {
        if user.is_empty() || user == "root" || user.starts_with("0:") || user == "0" {
            return Err(SandboxError::InvalidArgument(
                "refusing to kill root's processes (init and the keep-alive run as root)".into(),
            ));
        }
        self.kill_all_of(user).await?;
        if let Ok(mut slot) = self.shell.try_lock() {
            slot.running = None;
            slot.shell = None;
        }
        Ok(())
    }

    /// SIGKILLs every process of `user` until none is left, retrying execs that cannot start
    /// (at the pids limit) until [`KILL_ALL_DEADLINE`]. The signal is sent by the user itself
    /// (root has no CAP_KILL here): `kill -9 -1` reaches every process of its uid in this pid
    /// namespace but the sender, in one pass no fork slips through.
    pub(crate) async fn kill_all_of(&self, user: &str) -> Result<(), SandboxError> {
        let deadline = Instant::now() + KILL_ALL_DEADLINE;
        let mut pause = Duration::from_millis(20);
        loop {
            let kill = ["/bin/sh", "-c", "kill -9 -1 2>/dev/null; exit 0"];
            let why = match raw::run(
                &self.docker,
                &self.id,
                one_off(&kill, user),
                None,
                4096,
                Duration::from_secs(30),
            )
            .await
            {
                Err(e) => format!("kill: {e}"),
                Ok(_) => {
                    let pgrep = ["pgrep", "-u", user];
                    match raw::run(
                        &self.docker,
                        &self.id,
                        one_off(&pgrep, "0:0"),
                        None,
                        64 * 1024,
                        Duration::from_secs(30),
                    )
                    .await
                    {
                        // pgrep: 1 = nothing matched.
                        Ok(left) if left.exit_code == Some(1) => return Ok(()),
                        Ok(left) => format!(
                            "left (exit {:?}): {}",
                            left.exit_code,
                            super::one_line(&String::from_utf8_lossy(&left.stdout))
                        ),
                        Err(e) => format!("pgrep: {e}"),
                    }
                }
            };
            if Instant::now() >= deadline {
                return Err(SandboxError::Infrastructure(format!(
                    "processes of {user} survive SIGKILL in container {} for {KILL_ALL_DEADLINE:?}: {why}",
                    self.name
                )));
            }
            tracing::debug!(container = %self.id, %why, "processes left; killing again");
            // Back off: the exec may have found no free pid slot.
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(500));
        }
    }

    /// `git diff` of the workspace against the image's baseline commit, untracked files
    /// included (through a temporary index: the agent's index is left alone).
    pub async fn workspace_diff(&self) -> Result<String, SandboxError> {
        let out = raw::run(
            &self.docker,
            &self.id,
            ExecSpec {
                argv: vec!["/bin/sh".into(), "-c".into(), DIFF_SCRIPT.into()],
                user: &self.user,
                env: None,
                cwd: Some(&self.workspace),
                stdin: false,
            },
            None,
            DIFF_CAP + 1,
            Duration::from_secs(300),
        )
        .await?;
        if out.exit_code != Some(0) {
            return Err(SandboxError::Infrastructure(format!(
                "git diff in {} of container {} failed (exit {:?}): {}",
                self.workspace,
                self.name,
                out.exit_code,
                out.stderr_text()
            )));
        }
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.stdout_overflow || out.stdout.len() > DIFF_CAP {
            text.truncate(text.floor_char_boundary(DIFF_CAP));
            text.push_str("\n[... diff cut at 16 MiB ...]\n");
        }
        Ok(text)
    }
}
