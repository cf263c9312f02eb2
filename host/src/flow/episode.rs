//! One episode attempt from container start to its final row: start the sandbox, run the
//! scaffold, classify how it ended, verify with the sealed tests, score, remove the
//! container, and write the `episodes` row last. Infrastructure failures are retried with a
//! new attempt, a bounded number of times. The container is removed on every path,
//! including cancellation.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::status::{Status, classify};
use super::verify::{self, Verification};
use super::{Cell, Shared};
use crate::llm::EpisodeContext;
use crate::plugin::{
    EpisodeForScoring, EpisodeServices, EpisodeTotals, Recorder, RunLimits, TaskInput,
    VerificationForScoring,
};
use crate::sandbox::{ContainerSpec, Sandbox};
use crate::store::{self, Event};

/// Attempts per episode when the infrastructure fails under it.
const MAX_ATTEMPTS: u32 = 3;

/// What the run's summary needs of a finished episode.
#[derive(Debug, Clone)]
pub struct EpisodeResult {
    pub status: Status,
    pub termination: String,
    pub passed: Option<bool>,
    pub reward: Option<f64>,
    pub steps: u32,
    pub attempts: u32,
}

/// Runs one cell of the matrix to a final status (or cancellation / exhausted retries).
pub async fn run_episode(
    shared: Arc<Shared>,
    cell: Cell,
    cancel: CancellationToken,
) -> EpisodeResult {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut result = run_attempt(&shared, &cell, &cancel).await;
        result.attempts = attempt;
        if result.status != Status::InfraError || attempt >= MAX_ATTEMPTS || cancel.is_cancelled() {
            return result;
        }
        tracing::warn!(episode = %cell.key, attempt, termination = %result.termination, "infrastructure failure; retrying");
        tokio::time::sleep(Duration::from_secs(attempt as u64)).await;
    }
}

struct Ending {
    status: Status,
    termination: String,
    totals: EpisodeTotals,
    patch: Option<String>,
    verification: Option<Verification>,
    image_id: Option<String>,
    error: Option<String>,
    summaries: Vec<crate::plugin::StepSummary>,
}

impl Ending {
    fn infra(termination: String) -> Ending {
        Ending {
            status: Status::InfraError,
            error: Some(termination.clone()),
            termination,
            totals: EpisodeTotals::default(),
            patch: None,
            verification: None,
            image_id: None,
            summaries: Vec::new(),
        }
    }
}

