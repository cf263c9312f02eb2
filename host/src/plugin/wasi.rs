//! The WASI p2 world a plugin sees: an empty, deny-by-default context. No preopened
//! directories, no environment, no arguments, no sockets or name lookup, no inherited stdio.
//! Standard output and error go to capped in-memory buffers that the host records (the
//! head and the tail of each stream, so a flood cannot push out a final panic message),
//! written synchronously with no task or copy per write beyond the kept bytes; random
//! numbers and clocks are derived from the episode key so a replay sees the same values.
//! This module must never grant a capability: anything a plugin may do goes through the
//! synth imports, where the host records it.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder};

/// Bytes of guest stdout and stderr kept per stream (a quarter from the head, the rest
/// from the tail); the middle is counted and dropped.
pub const OUTPUT_CAP: usize = 64 * 1024;

/// What one write may carry, as the stream tells the guest before each write.
const WRITE_BUDGET: usize = 1 << 20;

/// A guest output stream that never fails: it keeps the first and the last bytes written
/// and counts the rest, so a flood of output neither traps the guest nor grows host
/// memory, and the last lines (a panic message) survive any flood.
#[derive(Clone, Debug)]
pub struct CappedPipe {
    inner: Arc<Mutex<CappedBuf>>,
}

#[derive(Debug, Default)]
struct CappedBuf {
    head_cap: usize,
    tail_cap: usize,
    head: Vec<u8>,
    tail: VecDeque<u8>,
    dropped: u64,
}

impl CappedPipe {
    /// A pipe keeping at most `cap` bytes: `cap / 4` from the head, the rest from the tail.
    pub fn new(cap: usize) -> Self {
        CappedPipe {
            inner: Arc::new(Mutex::new(CappedBuf {
                head_cap: cap / 4,
                tail_cap: cap - cap / 4,
                ..CappedBuf::default()
            })),
        }
    }

    fn push(&self, bytes: &[u8]) {
        let mut buf = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let room = buf.head_cap.saturating_sub(buf.head.len());
        let (to_head, rest) = bytes.split_at(room.min(bytes.len()));
        buf.head.extend_from_slice(to_head);
        if rest.len() >= buf.tail_cap {
            buf.dropped += (buf.tail.len() + rest.len() - buf.tail_cap) as u64;
            buf.tail.clear();
            let keep = &rest[rest.len() - buf.tail_cap..];
            buf.tail.extend(keep);
            return;
        }
        let over = (buf.tail.len() + rest.len()).saturating_sub(buf.tail_cap);
        buf.tail.drain(..over);
        buf.dropped += over as u64;
        buf.tail.extend(rest);
    }

