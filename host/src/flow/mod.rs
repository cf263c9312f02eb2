//! The scheduler: turns a run specification into the episode matrix (task instance ×
//! scaffold × model × sample), skips episodes already finalised in the run file (resume),
//! runs the rest concurrently on tokio under a concurrency cap, shows progress, stops
//! cleanly on Ctrl-C (a second Ctrl-C exits at once), and prints the summary. At start it
//! removes the containers of synth processes that died (a killed earlier run). Data flows
//! one way from here: flow -> plugin <-> (sandbox, llm) -> store. It must never write rows
//! except through the store's writer.

mod episode;
mod images;
mod key;
mod status;
mod summary;
mod verify;

pub use episode::EpisodeResult;
pub use key::{KeyInputs, episode_key};
pub use status::Status;
pub use summary::RunSummary;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::llm::{Router, RouterConfig};
use crate::plugin::{PluginEngine, SamplingDefaults, ScaffoldPlugin, ScorerPlugin};
use crate::sandbox::Engine;
use crate::store::{self, Event, Store, Writer};
use crate::task::{self, Instance};

/// Everything `synth run` was asked to do.
#[derive(Debug, Clone)]
pub struct RunSpec {
    pub scaffolds: Vec<PathBuf>,
    pub scorers: Vec<PathBuf>,
    pub models: Vec<String>,
    pub tasks: PathBuf,
    /// Only instances whose id contains one of these (all when empty).
    pub task_filter: Vec<String>,
    pub samples: u32,
    pub concurrency: usize,
    pub db: PathBuf,
    pub router_config: Option<PathBuf>,
    /// The scaffolds' configurations, passed to `run`.
    pub scaffold_config: ScaffoldConfigs,
    pub sampling: SamplingDefaults,
    /// Overrides every template's step limit.
    pub max_steps: Option<u32>,
    pub plugin_memory_mb: usize,
    pub plugin_cpu_secs: u64,
    pub cache_dir: Option<PathBuf>,
    /// The command line, recorded in the runs table.
    pub args: Vec<String>,
    /// Show a progress bar (when stderr is a terminal).
    pub progress: bool,
}

/// The configuration object each scaffold's `run` receives: one for a scaffold named in
/// `by_name`, `default` for the others.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScaffoldConfigs {
    pub default: serde_json::Map<String, serde_json::Value>,
    pub by_name: std::collections::BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
}

impl ScaffoldConfigs {
    pub fn for_scaffold(&self, name: &str) -> serde_json::Value {
        serde_json::Value::Object(self.by_name.get(name).unwrap_or(&self.default).clone())
    }
}

/// One cell of the matrix.
#[derive(Clone)]
pub struct Cell {
    pub key: String,
    pub instance: Arc<Instance>,
    pub scaffold: Arc<ScaffoldPlugin>,
    /// The configuration this scaffold's `run` receives.
    pub scaffold_config: Arc<serde_json::Value>,
    pub model: String,
    pub sample: u32,
}

/// What every episode of a run shares.
pub struct Shared {
    pub run_id: String,
    pub writer: Writer,
    pub docker: Engine,
    pub router: Arc<Router>,
    pub scorers: Vec<ScorerPlugin>,
    pub images: images::Images,
    pub sampling: serde_json::Value,
    pub sampling_defaults: SamplingDefaults,
    pub max_steps: Option<u32>,
    pub plugin_memory: usize,
    pub plugin_cpu: Duration,
    /// Container removals still running; awaited before the run returns.
    pub cleanup: tokio_util::task::TaskTracker,
}

