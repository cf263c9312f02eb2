//! How a scaffold run becomes an episode status and termination reason. Pure: the same
//! report always maps to the same status.
//!
//! Statuses: `completed` (the scaffold returned on its own: submitted or gave up),
//! `truncated` (a limit stopped it: steps, context, budget, wall time), `plugin_fault`
//! (the plugin trapped, spent its CPU budget or returned an error of its own),
//! `infra_error` (the sandbox or the model provider failed under it; retried), and
//! `cancelled` (the run was interrupted).

use crate::plugin::{EpisodeTotals, Exit, Failure};
pub use crate::store::Status;

/// Maps a scaffold's result and the recorder's totals to (status, termination).
pub fn classify(
    result: &Result<(Exit, String), Failure>,
    totals: &EpisodeTotals,
) -> (Status, String) {
    match result {
        Ok((exit, _)) => {
            let status = match exit {
                Exit::Submitted | Exit::GaveUp => Status::Completed,
                Exit::StepLimit | Exit::ContextLimit | Exit::BudgetExhausted => Status::Truncated,
            };
            let termination = if totals.step_limit_hit && *exit != Exit::Submitted {
                "step_limit".to_string()
            } else {
                exit.as_str().to_string()
            };
            (status, termination)
        }
        Err(Failure::WallTime(d)) => (Status::Truncated, format!("time_limit: {}s", d.as_secs())),
        Err(Failure::CpuBudget(d)) => (
            Status::PluginFault,
            format!(
                "cpu_budget: the plugin used more than {}s of CPU",
                d.as_secs()
            ),
        ),
        Err(Failure::Trap(msg)) => (Status::PluginFault, format!("trap: {msg}")),
        Err(Failure::RunError { kind, message }) => {
            let infra = match *kind {
                "llm" => totals.provider_failures > 0,
                "sandbox" => totals.infrastructure_failures > 0,
                _ => false,
            };
            let status = if infra {
                Status::InfraError
            } else {
                Status::PluginFault
            };
            (status, format!("{kind}_error: {message}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn mapping() {
        let t = EpisodeTotals::default();
        assert_eq!(
            classify(&Ok((Exit::Submitted, String::new())), &t).0,
            Status::Completed
        );
        assert_eq!(
            classify(&Ok((Exit::StepLimit, String::new())), &t),
            (Status::Truncated, "step_limit".into())
        );
        let hit = EpisodeTotals {
            step_limit_hit: true,
            ..EpisodeTotals::default()
        };
        assert_eq!(
            classify(&Ok((Exit::BudgetExhausted, String::new())), &hit).1,
            "step_limit"
        );
        assert_eq!(
            classify(&Err(Failure::Trap("unreachable".into())), &t).0,
            Status::PluginFault
        );
        assert_eq!(
            classify(&Err(Failure::WallTime(Duration::from_secs(5))), &t).0,
            Status::Truncated
        );
        let llm = Err(Failure::RunError {
            kind: "llm",
            message: "down".into(),
        });
        assert_eq!(classify(&llm, &t).0, Status::PluginFault);
        let failing = EpisodeTotals {
            provider_failures: 1,
            ..EpisodeTotals::default()
        };
        assert_eq!(classify(&llm, &failing).0, Status::InfraError);
    }
}
