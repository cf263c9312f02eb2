//! The agent's commands on the persistent shell: `exec` with hard and soft timeouts, `poll`
//! and `interrupt` of a command still running, the recovery ladder (SIGINT to the group,
//! SIGKILL of what is left except the shell, a fresh shell), and the container's cgroup
//! counters around each command: an OOM kill is reported for the command it happened in, and
//! a command (or background job) that reached the pids limit gets every process of the agent
//! killed and a fresh shell. It must never report a command finished while it runs, and never
//! let a broken shell end the episode when a fresh one can be started.

use std::time::{Duration, Instant};

use super::cgroup::Snapshot;
use super::container::{Sandbox, ShellSlot};
use base64::Engine as _;

use super::shell::{Shell, Wait, frame, token_for};
use super::{
    DEFAULT_MAX_OUTPUT, DEFAULT_TIMEOUT, ExecOptions, ExecOutput, OUTPUT_CEILING, SandboxError,
    TIMEOUT_CEILING,
};

/// Between SIGINTs while waiting for an interrupted command to end.
const INT_ROUND: Duration = Duration::from_millis(700);
/// SIGINT rounds before SIGKILL (each also unwinds one more function level).
const INT_ROUNDS: u32 = 3;
/// Wait for the marker after the SIGKILL of everything but the shell.
const KILL_GRACE: Duration = Duration::from_millis(1500);
/// Smallest output cap honoured (room for the omission marker).
const MIN_OUTPUT: usize = 256;

/// Appended to the output when the shell had to be replaced.
/// Largest input one `send_input` call takes (a pipe holds 64 KiB).
const MAX_INPUT: usize = 48 * 1024;
/// How long writing input may take before it counts as failed.
const INPUT_TIMEOUT: Duration = Duration::from_secs(5);
/// Writes base64 `$1`, decoded, to the FIFO `$2`.
const WRITE_INPUT: &str = "printf '%s' \"$1\" | base64 -d > \"$2\"";
const RESTART_NOTE: &str = "\n[synth: the shell was restarted; working directory, variables and background jobs were reset]\n";
/// Appended when the container's OOM counter went up while the command ran.
pub(crate) const OOM_NOTE: &str = "\n[synth: out of memory: the kernel killed a process while this command ran (the container's memory limit was reached)]\n";
/// Appended when the command reached the container's pids limit.
pub(crate) const PIDS_NOTE: &str = "\n[synth: the container's process limit was reached: every process of the agent was killed and the shell was restarted; working directory, variables and background jobs were reset]\n";
/// Opens a command's output when background processes reached the pids limit before it.
const PIDS_BEFORE_NOTE: &str = "[synth: the container's process limit was reached since the last command: every process of the agent was killed and the shell was restarted; working directory, variables and background jobs were reset]\n";

/// A command that `exec` returned from while it still runs.
pub(crate) struct Running {
    started: Instant,
    deadline: Instant,
    /// The cgroup counters when it started.
    before: Snapshot,
    /// The FIFO it reads its standard input from (commands with a soft timeout).
    stdin: Option<String>,
}

/// How a command ended, before the counters are looked at.
struct Ended {
    out: ExecOutput,
    /// The shell died or was abandoned: a fresh one is needed.
    shell_gone: bool,
}

fn check_text(what: &str, s: &str) -> Result<(), SandboxError> {
    if s.contains('\0') {
        return Err(SandboxError::InvalidArgument(format!(
            "{what} contains a NUL byte"
        )));
    }
    Ok(())
}

pub(crate) fn check_env_name(name: &str) -> Result<(), SandboxError> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(SandboxError::InvalidArgument(format!(
            "not a valid environment variable name: {name:?}"
        )))
    }
}

