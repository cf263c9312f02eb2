//! The scaffold-side imports behind a trait, so an agent loop written against [`Host`] runs in
//! the component through [`Imports`] and natively in unit tests against a fake
//! ([`crate::testing::FakeHost`] or one of your own).
//!
//! [`Imports`] only forwards to the WIT imports; it adds no behaviour (no retries, no
//! rewriting): the host records every call as it passes.

use crate::llm::{Completion, LlmError, Params};
use crate::log::Level;
use crate::sandbox::{DirEntry, ExecOptions, ExecResult, FileStat, SandboxError};
use crate::{Message, ToolSpec};

/// What an agent loop needs from the host: the model, the sandbox, logging and notes.
///
/// `complete`, `exec`, `log` and `note` are required. The other sandbox calls have default
/// bodies that answer `Unsupported`, so a test fake implements only what its loop uses;
/// [`Imports`] implements them all.
pub trait Host {
    fn complete(
        &mut self,
        messages: &[Message],
        tools: &[ToolSpec],
        params: &Params,
    ) -> Result<Completion, LlmError>;
    fn exec(&mut self, command: &str, options: &ExecOptions) -> Result<ExecResult, SandboxError>;
    fn log(&mut self, level: Level, message: &str);
    /// Records a trajectory note; `data` is a JSON value.
    fn note(&mut self, kind: &str, data: &str);

    /// Waits up to `wait_ms` for more output of the command left running by a soft timeout.
    fn poll(&mut self, wait_ms: u32) -> Result<ExecResult, SandboxError> {
        let _ = wait_ms;
        Err(unsupported("poll"))
    }
    /// Writes `input` to the running command's standard input, then waits up to `wait_ms`.
    fn send_input(&mut self, input: &[u8], wait_ms: u32) -> Result<ExecResult, SandboxError> {
        let _ = (input, wait_ms);
        Err(unsupported("send-input"))
    }
    /// Interrupts the running command (SIGINT, then SIGKILL).
    fn interrupt(&mut self) -> Result<ExecResult, SandboxError> {
        Err(unsupported("interrupt"))
    }
    fn read_file(&mut self, path: &str) -> Result<Vec<u8>, SandboxError> {
        let _ = path;
        Err(unsupported("read-file"))
    }
    /// Creates parent directories as needed; replaces an existing file.
    fn write_file(&mut self, path: &str, content: &[u8]) -> Result<(), SandboxError> {
        let _ = (path, content);
        Err(unsupported("write-file"))
    }
    fn list_dir(&mut self, path: &str) -> Result<Vec<DirEntry>, SandboxError> {
        let _ = path;
        Err(unsupported("list-dir"))
    }
    fn stat(&mut self, path: &str) -> Result<FileStat, SandboxError> {
        let _ = path;
        Err(unsupported("stat"))
    }
}

fn unsupported(call: &str) -> SandboxError {
    SandboxError::Unsupported(format!("this host does not provide `{call}`"))
}

/// The real host: each method calls the matching WIT import (panics in native builds).
#[derive(Debug, Default, Clone, Copy)]
pub struct Imports;

impl Host for Imports {
    fn complete(
        &mut self,
        messages: &[Message],
        tools: &[ToolSpec],
        params: &Params,
    ) -> Result<Completion, LlmError> {
        crate::llm::complete(messages, tools, params)
    }

    fn exec(&mut self, command: &str, options: &ExecOptions) -> Result<ExecResult, SandboxError> {
        crate::sandbox::exec(command, options)
    }

    fn log(&mut self, level: Level, message: &str) {
        crate::log::log(level, message);
    }

    fn note(&mut self, kind: &str, data: &str) {
        crate::trajectory::note(kind, data);
    }

    fn poll(&mut self, wait_ms: u32) -> Result<ExecResult, SandboxError> {
        crate::sandbox::poll(wait_ms)
    }

    fn send_input(&mut self, input: &[u8], wait_ms: u32) -> Result<ExecResult, SandboxError> {
        crate::sandbox::send_input(input, wait_ms)
    }

    fn interrupt(&mut self) -> Result<ExecResult, SandboxError> {
        crate::sandbox::interrupt()
    }

    fn read_file(&mut self, path: &str) -> Result<Vec<u8>, SandboxError> {
        crate::sandbox::read_file(path)
    }

    fn write_file(&mut self, path: &str, content: &[u8]) -> Result<(), SandboxError> {
        crate::sandbox::write_file(path, content)
    }

    fn list_dir(&mut self, path: &str) -> Result<Vec<DirEntry>, SandboxError> {
        crate::sandbox::list_dir(path)
    }

    fn stat(&mut self, path: &str) -> Result<FileStat, SandboxError> {
        crate::sandbox::stat(path)
    }
}
