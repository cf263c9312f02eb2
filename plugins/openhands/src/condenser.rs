//! The LLM-summarizing condenser (OpenHands' `llm` condenser): when the history grows past
//! `max_messages`, or once after the provider reports a context overflow, the first
//! `keep_first` messages and about the latest half stay, and the middle is replaced by ONE
//! user message holding a summary the model wrote (a `condense`-purpose call, not a step).
//!
//! [`plan`] is the pure policy: when to condense and which messages to forget. It never cuts
//! between an assistant message and the tool results answering it (providers refuse orphan
//! tool messages). [`Condenser::condense`] carries a plan out and records it with a
//! `condensation` trajectory note. It must never change the kept messages themselves.
//!
//! Where a cut may fall comes from the SDK ([`synth_sdk::history`]: never orphaning tool
//! results, in native or text mode).

use crate::agent::{End, llm_end};
use crate::config::CondenserConfig;
use serde_json::json;
use std::ops::Range;
pub use synth_sdk::history::head_len;
use synth_sdk::history::starts_turn;
use synth_sdk::host::Host;
use synth_sdk::llm::{Params, Purpose};
use synth_sdk::log::Level;
use synth_sdk::{Message, Role};

/// Longest text of one forgotten message shown to the summarizer (OpenHands: 10000).
pub const MAX_EVENT_LENGTH: usize = 10_000;

pub const SUMMARY_HEADER: &str = "[Condensed history: earlier messages of this conversation were \
replaced by the summary below to save context. Continue the task from where it stands.]\n";

const SUMMARIZER_PROMPT: &str = "\
You maintain the working memory of a software agent that is solving a task in a sandbox. You \
are given the previous summary (if any) and the events that are about to be dropped from the \
agent's context. Write an updated summary that lets the agent continue without them. Be \
concrete: file paths, function names, commands, error messages, test names and results. Keep \
anything from the previous summary that is still true.

Use these sections, leaving out any that would be empty:
USER_CONTEXT: the task and its requirements, in brief
COMPLETED: what has been done, with results
PENDING: what remains to be done
CURRENT_STATE: where the agent is right now (what it was doing, running processes)
CODE_STATE: files and functions read or changed, with their relevant details
TESTS: tests run or written, passing and failing, with the failure messages that matter
CHANGES: the edits made so far
DEPS: dependencies installed or needed
VERSION_CONTROL_STATUS: branch and commit state, if relevant

Reply with the summary only.";

/// When to condense and what to keep (from [`CondenserConfig`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub max_messages: usize,
    pub keep_first: usize,
}

/// A condensation: `history[head..tail_start]` is replaced by one summary message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    pub head: usize,
    pub tail_start: usize,
}

impl Cut {
    pub fn forgotten(&self) -> Range<usize> {
        self.head..self.tail_start
    }
}

/// The policy. `summary_at_head` says whether `history[head]` is the previous summary (it is
/// forgotten and rewritten, so it does not count as progress). `force` condenses whatever the
/// length (after a context overflow), keeping about half of what follows the head.
///
/// None when nothing should or can be condensed.
pub fn plan(
    history: &[Message],
    policy: Policy,
    summary_at_head: bool,
    force: bool,
) -> Option<Cut> {
    let len = history.len();
    if !force && len <= policy.max_messages {
        return None;
    }
    let head = head_len(history, policy.keep_first);
    // After the cut: head + summary + tail ≈ half of the limit (or of the history when forced).
    let target = if force {
        len / 2
    } else {
        policy.max_messages / 2
    };
    let tail_len = target.saturating_sub(head + 1).max(1);
    let first_forgettable = head + usize::from(summary_at_head);
    let ideal = len.saturating_sub(tail_len).max(first_forgettable + 1);
    let tail_start = (ideal..len)
        .find(|&i| starts_turn(history, i))
        .or_else(|| {
            (first_forgettable + 1..ideal)
                .rev()
                .find(|&i| starts_turn(history, i))
        })?;
    Some(Cut { head, tail_start })
}

/// Why a condensation ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    MaxMessages,
    ContextLength,
}

/// The condenser's state: the current summary, if any (it sits at `history[head]`).
#[derive(Debug)]
pub struct Condenser {
    config: CondenserConfig,
    summary: Option<String>,
    count: u32,
}

