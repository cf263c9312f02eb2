//! Records what crosses the plugin boundary during one episode attempt, as store rows:
//! every LLM call attempt with the messages it saw (content-addressed), every sandbox
//! operation, the steps they form, and the plugin's notes and logs. It also keeps the
//! episode's running totals. A step is one agent-purpose LLM call and the sandbox operations
//! that follow it; operations before the first call belong to step 0.
//! It only sends rows to the store's writer: it must never read from or block on the store.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::llm::{self, CallOutcome, Request};
use crate::sandbox::{DirEntry, ExecOutput, FileStat, SandboxError};
use crate::store::{self, Event, Writer};

/// Bytes of a file read or command output kept in an action row (the plugin still gets all).
const ACTION_OUTPUT_CAP: usize = 256 * 1024;

/// Running totals of one episode attempt.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct EpisodeTotals {
    pub steps: u32,
    pub llm_calls: u32,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cached_tokens: u64,
    pub cost_usd: f64,
    pub actions: u32,
    /// LLM calls that failed at the provider after retries.
    pub provider_failures: u32,
    /// Sandbox operations that failed because the container or shell broke.
    pub infrastructure_failures: u32,
    pub step_limit_hit: bool,
    pub dropped_log_lines: u64,
}

/// What a scorer learns of one step.
#[derive(Debug, Clone, Default)]
pub struct StepSummary {
    pub index: u32,
    pub tool_names: Vec<String>,
    pub exit_codes: Vec<Option<i32>>,
}

/// One sandbox operation, ready to become an `actions` row.
pub struct ActionRecord {
    pub op: &'static str,
    pub target: String,
    pub exit_code: Option<i32>,
    pub output: Option<Vec<u8>>,
    pub truncated: bool,
    pub timed_out: bool,
    pub still_running: bool,
    pub error: Option<String>,
    pub infrastructure_failure: bool,
    pub duration: Duration,
    pub started_at: DateTime<Utc>,
}

/// What an operation's successful result contributes to its action row.
pub trait ActionOutput {
    fn describe(&self) -> (Option<i32>, Option<Vec<u8>>, bool, bool, bool);
}

impl ActionOutput for ExecOutput {
    fn describe(&self) -> (Option<i32>, Option<Vec<u8>>, bool, bool, bool) {
        (
            self.exit_code,
            Some(self.output.clone()),
            self.truncated,
            self.timed_out,
            self.still_running,
        )
    }
}

impl ActionOutput for Vec<u8> {
    fn describe(&self) -> (Option<i32>, Option<Vec<u8>>, bool, bool, bool) {
        (None, Some(self.clone()), false, false, false)
    }
}

impl ActionOutput for () {
    fn describe(&self) -> (Option<i32>, Option<Vec<u8>>, bool, bool, bool) {
        (None, None, false, false, false)
    }
}

impl ActionOutput for Vec<DirEntry> {
    fn describe(&self) -> (Option<i32>, Option<Vec<u8>>, bool, bool, bool) {
        let listing: Vec<String> = self
            .iter()
            .map(|e| format!("{:?}\t{}\t{}", e.kind, e.size, e.name))
            .collect();
        (
            None,
            Some(listing.join("\n").into_bytes()),
            false,
            false,
            false,
        )
    }
}

impl ActionOutput for FileStat {
    fn describe(&self) -> (Option<i32>, Option<Vec<u8>>, bool, bool, bool) {
        let text = format!(
            "{{\"kind\":\"{:?}\",\"size\":{},\"mode\":{},\"modified\":{}}}",
            self.kind, self.size, self.mode, self.modified
        );
        (None, Some(text.into_bytes()), false, false, false)
    }
}

impl ActionRecord {
    pub fn from_result<T: ActionOutput>(
        op: &'static str,
        target: String,
        result: &Result<T, SandboxError>,
        duration: Duration,
    ) -> ActionRecord {
        match result {
            Ok(v) => {
                let (exit_code, output, truncated, timed_out, still_running) = v.describe();
                let mut output = output;
                let mut truncated = truncated;
                if let Some(o) = output.as_mut()
                    && o.len() > ACTION_OUTPUT_CAP
                {
                    o.truncate(ACTION_OUTPUT_CAP);
                    truncated = true;
                }
                ActionRecord {
                    op,
                    target,
                    exit_code,
                    output,
                    truncated,
                    timed_out,
                    still_running,
                    error: None,
                    infrastructure_failure: false,
                    duration,
                    started_at: Utc::now() - duration,
                }
            }
            Err(e) => ActionRecord {
                op,
                target,
                exit_code: None,
                output: None,
                truncated: false,
                timed_out: false,
                still_running: false,
                error: Some(e.to_string()),
                infrastructure_failure: matches!(e, SandboxError::Infrastructure(_)),
                duration,
                started_at: Utc::now() - duration,
            },
        }
    }
}

