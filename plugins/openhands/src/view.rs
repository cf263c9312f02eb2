//! The editor's read-only views: `cat -n` numbering, the 16000-character clipping with its
//! notes, line counting and slicing as Python's file iteration does it, and the two-level
//! directory listing that OpenHands builds with `find -L PATH -maxdepth 2 ... | sort`.
//!
//! Everything but [`list_directory`] is pure. Nothing here writes to the sandbox, and the
//! listing stops reading directories once its output is sure to be clipped.

use synth_sdk::RunError;
use synth_sdk::host::Host;
use synth_sdk::sandbox::{FileKind, SandboxError};

/// Longest editor output, in characters, before it is clipped.
pub const MAX_RESPONSE_LEN_CHAR: usize = 16_000;

pub const TEXT_FILE_CONTENT_TRUNCATED_NOTICE: &str = "<response clipped><NOTE>Due to the max \
output limit, only part of this file has been shown to you. You should retry this tool after \
you have searched inside the file with `grep -n` in order to find the line numbers of what you \
are looking for.</NOTE>";

pub const DIRECTORY_CONTENT_TRUNCATED_NOTICE: &str = "<response clipped><NOTE>Due to the max \
output limit, only part of this directory has been shown to you. You should use `ls -la` \
instead to view large directories incrementally.</NOTE>";

/// `content` cut to [`MAX_RESPONSE_LEN_CHAR`] characters with `notice` appended when longer.
pub fn maybe_truncate(content: &str, notice: &str) -> String {
    match content.char_indices().nth(MAX_RESPONSE_LEN_CHAR) {
        Some((cut, _)) => format!("{}{notice}", &content[..cut]),
        None => content.to_string(),
    }
}

/// `Here's the result of running \`cat -n\` on DESC:` and the lines of `content` numbered
/// from `start` as `{n:6}\t{line}` (a trailing newline yields a last, empty numbered line,
/// as in the original).
pub fn make_output(content: &str, description: &str, start: usize) -> String {
    let content = maybe_truncate(content, TEXT_FILE_CONTENT_TRUNCATED_NOTICE);
    let numbered: Vec<String> = content
        .split('\n')
        .enumerate()
        .map(|(i, line)| format!("{:6}\t{line}", i + start))
        .collect();
    format!(
        "Here's the result of running `cat -n` on {description}:\n{}\n",
        numbered.join("\n")
    )
}

/// Number of lines as Python counts them iterating a file: a last line without a newline
/// counts, an empty file has none.
pub fn count_lines(text: &str) -> usize {
    text.split_inclusive('\n').count()
}

/// Lines `first..=last` (1-based), each with its line ending, concatenated.
pub fn line_slice(text: &str, first: usize, last: usize) -> String {
    text.split_inclusive('\n')
        .enumerate()
        .filter(|(i, _)| *i + 1 >= first && *i < last)
        .map(|(_, line)| line)
        .collect()
}

/// The line (1-based) that byte offset `at` falls on.
pub fn line_of(text: &str, at: usize) -> usize {
    text[..at].matches('\n').count() + 1
}

/// A Python-style list of integers: `[1, 5]`.
pub fn int_list(values: &[i64]) -> String {
    let items: Vec<String> = values.iter().map(i64::to_string).collect();
    format!("[{}]", items.join(", "))
}

