//! A scripted, in-memory [`Host`] for native unit tests of agent loops: model replies and
//! command results are queued up front, files live in a map, and everything the loop sent is
//! kept for assertions. Never used by a component at run time.

use crate::host::Host;
use crate::llm::{Completion, LlmError, Params};
use crate::log::Level;
use crate::sandbox::{DirEntry, ExecOptions, ExecResult, FileKind, FileStat, SandboxError};
use crate::{FinishReason, Message, Role, Task, ToolCall, ToolSpec, Usage};
use std::collections::{BTreeMap, VecDeque};

/// One `complete` call as the loop made it.
#[derive(Debug, Clone)]
pub struct Request {
    pub messages: Vec<Message>,
    pub tools: Vec<ToolSpec>,
    pub params: Params,
}

/// See the module documentation. Fields are public: queue into them, assert on them.
#[derive(Debug, Default)]
pub struct FakeHost {
    /// Answers of `complete`, in order; the loop panics the test when it asks for more.
    pub replies: VecDeque<Result<Message, LlmError>>,
    /// Answers of `exec`, `poll`, `send_input` and `interrupt`, in order.
    pub results: VecDeque<Result<ExecResult, SandboxError>>,
    /// Files by absolute path. A path with files below it is a directory.
    pub files: BTreeMap<String, Vec<u8>>,
    pub requests: Vec<Request>,
    /// `exec` commands, and `poll` / `send-input:<text>` / `interrupt` as they came.
    pub commands: Vec<String>,
    pub exec_options: Vec<ExecOptions>,
    pub notes: Vec<(String, String)>,
    pub logs: Vec<(Level, String)>,
}

impl FakeHost {
    pub fn new() -> FakeHost {
        FakeHost::default()
    }

    /// Queues a model reply.
    pub fn reply(&mut self, message: Message) -> &mut Self {
        self.replies.push_back(Ok(message));
        self
    }

    /// Queues a reply with one tool call `name(arguments)`; its id is `call_N`.
    pub fn reply_call(&mut self, name: &str, arguments: serde_json::Value) -> &mut Self {
        let n = self.replies.len() + 1;
        self.reply(assistant_call(&format!("call_{n}"), name, arguments))
    }

    /// Queues a command result.
    pub fn result(&mut self, result: ExecResult) -> &mut Self {
        self.results.push_back(Ok(result));
        self
    }

    pub fn file(&mut self, path: &str, content: &str) -> &mut Self {
        self.files
            .insert(path.to_string(), content.as_bytes().to_vec());
        self
    }

    /// A file's content as text (panics when absent).
    pub fn text(&self, path: &str) -> String {
        String::from_utf8_lossy(
            self.files
                .get(path)
                .unwrap_or_else(|| panic!("no file {path}")),
        )
        .into_owned()
    }

    fn is_dir(&self, path: &str) -> bool {
        let prefix = format!("{}/", path.trim_end_matches('/'));
        path == "/" || self.files.keys().any(|k| k.starts_with(&prefix))
    }

    fn next_result(&mut self) -> Result<ExecResult, SandboxError> {
        self.results
            .pop_front()
            .expect("the loop ran more commands than scripted")
    }
}

/// A task for unit tests: `instruction` in `/workspace`, at most `max_steps` steps.
pub fn task(instruction: &str, max_steps: u32) -> Task {
    Task {
        instance_id: "test-task-1234abcd".into(),
        template_id: "test-task".into(),
        category: "test".into(),
        difficulty: "easy".into(),
        instruction: instruction.into(),
        workspace: "/workspace".into(),
        max_steps,
        max_seconds: 600,
        parameters: "{}".into(),
    }
}

/// An assistant message calling `name` with `arguments`.
pub fn assistant_call(id: &str, name: &str, arguments: serde_json::Value) -> Message {
    Message {
        role: Role::Assistant,
        content: Vec::new(),
        tool_calls: vec![ToolCall {
            id: id.to_string(),
            name: name.to_string(),
            raw_arguments: arguments.to_string(),
            parsed: Ok(arguments.to_string()),
        }],
        tool_call_id: None,
        name: None,
    }
}

/// A finished command's result.
pub fn exec_result(exit_code: i32, output: &str) -> ExecResult {
    ExecResult {
        exit_code: Some(exit_code),
        output: output.as_bytes().to_vec(),
        truncated: false,
        timed_out: false,
        still_running: false,
        duration_ms: 5,
    }
}

/// A command still running after a soft timeout, having printed `output`.
pub fn still_running(output: &str, duration_ms: u64) -> ExecResult {
    ExecResult {
        exit_code: None,
        still_running: true,
        duration_ms,
        ..exec_result(0, output)
    }
}

