//! The scaffold-side imports behind a trait, so an agent loop written against [`Host`] runs in
//! the component through [`Imports`] and natively in unit tests against a scripted fake.
//!
//! [`Imports`] only forwards to the WIT imports; it adds no behaviour (no retries, no
//! rewriting): the host records every call as it passes.

use crate::llm::{Completion, LlmError, Params};
use crate::log::Level;
use crate::sandbox::{ExecOptions, ExecResult, SandboxError};
use crate::{Message, ToolSpec};

/// What an agent loop needs from the host. Extend with the other sandbox calls as a
/// scaffold needs them.
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
}
