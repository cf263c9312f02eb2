//! Named crash points for the kill-and-resume tests: `failpoint::hit("writer.before_commit")`
//! kills the whole process with SIGKILL when the environment variable `SYNTH_FAILPOINT`
//! names that point, so a test reproduces a real crash at an exact place (no destructor runs,
//! nothing is flushed, no transaction is rolled back, containers are left running).
//!
//! `SYNTH_FAILPOINT=NAME` kills at the first hit of NAME, `SYNTH_FAILPOINT=NAME@N` at its
//! N-th hit (hits counted across the whole process, every thread). The variable is read once;
//! when it is unset a hit costs one atomic load. Before dying it writes one line to stderr,
//! `failpoint NAME: killing the process`, so a test can tell the point was reached.
//!
//! Crash tests only: it must never be set in production, and it must never do anything but
//! count and kill (no other fault injection lives here). Every name a call site uses is listed
//! in [`NAMES`], which the tests iterate over.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable that arms a failpoint.
pub const ENV: &str = "SYNTH_FAILPOINT";

/// Every failpoint, in the order an episode meets them.
pub const NAMES: &[&str] = &[
    // flow: the run row is queued, no episode has started yet
    "flow.after_run_row",
    // flow/episode.rs: around the container
    "episode.before_container_start",
    "episode.after_container_start",
    // plugin/record.rs: inside a step
    "record.between_step_rows",
    "record.after_action",
    // flow/episode.rs: around verification and the final row
    "episode.before_verification",
    "episode.after_verification",
    "episode.before_final_row",
    "episode.after_final_row",
    // store/writer.rs: in the writer thread
    "writer.mid_batch",
    "writer.before_commit",
    "writer.after_commit",
    // flow: every episode done, the file not yet closed (no checkpoint)
    "flow.before_close",
];

/// The armed failpoint: its name and the hit that kills.
struct Armed {
    name: String,
    at: u64,
    hits: AtomicU64,
}

static ARMED: OnceLock<Option<Armed>> = OnceLock::new();

/// Parses `NAME` or `NAME@N` (N >= 1). None for an empty or malformed value.
fn parse(value: &str) -> Option<(String, u64)> {
    let value = value.trim();
    let (name, at) = match value.split_once('@') {
        Some((name, n)) => (name, n.parse::<u64>().ok().filter(|&n| n >= 1)?),
        None => (value, 1),
    };
    if name.is_empty() {
        return None;
    }
    Some((name.to_string(), at))
}

fn armed() -> Option<&'static Armed> {
    ARMED
        .get_or_init(|| {
            let value = std::env::var(ENV).ok()?;
            match parse(&value) {
                Some((name, at)) => {
                    if !NAMES.contains(&name.as_str()) {
                        eprintln!("warning: {ENV}={value}: no failpoint has that name");
                    }
                    Some(Armed {
                        name,
                        at,
                        hits: AtomicU64::new(0),
                    })
                }
                None => {
                    eprintln!("warning: {ENV}={value}: expected NAME or NAME@N (N >= 1)");
                    None
                }
            }
        })
        .as_ref()
}

/// Passes the failpoint `name`; kills the process (SIGKILL) if it is armed and this is the
/// hit it waits for.
pub fn hit(name: &str) {
    let Some(armed) = armed() else { return };
    if armed.name != name {
        return;
    }
    let n = armed.hits.fetch_add(1, Ordering::SeqCst) + 1;
    if n == armed.at {
        eprintln!("failpoint {name}: killing the process");
        // SAFETY: getpid and kill have no preconditions; SIGKILL ends the process here.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
        // SIGKILL to oneself is delivered before kill returns; never go on regardless.
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_name_and_count() {
        assert_eq!(
            parse("writer.mid_batch"),
            Some(("writer.mid_batch".into(), 1))
        );
        assert_eq!(parse("a.b@3"), Some(("a.b".into(), 3)));
        assert_eq!(parse(" a.b@1 "), Some(("a.b".into(), 1)));
        assert_eq!(parse("a.b@0"), None);
        assert_eq!(parse("a.b@x"), None);
        assert_eq!(parse("@2"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn every_name_has_exactly_one_call_site() {
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut sources = String::new();
        let mut dirs = vec![std::path::PathBuf::from(src)];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("src is readable") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("failpoint.rs")
                {
                    sources.push_str(&std::fs::read_to_string(&path).expect("readable"));
                }
            }
        }
        for name in NAMES {
            let call = format!("failpoint::hit(\"{name}\")");
            assert_eq!(
                sources.matches(&call).count(),
                1,
                "{call} must appear exactly once under host/src"
            );
        }
        let mut sorted = NAMES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), NAMES.len(), "duplicate failpoint names");
    }

    #[test]
    fn unset_means_disarmed() {
        // The test process never sets the variable: every hit is a no-op.
        if std::env::var_os(ENV).is_none() {
            for name in NAMES {
                hit(name);
            }
            assert!(armed().is_none());
        }
    }
}
