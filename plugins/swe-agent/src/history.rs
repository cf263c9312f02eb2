//! SWE-agent's `last_n_observations` history processor: the view of the history sent with
//! each request, where tool results older than the last `keep` read
//! `Old environment output: ({k} lines omitted)`.
//!
//! Pure: it returns a new list. It must never change the full history the loop keeps, and
//! never elide the system prompt, the first user message (the task) or assistant turns.

use synth_sdk::{ContentPart, Message, Role};

/// `history` with all but the last `keep` observations elided; `keep == 0` keeps all.
/// Observations are the `tool` messages and the user messages after the first one (text-mode
/// results and any other environment feedback). A text-mode result keeps its
/// `EXECUTION RESULT of [NAME]:` line so it still reads as the answer to a call.
pub fn collapse(history: &[Message], keep: usize) -> Vec<Message> {
    let mut view = history.to_vec();
    if keep == 0 {
        return view;
    }
    let Some(task) = history.iter().position(|m| m.role == Role::User) else {
        return view;
    };
    let observations: Vec<usize> = history
        .iter()
        .enumerate()
        .skip(task + 1)
        .filter(|(_, m)| matches!(m.role, Role::Tool | Role::User))
        .map(|(i, _)| i)
        .collect();
    let elided = observations.len().saturating_sub(keep);
    for &i in &observations[..elided] {
        view[i].content = vec![ContentPart::Text(elide(&history[i]))];
    }
    view
}

fn elide(message: &Message) -> String {
    let text = message.text();
    let (head, body) = match text.split_once('\n') {
        Some((head, body)) if message.is_text_result() => (format!("{head}\n"), body),
        _ => (String::new(), text.as_str()),
    };
    format!(
        "{head}Old environment output: ({} lines omitted)",
        body.lines().count()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(results: usize, text_mode: bool) -> Vec<Message> {
        let mut h = vec![Message::system("sys"), Message::user("task\nline 2")];
        for i in 0..results {
            h.push(Message::assistant(format!("thought {i}")));
            let body = format!("out {i}\nsecond\nthird");
            h.push(if text_mode {
                Message::user(format!("EXECUTION RESULT of [bash]:\n{body}"))
            } else {
                Message::tool_result(format!("c{i}"), body)
            });
        }
        h
    }

    #[test]
    fn keeps_the_last_n_results() {
        let full = history(7, false);
        let view = collapse(&full, 5);
        assert_eq!(view.len(), full.len());
        assert_eq!(view[1].text(), "task\nline 2");
        assert_eq!(view[3].text(), "Old environment output: (3 lines omitted)");
        assert_eq!(view[3].tool_call_id.as_deref(), Some("c0"));
        assert_eq!(view[5].text(), "Old environment output: (3 lines omitted)");
        assert_eq!(view[7].text(), "out 2\nsecond\nthird");
        assert_eq!(view[15].text(), "out 6\nsecond\nthird");
        assert!(
            view.iter()
                .filter(|m| m.role == Role::Assistant)
                .all(|m| m.text().starts_with("thought"))
        );
        assert_eq!(collapse(&full, 0), full);
        assert_eq!(collapse(&history(5, false), 5), history(5, false));
    }

    #[test]
    fn text_mode_results_keep_their_header() {
        let view = collapse(&history(2, true), 1);
        assert_eq!(
            view[3].text(),
            "EXECUTION RESULT of [bash]:\nOld environment output: (3 lines omitted)"
        );
        assert!(view[5].text().ends_with("third"));
    }
}
