//! SWE-agent's command filter (`ToolFilterConfig`): bash commands the environment refuses
//! before running them, because they would wait for a human (editors, pagers, bare
//! interpreters) or run for too long. A refused command is answered like a format error.
//!
//! Pure: no host import is called. It must never rewrite a command, only refuse it. The
//! original's prefix rule is kept as is (so `view.sh` is refused because it starts with `vi`).

/// Commands that start with one of these are refused.
const PREFIXES: &[&str] = &[
    "vim",
    "vi",
    "emacs",
    "nano",
    "nohup",
    "gdb",
    "less",
    "tail -f",
    "python -m venv",
    "make",
];

/// Commands that are exactly one of these are refused.
const STANDALONE: &[&str] = &[
    "python",
    "python3",
    "ipython",
    "bash",
    "sh",
    "/bin/bash",
    "/bin/sh",
    "nohup",
    "vi",
    "vim",
    "emacs",
    "nano",
    "su",
];

/// True when the original would refuse `command`.
pub fn blocked(command: &str) -> bool {
    let command = command.trim();
    !command.is_empty()
        && (PREFIXES.iter().any(|p| command.starts_with(p)) || STANDALONE.contains(&command))
}

/// The original's `blocklist_error_template`.
pub fn message(command: &str) -> String {
    format!("Operation '{command}' is not supported by this environment.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_the_original_refuses() {
        for c in [
            "vim a.py",
            "  nano x",
            "less log",
            "tail -f out",
            "make test",
            "python",
            "bash",
            " python3 ",
        ] {
            assert!(blocked(c), "{c}");
        }
        for c in [
            "",
            "ls",
            "python3 run.py",
            "cat a | less",
            "tail -n 5 f",
            "bash run.sh",
            "grep make x",
        ] {
            assert!(!blocked(c), "{c}");
        }
        assert_eq!(
            message("vim a.py"),
            "Operation 'vim a.py' is not supported by this environment."
        );
    }
}
