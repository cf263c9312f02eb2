//! Conversion of each row into the exact values appended to its table.
//!
//! Owns: the column list of every appended table (`*_COLUMNS`, right beside its `*_values`
//! function so the two cannot drift apart) and the Rust-to-DuckDB value mapping (times as
//! microsecond TIMESTAMPs, counts as INTEGER/BIGINT, JSON serialised with serde_json so the
//! writer never appends text that is not JSON). Must never: talk to DuckDB or drop bytes.

use chrono::{DateTime, Utc};
use duckdb::types::{TimeUnit, Value};
use serde_json::Value as Json;

use super::rows::{
    ActionRow, CallMessagesRow, EpisodeRow, LlmCallRow, MessageRow, NoteRow, ScoreRow, StepRow,
    VerificationRow, escape_output,
};

pub(crate) fn ts(t: &DateTime<Utc>) -> Value {
    Value::Timestamp(TimeUnit::Microsecond, t.timestamp_micros())
}

fn opt_ts(t: &Option<DateTime<Utc>>) -> Value {
    t.as_ref().map_or(Value::Null, ts)
}

pub(crate) fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

pub(crate) fn opt_text(s: &Option<String>) -> Value {
    s.as_ref().map_or(Value::Null, |s| Value::Text(s.clone()))
}

/// Saturating: DuckDB BIGINT is signed; counts above i64::MAX do not occur in practice.
fn big(n: u64) -> Value {
    Value::BigInt(i64::try_from(n).unwrap_or(i64::MAX))
}

fn opt_big(n: Option<u64>) -> Value {
    n.map_or(Value::Null, big)
}

/// INTEGER columns (indexes and small counts); saturating at i32::MAX.
fn int(n: u32) -> Value {
    Value::Int(i32::try_from(n).unwrap_or(i32::MAX))
}

fn opt_int(n: Option<u32>) -> Value {
    n.map_or(Value::Null, int)
}

/// Serialises a JSON value (serde guarantees valid JSON text).
pub(crate) fn json(v: &Json) -> Result<Value, String> {
    serde_json::to_string(v)
        .map(Value::Text)
        .map_err(|e| format!("cannot serialise a JSON column: {e}"))
}

fn output_values(bytes: &[u8]) -> [Value; 3] {
    let (text, raw) = escape_output(bytes);
    [
        Value::Text(text),
        raw.map_or(Value::Null, Value::Blob),
        big(bytes.len() as u64),
    ]
}

pub(crate) const EPISODE_COLUMNS: &[&str] = &[
    "episode_key",
    "attempt_id",
    "run_id",
    "instance_id",
    "template_id",
    "category",
    "difficulty",
    "scaffold",
    "scaffold_version",
    "scaffold_hash",
    "scaffold_config",
    "model",
    "sampling",
    "sample",
    "status",
    "termination",
    "reward",
    "resolved",
    "steps",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "cost_usd",
    "wall_ms",
    "image_id",
    "patch",
    "started_at",
    "ended_at",
];

pub(crate) fn episode_values(r: &EpisodeRow) -> Result<Vec<Value>, String> {
    Ok(vec![
        text(&r.episode_key),
        text(&r.attempt_id),
        text(&r.run_id),
        text(&r.instance_id),
        text(&r.template_id),
        text(&r.category),
        text(&r.difficulty),
        text(&r.scaffold),
        text(&r.scaffold_version),
        text(&r.scaffold_hash),
        json(&r.scaffold_config)?,
        text(&r.model),
        json(&r.sampling)?,
        int(r.sample),
        text(r.status.as_str()),
        opt_text(&r.termination),
        r.reward.map_or(Value::Null, Value::Double),
        r.resolved.map_or(Value::Null, Value::Boolean),
        int(r.steps),
        big(r.prompt_tokens),
        big(r.completion_tokens),
        big(r.cached_tokens),
        Value::Double(r.cost_usd),
        big(r.wall_ms),
        opt_text(&r.image_id),
        opt_text(&r.patch),
        ts(&r.started_at),
        ts(&r.ended_at),
    ])
}

pub(crate) const STEP_COLUMNS: &[&str] = &[
    "episode_key",
    "attempt_id",
    "step_index",
    "llm_call_id",
    "started_at",
    "ended_at",
    "n_actions",
    "prompt_tokens",
    "completion_tokens",
];

pub(crate) fn step_values(r: &StepRow) -> Vec<Value> {
    vec![
        text(&r.episode_key),
        text(&r.attempt_id),
        int(r.step_index),
        opt_text(&r.llm_call_id),
        ts(&r.started_at),
        opt_ts(&r.ended_at),
        int(r.n_actions),
        big(r.prompt_tokens),
        big(r.completion_tokens),
    ]
}

pub(crate) const MESSAGE_COLUMNS: &[&str] = &[
    "message_hash",
    "role",
    "content",
    "tool_calls",
    "tool_call_id",
    "name",
    "text",
];

