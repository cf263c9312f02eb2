//! Reads the model replies of a finished run file, episode by episode, for the `replay:`
//! model (`llm::script`): what each call of each finished episode was answered, in order.
//!
//! Owns: the read-only query and its grouping. Must never: open a file for writing, open the
//! run file this process is writing (the caller refuses that path), or read replies of
//! attempts that did not finish (only the `v_llm_calls` view, i.e. final attempts, counts).

use std::path::Path;

use duckdb::Connection;

use super::read::open_read_only;
use super::{StoreError, one_line};

/// One stored reply: the response message's columns as stored, and its usage.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredReply {
    pub role: String,
    /// JSON text of the message's content parts.
    pub content: String,
    /// JSON text of the message's tool calls.
    pub tool_calls: String,
    pub finish_reason: Option<String>,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// The replies one finished episode received, in call order.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEpisode {
    pub instance_id: String,
    pub scaffold: String,
    pub model: String,
    pub sample: u32,
    pub replies: Vec<StoredReply>,
}

/// Every finished episode of the run file at `path` with the replies its calls got.
pub fn stored_replies(path: &Path) -> Result<Vec<StoredEpisode>, StoreError> {
    let shown = path.display().to_string();
    let conn = open_read_only(path, &shown)?;
    read_replies(&conn).map_err(|e| StoreError::Query {
        path: shown,
        detail: one_line(&e.to_string()),
    })
}

fn read_replies(conn: &Connection) -> duckdb::Result<Vec<StoredEpisode>> {
    // One row per successful call (its final attempt row carries the response hash), in
    // the order the calls were made.
    let sql = "SELECT e.instance_id, e.scaffold, e.model, e.sample, e.episode_key,
                      m.role, m.content, m.tool_calls, c.finish_reason,
                      coalesce(c.prompt_tokens, 0), coalesce(c.completion_tokens, 0)
               FROM v_llm_calls c
               JOIN v_episodes e ON e.attempt_id = c.attempt_id
               JOIN (SELECT DISTINCT ON (message_hash) * FROM messages) m
                 ON m.message_hash = c.response_message_hash
               WHERE c.response_message_hash IS NOT NULL
               ORDER BY e.episode_key, c.started_at, c.call_id";
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query([])?;
    let mut episodes: Vec<StoredEpisode> = Vec::new();
    let mut last_key = String::new();
    while let Some(r) = rows.next()? {
        let key: String = r.get(4)?;
        if key != last_key || episodes.is_empty() {
            episodes.push(StoredEpisode {
                instance_id: r.get(0)?,
                scaffold: r.get(1)?,
                model: r.get(2)?,
                sample: r.get::<_, i32>(3)?.max(0) as u32,
                replies: Vec::new(),
            });
            last_key = key;
        }
        let reply = StoredReply {
            role: r.get(5)?,
            content: r
                .get::<_, Option<String>>(6)?
                .unwrap_or_else(|| "[]".into()),
            tool_calls: r
                .get::<_, Option<String>>(7)?
                .unwrap_or_else(|| "[]".into()),
            finish_reason: r.get(8)?,
            prompt_tokens: r.get::<_, i64>(9)?.max(0) as u64,
            completion_tokens: r.get::<_, i64>(10)?.max(0) as u64,
        };
        if let Some(episode) = episodes.last_mut() {
            episode.replies.push(reply);
        }
    }
    Ok(episodes)
}
