//! Per-scaffold figures for `synth bench`: component size, cold compile (no cache), load from
//! the on-disk compile cache, instantiation in a fresh store, and the steps per second the
//! scaffold sustains against a zero-latency scripted model (`script:`) whose every step is
//! a trivial shell command, with every row recorded by a real DuckDB writer.
//!
//! The script is built from the scaffold's own `describe`: its Shell-role tool with `true`,
//! then its Finish-role tool, so every scaffold runs unchanged. Measures; asserts nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use super::{BenchOptions, bench_limits, bench_task, quantile_ms, tempfile_dir};
use crate::llm::{EpisodeContext, Router, RouterConfig, ToolRole};
use crate::plugin::{EpisodeServices, PluginEngine, Recorder, SamplingDefaults, ScaffoldPlugin};
use crate::sandbox::Sandbox;
use crate::store::Store;

/// Cold compiles per scaffold (each seconds for a Python component).
const COLD_COMPILES: usize = 3;
/// Scripted episodes per scaffold.
const EPISODES: usize = 3;

struct Row {
    name: String,
    size: u64,
    cold_ms: f64,
    cached_ms: f64,
    instantiate_ms: f64,
    steps_per_sec: f64,
}

/// Runs every per-scaffold measurement and renders the table.
pub(super) async fn measure(opts: &BenchOptions, sandbox: Arc<Sandbox>) -> Result<String> {
    let mut rows = Vec::new();
    for path in &opts.scaffolds {
        rows.push(
            measure_one(path, opts, sandbox.clone())
                .await
                .with_context(|| format!("{}: bench failed", path.display()))?,
        );
    }
    let mut out = format!(
        "per scaffold (medians; steps/s: {EPISODES} episodes of {} `true` steps against a \
         zero-latency script):\n{:<18} {:>10} {:>14} {:>12} {:>13} {:>9}\n",
        opts.steps_per_episode,
        "scaffold",
        "size KiB",
        "compile cold",
        "load cached",
        "instantiate",
        "steps/s"
    );
    for r in &rows {
        out.push_str(&format!(
            "{:<18} {:>10.0} {:>11.1} ms {:>9.2} ms {:>10.3} ms {:>9.1}\n",
            r.name,
            r.size as f64 / 1024.0,
            r.cold_ms,
            r.cached_ms,
            r.instantiate_ms,
            r.steps_per_sec
        ));
    }
    if let (Some(first), true) = (rows.first(), rows.len() > 1) {
        out.push_str(&format!("ratios against {} (same run):\n", first.name));
        for r in &rows[1..] {
            out.push_str(&format!(
                "  {:<16} size {:>6.1}x  compile {:>6.1}x  cached load {:>6.1}x  instantiate {:>7.1}x  steps/s {:>5.2}x\n",
                r.name,
                r.size as f64 / first.size as f64,
                r.cold_ms / first.cold_ms,
                r.cached_ms / first.cached_ms,
                r.instantiate_ms / first.instantiate_ms,
                r.steps_per_sec / first.steps_per_sec
            ));
        }
    }
    Ok(out)
}

