//! flake8 for `edit` (SWE-agent's `flake8_utils`): the command line, parsing its
//! `path:line:col: CODE message` lines, and deciding which errors an edit introduced (old
//! errors shifted by the edit's line delta; old errors inside the edited range not excused).
//!
//! Everything but [`run`] is pure. It must never change a file: `edit` owns writing and
//! restoring.

use crate::shell::quote;
use synth_sdk::RunError;
use synth_sdk::host::Host;
use synth_sdk::log::Level;
use synth_sdk::sandbox::{ExecOptions, SandboxError};

/// The original's default `LINT_COMMAND` selection: errors that break code, not style.
pub const SELECT: &str = "F821,F822,F831,E111,E112,E113,E999,E902";

/// One flake8 finding. `line` is 1-based, as flake8 prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintError {
    pub line: i64,
    pub col: i64,
    /// `CODE message`, what the model is shown.
    pub problem: String,
}

/// Only Python files are linted, as in the original.
pub fn applies_to(path: &str) -> bool {
    path.ends_with(".py")
}

/// Through `python3 -m`: Debian's `python3-flake8` installs the module without the
/// `flake8` script.
pub fn command(path: &str) -> String {
    format!(
        "python3 -m flake8 --isolated --select={SELECT} {}",
        quote(path)
    )
}

/// Runs flake8 on `path` and returns its output. A failure to run (other than a broken
/// sandbox) gives empty output: an edit is never refused because the linter is missing.
pub fn run(host: &mut impl Host, path: &str, timeout_ms: u32) -> Result<String, RunError> {
    let options = ExecOptions {
        timeout_ms: Some(timeout_ms),
        ..ExecOptions::default()
    };
    match host.exec(&command(path), &options) {
        Ok(result) if !result.timed_out => {
            let output = String::from_utf8_lossy(&result.output).into_owned();
            if output.contains("No module named flake8") || result.exit_code == Some(127) {
                host.log(
                    Level::Warn,
                    "swe-agent: flake8 is not installed in the sandbox; edits are not linted",
                );
            }
            Ok(output)
        }
        Ok(_) => Ok(String::new()),
        Err(SandboxError::Infrastructure(m)) => Err(RunError::Sandbox(m)),
        Err(_) => Ok(String::new()),
    }
}

/// The findings in flake8's output; lines that are not findings (warnings, a missing
/// `flake8`) are skipped. The path may itself hold colons: line and column are taken from
/// the right of the part before the first `": "`.
pub fn parse(output: &str) -> Vec<LintError> {
    output
        .lines()
        .filter_map(|line| {
            let (prefix, problem) = line.trim().split_once(": ")?;
            let mut fields = prefix.rsplitn(3, ':');
            let col = fields.next()?.parse().ok()?;
            let line_no = fields.next()?.parse().ok()?;
            fields.next()?;
            Some(LintError {
                line: line_no,
                col,
                problem: problem.to_string(),
            })
        })
        .collect()
}

/// Errors in `after` that the edit of lines `start..=end` (1-based, inclusive) into
/// `replacement_lines` lines introduced. Errors of `before` above the range stay put, those
/// below move by the line delta, those inside are dropped (so they count as new); errors
/// above the range in `after` are never the edit's.
pub fn new_errors(
    before: &[LintError],
    after: &[LintError],
    start: i64,
    end: i64,
    replacement_lines: usize,
) -> Vec<LintError> {
    let end = end.max(start - 1);
    let delta = replacement_lines as i64 - (end - start + 1);
    let previous: Vec<LintError> = before
        .iter()
        .filter(|e| !(start <= e.line && e.line <= end))
        .map(|e| LintError {
            line: if e.line < start {
                e.line
            } else {
                e.line + delta
            },
            ..e.clone()
        })
        .collect();
    after
        .iter()
        .filter(|e| !previous.contains(e) && e.line >= start)
        .cloned()
        .collect()
}