/// The directory view: every non-hidden entry up to two levels below `path`, sorted, with `/`
/// after directories, and a footer counting the hidden entries directly in `path`.
pub fn list_directory(host: &mut impl Host, path: &str) -> Result<String, RunError> {
    let entries = match host.list_dir(path) {
        Ok(entries) => entries,
        Err(SandboxError::Infrastructure(m)) => return Err(RunError::Sandbox(m)),
        Err(e) => return Ok(format!("ERROR:\n{}", e.message())),
    };
    let join = |dir: &str, name: &str| {
        if dir.ends_with('/') {
            format!("{dir}{name}")
        } else {
            format!("{dir}/{name}")
        }
    };
    let hidden = entries.iter().filter(|e| e.name.starts_with('.')).count();
    let mut visible: Vec<_> = entries
        .iter()
        .filter(|e| !e.name.starts_with('.'))
        .collect();
    visible.sort_by(|a, b| a.name.cmp(&b.name));
    let mut paths = vec![format!("{}/", path.trim_end_matches('/'))];
    let (mut chars, mut counted) = (0, 0);
    for entry in visible {
        // Entries are visited in sorted order: once the listing is well past the clipping
        // point, the rest would be clipped anyway, so no more directories are read.
        chars += paths[counted..].iter().map(|p| p.len() + 1).sum::<usize>();
        counted = paths.len();
        if chars > MAX_RESPONSE_LEN_CHAR + 1_000 {
            break;
        }
        let full = join(path, &entry.name);
        let is_dir = match entry.kind {
            FileKind::Directory => true,
            // `find -L` follows links: a link to a directory is listed as one.
            FileKind::Symlink => host
                .stat(&full)
                .is_ok_and(|s| s.kind == FileKind::Directory),
            FileKind::File | FileKind::Other => false,
        };
        if !is_dir {
            paths.push(full);
            continue;
        }
        paths.push(format!("{full}/"));
        match host.list_dir(&full) {
            Ok(children) => {
                for child in children.iter().filter(|c| !c.name.starts_with('.')) {
                    let slash = if child.kind == FileKind::Directory {
                        "/"
                    } else {
                        ""
                    };
                    paths.push(format!("{}{slash}", join(&full, &child.name)));
                }
            }
            Err(SandboxError::Infrastructure(m)) => return Err(RunError::Sandbox(m)),
            Err(_) => {}
        }
    }
    paths.sort_by(|a, b| a.trim_end_matches('/').cmp(b.trim_end_matches('/')));
    let listing = maybe_truncate(&paths.join("\n"), DIRECTORY_CONTENT_TRUNCATED_NOTICE);
    let mut text = format!(
        "Here's the files and directories up to 2 levels deep in {path}, excluding hidden \
         items:\n{listing}"
    );
    if hidden > 0 {
        text.push_str(&format!(
            "\n\n{hidden} hidden files/directories in this directory are excluded. You can use \
             'ls -la {path}' to see them."
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbering_and_clipping() {
        assert_eq!(
            make_output("a\nb\n", "/w/f.py", 1),
            "Here's the result of running `cat -n` on /w/f.py:\n     1\ta\n     2\tb\n     3\t\n"
        );
        assert_eq!(
            make_output("x", "d", 1_000_000),
            "Here's the result of running `cat -n` on d:\n1000000\tx\n"
        );
        let long = "é".repeat(MAX_RESPONSE_LEN_CHAR + 5);
        let cut = maybe_truncate(&long, TEXT_FILE_CONTENT_TRUNCATED_NOTICE);
        assert!(cut.ends_with("</NOTE>"));
        assert_eq!(
            cut.chars().count(),
            MAX_RESPONSE_LEN_CHAR + TEXT_FILE_CONTENT_TRUNCATED_NOTICE.chars().count()
        );
        assert_eq!(maybe_truncate("short", "N"), "short");
    }

    #[test]
    fn huge_directories_stop_early() {
        let mut host = synth_sdk::testing::FakeHost::new();
        for i in 0..2_000 {
            host.file(&format!("/w/d{i:04}/file_with_a_long_name_{i}.txt"), "");
        }
        let text = list_directory(&mut host, "/w").unwrap();
        assert!(
            text.ends_with(DIRECTORY_CONTENT_TRUNCATED_NOTICE),
            "{}",
            &text[text.len() - 300..]
        );
        assert!(text.contains("/w/d0000/file_with_a_long_name_0.txt\n"));
        assert!(!text.contains("/w/d1999"));
    }

    #[test]
    fn lines() {
        assert_eq!(count_lines(""), 0);
        assert_eq!(count_lines("a"), 1);
        assert_eq!(count_lines("a\n"), 1);
        assert_eq!(count_lines("a\nb"), 2);
        assert_eq!(line_slice("1\n2\n3\n4\n", 2, 3), "2\n3\n");
        assert_eq!(line_slice("1\n2", 0, 9), "1\n2");
        assert_eq!(line_of("a\nb\nc", 4), 3);
        assert_eq!(int_list(&[3, 7]), "[3, 7]");
    }
}
