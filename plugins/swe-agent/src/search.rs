//! SWE-agent's `search` bundle: `search_file`, `search_dir` and `find_file`. The sandbox
//! runs plain `grep` / `find` (quoted with `shell::quote`); the plugin formats their output
//! into the original's headers, lines, caps and no-hit messages.
//!
//! The formatting functions are pure. It must never change the sandbox: only read-only
//! commands are run.

use crate::prompt;
use crate::shell::quote;
use crate::viewer::{NO_FILE_OPEN, is_dir, is_file, other_error};
use synth_sdk::RunError;
use synth_sdk::host::Host;
use synth_sdk::sandbox::ExecOptions;

/// More matched files than this and `search_dir` asks to narrow the search.
pub const MAX_FILES: usize = 100;
/// Output cap of one search command, in bytes.
const MAX_OUTPUT_BYTES: u32 = 1_000_000;

/// How a search command is run: the timeout, and the command line to name on a timeout.
pub struct Runner {
    pub timeout_secs: u32,
}

impl Runner {
    /// Runs `command`; `Ok(Err(observation))` when it timed out or could not run.
    fn run(
        &self,
        host: &mut impl Host,
        command: &str,
        shown_as: &str,
    ) -> Result<Result<String, String>, RunError> {
        let options = ExecOptions {
            timeout_ms: Some(self.timeout_secs.saturating_mul(1000)),
            max_output_bytes: Some(MAX_OUTPUT_BYTES),
            ..ExecOptions::default()
        };
        match host.exec(command, &options) {
            Ok(r) if r.timed_out => Ok(Err(prompt::timed_out(shown_as, self.timeout_secs))),
            Ok(r) => Ok(Ok(String::from_utf8_lossy(&r.output).into_owned())),
            Err(e) => other_error(e).map(Err),
        }
    }

    /// `search_file <search_term> [<file>]`; `file` is absolute, `given` as the model wrote it.
    pub fn search_file(
        &self,
        host: &mut impl Host,
        term: &str,
        file: Option<(&str, &str)>,
        open_file: Option<&str>,
    ) -> Result<String, RunError> {
        let file = match file {
            Some((abs, given)) => {
                if !is_file(host, abs)? {
                    return Ok(format!(
                        "Usage: search_file <search_term> [<file>]\n\
                         Error: File name {given} not found. Please provide a valid file name."
                    ));
                }
                abs.to_string()
            }
            None => match open_file {
                Some(open) => open.to_string(),
                None => return Ok(NO_FILE_OPEN.to_string()),
            },
        };
        if term.is_empty() {
            return Ok("Usage: search_file <search_term> [<file>]".to_string());
        }
        let command = format!("grep -n -- {} {}", quote(term), quote(&file));
        let shown = format!("search_file {} {}", quote(term), quote(&file));
        Ok(match self.run(host, &command, &shown)? {
            Ok(output) => format_search_file(term, &file, &output),
            Err(message) => message,
        })
    }

    /// `search_dir <search_term> [<dir>]`; `dir` is absolute, `given` as the model wrote it.
    pub fn search_dir(
        &self,
        host: &mut impl Host,
        term: &str,
        dir: &str,
        given: Option<&str>,
    ) -> Result<String, RunError> {
        if let Some(given) = given
            && !is_dir(host, dir)?
        {
            return Ok(format!("Directory {given} not found"));
        }
        // One `path:count` line per file with hits; hidden paths skipped, binaries ignored.
        let command = format!(
            "find {} -type f ! -path '*/.*' -exec grep -IcH -- {} {{}} + 2>/dev/null | grep -v ':0$'",
            quote(dir),
            quote(term)
        );
        let shown = format!("search_dir {} {}", quote(term), quote(dir));
        Ok(match self.run(host, &command, &shown)? {
            Ok(output) => format_search_dir(term, dir, &output),
            Err(message) => message,
        })
    }

