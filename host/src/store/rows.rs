//! The rows the store records and the [`Event`]s that carry them to the writer.
//!
//! Owns: plain row structs (one per table), the episode [`Status`] vocabulary and the
//! lossless text form of raw output bytes ([`escape_output`]); their conversion into
//! appended values lives in `columns.rs`.
//! Must never: talk to DuckDB, block, or lose bytes (action output that is not UTF-8 keeps
//! its raw bytes).

use chrono::{DateTime, Utc};
use serde_json::Value as Json;

/// How an attempt ended. Stored as plain VARCHAR (`as_str`).
///
/// `Completed`, `Truncated` and `PluginFault` are terminal: such an attempt gets its final
/// `episodes` row and the episode counts as done. `InfraError` and `Cancelled` attempts only
/// get their `attempts` row updated, so a re-run retries them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    Completed,
    Truncated,
    PluginFault,
    InfraError,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Completed,
        Status::Truncated,
        Status::PluginFault,
        Status::InfraError,
        Status::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Completed => "completed",
            Status::Truncated => "truncated",
            Status::PluginFault => "plugin_fault",
            Status::InfraError => "infra_error",
            Status::Cancelled => "cancelled",
        }
    }

    /// Terminal statuses finalise an episode (it is "done" and skipped on resume).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Status::Completed | Status::Truncated | Status::PluginFault
        )
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One invocation of synth (`runs`, one row; `RunFinished` fills the end). The DuckDB
/// version column is filled by the store itself.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    pub run_id: String,
    pub started_at: DateTime<Utc>,
    /// The command-line arguments (JSON array or object).
    pub args: Json,
    pub synth_version: String,
    pub synth_revision: Option<String>,
    pub wasmtime_version: String,
    pub hostname: Option<String>,
    pub config: Json,
}

/// The end of a run: `runs.finished_at` and `runs.summary`.
#[derive(Clone, Debug, PartialEq)]
pub struct RunFinish {
    pub run_id: String,
    pub finished_at: DateTime<Utc>,
    pub summary: Json,
}

/// The start of one attempt at an episode (`attempts`, status `running`).
#[derive(Clone, Debug, PartialEq)]
pub struct AttemptRow {
    pub attempt_id: String,
    pub episode_key: String,
    pub run_id: String,
    pub started_at: DateTime<Utc>,
}

/// The end of an attempt, whatever its status (updates its `attempts` row).
#[derive(Clone, Debug, PartialEq)]
pub struct AttemptEnd {
    pub attempt_id: String,
    pub ended_at: DateTime<Utc>,
    pub status: Status,
    pub termination: Option<String>,
    pub error: Option<String>,
}

/// The final row of an attempt that ended in a terminal status. Send it last: the attempt
/// counts as finalised once this row is committed.
#[derive(Clone, Debug, PartialEq)]
pub struct EpisodeRow {
    pub episode_key: String,
    pub attempt_id: String,
    pub run_id: String,
    pub instance_id: String,
    pub template_id: String,
    pub category: String,
    pub difficulty: String,
    pub scaffold: String,
    pub scaffold_version: String,
    pub scaffold_hash: String,
    pub scaffold_config: Json,
    pub model: String,
    pub sampling: Json,
    pub sample: u32,
    pub status: Status,
    pub termination: Option<String>,
    pub reward: Option<f64>,
    pub resolved: Option<bool>,
    pub steps: u32,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cached_tokens: u64,
    pub cost_usd: f64,
    pub wall_ms: u64,
    pub image_id: Option<String>,
    pub patch: Option<String>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
}

/// One step: an agent-purpose LLM call and the sandbox operations that follow it.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRow {
    pub episode_key: String,
    pub attempt_id: String,
    pub step_index: u32,
    pub llm_call_id: Option<String>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub n_actions: u32,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// A message, content-addressed by `message_hash`: stored once per file (the writer skips
/// hashes it has already stored).
#[derive(Clone, Debug, PartialEq)]
pub struct MessageRow {
    pub message_hash: String,
    pub role: String,
    /// The content parts, as JSON.
    pub content: Json,
    /// The tool calls, as JSON (an empty array when there are none).
    pub tool_calls: Json,
    pub tool_call_id: Option<String>,
    pub name: Option<String>,
    /// The concatenated text parts, for search.
    pub text: String,
}

/// Which messages, in which order, one LLM call saw: one `llm_call_messages` row per hash,
/// `position` = index in `message_hashes`.
#[derive(Clone, Debug, PartialEq)]
pub struct CallMessagesRow {
    pub call_id: String,
    pub episode_key: String,
    pub attempt_id: String,
    pub step_index: u32,
    pub message_hashes: Vec<String>,
}

