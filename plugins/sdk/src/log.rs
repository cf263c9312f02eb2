//! Diagnostic logging through the host's `log` import (the run's log and the `notes` table,
//! capped by the host).
//!
//! Calls the import: in a native build (unit tests) these functions panic, so keep logging
//! at the component's edge or behind [`crate::host::Host`].

pub use crate::scaffold_bindings::synth::plugin::log::Level;

/// Sends one line at `level` to the host.
pub fn log(level: Level, message: &str) {
    crate::scaffold_bindings::synth::plugin::log::log(level, message);
}

pub fn trace(message: &str) {
    log(Level::Trace, message);
}

pub fn debug(message: &str) {
    log(Level::Debug, message);
}

pub fn info(message: &str) {
    log(Level::Info, message);
}

pub fn warn(message: &str) {
    log(Level::Warn, message);
}

pub fn error(message: &str) {
    log(Level::Error, message);
}

/// `synth_sdk::trace!("fmt", args..)`: formats and logs at trace level.
#[macro_export]
macro_rules! trace {
    ($($arg:tt)*) => { $crate::log::trace(&::std::format!($($arg)*)) };
}

/// `synth_sdk::debug!("fmt", args..)`: formats and logs at debug level.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => { $crate::log::debug(&::std::format!($($arg)*)) };
}

/// `synth_sdk::info!("fmt", args..)`: formats and logs at info level.
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => { $crate::log::info(&::std::format!($($arg)*)) };
}

/// `synth_sdk::warn!("fmt", args..)`: formats and logs at warn level.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => { $crate::log::warn(&::std::format!($($arg)*)) };
}

/// `synth_sdk::error!("fmt", args..)`: formats and logs at error level.
#[macro_export]
macro_rules! error {
    ($($arg:tt)*) => { $crate::log::error(&::std::format!($($arg)*)) };
}
