//! The connection to the Docker engine and the identity of this process as a container
//! owner (pid, start time, boot id), which labels every container so `gc` can tell live
//! owners from dead ones. It must never treat a container of a live process as garbage.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use bollard::Docker;

use super::SandboxError;

/// Labels on every synth container.
pub(crate) const LABEL_SYNTH: &str = "synth";
pub(crate) const LABEL_RUN: &str = "synth.run";
pub(crate) const LABEL_EPISODE: &str = "synth.episode";
pub(crate) const LABEL_OWNER_PID: &str = "synth.owner.pid";
pub(crate) const LABEL_OWNER_START: &str = "synth.owner.start";
pub(crate) const LABEL_OWNER_BOOT: &str = "synth.owner.boot";

/// Who owns a container: a process is identified by pid plus its start time (pids are
/// reused) on one boot of one kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Owner {
    pub pid: u32,
    pub start: String,
    pub boot: String,
}

impl Owner {
    /// This process.
    pub fn current() -> Result<Owner, SandboxError> {
        let pid = std::process::id();
        let start = process_start_time(pid).ok_or_else(|| {
            SandboxError::Infrastructure("cannot read /proc/self/stat (start time)".into())
        })?;
        let boot = boot_id().ok_or_else(|| {
            SandboxError::Infrastructure("cannot read /proc/sys/kernel/random/boot_id".into())
        })?;
        Ok(Owner { pid, start, boot })
    }

    /// Whether the process this owner names is still alive on this machine.
    pub fn is_alive(&self) -> bool {
        match boot_id() {
            Some(b) if b == self.boot => {}
            _ => return false,
        }
        process_start_time(self.pid).is_some_and(|s| s == self.start)
    }
}

/// Field 22 (starttime, clock ticks since boot) of `/proc/<pid>/stat`.
pub(crate) fn process_start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain spaces: split after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    // `rest` starts with field 3 (state); field 22 is the 20th from there.
    rest.split_whitespace().nth(19).map(str::to_string)
}

pub(crate) fn boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// One build at a time per image tag within this process (across all engines).
type BuildLocks = Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>;
static BUILD_LOCKS: OnceLock<BuildLocks> = OnceLock::new();

/// The Docker engine, its API version negotiated, plus this process's owner identity.
#[derive(Clone)]
pub struct Engine {
    pub(crate) docker: Docker,
    pub(crate) owner: Owner,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Connects to the local engine (`DOCKER_HOST` when set, else `/var/run/docker.sock`) and
    /// negotiates the API version (the engine here is 20.10, API 1.41).
    pub async fn connect() -> Result<Engine, SandboxError> {
        let host = std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty());
        let socket = host
            .clone()
            .unwrap_or_else(|| "unix:///var/run/docker.sock".to_string());
        let unreachable = |e: bollard::errors::Error| {
            SandboxError::Infrastructure(format!(
                "Docker engine unreachable at {socket} (set DOCKER_HOST to use another): {}",
                super::one_line(&e.to_string())
            ))
        };
        let docker = match host {
            Some(_) => Docker::connect_with_defaults(),
            None => Docker::connect_with_local_defaults(),
        }
        .map_err(unreachable)?;
        let docker = docker.negotiate_version().await.map_err(unreachable)?;
        Ok(Engine {
            docker,
            owner: Owner::current()?,
        })
    }

    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// The lock that serialises builds of one tag inside this process.
    pub(crate) fn build_lock(&self, tag: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = BUILD_LOCKS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        locks.entry(tag.to_string()).or_default().clone()
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn own_process_is_alive_and_a_changed_start_is_not() {
        let me = Owner::current().expect("owner");
        assert!(me.is_alive());
        let mut other = me.clone();
        other.start = "1".into();
        assert!(!other.is_alive());
        let mut reboot = me.clone();
        reboot.boot = "00000000-0000-0000-0000-000000000000".into();
        assert!(!reboot.is_alive());
    }
}
