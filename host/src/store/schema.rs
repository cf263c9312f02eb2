//! The schema of a run file: DDL, views, the `pass_at_k` macro and the forward migrations.
//!
//! Owns: [`SCHEMA_VERSION`], the ordered migration list and the generic runner that applies
//! the pending ones, each in one transaction, recording them in `schema_migrations` and the
//! version in `meta`. Must never: open files, downgrade, or touch a file whose schema version
//! is newer than the code's (the caller checks that read-only before opening for writing;
//! the runner re-checks and refuses).
//!
//! Conventions (docs/schema.md explains them to analysts): times are `TIMESTAMP` in UTC;
//! enumerations are plain `VARCHAR`; JSON columns are `VARCHAR` holding serde_json text (the
//! crate is built without DuckDB's json extension, and VARCHAR keeps the file readable
//! everywhere; the CLI's json functions accept it as is); no primary keys on append tables.

use chrono::Utc;
use duckdb::{Connection, params};

use super::columns::ts;

/// The schema version this code writes. Files with a newer version are refused.
pub const SCHEMA_VERSION: i32 = 1;

/// The statuses that finalise an attempt (see [`super::Status::is_terminal`]).
pub(crate) const TERMINAL_STATUSES_SQL: &str = "('completed', 'truncated', 'plugin_fault')";

/// One forward step of the schema.
pub struct Migration {
    pub version: i32,
    pub description: &'static str,
    pub sql: &'static str,
}

/// Every migration, in order. Append new ones; never edit a released one.
pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "initial schema: runs, attempts, episodes, steps, messages, llm_call_messages, \
                  llm_calls, actions, verifications, scores, notes, views, pass_at_k",
    sql: V1,
}];

const V1: &str = r#"
CREATE TABLE runs (
    run_id VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP, args VARCHAR,
    synth_version VARCHAR, synth_revision VARCHAR, wasmtime_version VARCHAR,
    duckdb_version VARCHAR, hostname VARCHAR, config VARCHAR, summary VARCHAR);

CREATE TABLE attempts (
    attempt_id VARCHAR, episode_key VARCHAR, run_id VARCHAR, started_at TIMESTAMP,
    ended_at TIMESTAMP, status VARCHAR, termination VARCHAR, error VARCHAR);

CREATE TABLE episodes (
    episode_key VARCHAR, attempt_id VARCHAR, run_id VARCHAR, instance_id VARCHAR,
    template_id VARCHAR, category VARCHAR, difficulty VARCHAR, scaffold VARCHAR,
    scaffold_version VARCHAR, scaffold_hash VARCHAR, scaffold_config VARCHAR, model VARCHAR,
    sampling VARCHAR, sample INTEGER, status VARCHAR, termination VARCHAR, reward DOUBLE,
    resolved BOOLEAN, steps INTEGER, prompt_tokens BIGINT, completion_tokens BIGINT,
    cached_tokens BIGINT, cost_usd DOUBLE, wall_ms BIGINT, image_id VARCHAR, patch VARCHAR,
    started_at TIMESTAMP, ended_at TIMESTAMP);

CREATE TABLE steps (
    episode_key VARCHAR, attempt_id VARCHAR, step_index INTEGER, llm_call_id VARCHAR,
    started_at TIMESTAMP, ended_at TIMESTAMP, n_actions INTEGER, prompt_tokens BIGINT,
    completion_tokens BIGINT);

CREATE TABLE messages (
    message_hash VARCHAR, role VARCHAR, content VARCHAR, tool_calls VARCHAR,
    tool_call_id VARCHAR, name VARCHAR, text VARCHAR);

CREATE TABLE llm_call_messages (
    call_id VARCHAR, episode_key VARCHAR, attempt_id VARCHAR, step_index INTEGER,
    position INTEGER, message_hash VARCHAR);

