//! Misbehaviours of the guest itself: CPU, memory, traps, panics, stack, logs and stderr.
//! Each either never returns on its own (the host must end it) or floods an output the
//! host must cap and then does the task honestly, to show the episode survived the flood.

use std::hint::black_box;
use std::io::Write;

use synth_sdk::sandbox::{self, ExecOptions};
use synth_sdk::{Outcome, RunError};

/// An infinite loop with no host calls: only the host's CPU budget can end it.
pub fn spin() -> Result<Outcome, RunError> {
    let mut n: u64 = 0;
    loop {
        n = black_box(n.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
}

/// Grows linear memory without bound, 1 MiB at a time, touching every chunk.
pub fn hoard_memory() -> Result<Outcome, RunError> {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut chunk = vec![0u8; 1 << 20];
        for i in (0..chunk.len()).step_by(4096) {
            chunk[i] = (hoard.len() & 0xff) as u8;
        }
        hoard.push(black_box(chunk));
    }
}

/// Executes the `unreachable` instruction (in a frame of its own, so the trap names it).
#[inline(never)]
pub fn trap_unreachable() -> Result<Outcome, RunError> {
    // The wasm `unreachable` instruction, emitted directly (not a panic).
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    // Native builds (the workspace's `cargo test`) only type-check this plugin.
    #[cfg(not(target_arch = "wasm32"))]
    std::process::abort()
}

/// Reads far past the end of linear memory through a raw pointer.
pub fn trap_out_of_bounds() -> Result<Outcome, RunError> {
    let address = black_box(0xFFFF_FF00usize);
    // SAFETY: none; the point is an out-of-bounds access the engine must trap.
    let value = unsafe { core::ptr::read_volatile(address as *const u64) };
    Err(RunError::Internal(format!(
        "read {value} past the end of memory"
    )))
}

/// The text of the deliberate panics; tests look for it in the recorded termination.
pub const PANIC_TEXT: &str = "hostile panic: the flux capacitor overflowed (7f3a)";

pub fn panic_with_message() -> Result<Outcome, RunError> {
    panic!("{PANIC_TEXT}");
}

/// Recursion with no frame in the shadow stack (no address-taken locals), so it is the
/// engine's wasm stack that runs out, not linear memory. The rotation keeps LLVM from
/// turning the recursion into a loop.
#[inline(never)]
fn dive(n: u64) -> u64 {
    if n == 0 {
        return 1;
    }
    dive(n - 1).rotate_left(3) ^ n
}

/// Like `dive`, but calls a host import at every level, so the host runs on what is left
/// of the stack when the guest is at its limit.
#[inline(never)]
fn dive_calling_host(n: u64) -> u64 {
    if n == 0 {
        return 1;
    }
    synth_sdk::log::trace("");
    dive_calling_host(n - 1).rotate_left(3) ^ n
}

pub fn recurse(call_host: bool) -> Result<Outcome, RunError> {
    let depth = if call_host {
        dive_calling_host(black_box(u64::MAX))
    } else {
        dive(black_box(u64::MAX))
    };
    Err(RunError::Internal(format!("recursion returned {depth}")))
}

/// Commands that each take a few epoch ticks, more of them than the CPU budget has ticks:
/// the time spent waiting on them is not the plugin's CPU time, so it must not be ended.
pub fn slow_host() -> Result<Outcome, RunError> {
    for i in 0..400 {
        let r = sandbox::exec("sleep 0.02", &ExecOptions::default())
            .map_err(|e| RunError::Sandbox(format!("command {i}: {}", e.message())))?;
        if r.exit_code != Some(0) {
            return Err(RunError::Sandbox(format!(
                "command {i} exited with {:?}",
                r.exit_code
            )));
        }
    }
    crate::honest("waited on 400 slow commands")
}

/// 100 000 log lines, then the honest job.
pub fn log_flood() -> Result<Outcome, RunError> {
    for i in 0..100_000u32 {
        synth_sdk::log::info(&format!("flood line {i}"));
    }
    crate::honest("logged 100000 lines")
}

/// One 50 MB log line, then the honest job.
pub fn log_giant() -> Result<Outcome, RunError> {
    let line = "g".repeat(50 << 20);
    synth_sdk::log::warn(&line);
    drop(line);
    crate::honest("logged one 50 MB line")
}

/// 200 MB to stderr in 1 MiB writes; then either the honest job or a panic whose message
/// must survive the flood.
pub fn stderr_flood(then_panic: bool) -> Result<Outcome, RunError> {
    let chunk = "e".repeat(1 << 20);
    let mut stderr = std::io::stderr();
    for _ in 0..200 {
        // Errors are ignored on purpose: a flooder does not care.
        let _ = stderr.write_all(chunk.as_bytes());
    }
    let _ = stderr.write_all(b"\n");
    if then_panic {
        panic!("{PANIC_TEXT}");
    }
    crate::honest("wrote 200 MB to stderr")
}
