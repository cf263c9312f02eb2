//! swe-agent: SWE-agent's Agent-Computer Interface (the 0.7 tool set) as a synth scaffold: a
//! bash shell, a windowed file viewer with line-range `edit` checked by flake8, search
//! commands, and `submit`, with `last_n_observations` history collapsing.
//!
//! This file is the component's edge: `describe` and `run` exported through the SDK. The loop
//! lives in `agent`, the tools in `tools` and the modules it uses; all of them run natively
//! in tests against `synth_sdk::testing::FakeHost`.

pub mod agent;
pub mod blocklist;
pub mod config;
pub mod edit;
pub mod history;
pub mod lint;
pub mod prompt;
pub mod search;
pub mod shell;
pub mod tools;
pub mod viewer;

use synth_sdk::host::Imports;
use synth_sdk::{Outcome, PluginInfo, RunError, Scaffold, Task};

pub struct SweAgent;

impl Scaffold for SweAgent {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "swe-agent".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "SWE-agent-style ACI: bash, a windowed file viewer (open, goto, \
                          scroll_up, scroll_down, create), line-range edit checked by flake8, \
                          search_file / search_dir / find_file and submit; older tool results \
                          collapsed (last_n_observations)."
                .into(),
            tools: tools::specs(config::DEFAULT_WINDOW),
            config_schema: config::schema().to_string(),
        }
    }

    fn run(task: Task, config: String) -> Result<Outcome, RunError> {
        let config = config::Config::parse(&config)?;
        agent::run(&mut Imports, &task, &config)
    }
}

synth_sdk::export_scaffold!(SweAgent);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_needs_no_imports() {
        let info = SweAgent::describe();
        assert_eq!(info.name, "swe-agent");
        assert_eq!(info.tools.len(), 11);
        let schema: serde_json::Value = serde_json::from_str(&info.config_schema).unwrap();
        assert_eq!(schema["type"], "object");
        assert!(config::Config::parse("").is_ok());
    }
}
