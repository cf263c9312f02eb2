//! `edit <start_line>:<end_line>` on the open file (SWE-agent's `windowed_edit_linting`):
//! replace the inclusive line range, lint Python files before and after, and either keep the
//! edit (success text and the window around it) or write the original content back and
//! answer with the original's refusal.
//!
//! It must never leave a refused edit on disk, and never lint or touch any file but the open
//! one.

use crate::lint;
use crate::viewer::{Viewer, other_error, read_text};
use synth_sdk::RunError;
use synth_sdk::host::Host;

pub const NO_FILE_OPENED: &str = "No file opened. Use the `open` command first.";

const USAGE: &str = "Usage: edit <start_line>:<end_line>\n<replacement_text>\nend_of_edit";

const SUCCESS: &str = "File updated. Please review the changes and make sure they are correct\n\
(correct indentation, no duplicate lines, etc). Edit the file again if necessary.";

/// The original's `_LINT_ERROR_TEMPLATE`.
fn refusal(errors: &str, applied: &str, original: &str) -> String {
    format!(
        "Your proposed edit has introduced new syntax error(s). Please read this error message carefully and then retry editing the file.\n\
         \n\
         ERRORS:\n\
         {errors}\n\
         \n\
         This is how your edit would have looked if applied\n\
         ------------------------------------------------\n\
         {applied}\n\
         ------------------------------------------------\n\
         \n\
         This is the original code before your edit\n\
         ------------------------------------------------\n\
         {original}\n\
         ------------------------------------------------\n\
         \n\
         Your changes have NOT been applied. Please fix your edit command and try again.\n\
         DO NOT re-run the same failed edit command. Running it again will lead to the same error."
    )
}

/// Runs `edit start_line:end_line` with `replacement` on the viewer's open file.
pub fn edit(
    host: &mut impl Host,
    viewer: &mut Viewer,
    start_line: i64,
    end_line: i64,
    replacement: &str,
    timeout_ms: u32,
) -> Result<String, RunError> {
    let Some(path) = viewer.file().map(str::to_string) else {
        return Ok(NO_FILE_OPENED.to_string());
    };
    if start_line < 1 {
        return Ok(format!("{USAGE}\nError: <start_line> must be at least 1"));
    }
    let original = match read_text(host, &path)? {
        Ok(text) => text,
        Err(message) => return Ok(message),
    };
    // As the original does with a replacement passed as an argument.
    let replacement = replacement.strip_suffix('\n').unwrap_or(replacement);
    let linted = lint::applies_to(&path);
    let before = if linted {
        lint::run(host, &path, timeout_ms)?
    } else {
        String::new()
    };
    let edited = splice(&original, start_line, end_line, replacement);
    if let Err(e) = host.write_file(&path, edited.as_bytes()) {
        return other_error(e);
    }
    if linted {
        let after = lint::run(host, &path, timeout_ms)?;
        let new = lint::new_errors(
            &lint::parse(&before),
            &lint::parse(&after),
            start_line,
            end_line,
            replacement.lines().count(),
        );
        if !new.is_empty() {
            let applied = viewer.render(&path, &edited);
            if let Err(e) = host.write_file(&path, original.as_bytes()) {
                return other_error(e);
            }
            let before_edit = viewer.render(&path, &original);
            return Ok(refusal(&lint::format(&new), &applied, &before_edit));
        }
    }
    viewer.goto_top(start_line - 1, &edited);
    Ok(format!("{SUCCESS}\n{}", viewer.render(&path, &edited)))
}

/// `text` with lines `start..=end` (1-based) replaced by `replacement`'s lines, with Python
/// slice-assignment semantics: a range past the end appends, `end < start` inserts before
/// `start`, an empty replacement deletes. Lines are split on `\n`, so a final newline
/// survives.
pub fn splice(text: &str, start: i64, end: i64, replacement: &str) -> String {
    let mut lines: Vec<&str> = text.split('\n').collect();
    let len = lines.len() as i64;
    let from = (start - 1).clamp(0, len);
    let to = end.clamp(from, len);
    let new: Vec<&str> = if replacement.is_empty() {
        Vec::new()
    } else {
        replacement.split('\n').collect()
    };
    lines.splice(from as usize..to as usize, new);
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splices_like_python_slices() {
        let text = "a\nb\nc\n";
        assert_eq!(splice(text, 2, 2, "B"), "a\nB\nc\n");
        assert_eq!(splice(text, 2, 3, "X\nY\nZ"), "a\nX\nY\nZ\n");
        assert_eq!(splice(text, 2, 2, ""), "a\nc\n");
        assert_eq!(splice(text, 2, 1, "ins"), "a\nins\nb\nc\n");
        assert_eq!(splice(text, 9, 12, "end"), "a\nb\nc\n\nend");
        assert_eq!(splice("", 1, 1, "x = 1"), "x = 1");
    }
}

