//! Event counters of one container's cgroups: OOM kills (memory controller) and forks refused
//! at the pids limit (pids controller). Docker reports OOM per container, and with an init
//! process the container survives it, so commands compare these counters before and after
//! they run. They are read from the host's cgroup files when this process sees the engine's
//! cgroup tree (a local engine: a file read, no cost), else through one root exec inside the
//! container. It must never write to a cgroup, and never fail a command for a counter it
//! cannot read (an unknown counter reads as `None`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::Docker;

use super::raw::{self, ExecSpec};

/// The container's own cgroup files as seen from inside it (cgroup v1, then v2 with a
/// private cgroup namespace): `(file, key)` of the OOM-kill and refused-fork counters.
const INSIDE_OOM: [&str; 2] = [
    "/sys/fs/cgroup/memory/memory.oom_control",
    "/sys/fs/cgroup/memory.events",
];
const INSIDE_PIDS: [&str; 2] = [
    "/sys/fs/cgroup/pids/pids.events",
    "/sys/fs/cgroup/pids.events",
];
const OOM_KEY: &str = "oom_kill";
const PIDS_KEY: &str = "max";

/// Prints `<file> <line>` for each readable counter file (one exec for both counters).
const READ_INSIDE: &str = r#"for f in "$@"; do [ -r "$f" ] && while read -r l; do echo "$f $l"; done < "$f"; done; exit 0"#;

/// One reading of the counters; `None` where a counter is unknown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Snapshot {
    /// Processes the kernel killed for running out of memory in this container.
    pub oom_kills: Option<u64>,
    /// Forks refused because the container was at its pids limit.
    pub refused_forks: Option<u64>,
}

impl Snapshot {
    /// Whether the OOM counter went up from `before` to `self`.
    pub fn oom_since(&self, before: &Snapshot) -> bool {
        matches!((before.oom_kills, self.oom_kills), (Some(a), Some(b)) if b > a)
    }

    /// Whether a fork was refused at the pids limit between `before` and `self`.
    pub fn pids_limit_hit_since(&self, before: &Snapshot) -> bool {
        matches!((before.refused_forks, self.refused_forks), (Some(a), Some(b)) if b > a)
    }
}

/// Where one container's counters are read.
#[derive(Debug, Clone)]
pub(crate) enum Counters {
    /// The host's files (memory, pids) for this container.
    Host { oom: PathBuf, pids: PathBuf },
    /// A root exec inside the container.
    Inside,
}

/// The value of `key` in a cgroup file of `key value` lines.
pub(crate) fn parse_counter(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let mut it = l.split_whitespace();
        (it.next()? == key).then_some(())?;
        it.next()?.parse().ok()
    })
}

/// The host paths where a local engine keeps the container's counter files: cgroup v1 and
/// v2, with the `cgroupfs` and the `systemd` cgroup drivers.
fn host_candidates(root: &Path, id: &str) -> Vec<(PathBuf, PathBuf)> {
    let scope = format!("docker-{id}.scope");
    vec![
        (
            root.join("memory/docker")
                .join(id)
                .join("memory.oom_control"),
            root.join("pids/docker").join(id).join("pids.events"),
        ),
        (
            root.join("memory/system.slice")
                .join(&scope)
                .join("memory.oom_control"),
            root.join("pids/system.slice")
                .join(&scope)
                .join("pids.events"),
        ),
        (
            root.join("docker").join(id).join("memory.events"),
            root.join("docker").join(id).join("pids.events"),
        ),
        (
            root.join("system.slice").join(&scope).join("memory.events"),
            root.join("system.slice").join(&scope).join("pids.events"),
        ),
    ]
}

impl Counters {
    /// Finds the container's counter files on this host (the container id is unique, so a
    /// file under it belongs to this container), else reads them inside the container.
    pub fn locate(id: &str) -> Counters {
        Self::locate_under(Path::new("/sys/fs/cgroup"), id)
    }

    fn locate_under(root: &Path, id: &str) -> Counters {
        let readable = |p: &Path| std::fs::read_to_string(p).is_ok();
        host_candidates(root, id)
            .into_iter()
            .find(|(oom, pids)| readable(oom) && readable(pids))
            .map_or(Counters::Inside, |(oom, pids)| Counters::Host { oom, pids })
    }

