//! The windowed file viewer (SWE-agent's `windowed` bundle): which file is open, where its
//! window starts, and the `open` / `goto` / `scroll_up` / `scroll_down` / `create` commands
//! with the original's display format and messages.
//!
//! The state lives here in the plugin, not in the sandbox; files are read fresh through the
//! host on every command, so changes made with `bash` show up. Paths arrive absolute (see
//! `shell::resolve`). It must never write a file except the empty one `create` makes.

use synth_sdk::RunError;
use synth_sdk::host::Host;
use synth_sdk::sandbox::{FileKind, SandboxError};

/// The open file and the window's position. Line numbers inside are 0-based, as in the
/// original's `WindowedFile`; the model sees 1-based ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Viewer {
    pub window: usize,
    pub overlap: usize,
    file: Option<String>,
    first_line: usize,
}

pub const NO_FILE_OPEN: &str = "No file open. Use the open command first.";

impl Viewer {
    pub fn new(window: usize, overlap: usize) -> Viewer {
        Viewer {
            window,
            overlap,
            file: None,
            first_line: 0,
        }
    }

    /// The open file's absolute path.
    pub fn file(&self) -> Option<&str> {
        self.file.as_deref()
    }

    pub fn first_line(&self) -> usize {
        self.first_line
    }

    /// `open "<path>" [<line_number>]`.
    pub fn open(
        &mut self,
        host: &mut impl Host,
        path: &str,
        line_number: Option<i64>,
    ) -> Result<String, RunError> {
        let text = match read_text(host, path)? {
            Ok(text) => text,
            Err(message) => return Ok(message),
        };
        self.file = Some(path.to_string());
        let n = n_lines(&text) as i64;
        let mut out = String::new();
        let line = match line_number {
            None => 1,
            Some(l) if l > n => {
                out.push_str(&format!(
                    "Warning: <line_number> ({l}) is greater than the number of lines in the file ({n})\n\
                     Warning: Setting <line_number> to {n}\n"
                ));
                n
            }
            Some(l) if l < 1 => {
                out.push_str(&format!(
                    "Warning: <line_number> ({l}) is less than 1\nWarning: Setting <line_number> to 1\n"
                ));
                1
            }
            Some(l) => l,
        };
        self.goto_top(line - 1, &text);
        out.push_str(&self.render(path, &text));
        Ok(out)
    }

    /// `goto <line_number>`.
    pub fn goto(&mut self, host: &mut impl Host, line: i64) -> Result<String, RunError> {
        let Some((path, text)) = self.current(host)? else {
            return Ok(self.missing_message());
        };
        let n = n_lines(&text);
        if line > n as i64 {
            return Ok(format!("Error: <line> must be less than or equal to {n}"));
        }
        self.goto_top(line - 1, &text);
        Ok(self.render(&path, &text))
    }

    /// `scroll_down` (`down`) or `scroll_up`: the window moves by `window - overlap` lines.
    pub fn scroll(&mut self, host: &mut impl Host, down: bool) -> Result<String, RunError> {
        let Some((path, text)) = self.current(host)? else {
            return Ok(self.missing_message());
        };
        let step = self.window as i64 - self.overlap as i64;
        let target = self.first_line as i64 + if down { step } else { -step };
        self.set_first_line(target, n_lines(&text));
        Ok(self.render(&path, &text))
    }

    /// `create <filename>`: an empty file, refused when the path exists, then opened.
    pub fn create(&mut self, host: &mut impl Host, path: &str) -> Result<String, RunError> {
        match host.stat(path) {
            Ok(_) => return Ok(format!("Warning: File '{path}' already exists.")),
            Err(SandboxError::NotFound(_)) => {}
            Err(e) => return other_error(e),
        }
        if let Err(e) = host.write_file(path, b"") {
            return other_error(e);
        }
        self.file = Some(path.to_string());
        self.first_line = 0;
        Ok(self.render(path, ""))
    }

    /// The window of `text` (the content of `path`) at the current position.
    pub fn render(&self, path: &str, text: &str) -> String {
        render(path, text, self.first_line, self.window)
    }

