//! Readable sentences for the contract's error variants. The generated `Display` of these
//! types prints their `Debug` form (`SandboxError::Busy`); models and logs read these instead.
//!
//! Pure: no host import is called.

use crate::llm::LlmError;
use crate::sandbox::SandboxError;
use crate::{ExitKind, Outcome, RunError};

impl SandboxError {
    /// One sentence for a model or a log line, e.g. `not found: src/x.py`.
    pub fn message(&self) -> String {
        match self {
            SandboxError::NotFound(p) => format!("not found: {p}"),
            SandboxError::PermissionDenied(p) => format!("permission denied: {p}"),
            SandboxError::IsADirectory(p) => format!("is a directory: {p}"),
            SandboxError::NotADirectory(p) => format!("not a directory: {p}"),
            SandboxError::InvalidArgument(m) => format!("invalid argument: {m}"),
            SandboxError::TooLarge(m) => format!("too large: {m}"),
            SandboxError::NoRunningCommand => "no command is running".to_string(),
            SandboxError::Busy => {
                "another command is still running: poll it, send it input or interrupt it first"
                    .to_string()
            }
            SandboxError::Unsupported(m) => format!("unsupported: {m}"),
            SandboxError::Infrastructure(m) => format!("sandbox failure: {m}"),
        }
    }
}

impl LlmError {
    /// How a loop ends on this error: budget and context errors end the episode with the
    /// matching outcome (the host then verifies the workspace as usual); the others fail
    /// the run with [`RunError::Llm`]. `Err(e) => return e.into_outcome()` in a loop.
    pub fn into_outcome(self) -> Result<Outcome, RunError> {
        match self {
            LlmError::BudgetExhausted(m) => Ok(Outcome::new(ExitKind::BudgetExhausted, m)),
            LlmError::ContextLengthExceeded(m) => Ok(Outcome::new(ExitKind::ContextLimit, m)),
            other => Err(RunError::Llm(other.message())),
        }
    }

    /// One sentence for a log line or a run error, e.g. `provider error: 503 ...`.
    pub fn message(&self) -> String {
        match self {
            LlmError::ContextLengthExceeded(m) => format!("context length exceeded: {m}"),
            LlmError::BudgetExhausted(m) => format!("budget exhausted: {m}"),
            LlmError::Cancelled => "the model call was cancelled".to_string(),
            LlmError::Provider(m) => format!("provider error: {m}"),
            LlmError::InvalidRequest(m) => format!("invalid request: {m}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences() {
        assert_eq!(
            SandboxError::NotFound("a.txt".into()).message(),
            "not found: a.txt"
        );
        assert!(SandboxError::Busy.message().starts_with("another command"));
        assert_eq!(
            LlmError::Provider("503".into()).message(),
            "provider error: 503"
        );
        assert_eq!(
            LlmError::Cancelled.message(),
            "the model call was cancelled"
        );
        let ended = LlmError::BudgetExhausted("steps".into())
            .into_outcome()
            .unwrap();
        assert_eq!(ended.exit, ExitKind::BudgetExhausted);
        let ended = LlmError::ContextLengthExceeded("big".into())
            .into_outcome()
            .unwrap();
        assert_eq!(ended.exit, ExitKind::ContextLimit);
        assert!(matches!(
            LlmError::Provider("503".into()).into_outcome(),
            Err(RunError::Llm(m)) if m == "provider error: 503"
        ));
    }
}