/// Runs the matrix and returns its summary. Errors here are setup errors (bad input,
/// no Docker, unwritable file); episode failures are recorded, not returned.
pub async fn run(spec: RunSpec) -> Result<RunSummary> {
    let started = Instant::now();
    if spec.samples == 0 {
        bail!("--samples must be at least 1");
    }
    // Bad input first, before anything is created or touched.
    let templates = task::load_dir(&spec.tasks)?;
    let mut instances: Vec<Arc<Instance>> = Vec::new();
    for t in templates {
        let t = Arc::new(t);
        for i in task::expand(&t) {
            if spec.task_filter.is_empty()
                || spec
                    .task_filter
                    .iter()
                    .any(|f| i.instance_id.contains(f.as_str()))
            {
                instances.push(Arc::new(i));
            }
        }
    }
    if instances.is_empty() {
        bail!(
            "{}: no task instances found (or none match the filter)",
            spec.tasks.display()
        );
    }
    let router_config = match &spec.router_config {
        Some(p) => RouterConfig::load(p)?,
        None => RouterConfig::default(),
    };
    let models = spec.models.clone();
    let run_file = spec.db.clone();
    let router = tokio::task::spawn_blocking(move || {
        let mut router = Router::new(router_config)?;
        router.load_offline_models(&models, Some(&run_file))?;
        Ok::<_, crate::llm::LlmError>(router)
    })
    .await
    .context("loading the models failed")??;
    let router = Arc::new(router);
    for m in &spec.models {
        router.check_model(m)?;
    }
    let engine = PluginEngine::new(spec.cache_dir.clone())?;
    let mut scaffolds = Vec::new();
    for p in &spec.scaffolds {
        scaffolds.push(Arc::new(ScaffoldPlugin::load(&engine, p).await?));
    }
    for name in spec.scaffold_config.by_name.keys() {
        if !scaffolds.iter().any(|s| &s.info.name == name) {
            let loaded: Vec<&str> = scaffolds.iter().map(|s| s.info.name.as_str()).collect();
            bail!(
                "--scaffold-config {name}=...: no scaffold is named `{name}` (loaded: {})",
                loaded.join(", ")
            );
        }
    }
    let mut configs = Vec::new();
    for s in &scaffolds {
        let config = spec.scaffold_config.for_scaffold(&s.info.name);
        crate::plugin::check_config(&s.info.name, &s.info.config_schema, &config)
            .map_err(|e| anyhow::anyhow!("--scaffold-config: {e}"))?;
        let text = task::canonical_json(&config);
        configs.push((Arc::new(config), text));
    }
    let mut scorers = Vec::new();
    for p in &spec.scorers {
        scorers.push(ScorerPlugin::load(&engine, p).await?);
    }
    let docker = Engine::connect().await?;
    collect_orphans(&docker).await;
    let (store, writer) = Store::open(&spec.db).await?;
    let done = store.done_keys().await?;

    let sampling = serde_json::to_value(&spec.sampling)?;
    let sampling_text = task::canonical_json(&sampling);
    let mut cells = Vec::new();
    let mut skipped = 0;
    for instance in &instances {
        for (scaffold, (config, config_text)) in scaffolds.iter().zip(&configs) {
            for model in &spec.models {
                for sample in 0..spec.samples {
                    let key = episode_key(&KeyInputs {
                        instance_hash: &instance.content_hash,
                        component_hash: &scaffold.info.hash,
                        scaffold_config: config_text,
                        model,
                        sampling: &sampling_text,
                        sample,
                    });
                    if done.contains(&key) {
                        skipped += 1;
                        continue;
                    }
                    cells.push(Cell {
                        key,
                        instance: instance.clone(),
                        scaffold: scaffold.clone(),
                        scaffold_config: config.clone(),
                        model: model.clone(),
                        sample,
                    });
                }
            }
        }
    }

    let run_id = uuid::Uuid::now_v7().to_string();
    writer.send(Event::RunStarted(store::RunRow {
        run_id: run_id.clone(),
        started_at: Utc::now(),
        args: serde_json::json!(spec.args),
        synth_version: env!("CARGO_PKG_VERSION").to_string(),
        synth_revision: option_env!("SYNTH_REVISION").map(str::to_string),
        wasmtime_version: crate::WASMTIME_VERSION.to_string(),
        hostname: Some(hostname()),
        config: serde_json::json!({
            "scaffolds": scaffolds.iter().map(|s| serde_json::json!({"name": s.info.name, "version": s.info.version, "hash": s.info.hash, "path": s.loaded().path})).collect::<Vec<_>>(),
            "scorers": scorers.iter().map(|s| serde_json::json!({"name": s.info.name, "version": s.info.version, "hash": s.info.hash})).collect::<Vec<_>>(),
            "models": spec.models,
            "samples": spec.samples,
            "concurrency": spec.concurrency,
            "scaffold_config": scaffolds.iter().zip(&configs).map(|(s, (c, _))| (s.info.name.clone(), c.as_ref().clone())).collect::<serde_json::Map<_, _>>(),
            "sampling": sampling,
            "max_steps": spec.max_steps,
            "instances": instances.len(),
        }),
    }));
    crate::failpoint::hit("flow.after_run_row");

    let mut summary = RunSummary {
        planned: cells.len(),
        skipped_done: skipped,
        ..RunSummary::default()
    };
    let shared = Arc::new(Shared {
        run_id: run_id.clone(),
        writer: writer.clone(),
        docker,
        router,
        scorers,
        images: images::Images::default(),
        sampling,
        sampling_defaults: spec.sampling.clone(),
        max_steps: spec.max_steps,
        plugin_memory: spec.plugin_memory_mb << 20,
        plugin_cpu: Duration::from_secs(spec.plugin_cpu_secs),
        cleanup: tokio_util::task::TaskTracker::new(),
    });

    let cancel = CancellationToken::new();
    let ctrl_c = cancel.clone();
    let signal_task = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "\ninterrupted: cancelling running episodes and removing their containers \
                 (press Ctrl-C again to exit at once)..."
            );
            ctrl_c.cancel();
        }
        // A second Ctrl-C exits at once: committed rows are safe, the running attempts stay
        // unfinalised (the next run retries them) and their containers are orphans.
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "interrupted twice: exiting now; `synth gc` (or the next `synth run`) removes \
                 the containers left behind"
            );
            std::process::exit(130);
        }
    });

    let bar = progress_bar(cells.len() as u64, spec.progress);
    let semaphore = Arc::new(tokio::sync::Semaphore::new(spec.concurrency.max(1)));
    let mut set = JoinSet::new();
    for cell in cells {
        let shared = shared.clone();
        let cancel = cancel.clone();
        let semaphore = semaphore.clone();
        set.spawn(async move {
            let _permit = tokio::select! {
                p = semaphore.acquire_owned() => p.ok(),
                _ = cancel.cancelled() => None,
            };
            let label = format!(
                "{} {} {} #{}",
                cell.instance.instance_id, cell.scaffold.info.name, cell.model, cell.sample
            );
            if cancel.is_cancelled() {
                return None;
            }
            let result = episode::run_episode(shared, cell, cancel).await;
            Some((label, result))
        });
    }
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(Some((label, result))) => {
                let line = format!(
                    "{:<9} {:<13} reward={} steps={} {label}  [{}]",
                    match result.passed {
                        Some(true) => "PASS",
                        Some(false) => "FAIL",
                        None => "-",
                    },
                    result.status.as_str(),
                    result.reward.map_or("-".to_string(), |r| format!("{r:.2}")),
                    result.steps,
                    summary::category(&result.termination),
                );
                if bar.is_hidden() {
                    eprintln!("{line}");
                } else {
                    bar.println(line);
                }
                summary.add(&result);
                bar.inc(1);
            }
            Ok(None) => bar.inc(1),
            Err(e) => tracing::error!(error = %e, "an episode task panicked"),
        }
    }
    bar.finish_and_clear();
    signal_task.abort();
    shared.cleanup.close();
    shared.cleanup.wait().await;
    // A cancellation can cut a container's creation short after the engine made it: sweep
    // whatever of ours is left, so a finished or interrupted run leaves no container.
    match shared.docker.remove_own().await {
        Ok(removed) if !removed.is_empty() => {
            tracing::info!(
                count = removed.len(),
                "removed containers left by cancelled episodes"
            )
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot sweep this run's containers"),
    }
    summary.finish(started.elapsed());
    writer.send(Event::RunFinished(store::RunFinish {
        run_id,
        finished_at: Utc::now(),
        summary: serde_json::to_value(&summary)?,
    }));
    crate::failpoint::hit("flow.before_close");
    store.close().await.with_context(|| {
        format!(
            "{}: could not finish writing the run file",
            spec.db.display()
        )
    })?;
    if cancel.is_cancelled() {
        bail!("run interrupted; re-run the same command to finish the remaining episodes");
    }
    Ok(summary)
}

/// Removes the containers of synth processes on this machine that are gone (killed,
/// crashed), as `synth gc` does, so that a re-run after a crash starts clean. Only for a
/// local engine (a unix socket): on an engine shared by several machines a container's
/// owner cannot be checked from here, so only an explicit `synth gc` may decide. A failure
/// is a warning: leftovers never stop a run.
async fn collect_orphans(docker: &Engine) {
    let local = std::env::var("DOCKER_HOST")
        .map(|h| h.is_empty() || h.starts_with("unix://"))
        .unwrap_or(true);
    if !local {
        return;
    }
    match docker.gc(false).await {
        Ok(removed) if !removed.is_empty() => eprintln!(
            "removed {} container(s) left behind by synth processes that are gone",
            removed.len()
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot remove containers left behind"),
    }
}

fn progress_bar(len: u64, enabled: bool) -> ProgressBar {
    if !enabled || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} episodes")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}
