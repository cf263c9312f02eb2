//! A scorer component: loaded, version-checked, pre-linked once, described once; each
//! episode is scored in a fresh store with the same memory cap and epoch budgets as a
//! scaffold. A scorer sees only the episode summary the host gives it; it imports nothing
//! but `log`. A failing scorer fails its scores, never the episode or the run.

use std::path::Path;
use std::time::Duration;

use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime::{Store, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::engine::{EPOCH_TICK, LoadedComponent, PluginEngine};
use super::episode::cap_text;
use super::fault::classify_trap;
use super::limits::{EpisodeLimiter, MAX_TABLE_ELEMENTS};
use super::record::StepSummary;
use super::v0_1_0::scorer::synth::plugin::{log as wlog, scoring as ws};
use super::v0_1_0::scorer::{Scorer, ScorerPre};
use super::version::WorldKind;
use super::wasi::{GuestOutput, sandboxed_ctx};
use super::{PluginError, error_chain};

/// What `describe` said about a scorer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScorerInfo {
    pub name: String,
    pub version: String,
    pub description: String,
    pub config_schema: serde_json::Value,
    pub contract: String,
    pub hash: String,
}

/// The episode summary a scorer is given.
#[derive(Debug, Clone)]
pub struct EpisodeForScoring {
    pub episode_key: String,
    pub instance_id: String,
    pub template_id: String,
    pub category: String,
    pub scaffold: String,
    pub model: String,
    pub sample: u32,
    pub status: String,
    pub termination: String,
    pub steps: Vec<StepSummary>,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cost_usd: f64,
    pub wall_ms: u64,
    pub patch: String,
    pub verification: Option<VerificationForScoring>,
}

#[derive(Debug, Clone)]
pub struct VerificationForScoring {
    pub passed: bool,
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub output: String,
}

/// One score a scorer returned.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub name: String,
    pub value: f64,
    pub step: Option<u32>,
    pub detail: String,
}

pub struct ScorerState {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: EpisodeLimiter,
    output: GuestOutput,
    logs: Vec<String>,
    cpu_ticks: u64,
}

impl WasiView for ScorerState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl ws::Host for ScorerState {}

impl wlog::Host for ScorerState {
    async fn log(&mut self, _level: wlog::Level, message: String) {
        if self.logs.len() < 100 {
            self.logs.push(cap_text(&message, 4096));
        }
    }
}

const MEMORY_CAP: usize = 256 << 20;
const CPU_BUDGET: Duration = Duration::from_secs(10);
const WALL_BUDGET: Duration = Duration::from_secs(30);

pub struct ScorerPlugin {
    loaded: LoadedComponent,
    pre: ScorerPre<ScorerState>,
    engine: PluginEngine,
    pub info: ScorerInfo,
}