    /// What was kept, as text (lossy), with a line saying how much was dropped between
    /// the head and the tail.
    pub fn text(&self) -> String {
        let buf = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut text = String::from_utf8_lossy(&buf.head).into_owned();
        if buf.dropped > 0 {
            text.push_str(&format!("\n[... {} bytes dropped ...]\n", buf.dropped));
        }
        let (a, b) = buf.tail.as_slices();
        let mut tail = Vec::with_capacity(a.len() + b.len());
        tail.extend_from_slice(a);
        tail.extend_from_slice(b);
        text.push_str(&String::from_utf8_lossy(&tail));
        text
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CappedPipe {
    async fn ready(&mut self) {}
}

/// The WASI p2 stream the guest writes to: synchronous, always ready, never full.
impl OutputStream for CappedPipe {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        self.push(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_BUDGET)
    }
}

impl AsyncWrite for CappedPipe {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl IsTerminal for CappedPipe {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CappedPipe {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

/// A wall clock that starts at a fixed instant derived from the seed and advances one
/// millisecond per reading.
struct SeededWallClock {
    start: Duration,
    ticks: AtomicU64,
}

impl HostWallClock for SeededWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_millis(1)
    }
    fn now(&self) -> Duration {
        let n = self.ticks.fetch_add(1, Ordering::Relaxed);
        self.start + Duration::from_millis(n)
    }
}

/// A monotonic clock that advances one millisecond (in nanoseconds) per reading.
struct SeededMonotonicClock {
    ticks: AtomicU64,
}

impl HostMonotonicClock for SeededMonotonicClock {
    fn resolution(&self) -> u64 {
        1_000_000
    }
    fn now(&self) -> u64 {
        self.ticks.fetch_add(1, Ordering::Relaxed) * 1_000_000
    }
}

/// Bytes of a deterministic stream derived from `seed` (SHA-256 in counter mode).
fn seeded_bytes(seed: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut counter: u64 = 0;
    while out.len() < len {
        let mut h = Sha256::new();
        h.update(seed.as_bytes());
        h.update(counter.to_le_bytes());
        out.extend_from_slice(&h.finalize());
        counter += 1;
    }
    out.truncate(len);
    out
}

/// The capped buffers a plugin's stdout and stderr go to.
#[derive(Clone, Debug)]
pub struct GuestOutput {
    pub stdout: CappedPipe,
    pub stderr: CappedPipe,
}

/// Builds the empty WASI context for one store, seeded from `seed` (the episode key, or a
/// fixed string for `describe`).
pub fn sandboxed_ctx(seed: &str) -> (WasiCtx, GuestOutput) {
    let output = GuestOutput {
        stdout: CappedPipe::new(OUTPUT_CAP),
        stderr: CappedPipe::new(OUTPUT_CAP),
    };
    let random = seeded_bytes(&format!("{seed}/random"), 64 * 1024);
    let insecure = seeded_bytes(&format!("{seed}/insecure"), 16 * 1024);
    let seed16 = seeded_bytes(&format!("{seed}/seed"), 16);
    let mut seed_arr = [0u8; 16];
    seed_arr.copy_from_slice(&seed16);
    // 2020-01-01T00:00:00Z plus up to ~3 years derived from the seed.
    let offset =
        u64::from_le_bytes(seed_arr[..8].try_into().unwrap_or_default()) % (3 * 365 * 86_400);
    let wall = SeededWallClock {
        start: Duration::from_secs(1_577_836_800 + offset),
        ticks: AtomicU64::new(0),
    };
    let mut b = WasiCtxBuilder::new();
    b.stdout(output.stdout.clone())
        .stderr(output.stderr.clone())
        .secure_random(wasmtime_wasi::Deterministic::new(random))
        .insecure_random(wasmtime_wasi::Deterministic::new(insecure))
        .insecure_random_seed(u128::from_le_bytes(seed_arr))
        .wall_clock(wall)
        .monotonic_clock(SeededMonotonicClock {
            ticks: AtomicU64::new(0),
        })
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .socket_addr_check(|_, _| Box::pin(async { false }));
    (b.build(), output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_pipe_keeps_head_and_tail_and_counts_the_middle() {
        let p = CappedPipe::new(8);
        p.push(b"abcdefghij");
        p.push(b"kl");
        assert_eq!(p.text(), "ab\n[... 4 bytes dropped ...]\nghijkl");
        // A write longer than the tail replaces it.
        p.push(b"0123456789");
        assert_eq!(p.text(), "ab\n[... 14 bytes dropped ...]\n456789");
        let small = CappedPipe::new(8);
        small.push(b"abc");
        small.push(b"d");
        assert_eq!(small.text(), "abcd");
    }

    #[test]
    fn a_flood_keeps_the_last_line() {
        let p = CappedPipe::new(OUTPUT_CAP);
        let chunk = vec![b'e'; 4096];
        for _ in 0..10_000 {
            p.push(&chunk);
        }
        p.push(b"\npanicked at src/lib.rs: the message\n");
        let text = p.text();
        assert!(text.len() < OUTPUT_CAP + 100, "{}", text.len());
        assert!(text.ends_with("the message\n"));
        assert!(text.contains("bytes dropped"));
    }

    #[test]
    fn seeded_bytes_are_deterministic_and_distinct() {
        assert_eq!(seeded_bytes("k", 100), seeded_bytes("k", 100));
        assert_ne!(seeded_bytes("k", 32), seeded_bytes("j", 32));
        assert_eq!(seeded_bytes("k", 70).len(), 70);
    }
}
