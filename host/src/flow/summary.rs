//! The end-of-run summary: what was planned, skipped and run, how episodes ended (by
//! status and failure category), steps and wall time. Printing only; no I/O besides stdout.

use std::collections::BTreeMap;
use std::time::Duration;

use super::episode::EpisodeResult;

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct RunSummary {
    pub planned: usize,
    pub skipped_done: usize,
    pub ran: usize,
    pub passed: usize,
    pub failed: usize,
    pub by_status: BTreeMap<String, usize>,
    pub by_termination: BTreeMap<String, usize>,
    pub steps: u64,
    pub attempts: u64,
    pub wall_secs: f64,
}

impl RunSummary {
    pub fn add(&mut self, r: &EpisodeResult) {
        self.ran += 1;
        match r.passed {
            Some(true) => self.passed += 1,
            _ => self.failed += 1,
        }
        *self
            .by_status
            .entry(r.status.as_str().to_string())
            .or_default() += 1;
        *self
            .by_termination
            .entry(category(&r.termination))
            .or_default() += 1;
        self.steps += r.steps as u64;
        self.attempts += r.attempts as u64;
    }

    pub fn finish(&mut self, wall: Duration) {
        self.wall_secs = wall.as_secs_f64();
    }

    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "episodes: {} planned, {} already done, {} ran\n",
            self.planned + self.skipped_done,
            self.skipped_done,
            self.ran
        ));
        s.push_str(&format!(
            "passed:   {}\nfailed:   {}\n",
            self.passed, self.failed
        ));
        for (k, v) in &self.by_status {
            s.push_str(&format!("  status {k:<14} {v}\n"));
        }
        for (k, v) in &self.by_termination {
            s.push_str(&format!("  ended by {k:<12} {v}\n"));
        }
        s.push_str(&format!(
            "steps:    {} ({} attempts)\nwall:     {:.1}s\n",
            self.steps, self.attempts, self.wall_secs
        ));
        s
    }
}

/// The failure category of a termination reason: the text before the first `:`.
pub fn category(termination: &str) -> String {
    termination
        .split(':')
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::status::Status;

    #[test]
    fn counts() {
        let mut s = RunSummary::default();
        s.add(&EpisodeResult {
            status: Status::Completed,
            termination: "submitted".into(),
            passed: Some(true),
            reward: Some(1.0),
            steps: 2,
            attempts: 1,
        });
        s.add(&EpisodeResult {
            status: Status::PluginFault,
            termination: "trap: unreachable".into(),
            passed: Some(false),
            reward: Some(0.0),
            steps: 1,
            attempts: 1,
        });
        assert_eq!((s.ran, s.passed, s.failed, s.steps), (2, 1, 1, 3));
        assert_eq!(s.by_termination.get("trap"), Some(&1));
        assert!(s.render().contains("passed:   1"));
    }
}
