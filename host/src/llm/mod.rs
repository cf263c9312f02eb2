//! The LLM router: the host's canonical message model, the providers that answer model
//! calls (`oracle`, `nop`, and OpenAI Chat Completions servers over HTTP), the one retry
//! layer, pricing and key redaction.
//!
//! Every call returns a [`CallOutcome`] holding one [`AttemptRecord`] per HTTP attempt (or
//! per built-in answer), so the caller can store every attempt as a row.
//!
//! This module must never put an API key in a record, an error text, a log line or a
//! `Debug` output, never retry at a second layer, and never silently repair tool-call
//! arguments.

pub mod nop;
pub mod openai;
pub mod oracle;
pub mod redact;
pub mod retry;
pub mod router;
pub mod script;
pub mod types;

#[cfg(test)]
mod test_server;

pub use redact::{Redactor, Secret};
pub use retry::RetryPolicy;
pub use router::{
    AttemptRecord, CallOutcome, EpisodeContext, Price, ProviderConfig, ProviderKind, RetryConfig,
    Router, RouterConfig, request_hash,
};
pub use types::{
    Completion, ContentPart, FinishReason, LlmError, Message, Params, Purpose, Request, Role,
    ToolCall, ToolRole, ToolSpec, Usage, canonical_json,
};
