//! The host side of the scaffold world's imports for one episode: `llm`, `sandbox`, `log`,
//! `trajectory` (and WASI through an empty context). Each call is checked against the
//! episode's budgets, forwarded to the sandbox or the router, and recorded as it passes.
//! A store built for `describe` carries no services: every import then fails cleanly.
//! It also bounds what a plugin can push through them: request size, model calls past the
//! step limit, log lines and notes per episode; and it tells the epoch callback which
//! ticks were spent waiting on the host, not computing.
//! This module must never hand a plugin anything the contract does not name.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::convert;
use super::engine::EPOCH_TICK;
use super::limits::{EpisodeLimiter, MAX_TABLE_ELEMENTS};
use super::record::{ActionRecord, Recorder};
use super::v0_1_0::scaffold::synth::plugin::{
    llm as wllm, log as wlog, sandbox as wsb, trajectory as wtraj, types as wt,
};
use super::wasi::{GuestOutput, sandboxed_ctx};
use crate::llm::{self, EpisodeContext, Router};
use crate::sandbox::{self, Sandbox};

/// Budgets of one scaffold run.
#[derive(Debug, Clone)]
pub struct RunLimits {
    /// Linear memory cap, in bytes, summed over all of the component's memories.
    pub memory_bytes: usize,
    /// Guest CPU time (epoch ticks while guest code runs).
    pub cpu_budget: Duration,
    /// Wall-clock budget of the whole `run` call.
    pub wall_budget: Duration,
    /// Agent-purpose LLM calls allowed.
    pub max_steps: u32,
    /// Log lines recorded per episode; later ones are counted and dropped.
    pub max_log_lines: u32,
    /// Bytes kept of one log line.
    pub max_log_line: usize,
}

impl RunLimits {
    pub fn for_describe() -> RunLimits {
        RunLimits {
            memory_bytes: 256 << 20,
            cpu_budget: Duration::from_secs(10),
            wall_budget: Duration::from_secs(30),
            max_steps: 0,
            max_log_lines: 100,
            max_log_line: 4096,
        }
    }
}

/// Run-level sampling parameters, filled into agent calls that leave them unset. They are
/// part of the episode key.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SamplingDefaults {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
}

impl SamplingDefaults {
    pub fn apply(&self, p: &mut llm::Params) {
        p.temperature = p.temperature.or(self.temperature);
        p.top_p = p.top_p.or(self.top_p);
        p.max_tokens = p.max_tokens.or(self.max_tokens);
    }
}

/// What an episode's imports reach: its sandbox, the router, and the recorder.
pub struct EpisodeServices {
    pub sandbox: Arc<Sandbox>,
    pub router: Arc<Router>,
    /// The episode's model string, as `provider/model`.
    pub model: String,
    pub llm_context: EpisodeContext,
    pub sampling: SamplingDefaults,
    pub recorder: Recorder,
}

/// Bytes of messages and tool specs one model request may carry. A larger request is
/// refused before it reaches a provider (or the recorder), with an error the plugin sees.
pub const MAX_REQUEST_BYTES: usize = 16 << 20;

/// Bytes of trajectory notes recorded per episode (each note is also capped at
/// [`MAX_NOTE_BYTES`]); later notes are counted and dropped.
pub const MAX_NOTES_BYTES: usize = 16 << 20;
/// Bytes kept of one trajectory note.
pub const MAX_NOTE_BYTES: usize = 1 << 20;

/// Model calls of a purpose other than `agent` (which count as steps) allowed per episode:
/// this many per allowed step, plus [`EXTRA_OTHER_CALLS`].
pub const OTHER_CALLS_PER_STEP: u32 = 2;
pub const EXTRA_OTHER_CALLS: u32 = 8;

/// Why the host ended a run that was not trapping or out of budget on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostEnd {
    /// The plugin kept calling the model after it had been told its step limit was reached.
    StepLimitIgnored { max_steps: u32 },
}

/// The data of one plugin store.
pub struct EpisodeState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: EpisodeLimiter,
    pub(crate) output: GuestOutput,
    pub(crate) services: Option<EpisodeServices>,
    /// Epoch ticks counted as guest CPU time.
    pub(crate) cpu_ticks: u64,
    /// Epoch ticks not counted because the guest was waiting on a slow host call.
    pub(crate) waited_ticks: u64,
    pub(crate) cpu_budget_hit: bool,
    pub(crate) cpu_budget: Duration,
    /// Set by a host call that took at least one epoch tick: the next epoch callback is
    /// the one that call caused, and it does not count as guest CPU time.
    pub(crate) waited_on_host: bool,
    /// Set when the host decided to end the run; the next epoch callback interrupts it.
    pub(crate) end: Option<HostEnd>,
    max_steps: u32,
    max_log_lines: u32,
    max_log_line: usize,
    log_lines: u32,
    other_calls: u32,
    refused_after_limit: u32,
    notes_bytes: usize,
    dropped_notes: u32,
}

