//! The wasmtime engine every plugin runs on: its configuration (component model, epoch
//! interruption), the epoch ticker thread, and loading a component file: format checks, the
//! contract version check, and compilation with an on-disk cache keyed by the component's
//! content hash and the engine's compatibility hash. It must never run guest code.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Config, Engine};

use super::PluginError;
use super::version::{self, ContractUse};

/// How often the epoch advances. Guests yield to tokio at every tick, and budgets are
/// measured in ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Stack a guest may use before it traps with "call stack exhausted".
pub const MAX_WASM_STACK: usize = 2 << 20;
/// Stack guaranteed to host code called from a guest at its stack limit.
pub const HOST_STACK_ROOM: usize = 6 << 20;

/// The shared engine plus its epoch ticker. Cheap to clone.
#[derive(Clone)]
pub struct PluginEngine {
    inner: Arc<EngineInner>,
}

struct EngineInner {
    engine: Engine,
    cache_dir: Option<PathBuf>,
    stop_ticker: Arc<AtomicBool>,
}

impl Drop for EngineInner {
    fn drop(&mut self) {
        self.stop_ticker.store(true, Ordering::Relaxed);
    }
}

/// A component read from disk, checked and compiled.
#[derive(Clone)]
pub struct LoadedComponent {
    pub path: PathBuf,
    /// SHA-256 of the component file, hex.
    pub hash: String,
    pub contract: ContractUse,
    pub component: Component,
    /// Size of the component file in bytes.
    pub size: u64,
    /// Whether the compiled form came from the on-disk cache.
    pub from_cache: bool,
}

/// The default compile cache folder: `$SYNTH_CACHE_DIR/components`, else
/// `$XDG_CACHE_HOME/synth/components`, else `~/.cache/synth/components`.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("SYNTH_CACHE_DIR") {
        return Some(PathBuf::from(dir).join("components"));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("synth").join("components"))
}

