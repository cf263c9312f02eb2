//! End-to-end tests: the real `synth` binary against a real Docker engine, real DuckDB files
//! and real Wasm components built from plugins/ (scripts/build-plugins.sh builds them).

mod common;
mod llm_server;

mod inspect;
mod oracle;
mod python;
mod resume;
mod scripted;
