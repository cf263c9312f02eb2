//! synth: a plugin-host runtime that generates verified agent trajectories.
//!
//! Data flows one way: [`flow`] schedules episodes; each episode runs a scaffold [`plugin`]
//! that talks to its [`sandbox`] and the [`llm`] router; everything that happens is recorded
//! through the [`store`]. [`task`] loads the templates the episodes are made of.

pub mod authoring;
pub mod bench;
pub mod canonical;
pub mod failpoint;
pub mod flow;
pub mod llm;
pub mod plugin;
pub mod sandbox;
pub mod store;
pub mod task;

/// The wasmtime version this host embeds (recorded in every run).
pub const WASMTIME_VERSION: &str = "48.0.8";
