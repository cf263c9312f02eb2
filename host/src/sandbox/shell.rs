//! The persistent shell: ONE attached `docker exec` of `bash --noprofile --norc` per sandbox,
//! fed framed commands on stdin. Each command travels as a here-document with a random quoted
//! delimiter and is `source`d in the shell itself (so `cd`, `export` and `declare` persist)
//! with stdin from /dev/null and stderr merged; a line `\n__SYNTH_<uuid>__ <exit code>` on stdout
//! ends it. The shell leads its own process group and traps INT with `return`, so a timeout
//! sends SIGINT to the group and abandons the rest of the command; what survives is killed;
//! a dead or wedged shell is replaced by a fresh one.
//!
//! It must never read unbounded output into memory, never let one command's bytes be parsed
//! as part of the framing, and never leave a command running when it reports it finished.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::container::LogOutput;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::output::{CappedSink, MarkerScanner, Scan};
use super::raw::{self, ExecSpec, InputSink, OutputStream};
use super::{DEFAULT_MAX_OUTPUT, SandboxError};

/// How long a new shell may take to answer its first marker.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// Sent once to every new shell. Stderr joins stdout (one ordered stream); INT is trapped
/// (an ignored signal would be inherited by children) with `return`, which abandons the
/// sourced command; outside a command the `return` fails silently.
const SHELL_INIT: &str = "exec 2>&1\n";
/// Every builtin the frame calls is `\builtin`: an agent's function or alias named `cd`,
/// `printf` or `trap` (a common dotfile habit) must not break the framing.
const TRAP_INT: &str = "\\builtin trap 'return 130 2>/dev/null' INT";

/// Kills the process tree of the shell ($1) and its process group; with $2=1 the shell
/// itself is spared.
const KILL_TREE: &str = r#"s=$1; keep=$2
ps -e -o pid=,ppid=,pgid= | awk -v s="$s" -v keep="$keep" '
{ pid[NR] = $1; pp[NR] = $2; pg[NR] = $3 }
END {
  m[s] = 1; c = 1
  while (c) { c = 0; for (i = 1; i <= NR; i++) if (!(pid[i] in m) && (pp[i] in m)) { m[pid[i]] = 1; c = 1 } }
  for (i = 1; i <= NR; i++) if ((pid[i] in m || pg[i] == s) && !(keep == "1" && pid[i] == s)) print pid[i]
}' | xargs -r kill -s KILL 2>/dev/null
exit 0"#;

/// State the reader task and the caller share.
struct Inner {
    /// Set while a command (or the start handshake) runs.
    scanner: Option<MarkerScanner>,
    /// Output of the running command since the last return.
    sink: CappedSink,
    /// Output that arrived while no command ran (background jobs); it opens the next output.
    idle: CappedSink,
    /// The marker's value once seen.
    result: Option<i64>,
    /// The stream ended (the shell is gone), with the reason.
    eof: Option<String>,
    last_output: Instant,
}

/// One live shell process.
pub(crate) struct Shell {
    pub exec_id: String,
    /// The shell's pid inside the container (also its process group id).
    pub pid: i64,
    /// Behind a mutex so `&Shell` is `Sync` and the futures holding it are `Send`.
    input: tokio::sync::Mutex<InputSink>,
    inner: Arc<Mutex<Inner>>,
    changes: watch::Receiver<u64>,
    reader: JoinHandle<()>,
}

impl Drop for Shell {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// What waiting on a command ended with.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Wait {
    /// The end marker arrived with this exit status.
    Done(i64),
    /// The shell's stream ended.
    Dead,
    /// No new output for the quiet period.
    Quiet,
    /// The time limit passed.
    Elapsed,
}

fn lock(inner: &Mutex<Inner>) -> std::sync::MutexGuard<'_, Inner> {
    inner.lock().unwrap_or_else(|p| p.into_inner())
}

/// A fresh marker token.
pub(crate) fn new_token() -> String {
    format!("__SYNTH_{}__", uuid::Uuid::new_v4().simple())
}