struct OpenStep {
    index: u32,
    llm_call_id: Option<String>,
    started_at: DateTime<Utc>,
    n_actions: u32,
    prompt_tokens: u64,
    completion_tokens: u64,
}

/// Turns one attempt's boundary crossings into store rows.
pub struct Recorder {
    writer: Writer,
    episode_key: String,
    attempt_id: String,
    sample: u32,
    action_seq: u32,
    open: OpenStep,
    sent_messages: HashSet<String>,
    totals: EpisodeTotals,
    summaries: Vec<StepSummary>,
}

impl Recorder {
    pub fn new(writer: Writer, episode_key: &str, attempt_id: &str, sample: u32) -> Recorder {
        Recorder {
            writer,
            episode_key: episode_key.to_string(),
            attempt_id: attempt_id.to_string(),
            sample,
            action_seq: 0,
            open: OpenStep {
                index: 0,
                llm_call_id: None,
                started_at: Utc::now(),
                n_actions: 0,
                prompt_tokens: 0,
                completion_tokens: 0,
            },
            sent_messages: HashSet::new(),
            totals: EpisodeTotals::default(),
            summaries: vec![StepSummary::default()],
        }
    }

    pub fn episode_key(&self) -> &str {
        &self.episode_key
    }

    pub fn attempt_id(&self) -> &str {
        &self.attempt_id
    }

    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    /// Agent-purpose calls made so far.
    pub fn steps(&self) -> u32 {
        self.totals.steps
    }

    pub fn totals(&self) -> &EpisodeTotals {
        &self.totals
    }

    pub fn step_summaries(&self) -> &[StepSummary] {
        &self.summaries
    }

    pub fn mark_step_limit(&mut self) {
        self.totals.step_limit_hit = true;
    }

    pub fn count_dropped_log(&mut self) {
        self.totals.dropped_log_lines += 1;
    }

    /// Closes the open step and opens the next one (an agent-purpose call is starting).
    pub fn begin_step(&mut self) {
        self.close_step();
        self.totals.steps += 1;
        self.open = OpenStep {
            index: self.totals.steps,
            llm_call_id: None,
            started_at: Utc::now(),
            n_actions: 0,
            prompt_tokens: 0,
            completion_tokens: 0,
        };
        self.summaries.push(StepSummary {
            index: self.totals.steps,
            ..StepSummary::default()
        });
    }

    fn close_step(&mut self) {
        let o = &self.open;
        if o.index == 0 && o.n_actions == 0 {
            return;
        }
        self.writer.send(Event::Step(store::StepRow {
            episode_key: self.episode_key.clone(),
            attempt_id: self.attempt_id.clone(),
            step_index: o.index,
            llm_call_id: o.llm_call_id.clone(),
            started_at: o.started_at,
            ended_at: Some(Utc::now()),
            n_actions: o.n_actions,
            prompt_tokens: o.prompt_tokens,
            completion_tokens: o.completion_tokens,
        }));
    }

    /// Closes the last step; call once when the scaffold has returned.
    pub fn finish(&mut self) {
        self.close_step();
        self.open.n_actions = 0;
        self.open.index = 0;
    }

    fn send_message(&mut self, m: &llm::Message) -> String {
        let hash = m.content_hash();
        if self.sent_messages.insert(hash.clone()) {
            self.writer.send(Event::Message(message_row(&hash, m)));
        }
        hash
    }

