//! `str_replace_editor`: OpenHands' file editor (openhands-aci's `OHEditor`) rebuilt over the
//! sandbox's file calls (`stat`, `read_file`, `write_file`, `list_dir`), never the shell. Its
//! rules and messages are the original's: absolute paths only, `create` refuses existing
//! files, `str_replace` needs exactly one match (one retry with both strings stripped),
//! `insert_line` in `[0, N]`, ±4-line snippets after edits, errors as `ERROR:\n...`.
//!
//! The undo history (10 versions per file) lives in plugin memory for the episode. Unlike
//! the original, `create` records no version, so `undo_edit` right after `create` answers
//! that there is no history. Office, PDF and audio files are not converted to Markdown: like
//! every binary file they are refused.
//!
//! It must never end the run over anything but a broken sandbox (`Infrastructure`), and never
//! write a file an error was reported for.

use crate::tools::{EditorArgs, EditorCommand};
use crate::view::{count_lines, int_list, line_of, line_slice, list_directory, make_output};
use std::collections::BTreeMap;
use synth_sdk::RunError;
use synth_sdk::host::Host;
use synth_sdk::sandbox::{FileKind, FileStat, SandboxError};

/// Versions kept per file for `undo_edit`.
pub const MAX_HISTORY_PER_FILE: usize = 10;
/// Largest file the editor reads (OpenHands: 10 MB).
pub const MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;
/// Lines of context around an edit in the snippet shown after it.
pub const SNIPPET_CONTEXT_WINDOW: usize = 4;

/// Why a command failed: a message for the model, or the end of the run.
enum Fail {
    Tool(String),
    Run(RunError),
}

type Outcome<T> = Result<T, Fail>;

fn tool<T>(message: impl Into<String>) -> Outcome<T> {
    Err(Fail::Tool(message.into()))
}

fn invalid(parameter: &str, value: &str, hint: &str) -> Fail {
    Fail::Tool(format!("Invalid `{parameter}` parameter: {value}. {hint}"))
}

fn missing(parameter: &str, command: &str) -> Fail {
    Fail::Tool(format!(
        "Parameter `{parameter}` is required for command: {command}."
    ))
}

/// A host error while touching `path`: the end of the run when the sandbox is broken, a
/// message for the model otherwise.
fn host_error(e: SandboxError, verb: &str, path: &str) -> Fail {
    match e {
        SandboxError::Infrastructure(m) => Fail::Run(RunError::Sandbox(m)),
        other => Fail::Tool(format!(
            "Ran into {} while trying to {verb} {path}",
            other.message()
        )),
    }
}

/// The editor and its undo history.
#[derive(Debug, Default)]
pub struct Editor {
    workspace: String,
    history: BTreeMap<String, Vec<String>>,
}

impl Editor {
    pub fn new(workspace: &str) -> Editor {
        Editor {
            workspace: workspace.to_string(),
            history: BTreeMap::new(),
        }
    }

    /// Runs one command and returns the observation (`ERROR:\n...` when it failed).
    pub fn execute(&mut self, host: &mut impl Host, args: &EditorArgs) -> Result<String, RunError> {
        match self.dispatch(host, args) {
            Ok(text) => Ok(text),
            Err(Fail::Tool(message)) => Ok(format!("ERROR:\n{message}")),
            Err(Fail::Run(e)) => Err(e),
        }
    }

    fn dispatch(&mut self, host: &mut impl Host, args: &EditorArgs) -> Outcome<String> {
        // Python's Path drops trailing slashes; messages show the path that way.
        let path = match args.path.trim_end_matches('/') {
            "" if args.path.starts_with('/') => "/",
            trimmed => trimmed,
        };
        let stat = self.validate_path(host, args.command, path)?;
        // Files are read only after `validate_path` found them: its size check stands.
        let size = stat.as_ref().map_or(0, |s| s.size);
        match args.command {
            EditorCommand::View => {
                let kind = stat.map(|s| s.kind);
                self.view(host, path, kind, size, args.view_range.as_deref())
            }
            EditorCommand::Create => {
                let text = args
                    .file_text
                    .as_deref()
                    .ok_or_else(|| missing("file_text", "create"))?;
                write(host, path, text)?;
                Ok(format!("File created successfully at: {path}"))
            }
            EditorCommand::StrReplace => {
                let old = args
                    .old_str
                    .as_deref()
                    .ok_or_else(|| missing("old_str", "str_replace"))?;
                if args.new_str.as_deref() == Some(old) {
                    return Err(invalid(
                        "new_str",
                        old,
                        "No replacement was performed. `new_str` and `old_str` must be different.",
                    ));
                }
                let new = args.new_str.as_deref().unwrap_or("");
                self.str_replace(host, path, size, old, new)
            }
            EditorCommand::Insert => {
                let line = args
                    .insert_line
                    .ok_or_else(|| missing("insert_line", "insert"))?;
                let text = args
                    .new_str
                    .as_deref()
                    .ok_or_else(|| missing("new_str", "insert"))?;
                self.insert(host, path, size, line, text)
            }
            EditorCommand::UndoEdit => self.undo(host, path),
        }
    }

