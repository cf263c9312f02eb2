//! Offline models for plugin authors: no key, no server, deterministic.
//!
//! - `script:FILE` answers call N of every episode (all purposes, counted per attempt) with
//!   line N of a JSONL file. A line is an OpenAI Chat Completions assistant message as a
//!   server sends it (`{"role": "assistant", "content": ..., "tool_calls": [...]}`), or the
//!   short forms `{"tool": NAME, "arguments": {...}}` (one call, optional `"content"` text
//!   before it) and `{"content": TEXT}` (no call). Blank lines are skipped.
//! - `replay:RUN.duckdb` (or `replay:RUN.duckdb#MODEL` when that run used several models)
//!   answers call N of an episode with the reply call N got in the stored episode of the
//!   same task instance, scaffold name and sample.
//!
//! Everything is read and checked before the run starts (errors name the file and line);
//! answering reads nothing. A call past the end of its replies is an `InvalidRequest`
//! naming the file, never a guess.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::openai::decode_response;
use super::router::EpisodeContext;
use super::types::{
    Completion, ContentPart, FinishReason, LlmError, Message, Role, ToolCall, Usage,
};

pub const SCRIPT_PREFIX: &str = "script:";
pub const REPLAY_PREFIX: &str = "replay:";

/// Provider names recorded in `llm_calls.provider`.
pub const SCRIPT_PROVIDER: &str = "script";
pub const REPLAY_PROVIDER: &str = "replay";

/// True for model strings this module answers.
pub fn is_offline_model(model: &str) -> bool {
    model.starts_with(SCRIPT_PREFIX) || model.starts_with(REPLAY_PREFIX)
}

/// Which stored episode a replayed call belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct EpisodeId {
    instance_id: String,
    scaffold: String,
    sample: u32,
}

#[derive(Debug)]
enum Replies {
    /// The same replies for every episode.
    Sequence(Vec<Completion>),
    /// Replies per stored episode.
    ByEpisode(HashMap<EpisodeId, Vec<Completion>>),
}

/// A loaded `script:` or `replay:` model.
#[derive(Debug)]
pub struct OfflineModel {
    /// The file the replies came from, for messages.
    source: PathBuf,
    provider: &'static str,
    replies: Replies,
}

impl OfflineModel {
    /// Loads the model string `model` (blocking file I/O: call it off the async runtime).
    /// `run_file` is the file this process writes; replaying it is refused.
    pub fn load(model: &str, run_file: Option<&Path>) -> Result<OfflineModel, LlmError> {
        if let Some(path) = model.strip_prefix(SCRIPT_PREFIX) {
            let source = non_empty_path(path, model)?;
            let text = std::fs::read_to_string(&source).map_err(|e| {
                LlmError::Config(format!("{}: cannot read the script: {e}", source.display()))
            })?;
            let replies = parse_script(&text, &source)?;
            return Ok(OfflineModel {
                source,
                provider: SCRIPT_PROVIDER,
                replies: Replies::Sequence(replies),
            });
        }
        let Some(rest) = model.strip_prefix(REPLAY_PREFIX) else {
            return Err(LlmError::UnknownModel(format!(
                "`{model}` is not a `script:` or `replay:` model"
            )));
        };
        let (path, wanted_model) = match rest.rsplit_once('#') {
            Some((p, m)) => (p, Some(m)),
            None => (rest, None),
        };
        let source = non_empty_path(path, model)?;
        if let Some(run_file) = run_file
            && same_file(&source, run_file)
        {
            return Err(LlmError::Config(format!(
                "{}: cannot replay the run file being written; copy it and replay the copy",
                source.display()
            )));
        }
        let episodes = crate::store::stored_replies(&source)
            .map_err(|e| LlmError::Config(format!("replay: {e}")))?;
        let replies = group_replays(episodes, wanted_model, &source)?;
        Ok(OfflineModel {
            source,
            provider: REPLAY_PROVIDER,
            replies: Replies::ByEpisode(replies),
        })
    }

    pub fn provider(&self) -> &'static str {
        self.provider
    }

    /// The reply to call `ctx.call_index` of the episode in `ctx`.
    pub fn answer(&self, model: &str, ctx: &EpisodeContext) -> Result<Completion, LlmError> {
        let n = ctx.call_index as usize;
        let (replies, whose) = match &self.replies {
            Replies::Sequence(replies) => (replies, String::new()),
            Replies::ByEpisode(map) => {
                let id = EpisodeId {
                    instance_id: ctx.instance_id.clone(),
                    scaffold: ctx.scaffold.clone(),
                    sample: ctx.sample,
                };
                let replies = map.get(&id).ok_or_else(|| {
                    LlmError::InvalidRequest(format!(
                        "{} holds no finished episode of instance `{}`, scaffold `{}`, sample {}",
                        self.source.display(),
                        id.instance_id,
                        id.scaffold,
                        id.sample
                    ))
                })?;
                (replies, format!(" for instance `{}`", id.instance_id))
            }
        };
        let mut completion = replies.get(n).cloned().ok_or_else(|| {
            LlmError::InvalidRequest(format!(
                "{} has {} replies{whose}; model call {} has none",
                self.source.display(),
                replies.len(),
                n + 1
            ))
        })?;
        completion.model = model.to_string();
        Ok(completion)
    }
}

