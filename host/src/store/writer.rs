//! The writer thread: opens the run file once, then turns queued events into batches, each
//! appended and committed in one transaction.
//!
//! Owns: the only DuckDB `Connection` of the file in this process, the set of message hashes
//! already stored, the first write error. Batches: up to [`MAX_BATCH`] events or
//! [`BATCH_WINDOW`] after the first one, whichever comes first; a flush, read or close
//! request ends the batch at once. Low-volume rows (runs, attempts) are written with
//! statements in event order; the others are buffered per table and appended with one
//! Appender per table, flushed and checked before COMMIT.
//! Must never: run on a tokio worker thread, modify a file it refuses, or keep writing after
//! a failed batch (later rows could finalise an attempt whose other rows were lost).

use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use duckdb::types::Value;
use duckdb::{AccessMode, Config, Connection, appender_params_from_iter, params_from_iter};
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, oneshot};

use super::columns::{self, json, opt_text, text, ts};
use super::read::{self, Table};
use super::rows::Event;
use super::schema::{self, MigrateError, SCHEMA_VERSION};
use super::{Command, STORAGE_VERSION, StoreError, one_line};

/// Most events in one transaction.
pub(crate) const MAX_BATCH: usize = 2048;
/// How long a batch may wait for more events after its first.
pub(crate) const BATCH_WINDOW: Duration = Duration::from_millis(50);

/// Settings for every connection synth opens: offline (no extension autoload or install),
/// bounded threads and memory so DuckDB does not starve the sandboxes.
pub(crate) fn config(read_only: bool) -> duckdb::Result<Config> {
    let config = Config::default()
        .enable_autoload_extension(false)?
        .threads(2)?
        .max_memory("1GB")?;
    if read_only {
        config.access_mode(AccessMode::ReadOnly)
    } else {
        config
            .access_mode(AccessMode::ReadWrite)?
            .with("storage_compatibility_version", STORAGE_VERSION)
    }
}

/// Maps an open failure to a one-line error; lock conflicts get their own variant.
pub(crate) fn open_error(path: &str, e: &duckdb::Error) -> StoreError {
    let detail = one_line(&e.to_string());
    if detail.contains("Could not set lock on file") {
        StoreError::Locked {
            path: path.to_owned(),
            detail,
        }
    } else {
        StoreError::Open {
            path: path.to_owned(),
            detail,
        }
    }
}

/// Refuses a non-empty file whose header lacks DuckDB's magic bytes ("DUCK" at offset 8).
pub(crate) fn check_header(path: &Path, shown: &str) -> Result<(), StoreError> {
    let mut head = [0u8; 12];
    let mut file = fs::File::open(path).map_err(|e| StoreError::Open {
        path: shown.to_owned(),
        detail: e.to_string(),
    })?;
    let mut filled = 0;
    while filled < head.len() {
        match file.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) => {
                return Err(StoreError::Open {
                    path: shown.to_owned(),
                    detail: e.to_string(),
                });
            }
        }
    }
    if filled < head.len() || &head[8..12] != b"DUCK" {
        return Err(StoreError::NotDuckDb {
            path: shown.to_owned(),
        });
    }
    Ok(())
}

/// Looks at an existing file read-only (which never writes to it) and refuses what must not
/// be opened for writing.
fn inspect(path: &Path, shown: &str) -> Result<(), StoreError> {
    let cfg = config(true).map_err(|e| open_error(shown, &e))?;
    let conn = Connection::open_with_flags(path, cfg).map_err(|e| open_error(shown, &e))?;
    let fail = |detail: String| StoreError::Open {
        path: shown.to_owned(),
        detail: one_line(&detail),
    };
    match schema::read_version(&conn).map_err(fail)? {
        Some(v) if v > SCHEMA_VERSION => Err(StoreError::NewerSchema {
            path: shown.to_owned(),
            file_version: v,
            code_version: SCHEMA_VERSION,
        }),
        Some(_) => Ok(()),
        None if schema::table_count(&conn).map_err(fail)? > 0 => Err(StoreError::NotSynth {
            path: shown.to_owned(),
        }),
        None => Ok(()),
    }
}