async fn measure_one(
    path: &std::path::Path,
    opts: &BenchOptions,
    sandbox: Arc<Sandbox>,
) -> Result<Row> {
    // Cold: a fresh engine with no cache compiles from the bytes every time.
    let mut cold = Vec::new();
    for _ in 0..COLD_COMPILES {
        let engine = PluginEngine::new(None)?;
        let started = Instant::now();
        engine.load(path).await?;
        cold.push(started.elapsed());
    }
    // Cached: the first load fills a fresh cache folder; later engines load from it.
    let cache = tempfile_dir()?;
    PluginEngine::new(Some(cache.clone()))?.load(path).await?;
    let mut cached = Vec::new();
    let mut size = 0;
    for _ in 0..opts.iterations {
        let engine = PluginEngine::new(Some(cache.clone()))?;
        let started = Instant::now();
        let loaded = engine.load(path).await?;
        cached.push(started.elapsed());
        if !loaded.from_cache {
            bail!("the compile cache in {} was not used", cache.display());
        }
        size = loaded.size;
    }
    let engine = PluginEngine::new(Some(cache.clone()))?;
    let scaffold = ScaffoldPlugin::load(&engine, path).await?;
    let mut instantiate = Vec::new();
    for _ in 0..opts.iterations * 10 {
        instantiate.push(scaffold.instantiate_probe().await?);
    }
    let steps_per_sec = scripted_steps(&scaffold, opts.steps_per_episode, sandbox).await?;
    let _ = std::fs::remove_dir_all(&cache);
    Ok(Row {
        name: scaffold.info.name.clone(),
        size,
        cold_ms: quantile_ms(&cold, 0.5),
        cached_ms: quantile_ms(&cached, 0.5),
        instantiate_ms: quantile_ms(&instantiate, 0.5),
        steps_per_sec,
    })
}

/// The JSONL script: `steps` calls of the Shell-role tool with `true`, then the Finish one.
fn script_for(scaffold: &ScaffoldPlugin, steps: u32) -> Result<String> {
    let name = &scaffold.info.name;
    let mut shell = None;
    let mut finish = None;
    for tool in &scaffold.info.tools {
        match &tool.role {
            ToolRole::Shell {
                command_argument,
                fixed_arguments,
            } if shell.is_none() => {
                let mut args = object(fixed_arguments);
                args.insert(command_argument.clone(), json!("true"));
                shell = Some(json!({"tool": tool.name, "arguments": args}));
            }
            ToolRole::Finish { fixed_arguments } if finish.is_none() => {
                finish = Some(json!({"tool": tool.name, "arguments": object(fixed_arguments)}));
            }
            _ => {}
        }
    }
    let (Some(shell), Some(finish)) = (shell, finish) else {
        bail!("scaffold `{name}` has no Shell-role or no Finish-role tool to script");
    };
    let mut lines: Vec<String> = (0..steps).map(|_| shell.to_string()).collect();
    lines.push(finish.to_string());
    Ok(lines.join("\n") + "\n")
}

fn object(v: &Value) -> serde_json::Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

async fn scripted_steps(
    scaffold: &ScaffoldPlugin,
    steps: u32,
    sandbox: Arc<Sandbox>,
) -> Result<f64> {
    let dir = tempfile_dir()?;
    let script = dir.join("steps.jsonl");
    std::fs::write(&script, script_for(scaffold, steps)?)
        .with_context(|| format!("{}: cannot write", script.display()))?;
    let model = format!("script:{}", script.display());
    let mut router = Router::new(RouterConfig::default())?;
    router.load_offline_models(std::slice::from_ref(&model), None)?;
    let router = Arc::new(router);
    let (store, writer) = Store::open(&dir.join("bench.duckdb")).await?;
    let task = bench_task();
    let limits = bench_limits();
    let mut total_steps = 0u64;
    let mut total_time = Duration::ZERO;
    for i in 0..EPISODES {
        let key = format!("bench-script-{i}");
        let services = EpisodeServices {
            sandbox: sandbox.clone(),
            router: router.clone(),
            model: model.clone(),
            llm_context: EpisodeContext {
                episode_key: key.clone(),
                ..EpisodeContext::default()
            },
            sampling: SamplingDefaults::default(),
            recorder: Recorder::new(writer.clone(), &key, &key, 0),
        };
        let report = scaffold.run(services, &task, &json!({}), &limits).await;
        if let Err(f) = &report.result {
            bail!(
                "the scripted episode failed: {f:?} (stderr: {})",
                report.stderr
            );
        }
        total_steps += u64::from(report.services.recorder.totals().steps);
        total_time += report.wall_time;
    }
    writer.flush().await?;
    store.close().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(total_steps as f64 / total_time.as_secs_f64().max(1e-9))
}