fn non_empty_path(path: &str, model: &str) -> Result<PathBuf, LlmError> {
    if path.trim().is_empty() {
        return Err(LlmError::UnknownModel(format!(
            "model `{model}` names no file"
        )));
    }
    Ok(PathBuf::from(path))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Parses a JSONL script; errors name `source:line`.
pub fn parse_script(text: &str, source: &Path) -> Result<Vec<Completion>, LlmError> {
    let mut replies = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("{}:{}", source.display(), i + 1);
        let value: Value = serde_json::from_str(line)
            .map_err(|e| LlmError::Config(format!("{at}: not valid JSON: {e}")))?;
        let n = replies.len() + 1;
        replies.push(script_line(value, n).map_err(|e| LlmError::Config(format!("{at}: {e}")))?);
    }
    if replies.is_empty() {
        return Err(LlmError::Config(format!(
            "{}: the script holds no replies",
            source.display()
        )));
    }
    Ok(replies)
}

fn script_line(value: Value, n: usize) -> Result<Completion, String> {
    let Value::Object(map) = &value else {
        return Err("each line must be a JSON object".into());
    };
    if map.contains_key("role") || map.contains_key("tool_calls") {
        if let Some(role) = map.get("role")
            && role != "assistant"
        {
            return Err(format!("`role` must be \"assistant\", not {role}"));
        }
        let body = json!({"choices": [{"message": value, "finish_reason": null}]});
        let mut completion = decode_response(&body.to_string(), SCRIPT_PROVIDER, "")?;
        completion.finish_reason = finish_for(&completion.message);
        return Ok(completion);
    }
    for key in map.keys() {
        if !["tool", "arguments", "content"].contains(&key.as_str()) {
            return Err(format!(
                "unknown field `{key}`: a line is an OpenAI assistant message, \
                 {{\"tool\": NAME, \"arguments\": {{...}}}} or {{\"content\": TEXT}}"
            ));
        }
    }
    let mut content = Vec::new();
    match map.get("content") {
        None | Some(Value::Null) => {}
        Some(Value::String(text)) => content.push(ContentPart::text(text.clone())),
        Some(other) => return Err(format!("`content` must be a string, not {other}")),
    }
    let mut tool_calls = Vec::new();
    match (map.get("tool"), map.get("arguments")) {
        (None, None) => {}
        (Some(Value::String(name)), arguments) => {
            let raw = match arguments {
                None => "{}".to_string(),
                Some(Value::String(raw)) => raw.clone(),
                Some(other) => other.to_string(),
            };
            tool_calls.push(ToolCall::from_raw(format!("script_{n}"), name.clone(), raw));
        }
        (Some(other), _) => return Err(format!("`tool` must be a string, not {other}")),
        (None, Some(_)) => return Err("`arguments` without `tool`".into()),
    }
    if content.is_empty() && tool_calls.is_empty() {
        return Err("the reply has neither `content` nor `tool`".into());
    }
    let message = Message {
        role: Role::Assistant,
        content,
        tool_calls,
        tool_call_id: None,
        name: None,
    };
    Ok(Completion {
        finish_reason: finish_for(&message),
        message,
        usage: Usage::default(),
        model: String::new(),
    })
}

fn finish_for(message: &Message) -> FinishReason {
    if message.tool_calls.is_empty() {
        FinishReason::Stop
    } else {
        FinishReason::ToolCalls
    }
}

fn group_replays(
    episodes: Vec<crate::store::StoredEpisode>,
    wanted_model: Option<&str>,
    source: &Path,
) -> Result<HashMap<EpisodeId, Vec<Completion>>, LlmError> {
    let mut models: Vec<String> = episodes.iter().map(|e| e.model.clone()).collect();
    models.sort();
    models.dedup();
    let model = match wanted_model {
        Some(m) if models.iter().any(|x| x == m) => m.to_string(),
        Some(m) => {
            return Err(LlmError::Config(format!(
                "{}: no finished episode used model `{m}`; it holds {}",
                source.display(),
                list(&models)
            )));
        }
        None if models.len() == 1 => models[0].clone(),
        None if models.is_empty() => {
            return Err(LlmError::Config(format!(
                "{}: the run file holds no finished episode with model replies",
                source.display()
            )));
        }
        None => {
            return Err(LlmError::Config(format!(
                "{}: the run used several models ({}); name one: replay:{}#MODEL",
                source.display(),
                list(&models),
                source.display()
            )));
        }
    };
    let mut map = HashMap::new();
    for e in episodes.into_iter().filter(|e| e.model == model) {
        let mut replies = Vec::with_capacity(e.replies.len());
        for (i, r) in e.replies.into_iter().enumerate() {
            let bad = |what: &str, err: String| {
                LlmError::Config(format!(
                    "{}: reply {} of instance `{}` has unreadable {what}: {err}",
                    source.display(),
                    i + 1,
                    e.instance_id
                ))
            };
            let content: Vec<ContentPart> =
                serde_json::from_str(&r.content).map_err(|x| bad("content", x.to_string()))?;
            let tool_calls: Vec<ToolCall> = serde_json::from_str(&r.tool_calls)
                .map_err(|x| bad("tool calls", x.to_string()))?;
            let role: Role = serde_json::from_value(Value::String(r.role.clone()))
                .map_err(|x| bad("role", x.to_string()))?;
            let finish_reason = r
                .finish_reason
                .as_deref()
                .and_then(|f| serde_json::from_value(Value::String(f.to_string())).ok())
                .unwrap_or(FinishReason::Other);
            replies.push(Completion {
                message: Message {
                    role,
                    content,
                    tool_calls,
                    tool_call_id: None,
                    name: None,
                },
                finish_reason,
                usage: Usage {
                    prompt_tokens: r.prompt_tokens,
                    completion_tokens: r.completion_tokens,
                    ..Usage::default()
                },
                model: String::new(),
            });
        }
        let id = EpisodeId {
            instance_id: e.instance_id,
            scaffold: e.scaffold,
            sample: e.sample,
        };
        map.insert(id, replies);
    }
    Ok(map)
}