CREATE TABLE llm_calls (
    call_id VARCHAR, attempt_no INTEGER, episode_key VARCHAR, attempt_id VARCHAR,
    step_index INTEGER, purpose VARCHAR, provider VARCHAR, model VARCHAR,
    request_hash VARCHAR, request_body VARCHAR, response_body VARCHAR, status INTEGER,
    error VARCHAR, latency_ms BIGINT, wait_ms BIGINT, prompt_tokens BIGINT,
    completion_tokens BIGINT, cached_tokens BIGINT, reasoning_tokens BIGINT, cost_usd DOUBLE,
    finish_reason VARCHAR, response_message_hash VARCHAR, started_at TIMESTAMP);

CREATE TABLE actions (
    episode_key VARCHAR, attempt_id VARCHAR, step_index INTEGER, seq INTEGER, op VARCHAR,
    target VARCHAR, exit_code INTEGER, output VARCHAR, output_raw BLOB, output_bytes BIGINT,
    truncated BOOLEAN, timed_out BOOLEAN, still_running BOOLEAN, error VARCHAR,
    duration_ms BIGINT, started_at TIMESTAMP);

CREATE TABLE verifications (
    episode_key VARCHAR, attempt_id VARCHAR, command VARCHAR, exit_code INTEGER,
    passed BOOLEAN, timed_out BOOLEAN, output VARCHAR, output_raw BLOB, output_bytes BIGINT,
    duration_ms BIGINT, patch VARCHAR, started_at TIMESTAMP);

CREATE TABLE scores (
    episode_key VARCHAR, attempt_id VARCHAR, source VARCHAR, name VARCHAR, value DOUBLE,
    step_index INTEGER, detail VARCHAR);

CREATE TABLE notes (
    episode_key VARCHAR, attempt_id VARCHAR, step_index INTEGER, kind VARCHAR,
    level VARCHAR, data VARCHAR, created_at TIMESTAMP);

-- The final episodes row of each episode: the latest terminal attempt. Everything below
-- reads only the attempts listed here, so partial attempts never reach an analysis.
CREATE VIEW v_episodes AS
    SELECT * FROM episodes
    WHERE status IN ('completed', 'truncated', 'plugin_fault')
    QUALIFY row_number() OVER (
        PARTITION BY episode_key ORDER BY ended_at DESC NULLS LAST, attempt_id DESC) = 1;

CREATE VIEW v_attempts AS
    SELECT * FROM attempts WHERE attempt_id IN (SELECT attempt_id FROM v_episodes);
CREATE VIEW v_steps AS
    SELECT * FROM steps WHERE attempt_id IN (SELECT attempt_id FROM v_episodes);
CREATE VIEW v_llm_calls AS
    SELECT * FROM llm_calls WHERE attempt_id IN (SELECT attempt_id FROM v_episodes);
CREATE VIEW v_llm_call_messages AS
    SELECT * FROM llm_call_messages WHERE attempt_id IN (SELECT attempt_id FROM v_episodes);
CREATE VIEW v_messages_by_call AS
    SELECT cm.call_id, cm.episode_key, cm.attempt_id, cm.step_index, cm.position,
           cm.message_hash, m.role, m.content, m.tool_calls, m.tool_call_id, m.name, m.text
    FROM llm_call_messages cm
    JOIN messages m ON m.message_hash = cm.message_hash
    WHERE cm.attempt_id IN (SELECT attempt_id FROM v_episodes);
CREATE VIEW v_actions AS
    SELECT * FROM actions WHERE attempt_id IN (SELECT attempt_id FROM v_episodes);
CREATE VIEW v_verifications AS
    SELECT * FROM verifications WHERE attempt_id IN (SELECT attempt_id FROM v_episodes);
CREATE VIEW v_scores AS
    SELECT * FROM scores WHERE attempt_id IN (SELECT attempt_id FROM v_episodes);
CREATE VIEW v_notes AS
    SELECT * FROM notes WHERE attempt_id IN (SELECT attempt_id FROM v_episodes);

