//! How a scaffold run becomes an episode status and termination reason. Pure: the same
//! report always maps to the same status.
//!
//! Statuses: `completed` (the scaffold returned on its own: submitted or gave up),
//! `truncated` (a limit stopped it: steps, also when the plugin ignored being told, context,
//! budget, wall time), `plugin_fault` (the plugin trapped, exhausted its stack, hit its
//! memory or table cap, spent its CPU budget or returned an error of its own),
//! `infra_error` (the sandbox or the model provider failed under it; retried), and
//! `cancelled` (the run was interrupted). The termination starts with a category
//! (`cpu_budget`, `memory_limit`, `stack_exhausted`, `trap`, `step_limit`, ...) and a colon.

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
        Err(f @ (Failure::WallTime(_) | Failure::StepLimitIgnored { .. })) => {
            (Status::Truncated, f.reason())
        }
        Err(
            f @ (Failure::CpuBudget(_)
            | Failure::Trap(_)
            | Failure::StackExhausted { .. }
            | Failure::Limit(_)),
        ) => (Status::PluginFault, f.reason()),
        Err(f @ Failure::RunError { kind, .. }) => {
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
            (status, f.reason())
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

    #[test]
    fn every_fault_names_its_cause() {
        let t = EpisodeTotals::default();
        let cases = [
            (
                Failure::CpuBudget(Duration::from_secs(3)),
                Status::PluginFault,
                "cpu_budget: the plugin used more than 3s of CPU",
            ),
            (
                Failure::Limit(crate::plugin::LimitHit::Memory {
                    cap: 64 << 20,
                    requested: 65 << 20,
                }),
                Status::PluginFault,
                "memory_limit: the plugin's linear memory reached its cap of 64 MiB (it asked for 65 MiB in all)",
            ),
            (
                Failure::StackExhausted {
                    at: Some("hostile::dive".into()),
                },
                Status::PluginFault,
                "stack_exhausted: the plugin's call stack ran out (deep or endless recursion) in hostile::dive",
            ),
            (
                Failure::Trap("out of bounds memory access in f".into()),
                Status::PluginFault,
                "trap: out of bounds memory access in f",
            ),
            (
                Failure::StepLimitIgnored { max_steps: 5 },
                Status::Truncated,
                "step_limit: the plugin kept calling the model after its limit of 5 steps was reached",
            ),
            (
                Failure::WallTime(Duration::from_secs(60)),
                Status::Truncated,
                "time_limit: 60s",
            ),
        ];
        for (failure, status, termination) in cases {
            assert_eq!(
                classify(&Err(failure), &t),
                (status, termination.to_string())
            );
        }
    }
}