#[cfg(test)]
mod host_tests {
    use super::*;
    use synth_sdk::testing::{FakeHost, exec_result};

    const PY: &str = "/workspace/calc.py";

    fn setup(content: &str) -> (FakeHost, Viewer) {
        let mut host = FakeHost::new();
        host.file(PY, content)
            .file("/workspace/notes.txt", "one\ntwo\n");
        (host, Viewer::new(100, 2))
    }

    #[test]
    fn needs_an_open_file() {
        let (mut host, mut v) = setup("");
        assert_eq!(
            edit(&mut host, &mut v, 1, 1, "x", 1000).unwrap(),
            NO_FILE_OPENED
        );
    }

    #[test]
    fn plain_files_are_not_linted() {
        let (mut host, mut v) = setup("");
        v.open(&mut host, "/workspace/notes.txt", None).unwrap();
        let out = edit(&mut host, &mut v, 2, 2, "TWO\nthree\n", 1000).unwrap();
        assert_eq!(
            out,
            format!(
                "{SUCCESS}\n[File: /workspace/notes.txt (3 lines total)]\n1:one\n2:TWO\n3:three"
            )
        );
        assert_eq!(host.text("/workspace/notes.txt"), "one\nTWO\nthree\n");
        assert!(host.commands.is_empty());
    }

    #[test]
    fn python_edit_succeeds_without_new_errors() {
        let (mut host, mut v) = setup("def f():\n    return 1\n");
        v.open(&mut host, PY, None).unwrap();
        host.result(exec_result(0, "")).result(exec_result(0, ""));
        let out = edit(&mut host, &mut v, 2, 2, "    return 2", 1000).unwrap();
        assert!(out.starts_with("File updated. Please review the changes and make sure they are correct\n(correct indentation, no duplicate lines, etc). Edit the file again if necessary.\n[File: /workspace/calc.py (2 lines total)]\n1:def f():\n2:    return 2"));
        assert_eq!(host.text(PY), "def f():\n    return 2\n");
        assert_eq!(host.commands.len(), 2);
        assert!(host.commands[0].starts_with(
            "python3 -m flake8 --isolated --select=F821,F822,F831,E111,E112,E113,E999,E902 /workspace/calc.py"
        ));
        assert_eq!(host.exec_options[0].timeout_ms, Some(1000));
    }

    #[test]
    fn new_errors_refuse_the_edit_and_restore_the_file() {
        let original = "def f():\n    return 1\n";
        let (mut host, mut v) = setup(original);
        v.open(&mut host, PY, None).unwrap();
        host.result(exec_result(0, "")).result(exec_result(
            1,
            "/workspace/calc.py:2:12: F821 undefined name 'y'\n",
        ));
        let out = edit(&mut host, &mut v, 2, 2, "    return y", 1000).unwrap();
        assert_eq!(host.text(PY), original);
        let want = "Your proposed edit has introduced new syntax error(s). Please read this error message carefully and then retry editing the file.\n\
\n\
ERRORS:\n\
- F821 undefined name 'y'\n\
\n\
This is how your edit would have looked if applied\n\
------------------------------------------------\n\
[File: /workspace/calc.py (2 lines total)]\n\
1:def f():\n\
2:    return y\n\
------------------------------------------------\n\
\n\
This is the original code before your edit\n\
------------------------------------------------\n\
[File: /workspace/calc.py (2 lines total)]\n\
1:def f():\n\
2:    return 1\n\
------------------------------------------------\n\
\n\
Your changes have NOT been applied. Please fix your edit command and try again.\n\
DO NOT re-run the same failed edit command. Running it again will lead to the same error.";
        assert_eq!(out, want);
    }

    #[test]
    fn old_errors_below_the_edit_are_shifted_and_excused() {
        let original = "a = 1\nb = 2\nprint(zz)\n";
        let (mut host, mut v) = setup(original);
        v.open(&mut host, PY, None).unwrap();
        host.result(exec_result(
            1,
            "/workspace/calc.py:3:7: F821 undefined name 'zz'\n",
        ))
        .result(exec_result(
            1,
            "/workspace/calc.py:5:7: F821 undefined name 'zz'\n",
        ));
        let out = edit(&mut host, &mut v, 1, 1, "a = 1\nc = 3\nd = 4", 1000).unwrap();
        assert!(out.starts_with("File updated."), "{out}");
        assert_eq!(host.text(PY), "a = 1\nc = 3\nd = 4\nb = 2\nprint(zz)\n");
    }
}