/// Files open in this process. A second `Connection::open` of the same file in one process
/// creates an independent DuckDB instance that the file lock does not stop (corruption
/// hazard), so the store refuses it itself.
static OPEN_FILES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Holds a file's place in [`OPEN_FILES`] until dropped (also on a panic).
struct OpenGuard(PathBuf);

impl OpenGuard {
    fn claim(path: &Path, shown: &str) -> Result<OpenGuard, StoreError> {
        let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(d) => d.to_path_buf(),
            None => PathBuf::from("."),
        };
        let canonical = fs::canonicalize(&dir)
            .map_err(|e| StoreError::Open {
                path: shown.to_owned(),
                detail: format!("cannot resolve directory {}: {e}", dir.display()),
            })?
            .join(path.file_name().unwrap_or_default());
        let mut open = OPEN_FILES.lock().unwrap_or_else(|p| p.into_inner());
        if open.contains(&canonical) {
            return Err(StoreError::Open {
                path: shown.to_owned(),
                detail: "it is already open in this process (open each file once)".into(),
            });
        }
        open.push(canonical.clone());
        Ok(OpenGuard(canonical))
    }
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        let mut open = OPEN_FILES.lock().unwrap_or_else(|p| p.into_inner());
        open.retain(|p| p != &self.0);
    }
}

pub(crate) struct WriterState {
    conn: Connection,
    _guard: OpenGuard,
    path: String,
    known_hashes: HashSet<String>,
    duckdb_version: String,
    failed: Option<StoreError>,
    dropped: usize,
}

fn open(path: &Path) -> Result<WriterState, StoreError> {
    let shown = path.display().to_string();
    let open_err = |detail: String| StoreError::Open {
        path: shown.clone(),
        detail,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        fs::create_dir_all(dir)
            .map_err(|e| open_err(format!("cannot create directory {}: {e}", dir.display())))?;
    }
    let guard = OpenGuard::claim(path, &shown)?;
    match fs::metadata(path) {
        Ok(md) if md.is_dir() => return Err(open_err("it is a directory".into())),
        // An empty file holds nothing to lose: DuckDB initialises it like a new file.
        Ok(md) if md.len() > 0 => {
            check_header(path, &shown)?;
            inspect(path, &shown)?;
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(open_err(e.to_string())),
    }
    let cfg = config(false).map_err(|e| open_error(&shown, &e))?;
    let conn = Connection::open_with_flags(path, cfg).map_err(|e| open_error(&shown, &e))?;
    match schema::migrate(&conn, schema::MIGRATIONS, &shown) {
        Ok(_) => {}
        Err(MigrateError::Newer { file, code }) => {
            return Err(StoreError::NewerSchema {
                path: shown,
                file_version: file,
                code_version: code,
            });
        }
        Err(MigrateError::Sql(detail)) => return Err(open_err(one_line(&detail))),
    }
    let known_hashes = load_hashes(&conn).map_err(|e| open_err(one_line(&e.to_string())))?;
    let duckdb_version = conn
        .version()
        .map_err(|e| open_err(one_line(&e.to_string())))?;
    Ok(WriterState {
        conn,
        _guard: guard,
        path: shown,
        known_hashes,
        duckdb_version,
        failed: None,
        dropped: 0,
    })
}

fn load_hashes(conn: &Connection) -> duckdb::Result<HashSet<String>> {
    let mut stmt = conn.prepare("SELECT DISTINCT message_hash FROM messages")?;
    let hashes = stmt.query_map([], |r| r.get::<_, String>(0))?;
    hashes.collect()
}

/// The thread body: open, report, serve until closed or every sender is gone.
pub(crate) fn run(
    path: PathBuf,
    rx: mpsc::UnboundedReceiver<Command>,
    opened: oneshot::Sender<Result<(), StoreError>>,
) {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = opened.send(Err(StoreError::Open {
                path: path.display().to_string(),
                detail: format!("cannot start the writer's timer: {e}"),
            }));
            return;
        }
    };
    match open(&path) {
        Ok(state) => {
            if opened.send(Ok(())).is_ok() {
                state.serve(&rt, rx);
            } else {
                let _ = state.finish();
            }
        }
        Err(e) => {
            let _ = opened.send(Err(e));
        }
    }
}

