//! The plan the model wrote and its progress: which steps are done, and the notes the model
//! added along the way. Rendered into the progress message every request ends with.
//!
//! Pure state: it must never call a host import or decide anything about the loop (when to
//! plan, when to stop); `agent` does that.

use serde_json::{Value, json};

/// The current plan. An empty plan (no steps) stands for "the model acted without planning".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub steps: Vec<String>,
    /// `done[i]` is true once step `i + 1` is done.
    pub done: Vec<bool>,
    pub notes: Vec<String>,
}

impl Plan {
    pub fn new(steps: Vec<String>) -> Plan {
        let done = vec![false; steps.len()];
        Plan {
            steps,
            done,
            notes: Vec::new(),
        }
    }

    /// Marks the 1-based step numbers in `numbers` done and keeps `note`. Refuses the whole
    /// update, naming the bad numbers, when one is out of range.
    pub fn update(&mut self, numbers: &[i64], note: Option<String>) -> Result<(), String> {
        let bad: Vec<String> = numbers
            .iter()
            .filter(|&&n| n < 1 || n as usize > self.steps.len())
            .map(i64::to_string)
            .collect();
        if !bad.is_empty() {
            return Err(if self.steps.is_empty() {
                format!(
                    "there is no plan with numbered steps, so step(s) {} cannot be marked done; \
                     call `plan` first or pass `done: []` with a note",
                    bad.join(", ")
                )
            } else {
                format!(
                    "step number(s) {} do not exist; the plan has steps 1 to {}",
                    bad.join(", "),
                    self.steps.len()
                )
            });
        }
        for &n in numbers {
            self.done[n as usize - 1] = true;
        }
        if let Some(note) = note.filter(|n| !n.trim().is_empty()) {
            self.notes.push(note);
        }
        Ok(())
    }

    pub fn done_count(&self) -> usize {
        self.done.iter().filter(|&&d| d).count()
    }

    /// The plan as the `plan` / `plan_update` trajectory note records it.
    pub fn to_json(&self) -> Value {
        json!({
            "steps": self.steps,
            "done": self.done.iter().enumerate().filter(|(_, d)| **d).map(|(i, _)| i + 1).collect::<Vec<_>>(),
            "notes": self.notes,
        })
    }

    /// The progress text shown to the model at the end of every request once a plan exists.
    pub fn render(&self) -> String {
        let mut text = if self.steps.is_empty() {
            "Plan: none was written; you are working without one.\n".to_string()
        } else {
            let mut text = format!(
                "Plan progress: {} of {} steps done.\n",
                self.done_count(),
                self.steps.len()
            );
            for (i, (step, done)) in self.steps.iter().zip(&self.done).enumerate() {
                let mark = if *done { 'x' } else { ' ' };
                text.push_str(&format!("[{mark}] {}. {step}\n", i + 1));
            }
            text
        };
        if !self.notes.is_empty() {
            text.push_str("Notes:\n");
            for note in &self.notes {
                text.push_str(&format!("- {note}\n"));
            }
        }
        text.push_str(
            "Mark finished steps with `update_plan`; call `submit` once the task is done and checked.",
        );
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_marks_steps_and_keeps_notes() {
        let mut plan = Plan::new(vec!["read".into(), "fix".into(), "test".into()]);
        plan.update(&[1, 2], Some("bug in money.py".into()))
            .unwrap();
        plan.update(&[], Some("  ".into())).unwrap();
        assert_eq!(plan.done, [true, true, false]);
        assert_eq!(plan.notes, ["bug in money.py"]);
        assert_eq!(
            plan.render(),
            "Plan progress: 2 of 3 steps done.\n[x] 1. read\n[x] 2. fix\n[ ] 3. test\n\
             Notes:\n- bug in money.py\n\
             Mark finished steps with `update_plan`; call `submit` once the task is done and checked."
        );
        assert_eq!(plan.to_json()["done"], json!([1, 2]));
    }

    #[test]
    fn out_of_range_steps_change_nothing() {
        let mut plan = Plan::new(vec!["one".into()]);
        let e = plan.update(&[1, 0, 4], Some("n".into())).unwrap_err();
        assert_eq!(
            e,
            "step number(s) 0, 4 do not exist; the plan has steps 1 to 1"
        );
        assert_eq!(plan, Plan::new(vec!["one".into()]));
        let mut empty = Plan::default();
        assert!(empty.update(&[1], None).unwrap_err().contains("no plan"));
        assert!(empty.render().starts_with("Plan: none was written"));
    }
}