    /// `find_file <file_name> [<dir>]`; `dir` is absolute, `given` as the model wrote it.
    pub fn find_file(
        &self,
        host: &mut impl Host,
        name: &str,
        dir: &str,
        given: Option<&str>,
    ) -> Result<String, RunError> {
        if let Some(given) = given
            && !is_dir(host, dir)?
        {
            return Ok(format!("Directory {given} not found"));
        }
        let command = format!("find {} -type f -name {}", quote(dir), quote(name));
        let shown = format!("find_file {} {}", quote(name), quote(dir));
        Ok(match self.run(host, &command, &shown)? {
            Ok(output) => format_find_file(name, dir, &output),
            Err(message) => message,
        })
    }
}

/// `grep -n` output (`N:text` lines) as the original prints it: unique lines in order.
pub fn format_search_file(term: &str, file: &str, output: &str) -> String {
    let mut hits: Vec<(usize, &str)> = output
        .lines()
        .filter_map(|l| {
            let (n, text) = l.split_once(':')?;
            Some((n.parse().ok()?, text))
        })
        .collect();
    hits.sort_by_key(|(n, _)| *n);
    hits.dedup_by_key(|(n, _)| *n);
    if hits.is_empty() {
        return format!("No matches found for \"{term}\" in {file}");
    }
    let mut out = vec![format!(
        "Found {} matches for \"{term}\" in {file}:",
        hits.len()
    )];
    out.extend(hits.iter().map(|(n, text)| format!("Line {n}:{text}")));
    out.push(format!("End of matches for \"{term}\" in {file}"));
    out.join("\n")
}

/// `path:count` lines as the original prints them: files sorted, counts summed, capped.
pub fn format_search_dir(term: &str, dir: &str, output: &str) -> String {
    let mut files: Vec<(&str, u64)> = output
        .lines()
        .filter_map(|l| {
            let (path, count) = l.rsplit_once(':')?;
            Some((path, count.trim().parse().ok()?))
        })
        .filter(|(_, count)| *count > 0)
        .collect();
    files.sort();
    if files.is_empty() {
        return format!("No matches found for \"{term}\" in {dir}");
    }
    if files.len() > MAX_FILES {
        return format!(
            "More than {} files matched for \"{term}\" in {dir}. Please narrow your search.",
            files.len()
        );
    }
    let total: u64 = files.iter().map(|(_, c)| c).sum();
    let mut out = vec![format!("Found {total} matches for \"{term}\" in {dir}:")];
    out.extend(files.iter().map(|(p, c)| format!("{p} ({c} matches)")));
    out.push(format!("End of matches for \"{term}\" in {dir}"));
    out.join("\n")
}

/// `find` output (one path a line) as the original prints it; no cap.
pub fn format_find_file(name: &str, dir: &str, output: &str) -> String {
    let paths: Vec<&str> = output.lines().filter(|l| !l.trim().is_empty()).collect();
    if paths.is_empty() {
        return format!("No matches found for \"{name}\" in {dir}");
    }
    let mut out = vec![format!(
        "Found {} matches for \"{name}\" in {dir}:",
        paths.len()
    )];
    out.extend(paths.iter().map(|p| p.to_string()));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_file_lists_lines() {
        let out = format_search_file("def", "/w/a.py", "3:def f():\n10:    def g(x):\n");
        assert_eq!(
            out,
            "Found 2 matches for \"def\" in /w/a.py:\nLine 3:def f():\nLine 10:    def g(x):\nEnd of matches for \"def\" in /w/a.py"
        );
        assert_eq!(
            format_search_file("zzz", "/w/a.py", ""),
            "No matches found for \"zzz\" in /w/a.py"
        );
    }

    #[test]
    fn search_dir_counts_and_caps() {
        let out = format_search_dir("x", "/w", "/w/b.py:2\n/w/a.py:1\n");
        assert_eq!(
            out,
            "Found 3 matches for \"x\" in /w:\n/w/a.py (1 matches)\n/w/b.py (2 matches)\nEnd of matches for \"x\" in /w"
        );
        let many: String = (0..101).map(|i| format!("/w/f{i}.py:1\n")).collect();
        assert_eq!(
            format_search_dir("x", "/w", &many),
            "More than 101 files matched for \"x\" in /w. Please narrow your search."
        );
        let hundred: String = (0..100).map(|i| format!("/w/f{i}.py:1\n")).collect();
        assert!(format_search_dir("x", "/w", &hundred).starts_with("Found 100 matches"));
        assert_eq!(
            format_search_dir("x", "/w", ""),
            "No matches found for \"x\" in /w"
        );
    }

    #[test]
    fn find_file_lists_paths() {
        assert_eq!(
            format_find_file("*.py", "/w", "/w/a.py\n/w/s/b.py\n"),
            "Found 2 matches for \"*.py\" in /w:\n/w/a.py\n/w/s/b.py"
        );
        assert_eq!(
            format_find_file("nope", "/w", "\n"),
            "No matches found for \"nope\" in /w"
        );
    }
}

