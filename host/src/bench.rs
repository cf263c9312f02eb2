//! `synth bench`: the figures behind the README, measured side by side in one run on this
//! machine: container start, the persistent shell's round trip against one `docker exec` per
//! command (through the API and through the CLI), plugin instantiation, the per-step cost
//! of a whole oracle episode through the first scaffold with every row recorded, and per
//! scaffold ([`scaffolds`]): component size, cold compile, cached load, instantiation and the
//! steps per second it sustains against a zero-latency scripted model. Prints medians and
//! ratios; it asserts nothing.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::llm::{EpisodeContext, Router, RouterConfig};
use crate::plugin::{
    EpisodeServices, PluginEngine, Recorder, RunLimits, SamplingDefaults, ScaffoldPlugin, TaskInput,
};
use crate::sandbox::{AGENT_USER, ContainerSpec, Engine, ExecOptions, ImageSpec, Sandbox};
use crate::store::Store;

mod scaffolds;

pub struct BenchOptions {
    /// The first one also runs the oracle-episode measurement.
    pub scaffolds: Vec<PathBuf>,
    /// Steps per scripted episode in the steps-per-second measurement.
    pub steps_per_episode: u32,
    pub iterations: usize,
    pub base_image: String,
}

struct Stat {
    name: &'static str,
    samples: Vec<Duration>,
}

impl Stat {
    fn median_ms(&self) -> f64 {
        quantile_ms(&self.samples, 0.5)
    }
    fn line(&self) -> String {
        format!(
            "{:<44} median {:>9.3} ms   p90 {:>9.3} ms   n={}",
            self.name,
            self.median_ms(),
            quantile_ms(&self.samples, 0.9),
            self.samples.len()
        )
    }
}

fn quantile_ms(samples: &[Duration], q: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let mut v: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    v.sort_by(|a, b| a.total_cmp(b));
    let idx = ((v.len() - 1) as f64 * q).round() as usize;
    v[idx]
}

async fn timed<T, F: std::future::Future<Output = Result<T>>>(
    samples: &mut Vec<Duration>,
    f: F,
) -> Result<T> {
    let started = Instant::now();
    let v = f.await?;
    samples.push(started.elapsed());
    Ok(v)
}

fn container_spec(image: &str, tag: &str) -> ContainerSpec {
    ContainerSpec {
        image: image.to_string(),
        run_id: format!("bench-{tag}"),
        episode_key: format!("bench-{}", uuid::Uuid::new_v4().simple()),
        network: false,
        memory_bytes: 1 << 30,
        nano_cpus: 1_000_000_000,
        pids_limit: 256,
        workspace: crate::task::WORKSPACE.to_string(),
        workspace_bytes: 1 << 30,
        user: AGENT_USER.to_string(),
    }
}

/// Runs every measurement and returns the report text.
pub async fn run(opts: BenchOptions) -> Result<String> {
    if opts.iterations < 3 {
        bail!("--iterations must be at least 3");
    }
    if opts.scaffolds.is_empty() {
        bail!("give at least one --scaffold");
    }
    let n = opts.iterations;
    let docker = Engine::connect().await?;
    let context = tempfile_dir()?;
    let image = docker
        .ensure_image(&ImageSpec {
            base_image: opts.base_image.clone(),
            context_dir: context.clone(),
            setup: Vec::new(),
            env: Vec::new(),
            workspace: crate::task::WORKSPACE.to_string(),
        })
        .await?;
    let run_tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();

    // Container start (create + start + open the shell) and removal.
    let mut start = Stat {
        name: "container start (create+start+shell)",
        samples: vec![],
    };
    let mut remove = Stat {
        name: "container remove",
        samples: vec![],
    };
    for _ in 0..n {
        let sb = timed(&mut start.samples, async {
            Ok(docker.start(&container_spec(&image.tag, &run_tag)).await?)
        })
        .await?;
        timed(&mut remove.samples, async { Ok(sb.remove().await?) }).await?;
    }

    let sandbox = Arc::new(docker.start(&container_spec(&image.tag, &run_tag)).await?);
    let result = measure_in_container(&opts, &docker, sandbox.clone(), n).await;
    let per_scaffold = match &result {
        Ok(_) => Some(scaffolds::measure(&opts, sandbox.clone()).await),
        Err(_) => None,
    };
    sandbox.remove().await.ok();
    let _ = std::fs::remove_dir_all(&context);
    let mut stats = result?;
    stats.insert(0, remove);
    stats.insert(0, start);

    let find = |name: &str| {
        stats
            .iter()
            .find(|s| s.name.starts_with(name))
            .map(Stat::median_ms)
            .unwrap_or(f64::NAN)
    };
    let shell = find("persistent shell");
    let api_exec = find("docker exec per command (API");
    let cli_exec = find("docker exec per command (CLI");
    let step = find("oracle step through");
    let mut out = String::new();
    out.push_str(&format!(
        "synth bench: {n} iterations, image {}\n\n",
        image.tag
    ));
    for s in &stats {
        out.push_str(&s.line());
        out.push('\n');
    }
    out.push_str("\nratios (same run):\n");
    out.push_str(&format!(
        "  docker exec (CLI) / persistent shell round trip   {:>7.1}x\n",
        cli_exec / shell
    ));
    out.push_str(&format!(
        "  docker exec (API) / persistent shell round trip   {:>7.1}x\n",
        api_exec / shell
    ));
    out.push_str(&format!(
        "  docker exec (CLI) / synth step (oracle)           {:>7.1}x\n",
        cli_exec / step
    ));
    if let Some(table) = per_scaffold {
        out.push('\n');
        out.push_str(&table?);
    }
    Ok(out)
}

