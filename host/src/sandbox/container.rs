//! Containers: creation with hard limits (memory with equal swap, CPUs, pids, cap-drop ALL,
//! no-new-privileges, an init process, no network unless asked, sized tmpfs folders for
//! everything the agent can write) and owner labels, the
//! [`Sandbox`] handle that owns one running container and its persistent shell, and removal
//! (explicit, or scheduled when the last handle drops). It must never leave a container it
//! started behind on a normal path, and never remove one it does not own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder};

use super::cgroup::{Counters, Snapshot};
use super::engine::{
    Engine, LABEL_EPISODE, LABEL_OWNER_BOOT, LABEL_OWNER_PID, LABEL_OWNER_START, LABEL_RUN,
    LABEL_SYNTH,
};
use super::shell::Shell;
use super::{ContainerSpec, SandboxError, is_not_found, workspace};

/// The shell and the command running in it, if any (after a soft timeout).
pub(crate) struct ShellSlot {
    pub shell: Option<Shell>,
    pub running: Option<super::commands::Running>,
    /// The container's cgroup counters when the last command ended (or the shell started).
    pub last: Snapshot,
}

/// One running container with its persistent shell. Share it as `Arc<Sandbox>`; dropping the
/// last handle without [`Sandbox::remove`] schedules the removal on the current runtime.
pub struct Sandbox {
    pub(crate) docker: Docker,
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) workspace: String,
    pub(crate) user: String,
    /// Where the OOM-kill and refused-fork counters of the container are read.
    pub(crate) counters: Counters,
    pub(crate) shell: tokio::sync::Mutex<ShellSlot>,
    pub(crate) removed: AtomicBool,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("workspace", &self.workspace)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// Keeps `[A-Za-z0-9_.-]` of `s`, at most `n` characters.
fn name_part(s: &str, n: usize) -> String {
    let p: String = s
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        .take(n)
        .collect();
    if p.is_empty() { "x".into() } else { p }
}

pub(crate) fn check_workspace(ws: &str) -> Result<(), SandboxError> {
    let ok = ws.starts_with('/')
        && ws.len() > 1
        && ws
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '.'))
        && !ws.split('/').any(|c| c == "..");
    if ok {
        Ok(())
    } else {
        Err(SandboxError::InvalidArgument(format!(
            "workspace must be an absolute path of [A-Za-z0-9/_.-]: {ws:?}"
        )))
    }
}