    /// Whether a reading costs nothing (a file read rather than an exec).
    pub fn is_cheap(&self) -> bool {
        matches!(self, Counters::Host { .. })
    }

    /// Reads both counters now.
    pub async fn read(&self, docker: &Docker, container: &str) -> Snapshot {
        match self {
            Counters::Host { oom, pids } => {
                let read = |p: &Path, key: &str| {
                    std::fs::read_to_string(p)
                        .ok()
                        .and_then(|t| parse_counter(&t, key))
                };
                Snapshot {
                    oom_kills: read(oom.as_path(), OOM_KEY),
                    refused_forks: read(pids.as_path(), PIDS_KEY),
                }
            }
            Counters::Inside => read_inside(docker, container).await,
        }
    }
}

/// Reads the counters through a root exec (no capabilities needed: the files are world
/// readable). An exec that cannot start (e.g. at the pids limit) gives unknown counters.
pub(crate) async fn read_inside(docker: &Docker, container: &str) -> Snapshot {
    let mut argv = vec![
        "/bin/sh".to_string(),
        "-c".into(),
        READ_INSIDE.into(),
        "synth-counters".into(),
    ];
    argv.extend(INSIDE_OOM.iter().chain(&INSIDE_PIDS).map(|s| s.to_string()));
    let out = raw::run(
        docker,
        container,
        ExecSpec {
            argv,
            user: "0:0",
            env: None,
            cwd: Some("/"),
            stdin: false,
        },
        None,
        64 * 1024,
        Duration::from_secs(30),
    )
    .await;
    let Ok(out) = out else {
        return Snapshot::default();
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let pick = |files: &[&str], key: &str| {
        files.iter().find_map(|f| {
            let lines: String = text
                .lines()
                .filter_map(|l| l.strip_prefix(*f)?.strip_prefix(' '))
                .map(|l| format!("{l}\n"))
                .collect();
            parse_counter(&lines, key)
        })
    };
    Snapshot {
        oom_kills: pick(&INSIDE_OOM[..], OOM_KEY),
        refused_forks: pick(&INSIDE_PIDS[..], PIDS_KEY),
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn counters_parse_from_v1_and_v2_files() {
        let v1 = "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n";
        assert_eq!(parse_counter(v1, OOM_KEY), Some(3));
        let v2 = "low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\n";
        assert_eq!(parse_counter(v2, OOM_KEY), Some(1));
        assert_eq!(parse_counter("max 7\n", PIDS_KEY), Some(7));
        assert_eq!(parse_counter("under_oom 0\n", OOM_KEY), None);
        assert_eq!(parse_counter("oom_kill x\n", OOM_KEY), None);
    }

    #[test]
    fn changes_are_only_seen_between_known_readings() {
        let a = Snapshot {
            oom_kills: Some(1),
            refused_forks: Some(0),
        };
        let b = Snapshot {
            oom_kills: Some(2),
            refused_forks: Some(5),
        };
        assert!(b.oom_since(&a) && b.pids_limit_hit_since(&a));
        assert!(!a.oom_since(&a) && !a.pids_limit_hit_since(&a));
        assert!(!b.oom_since(&Snapshot::default()));
        assert!(!Snapshot::default().pids_limit_hit_since(&a));
    }

    #[test]
    fn host_files_are_found_for_each_layout() {
        let root = tempfile::tempdir().unwrap();
        let id = "abc123";
        assert!(matches!(
            Counters::locate_under(root.path(), id),
            Counters::Inside
        ));
        for (oom, pids) in host_candidates(root.path(), id) {
            std::fs::create_dir_all(oom.parent().unwrap()).unwrap();
            std::fs::create_dir_all(pids.parent().unwrap()).unwrap();
            std::fs::write(&oom, "oom_kill 0\n").unwrap();
            std::fs::write(&pids, "max 0\n").unwrap();
            match Counters::locate_under(root.path(), id) {
                Counters::Host { oom: o, pids: p } => {
                    assert_eq!((o, p), (oom.clone(), pids.clone()))
                }
                Counters::Inside => panic!("not found: {}", oom.display()),
            }
            std::fs::remove_file(&oom).unwrap();
        }
    }
}