async fn measure_in_container(
    opts: &BenchOptions,
    docker: &Engine,
    sandbox: Arc<Sandbox>,
    n: usize,
) -> Result<Vec<Stat>> {
    let mut stats = Vec::new();
    let opts_exec = ExecOptions::default();
    for _ in 0..3 {
        sandbox.exec("true", &opts_exec).await?;
    }
    let mut shell = Stat {
        name: "persistent shell round trip (`true`)",
        samples: vec![],
    };
    for _ in 0..n * 10 {
        timed(&mut shell.samples, async {
            Ok(sandbox.exec("true", &opts_exec).await?)
        })
        .await?;
    }
    stats.push(shell);

    let mut api = Stat {
        name: "docker exec per command (API, `true`)",
        samples: vec![],
    };
    for _ in 0..n {
        timed(&mut api.samples, async {
            Ok(sandbox
                .exec_fresh(
                    &["true"],
                    AGENT_USER,
                    &[],
                    "/",
                    Duration::from_secs(30),
                    4096,
                )
                .await?)
        })
        .await?;
    }
    stats.push(api);

    let mut cli = Stat {
        name: "docker exec per command (CLI, `true`)",
        samples: vec![],
    };
    for _ in 0..n {
        let id = sandbox.container_id().to_string();
        timed(&mut cli.samples, async move {
            let out = tokio::process::Command::new("docker")
                .args(["exec", &id, "true"])
                .output()
                .await?;
            if !out.status.success() {
                bail!(
                    "docker exec failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            Ok(())
        })
        .await?;
    }
    stats.push(cli);

    let engine = PluginEngine::new(crate::plugin::default_cache_dir())?;
    let scaffold = ScaffoldPlugin::load(&engine, &opts.scaffolds[0]).await?;
    let mut inst = Stat {
        name: "plugin instantiate (fresh store)",
        samples: vec![],
    };
    for _ in 0..n * 10 {
        inst.samples.push(scaffold.instantiate_probe().await?);
    }
    stats.push(inst);

    // Whole episodes of the oracle through the scaffold on a trivial command, with a real
    // DuckDB writer recording every row.
    let dir = tempfile_dir()?;
    let db = dir.join("bench.duckdb");
    let (store, writer) = Store::open(&db).await?;
    let router = Arc::new(Router::new(RouterConfig::default())?);
    let mut step = Stat {
        name: "oracle step through the first scaffold (per LLM call)",
        samples: vec![],
    };
    let mut episode = Stat {
        name: "oracle episode through the first scaffold (2 steps)",
        samples: vec![],
    };
    let task = bench_task();
    let limits = bench_limits();
    for i in 0..n {
        let key = format!("bench-{i}");
        let services = EpisodeServices {
            sandbox: sandbox.clone(),
            router: router.clone(),
            model: "oracle".into(),
            llm_context: EpisodeContext {
                episode_key: key.clone(),
                sample: 0,
                solution: Some("true".into()),
                ..EpisodeContext::default()
            },
            sampling: SamplingDefaults::default(),
            recorder: Recorder::new(writer.clone(), &key, &key, 0),
        };
        let report = scaffold
            .run(services, &task, &serde_json::json!({}), &limits)
            .await;
        if let Err(f) = &report.result {
            bail!(
                "the bench episode failed: {f:?} (stderr: {})",
                report.stderr
            );
        }
        let steps = report.services.recorder.totals().steps.max(1);
        episode.samples.push(report.wall_time);
        step.samples.push(report.wall_time / steps);
    }
    writer.flush().await?;
    store.close().await?;
    let _ = std::fs::remove_dir_all(&dir);
    let _ = docker;
    stats.push(step);
    stats.push(episode);
    Ok(stats)
}

fn bench_task() -> TaskInput {
    TaskInput {
        instance_id: "bench".into(),
        template_id: "bench".into(),
        category: "bench".into(),
        difficulty: "easy".into(),
        instruction: "Run `true`.".into(),
        workspace: crate::task::WORKSPACE.into(),
        max_steps: 1000,
        max_seconds: 600,
        parameters: serde_json::json!({}),
    }
}

fn bench_limits() -> RunLimits {
    RunLimits {
        memory_bytes: 512 << 20,
        cpu_budget: Duration::from_secs(60),
        wall_budget: Duration::from_secs(600),
        max_steps: 1000,
        max_log_lines: 1000,
        max_log_line: 4096,
    }
}

fn tempfile_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("synth-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    Ok(dir)
}
