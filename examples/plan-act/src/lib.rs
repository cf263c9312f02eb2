//! plan-act: an example synth scaffold that makes the model write a plan before it acts, then
//! shows the plan's progress with every request until the model submits.
//!
//! This file is the component's edge and nothing more: `describe` and `run`, exported with
//! `synth_sdk::export_scaffold!`. It must never hold agent logic: the loop is in `agent`,
//! the tools in `tools`, the plan's state in `plan`, the configuration in `config`, and all of
//! them run natively in `cargo test` against the SDK's `FakeHost`.

pub mod agent;
pub mod config;
pub mod plan;
pub mod tools;

use synth_sdk::host::Imports;
use synth_sdk::{Outcome, PluginInfo, RunError, Scaffold, Task};

pub struct PlanAct;

impl Scaffold for PlanAct {
    /// Called with no sandbox or model: it must not call imports.
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "plan-act".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Example scaffold: the model writes a plan first, then acts on it with \
                          bash, write_file and read_file, marking progress with update_plan, \
                          until it calls submit."
                .into(),
            tools: tools::specs(),
            config_schema: config::schema().to_string(),
        }
    }

    fn run(task: Task, config: String) -> Result<Outcome, RunError> {
        let config = config::Config::parse(&config)?;
        agent::run(&mut Imports, &task, &config)
    }
}

synth_sdk::export_scaffold!(PlanAct);
