//! `execute_bash`: one call of the tool against the host's persistent shell, and the text the
//! model reads back, worded as OpenHands' `bash.py` words it (no-change timeout, hard
//! timeout, continuation prefix, "is NOT executed", exit-code lines).
//!
//! The shell itself (tmux in OpenHands) is the host's: a command that prints nothing new for
//! `no_change_timeout_secs` is left running (`still_running`), and `poll`, `send_input` and
//! `interrupt` reach it. Differences from the original: no `[Current working directory: ...]`
//! or `[Python interpreter: ...]` lines (the contract has no cheap way to learn the shell's
//! cwd), and no bashlex check for several commands in one call. When the host refuses a new
//! command with `Busy`, the running command's new output is fetched with `poll(0)` and shown
//! before the "is NOT executed" line, as the original shows it.
//!
//! It must never end the run over anything but a broken sandbox (`Infrastructure`): every
//! other failure is an observation.

use crate::tools::BashArgs;
use synth_sdk::RunError;
use synth_sdk::host::Host;
use synth_sdk::sandbox::{ExecOptions, ExecResult, SandboxError};

/// Output cap per call in bytes; the host keeps the head and the tail (OpenHands: 30000 chars).
pub const MAX_OUTPUT_BYTES: u32 = 30_000;

pub const TIMEOUT_MESSAGE_TEMPLATE: &str = "You may wait longer to see additional output by \
sending empty command '', send other commands to interact with the current process, send keys \
(\"C-c\", \"C-z\", \"C-d\") to interrupt/kill the previous command before sending your new \
command, or use the timeout parameter in execute_bash for future commands.";

pub const CONTINUATION_PREFIX: &str = "[Below is the output of the previous command.]\n";

pub const NO_COMMAND_TO_POLL: &str = "ERROR: No previous running command to retrieve logs from.";
pub const NO_COMMAND_TO_INTERACT: &str = "ERROR: No previous running command to interact with.";

/// The `execute_bash` tool's settings.
#[derive(Debug, Clone)]
pub struct Bash {
    no_change_timeout_secs: u32,
}

/// What a call did, which shapes the text around its output.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// A new command; `Some(seconds)` when the model set a hard timeout.
    Run(Option<f64>),
    /// An empty command: more output of the running one.
    Poll,
    /// Input or a key sent to the running command; the key's letter for C-c / C-d / C-z.
    Input(Option<char>),
}

impl Bash {
    pub fn new(no_change_timeout_secs: u32) -> Bash {
        Bash {
            no_change_timeout_secs,
        }
    }

    fn wait_ms(&self) -> u32 {
        self.no_change_timeout_secs.saturating_mul(1000)
    }

    /// Runs one call and returns the observation text.
    pub fn execute(&self, host: &mut impl Host, args: &BashArgs) -> Result<String, RunError> {
        let command = args.command.as_str();
        let is_input = args.is_input.is_some_and(|i| i.0);
        let (kind, result) = if command.trim().is_empty() {
            (Kind::Poll, host.poll(self.wait_ms()))
        } else if is_input {
            let key = special_key(command);
            let result = match key {
                Some('C') => host.interrupt(),
                Some('D') => host.send_input(b"\x04", self.wait_ms()),
                Some('Z') => host.send_input(b"\x1a", self.wait_ms()),
                _ => host.send_input(format!("{command}\n").as_bytes(), self.wait_ms()),
            };
            (Kind::Input(key), result)
        } else {
            let options = match args.timeout {
                Some(secs) => ExecOptions {
                    timeout_ms: Some(seconds_to_ms(secs)),
                    max_output_bytes: Some(MAX_OUTPUT_BYTES),
                    ..ExecOptions::default()
                },
                None => ExecOptions {
                    soft_timeout_ms: Some(self.wait_ms()),
                    max_output_bytes: Some(MAX_OUTPUT_BYTES),
                    ..ExecOptions::default()
                },
            };
            (Kind::Run(args.timeout), host.exec(command, &options))
        };
        match result {
            Ok(result) => Ok(self.observation(kind, &result)),
            Err(SandboxError::Infrastructure(m)) => Err(RunError::Sandbox(m)),
            Err(SandboxError::Busy) => match host.poll(0) {
                Ok(previous) => Ok(format!(
                    "{CONTINUATION_PREFIX}{}\n{}",
                    decode(&previous),
                    not_executed(command)
                )),
                Err(SandboxError::Infrastructure(m)) => Err(RunError::Sandbox(m)),
                Err(_) => Ok(not_executed(command)),
            },
            Err(SandboxError::NoRunningCommand) => Ok(match kind {
                Kind::Poll => NO_COMMAND_TO_POLL.to_string(),
                _ => NO_COMMAND_TO_INTERACT.to_string(),
            }),
            Err(e) => Ok(format!("ERROR: {}", e.message())),
        }
    }