-- Unbiased pass@k (Chen et al. 2021): 1 - C(n-c, k) / C(n, k) as a stable product.
-- Written without lambdas so that every DuckDB from 1.2 on parses and runs it.
CREATE MACRO pass_at_k(n, c, k) AS
    CASE WHEN n - c < k THEN 1.0
         ELSE 1.0 - (SELECT coalesce(product(1.0 - k / i), 1.0)
                     FROM range(n - c + 1, n + 1) AS t(i))
    END;
"#;

/// Applies every migration newer than the file's version, each in its own transaction
/// (which also creates the bookkeeping tables `meta` and `schema_migrations` if needed). Returns the version the file is at.
/// `file` only names the file in errors.
pub(crate) fn migrate(
    conn: &Connection,
    migrations: &[Migration],
    file: &str,
) -> Result<i32, MigrateError> {
    let target = migrations.last().map_or(0, |m| m.version);
    let from = read_version(conn)
        .map_err(|e| MigrateError::Sql(format!("cannot read the schema version: {e}")))?
        .unwrap_or(0);
    if from > target {
        return Err(MigrateError::Newer {
            file: from,
            code: target,
        });
    }
    let mut current = from;
    for m in migrations.iter().filter(|m| m.version > from) {
        apply(conn, m).map_err(|e| {
            MigrateError::Sql(format!(
                "migration to schema version {} failed on {file}: {e}",
                m.version
            ))
        })?;
        current = m.version;
    }
    Ok(current)
}

fn apply(conn: &Connection, m: &Migration) -> duckdb::Result<()> {
    conn.execute_batch("BEGIN TRANSACTION")?;
    let result = (|| {
        // Inside the transaction: a failed first migration leaves the file without tables.
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR);
             CREATE TABLE IF NOT EXISTS schema_migrations
                 (version INTEGER, applied_at TIMESTAMP, description VARCHAR);",
        )?;
        conn.execute_batch(m.sql)?;
        conn.execute(
            "INSERT INTO schema_migrations VALUES (?, ?, ?)",
            params![m.version, ts(&Utc::now()), m.description],
        )?;
        conn.execute("DELETE FROM meta WHERE key = 'schema_version'", [])?;
        conn.execute(
            "INSERT INTO meta VALUES ('schema_version', ?)",
            params![m.version.to_string()],
        )?;
        if m.version == 1 {
            conn.execute(
                "INSERT INTO meta VALUES ('created_by', ?), ('created_at', ?), \
                 ('storage_compatibility_version', ?)",
                params![
                    format!("synth {}", env!("CARGO_PKG_VERSION")),
                    Utc::now().to_rfc3339(),
                    super::STORAGE_VERSION,
                ],
            )?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => conn.execute_batch("COMMIT"),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// The schema version recorded in `meta`, None when the table or the key is missing.
pub(crate) fn read_version(conn: &Connection) -> Result<Option<i32>, String> {
    let has_meta: i64 = conn
        .query_row(
            "SELECT count(*) FROM duckdb_tables() \
             WHERE database_name = current_database() AND schema_name = 'main' \
               AND table_name = 'meta'",
            [],
            |r| r.get(0),
        )
        .map_err(|e| e.to_string())?;
    if has_meta == 0 {
        return Ok(None);
    }
    let mut stmt = conn
        .prepare("SELECT value FROM meta WHERE key = 'schema_version'")
        .map_err(|e| e.to_string())?;
    let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
    let Some(row) = rows.next().map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let text: String = row.get(0).map_err(|e| e.to_string())?;
    text.trim()
        .parse::<i32>()
        .map(Some)
        .map_err(|_| format!("meta.schema_version is not a number: {text:?}"))
}

/// How many tables the file has in its main schema (0 = an empty DuckDB database).
pub(crate) fn table_count(conn: &Connection) -> Result<i64, String> {
    conn.query_row(
        "SELECT count(*) FROM duckdb_tables() \
         WHERE database_name = current_database() AND schema_name = 'main'",
        [],
        |r| r.get(0),
    )
    .map_err(|e| e.to_string())
}

#[derive(Debug)]
pub(crate) enum MigrateError {
    Newer { file: i32, code: i32 },
    Sql(String),
}
