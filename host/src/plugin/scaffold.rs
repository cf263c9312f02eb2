//! A scaffold component ready to run episodes: loaded, version-checked, pre-linked once
//! (`InstancePre`), described once. Each episode gets a fresh `Store` with memory and table
//! caps, an epoch deadline that yields to tokio every tick and ends a guest that spends its
//! CPU budget, and a wall-clock budget. CPU time is counted in epoch ticks while the guest
//! computes: the tick a slow host call (a command, a model call) caused is not the guest's.
//! A trap or budget ends this episode only, with a reason naming it; the store is dropped
//! afterwards, never reused.

use std::path::Path;
use std::time::{Duration, Instant};

use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Store, UpdateDeadline};

use super::engine::{EPOCH_TICK, LoadedComponent, PluginEngine};
use super::episode::{EpisodeServices, EpisodeState, HostEnd, RunLimits, cap_text};
use super::fault::{TrapKind, classify_trap};
use super::limits::LimitHit;
use super::v0_1_0::scaffold::synth::plugin::types as wt;
use super::v0_1_0::scaffold::{Scaffold, ScaffoldPre};
use super::version::WorldKind;
use super::{PluginError, convert, error_chain};
use crate::llm::types::ToolSpec;

/// What `describe` said about a scaffold, in host types.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PluginInfo {
    pub name: String,
    pub version: String,
    pub description: String,
    pub tools: Vec<ToolSpec>,
    pub config_schema: serde_json::Value,
    /// The contract version the component was built against.
    pub contract: String,
    /// SHA-256 of the component file.
    pub hash: String,
    pub size_bytes: u64,
}

/// The task as a scaffold sees it.
#[derive(Debug, Clone)]
pub struct TaskInput {
    pub instance_id: String,
    pub template_id: String,
    pub category: String,
    pub difficulty: String,
    pub instruction: String,
    pub workspace: String,
    pub max_steps: u32,
    pub max_seconds: u32,
    pub parameters: serde_json::Value,
}

/// How a scaffold run ended when it did not return an outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// `run` returned its error variant.
    RunError { kind: &'static str, message: String },
    /// The guest trapped (panic, unreachable, out of bounds, ...): what and where.
    Trap(String),
    /// The guest's call stack ran out (deep or endless recursion): where.
    StackExhausted { at: Option<String> },
    /// The guest grew its memory or tables past the store's cap.
    Limit(LimitHit),
    /// The guest spent more CPU time than its budget.
    CpuBudget(Duration),
    /// The guest kept calling the model after it was told its step limit was reached.
    StepLimitIgnored { max_steps: u32 },
    /// The episode's wall-clock budget ran out.
    WallTime(Duration),
}

impl Failure {
    /// The termination reason: a category (the text before the first `:`), then details.
    pub fn reason(&self) -> String {
        match self {
            Failure::RunError { kind, message } => format!("{kind}_error: {message}"),
            Failure::Trap(what) => format!("trap: {what}"),
            Failure::StackExhausted { at } => format!(
                "stack_exhausted: the plugin's call stack ran out (deep or endless recursion){}",
                at.as_ref().map(|f| format!(" in {f}")).unwrap_or_default()
            ),
            Failure::Limit(hit) => hit.reason(),
            Failure::CpuBudget(d) => format!(
                "cpu_budget: the plugin used more than {}s of CPU",
                d.as_secs_f64()
            ),
            Failure::WallTime(d) => format!("time_limit: {}s", d.as_secs_f64()),
            Failure::StepLimitIgnored { max_steps } => format!(
                "step_limit: the plugin kept calling the model after its limit of {max_steps} steps was reached"
            ),
        }
    }
}

/// Why a guest call failed, once the wall budget is ruled out: the host's own decisions
/// (CPU budget, an ended run, a cap) come first, since each surfaces as a trap.
fn failure_of(e: &wasmtime::Error, state: &EpisodeState) -> Failure {
    if state.cpu_budget_hit {
        return Failure::CpuBudget(state.cpu_budget);
    }
    if let Some(HostEnd::StepLimitIgnored { max_steps }) = state.end {
        return Failure::StepLimitIgnored { max_steps };
    }
    if let Some(hit) = state.limiter.hit() {
        return Failure::Limit(hit);
    }
    match classify_trap(e) {
        TrapKind::StackExhausted { at } => Failure::StackExhausted { at },
        other => Failure::Trap(other.describe()),
    }
}

/// The exit a scaffold reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Submitted,
    StepLimit,
    ContextLimit,
    BudgetExhausted,
    GaveUp,
}

impl Exit {
    pub fn as_str(self) -> &'static str {
        match self {
            Exit::Submitted => "submitted",
            Exit::StepLimit => "step_limit",
            Exit::ContextLimit => "context_limit",
            Exit::BudgetExhausted => "budget_exhausted",
            Exit::GaveUp => "gave_up",
        }
    }
}

