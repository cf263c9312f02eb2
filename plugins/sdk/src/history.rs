//! Where a message history may be cut: by a condenser that forgets a middle part, a window
//! that keeps the latest turns, or a scaffold that drops old turns. Providers refuse a `tool`
//! message whose assistant call is gone, and a text-mode result without its call confuses a
//! model, so a kept part must start at a turn: an assistant message, or a user message that
//! is not a tool result. Pure: no host import is called.

use crate::{Message, Role};

/// True when a kept part of `history` may start at index `i`: an assistant message, or a
/// user message that is not a text-mode tool result. False past the end.
pub fn starts_turn(history: &[Message], i: usize) -> bool {
    history.get(i).is_some_and(|m| match m.role {
        Role::Assistant => true,
        Role::User => !m.is_text_result(),
        Role::System | Role::Tool => false,
    })
}

/// The length of a kept head of at least `keep_first` messages: extended past the tool
/// results answering its last assistant message, so the part after it starts at a turn.
pub fn head_len(history: &[Message], keep_first: usize) -> usize {
    let mut head = keep_first.min(history.len());
    while head > 0 && head < history.len() && !starts_turn(history, head) {
        head += 1;
    }
    head
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::assistant_call;
    use serde_json::json;

    #[test]
    fn cuts_only_at_turns() {
        let h = vec![
            Message::system("s"),
            Message::user("task"),
            assistant_call("c1", "bash", json!({"command": "ls"})),
            Message::tool_result("c1", "a"),
            Message::user("EXECUTION RESULT of [bash]:\nb"),
            Message::user("go on"),
        ];
        let starts: Vec<usize> = (0..=h.len()).filter(|&i| starts_turn(&h, i)).collect();
        assert_eq!(starts, vec![1, 2, 5]);
        assert_eq!(head_len(&h, 2), 2);
        assert_eq!(head_len(&h, 3), 5);
        assert_eq!(head_len(&h, 0), 0);
        assert_eq!(head_len(&h, 9), 6);
    }
}
