//! The host side of the scaffold world's imports for one episode: `llm`, `sandbox`, `log`,
//! `trajectory` (and WASI through an empty context). Each call is checked against the
//! episode's budgets, forwarded to the sandbox or the router, and recorded as it passes.
//! A store built for `describe` carries no services: every import then fails cleanly.
//! This module must never hand a plugin anything the contract does not name.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::convert;
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
    /// Linear memory cap per memory, in bytes.
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

/// The data of one plugin store.
pub struct EpisodeState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limits: StoreLimits,
    pub(crate) output: GuestOutput,
    pub(crate) services: Option<EpisodeServices>,
    pub(crate) cpu_ticks: u64,
    pub(crate) cpu_budget_hit: bool,
    max_steps: u32,
    max_log_lines: u32,
    max_log_line: usize,
    log_lines: u32,
}

impl EpisodeState {
    pub fn new(
        seed: &str,
        services: Option<EpisodeServices>,
        limits: &RunLimits,
    ) -> (EpisodeState, GuestOutput) {
        let (wasi, output) = sandboxed_ctx(seed);
        let store_limits = StoreLimitsBuilder::new()
            .memory_size(limits.memory_bytes)
            .memories(16)
            .tables(64)
            .table_elements(1 << 20)
            .instances(64)
            .trap_on_grow_failure(true)
            .build();
        (
            EpisodeState {
                wasi,
                table: ResourceTable::new(),
                limits: store_limits,
                output: output.clone(),
                services,
                cpu_ticks: 0,
                cpu_budget_hit: false,
                max_steps: limits.max_steps,
                max_log_lines: limits.max_log_lines,
                max_log_line: limits.max_log_line,
                log_lines: 0,
            },
            output,
        )
    }
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
        let mut request = match build_request(messages, tools, params) {
            Ok(r) => r,
            Err(e) => return Err(wllm::LlmError::InvalidRequest(e)),
        };
        svc.sampling.apply(&mut request.params);
        if request.params.purpose == llm::Purpose::Agent {
            if svc.recorder.steps() >= max_steps {
                svc.recorder.mark_step_limit();
                return Err(wllm::LlmError::BudgetExhausted(format!(
                    "step limit of {max_steps} reached"
                )));
            }
            svc.recorder.begin_step();
        }
        if let Some(role) = &request.params.model_role {
            return Err(wllm::LlmError::InvalidRequest(format!(
                "model role `{role}` is not mapped to a model in this run"
            )));
        }
        let outcome = svc
            .router
            .complete(&svc.model, &svc.llm_context, &request)
            .await;
        let call_id = svc.recorder.llm_call(&svc.model, &request, &outcome);
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
        self.log_lines += 1;
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
        let data = cap_text(&data, 1 << 20);
        svc.recorder.note(&kind, None, data);
    }
}