impl Host for FakeHost {
    fn complete(
        &mut self,
        messages: &[Message],
        tools: &[ToolSpec],
        params: &Params,
    ) -> Result<Completion, LlmError> {
        self.requests.push(Request {
            messages: messages.to_vec(),
            tools: tools.to_vec(),
            params: params.clone(),
        });
        let message = self
            .replies
            .pop_front()
            .expect("the loop asked for more replies than scripted")?;
        let finish_reason = if message.tool_calls.is_empty() {
            FinishReason::Stop
        } else {
            FinishReason::ToolCalls
        };
        let chars: usize = messages.iter().map(|m| m.text().len()).sum();
        Ok(Completion {
            message,
            finish_reason,
            usage: Usage {
                prompt_tokens: (chars / 4) as u64,
                completion_tokens: 1,
                cached_tokens: 0,
                reasoning_tokens: 0,
            },
            model: "fake/script".into(),
            call_id: format!("fake-{}", self.requests.len()),
        })
    }

    fn exec(&mut self, command: &str, options: &ExecOptions) -> Result<ExecResult, SandboxError> {
        self.commands.push(command.to_string());
        self.exec_options.push(options.clone());
        self.next_result()
    }

    fn log(&mut self, level: Level, message: &str) {
        self.logs.push((level, message.to_string()));
    }

    fn note(&mut self, kind: &str, data: &str) {
        self.notes.push((kind.to_string(), data.to_string()));
    }

    fn poll(&mut self, _wait_ms: u32) -> Result<ExecResult, SandboxError> {
        self.commands.push("poll".into());
        self.next_result()
    }

    fn send_input(&mut self, input: &[u8], _wait_ms: u32) -> Result<ExecResult, SandboxError> {
        self.commands
            .push(format!("send-input:{}", String::from_utf8_lossy(input)));
        self.next_result()
    }

    fn interrupt(&mut self) -> Result<ExecResult, SandboxError> {
        self.commands.push("interrupt".into());
        self.next_result()
    }

    fn read_file(&mut self, path: &str) -> Result<Vec<u8>, SandboxError> {
        if let Some(content) = self.files.get(path) {
            return Ok(content.clone());
        }
        if self.is_dir(path) {
            return Err(SandboxError::IsADirectory(path.to_string()));
        }
        Err(SandboxError::NotFound(path.to_string()))
    }

    fn write_file(&mut self, path: &str, content: &[u8]) -> Result<(), SandboxError> {
        if self.is_dir(path) {
            return Err(SandboxError::IsADirectory(path.to_string()));
        }
        self.files.insert(path.to_string(), content.to_vec());
        Ok(())
    }

    fn list_dir(&mut self, path: &str) -> Result<Vec<DirEntry>, SandboxError> {
        if self.files.contains_key(path) {
            return Err(SandboxError::NotADirectory(path.to_string()));
        }
        if !self.is_dir(path) {
            return Err(SandboxError::NotFound(path.to_string()));
        }
        let prefix = format!("{}/", path.trim_end_matches('/'));
        let mut entries: BTreeMap<String, DirEntry> = BTreeMap::new();
        for (file, content) in &self.files {
            let Some(rest) = file.strip_prefix(&prefix) else {
                continue;
            };
            let (name, kind, size) = match rest.split_once('/') {
                Some((dir, _)) => (dir, FileKind::Directory, 0),
                None => (rest, FileKind::File, content.len() as u64),
            };
            entries.entry(name.to_string()).or_insert(DirEntry {
                name: name.to_string(),
                kind,
                size,
            });
        }
        Ok(entries.into_values().collect())
    }

    fn stat(&mut self, path: &str) -> Result<FileStat, SandboxError> {
        let (kind, size) = match self.files.get(path) {
            Some(content) => (FileKind::File, content.len() as u64),
            None if self.is_dir(path) => (FileKind::Directory, 0),
            None => return Err(SandboxError::NotFound(path.to_string())),
        };
        Ok(FileStat {
            kind,
            size,
            mode: 0o644,
            modified: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn files_and_directories() {
        let mut host = FakeHost::new();
        host.file("/w/a.py", "x = 1\n").file("/w/pkg/b.py", "");
        assert_eq!(host.read_file("/w/a.py").unwrap(), b"x = 1\n");
        assert!(matches!(
            host.read_file("/w"),
            Err(SandboxError::IsADirectory(_))
        ));
        assert!(matches!(
            host.read_file("/nope"),
            Err(SandboxError::NotFound(_))
        ));
        let names: Vec<String> = host
            .list_dir("/w")
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, vec!["a.py", "pkg"]);
        assert_eq!(host.stat("/w/pkg").unwrap().kind, FileKind::Directory);
        host.write_file("/w/c.txt", b"c").unwrap();
        assert_eq!(host.text("/w/c.txt"), "c");
    }

    #[test]
    fn scripted_replies_and_results() {
        let mut host = FakeHost::new();
        host.reply_call("bash", json!({"command": "ls"}))
            .result(exec_result(0, "a\n"));
        let c = host
            .complete(&[Message::user("hi")], &[], &Params::agent())
            .unwrap();
        assert_eq!(c.message.tool_calls[0].id, "call_1");
        assert_eq!(
            host.exec("ls", &ExecOptions::default()).unwrap().output,
            b"a\n"
        );
        assert_eq!(host.commands, vec!["ls"]);
        assert_eq!(host.requests[0].messages[0].text(), "hi");
    }
}
