//! mini: the bash-only baseline scaffold (mini-swe-agent's idea), one command per turn.
//!
//! This file is the component's edge: `describe` and `run` exported through the SDK. The loop
//! lives in `agent`, the configuration and prompt in `config`; both run natively in tests.

pub mod agent;
pub mod config;

use synth_sdk::host::Imports;
use synth_sdk::{Outcome, PluginInfo, RunError, Scaffold, Task};

pub struct Mini;

impl Scaffold for Mini {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "mini".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Bash-only baseline (mini-swe-agent's idea): one shell command per \
                          turn until the model calls submit."
                .into(),
            tools: agent::tools(),
            config_schema: config::schema().to_string(),
        }
    }

    fn run(task: Task, config: String) -> Result<Outcome, RunError> {
        let config = config::Config::parse(&config)?;
        agent::run(&mut Imports, &task, &config)
    }
}

synth_sdk::export_scaffold!(Mini);
