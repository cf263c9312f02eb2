//! The bounded workspace. The engine's storage driver here (fuse-overlayfs) has no
//! per-container quota, so every folder the agent can write (the workspace, its home, /tmp,
//! /var/tmp, /run/lock) is a tmpfs of a fixed size instead: filling one ends in "No space left
//! on device", and tmpfs pages count against the container's memory limit, so together they
//! can never hold more than that. Docker 20.10 neither copies an image's content into a tmpfs
//! (its `tmpcopyup` option is refused) nor keeps a tmpfs-backed volume's copy (the copy is made
//! at creation, on a mount that is gone by the start), so every task image keeps a copy of its
//! workspace and of the agent's home under [`STASH_DIR`], and [`populate`] copies it in as
//! the agent before the shell starts. The tmpfs roots must be owned by the agent, whose
//! numeric ids are read once per image from the image's `/etc/passwd`.
//!
//! It must never give the agent a writable folder on the container's disk that it mounts
//! itself, and never start the shell in a workspace that was not fully copied in.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use bollard::Docker;
use bollard::models::ContainerCreateBody;
use futures_util::StreamExt;

use super::container::remove_container;
use super::raw::{self, ExecSpec};
use super::{ContainerSpec, SandboxError};

/// Where every task image keeps its workspace (`workspace/`) and the agent's home (`home/`)
/// as they were at the end of the build, for the tmpfs copies.
pub const STASH_DIR: &str = "/var/lib/synth-stash";

/// Shared scratch folders made tmpfs too (world-writable, sticky).
const SCRATCH: [&str; 3] = ["/tmp", "/var/tmp", "/run/lock"];

/// Copies the stash into the fresh tmpfs folders ($1: workspace, $2: home or empty).
const POPULATE: &str = r#"s=/var/lib/synth-stash
if [ ! -d "$s/workspace" ]; then echo "the image has no $s/workspace (not a synth task image?)" >&2; exit 3; fi
cp -a "$s/workspace/." "$1/" || exit 1
if [ -n "$2" ] && [ -d "$s/home" ]; then cp -a "$s/home/." "$2/" || exit 1; fi
exit 0"#;

/// The agent's account in an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Account {
    pub uid: u32,
    pub gid: u32,
    pub home: String,
}

impl Account {
    /// The home folder to make a tmpfs, if it is an ordinary one apart from the workspace.
    fn tmpfs_home(&self, workspace: &str) -> Option<&str> {
        let h = self.home.trim_end_matches('/');
        let ws = workspace.trim_end_matches('/');
        let ordinary = h.starts_with("/home/")
            && h.len() > "/home/".len()
            && !h.contains("..")
            && h != ws
            && !h.starts_with(&format!("{ws}/"))
            && !ws.starts_with(&format!("{h}/"));
        ordinary.then_some(h)
    }
}

/// `user`'s entry in an `/etc/passwd` text.
pub(crate) fn parse_passwd(text: &str, user: &str) -> Option<Account> {
    text.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() < 7 || f[0] != user {
            return None;
        }
        Some(Account {
            uid: f[2].parse().ok()?,
            gid: f[3].parse().ok()?,
            home: f[5].to_string(),
        })
    })
}

/// The tmpfs mounts (target -> options) for a container of `spec` with the agent `account`.
pub(crate) fn tmpfs_mounts(spec: &ContainerSpec, account: &Account) -> HashMap<String, String> {
    let size = spec.workspace_bytes;
    // `exec`: the agent runs its scripts there (Docker's default for a tmpfs is noexec);
    // nosuid and nodev stay.
    let own = format!(
        "size={size},mode=0755,uid={},gid={},exec",
        account.uid, account.gid
    );
    let mut mounts = HashMap::from([(spec.workspace.clone(), own.clone())]);
    if let Some(home) = account.tmpfs_home(&spec.workspace) {
        mounts.insert(home.to_string(), own);
    }
    for dir in SCRATCH {
        mounts
            .entry(dir.to_string())
            .or_insert_with(|| format!("size={size},mode=1777,exec"));
    }
    mounts
}

/// The agent's account per image name, read once per process.
static ACCOUNTS: OnceLock<Mutex<HashMap<(String, String), Account>>> = OnceLock::new();

fn cached(image: &str, user: &str) -> Option<Account> {
    let map = ACCOUNTS.get_or_init(Default::default);
    let g = map.lock().unwrap_or_else(|p| p.into_inner());
    g.get(&(image.to_string(), user.to_string())).cloned()
}

/// Reads `user`'s account from `image`'s `/etc/passwd` through a created (never started)
/// container, removed again. Cached per image and user.
/// The probe carries `labels` (the owner's), so `synth gc` finds it if this process dies.
pub(crate) async fn account(
    docker: &Docker,
    image: &str,
    user: &str,
    labels: &HashMap<String, String>,
) -> Result<Account, SandboxError> {
    if let Some(a) = cached(image, user) {
        return Ok(a);
    }
    let body = ContainerCreateBody {
        image: Some(image.to_string()),
        cmd: Some(vec!["true".into()]),
        labels: Some(labels.clone()),
        network_disabled: Some(true),
        ..Default::default()
    };
    let created = docker
        .create_container(
            None::<bollard::query_parameters::CreateContainerOptions>,
            body,
        )
        .await
        .map_err(|e| SandboxError::docker(format!("create a probe container of {image}"), e))?;
    let read = read_passwd(docker, &created.id).await;
    if let Err(e) = remove_container(docker, &created.id).await {
        tracing::warn!(container = %created.id, error = %e, "removing the probe container");
    }
    let text = read.map_err(|e| {
        SandboxError::Infrastructure(format!("reading /etc/passwd of image {image}: {e}"))
    })?;
    let acct = parse_passwd(&text, user).ok_or_else(|| {
        SandboxError::Infrastructure(format!(
            "image {image} has no user {user:?} in /etc/passwd (not a synth task image?)"
        ))
    })?;
    let map = ACCOUNTS.get_or_init(Default::default);
    map.lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert((image.to_string(), user.to_string()), acct.clone());
    Ok(acct)
}

