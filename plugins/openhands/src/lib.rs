//! openhands: an OpenHands-style CodeAct scaffold. The model acts through `execute_bash`
//! (a persistent shell with OpenHands' no-change timeout), `str_replace_editor` (OpenHands'
//! file editor, rebuilt over the sandbox's file calls), `think` and `finish`, with
//! OpenHands' tool schemas and observation texts, and an LLM-summarizing condenser.
//!
//! This file is the component's edge: `describe` and `run` exported through the SDK. It must
//! never hold behaviour: the loop is in `agent`, each tool and concern in its own module, and
//! all of them run natively in tests against a scripted host.

pub mod agent;
pub mod bash;
pub mod condenser;
pub mod config;
pub mod editor;
pub mod prompt;
pub mod tools;
pub mod view;

use synth_sdk::host::Imports;
use synth_sdk::{Outcome, PluginInfo, RunError, Scaffold, Task};

pub struct OpenHands;

impl Scaffold for OpenHands {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "openhands".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "OpenHands-style CodeAct agent: execute_bash with soft timeouts and \
                          interactive input, str_replace_editor, think and finish, with the \
                          original's schemas and messages, native or text tool calls, and an \
                          LLM-summarizing condenser."
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

synth_sdk::export_scaffold!(OpenHands);