impl WriterState {
    fn serve(mut self, rt: &Runtime, mut rx: mpsc::UnboundedReceiver<Command>) {
        while let Some(cmd) = rt.block_on(rx.recv()) {
            let control = match cmd {
                Command::Event(first) => {
                    let mut batch = vec![*first];
                    let mut control = None;
                    let deadline = Instant::now() + BATCH_WINDOW;
                    while batch.len() < MAX_BATCH {
                        let left = deadline.saturating_duration_since(Instant::now());
                        // The timer must be created inside the runtime: build it in the async block.
                        match rt.block_on(async { tokio::time::timeout(left, rx.recv()).await }) {
                            Ok(Some(Command::Event(ev))) => batch.push(*ev),
                            Ok(Some(other)) => {
                                control = Some(other);
                                break;
                            }
                            Ok(None) | Err(_) => break,
                        }
                    }
                    self.write(batch);
                    control
                }
                other => Some(other),
            };
            match control {
                None => {}
                Some(Command::Close(reply)) => {
                    let _ = reply.send(self.finish());
                    return;
                }
                Some(cmd) => self.answer(cmd),
            }
        }
        // Every sender is gone: commit what is left (already done) and close cleanly.
        if let Err(e) = self.finish() {
            tracing::error!("{e}");
        }
    }

    fn answer(&mut self, cmd: Command) {
        match cmd {
            Command::Flush(reply) => {
                let _ = reply.send(self.status());
            }
            Command::DoneKeys(reply) => {
                let _ = reply.send(read::done_keys(&self.conn, &self.path));
            }
            Command::Query(sql, reply) => {
                let result: Result<Table, StoreError> =
                    read::run_query(&self.conn, &sql).map_err(|detail| StoreError::Query {
                        path: self.path.clone(),
                        detail,
                    });
                let _ = reply.send(result);
            }
            Command::Event(_) | Command::Close(_) => {}
        }
    }

    fn status(&self) -> Result<(), StoreError> {
        self.failed.clone().map_or(Ok(()), Err)
    }

    fn write(&mut self, batch: Vec<Event>) {
        if self.failed.is_some() {
            self.dropped += batch.len();
            return;
        }
        let n = batch.len();
        if let Err(detail) = write_batch(
            &self.conn,
            &batch,
            &mut self.known_hashes,
            &self.duckdb_version,
        ) {
            let err = StoreError::Write {
                path: self.path.clone(),
                detail: format!(
                    "{}; the batch of {n} events was rolled back and nothing more will be written",
                    one_line(&detail)
                ),
            };
            tracing::error!("{err}");
            self.failed = Some(err);
        }
    }

    /// CHECKPOINT, close the connection (releasing the file lock), report the first error.
    fn finish(self) -> Result<(), StoreError> {
        if self.dropped > 0 {
            tracing::error!(
                file = %self.path,
                "{} events were not written because of the earlier write error",
                self.dropped
            );
        }
        let checkpoint = self.conn.execute_batch("CHECKPOINT");
        let closed = self.conn.close().map_err(|(_, e)| e);
        if let Some(e) = self.failed {
            return Err(e);
        }
        checkpoint.and(closed).map_err(|e| StoreError::Write {
            path: self.path.clone(),
            detail: format!("closing failed: {}", one_line(&e.to_string())),
        })
    }
}