fn list(models: &[String]) -> String {
    models
        .iter()
        .map(|m| format!("`{m}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(call_index: u32) -> EpisodeContext {
        EpisodeContext {
            episode_key: "k".into(),
            call_index,
            ..EpisodeContext::default()
        }
    }

    #[test]
    fn script_lines_in_every_form() {
        let text = r#"{"tool": "bash", "arguments": {"command": "ls"}}

{"content": "looking", "tool": "bash", "arguments": "{\"command\": \"pwd\"}"}
{"role": "assistant", "content": null, "tool_calls": [{"id": "c9", "type": "function", "function": {"name": "submit", "arguments": "{}"}}]}
{"content": "all done"}
{"tool": "bash", "arguments": "{not json"}
"#;
        let replies = parse_script(text, Path::new("r.jsonl")).unwrap();
        assert_eq!(replies.len(), 5);
        assert_eq!(replies[0].message.tool_calls[0].name, "bash");
        assert_eq!(replies[0].message.tool_calls[0].id, "script_1");
        assert_eq!(replies[0].finish_reason, FinishReason::ToolCalls);
        assert_eq!(replies[1].message.text(), "looking");
        assert_eq!(
            replies[1].message.tool_calls[0].parsed,
            Ok(json!({"command": "pwd"}))
        );
        assert_eq!(replies[2].message.tool_calls[0].id, "c9");
        assert_eq!(replies[3].finish_reason, FinishReason::Stop);
        // Raw arguments are kept as written, never repaired.
        assert!(replies[4].message.tool_calls[0].parsed.is_err());
        assert_eq!(replies[4].message.tool_calls[0].raw_arguments, "{not json");
    }

    #[test]
    fn script_errors_name_file_and_line() {
        let e = |t: &str| {
            parse_script(t, Path::new("r.jsonl"))
                .unwrap_err()
                .to_string()
        };
        assert!(e("{\"tool\": \"bash\"}\n{oops").contains("r.jsonl:2: not valid JSON"));
        assert!(e("{\"tol\": \"bash\"}").contains("r.jsonl:1: unknown field `tol`"));
        assert!(e("[1]").contains("r.jsonl:1: each line must be a JSON object"));
        assert!(e("{\"role\": \"user\", \"content\": \"x\"}").contains("must be \"assistant\""));
        assert!(e("{}").contains("neither"));
        assert!(e("\n\n").contains("holds no replies"));
    }

    #[test]
    fn answers_in_order_and_stops_at_the_end() {
        let replies = parse_script(
            "{\"content\": \"one\"}\n{\"content\": \"two\"}\n",
            Path::new("s.jsonl"),
        )
        .unwrap();
        let model = OfflineModel {
            source: PathBuf::from("s.jsonl"),
            provider: SCRIPT_PROVIDER,
            replies: Replies::Sequence(replies),
        };
        let a = model.answer("script:s.jsonl", &ctx(1)).unwrap();
        assert_eq!(a.message.text(), "two");
        assert_eq!(a.model, "script:s.jsonl");
        let e = model.answer("script:s.jsonl", &ctx(2)).unwrap_err();
        assert!(
            e.to_string()
                .contains("s.jsonl has 2 replies; model call 3 has none"),
            "{e}"
        );
    }

    #[test]
    fn load_errors() {
        let e = OfflineModel::load("script:", None).unwrap_err();
        assert!(e.to_string().contains("names no file"), "{e}");
        let e = OfflineModel::load("script:/nonexistent/r.jsonl", None).unwrap_err();
        assert!(
            e.to_string()
                .contains("/nonexistent/r.jsonl: cannot read the script"),
            "{e}"
        );
        let e = OfflineModel::load("replay:/nonexistent/run.duckdb", None).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/run.duckdb"), "{e}");
    }
}