impl EpisodeState {
    pub fn new(
        seed: &str,
        services: Option<EpisodeServices>,
        limits: &RunLimits,
    ) -> (EpisodeState, GuestOutput) {
        let (wasi, output) = sandboxed_ctx(seed);
        (
            EpisodeState {
                wasi,
                table: ResourceTable::new(),
                limiter: EpisodeLimiter::new(limits.memory_bytes, MAX_TABLE_ELEMENTS),
                output: output.clone(),
                services,
                cpu_ticks: 0,
                waited_ticks: 0,
                cpu_budget_hit: false,
                cpu_budget: limits.cpu_budget,
                waited_on_host: false,
                end: None,
                max_steps: limits.max_steps,
                max_log_lines: limits.max_log_lines,
                max_log_line: limits.max_log_line,
                log_lines: 0,
                other_calls: 0,
                refused_after_limit: 0,
                notes_bytes: 0,
                dropped_notes: 0,
            },
            output,
        )
    }

    /// Called when a host call returns: one that took an epoch tick or more leaves the
    /// tick it caused uncounted.
    fn host_call_took(&mut self, started: Instant) {
        if started.elapsed() >= EPOCH_TICK {
            self.waited_on_host = true;
        }
    }

    /// Log lines dropped over the per-episode cap.
    pub(crate) fn dropped_log_lines(&self) -> u32 {
        self.log_lines.saturating_sub(self.max_log_lines)
    }

    /// Notes dropped over the per-episode byte budget.
    pub(crate) fn dropped_notes(&self) -> u32 {
        self.dropped_notes
    }
}

/// Bytes a request's messages and tools carry (text, arguments, schemas), counted from
/// the contract's records before anything is converted or sent.
fn request_bytes(messages: &[wt::Message], tools: &[wt::ToolSpec]) -> usize {
    let message_bytes: usize = messages
        .iter()
        .map(|m| {
            let content: usize = m
                .content
                .iter()
                .map(|p| match p {
                    wt::ContentPart::Text(t) => t.len(),
                    wt::ContentPart::Thinking(t) => {
                        t.text.len() + t.signature.as_ref().map_or(0, String::len)
                    }
                    wt::ContentPart::Opaque(j) => j.len(),
                })
                .sum();
            let calls: usize = m
                .tool_calls
                .iter()
                .map(|c| {
                    c.id.len()
                        + c.name.len()
                        + c.raw_arguments.len()
                        + match &c.parsed {
                            Ok(s) | Err(s) => s.len(),
                        }
                })
                .sum();
            content
                + calls
                + m.tool_call_id.as_ref().map_or(0, String::len)
                + m.name.as_ref().map_or(0, String::len)
        })
        .sum();
    let tool_bytes: usize = tools
        .iter()
        .map(|t| t.name.len() + t.description.len() + t.parameters.len())
        .sum();
    message_bytes + tool_bytes
}

impl WasiView for EpisodeState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

const NO_SERVICES: &str = "not available while the host calls `describe`";

impl wt::Host for EpisodeState {}