    /// The original's `validate_path`; returns what is at `path` (none for `create`).
    fn validate_path(
        &self,
        host: &mut impl Host,
        command: EditorCommand,
        path: &str,
    ) -> Outcome<Option<FileStat>> {
        if !path.starts_with('/') {
            let mut hint = "The path should be an absolute path, starting with `/`.".to_string();
            let suggested = format!("{}/{path}", self.workspace.trim_end_matches('/'));
            if host.stat(&suggested).is_ok() {
                hint.push_str(&format!(" Maybe you meant {suggested}?"));
            }
            return Err(invalid("path", path, &hint));
        }
        let stat = match host.stat(path) {
            Ok(stat) => Some(stat),
            Err(SandboxError::NotFound(_)) => None,
            Err(e) => return Err(host_error(e, "access", path)),
        };
        match (command, stat.as_ref().map(|s| s.kind)) {
            (EditorCommand::Create, Some(_)) => Err(invalid(
                "path",
                path,
                &format!(
                    "File already exists at: {path}. Cannot overwrite files using command `create`."
                ),
            )),
            (EditorCommand::Create, None) => Ok(None),
            (_, None) => Err(invalid(
                "path",
                path,
                &format!("The path {path} does not exist. Please provide a valid path."),
            )),
            (EditorCommand::View, _) => Ok(stat),
            (_, Some(FileKind::Directory)) => Err(invalid(
                "path",
                path,
                &format!(
                    "The path {path} is a directory and only the `view` command can be used on directories."
                ),
            )),
            _ => Ok(stat),
        }
    }

    fn view(
        &self,
        host: &mut impl Host,
        path: &str,
        kind: Option<FileKind>,
        size: u64,
        range: Option<&[i64]>,
    ) -> Outcome<String> {
        let range = range.filter(|r| !r.is_empty());
        if kind == Some(FileKind::Directory) {
            if let Some(range) = range {
                return Err(invalid(
                    "view_range",
                    &int_list(range),
                    "The `view_range` parameter is not allowed when `path` points to a directory.",
                ));
            }
            return list_directory(host, path).map_err(Fail::Run);
        }
        let text = read_text(host, path, size)?;
        let Some(range) = range else {
            return Ok(make_output(&text, path, 1));
        };
        let &[start, end] = range else {
            return Err(invalid(
                "view_range",
                &int_list(range),
                "It should be a list of two integers.",
            ));
        };
        let lines = count_lines(&text) as i64;
        if start < 1 || start > lines {
            return Err(invalid(
                "view_range",
                &int_list(range),
                &format!(
                    "Its first element `{start}` should be within the range of lines of the file: {}.",
                    int_list(&[1, lines])
                ),
            ));
        }
        let mut note = None;
        let end = if end == -1 {
            lines
        } else if end > lines {
            note = Some(format!(
                "\nNOTE: We only show up to {lines} since there're only {lines} lines in this file.\n"
            ));
            lines
        } else {
            end
        };
        if end < start {
            return Err(invalid(
                "view_range",
                &int_list(range),
                &format!(
                    "Its second element `{end}` should be greater than or equal to the first element `{start}`."
                ),
            ));
        }
        let shown: Vec<&str> = text
            .lines()
            .skip(start as usize - 1)
            .take((end - start + 1) as usize)
            .collect();
        let mut output = make_output(&shown.join("\n"), path, start as usize);
        output.push_str(note.as_deref().unwrap_or(""));
        Ok(output)
    }