async fn read_passwd(docker: &Docker, container: &str) -> Result<String, String> {
    let options = bollard::query_parameters::DownloadFromContainerOptionsBuilder::default()
        .path("/etc/passwd")
        .build();
    let mut stream = docker.download_from_container(container, Some(options));
    let mut archive = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| super::one_line(&e.to_string()))?;
        archive.extend_from_slice(&chunk);
        if archive.len() > 16 * 1024 * 1024 {
            return Err("archive larger than 16 MiB".into());
        }
    }
    let mut tar = tar::Archive::new(archive.as_slice());
    let entries = tar.entries().map_err(|e| e.to_string())?;
    for entry in entries {
        let mut entry = entry.map_err(|e| e.to_string())?;
        if entry.header().entry_type().is_file() {
            let mut text = String::new();
            entry.read_to_string(&mut text).map_err(|e| e.to_string())?;
            return Ok(text);
        }
    }
    Err("no file in the archive".into())
}

/// Copies the image's stash into the tmpfs workspace (and home) as the agent.
pub(crate) async fn populate(
    docker: &Docker,
    container: &str,
    spec: &ContainerSpec,
    account: &Account,
) -> Result<(), SandboxError> {
    let home = account.tmpfs_home(&spec.workspace).unwrap_or_default();
    let out = raw::run(
        docker,
        container,
        ExecSpec {
            argv: vec![
                "/bin/sh".into(),
                "-c".into(),
                POPULATE.into(),
                "synth-populate".into(),
                spec.workspace.clone(),
                home.to_string(),
            ],
            user: &spec.user,
            env: None,
            cwd: Some("/"),
            stdin: false,
        },
        None,
        64 * 1024,
        Duration::from_secs(600),
    )
    .await?;
    if out.exit_code == Some(0) {
        return Ok(());
    }
    let why = out.stderr_text();
    let hint = if why.contains("No space left") {
        format!(
            ": the image's workspace does not fit the {} MiB tmpfs (raise environment.workspace_mb)",
            spec.workspace_bytes / (1024 * 1024)
        )
    } else {
        String::new()
    };
    Err(SandboxError::Infrastructure(format!(
        "copying the workspace of {} into its tmpfs in container {container} failed (exit {:?}){hint}: {why}",
        spec.image, out.exit_code
    )))
}

#[cfg(test)]
mod unit {
    use super::*;

    fn spec() -> ContainerSpec {
        ContainerSpec {
            image: "img".into(),
            run_id: "r".into(),
            episode_key: "e".into(),
            network: false,
            memory_bytes: 1 << 30,
            nano_cpus: 0,
            pids_limit: 0,
            workspace: "/workspace".into(),
            workspace_bytes: 64 << 20,
            user: "agent".into(),
        }
    }

    #[test]
    fn passwd_entry_is_found_by_name() {
        let text = "root:x:0:0:root:/root:/bin/bash\nagentx:x:7:7::/h:/bin/sh\nagent:x:1001:1002::/home/agent:/bin/bash\n";
        assert_eq!(
            parse_passwd(text, "agent"),
            Some(Account {
                uid: 1001,
                gid: 1002,
                home: "/home/agent".into()
            })
        );
        assert_eq!(parse_passwd(text, "nobody"), None);
        assert_eq!(parse_passwd("agent:x:a:1::/h:/bin/sh\n", "agent"), None);
    }

    #[test]
    fn mounts_cover_every_agent_writable_folder() {
        let acct = Account {
            uid: 1000,
            gid: 1000,
            home: "/home/agent".into(),
        };
        let m = tmpfs_mounts(&spec(), &acct);
        let own = "size=67108864,mode=0755,uid=1000,gid=1000,exec";
        assert_eq!(m.get("/workspace").map(String::as_str), Some(own));
        assert_eq!(m.get("/home/agent").map(String::as_str), Some(own));
        for d in SCRATCH {
            assert_eq!(
                m.get(d).map(String::as_str),
                Some("size=67108864,mode=1777,exec")
            );
        }
        assert_eq!(m.len(), 5);
        // A home that is not an ordinary one apart from the workspace stays as it is.
        for home in ["/", "/nonexistent", "/workspace", "/workspace/h", "/home/"] {
            let a = Account {
                home: home.into(),
                ..acct.clone()
            };
            assert_eq!(a.tmpfs_home("/workspace"), None, "{home}");
        }
        let mut s = spec();
        s.workspace = "/home/agent/ws".into();
        assert_eq!(acct.tmpfs_home(&s.workspace), None);
    }
}