impl Engine {
    /// Starts a container with hard limits and owner labels, then opens its shell. The
    /// container is removed again if anything after its creation fails.
    pub async fn start(&self, spec: &ContainerSpec) -> Result<Sandbox, SandboxError> {
        check_workspace(&spec.workspace)?;
        if spec.user.is_empty() || spec.user == "root" || spec.user == "0" {
            return Err(SandboxError::InvalidArgument(format!(
                "the agent must not run as root (user {:?})",
                spec.user
            )));
        }
        for (what, v) in [
            ("memory_bytes", spec.memory_bytes),
            ("nano_cpus", spec.nano_cpus),
            ("pids_limit", spec.pids_limit),
            ("workspace_bytes", spec.workspace_bytes),
        ] {
            if v < 0 {
                return Err(SandboxError::InvalidArgument(format!(
                    "{what} is negative: {v}"
                )));
            }
        }
        let labels: HashMap<String, String> = [
            (LABEL_SYNTH, "1".to_string()),
            (LABEL_RUN, spec.run_id.clone()),
            (LABEL_EPISODE, spec.episode_key.clone()),
            (LABEL_OWNER_PID, self.owner.pid.to_string()),
            (LABEL_OWNER_START, self.owner.start.clone()),
            (LABEL_OWNER_BOOT, self.owner.boot.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let name = format!(
            "synth-{}-{}-{:06x}",
            name_part(&spec.run_id, 8),
            name_part(&spec.episode_key, 12),
            fastrand::u32(..0x100_0000)
        );
        // The agent's ids own the tmpfs roots: read from the image before its creation.
        let account = if spec.workspace_bytes > 0 {
            Some(workspace::account(&self.docker, &spec.image, &spec.user, &labels).await?)
        } else {
            None
        };
        let positive = |v: i64| (v > 0).then_some(v);
        let host_config = HostConfig {
            tmpfs: account.as_ref().map(|a| workspace::tmpfs_mounts(spec, a)),
            memory: positive(spec.memory_bytes),
            memory_swap: positive(spec.memory_bytes),
            nano_cpus: positive(spec.nano_cpus),
            pids_limit: positive(spec.pids_limit),
            cap_drop: Some(vec!["ALL".into()]),
            security_opt: Some(vec!["no-new-privileges".into()]),
            init: Some(true),
            network_mode: Some(if spec.network { "bridge" } else { "none" }.into()),
            ..Default::default()
        };
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            // Keep-alive under init. It runs as root so the agent (another uid, no
            // capabilities) can neither kill it nor init: `kill -1` and `kill 1` are
            // survivable. Every exec names its user explicitly.
            cmd: Some(vec!["sleep".into(), "infinity".into()]),
            user: Some("0:0".into()),
            working_dir: Some(spec.workspace.clone()),
            hostname: Some("sandbox".into()),
            labels: Some(labels),
            tty: Some(false),
            attach_stdin: Some(false),
            attach_stdout: Some(false),
            attach_stderr: Some(false),
            host_config: Some(host_config),
            ..Default::default()
        };
        let options = CreateContainerOptionsBuilder::default().name(&name).build();
        let created = self
            .docker
            .create_container(Some(options), body)
            .await
            .map_err(|e| {
                SandboxError::docker(format!("create container {name} from {}", spec.image), e)
            })?;
        let mut sandbox = Sandbox {
            docker: self.docker.clone(),
            id: created.id,
            name,
            workspace: spec.workspace.clone(),
            user: spec.user.clone(),
            // Located once started (the cgroups exist from then on).
            counters: Counters::Inside,
            shell: tokio::sync::Mutex::new(ShellSlot {
                shell: None,
                running: None,
                last: Snapshot::default(),
            }),
            removed: AtomicBool::new(false),
        };
        // From here on, dropping `sandbox` on an error removes the container.
        self.docker
            .start_container(
                &sandbox.id,
                None::<bollard::query_parameters::StartContainerOptions>,
            )
            .await
            .map_err(|e| SandboxError::docker(format!("start container {}", sandbox.name), e))?;
        sandbox.counters = Counters::locate(&sandbox.id);
        if let Some(account) = &account {
            workspace::populate(&self.docker, &sandbox.id, spec, account).await?;
        }
        let shell = Shell::start(&self.docker, &sandbox.id, &spec.user, &spec.workspace).await?;
        let counters = sandbox.counters.read(&self.docker, &sandbox.id).await;
        let mut slot = sandbox.shell.lock().await;
        slot.shell = Some(shell);
        slot.last = counters;
        drop(slot);
        Ok(sandbox)
    }
}

impl Sandbox {
    pub fn container_id(&self) -> &str {
        &self.id
    }

    /// The container's name (`synth-<run>-<episode>-<random>`).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn workspace(&self) -> &str {
        &self.workspace
    }

    /// The image id the container runs on.
    pub async fn image_id(&self) -> Result<String, SandboxError> {
        let info = self
            .docker
            .inspect_container(
                &self.id,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
            .map_err(|e| SandboxError::docker(format!("inspect container {}", self.name), e))?;
        info.image.ok_or_else(|| {
            SandboxError::Infrastructure(format!("container {} has no image id", self.name))
        })
    }

    /// Removes the container (force, with its anonymous volumes). Idempotent.
    pub async fn remove(&self) -> Result<(), SandboxError> {
        if self.removed.load(Ordering::SeqCst) {
            return Ok(());
        }
        // Close the shell first so its reader task ends with the container.
        if let Ok(mut slot) = self.shell.try_lock() {
            slot.running = None;
            slot.shell = None;
        }
        remove_container(&self.docker, &self.id).await?;
        self.removed.store(true, Ordering::SeqCst);
        Ok(())
    }
}

pub(crate) async fn remove_container(docker: &Docker, id: &str) -> Result<(), SandboxError> {
    let options = RemoveContainerOptionsBuilder::default()
        .force(true)
        .v(true)
        .build();
    match docker.remove_container(id, Some(options)).await {
        Ok(()) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        // 409: removal already in progress (another path is removing it).
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 409, ..
        }) => Ok(()),
        Err(e) => Err(SandboxError::docker(format!("remove container {id}"), e)),
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if self.removed.load(Ordering::SeqCst) {
            return;
        }
        let docker = self.docker.clone();
        let id = self.id.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(async move {
                    if let Err(e) = remove_container(&docker, &id).await {
                        tracing::warn!(container = %id, error = %e, "removing dropped sandbox failed");
                    }
                });
            }
            Err(_) => tracing::warn!(
                container = %id,
                "sandbox dropped outside a tokio runtime: container left for `synth gc`"
            ),
        }
    }
}