#[cfg(test)]
mod host_tests {
    use super::*;
    use synth_sdk::testing::{FakeHost, exec_result};

    fn host() -> FakeHost {
        let mut host = FakeHost::new();
        host.file("/workspace/a.py", "x\n")
            .file("/workspace/pkg/b.py", "y\n");
        host
    }

    const RUN: Runner = Runner { timeout_secs: 5 };

    #[test]
    fn search_dir_runs_find_and_grep() {
        let mut h = host();
        h.result(exec_result(0, "/workspace/pkg/b.py:4\n"));
        let out = RUN.search_dir(&mut h, "it's", "/workspace", None).unwrap();
        assert_eq!(
            h.commands[0],
            r#"find /workspace -type f ! -path '*/.*' -exec grep -IcH -- 'it'"'"'s' {} + 2>/dev/null | grep -v ':0$'"#
        );
        assert_eq!(h.exec_options[0].timeout_ms, Some(5000));
        assert!(out.starts_with(
            "Found 4 matches for \"it's\" in /workspace:\n/workspace/pkg/b.py (4 matches)"
        ));
        assert_eq!(
            RUN.search_dir(&mut h, "x", "/workspace/nope", Some("nope"))
                .unwrap(),
            "Directory nope not found"
        );
        let mut timed = exec_result(0, "");
        timed.timed_out = true;
        timed.exit_code = None;
        h.result(timed);
        let out = RUN
            .search_dir(&mut h, "x", "/workspace/pkg", Some("pkg"))
            .unwrap();
        assert!(out.starts_with("The command 'search_dir x /workspace/pkg' was cancelled because it took more than 5 seconds."));
    }

    #[test]
    fn search_file_defaults_to_the_open_file() {
        let mut h = host();
        assert_eq!(
            RUN.search_file(&mut h, "x", None, None).unwrap(),
            NO_FILE_OPEN
        );
        h.result(exec_result(1, ""));
        assert_eq!(
            RUN.search_file(&mut h, "zz", None, Some("/workspace/a.py"))
                .unwrap(),
            "No matches found for \"zz\" in /workspace/a.py"
        );
        assert_eq!(h.commands[0], "grep -n -- zz /workspace/a.py");
        assert_eq!(
            RUN.search_file(&mut h, "x", Some(("/workspace/pkg", "pkg")), None)
                .unwrap(),
            "Usage: search_file <search_term> [<file>]\nError: File name pkg not found. Please provide a valid file name."
        );
    }

    #[test]
    fn find_file_quotes_the_pattern() {
        let mut h = host();
        h.result(exec_result(0, "/workspace/a.py\n/workspace/pkg/b.py\n"));
        let out = RUN.find_file(&mut h, "*.py", "/workspace", None).unwrap();
        assert_eq!(h.commands[0], "find /workspace -type f -name '*.py'");
        assert_eq!(
            out,
            "Found 2 matches for \"*.py\" in /workspace:\n/workspace/a.py\n/workspace/pkg/b.py"
        );
    }
}
