//! The `synth` command line: parses arguments, sets up logging, and hands each command to
//! the library. Errors reach the user here as one line naming the file, field or value.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use synth::flow::{self, RunSpec};
use synth::plugin::{PluginEngine, SamplingDefaults, ScaffoldPlugin, ScorerPlugin, WorldKind};

#[derive(Parser)]
#[command(
    name = "synth",
    version,
    about = "Generate verified agent trajectories: Wasm scaffolds, Docker sandboxes, routed LLMs, DuckDB"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the episode matrix (tasks × scaffolds × models × samples) into a DuckDB file.
    Run(RunArgs),
    /// Run SQL against a run file (opened read-only) and print a table.
    Query {
        /// The DuckDB run file.
        file: PathBuf,
        /// The SQL to run.
        sql: String,
    },
    /// Remove synth containers whose owning process is gone.
    Gc {
        /// Remove every synth container, also those of live runs.
        #[arg(long)]
        all: bool,
    },
    /// Measure container start, shell round trip against `docker exec`, plugin instantiation
    /// and per-step cost, side by side, and print medians and ratios.
    Bench {
        /// Scaffold component; repeatable. Each gets its own size, compile, load,
        /// instantiate and steps-per-second figures; the first also runs the oracle episodes.
        #[arg(long = "scaffold", required = true)]
        scaffolds: Vec<PathBuf>,
        /// Steps per scripted episode in the steps-per-second measurement (below every
        /// scaffold's condensation threshold: the script answers calls in order).
        #[arg(long, default_value_t = 40)]
        steps: u32,
        #[arg(long, default_value_t = 20)]
        iterations: usize,
        /// Local image the bench containers are built from.
        #[arg(long, default_value = "synth-base:bookworm")]
        base_image: String,
    },
    /// Plugin tools.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Print a plugin's description (calls only its `describe` export).
    Inspect {
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create a ready-to-build scaffold crate NAME (the SDK and the contract vendored inside):
    /// then `cd NAME && cargo build --target wasm32-wasip2 --release`.
    New {
        /// Crate name: lowercase letters, digits and `-`.
        name: String,
        /// Folder to create it in.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
}

#[derive(Args)]
struct RunArgs {
    /// Scaffold component (.wasm); repeatable.
    #[arg(long = "scaffold", required = true)]
    scaffolds: Vec<PathBuf>,
    /// Folder of task templates.
    #[arg(long, default_value = "templates")]
    tasks: PathBuf,
    /// Only instances whose id contains this text; repeatable.
    #[arg(long = "task")]
    task_filter: Vec<String>,
    /// Model string (`oracle`, `nop`, `openai/gpt-4o`, `<provider>/<model>`); repeatable.
    #[arg(long = "model", default_value = "oracle")]
    models: Vec<String>,
    /// Samples per (instance, scaffold, model).
    #[arg(long, default_value_t = 1)]
    samples: u32,
    /// Episodes running at once.
    #[arg(long, default_value_t = 2)]
    concurrency: usize,
    /// The run file (DuckDB). Re-running the same command resumes it.
    #[arg(long, default_value = "runs/synth.duckdb")]
    db: PathBuf,
    /// Scorer component (.wasm); repeatable.
    #[arg(long = "scorer")]
    scorers: Vec<PathBuf>,
    /// Router configuration (TOML: providers, prices).
    #[arg(long = "config")]
    router_config: Option<PathBuf>,
    /// Scaffold configuration: a JSON object or @FILE holding one, for every scaffold; or
    /// NAME=JSON / NAME=@FILE for the scaffold named NAME. Repeatable.
    #[arg(long = "scaffold-config")]
    scaffold_config: Vec<String>,
    /// Override every template's step limit.
    #[arg(long)]
    max_steps: Option<u32>,
    /// Sampling temperature for agent calls that leave it unset.
    #[arg(long)]
    temperature: Option<f32>,
    /// Nucleus sampling for agent calls that leave it unset.
    #[arg(long)]
    top_p: Option<f32>,
    /// Completion token cap for calls that leave it unset.
    #[arg(long)]
    max_tokens: Option<u32>,
    /// Linear memory cap of a plugin instance, MiB.
    #[arg(long, default_value_t = 512)]
    plugin_memory_mb: usize,
    /// CPU time a plugin may spend in one episode, seconds.
    #[arg(long, default_value_t = 300)]
    plugin_cpu_secs: u64,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
}

/// One JSON object from `text` (JSON, or `@FILE`); `what` names it in errors.
fn config_object(text: &str, what: &str) -> Result<serde_json::Map<String, serde_json::Value>> {
    let (origin, body) = match text.strip_prefix('@') {
        Some(path) => (
            path.to_string(),
            std::fs::read_to_string(path)
                .with_context(|| format!("{path}: cannot read the scaffold configuration"))?,
        ),
        None => (what.to_string(), text.to_string()),
    };
    let value: serde_json::Value =
        serde_json::from_str(&body).with_context(|| format!("{origin}: not valid JSON"))?;
    match value {
        serde_json::Value::Object(map) => Ok(map),
        _ => bail!("{origin}: the scaffold configuration must be a JSON object"),
    }
}

/// `--scaffold-config` values: `{...}` / `@FILE` for every scaffold, `NAME=...` for one.
fn parse_scaffold_configs(values: &[String]) -> Result<flow::ScaffoldConfigs> {
    let mut configs = flow::ScaffoldConfigs::default();
    let mut default_seen = false;
    for value in values {
        let trimmed = value.trim_start();
        match trimmed.split_once('=') {
            Some((name, rest)) if !trimmed.starts_with(['{', '@']) => {
                let name = name.trim();
                let what = format!("--scaffold-config {name}=...");
                let config = config_object(rest, &what)?;
                if configs.by_name.insert(name.to_string(), config).is_some() {
                    bail!("--scaffold-config: `{name}` is configured twice");
                }
            }
            _ => {
                if std::mem::replace(&mut default_seen, true) {
                    bail!(
                        "--scaffold-config: two configurations for every scaffold; name one (NAME=...)"
                    );
                }
                configs.default = config_object(value, "--scaffold-config")?;
            }
        }
    }
    Ok(configs)
}

async fn run(args: RunArgs) -> Result<()> {
    let spec = RunSpec {
        scaffold_config: parse_scaffold_configs(&args.scaffold_config)?,
        scaffolds: args.scaffolds,
        scorers: args.scorers,
        models: args.models,
        tasks: args.tasks,
        task_filter: args.task_filter,
        samples: args.samples,
        concurrency: args.concurrency,
        db: args.db,
        router_config: args.router_config,
        sampling: SamplingDefaults {
            temperature: args.temperature,
            top_p: args.top_p,
            max_tokens: args.max_tokens,
        },
        max_steps: args.max_steps,
        plugin_memory_mb: args.plugin_memory_mb,
        plugin_cpu_secs: args.plugin_cpu_secs,
        cache_dir: synth::plugin::default_cache_dir(),
        args: std::env::args().collect(),
        progress: !args.no_progress,
    };
    let db = spec.db.clone();
    let summary = flow::run(spec).await?;
    println!("{}", summary.render());
    println!("run file: {}", db.display());
    Ok(())
}

async fn inspect(file: PathBuf, json: bool) -> Result<()> {
    let engine = PluginEngine::new(synth::plugin::default_cache_dir())?;
    let loaded = engine.load(&file).await?;
    match loaded.contract.world {
        WorldKind::Scaffold => {
            let plugin = ScaffoldPlugin::load(&engine, &file).await?;
            let info = &plugin.info;
            if json {
                println!("{}", serde_json::to_string_pretty(info)?);
                return Ok(());
            }
            println!(
                "{} {} (scaffold, contract synth:plugin@{})",
                info.name, info.version, info.contract
            );
            println!("{}", info.description);
            println!(
                "file: {} ({} bytes, sha256 {})",
                file.display(),
                info.size_bytes,
                info.hash
            );
            println!("tools:");
            for t in &info.tools {
                let role = match &t.role {
                    synth::llm::ToolRole::Shell {
                        command_argument, ..
                    } => format!("shell, command in `{command_argument}`"),
                    synth::llm::ToolRole::Finish { .. } => "finish".to_string(),
                    synth::llm::ToolRole::Other => "other".to_string(),
                };
                println!(
                    "  {} [{}]: {}",
                    t.name,
                    role,
                    t.description.lines().next().unwrap_or("")
                );
                println!("    parameters: {}", t.parameters);
            }
            println!("config schema: {}", info.config_schema);
        }
        WorldKind::Scorer => {
            let plugin = ScorerPlugin::load(&engine, &file).await?;
            let info = &plugin.info;
            if json {
                println!("{}", serde_json::to_string_pretty(info)?);
                return Ok(());
            }
            println!(
                "{} {} (scorer, contract synth:plugin@{})",
                info.name, info.version, info.contract
            );
            println!("{}", info.description);
            println!("config schema: {}", info.config_schema);
        }
    }
    Ok(())
}

async fn gc(all: bool) -> Result<()> {
    let engine = synth::sandbox::Engine::connect().await?;
    let removed = engine.gc(all).await?;
    println!("removed {} container(s)", removed.len());
    for id in removed {
        println!("  {id}");
    }
    Ok(())
}

async fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => run(args).await,
        Command::Query { file, sql } => {
            let table =
                tokio::task::spawn_blocking(move || synth::store::query_to_table(&file, &sql))
                    .await
                    .context("query task failed")??;
            print!("{table}");
            Ok(())
        }
        Command::Gc { all } => gc(all).await,
        Command::Bench {
            scaffolds,
            steps,
            iterations,
            base_image,
        } => {
            let report = synth::bench::run(synth::bench::BenchOptions {
                scaffolds,
                steps_per_episode: steps,
                iterations,
                base_image,
            })
            .await?;
            print!("{report}");
            Ok(())
        }
        Command::Plugin {
            command: PluginCommand::Inspect { file, json },
        } => inspect(file, json).await,
        Command::Plugin {
            command: PluginCommand::New { name, dir },
        } => {
            let root = synth::authoring::create(&name, &dir)?;
            let lib = name.replace('-', "_");
            println!("created {}", root.display());
            println!(
                "next: cd {} && cargo build --target wasm32-wasip2 --release\n      \
                 synth run --scaffold {}/target/wasm32-wasip2/release/{lib}.wasm --model oracle",
                root.display(),
                root.display()
            );
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SYNTH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let line = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {line}");
            ExitCode::FAILURE
        }
    }
}