/// Rows buffered per appended table during one batch.
#[derive(Default)]
struct Buffers {
    steps: Vec<Vec<Value>>,
    messages: Vec<Vec<Value>>,
    call_messages: Vec<Vec<Value>>,
    llm_calls: Vec<Vec<Value>>,
    actions: Vec<Vec<Value>>,
    verifications: Vec<Vec<Value>>,
    scores: Vec<Vec<Value>>,
    notes: Vec<Vec<Value>>,
    episodes: Vec<Vec<Value>>,
}

/// Writes one batch in one transaction; on any error rolls it back.
fn write_batch(
    conn: &Connection,
    events: &[Event],
    known: &mut HashSet<String>,
    duckdb_version: &str,
) -> Result<(), String> {
    conn.execute_batch("BEGIN TRANSACTION")
        .map_err(|e| format!("cannot begin a transaction: {e}"))?;
    let mut new_hashes = HashSet::new();
    let finals = events.iter().any(|e| matches!(e, Event::EpisodeFinal(_)));
    let result = stage(conn, events, known, &mut new_hashes, duckdb_version)
        .and_then(|buffers| append_all(conn, buffers))
        .and_then(|()| {
            if finals {
                crate::failpoint::hit("writer.before_commit");
            }
            conn.execute_batch("COMMIT")
                .map_err(|e| format!("commit failed: {e}"))
        });
    match result {
        Ok(()) => {
            known.extend(new_hashes);
            if finals {
                crate::failpoint::hit("writer.after_commit");
            }
            Ok(())
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

fn sql_err(what: &str) -> impl Fn(duckdb::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// Executes the statement rows in event order and buffers the appended ones.
fn stage(
    conn: &Connection,
    events: &[Event],
    known: &HashSet<String>,
    new_hashes: &mut HashSet<String>,
    duckdb_version: &str,
) -> Result<Buffers, String> {
    let mut b = Buffers::default();
    for ev in events {
        match ev {
            Event::RunStarted(r) => {
                let values = [
                    text(&r.run_id),
                    ts(&r.started_at),
                    json(&r.args)?,
                    text(&r.synth_version),
                    opt_text(&r.synth_revision),
                    text(&r.wasmtime_version),
                    text(duckdb_version),
                    opt_text(&r.hostname),
                    json(&r.config)?,
                ];
                conn.prepare_cached(
                    "INSERT INTO runs (run_id, started_at, args, synth_version, synth_revision, \
                     wasmtime_version, duckdb_version, hostname, config) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .and_then(|mut s| s.execute(params_from_iter(values)))
                .map_err(sql_err("inserting into runs"))?;
            }
            Event::RunFinished(r) => {
                let values = [ts(&r.finished_at), json(&r.summary)?, text(&r.run_id)];
                let n = conn
                    .prepare_cached("UPDATE runs SET finished_at = ?, summary = ? WHERE run_id = ?")
                    .and_then(|mut s| s.execute(params_from_iter(values)))
                    .map_err(sql_err("updating runs"))?;
                if n == 0 {
                    tracing::warn!(run_id = %r.run_id, "RunFinished for a run never started");
                }
            }
            Event::AttemptStarted(a) => {
                let values = [
                    text(&a.attempt_id),
                    text(&a.episode_key),
                    text(&a.run_id),
                    ts(&a.started_at),
                ];
                conn.prepare_cached(
                    "INSERT INTO attempts (attempt_id, episode_key, run_id, started_at, status) \
                     VALUES (?, ?, ?, ?, 'running')",
                )
                .and_then(|mut s| s.execute(params_from_iter(values)))
                .map_err(sql_err("inserting into attempts"))?;
            }
            Event::AttemptEnded(a) => {
                let values = [
                    ts(&a.ended_at),
                    text(a.status.as_str()),
                    opt_text(&a.termination),
                    opt_text(&a.error),
                    text(&a.attempt_id),
                ];
                let n = conn
                    .prepare_cached(
                        "UPDATE attempts SET ended_at = ?, status = ?, termination = ?, \
                         error = ? WHERE attempt_id = ?",
                    )
                    .and_then(|mut s| s.execute(params_from_iter(values)))
                    .map_err(sql_err("updating attempts"))?;
                if n == 0 {
                    tracing::warn!(attempt_id = %a.attempt_id, "AttemptEnded for an attempt never started");
                }
            }
            Event::Step(s) => b.steps.push(columns::step_values(s)),
            Event::Message(m) => {
                if !known.contains(&m.message_hash) && new_hashes.insert(m.message_hash.clone()) {
                    b.messages.push(columns::message_values(m)?);
                }
            }
            Event::CallMessages(c) => b.call_messages.extend(columns::call_message_values(c)),
            Event::LlmCall(c) => b.llm_calls.push(columns::llm_call_values(c)),
            Event::Action(a) => b.actions.push(columns::action_values(a)),
            Event::Verification(v) => b.verifications.push(columns::verification_values(v)),
            Event::Score(s) => b.scores.push(columns::score_values(s)),
            Event::Note(n) => b.notes.push(columns::note_values(n)),
            Event::EpisodeFinal(e) => {
                if !e.status.is_terminal() {
                    tracing::warn!(
                        episode_key = %e.episode_key,
                        status = %e.status,
                        "an episodes row with a non-terminal status does not finalise the episode"
                    );
                }
                // The final row ends its attempt in the same transaction: an attempt's
                // status is terminal exactly when its episodes row is committed.
                let values = [
                    ts(&e.ended_at),
                    text(e.status.as_str()),
                    opt_text(&e.termination),
                    text(&e.attempt_id),
                ];
                conn.prepare_cached(
                    "UPDATE attempts SET ended_at = ?, status = ?, termination = ?, \
                     error = NULL WHERE attempt_id = ?",
                )
                .and_then(|mut s| s.execute(params_from_iter(values)))
                .map_err(sql_err("ending the attempt of an episodes row"))?;
                b.episodes.push(columns::episode_values(e)?);
            }
        }
    }
    Ok(b)
}

/// Appends every buffered table, final rows (`episodes`) last.
fn append_all(conn: &Connection, b: Buffers) -> Result<(), String> {
    let some_appended =
        !(b.messages.is_empty() && b.steps.is_empty() && b.call_messages.is_empty());
    append(conn, "messages", columns::MESSAGE_COLUMNS, b.messages)?;
    append(conn, "steps", columns::STEP_COLUMNS, b.steps)?;
    append(
        conn,
        "llm_call_messages",
        columns::CALL_MESSAGE_COLUMNS,
        b.call_messages,
    )?;
    append(conn, "llm_calls", columns::LLM_CALL_COLUMNS, b.llm_calls)?;
    // A crash here leaves a step's rows half appended in an open transaction.
    if some_appended {
        crate::failpoint::hit("writer.mid_batch");
    }
    append(conn, "actions", columns::ACTION_COLUMNS, b.actions)?;
    append(
        conn,
        "verifications",
        columns::VERIFICATION_COLUMNS,
        b.verifications,
    )?;
    append(conn, "scores", columns::SCORE_COLUMNS, b.scores)?;
    append(conn, "notes", columns::NOTE_COLUMNS, b.notes)?;
    append(conn, "episodes", columns::EPISODE_COLUMNS, b.episodes)
}

fn append(
    conn: &Connection,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(), String> {
    if rows.is_empty() {
        return Ok(());
    }
    let n = rows.len();
    let mut app = conn
        .appender_with_columns(table, columns)
        .map_err(|e| format!("cannot create the appender of {table}: {e}"))?;
    for row in rows {
        app.append_row(appender_params_from_iter(row))
            .map_err(|e| format!("appending to {table} failed: {e}"))?;
    }
    // Explicit flush: errors of the implicit flush on drop would be discarded.
    app.flush()
        .map_err(|e| format!("flushing {n} rows into {table} failed: {e}"))
}