/// One HTTP attempt of an LLM call (or one built-in answer).
#[derive(Clone, Debug, PartialEq)]
pub struct LlmCallRow {
    pub call_id: String,
    /// 1-based number of the HTTP attempt within the call.
    pub attempt_no: u32,
    pub episode_key: String,
    pub attempt_id: String,
    pub step_index: u32,
    pub purpose: String,
    pub provider: String,
    pub model: String,
    pub request_hash: String,
    /// The exact body sent (never an API key).
    pub request_body: String,
    pub response_body: Option<String>,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub latency_ms: u64,
    /// Backoff waited before this attempt.
    pub wait_ms: u64,
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    pub cached_tokens: Option<u64>,
    pub reasoning_tokens: Option<u64>,
    pub cost_usd: f64,
    pub finish_reason: Option<String>,
    pub response_message_hash: Option<String>,
    pub started_at: DateTime<Utc>,
}

/// One sandbox operation. `output` holds the raw bytes; the store writes `output` as text
/// (invalid UTF-8 escaped as `\xNN`) and, only when the bytes are not valid UTF-8, the raw
/// bytes into `output_raw`.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionRow {
    pub episode_key: String,
    pub attempt_id: String,
    pub step_index: u32,
    pub seq: u32,
    /// exec | poll | send_input | interrupt | read_file | write_file | list_dir | stat
    pub op: String,
    /// The command or the path.
    pub target: Option<String>,
    pub exit_code: Option<i32>,
    pub output: Vec<u8>,
    pub truncated: bool,
    pub timed_out: bool,
    pub still_running: bool,
    pub error: Option<String>,
    pub duration_ms: u64,
    pub started_at: DateTime<Utc>,
}

/// The sealed-test verification of an attempt. `output` is raw bytes, stored like
/// [`ActionRow::output`].
#[derive(Clone, Debug, PartialEq)]
pub struct VerificationRow {
    pub episode_key: String,
    pub attempt_id: String,
    pub command: String,
    pub exit_code: Option<i32>,
    pub passed: bool,
    pub timed_out: bool,
    pub output: Vec<u8>,
    pub duration_ms: u64,
    /// The workspace diff taken before the tests went in.
    pub patch: Option<String>,
    pub started_at: DateTime<Utc>,
}

/// A reward or score: per episode (`step_index` None) or per step.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreRow {
    pub episode_key: String,
    pub attempt_id: String,
    /// Who produced it: `verifier`, or a scorer plugin's name.
    pub source: String,
    pub name: String,
    pub value: f64,
    pub step_index: Option<u32>,
    pub detail: Option<String>,
}

/// A note: log lines, captured plugin stderr, trajectory notes such as condensations.
#[derive(Clone, Debug, PartialEq)]
pub struct NoteRow {
    pub episode_key: String,
    pub attempt_id: String,
    pub step_index: Option<u32>,
    /// log | stderr | condensation | ... (a trajectory note's own kind)
    pub kind: String,
    pub level: Option<String>,
    pub data: String,
    pub created_at: DateTime<Utc>,
}

/// Everything the writer records. Events of one attempt must be sent in order, ending with
/// either [`Event::EpisodeFinal`] (terminal status: it appends the `episodes` row and ends
/// the attempt in `attempts`, in one transaction) or [`Event::AttemptEnded`] (infra error,
/// cancellation: the attempt ends without finalising its episode).
#[derive(Clone, Debug, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "events are moved once through the channel; boxing would burden every caller"
)]
pub enum Event {
    RunStarted(RunRow),
    RunFinished(RunFinish),
    AttemptStarted(AttemptRow),
    AttemptEnded(AttemptEnd),
    Step(StepRow),
    Message(MessageRow),
    CallMessages(CallMessagesRow),
    LlmCall(LlmCallRow),
    Action(ActionRow),
    Verification(VerificationRow),
    Score(ScoreRow),
    Note(NoteRow),
    EpisodeFinal(EpisodeRow),
}

/// Valid UTF-8 as is; otherwise every invalid byte escaped as `\xNN` and the raw bytes kept.
pub fn escape_output(bytes: &[u8]) -> (String, Option<Vec<u8>>) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_owned(), None),
        Err(_) => {
            let mut out = String::with_capacity(bytes.len() + 16);
            for chunk in bytes.utf8_chunks() {
                out.push_str(chunk.valid());
                for b in chunk.invalid() {
                    out.push_str(&format!("\\x{b:02X}"));
                }
            }
            (out, Some(bytes.to_vec()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trips_and_terminal_set() {
        for st in Status::ALL {
            assert_eq!(Status::parse(st.as_str()), Some(st));
        }
        let terminal: Vec<_> = Status::ALL
            .into_iter()
            .filter(|s| s.is_terminal())
            .collect();
        assert_eq!(
            terminal,
            [Status::Completed, Status::Truncated, Status::PluginFault]
        );
        assert_eq!(Status::parse("running"), None);
    }

    #[test]
    fn escape_output_is_lossless_for_invalid_utf8() {
        assert_eq!(escape_output(b"ok \xE2\x9C\x93"), ("ok ✓".to_owned(), None));
        let bytes = b"a\xFFb\xC3";
        let (s, raw) = escape_output(bytes);
        assert_eq!(s, "a\\xFFb\\xC3");
        assert_eq!(raw.as_deref(), Some(&bytes[..]));
    }
}