impl ScorerPlugin {
    pub async fn load(engine: &PluginEngine, path: &Path) -> Result<ScorerPlugin, PluginError> {
        let loaded = engine.load(path).await?;
        if loaded.contract.world != WorldKind::Scorer {
            return Err(PluginError::at(
                path,
                format!("a {} plugin, not a scorer", loaded.contract.world.as_str()),
            ));
        }
        let mut linker: Linker<ScorerState> = Linker::new(engine.engine());
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| PluginError::at(path, format!("linking WASI: {}", error_chain(&e))))?;
        Scorer::add_to_linker::<_, HasSelf<ScorerState>>(&mut linker, |s| s)
            .map_err(|e| PluginError::at(path, format!("linking: {}", error_chain(&e))))?;
        let pre = linker
            .instantiate_pre(&loaded.component)
            .and_then(ScorerPre::new)
            .map_err(|e| PluginError::at(path, format!("cannot link: {}", error_chain(&e))))?;
        let mut plugin = ScorerPlugin {
            info: ScorerInfo {
                name: String::new(),
                version: String::new(),
                description: String::new(),
                config_schema: serde_json::Value::Null,
                contract: loaded.contract.version.to_string(),
                hash: loaded.hash.clone(),
            },
            loaded,
            pre,
            engine: engine.clone(),
        };
        let info = plugin
            .call("describe", |inst, store| {
                Box::pin(async move { inst.synth_plugin_scorer_api().call_describe(store).await })
            })
            .await
            .map_err(|e| PluginError::at(path, format!("describe failed: {e}")))?
            .0;
        plugin.info.name = info.name;
        plugin.info.version = info.version;
        plugin.info.description = info.description;
        plugin.info.config_schema = serde_json::from_str(&info.config_schema)
            .unwrap_or_else(|_| serde_json::json!({"type": "object"}));
        Ok(plugin)
    }

    pub fn loaded(&self) -> &LoadedComponent {
        &self.loaded
    }

    /// Runs `f` on a fresh instance under the budgets; returns its value and the log lines.
    async fn call<R>(
        &self,
        seed: &str,
        f: impl for<'a> FnOnce(
            &'a Scorer,
            &'a mut Store<ScorerState>,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = wasmtime::Result<R>> + Send + 'a>,
        >,
    ) -> Result<(R, Vec<String>), String> {
        let (wasi, output) = sandboxed_ctx(seed);
        let state = ScorerState {
            wasi,
            table: ResourceTable::new(),
            limiter: EpisodeLimiter::new(MEMORY_CAP, MAX_TABLE_ELEMENTS),
            output,
            logs: Vec::new(),
            cpu_ticks: 0,
        };
        let mut store = Store::new(self.engine.engine(), state);
        store.limiter(|s| &mut s.limiter);
        let budget = (CPU_BUDGET.as_millis() / EPOCH_TICK.as_millis()) as u64;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |mut ctx| {
            let s = ctx.data_mut();
            s.cpu_ticks += 1;
            if s.cpu_ticks > budget {
                return Ok(UpdateDeadline::Interrupt);
            }
            Ok(UpdateDeadline::Yield(1))
        });
        let run = async {
            let inst = self.pre.instantiate_async(&mut store).await?;
            f(&inst, &mut store).await
        };
        let result = tokio::time::timeout(WALL_BUDGET, run).await;
        let logs = std::mem::take(&mut store.data_mut().logs);
        let stderr = store.data().output.stderr.text();
        let cpu_spent = store.data().cpu_ticks > budget;
        let limit_hit = store.data().limiter.hit();
        match result {
            Err(_) => Err(format!("did not return within {}s", WALL_BUDGET.as_secs())),
            Ok(Err(e)) => Err(format!(
                "trapped: {}{}",
                match (cpu_spent, limit_hit) {
                    (true, _) => format!("cpu_budget: more than {}s of CPU", CPU_BUDGET.as_secs()),
                    (false, Some(hit)) => hit.reason(),
                    (false, None) => classify_trap(&e).describe(),
                },
                if stderr.is_empty() {
                    String::new()
                } else {
                    format!(" (stderr: {})", cap_text(&stderr, 500))
                }
            )),
            Ok(Ok(v)) => Ok((v, logs)),
        }
    }

    /// Scores one episode. Err holds a one-line reason (trap, budget, or the scorer's error).
    pub async fn score(
        &self,
        episode: &EpisodeForScoring,
        config: &serde_json::Value,
    ) -> Result<(Vec<Score>, Vec<String>), String> {
        let wit = to_wit(episode);
        let config = config.to_string();
        let (result, logs) = self
            .call(&episode.episode_key, |inst, store| {
                Box::pin(async move {
                    inst.synth_plugin_scorer_api()
                        .call_score(store, &wit, &config)
                        .await
                })
            })
            .await?;
        let scores = result.map_err(|e| format!("scorer error: {e}"))?;
        let scores = scores
            .into_iter()
            .filter(|s| s.value.is_finite())
            .map(|s| Score {
                name: s.name,
                value: s.value,
                step: s.step,
                detail: s.detail,
            })
            .collect();
        Ok((scores, logs))
    }
}

fn to_wit(e: &EpisodeForScoring) -> ws::Episode {
    ws::Episode {
        episode_key: e.episode_key.clone(),
        instance_id: e.instance_id.clone(),
        template_id: e.template_id.clone(),
        category: e.category.clone(),
        scaffold: e.scaffold.clone(),
        model: e.model.clone(),
        sample: e.sample,
        status: e.status.clone(),
        termination: e.termination.clone(),
        steps: e
            .steps
            .iter()
            .map(|s| ws::StepSummary {
                index: s.index,
                tool_names: s.tool_names.clone(),
                exit_codes: s.exit_codes.clone(),
            })
            .collect(),
        prompt_tokens: e.prompt_tokens,
        completion_tokens: e.completion_tokens,
        cost_usd: e.cost_usd,
        wall_ms: e.wall_ms,
        patch: e.patch.clone(),
        verification: e.verification.as_ref().map(|v| ws::Verification {
            passed: v.passed,
            exit_code: v.exit_code,
            timed_out: v.timed_out,
            output: v.output.clone(),
        }),
    }
}
