//! The `nop` model: the do-nothing run that must fail every task. It calls the scaffold's
//! Finish-role tool at once, or says it will do nothing when there is none.
//!
//! Stateless and deterministic; it must never call a shell tool.

use super::types::{Completion, LlmError, Request};

/// Model string of this provider (also its provider name).
pub const MODEL: &str = "nop";

/// The text answered when the request has no finish tool.
pub const TEXT: &str = "I will not do anything.";

/// The nop answer to `req`.
pub fn answer(req: &Request) -> Result<Completion, LlmError> {
    super::oracle::finish_or_text(req, "nop-1".to_string(), TEXT, MODEL)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::types::{FinishReason, Message};
    use serde_json::json;

    #[test]
    fn finishes_at_once() {
        let req = Request {
            messages: vec![Message::user("fix it")],
            tools: crate::llm::oracle::tests::tools(),
            ..Request::default()
        };
        let c = answer(&req).unwrap();
        assert_eq!(c.finish_reason, FinishReason::ToolCalls);
        assert_eq!(c.message.tool_calls.len(), 1);
        assert_eq!(c.message.tool_calls[0].name, "submit");
        assert_eq!(
            c.message.tool_calls[0].parsed,
            Ok(json!({"message": "done"}))
        );

        let bare = Request {
            messages: vec![Message::user("fix it")],
            ..Request::default()
        };
        let c = answer(&bare).unwrap();
        assert_eq!(c.finish_reason, FinishReason::Stop);
        assert_eq!(c.message.text(), TEXT);
        assert!(c.message.tool_calls.is_empty());
    }
}