impl wllm::Host for EpisodeState {
    async fn complete(
        &mut self,
        messages: Vec<wt::Message>,
        tools: Vec<wt::ToolSpec>,
        params: wllm::Params,
    ) -> Result<wllm::Completion, wllm::LlmError> {
        let max_steps = self.max_steps;
        let Some(svc) = self.services.as_mut() else {
            return Err(wllm::LlmError::InvalidRequest(NO_SERVICES.into()));
        };
        let size = request_bytes(&messages, &tools);
        if size > MAX_REQUEST_BYTES {
            let reason = format!(
                "the request carries {size} bytes of messages and tools, over the host's limit of {} MiB per request",
                MAX_REQUEST_BYTES >> 20
            );
            svc.recorder
                .note("llm_refused", Some("warn"), reason.clone());
            return Err(wllm::LlmError::InvalidRequest(reason));
        }
        let mut request = match build_request(messages, tools, params) {
            Ok(r) => r,
            Err(e) => return Err(wllm::LlmError::InvalidRequest(e)),
        };
        svc.sampling.apply(&mut request.params);
        if request.params.purpose == llm::Purpose::Agent {
            if svc.recorder.steps() >= max_steps {
                svc.recorder.mark_step_limit();
                // Told once; a plugin that keeps calling is ended by the host.
                self.refused_after_limit += 1;
                if self.refused_after_limit > 1 {
                    self.end
                        .get_or_insert(HostEnd::StepLimitIgnored { max_steps });
                }
                return Err(wllm::LlmError::BudgetExhausted(format!(
                    "step limit of {max_steps} reached"
                )));
            }
            svc.recorder.begin_step();
        } else {
            let allowed = max_steps
                .saturating_mul(OTHER_CALLS_PER_STEP)
                .saturating_add(EXTRA_OTHER_CALLS);
            if self.other_calls >= allowed {
                return Err(wllm::LlmError::BudgetExhausted(format!(
                    "limit of {allowed} non-agent model calls per episode reached"
                )));
            }
            self.other_calls += 1;
        }
        if let Some(role) = &request.params.model_role {
            return Err(wllm::LlmError::InvalidRequest(format!(
                "model role `{role}` is not mapped to a model in this run"
            )));
        }
        svc.llm_context.call_index = svc.recorder.totals().llm_calls;
        let started = Instant::now();
        let outcome = svc
            .router
            .complete(&svc.model, &svc.llm_context, &request)
            .await;
        let call_id = svc.recorder.llm_call(&svc.model, &request, &outcome);
        self.host_call_took(started);
        match outcome.result {
            Ok(c) => Ok(wllm::Completion {
                message: convert::message_out(&c.message),
                finish_reason: convert::finish_reason_out(&c.finish_reason),
                usage: convert::usage_out(&c.usage),
                model: c.model,
                call_id,
            }),
            Err(e) => Err(convert::llm_error_out(&e)),
        }
    }
}