async fn run_attempt(shared: &Shared, cell: &Cell, cancel: &CancellationToken) -> EpisodeResult {
    let attempt_id = uuid::Uuid::now_v7().to_string();
    let started_at = Utc::now();
    let started = Instant::now();
    let writer = &shared.writer;
    writer.send(Event::AttemptStarted(store::AttemptRow {
        attempt_id: attempt_id.clone(),
        episode_key: cell.key.clone(),
        run_id: shared.run_id.clone(),
        started_at,
    }));

    let ending = tokio::select! {
        biased;
        _ = cancel.cancelled() => None,
        e = attempt_body(shared, cell, &attempt_id, cancel) => Some(e),
    };
    let ending = ending.unwrap_or_else(|| Ending {
        status: Status::Cancelled,
        ..Ending::infra("cancelled: the run was interrupted".into())
    });
    // Only a verified attempt may finalise its episode. The body skips verification when it
    // sees the cancellation, and may still return a terminal status if the interrupt lands
    // while it runs: such an attempt is cancelled (retried by the next run), never done.
    let unverified = ending.status.is_terminal() && ending.verification.is_none();
    let ending = if unverified || (cancel.is_cancelled() && !ending.status.is_terminal()) {
        let status = if cancel.is_cancelled() {
            Status::Cancelled
        } else {
            Status::InfraError
        };
        let termination = match status {
            Status::Cancelled if ending.status != Status::Cancelled => {
                format!(
                    "cancelled: the run was interrupted ({})",
                    ending.termination
                )
            }
            Status::InfraError => format!(
                "unverified: the attempt ended {} without a verification",
                ending.termination
            ),
            _ => ending.termination.clone(),
        };
        Ending {
            status,
            error: Some(termination.clone()),
            termination,
            ..ending
        }
    } else {
        ending
    };

    let wall = started.elapsed();
    let ended_at = Utc::now();
    let mut reward = None;
    if ending.status.is_terminal() {
        reward = score(shared, cell, &attempt_id, &ending, wall).await;
        let resolved = ending.verification.as_ref().map(|v| v.passed);
        crate::failpoint::hit("episode.before_final_row");
        // The final row also ends the attempt (the writer updates `attempts` in the same
        // transaction): sent last, it finalises the episode.
        writer.send(Event::EpisodeFinal(store::EpisodeRow {
            episode_key: cell.key.clone(),
            attempt_id: attempt_id.clone(),
            run_id: shared.run_id.clone(),
            instance_id: cell.instance.instance_id.clone(),
            template_id: cell.instance.template.id.clone(),
            category: cell.instance.template.category.clone(),
            difficulty: cell.instance.template.difficulty.clone(),
            scaffold: cell.scaffold.info.name.clone(),
            scaffold_version: cell.scaffold.info.version.clone(),
            scaffold_hash: cell.scaffold.info.hash.clone(),
            scaffold_config: cell.scaffold_config.as_ref().clone(),
            model: cell.model.clone(),
            sampling: shared.sampling.clone(),
            sample: cell.sample,
            status: ending.status,
            termination: Some(ending.termination.clone()),
            reward,
            resolved,
            steps: ending.totals.steps,
            prompt_tokens: ending.totals.prompt_tokens,
            completion_tokens: ending.totals.completion_tokens,
            cached_tokens: ending.totals.cached_tokens,
            cost_usd: ending.totals.cost_usd,
            wall_ms: wall.as_millis() as u64,
            image_id: ending.image_id.clone(),
            patch: ending.patch.clone(),
            started_at,
            ended_at,
        }));
        crate::failpoint::hit("episode.after_final_row");
    } else {
        writer.send(Event::AttemptEnded(store::AttemptEnd {
            attempt_id: attempt_id.clone(),
            ended_at,
            status: ending.status,
            termination: Some(ending.termination.clone()),
            error: ending.error.clone(),
        }));
    }
    EpisodeResult {
        status: ending.status,
        termination: ending.termination,
        passed: ending.verification.as_ref().map(|v| v.passed),
        reward,
        steps: ending.totals.steps,
        attempts: 1,
    }
}

/// Removes the container when dropped, also when the attempt is cancelled mid-await. The
/// removal runs on the run's cleanup tracker, which the run awaits before it returns.
struct ContainerGuard(Option<Arc<Sandbox>>, TaskTracker);

impl Drop for ContainerGuard {
    fn drop(&mut self) {
        if let Some(sb) = self.0.take()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            self.1.spawn(async move {
                remove_or_warn(&sb).await;
            });
        }
    }
}

/// Removes an episode's container; a failure is a warning (`synth gc` and the run's final
/// sweep remove what is left).
async fn remove_or_warn(sandbox: &Sandbox) {
    if let Err(e) = sandbox.remove().await {
        tracing::warn!(container = sandbox.container_id(), error = %e, "cannot remove container");
    }
}