    /// Records one LLM call (all its attempts) and returns the call id given to the plugin.
    pub fn llm_call(&mut self, model: &str, request: &Request, outcome: &CallOutcome) -> String {
        let call_id = uuid::Uuid::now_v7().to_string();
        let step_index = self.open.index;
        let purpose = json_name(&request.params.purpose);
        let message_hashes = request
            .messages
            .iter()
            .map(|m| self.send_message(m))
            .collect();
        self.writer
            .send(Event::CallMessages(store::CallMessagesRow {
                call_id: call_id.clone(),
                episode_key: self.episode_key.clone(),
                attempt_id: self.attempt_id.clone(),
                step_index,
                message_hashes,
            }));
        crate::failpoint::hit("record.between_step_rows");
        let (response_hash, finish_reason) = match &outcome.result {
            Ok(c) => (
                Some(self.send_message(&c.message)),
                Some(json_name(&c.finish_reason)),
            ),
            Err(_) => (None, None),
        };
        let last = outcome.attempts.len().saturating_sub(1);
        let request_hash = llm::request_hash(model, request, self.sample);
        for (i, a) in outcome.attempts.iter().enumerate() {
            let is_final_success = i == last && outcome.result.is_ok();
            self.writer.send(Event::LlmCall(store::LlmCallRow {
                call_id: call_id.clone(),
                attempt_no: a.attempt,
                episode_key: self.episode_key.clone(),
                attempt_id: self.attempt_id.clone(),
                step_index,
                purpose: purpose.to_string(),
                provider: a.provider.clone(),
                model: a.model.clone(),
                request_hash: request_hash.clone(),
                request_body: a.request_body.clone(),
                response_body: a.response_body.clone(),
                status: a.status,
                error: a.error.clone(),
                latency_ms: a.latency.as_millis() as u64,
                wait_ms: a.wait_before.as_millis() as u64,
                prompt_tokens: a.usage.as_ref().map(|u| u.prompt_tokens),
                completion_tokens: a.usage.as_ref().map(|u| u.completion_tokens),
                cached_tokens: a.usage.as_ref().map(|u| u.cached_tokens),
                reasoning_tokens: a.usage.as_ref().map(|u| u.reasoning_tokens),
                cost_usd: a.cost_usd,
                finish_reason: if is_final_success {
                    finish_reason.clone()
                } else {
                    None
                },
                response_message_hash: if is_final_success {
                    response_hash.clone()
                } else {
                    None
                },
                started_at: a.started_at,
            }));
            self.totals.cost_usd += a.cost_usd;
        }
        self.totals.llm_calls += 1;
        match &outcome.result {
            Ok(c) => {
                let u = &c.usage;
                self.totals.prompt_tokens += u.prompt_tokens;
                self.totals.completion_tokens += u.completion_tokens;
                self.totals.cached_tokens += u.cached_tokens;
                self.open.prompt_tokens += u.prompt_tokens;
                self.open.completion_tokens += u.completion_tokens;
                if request.params.purpose == llm::Purpose::Agent {
                    self.open.llm_call_id = Some(call_id.clone());
                    if let Some(s) = self.summaries.last_mut() {
                        s.tool_names = c
                            .message
                            .tool_calls
                            .iter()
                            .map(|t| t.name.clone())
                            .collect();
                    }
                }
            }
            Err(llm::LlmError::Provider(_)) => self.totals.provider_failures += 1,
            Err(_) => {}
        }
        call_id
    }

    /// Records one sandbox operation.
    pub fn action(&mut self, a: ActionRecord) {
        self.action_seq += 1;
        self.open.n_actions += 1;
        self.totals.actions += 1;
        if a.infrastructure_failure {
            self.totals.infrastructure_failures += 1;
        }
        if a.op == "exec"
            && let Some(s) = self.summaries.last_mut()
        {
            s.exit_codes.push(a.exit_code);
        }
        self.writer.send(Event::Action(store::ActionRow {
            episode_key: self.episode_key.clone(),
            attempt_id: self.attempt_id.clone(),
            step_index: self.open.index,
            seq: self.action_seq,
            op: a.op.to_string(),
            target: Some(a.target),
            exit_code: a.exit_code,
            output: a.output.unwrap_or_default(),
            truncated: a.truncated,
            timed_out: a.timed_out,
            still_running: a.still_running,
            error: a.error,
            duration_ms: a.duration.as_millis() as u64,
            started_at: a.started_at,
        }));
        crate::failpoint::hit("record.after_action");
    }

    /// Records a note (a plugin log line, a trajectory note, captured stderr).
    pub fn note(&mut self, kind: &str, level: Option<&str>, data: String) {
        self.writer.send(Event::Note(store::NoteRow {
            episode_key: self.episode_key.clone(),
            attempt_id: self.attempt_id.clone(),
            step_index: Some(self.open.index),
            kind: kind.to_string(),
            level: level.map(str::to_string),
            data,
            created_at: Utc::now(),
        }));
    }
}

/// The content-addressed row of one message (JSON validated by construction: serde).
fn message_row(hash: &str, m: &llm::Message) -> store::MessageRow {
    store::MessageRow {
        message_hash: hash.to_string(),
        role: json_name(&m.role),
        content: serde_json::to_value(&m.content).unwrap_or_default(),
        tool_calls: serde_json::to_value(&m.tool_calls).unwrap_or_default(),
        tool_call_id: m.tool_call_id.clone(),
        name: m.name.clone(),
        text: m.text(),
    }
}

/// The serde name of a unit enum value (`agent`, `tool_calls`, ...).
fn json_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