    fn str_replace(
        &mut self,
        host: &mut impl Host,
        path: &str,
        size: u64,
        old: &str,
        new: &str,
    ) -> Outcome<String> {
        let content = read_text(host, path, size)?;
        let (mut old, mut new) = (old, new);
        let mut found: Vec<usize> = content.match_indices(old).map(|(i, _)| i).collect();
        if found.is_empty() {
            // The original retries once with surrounding whitespace stripped from both.
            (old, new) = (old.trim(), new.trim());
            found = content.match_indices(old).map(|(i, _)| i).collect();
        }
        let at = match found.as_slice() {
            [] => {
                return tool(format!(
                    "No replacement was performed, old_str `{old}` did not appear verbatim in {path}."
                ));
            }
            [at] => *at,
            many => {
                let mut lines: Vec<i64> =
                    many.iter().map(|&i| line_of(&content, i) as i64).collect();
                lines.dedup();
                return tool(format!(
                    "No replacement was performed. Multiple occurrences of old_str `{old}` in lines {}. Please ensure it is unique.",
                    int_list(&lines)
                ));
            }
        };
        let updated = format!("{}{new}{}", &content[..at], &content[at + old.len()..]);
        write(host, path, &updated)?;
        self.remember(path, content.clone());
        let line = line_of(&content, at);
        let first = line.saturating_sub(SNIPPET_CONTEXT_WINDOW);
        let last = line + SNIPPET_CONTEXT_WINDOW + new.matches('\n').count();
        let snippet = line_slice(&updated, first + 1, last);
        Ok(format!(
            "The file {path} has been edited. {}Review the changes and make sure they are as \
             expected. Edit the file again if necessary.",
            make_output(&snippet, &format!("a snippet of {path}"), first + 1)
        ))
    }

    fn insert(
        &mut self,
        host: &mut impl Host,
        path: &str,
        size: u64,
        line: i64,
        text: &str,
    ) -> Outcome<String> {
        let content = read_text(host, path, size)?;
        let lines = count_lines(&content);
        if line < 0 || line > lines as i64 {
            return Err(invalid(
                "insert_line",
                &line.to_string(),
                &format!(
                    "It should be within the range of allowed values: {}",
                    int_list(&[0, lines as i64])
                ),
            ));
        }
        let line = line as usize;
        let mut before = line_slice(&content, 1, line);
        if !before.is_empty() && !before.ends_with('\n') {
            before.push('\n');
        }
        let new_lines: Vec<&str> = text.split('\n').collect();
        let inserted: String = new_lines.iter().map(|l| format!("{l}\n")).collect();
        let after = line_slice(&content, line + 1, lines);
        let updated = format!("{before}{inserted}{after}");
        write(host, path, &updated)?;
        self.remember(path, content);
        let first = line.saturating_sub(SNIPPET_CONTEXT_WINDOW);
        let last = (lines + new_lines.len()).min(line + SNIPPET_CONTEXT_WINDOW + new_lines.len());
        let snippet = line_slice(&updated, first + 1, last);
        Ok(format!(
            "The file {path} has been edited. {}Review the changes and make sure they are as \
             expected (correct indentation, no duplicate lines, etc). Edit the file again if \
             necessary.",
            make_output(&snippet, "a snippet of the edited file", first + 1)
        ))
    }

    fn undo(&mut self, host: &mut impl Host, path: &str) -> Outcome<String> {
        let Some(previous) = self.history.get_mut(path).and_then(Vec::pop) else {
            return tool(format!("No edit history found for {path}."));
        };
        if let Err(e) = write(host, path, &previous) {
            // Keep the version: the file was not restored.
            self.remember(path, previous);
            return Err(e);
        }
        Ok(format!(
            "Last edit to {path} undone successfully. {}",
            make_output(&previous, path, 1)
        ))
    }

    /// Records `content` as the version before an edit, keeping the latest ten.
    fn remember(&mut self, path: &str, content: String) {
        let versions = self.history.entry(path.to_string()).or_default();
        versions.push(content);
        if versions.len() > MAX_HISTORY_PER_FILE {
            versions.remove(0);
        }
    }
}

/// The file as UTF-8 text, refusing what the original refuses: too large (`size` from the
/// path's stat), binary, or not UTF-8.
fn read_text(host: &mut impl Host, path: &str, size: u64) -> Outcome<String> {
    if size > MAX_FILE_SIZE {
        return tool(format!(
            "File validation failed for {path}: File is too large ({:.1}MB). Maximum allowed size is {}MB.",
            size as f64 / 1024.0 / 1024.0,
            MAX_FILE_SIZE / 1024 / 1024
        ));
    }
    let bytes = host
        .read_file(path)
        .map_err(|e| host_error(e, "read", path))?;
    if bytes.contains(&0) {
        return tool(format!(
            "File validation failed for {path}: File appears to be binary and this file type cannot be read or edited by this tool."
        ));
    }
    String::from_utf8(bytes).or_else(|_| {
        tool(format!(
            "The editor only supports UTF-8 encoding files, please use bash commands for files with other encoding: {path}"
        ))
    })
}

fn write(host: &mut impl Host, path: &str, text: &str) -> Outcome<()> {
    host.write_file(path, text.as_bytes())
        .map_err(|e| host_error(e, "write to", path))
}

#[cfg(test)]
#[path = "editor_tests.rs"]
mod tests;
