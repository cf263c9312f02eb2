//! tests-pass: the scorer that turns the host's verification (the sealed tests) into the
//! episode's reward, plus the fraction of pytest tests that passed.
//!
//! It only reads the episode it is given: the host verifies, this plugin scores. The scoring
//! logic is pure and tested natively; this file's `Scorer` impl is the component's edge.

pub mod pytest;

use serde::Deserialize;
use serde_json::json;
use synth_sdk::scoring::{Episode, Score, ScorerInfo};
use synth_sdk::{Scorer, parse_config};

/// This scorer takes no options; the object must be empty.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {}

/// The scores of `episode`: always `reward`; `tests_passed_fraction` when the verification
/// output holds a pytest summary with at least one verdict.
pub fn score_episode(episode: &Episode) -> Vec<Score> {
    let score = |name: &str, value: f64, detail: String| Score {
        name: name.into(),
        value,
        step: None,
        detail,
    };
    let Some(verification) = &episode.verification else {
        return vec![score(
            "reward",
            0.0,
            format!("no verification ran (episode status {})", episode.status),
        )];
    };
    let exit = match verification.exit_code {
        Some(code) => format!("exit code {code}"),
        None => "no exit code".to_string(),
    };
    let detail = match (verification.passed, verification.timed_out) {
        (true, _) => format!("the sealed tests passed ({exit})"),
        (false, true) => format!("the sealed tests timed out ({exit})"),
        (false, false) => format!("the sealed tests failed ({exit})"),
    };
    let reward = if verification.passed { 1.0 } else { 0.0 };
    let mut scores = vec![score("reward", reward, detail)];
    if let Some(counts) = pytest::parse_summary(&verification.output)
        && let Some(fraction) = counts.fraction()
    {
        scores.push(score(
            "tests_passed_fraction",
            fraction,
            format!(
                "pytest: {} passed, {} failed, {} errors",
                counts.passed, counts.failed, counts.errors
            ),
        ));
    }
    scores
}

pub struct TestsPass;

impl Scorer for TestsPass {
    fn describe() -> ScorerInfo {
        ScorerInfo {
            name: "tests-pass".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "reward = 1 when the sealed tests passed, else 0; \
                          tests_passed_fraction from pytest's summary line."
                .into(),
            config_schema: json!({"type": "object", "additionalProperties": false}).to_string(),
        }
    }

    fn score(episode: Episode, config: String) -> Result<Vec<Score>, String> {
        parse_config::<Config>(&config).map_err(|e| e.to_string())?;
        Ok(score_episode(&episode))
    }
}

synth_sdk::export_scorer!(TestsPass);

#[cfg(test)]
mod tests {
    use super::*;
    use synth_sdk::scoring::Verification;

    fn episode(verification: Option<Verification>) -> Episode {
        Episode {
            episode_key: "k".into(),
            instance_id: "i".into(),
            template_id: "t".into(),
            category: "c".into(),
            scaffold: "mini".into(),
            model: "oracle".into(),
            sample: 0,
            status: "completed".into(),
            termination: "submitted".into(),
            steps: Vec::new(),
            prompt_tokens: 0,
            completion_tokens: 0,
            cost_usd: 0.0,
            wall_ms: 1,
            patch: String::new(),
            verification,
        }
    }

    fn verification(passed: bool, output: &str) -> Option<Verification> {
        Some(Verification {
            passed,
            exit_code: Some(if passed { 0 } else { 1 }),
            timed_out: false,
            output: output.into(),
        })
    }

    #[test]
    fn passed_and_failed() {
        let scores = score_episode(&episode(verification(true, "== 4 passed in 0.1s ==")));
        assert_eq!(scores.len(), 2);
        assert_eq!((scores[0].name.as_str(), scores[0].value), ("reward", 1.0));
        assert!(scores[0].detail.contains("passed (exit code 0)"));
        assert_eq!(
            (scores[1].name.as_str(), scores[1].value),
            ("tests_passed_fraction", 1.0)
        );

        let scores = score_episode(&episode(verification(false, "3 passed, 1 failed in 0.1s")));
        assert_eq!(scores[0].value, 0.0);
        assert_eq!(scores[1].value, 0.75);
        assert!(scores.iter().all(|s| s.step.is_none()));
    }

    #[test]
    fn no_verification_or_no_summary() {
        let scores = score_episode(&episode(None));
        assert_eq!(scores.len(), 1);
        assert_eq!(scores[0].value, 0.0);
        assert!(scores[0].detail.contains("no verification"));

        let scores = score_episode(&episode(verification(false, "bash: test.sh: not found")));
        assert_eq!(scores.len(), 1);
    }
}
