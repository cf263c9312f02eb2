//! End-to-end tests: the real `synth` binary against a real Docker engine, real DuckDB files
//! and real Wasm components built from plugins/ (scripts/build-plugins.sh builds them).

mod common;
mod fault_server;
mod llm_server;

mod authoring;
mod bad_input;
mod editor_edges;
mod hostile_plugins;
mod inspect;
mod kill_resume;
mod llm_faults;
mod long_horizon;
mod offline_models;
mod oracle;
mod python;
mod resume;
mod sandbox_flags;
mod scaffolds;
mod scripted;
mod secrets;