impl Condenser {
    pub fn new(config: &CondenserConfig) -> Condenser {
        Condenser {
            config: config.clone(),
            summary: None,
            count: 0,
        }
    }

    /// Condenses `history` when the policy says so (always tries for a context overflow).
    /// `Ok(true)` when the history was changed.
    pub fn condense(
        &mut self,
        host: &mut impl Host,
        history: &mut Vec<Message>,
        reason: Reason,
    ) -> Result<bool, End> {
        if !self.config.enabled {
            return Ok(false);
        }
        let policy = Policy {
            max_messages: self.config.max_messages,
            keep_first: self.config.keep_first,
        };
        let force = reason == Reason::ContextLength;
        let Some(cut) = plan(history, policy, self.summary.is_some(), force) else {
            return Ok(false);
        };
        let skip = usize::from(self.summary.is_some());
        let events = &history[cut.head + skip..cut.tail_start];
        let request = [
            Message::system(SUMMARIZER_PROMPT),
            Message::user(summarizer_input(
                self.summary.as_deref(),
                cut.head + skip,
                events,
            )),
        ];
        let params = Params::purpose(Purpose::Condense);
        let completion = host.complete(&request, &[], &params).map_err(llm_end)?;
        let summary = completion.message.text().trim().to_string();

        let before = (history.len(), size(history));
        let forgotten = events.len();
        let summary_message = Message::user(format!("{SUMMARY_HEADER}{summary}"));
        history.splice(cut.forgotten(), [summary_message]);
        self.count += 1;
        let after = (history.len(), size(history));
        let data = json!({
            "reason": match reason { Reason::MaxMessages => "max_messages", Reason::ContextLength => "context_length" },
            "condensation": self.count,
            "forgotten_messages": forgotten,
            "replaced_previous_summary": skip == 1,
            "kept_head": cut.head,
            "kept_tail": history.len() - cut.head - 1,
            "messages_before": before.0,
            "messages_after": after.0,
            "chars_before": before.1,
            "chars_after": after.1,
            "approx_tokens_before": before.1 / 4,
            "approx_tokens_after": after.1 / 4,
            "summary_call_id": completion.call_id,
            "summary": summary,
        });
        host.note("condensation", &data.to_string());
        host.log(
            Level::Info,
            &format!(
                "openhands: condensed {} -> {} messages ({forgotten} forgotten)",
                before.0, after.0
            ),
        );
        self.summary = Some(summary);
        Ok(true)
    }
}

/// The summarizer's user message: the previous summary, then each forgotten message as an
/// `<EVENT id=N>` block (N = its index in the history).
fn summarizer_input(previous: Option<&str>, first_index: usize, events: &[Message]) -> String {
    let mut text = String::new();
    if let Some(previous) = previous {
        text.push_str(&format!(
            "<PREVIOUS SUMMARY>\n{previous}\n</PREVIOUS SUMMARY>\n\n"
        ));
    }
    for (i, message) in events.iter().enumerate() {
        let mut body = message.text();
        for call in &message.tool_calls {
            body.push_str(&format!(
                "\n[tool call {}: {}]",
                call.name, call.raw_arguments
            ));
        }
        let body = match body.char_indices().nth(MAX_EVENT_LENGTH) {
            Some((cut, _)) => format!("{}\n[... cut ...]", &body[..cut]),
            None => body,
        };
        let role = match message.role {
            Role::System => "SYSTEM",
            Role::User => "USER",
            Role::Assistant => "ASSISTANT",
            Role::Tool => "TOOL RESULT",
        };
        text.push_str(&format!(
            "<EVENT id={}>\n{role}: {body}\n</EVENT>\n",
            first_index + i
        ));
    }
    text
}

/// Approximate size of a history in characters: texts and tool-call arguments.
pub fn size(history: &[Message]) -> usize {
    history
        .iter()
        .map(|m| {
            m.text().len()
                + m.tool_calls
                    .iter()
                    .map(|c| c.name.len() + c.raw_arguments.len())
                    .sum::<usize>()
        })
        .sum()
}

#[cfg(test)]
#[path = "condenser_tests.rs"]
mod tests;