/// Everything a finished run hands back.
pub struct RunReport {
    pub result: Result<(Exit, String), Failure>,
    /// The guest's captured stderr (capped).
    pub stderr: String,
    /// The guest's captured stdout (capped).
    pub stdout: String,
    /// Guest CPU time, measured in epoch ticks.
    pub cpu_time: Duration,
    /// Time the guest waited on slow host calls, in the epoch ticks left uncounted.
    pub waited_time: Duration,
    pub wall_time: Duration,
    /// Services handed back (the recorder holds the episode's totals).
    pub services: EpisodeServices,
}

pub struct ScaffoldPlugin {
    loaded: LoadedComponent,
    pre: ScaffoldPre<EpisodeState>,
    engine: PluginEngine,
    pub info: PluginInfo,
}

impl ScaffoldPlugin {
    /// Loads a scaffold component, checks its contract, pre-links it and calls `describe`.
    pub async fn load(engine: &PluginEngine, path: &Path) -> Result<ScaffoldPlugin, PluginError> {
        let loaded = engine.load(path).await?;
        if loaded.contract.world != WorldKind::Scaffold {
            return Err(PluginError::at(
                path,
                format!(
                    "a {} plugin, not a scaffold (it exports synth:plugin/{}-api)",
                    loaded.contract.world.as_str(),
                    loaded.contract.world.as_str()
                ),
            ));
        }
        let mut linker: Linker<EpisodeState> = Linker::new(engine.engine());
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| PluginError::at(path, format!("linking WASI: {}", error_chain(&e))))?;
        Scaffold::add_to_linker::<_, HasSelf<EpisodeState>>(&mut linker, |s| s)
            .map_err(|e| PluginError::at(path, format!("linking: {}", error_chain(&e))))?;
        let pre = linker
            .instantiate_pre(&loaded.component)
            .and_then(ScaffoldPre::new)
            .map_err(|e| PluginError::at(path, format!("cannot link: {}", error_chain(&e))))?;
        let mut plugin = ScaffoldPlugin {
            info: PluginInfo {
                name: String::new(),
                version: String::new(),
                description: String::new(),
                tools: Vec::new(),
                config_schema: serde_json::Value::Null,
                contract: loaded.contract.version.to_string(),
                hash: loaded.hash.clone(),
                size_bytes: loaded.size,
            },
            loaded,
            pre,
            engine: engine.clone(),
        };
        plugin.describe().await?;
        Ok(plugin)
    }

    pub fn loaded(&self) -> &LoadedComponent {
        &self.loaded
    }

    fn new_store(&self, state: EpisodeState, cpu_budget: Duration) -> Store<EpisodeState> {
        let mut store = Store::new(self.engine.engine(), state);
        store.limiter(|s| &mut s.limiter);
        let budget_ticks = (cpu_budget.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |mut ctx| {
            let state = ctx.data_mut();
            if state.end.is_some() {
                return Ok(UpdateDeadline::Interrupt);
            }
            // The first check after a slow host call: the epoch moved while the guest
            // waited, not while it computed.
            if std::mem::take(&mut state.waited_on_host) {
                state.waited_ticks += 1;
                return Ok(UpdateDeadline::Yield(1));
            }
            state.cpu_ticks += 1;
            if state.cpu_ticks > budget_ticks {
                state.cpu_budget_hit = true;
                return Ok(UpdateDeadline::Interrupt);
            }
            Ok(UpdateDeadline::Yield(1))
        });
        store
    }

    async fn describe(&mut self) -> Result<(), PluginError> {
        let path = self.loaded.path.clone();
        let limits = RunLimits::for_describe();
        let (state, _out) = EpisodeState::new("describe", None, &limits);
        let mut store = self.new_store(state, limits.cpu_budget);
        let call = async {
            let inst = self.pre.instantiate_async(&mut store).await?;
            inst.synth_plugin_scaffold_api()
                .call_describe(&mut store)
                .await
        };
        let info = tokio::time::timeout(limits.wall_budget, call)
            .await
            .map_err(|_| PluginError::at(&path, "describe did not return within its time budget"))?
            .map_err(|e| {
                let state = store.data();
                let stderr = state.output.stderr.text();
                let why = failure_of(&e, state).reason();
                tracing::debug!(plugin = %path.display(), error = %error_chain(&e), "describe failed");
                PluginError::at(
                    &path,
                    format!("describe failed: {why}{}", stderr_suffix(&stderr)),
                )
            })?;
        let tools = info
            .tools
            .into_iter()
            .map(convert::tool_spec_in)
            .collect::<Result<Vec<_>, String>>()
            .map_err(|e| PluginError::at(&path, format!("describe: {e}")))?;
        let config_schema = if info.config_schema.trim().is_empty() {
            serde_json::json!({"type": "object"})
        } else {
            serde_json::from_str(&info.config_schema).map_err(|e| {
                PluginError::at(
                    &path,
                    format!("describe: config-schema is not valid JSON: {e}"),
                )
            })?
        };
        self.info.name = info.name;
        self.info.version = info.version;
        self.info.description = info.description;
        self.info.tools = tools;
        self.info.config_schema = config_schema;
        Ok(())
    }

    /// Time to create a fresh store and instantiate the component (for `synth bench`).
    pub async fn instantiate_probe(&self) -> Result<Duration, PluginError> {
        let limits = RunLimits::for_describe();
        let started = Instant::now();
        let (state, _out) = EpisodeState::new("probe", None, &limits);
        let mut store = self.new_store(state, limits.cpu_budget);
        self.pre.instantiate_async(&mut store).await.map_err(|e| {
            PluginError::at(
                &self.loaded.path,
                format!("instantiate: {}", error_chain(&e)),
            )
        })?;
        Ok(started.elapsed())
    }

    /// Instantiates the scaffold in a fresh store and runs one episode. Never panics and
    /// never returns early without handing the services back.
    pub async fn run(
        &self,
        services: EpisodeServices,
        task: &TaskInput,
        config: &serde_json::Value,
        limits: &RunLimits,
    ) -> RunReport {
        let started = Instant::now();
        let seed = services.recorder.episode_key().to_string();
        let (state, output) = EpisodeState::new(&seed, Some(services), limits);
        let mut store = self.new_store(state, limits.cpu_budget);
        let wit_task = wt::Task {
            instance_id: task.instance_id.clone(),
            template_id: task.template_id.clone(),
            category: task.category.clone(),
            difficulty: task.difficulty.clone(),
            instruction: task.instruction.clone(),
            workspace: task.workspace.clone(),
            max_steps: task.max_steps,
            max_seconds: task.max_seconds,
            parameters: task.parameters.to_string(),
        };
        let config_text = config.to_string();
        let call = async {
            let inst = self.pre.instantiate_async(&mut store).await?;
            inst.synth_plugin_scaffold_api()
                .call_run(&mut store, &wit_task, &config_text)
                .await
        };
        let outcome = tokio::time::timeout(limits.wall_budget, call).await;
        let state = store.data();
        let cpu_ticks = state.cpu_ticks;
        let waited_ticks = state.waited_ticks;
        let dropped_logs = state.dropped_log_lines();
        let dropped_notes = state.dropped_notes();
        let mut trap_detail = None;
        let result = match outcome {
            Err(_) => Err(Failure::WallTime(limits.wall_budget)),
            Ok(Err(e)) => {
                trap_detail = Some(cap_text(&format!("{e:?}"), TRAP_DETAIL_CAP));
                Err(failure_of(&e, state))
            }
            Ok(Ok(Err(run_error))) => Err(match run_error {
                wt::RunError::InvalidConfig(m) => Failure::RunError {
                    kind: "invalid_config",
                    message: m,
                },
                wt::RunError::Llm(m) => Failure::RunError {
                    kind: "llm",
                    message: m,
                },
                wt::RunError::Sandbox(m) => Failure::RunError {
                    kind: "sandbox",
                    message: m,
                },
                wt::RunError::Internal(m) => Failure::RunError {
                    kind: "internal",
                    message: m,
                },
            }),
            Ok(Ok(Ok(outcome))) => Ok((
                match outcome.exit {
                    wt::ExitKind::Submitted => Exit::Submitted,
                    wt::ExitKind::StepLimit => Exit::StepLimit,
                    wt::ExitKind::ContextLimit => Exit::ContextLimit,
                    wt::ExitKind::BudgetExhausted => Exit::BudgetExhausted,
                    wt::ExitKind::GaveUp => Exit::GaveUp,
                },
                outcome.message,
            )),
        };
        let mut services = store
            .into_data()
            .services
            .expect("run stores always carry services");
        let cpu_time = EPOCH_TICK * cpu_ticks as u32;
        let waited_time = EPOCH_TICK * waited_ticks as u32;
        let wall_time = started.elapsed();
        services.recorder.note(
            "plugin_time",
            None,
            serde_json::json!({
                "cpu_ms": cpu_time.as_millis() as u64,
                "waited_ms": waited_time.as_millis() as u64,
                "wall_ms": wall_time.as_millis() as u64,
            })
            .to_string(),
        );
        if let Some(detail) = trap_detail {
            // The whole error with its wasm backtrace, for the plugin's author.
            services.recorder.note("trap", Some("error"), detail);
        }
        if dropped_logs > 0 {
            services.recorder.note(
                "log_dropped",
                Some("warn"),
                format!(
                    "{dropped_logs} log lines over the cap of {} per episode were dropped",
                    limits.max_log_lines
                ),
            );
        }
        if dropped_notes > 0 {
            services.recorder.note(
                "notes_dropped",
                Some("warn"),
                format!("{dropped_notes} trajectory notes over the episode's budget were dropped"),
            );
        }
        RunReport {
            result,
            stderr: output.stderr.text(),
            stdout: output.stdout.text(),
            cpu_time,
            waited_time,
            wall_time,
            services,
        }
    }
}

/// Bytes kept of a trap's full error text (with its backtrace) in the `trap` note.
const TRAP_DETAIL_CAP: usize = 16 << 10;

fn stderr_suffix(stderr: &str) -> String {
    let s = stderr.trim();
    if s.is_empty() {
        String::new()
    } else {
        let tail: String = s
            .chars()
            .rev()
            .take(300)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!(" (stderr: {})", tail.replace('\n', " | "))
    }
}