    /// `{prefix}{output}{suffix}`, then `[Command finished with exit code C]` when the
    /// command ended (OpenHands' `CmdOutputObservation` as the model sees it).
    fn observation(&self, kind: Kind, result: &ExecResult) -> String {
        let output = decode(result);
        let prefix = match kind {
            Kind::Run(_) => "",
            Kind::Poll | Kind::Input(_) => CONTINUATION_PREFIX,
        };
        let (suffix, exit_code) = if result.still_running {
            let suffix = format!(
                "\n[The command has no new output after {} seconds. {TIMEOUT_MESSAGE_TEMPLATE}]",
                self.no_change_timeout_secs
            );
            (suffix, -1)
        } else if result.timed_out {
            let secs = match kind {
                Kind::Run(Some(secs)) => secs,
                _ => result.duration_ms as f64 / 1000.0,
            };
            let suffix = format!(
                "\n[The command timed out after {} seconds. {TIMEOUT_MESSAGE_TEMPLATE}]",
                number(secs)
            );
            (suffix, -1)
        } else {
            let code = result.exit_code.unwrap_or(-1);
            let suffix = match kind {
                Kind::Input(Some(key)) => {
                    format!("\n[The command completed with exit code {code}. CTRL+{key} was sent.]")
                }
                _ => format!("\n[The command completed with exit code {code}.]"),
            };
            (suffix, code)
        };
        let mut text = format!("{prefix}{output}{suffix}");
        if exit_code != -1 {
            text.push_str(&format!("\n[Command finished with exit code {exit_code}]"));
        }
        text
    }
}

/// The output as text (invalid UTF-8 replaced), without trailing newlines.
fn decode(result: &ExecResult) -> String {
    let output = String::from_utf8_lossy(&result.output);
    output.trim_end_matches(['\n', '\r']).to_string()
}

/// The letter of a special key (`C-c`, `C-d`, `C-z`, any case), else none.
fn special_key(command: &str) -> Option<char> {
    let c = command.trim();
    let rest = c.strip_prefix("C-").or_else(|| c.strip_prefix("c-"))?;
    let mut chars = rest.chars();
    match (chars.next(), chars.next()) {
        (Some(k), None) if matches!(k.to_ascii_uppercase(), 'C' | 'D' | 'Z') => {
            Some(k.to_ascii_uppercase())
        }
        _ => None,
    }
}

pub fn not_executed(command: &str) -> String {
    format!(
        "[Your command \"{command}\" is NOT executed. The previous command is still running - You \
         CANNOT send new commands until the previous command is completed. By setting `is_input` \
         to `true`, you can interact with the current process: You may wait longer to see \
         additional output of the previous command by sending empty command '', send other \
         commands to interact with the current process, or send keys (\"C-c\", \"C-z\", \"C-d\") \
         to interrupt/kill the previous command before sending your new command.]"
    )
}

fn seconds_to_ms(secs: f64) -> u32 {
    (secs * 1000.0).clamp(1.0, u32::MAX as f64) as u32
}

/// `30` for whole numbers, `2.5` otherwise (as Python prints the model's value).
fn number(secs: f64) -> String {
    if secs.fract() == 0.0 {
        format!("{}", secs as i64)
    } else {
        format!("{secs}")
    }
}

#[cfg(test)]
#[path = "bash_tests.rs"]
mod tests;
