//! The plugin host: runs scaffold and scorer components (wit/) on wasmtime with async host
//! functions. It owns the engine, the compile cache, the contract version check, linking
//! (pre-linked once per component), per-episode stores with memory caps, epoch-based CPU
//! and wall budgets, the empty WASI context, and the host side of every WIT import, where
//! each call is recorded as it passes. A trap or a budget ends that episode only.
//!
//! It must never give a plugin a capability beyond the contract's imports, never let an
//! API key reach a plugin, and never decide an episode's verification (that is `flow`'s).

mod config_check;
mod convert;
mod engine;
mod episode;
mod fault;
mod limits;
mod record;
mod scaffold;
mod scorer;
mod v0_1_0;
mod version;
mod wasi;

pub use config_check::check_config;
pub use engine::{EPOCH_TICK, LoadedComponent, PluginEngine, check_format, default_cache_dir};
pub use episode::{EpisodeServices, MAX_REQUEST_BYTES, RunLimits, SamplingDefaults};
pub use limits::{LimitHit, MAX_TABLE_ELEMENTS};
pub use record::{EpisodeTotals, Recorder, StepSummary};
pub use scaffold::{Exit, Failure, PluginInfo, RunReport, ScaffoldPlugin, TaskInput};
pub use scorer::{EpisodeForScoring, Score, ScorerInfo, ScorerPlugin, VerificationForScoring};
pub use version::{ContractError, ContractUse, SUPPORTED, WorldKind};

use std::path::Path;

/// Errors of loading or calling a plugin. Each renders as one line naming the file.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("{path}: {message}")]
    Component { path: String, message: String },
    #[error("plugin engine: {0}")]
    Engine(String),
}

impl PluginError {
    pub(crate) fn at(path: &Path, message: impl Into<String>) -> PluginError {
        PluginError::Component {
            path: path.display().to_string(),
            message: message.into(),
        }
    }
}

/// Renders a wasmtime error with its causes on one line.
pub(crate) fn error_chain(e: &wasmtime::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let s = cause.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    parts.join(": ").replace('\n', " ")
}
