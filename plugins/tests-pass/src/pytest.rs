//! Reads pytest's final summary line (`=== 3 passed, 1 failed in 0.12s ===`) out of a test
//! run's output. Pure text parsing; no host import.

/// Outcome counts from pytest's summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub passed: u32,
    pub failed: u32,
    pub errors: u32,
    pub skipped: u32,
    pub xfailed: u32,
    pub xpassed: u32,
}

impl Counts {
    /// Tests that ran to a verdict: passed, failed and errored (collection or fixture errors
    /// count against the run). Skips and expected failures are left out.
    pub fn total(&self) -> u32 {
        self.passed + self.failed + self.errors
    }

    /// passed / total, or None when no test reached a verdict.
    pub fn fraction(&self) -> Option<f64> {
        let total = self.total();
        (total > 0).then(|| f64::from(self.passed) / f64::from(total))
    }
}

/// The counts of the last pytest summary line in `output`, or None when there is none.
pub fn parse_summary(output: &str) -> Option<Counts> {
    output.lines().rev().find_map(parse_line)
}

/// One summary line: `[=] <count> <word>[, <count> <word>]* in <seconds>s[ (<h:mm:ss>)] [=]`.
fn parse_line(line: &str) -> Option<Counts> {
    let line = strip_ansi(line);
    let line = line.trim().trim_matches('=').trim();
    let (counts, duration) = line.rsplit_once(" in ")?;
    let seconds = duration.split_whitespace().next()?.strip_suffix('s')?;
    seconds.parse::<f64>().ok()?;
    let mut result = Counts::default();
    let mut seen_any = false;
    for item in counts.split(", ") {
        let (n, word) = item.trim().split_once(' ')?;
        let n: u32 = n.parse().ok()?;
        match word {
            "passed" => result.passed += n,
            "failed" => result.failed += n,
            "error" | "errors" => result.errors += n,
            "skipped" => result.skipped += n,
            "xfailed" => result.xfailed += n,
            "xpassed" => result.xpassed += n,
            "warning" | "warnings" | "deselected" | "rerun" | "reruns" | "subtests passed"
            | "subtests failed" => {}
            _ => return None,
        }
        seen_any = true;
    }
    seen_any.then_some(result)
}

/// Removes ANSI colour sequences (`ESC [ ... letter`), in case the tests ran with colour.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fraction(output: &str) -> Option<f64> {
        parse_summary(output).and_then(|c| c.fraction())
    }

    #[test]
    fn summary_lines() {
        assert_eq!(fraction("3 passed, 1 failed in 0.1s"), Some(0.75));
        assert_eq!(
            fraction("============ 5 passed in 0.02s ============"),
            Some(1.0)
        );
        assert_eq!(
            fraction("== 1 failed, 1 passed, 2 warnings in 1.30s =="),
            Some(0.5)
        );
        assert_eq!(
            fraction("2 failed, 2 passed, 1 skipped, 1 xfailed in 3.5s"),
            Some(0.5)
        );
        assert_eq!(fraction("1 passed, 1 error in 0.3s"), Some(0.5));
        assert_eq!(fraction("=== 2 errors in 0.12s ==="), Some(0.0));
        assert_eq!(fraction("1 passed in 62.40s (0:01:02)"), Some(1.0));
        assert_eq!(
            fraction("\u{1b}[32m\u{1b}[1m4 passed\u{1b}[0m\u{1b}[32m in 0.05s\u{1b}[0m"),
            Some(1.0)
        );
    }

    #[test]
    fn last_summary_wins_and_other_lines_are_ignored() {
        let output = "\
============================= test session starts ==============================
collected 4 items

tests/test_calc.py ..F.                                                 [100%]

=================================== FAILURES ===================================
E   assert 3 in 1 passed
FAILED tests/test_calc.py::test_div - assert 1 == 2
========================= 1 failed, 3 passed in 0.08s ==========================
";
        let counts = parse_summary(output).unwrap();
        assert_eq!(counts.passed, 3);
        assert_eq!(counts.failed, 1);
        assert_eq!(counts.fraction(), Some(0.75));
    }

    #[test]
    fn unparsable_or_empty() {
        assert_eq!(parse_summary(""), None);
        assert_eq!(parse_summary("OK\nRan 3 tests in 0.001s"), None);
        assert_eq!(parse_summary("all good in 2s"), None);
        assert_eq!(parse_summary("3 passed in no time"), None);
        // "no tests ran" has no counts at all; 5 deselected has no verdicts.
        assert_eq!(fraction("no tests ran in 0.01s"), None);
        assert_eq!(fraction("5 deselected in 0.01s"), None);
    }
}