/// `- {problem}` lines, as the original lists them after `ERRORS:`.
pub fn format(errors: &[LintError]) -> String {
    errors
        .iter()
        .map(|e| format!("- {}", e.problem))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use synth_sdk::testing::{FakeHost, exec_result};

    #[test]
    fn a_missing_linter_is_logged_not_refused() {
        let mut host = FakeHost::new();
        host.result(exec_result(1, "/usr/bin/python3: No module named flake8\n"));
        let out = run(&mut host, "/w/a.py", 1000).unwrap();
        assert!(parse(&out).is_empty());
        assert!(host.commands[0].starts_with("python3 -m flake8 --isolated"));
        assert_eq!(host.logs.len(), 1);
        assert_eq!(host.logs[0].0, Level::Warn);
    }

    fn e(line: i64, col: i64, problem: &str) -> LintError {
        LintError {
            line,
            col,
            problem: problem.into(),
        }
    }

    #[test]
    fn parses_findings_and_skips_noise() {
        let out = "/w/a.py:3:5: F821 undefined name 'x'\n\
                   /w/we:ird.py:10:1: E999 IndentationError: unexpected indent\n\
                   bash: flake8: command not found\n\
                   \n";
        assert_eq!(
            parse(out),
            vec![
                e(3, 5, "F821 undefined name 'x'"),
                e(10, 1, "E999 IndentationError: unexpected indent"),
            ]
        );
        assert!(parse("").is_empty());
    }

    #[test]
    fn command_quotes_the_path() {
        assert_eq!(
            command("/w/my file.py"),
            "python3 -m flake8 --isolated --select=F821,F822,F831,E111,E112,E113,E999,E902 '/w/my file.py'"
        );
        assert!(applies_to("/w/a.py") && !applies_to("/w/a.txt"));
    }

    #[test]
    fn old_errors_shift_with_the_edit() {
        // Lines 5..=6 replaced by 4 lines: +2. An old error on line 10 is now on line 12.
        let before = [
            e(2, 1, "F821 undefined name 'a'"),
            e(10, 1, "F821 undefined name 'b'"),
        ];
        let after = [
            e(2, 1, "F821 undefined name 'a'"),
            e(12, 1, "F821 undefined name 'b'"),
        ];
        assert!(new_errors(&before, &after, 5, 6, 4).is_empty());
        // Unshifted, line 10 would be a new error.
        let stale = [e(10, 1, "F821 undefined name 'b'")];
        assert_eq!(new_errors(&before, &stale, 5, 6, 4), stale.to_vec());
        // Lines removed: 5..=8 into 1 line, delta -3.
        let after = [e(7, 1, "F821 undefined name 'b'")];
        assert!(new_errors(&before, &after, 5, 8, 1).is_empty());
    }

    #[test]
    fn errors_inside_the_range_are_not_excused() {
        let before = [e(5, 1, "E999 SyntaxError: invalid syntax")];
        let after = [e(5, 1, "E999 SyntaxError: invalid syntax")];
        assert_eq!(new_errors(&before, &after, 5, 5, 1), after.to_vec());
    }

    #[test]
    fn errors_above_the_range_are_ignored() {
        let after = [
            e(1, 1, "F821 undefined name 'z'"),
            e(6, 3, "E111 indentation is not a multiple of 4"),
        ];
        assert_eq!(
            new_errors(&[], &after, 5, 5, 1),
            vec![e(6, 3, "E111 indentation is not a multiple of 4")]
        );
        assert_eq!(
            format(&after),
            "- F821 undefined name 'z'\n- E111 indentation is not a multiple of 4"
        );
    }

    #[test]
    fn insertion_shifts_everything_from_start() {
        // end < start: insert 2 lines before line 5.
        let before = [e(5, 1, "F821 undefined name 'q'")];
        let after = [e(7, 1, "F821 undefined name 'q'")];
        assert!(new_errors(&before, &after, 5, 4, 2).is_empty());
    }
}