impl Sandbox {
    /// Runs `command` in the persistent shell as the agent. cwd and exported variables persist
    /// between commands; `opts.cwd`/`opts.env` apply to this command only.
    pub async fn exec(
        &self,
        command: &str,
        opts: &ExecOptions,
    ) -> Result<ExecOutput, SandboxError> {
        check_text("command", command)?;
        if let Some(cwd) = &opts.cwd {
            check_text("cwd", cwd)?;
        }
        for (k, v) in &opts.env {
            check_env_name(k)?;
            check_text("environment value", v)?;
        }
        let timeout = opts.timeout.unwrap_or(DEFAULT_TIMEOUT).min(TIMEOUT_CEILING);
        let cap = opts
            .max_output_bytes
            .unwrap_or(DEFAULT_MAX_OUTPUT)
            .clamp(MIN_OUTPUT, OUTPUT_CEILING);
        let mut slot = self.shell.try_lock().map_err(|_| SandboxError::Busy)?;
        if slot.running.is_some() {
            return Err(SandboxError::Busy);
        }
        let mut prefix = Vec::new();
        // Background jobs may have reached the pids limit since the last command (checked
        // where a reading is free; otherwise the last command's end reading is the baseline).
        if self.counters.is_cheap() {
            let now = self.counters.read(&self.docker, &self.id).await;
            if now.pids_limit_hit_since(&slot.last) {
                self.reset_processes(&mut slot).await?;
                prefix.extend_from_slice(PIDS_BEFORE_NOTE.as_bytes());
            } else {
                slot.last = now;
            }
        }
        if slot.shell.as_ref().is_none_or(Shell::is_dead) {
            self.restart_shell(&mut slot).await?;
            prefix.extend_from_slice(RESTART_NOTE.trim_start().as_bytes());
        }
        let token = token_for(command);
        // A command that may outlive its call (a soft timeout) can be sent input.
        let stdin = opts.soft_timeout.map(|_| {
            format!(
                "/tmp/.synth-stdin{}",
                token.trim_matches('_').replace("SYNTH", "")
            )
        });
        let line = frame(
            command,
            opts.cwd.as_deref(),
            &opts.env,
            &token,
            stdin.as_deref(),
        );
        let started = Instant::now();
        let shell = self.live_shell(&mut slot)?;
        shell.begin(&token, cap);
        if let Err(e) = shell.write(line.as_bytes()).await {
            // The shell is gone before the command reached it: a fresh one runs it.
            tracing::debug!(container = %self.id, error = %e, "shell unwritable; restarting");
            self.restart_shell(&mut slot).await?;
            prefix.extend_from_slice(RESTART_NOTE.trim_start().as_bytes());
            let shell = self.live_shell(&mut slot)?;
            shell.begin(&token, cap);
            shell.write(line.as_bytes()).await?;
        }
        slot.running = Some(Running {
            started,
            deadline: started + timeout,
            before: slot.last,
            stdin,
        });
        let mut out = self.drive(&mut slot, opts.soft_timeout, None).await?;
        if !prefix.is_empty() {
            prefix.extend_from_slice(&out.output);
            out.output = prefix;
        }
        Ok(out)
    }

    /// Waits up to `wait` for the running command; returns its output since the last return
    /// and, once it ended, its exit code.
    pub async fn poll(&self, wait: Duration) -> Result<ExecOutput, SandboxError> {
        let mut slot = self.shell.lock().await;
        if slot.running.is_none() {
            return Err(SandboxError::NoRunningCommand);
        }
        let until = Instant::now() + wait;
        self.drive(&mut slot, None, Some(until)).await
    }