async fn attempt_body(
    shared: &Shared,
    cell: &Cell,
    attempt_id: &str,
    cancel: &CancellationToken,
) -> Ending {
    let instance = &cell.instance;
    let image = match shared.images.ensure(&shared.docker, instance).await {
        Ok(i) => i,
        Err(e) => return Ending::infra(format!("image: {e}")),
    };
    let env = &instance.template.environment;
    let spec = ContainerSpec {
        image: image.tag.clone(),
        run_id: shared.run_id.clone(),
        episode_key: cell.key.clone(),
        network: env.network,
        memory_bytes: env.memory_bytes(),
        nano_cpus: env.nano_cpus(),
        pids_limit: env.pids_limit(),
        workspace: crate::task::WORKSPACE.to_string(),
        workspace_bytes: env.workspace_bytes(),
        user: crate::sandbox::AGENT_USER.to_string(),
    };
    crate::failpoint::hit("episode.before_container_start");
    // The start runs to its end on the cleanup tracker even if the attempt is cancelled
    // meanwhile: a creation cut short would leave a container that nobody holds. One that
    // comes up after the cancellation is removed right there.
    let starting = {
        let docker = shared.docker.clone();
        let cancel = cancel.clone();
        shared.cleanup.spawn(async move {
            let started = docker.start(&spec).await;
            if let Ok(sb) = &started
                && cancel.is_cancelled()
            {
                remove_or_warn(sb).await;
            }
            started
        })
    };
    let sandbox = match starting.await {
        Ok(Ok(s)) => Arc::new(s),
        Ok(Err(e)) => return Ending::infra(format!("container start: {e}")),
        Err(e) => return Ending::infra(format!("container start: {e}")),
    };
    let mut guard = ContainerGuard(Some(sandbox.clone()), shared.cleanup.clone());
    crate::failpoint::hit("episode.after_container_start");
    let solution = if cell.model == "oracle" {
        match instance.solution() {
            Ok(s) => Some(s),
            Err(e) => return Ending::infra(format!("oracle: {e}")),
        }
    } else {
        None
    };
    let recorder = Recorder::new(shared.writer.clone(), &cell.key, attempt_id, cell.sample);
    let services = EpisodeServices {
        sandbox: sandbox.clone(),
        router: shared.router.clone(),
        model: cell.model.clone(),
        llm_context: EpisodeContext {
            episode_key: cell.key.clone(),
            sample: cell.sample,
            solution,
            instance_id: instance.instance_id.clone(),
            scaffold: cell.scaffold.info.name.clone(),
            call_index: 0,
        },
        sampling: shared.sampling_defaults.clone(),
        recorder,
    };
    let limits = &instance.template.limits;
    let max_steps = shared.max_steps.unwrap_or(limits.max_steps);
    let task = TaskInput {
        instance_id: instance.instance_id.clone(),
        template_id: instance.template.id.clone(),
        category: instance.template.category.clone(),
        difficulty: instance.template.difficulty.clone(),
        instruction: instance.instruction.clone(),
        workspace: crate::task::WORKSPACE.to_string(),
        max_steps,
        max_seconds: limits.max_seconds,
        parameters: serde_json::Value::Object(instance.parameters.clone()),
    };
    let run_limits = RunLimits {
        memory_bytes: shared.plugin_memory,
        cpu_budget: shared.plugin_cpu,
        wall_budget: Duration::from_secs(limits.max_seconds.into()),
        max_steps,
        max_log_lines: 1000,
        max_log_line: 4096,
    };
    let report = cell
        .scaffold
        .run(services, &task, &cell.scaffold_config, &run_limits)
        .await;
    let mut recorder = report.services.recorder;
    recorder.finish();
    if !report.stderr.trim().is_empty() {
        recorder.note("stderr", None, report.stderr.clone());
    }
    if !report.stdout.trim().is_empty() {
        recorder.note("stdout", None, report.stdout.clone());
    }
    let totals = recorder.totals().clone();
    let summaries = recorder.step_summaries().to_vec();
    let (status, mut termination) = classify(&report.result, &totals);
    if status == Status::PluginFault && !report.stderr.trim().is_empty() {
        let tail: String = report
            .stderr
            .trim()
            .chars()
            .rev()
            .take(400)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        termination = format!("{termination} (stderr: {})", tail.replace('\n', " | "));
    }
    let image_id = Some(image.id.clone());
    if !status.is_terminal() || cancel.is_cancelled() {
        return Ending {
            status,
            termination: termination.clone(),
            totals,
            patch: None,
            verification: None,
            image_id,
            error: Some(termination),
            summaries,
        };
    }
    crate::failpoint::hit("episode.before_verification");
    let patch = match verify::freeze_workspace(&sandbox).await {
        Ok(p) => p,
        Err(e) => {
            return Ending {
                totals,
                summaries,
                ..Ending::infra(format!("workspace diff: {e}"))
            };
        }
    };
    let verification = match verify::run_sealed_tests(&sandbox, instance).await {
        Ok(v) => v,
        Err(e) => {
            return Ending {
                totals,
                summaries,
                ..Ending::infra(format!("verification: {e}"))
            };
        }
    };
    shared
        .writer
        .send(Event::Verification(store::VerificationRow {
            episode_key: cell.key.clone(),
            attempt_id: attempt_id.to_string(),
            command: verification.command.clone(),
            exit_code: verification.exit_code,
            passed: verification.passed,
            timed_out: verification.timed_out,
            output: verification.output.clone().into_bytes(),
            duration_ms: verification.duration.as_millis() as u64,
            patch: Some(patch.clone()),
            started_at: verification.started_at,
        }));
    crate::failpoint::hit("episode.after_verification");
    guard.0 = None;
    remove_or_warn(&sandbox).await;
    Ending {
        status,
        termination,
        totals,
        patch: Some(patch),
        verification: Some(verification),
        image_id,
        error: None,
        summaries,
    }
}