pub(crate) fn message_values(r: &MessageRow) -> Result<Vec<Value>, String> {
    Ok(vec![
        text(&r.message_hash),
        text(&r.role),
        json(&r.content)?,
        json(&r.tool_calls)?,
        opt_text(&r.tool_call_id),
        opt_text(&r.name),
        text(&r.text),
    ])
}

pub(crate) const CALL_MESSAGE_COLUMNS: &[&str] = &[
    "call_id",
    "episode_key",
    "attempt_id",
    "step_index",
    "position",
    "message_hash",
];

pub(crate) fn call_message_values(r: &CallMessagesRow) -> Vec<Vec<Value>> {
    r.message_hashes
        .iter()
        .enumerate()
        .map(|(pos, hash)| {
            vec![
                text(&r.call_id),
                text(&r.episode_key),
                text(&r.attempt_id),
                int(r.step_index),
                int(u32::try_from(pos).unwrap_or(u32::MAX)),
                text(hash),
            ]
        })
        .collect()
}

pub(crate) const LLM_CALL_COLUMNS: &[&str] = &[
    "call_id",
    "attempt_no",
    "episode_key",
    "attempt_id",
    "step_index",
    "purpose",
    "provider",
    "model",
    "request_hash",
    "request_body",
    "response_body",
    "status",
    "error",
    "latency_ms",
    "wait_ms",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "reasoning_tokens",
    "cost_usd",
    "finish_reason",
    "response_message_hash",
    "started_at",
];

pub(crate) fn llm_call_values(r: &LlmCallRow) -> Vec<Value> {
    vec![
        text(&r.call_id),
        int(r.attempt_no),
        text(&r.episode_key),
        text(&r.attempt_id),
        int(r.step_index),
        text(&r.purpose),
        text(&r.provider),
        text(&r.model),
        text(&r.request_hash),
        text(&r.request_body),
        opt_text(&r.response_body),
        r.status.map_or(Value::Null, |s| Value::Int(i32::from(s))),
        opt_text(&r.error),
        big(r.latency_ms),
        big(r.wait_ms),
        opt_big(r.prompt_tokens),
        opt_big(r.completion_tokens),
        opt_big(r.cached_tokens),
        opt_big(r.reasoning_tokens),
        Value::Double(r.cost_usd),
        opt_text(&r.finish_reason),
        opt_text(&r.response_message_hash),
        ts(&r.started_at),
    ]
}

pub(crate) const ACTION_COLUMNS: &[&str] = &[
    "episode_key",
    "attempt_id",
    "step_index",
    "seq",
    "op",
    "target",
    "exit_code",
    "output",
    "output_raw",
    "output_bytes",
    "truncated",
    "timed_out",
    "still_running",
    "error",
    "duration_ms",
    "started_at",
];

pub(crate) fn action_values(r: &ActionRow) -> Vec<Value> {
    let [out, raw, n] = output_values(&r.output);
    vec![
        text(&r.episode_key),
        text(&r.attempt_id),
        int(r.step_index),
        int(r.seq),
        text(&r.op),
        opt_text(&r.target),
        r.exit_code.map_or(Value::Null, Value::Int),
        out,
        raw,
        n,
        Value::Boolean(r.truncated),
        Value::Boolean(r.timed_out),
        Value::Boolean(r.still_running),
        opt_text(&r.error),
        big(r.duration_ms),
        ts(&r.started_at),
    ]
}

pub(crate) const VERIFICATION_COLUMNS: &[&str] = &[
    "episode_key",
    "attempt_id",
    "command",
    "exit_code",
    "passed",
    "timed_out",
    "output",
    "output_raw",
    "output_bytes",
    "duration_ms",
    "patch",
    "started_at",
];

pub(crate) fn verification_values(r: &VerificationRow) -> Vec<Value> {
    let [out, raw, n] = output_values(&r.output);
    vec![
        text(&r.episode_key),
        text(&r.attempt_id),
        text(&r.command),
        r.exit_code.map_or(Value::Null, Value::Int),
        Value::Boolean(r.passed),
        Value::Boolean(r.timed_out),
        out,
        raw,
        n,
        big(r.duration_ms),
        opt_text(&r.patch),
        ts(&r.started_at),
    ]
}

pub(crate) const SCORE_COLUMNS: &[&str] = &[
    "episode_key",
    "attempt_id",
    "source",
    "name",
    "value",
    "step_index",
    "detail",
];

pub(crate) fn score_values(r: &ScoreRow) -> Vec<Value> {
    vec![
        text(&r.episode_key),
        text(&r.attempt_id),
        text(&r.source),
        text(&r.name),
        Value::Double(r.value),
        opt_int(r.step_index),
        opt_text(&r.detail),
    ]
}

pub(crate) const NOTE_COLUMNS: &[&str] = &[
    "episode_key",
    "attempt_id",
    "step_index",
    "kind",
    "level",
    "data",
    "created_at",
];

pub(crate) fn note_values(r: &NoteRow) -> Vec<Value> {
    vec![
        text(&r.episode_key),
        text(&r.attempt_id),
        opt_int(r.step_index),
        text(&r.kind),
        opt_text(&r.level),
        text(&r.data),
        ts(&r.created_at),
    ]
}