    /// Writes `input` to the running command's standard input (the FIFO of a command run
    /// with a soft timeout), then waits up to `wait` like [`Sandbox::poll`]. The bytes go in
    /// through a fresh exec as the agent; a command that does not read them leaves them in
    /// the pipe (a write the pipe cannot take within a few seconds fails).
    pub async fn send_input(
        &self,
        input: &[u8],
        wait: Duration,
    ) -> Result<ExecOutput, SandboxError> {
        let mut slot = self.shell.lock().await;
        let Some(running) = slot.running.as_ref() else {
            return Err(SandboxError::NoRunningCommand);
        };
        let Some(fifo) = running.stdin.clone() else {
            return Err(SandboxError::Unsupported(
                "the running command reads no input: only a command run with a soft timeout \
                 can be sent input"
                    .into(),
            ));
        };
        if input.len() > MAX_INPUT {
            return Err(SandboxError::TooLarge(format!(
                "input of {} bytes; at most {MAX_INPUT} per call",
                input.len()
            )));
        }
        let encoded = base64::engine::general_purpose::STANDARD.encode(input);
        let wrote = self
            .exec_fresh(
                &["/bin/sh", "-c", WRITE_INPUT, "sh", &encoded, &fifo],
                &self.user,
                &[],
                "/",
                INPUT_TIMEOUT,
                4096,
            )
            .await?;
        if wrote.exit_code != Some(0) {
            return Err(SandboxError::Infrastructure(format!(
                "container {}: writing input to the running command failed: {}",
                self.name,
                String::from_utf8_lossy(&wrote.output).trim()
            )));
        }
        let until = Instant::now() + wait;
        self.drive(&mut slot, None, Some(until)).await
    }

    /// Interrupts the running command (SIGINT, then SIGKILL) and returns its last output.
    pub async fn interrupt(&self) -> Result<ExecOutput, SandboxError> {
        let mut slot = self.shell.lock().await;
        let Some(running) = slot.running.as_ref() else {
            return Err(SandboxError::NoRunningCommand);
        };
        let (started, before) = (running.started, running.before);
        let ended = self.stop_running(&mut slot, false).await?;
        self.settle(&mut slot, started, before, ended).await
    }