impl PluginEngine {
    /// Creates the engine and starts its epoch ticker. `cache_dir` None disables the
    /// on-disk compile cache.
    pub fn new(cache_dir: Option<PathBuf>) -> Result<PluginEngine, PluginError> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.max_wasm_stack(MAX_WASM_STACK);
        // Host code (import implementations, the epoch callback, the limiter) runs on the
        // same fiber stack as the guest: only `async_stack_size - max_wasm_stack` is left
        // for it when a guest has recursed to its limit. With the two equal (as they were),
        // a guest that recursed deep and then called an import overflowed the fiber stack
        // and aborted the whole process. Untouched stack pages cost no memory.
        config.async_stack_size(MAX_WASM_STACK + HOST_STACK_ROOM);
        let engine = Engine::new(&config).map_err(|e| PluginError::Engine(e.to_string()))?;
        let stop = Arc::new(AtomicBool::new(false));
        let ticker_engine = engine.weak();
        let ticker_stop = stop.clone();
        std::thread::Builder::new()
            .name("synth-epoch".into())
            .spawn(move || {
                while !ticker_stop.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    match ticker_engine.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .map_err(|e| PluginError::Engine(format!("cannot start the epoch thread: {e}")))?;
        Ok(PluginEngine {
            inner: Arc::new(EngineInner {
                engine,
                cache_dir,
                stop_ticker: stop,
            }),
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// Reads, checks and compiles a component file. One-line errors name the file.
    pub async fn load(&self, path: &Path) -> Result<LoadedComponent, PluginError> {
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|e| PluginError::at(path, format!("cannot read: {e}")))?;
        check_format(&bytes).map_err(|msg| PluginError::at(path, msg))?;
        let hash = hex::encode(Sha256::digest(&bytes));
        let this = self.clone();
        let owned_path = path.to_path_buf();
        let hash2 = hash.clone();
        let size = bytes.len() as u64;
        let (component, from_cache) =
            tokio::task::spawn_blocking(move || this.compile_cached(&owned_path, &bytes, &hash2))
                .await
                .map_err(|e| PluginError::at(path, format!("compile task failed: {e}")))??;
        let ty = component.component_type();
        let engine = self.engine();
        let imports: Vec<String> = ty.imports(engine).map(|(n, _)| n.to_string()).collect();
        let exports: Vec<String> = ty.exports(engine).map(|(n, _)| n.to_string()).collect();
        let contract = version::classify(
            imports.iter().map(String::as_str),
            exports.iter().map(String::as_str),
        )
        .map_err(|e| PluginError::at(path, e.to_string()))?;
        Ok(LoadedComponent {
            path: path.to_path_buf(),
            hash,
            contract,
            component,
            size,
            from_cache,
        })
    }

    fn cache_path(&self, hash: &str) -> Option<PathBuf> {
        let dir = self.inner.cache_dir.as_ref()?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner
            .engine
            .precompile_compatibility_hash()
            .hash(&mut h);
        Some(dir.join(format!("{hash}-{:016x}.cwasm", h.finish())))
    }

    /// Compiles `bytes`, or loads the compiled form from the cache. Blocking: call from
    /// `spawn_blocking`.
    fn compile_cached(
        &self,
        path: &Path,
        bytes: &[u8],
        hash: &str,
    ) -> Result<(Component, bool), PluginError> {
        let engine = &self.inner.engine;
        let cached = self.cache_path(hash);
        if let Some(cached) = &cached
            && cached.exists()
        {
            // SAFETY: the file was written by `precompile_component` of an engine with the
            // same compatibility hash (part of its name), in a cache folder only synth writes.
            match unsafe { Component::deserialize_file(engine, cached) } {
                Ok(c) => return Ok((c, true)),
                Err(e) => {
                    tracing::warn!(cache = %cached.display(), error = %e, "ignoring a bad compile cache entry");
                    let _ = std::fs::remove_file(cached);
                }
            }
        }
        let Some(cached) = cached else {
            let c = Component::new(engine, bytes).map_err(|e| compile_error(path, e))?;
            return Ok((c, false));
        };
        let compiled = engine
            .precompile_component(bytes)
            .map_err(|e| compile_error(path, e))?;
        let write = || -> std::io::Result<()> {
            let dir = cached.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir)?;
            let tmp = dir.join(format!(".{}.{}.tmp", hash, std::process::id()));
            std::fs::write(&tmp, &compiled)?;
            std::fs::rename(&tmp, &cached)
        };
        if let Err(e) = write() {
            tracing::warn!(cache = %cached.display(), error = %e, "cannot write the compile cache");
        }
        // SAFETY: `compiled` was produced just now by this engine.
        let c = unsafe { Component::deserialize(engine, &compiled) }
            .map_err(|e| compile_error(path, e))?;
        Ok((c, false))
    }
}

fn compile_error(path: &Path, e: wasmtime::Error) -> PluginError {
    let first = e.to_string();
    PluginError::at(path, format!("not a valid component: {first}"))
}

/// Checks the 8-byte header: the wasm magic and the component layer.
pub fn check_format(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() < 8 || &bytes[0..4] != b"\0asm" {
        return Err("not a WebAssembly file (no \\0asm header)".into());
    }
    // Core modules have version 1, layer 0; components have layer 1.
    if bytes[6..8] == [0, 0] {
        return Err(
            "a core WebAssembly module, not a component (build the plugin for wasm32-wasip2)"
                .into(),
        );
    }
    if bytes[6..8] != [1, 0] {
        return Err(format!(
            "unknown WebAssembly layer {:?}: not a component",
            &bytes[4..8]
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_checks() {
        assert!(
            check_format(b"hello world")
                .unwrap_err()
                .contains("not a WebAssembly file")
        );
        assert!(
            check_format(b"\0asm\x01\0\0\0")
                .unwrap_err()
                .contains("core WebAssembly module")
        );
        assert!(check_format(b"\0asm\x0d\0\x01\0").is_ok());
    }
}