fn build_request(
    messages: Vec<wt::Message>,
    tools: Vec<wt::ToolSpec>,
    params: wllm::Params,
) -> Result<llm::Request, String> {
    let messages = messages
        .into_iter()
        .enumerate()
        .map(|(i, m)| convert::message_in(m).map_err(|e| format!("message {i}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let tools = tools
        .into_iter()
        .map(convert::tool_spec_in)
        .collect::<Result<Vec<_>, _>>()?;
    let params = convert::params_in(params)?;
    Ok(llm::Request {
        messages,
        tools,
        params,
    })
}

/// Runs one sandbox operation and records it as an action.
macro_rules! sandbox_op {
    ($self:ident, $op:expr, $target:expr, |$sb:ident| $call:expr, $ok:expr) => {{
        let Some(svc) = $self.services.as_mut() else {
            return Err(wsb::SandboxError::Infrastructure(NO_SERVICES.into()));
        };
        let $sb = svc.sandbox.clone();
        let started = Instant::now();
        let result = $call.await;
        let elapsed = started.elapsed();
        svc.recorder
            .action(ActionRecord::from_result($op, $target, &result, elapsed));
        $self.host_call_took(started);
        match result {
            Ok(v) => Ok($ok(v)),
            Err(e) => Err(convert::sandbox_error_out(&e)),
        }
    }};
}

impl wsb::Host for EpisodeState {
    async fn exec(
        &mut self,
        command: String,
        options: wsb::ExecOptions,
    ) -> Result<wsb::ExecResult, wsb::SandboxError> {
        let opts = convert::exec_options_in(&options);
        sandbox_op!(
            self,
            "exec",
            command.clone(),
            |sb| sb.exec(&command, &opts),
            convert::exec_result_out
        )
    }

    async fn poll(&mut self, wait_ms: u32) -> Result<wsb::ExecResult, wsb::SandboxError> {
        let wait = Duration::from_millis(wait_ms.into());
        sandbox_op!(
            self,
            "poll",
            String::new(),
            |sb| sb.poll(wait),
            convert::exec_result_out
        )
    }

    async fn send_input(
        &mut self,
        input: Vec<u8>,
        wait_ms: u32,
    ) -> Result<wsb::ExecResult, wsb::SandboxError> {
        let wait = Duration::from_millis(wait_ms.into());
        let target = String::from_utf8_lossy(&input).into_owned();
        sandbox_op!(
            self,
            "send_input",
            target,
            |sb| sb.send_input(&input, wait),
            convert::exec_result_out
        )
    }

    async fn interrupt(&mut self) -> Result<wsb::ExecResult, wsb::SandboxError> {
        sandbox_op!(
            self,
            "interrupt",
            String::new(),
            |sb| sb.interrupt(),
            convert::exec_result_out
        )
    }

    async fn read_file(&mut self, path: String) -> Result<Vec<u8>, wsb::SandboxError> {
        sandbox_op!(
            self,
            "read_file",
            path.clone(),
            |sb| sb.read_file(&path),
            |v| v
        )
    }

    async fn write_file(
        &mut self,
        path: String,
        content: Vec<u8>,
    ) -> Result<(), wsb::SandboxError> {
        sandbox_op!(
            self,
            "write_file",
            path.clone(),
            |sb| sb.write_file(&path, &content),
            |v| v
        )
    }

    async fn list_dir(&mut self, path: String) -> Result<Vec<wsb::DirEntry>, wsb::SandboxError> {
        sandbox_op!(
            self,
            "list_dir",
            path.clone(),
            |sb| sb.list_dir(&path),
            |v: Vec<sandbox::DirEntry>| {
                v.into_iter()
                    .map(|e| wsb::DirEntry {
                        kind: convert::file_kind_out(&e.kind),
                        name: e.name,
                        size: e.size,
                    })
                    .collect()
            }
        )
    }

    async fn stat(&mut self, path: String) -> Result<wsb::FileStat, wsb::SandboxError> {
        sandbox_op!(
            self,
            "stat",
            path.clone(),
            |sb| sb.stat(&path),
            |s: sandbox::FileStat| {
                wsb::FileStat {
                    kind: convert::file_kind_out(&s.kind),
                    size: s.size,
                    mode: s.mode,
                    modified: s.modified,
                }
            }
        )
    }
}

/// Cuts `text` to at most `max` bytes on a character boundary.
pub(crate) fn cap_text(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}[... {} bytes cut]", &text[..end], text.len() - end)
}

impl wlog::Host for EpisodeState {
    async fn log(&mut self, level: wlog::Level, message: String) {
        self.log_lines = self.log_lines.saturating_add(1);
        if self.log_lines > self.max_log_lines {
            if let Some(svc) = self.services.as_mut() {
                svc.recorder.count_dropped_log();
            }
            return;
        }
        let level = match level {
            wlog::Level::Trace => "trace",
            wlog::Level::Debug => "debug",
            wlog::Level::Info => "info",
            wlog::Level::Warn => "warn",
            wlog::Level::Error => "error",
        };
        let message = cap_text(&message, self.max_log_line);
        tracing::debug!(target: "synth::plugin", level, "{}", message.escape_debug());
        if let Some(svc) = self.services.as_mut() {
            svc.recorder.note("log", Some(level), message);
        }
    }
}

impl wtraj::Host for EpisodeState {
    async fn note(&mut self, kind: String, data: String) {
        let Some(svc) = self.services.as_mut() else {
            return;
        };
        let kind = cap_text(&kind, 64);
        let data = cap_text(&data, MAX_NOTE_BYTES);
        if self.notes_bytes + data.len() > MAX_NOTES_BYTES {
            self.dropped_notes += 1;
            return;
        }
        self.notes_bytes += data.len();
        svc.recorder.note(&kind, None, data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_message(text: &str) -> wt::Message {
        wt::Message {
            role: wt::Role::User,
            content: vec![wt::ContentPart::Text(text.into())],
            tool_calls: Vec::new(),
            tool_call_id: None,
            name: None,
        }
    }

    #[test]
    fn request_bytes_count_every_text_a_request_carries() {
        let mut m = text_message("hello");
        m.tool_calls.push(wt::ToolCall {
            id: "c1".into(),
            name: "bash".into(),
            raw_arguments: "{\"command\":\"ls\"}".into(),
            parsed: Ok("{\"command\":\"ls\"}".into()),
        });
        m.name = Some("me".into());
        let tool = wt::ToolSpec {
            name: "bash".into(),
            description: "run".into(),
            parameters: "{}".into(),
            role: wt::ToolRole::Other,
        };
        assert_eq!(
            request_bytes(&[m], &[tool]),
            5 + 2 + 4 + 16 + 16 + 2 + 4 + 3 + 2
        );
        let huge = text_message(&"h".repeat(MAX_REQUEST_BYTES + 1));
        assert!(request_bytes(&[huge], &[]) > MAX_REQUEST_BYTES);
    }

    #[test]
    fn cap_text_cuts_on_a_character_boundary() {
        assert_eq!(cap_text("abc", 5), "abc");
        assert_eq!(cap_text("aé", 2), "a[... 2 bytes cut]");
    }
}