    fn live_shell<'a>(&self, slot: &'a mut ShellSlot) -> Result<&'a mut Shell, SandboxError> {
        slot.shell.as_mut().ok_or_else(|| {
            SandboxError::Infrastructure(format!("container {} has no shell", self.name))
        })
    }

    /// Replaces the shell with a fresh one (killing what is left of the old one).
    pub(crate) async fn restart_shell(&self, slot: &mut ShellSlot) -> Result<(), SandboxError> {
        slot.running = None;
        if let Some(old) = slot.shell.take() {
            old.kill_tree(&self.docker, &self.id, &self.user, false)
                .await;
        }
        let fresh = Shell::start(&self.docker, &self.id, &self.user, &self.workspace).await?;
        slot.shell = Some(fresh);
        Ok(())
    }

    /// After the pids limit was reached: SIGKILLs every process of the agent (the shell
    /// too, by uid, not only its process group) and starts a fresh shell.
    pub(crate) async fn reset_processes(&self, slot: &mut ShellSlot) -> Result<(), SandboxError> {
        slot.running = None;
        // Dropping the old shell ends its reader; its process dies with the rest.
        slot.shell = None;
        self.kill_all_of(&self.user).await?;
        let fresh = Shell::start(&self.docker, &self.id, &self.user, &self.workspace).await?;
        slot.shell = Some(fresh);
        // Forks refused while the processes were dying belong to no command.
        slot.last = self.counters.read(&self.docker, &self.id).await;
        Ok(())
    }

    /// Waits for the running command until it ends, goes quiet for `quiet`, `poll_until`
    /// passes, or its deadline passes (then it is stopped as timed out).
    async fn drive(
        &self,
        slot: &mut ShellSlot,
        quiet: Option<Duration>,
        poll_until: Option<Instant>,
    ) -> Result<ExecOutput, SandboxError> {
        let Some(running) = slot.running.as_ref() else {
            return Err(SandboxError::NoRunningCommand);
        };
        let (started, deadline, before) = (running.started, running.deadline, running.before);
        let until = poll_until.map_or(deadline, |p| p.min(deadline));
        let shell = self.live_shell(slot)?;
        let ended = match shell.wait(until, quiet).await {
            Wait::Done(code) => {
                let (output, truncated) = shell.take_output();
                slot.running = None;
                Ended {
                    out: ExecOutput {
                        exit_code: Some(code as i32),
                        output,
                        truncated,
                        ..Default::default()
                    },
                    shell_gone: false,
                }
            }
            Wait::Dead => self.after_death(slot, false).await?,
            Wait::Quiet => return Ok(still_running(shell, started)),
            Wait::Elapsed if Instant::now() < deadline => return Ok(still_running(shell, started)),
            Wait::Elapsed => self.stop_running(slot, true).await?,
        };
        self.settle(slot, started, before, ended).await
    }

    /// The recovery ladder for a running command: SIGINT rounds, SIGKILL of everything but
    /// the shell; a shell that still does not answer is given up.
    async fn stop_running(
        &self,
        slot: &mut ShellSlot,
        timed_out: bool,
    ) -> Result<Ended, SandboxError> {
        let shell = self.live_shell(slot)?;
        let mut outcome = Wait::Elapsed;
        for _ in 0..INT_ROUNDS {
            shell
                .signal_group(&self.docker, &self.id, &self.user, "INT")
                .await;
            outcome = shell.wait(Instant::now() + INT_ROUND, None).await;
            if outcome != Wait::Elapsed {
                break;
            }
        }
        if outcome == Wait::Elapsed {
            shell
                .kill_tree(&self.docker, &self.id, &self.user, true)
                .await;
            outcome = shell.wait(Instant::now() + KILL_GRACE, None).await;
        }
        match outcome {
            Wait::Done(_) => {
                let (output, truncated) = shell.take_output();
                slot.running = None;
                Ok(Ended {
                    out: ExecOutput {
                        // Interrupted: no exit code of its own.
                        exit_code: None,
                        output,
                        truncated,
                        timed_out,
                        ..Default::default()
                    },
                    shell_gone: false,
                })
            }
            _ => self.after_death(slot, timed_out).await,
        }
    }

    /// The shell died (or is wedged): collect what it printed; [`Self::settle`] replaces it.
    async fn after_death(
        &self,
        slot: &mut ShellSlot,
        timed_out: bool,
    ) -> Result<Ended, SandboxError> {
        let shell = self.live_shell(slot)?;
        let (output, truncated) = shell.take_output();
        // A command that ran `exit N` ended the shell with N; a signal (>128) is no exit code.
        let exit_code = if timed_out || !shell.is_dead() {
            None
        } else {
            super::raw::exit_code(&self.docker, &shell.exec_id)
                .await
                .ok()
                .flatten()
                .filter(|c| (0..128).contains(c))
                .map(|c| c as i32)
        };
        tracing::debug!(container = %self.id, reason = ?shell.eof_reason(), "the shell is gone");
        slot.running = None;
        Ok(Ended {
            out: ExecOutput {
                exit_code,
                output,
                truncated,
                timed_out,
                ..Default::default()
            },
            shell_gone: true,
        })
    }

    /// Ends a command: reads the cgroup counters against their value at its start, reports
    /// an OOM kill, clears every process of the agent if the pids limit was reached, and
    /// replaces a shell that is gone.
    async fn settle(
        &self,
        slot: &mut ShellSlot,
        started: Instant,
        before: Snapshot,
        ended: Ended,
    ) -> Result<ExecOutput, SandboxError> {
        let Ended {
            mut out,
            shell_gone,
        } = ended;
        let end = self.counters.read(&self.docker, &self.id).await;
        slot.last = end;
        if end.pids_limit_hit_since(&before) {
            // A fresh shell could not even start while the limit holds: clear by uid first.
            tracing::info!(container = %self.id, "pids limit reached; killing every process of the agent");
            self.reset_processes(slot).await?;
            out.output.extend_from_slice(PIDS_NOTE.as_bytes());
        } else if shell_gone {
            self.restart_shell(slot).await?;
            out.output.extend_from_slice(RESTART_NOTE.as_bytes());
        }
        if end.oom_since(&before) {
            out.oom_killed = true;
            out.output.extend_from_slice(OOM_NOTE.as_bytes());
        }
        out.duration = started.elapsed();
        Ok(out)
    }
}

fn still_running(shell: &Shell, started: Instant) -> ExecOutput {
    let (output, truncated) = shell.take_partial_output();
    ExecOutput {
        exit_code: None,
        output,
        truncated,
        timed_out: false,
        still_running: true,
        oom_killed: false,
        duration: started.elapsed(),
    }
}