    /// Puts 0-based `line` about a sixth of the window below the top, like the original's
    /// `goto(line, mode="top")`.
    pub fn goto_top(&mut self, line: i64, text: &str) {
        let target = (line as f64 - self.window as f64 / 6.0).trunc() as i64;
        self.set_first_line(target, n_lines(text));
    }

    fn set_first_line(&mut self, value: i64, n_lines: usize) {
        let max = n_lines as i64 - self.window as i64;
        self.first_line = value.min(max).max(0) as usize;
    }

    /// The open file and its text; `None` with no file open.
    fn current(&self, host: &mut impl Host) -> Result<Option<(String, String)>, RunError> {
        let Some(path) = self.file.clone() else {
            return Ok(None);
        };
        Ok(match read_text(host, &path)? {
            Ok(text) => Some((path, text)),
            Err(_) => None,
        })
    }

    fn missing_message(&self) -> String {
        match &self.file {
            None => NO_FILE_OPEN.to_string(),
            Some(path) => format!("Error: File {path} not found"),
        }
    }
}

/// A file's text (invalid UTF-8 replaced), or the original's message for the model when it
/// cannot be read. Only an infrastructure failure is an error of the run.
pub fn read_text(host: &mut impl Host, path: &str) -> Result<Result<String, String>, RunError> {
    match host.read_file(path) {
        Ok(bytes) => Ok(Ok(String::from_utf8_lossy(&bytes).into_owned())),
        Err(SandboxError::IsADirectory(_)) => Ok(Err(format!(
            "Error: {path} is a directory. You can only open files. Use cd or ls to navigate directories."
        ))),
        Err(SandboxError::NotFound(_)) => Ok(Err(format!("Error: File {path} not found"))),
        Err(SandboxError::Infrastructure(e)) => Err(RunError::Sandbox(e)),
        Err(e) => Ok(Err(format!("Error: {}", e.message()))),
    }
}

/// A sandbox error as an observation; infrastructure failures end the run.
pub fn other_error(e: SandboxError) -> Result<String, RunError> {
    match e {
        SandboxError::Infrastructure(m) => Err(RunError::Sandbox(m)),
        other => Ok(format!("Error: {}", other.message())),
    }
}

/// True when `path` is a directory in the sandbox.
pub fn is_dir(host: &mut impl Host, path: &str) -> Result<bool, RunError> {
    match host.stat(path) {
        Ok(stat) => Ok(stat.kind == FileKind::Directory),
        Err(SandboxError::Infrastructure(m)) => Err(RunError::Sandbox(m)),
        Err(_) => Ok(false),
    }
}

/// True when `path` is a regular file in the sandbox.
pub fn is_file(host: &mut impl Host, path: &str) -> Result<bool, RunError> {
    match host.stat(path) {
        Ok(stat) => Ok(stat.kind == FileKind::File),
        Err(SandboxError::Infrastructure(m)) => Err(RunError::Sandbox(m)),
        Err(_) => Ok(false),
    }
}

/// Lines as Python's `str.splitlines` counts them (a final newline ends the last line).
pub fn n_lines(text: &str) -> usize {
    text.lines().count()
}

/// The original's `print_window`: `[File: {path} ({n} lines total)]`, `({k} more lines
/// above)`, `{lineno}:{text}` lines, `({m} more lines below)`.
pub fn render(path: &str, text: &str, first_line: usize, window: usize) -> String {
    let n = n_lines(text);
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = vec![format!("[File: {path} ({n} lines total)]")];
    if first_line > 0 {
        out.push(format!("({first_line} more lines above)"));
    }
    // Inclusive last line of the window; none when the file is empty.
    let last = (first_line + window).min(n);
    for (i, line) in lines.iter().enumerate().take(last).skip(first_line) {
        out.push(format!("{}:{line}", i + 1));
    }
    if last < n {
        out.push(format!("({} more lines below)", n - last));
    }
    out.join("\n")
}

#[cfg(test)]
#[path = "viewer_tests.rs"]
mod tests;