/// Single-quotes a string for bash.
pub(crate) fn sq(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The here-document delimiter of a command framed with `token`.
fn delimiter(token: &str) -> String {
    format!("{token}_END")
}

/// A marker token whose delimiter line does not occur in `command` (a random one never
/// does; the check makes it certain).
pub(crate) fn token_for(command: &str) -> String {
    loop {
        let token = new_token();
        let delim = delimiter(&token);
        if !command.lines().any(|l| l.trim_end_matches('\r') == delim) {
            return token;
        }
    }
}

/// The framed text that runs `command` and prints the end marker. The command travels as a
/// here-document with a quoted, random delimiter: the outer shell takes its bytes literally
/// (no expansion, no parsing), so no quoting or syntax error in it can desync the framing,
/// and `source` parses and runs it in the shell itself. This costs no process (decoding
/// base64 would cost a fork and an exec: 7 ms against 0.5 ms per command here).
///
/// With `stdin` (a path for a FIFO) the command reads its standard input from a FIFO made
/// for it, which [`super::Sandbox::send_input`] writes to, instead of /dev/null: opened
/// read-write, so the open never blocks and a read waits for input as at a terminal. The
/// FIFO is removed after the end marker.
pub(crate) fn frame(
    command: &str,
    cwd: Option<&str>,
    env: &[(String, String)],
    token: &str,
    stdin: Option<&str>,
) -> String {
    let body = "\\builtin source /dev/fd/3";
    let run = if cwd.is_none() && env.is_empty() {
        body.to_string()
    } else {
        // Options for this command only: a subshell, whose INT is the default again, so an
        // interrupt ends it and the parent shell carries on to the marker.
        let mut pre = String::new();
        if let Some(dir) = cwd {
            pre.push_str(&format!("\\builtin cd -- {} && ", sq(dir)));
        }
        if !env.is_empty() {
            let pairs: Vec<String> = env.iter().map(|(k, v)| format!("{k}={}", sq(v))).collect();
            pre.push_str(&format!("\\builtin export {} && ", pairs.join(" ")));
        }
        format!("( {pre}{body} )")
    };
    let delim = delimiter(token);
    let (make, input, remove) = match stdin {
        None => (String::new(), "</dev/null".to_string(), String::new()),
        Some(path) => (
            format!("\\builtin command mkfifo -m 600 -- {} && ", sq(path)),
            format!("<>{}", sq(path)),
            format!("\\builtin command rm -f -- {}\n", sq(path)),
        ),
    };
    // The INT trap is set again each time: a command may have changed it for itself.
    format!(
        "{make}{TRAP_INT}; {run} 3<<'{delim}' {input} 2>&1\n{command}\n{delim}\n\
         \\builtin printf '\\n%s %d\\n' '{token}' \"$?\"\n{remove}"
    )
}

impl Shell {
    /// Starts `bash` as `user` in `workspace` and waits for its first marker (its pid).
    pub async fn start(
        docker: &Docker,
        container: &str,
        user: &str,
        workspace: &str,
    ) -> Result<Shell, SandboxError> {
        let attached = raw::start(
            docker,
            container,
            &ExecSpec {
                argv: vec!["bash".into(), "--noprofile".into(), "--norc".into()],
                user,
                env: None,
                cwd: Some(workspace),
                stdin: true,
            },
        )
        .await?;
        let inner = Arc::new(Mutex::new(Inner {
            scanner: None,
            sink: CappedSink::new(DEFAULT_MAX_OUTPUT),
            idle: CappedSink::new(DEFAULT_MAX_OUTPUT),
            result: None,
            eof: None,
            last_output: Instant::now(),
        }));
        let (tx, changes) = watch::channel(0u64);
        let reader = tokio::spawn(read_loop(attached.output, inner.clone(), tx));
        let mut shell = Shell {
            exec_id: attached.exec_id,
            pid: 0,
            input: tokio::sync::Mutex::new(attached.input),
            inner,
            changes,
            reader,
        };
        let token = new_token();
        shell.begin(&token, DEFAULT_MAX_OUTPUT);
        let hello = format!("{SHELL_INIT}{TRAP_INT}\nprintf '\\n%s %d\\n' '{token}' \"$$\"\n");
        shell.write(hello.as_bytes()).await?;
        match shell.wait(Instant::now() + START_TIMEOUT, None).await {
            Wait::Done(pid) if pid > 1 => {
                shell.pid = pid;
                shell.take_output();
                Ok(shell)
            }
            other => {
                let (out, _) = shell.take_output();
                Err(SandboxError::Infrastructure(format!(
                    "shell in container {container} did not start ({other:?}): {}",
                    super::one_line(&String::from_utf8_lossy(&out))
                )))
            }
        }
    }

    pub fn is_dead(&self) -> bool {
        lock(&self.inner).eof.is_some()
    }

    /// Prepares for a new command ending with `token`, output capped at `cap`.
    pub fn begin(&mut self, token: &str, cap: usize) {
        let mut g = lock(&self.inner);
        g.scanner = Some(MarkerScanner::new(token));
        g.result = None;
        let (idle, _) = g.idle.take();
        g.sink = CappedSink::new(cap);
        g.sink.push(&idle);
        g.last_output = Instant::now();
        drop(g);
        // Changes seen so far are about the previous command.
        self.changes.borrow_and_update();
    }

    pub async fn write(&mut self, data: &[u8]) -> Result<(), SandboxError> {
        let res = async {
            let mut input = self.input.lock().await;
            input.write_all(data).await?;
            input.flush().await
        }
        .await;
        res.map_err(|e| SandboxError::Infrastructure(format!("writing to the shell: {e}")))
    }

    /// Output since the last take, and whether it was cut.
    pub fn take_output(&self) -> (Vec<u8>, bool) {
        lock(&self.inner).sink.take()
    }

    /// Output so far of a command that is still running: a trailing newline the scanner
    /// holds back (it could start the end marker) is included.
    pub fn take_partial_output(&self) -> (Vec<u8>, bool) {
        let mut g = lock(&self.inner);
        let Inner { scanner, sink, .. } = &mut *g;
        if let Some(sc) = scanner.as_mut() {
            sc.release_newline(sink);
        }
        sink.take()
    }

    /// Why the stream ended, if it did.
    pub fn eof_reason(&self) -> Option<String> {
        lock(&self.inner).eof.clone()
    }

    /// Waits until the marker arrives, the shell dies, `until` passes, or (with `quiet`) no
    /// output came for that long.
    pub async fn wait(&mut self, until: Instant, quiet: Option<Duration>) -> Wait {
        loop {
            let wake = {
                let mut g = lock(&self.inner);
                if let Some(v) = g.result.take() {
                    return Wait::Done(v);
                }
                if g.eof.is_some() {
                    return Wait::Dead;
                }
                let now = Instant::now();
                let mut wake = until;
                if let Some(q) = quiet {
                    let due = g.last_output + q;
                    if now >= due {
                        return Wait::Quiet;
                    }
                    wake = wake.min(due);
                }
                if now >= until {
                    return Wait::Elapsed;
                }
                wake
            };
            tokio::select! {
                r = self.changes.changed() => {
                    if r.is_err() {
                        // The reader is gone: whatever it left is final.
                        let mut g = lock(&self.inner);
                        if let Some(v) = g.result.take() {
                            return Wait::Done(v);
                        }
                        g.eof.get_or_insert_with(|| "reader ended".into());
                        return Wait::Dead;
                    }
                }
                _ = tokio::time::sleep_until(wake.into()) => {}
            }
        }
    }

    /// Sends a signal to the shell's process group (the shell and its foreground jobs).
    pub async fn signal_group(&self, docker: &Docker, container: &str, user: &str, sig: &str) {
        // dash's builtin kill (procps' kill misreads negative pids).
        let pid = self.pid.to_string();
        let argv = [
            "/bin/sh",
            "-c",
            "kill -s \"$1\" -- \"-$2\"",
            "synth-kill",
            sig,
            &pid,
        ];
        if let Err(e) = raw::run_checked(docker, container, &argv, user).await {
            tracing::debug!(container, error = %e, "signal to the shell's group failed");
        }
    }

    /// SIGKILLs the shell's descendants and group; the shell itself too unless `spare_shell`.
    pub async fn kill_tree(&self, docker: &Docker, container: &str, user: &str, spare_shell: bool) {
        let pid = self.pid.to_string();
        let keep = if spare_shell { "1" } else { "0" };
        let argv = ["/bin/sh", "-c", KILL_TREE, "synth-kill", &pid, keep];
        if let Err(e) = raw::run_checked(docker, container, &argv, user).await {
            tracing::debug!(container, error = %e, "killing the shell's processes failed");
        }
    }
}

/// Reads the shell's output stream until it ends, finding markers and filling the sinks.
async fn read_loop(mut output: OutputStream, inner: Arc<Mutex<Inner>>, tx: watch::Sender<u64>) {
    let mut rest = Vec::new();
    let reason = loop {
        match output.next().await {
            Some(Ok(LogOutput::StdOut { message }))
            | Some(Ok(LogOutput::Console { message }))
            | Some(Ok(LogOutput::StdErr { message })) => {
                let mut g = lock(&inner);
                let Inner {
                    scanner,
                    sink,
                    idle,
                    result,
                    last_output,
                    ..
                } = &mut *g;
                match scanner {
                    Some(sc) => {
                        *last_output = Instant::now();
                        if let Scan::Marker(v) = sc.feed(&message, sink, &mut rest) {
                            *result = Some(v);
                            *scanner = None;
                            idle.push(&rest);
                            rest.clear();
                        }
                    }
                    None => idle.push(&message),
                }
            }
            Some(Ok(LogOutput::StdIn { .. })) => continue,
            Some(Err(e)) => break format!("shell output stream failed: {e}"),
            None => break "shell exited".to_string(),
        }
        tx.send_modify(|n| *n = n.wrapping_add(1));
    };
    {
        let mut g = lock(&inner);
        let Inner { scanner, sink, .. } = &mut *g;
        if let Some(sc) = scanner.as_mut() {
            sc.flush(sink);
        }
        g.eof = Some(reason);
    }
    tx.send_modify(|n| *n = n.wrapping_add(1));
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(sq("it's"), r"'it'\''s'");
    }

    #[test]
    fn frame_carries_the_command_literally() {
        let f = frame("echo 'a\nexit 3", None, &[], "__SYNTH_t__", None);
        assert_eq!(
            f,
            "\\builtin trap 'return 130 2>/dev/null' INT; \\builtin source /dev/fd/3 3<<'__SYNTH_t___END' </dev/null 2>&1\n\
             echo 'a\nexit 3\n__SYNTH_t___END\n\\builtin printf '\\n%s %d\\n' '__SYNTH_t__' \"$?\"\n"
        );
        let g = frame(
            "pwd",
            Some("/tmp"),
            &[("A".into(), "x y".into())],
            "__SYNTH_t__",
            None,
        );
        assert!(g.contains(
            "; ( \\builtin cd -- '/tmp' && \\builtin export A='x y' && \\builtin source /dev/fd/3 ) 3<<"
        ));
    }

    #[test]
    fn frame_with_a_stdin_fifo() {
        let f = frame("cat", None, &[], "__SYNTH_t__", Some("/tmp/in"));
        assert!(f.starts_with("\\builtin command mkfifo -m 600 -- '/tmp/in' && \\builtin trap"));
        assert!(f.contains("3<<'__SYNTH_t___END' <>'/tmp/in' 2>&1\ncat\n"));
        assert!(f.ends_with("\"$?\"\n\\builtin command rm -f -- '/tmp/in'\n"));
    }

    #[test]
    fn token_avoids_a_delimiter_in_the_command() {
        let t = token_for("echo hi");
        assert!(t.starts_with("__SYNTH_") && t.ends_with("__"));
    }
}