/// Runs every scorer; returns the outcome reward (the first score named `reward`).
async fn score(
    shared: &Shared,
    cell: &Cell,
    attempt_id: &str,
    ending: &Ending,
    wall: Duration,
) -> Option<f64> {
    let episode = EpisodeForScoring {
        episode_key: cell.key.clone(),
        instance_id: cell.instance.instance_id.clone(),
        template_id: cell.instance.template.id.clone(),
        category: cell.instance.template.category.clone(),
        scaffold: cell.scaffold.info.name.clone(),
        model: cell.model.clone(),
        sample: cell.sample,
        status: ending.status.as_str().to_string(),
        termination: ending.termination.clone(),
        steps: ending.summaries.clone(),
        prompt_tokens: ending.totals.prompt_tokens,
        completion_tokens: ending.totals.completion_tokens,
        cost_usd: ending.totals.cost_usd,
        wall_ms: wall.as_millis() as u64,
        patch: ending.patch.clone().unwrap_or_default(),
        verification: ending
            .verification
            .as_ref()
            .map(|v| VerificationForScoring {
                passed: v.passed,
                exit_code: v.exit_code,
                timed_out: v.timed_out,
                output: v.output.clone(),
            }),
    };
    let mut reward = None;
    for scorer in &shared.scorers {
        let source = scorer.info.name.clone();
        match scorer.score(&episode, &serde_json::json!({})).await {
            Ok((scores, logs)) => {
                for s in scores {
                    if s.name == "reward" && s.step.is_none() && reward.is_none() {
                        reward = Some(s.value);
                    }
                    shared.writer.send(Event::Score(store::ScoreRow {
                        episode_key: cell.key.clone(),
                        attempt_id: attempt_id.to_string(),
                        source: source.clone(),
                        name: s.name,
                        value: s.value,
                        step_index: s.step,
                        detail: Some(s.detail),
                    }));
                }
                for line in logs {
                    shared.writer.send(Event::Note(store::NoteRow {
                        episode_key: cell.key.clone(),
                        attempt_id: attempt_id.to_string(),
                        step_index: None,
                        kind: format!("scorer_log:{source}"),
                        level: None,
                        data: line,
                        created_at: Utc::now(),
                    }));
                }
            }
            Err(e) => shared.writer.send(Event::Note(store::NoteRow {
                episode_key: cell.key.clone(),
                attempt_id: attempt_id.to_string(),
                step_index: None,
                kind: format!("scorer_error:{source}"),
                level: Some("error".into()),
                data: e,
                created_at: Utc::now(),
            })),
        }
    }
    reward
}
