//! Cleanup of leftover containers: every container labelled `synth=1` whose owning process
//! (pid + start time on this boot) is gone, or all of them on request, and the end-of-run
//! sweep of this process's own containers. It must never remove a container whose owner is
//! alive and another process unless asked for all.

use std::collections::HashMap;

use bollard::query_parameters::ListContainersOptionsBuilder;

use super::SandboxError;
use super::container::remove_container;
use super::engine::{
    Engine, LABEL_OWNER_BOOT, LABEL_OWNER_PID, LABEL_OWNER_START, LABEL_SYNTH, Owner,
};

/// The owner named by a container's labels, if they are complete.
pub(crate) fn owner_of(labels: &HashMap<String, String>) -> Option<Owner> {
    Some(Owner {
        pid: labels.get(LABEL_OWNER_PID)?.parse().ok()?,
        start: labels.get(LABEL_OWNER_START)?.clone(),
        boot: labels.get(LABEL_OWNER_BOOT)?.clone(),
    })
}

impl Engine {
    /// Removes synth containers whose owning process is gone (`all = false`) or every synth
    /// container (`all = true`). Returns the removed container ids.
    pub async fn gc(&self, all: bool) -> Result<Vec<String>, SandboxError> {
        self.remove_until_gone(|owner| all || owner.is_none_or(|o| !o.is_alive()))
            .await
    }

    /// Removes every container this process started that is still there: the end-of-run
    /// sweep that also catches a container whose creation was cut short by a cancellation
    /// (created by the engine, but never handed to an episode). Returns the removed ids.
    pub async fn remove_own(&self) -> Result<Vec<String>, SandboxError> {
        let me = Owner::current()?;
        self.remove_until_gone(|owner| owner.as_ref() == Some(&me))
            .await
    }

    /// [`Engine::remove_where`] again until none is listed: a removal already under way
    /// (started by a run that has since died, or by another path) returns at once and is
    /// only done when the container is no longer listed.
    async fn remove_until_gone(
        &self,
        pick: impl Fn(Option<Owner>) -> bool,
    ) -> Result<Vec<String>, SandboxError> {
        let mut removed = Vec::new();
        for _ in 0..50 {
            let round = self.remove_where(&pick).await?;
            if round.is_empty() {
                break;
            }
            for id in round {
                if !removed.contains(&id) {
                    removed.push(id);
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        Ok(removed)
    }

    /// Removes the synth containers whose owner (`None`: incomplete owner labels, which
    /// cannot name a live process) passes `pick`.
    async fn remove_where(
        &self,
        pick: impl Fn(Option<Owner>) -> bool,
    ) -> Result<Vec<String>, SandboxError> {
        let filters: HashMap<String, Vec<String>> =
            HashMap::from([("label".to_string(), vec![format!("{LABEL_SYNTH}=1")])]);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let list = self
            .docker
            .list_containers(Some(options))
            .await
            .map_err(|e| SandboxError::docker("list synth containers", e))?;
        let mut removed = Vec::new();
        let mut failed = Vec::new();
        for c in list {
            let Some(id) = c.id else { continue };
            let labels = c.labels.unwrap_or_default();
            if pick(owner_of(&labels)) {
                // One container that cannot be removed does not stop the others.
                match remove_container(&self.docker, &id).await {
                    Ok(()) => {
                        tracing::info!(container = %id, "removed synth container");
                        removed.push(id);
                    }
                    Err(e) => {
                        tracing::warn!(container = %id, error = %e, "cannot remove synth container");
                        failed.push(e.to_string());
                    }
                }
            }
        }
        if removed.is_empty() && !failed.is_empty() {
            return Err(SandboxError::Infrastructure(format!(
                "removed no container: {}",
                failed.join("; ")
            )));
        }
        Ok(removed)
    }
}
