//! The run file: one DuckDB database per run, written by a single writer thread.
//!
//! Owns: opening (or creating) the file exactly once per process, its schema and forward
//! migrations ([`schema`]), the writer thread that batches [`Event`]s into appender batches
//! and commits them ([`writer`]), and the read paths (resume keys, `synth query`, [`read`]).
//! The DuckDB `Connection` lives only on the writer thread: every read the process needs goes
//! through that thread too, so no tokio thread ever blocks on DuckDB and no second instance
//! of the file ever exists in this process.
//!
//! Must never: open a file a second time while it is open, modify a file it refuses (not a
//! DuckDB file, a foreign DuckDB file, a newer schema), drop a write error silently, or
//! block in [`Writer::send`].
//!
//! Finalisation: an attempt is finalised when its `episodes` row (sent last, as
//! [`Event::EpisodeFinal`], with a terminal [`Status`]) is committed. Events travel in channel
//! order and each batch commits in one transaction, so that row always commits in the same
//! or a later transaction than every other row of its attempt. The same transaction sets the
//! attempt's terminal status in `attempts`, so a crash (SIGKILL, power loss) at any moment
//! leaves each attempt either finalised and complete, or unfinalised (status `running`, or
//! `infra_error` / `cancelled`) and retried by the next run; never half of each.

mod columns;
mod read;
mod replay;
mod rows;
mod schema;
mod writer;

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{mpsc, oneshot};

pub use read::{Table, query_table, query_to_table};
pub use replay::{StoredEpisode, StoredReply, stored_replies};
pub use rows::{
    ActionRow, AttemptEnd, AttemptRow, CallMessagesRow, EpisodeRow, Event, LlmCallRow, MessageRow,
    NoteRow, RunFinish, RunRow, ScoreRow, Status, StepRow, VerificationRow, escape_output,
};
pub use schema::SCHEMA_VERSION;

/// The storage format new files are created with (DuckDB's `STORAGE_VERSION` /
/// `storage_compatibility_version`): readable by DuckDB 1.2.0 and newer, and the first
/// format that compresses long strings (request/response bodies, outputs) with ZSTD.
pub const STORAGE_VERSION: &str = "v1.2.0";

/// The oldest DuckDB release that opens the files this code writes.
pub const OLDEST_READER: &str = "1.2.0";

/// Errors of the store. Every message is one line and names the file.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: not a DuckDB database file; refusing to use it (the file was left untouched)")]
    NotDuckDb { path: String },
    #[error(
        "{path}: a DuckDB database that is not a synth run file (it has tables but no meta \
         table); refusing to use it (the file was left untouched)"
    )]
    NotSynth { path: String },
    #[error(
        "{path}: schema version {file_version} is newer than this synth's schema version \
         {code_version}; use a newer synth (the file was left untouched)"
    )]
    NewerSchema {
        path: String,
        file_version: i32,
        code_version: i32,
    },
    #[error(
        "{path} is locked by another process (a synth run or another DuckDB client holds it \
         open for writing; DuckDB allows no reader until it closes the file): {detail}"
    )]
    Locked { path: String, detail: String },
    #[error("cannot open {path}: {detail}")]
    Open { path: String, detail: String },
    #[error("writing {path} failed: {detail}")]
    Write { path: String, detail: String },
    #[error("query on {path} failed: {detail}")]
    Query { path: String, detail: String },
    #[error("the store writer of {path} is gone (closed or crashed)")]
    Closed { path: String },
}

/// Collapses DuckDB's multi-line messages into one line.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What travels to the writer thread.
pub(crate) enum Command {
    Event(Box<Event>),
    Flush(oneshot::Sender<Result<(), StoreError>>),
    DoneKeys(oneshot::Sender<Result<HashSet<String>, StoreError>>),
    Query(String, oneshot::Sender<Result<Table, StoreError>>),
    Close(oneshot::Sender<Result<(), StoreError>>),
}

struct Shared {
    path: String,
    warned_gone: AtomicBool,
}

/// The open run file. Dropping it without [`Store::close`] still lets the writer drain and
/// checkpoint once every [`Writer`] is dropped, but only `close` waits for that.
pub struct Store {
    tx: mpsc::UnboundedSender<Command>,
    thread: Option<std::thread::JoinHandle<()>>,
    shared: Arc<Shared>,
    path: PathBuf,
}

/// The sending side of the writer. Cheap to clone; `send` never blocks.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::UnboundedSender<Command>,
    shared: Arc<Shared>,
}

impl Store {
    /// Opens or creates the run file (storage version [`STORAGE_VERSION`] on create), migrates
    /// its schema forward and starts the writer thread. Refuses, with one line naming the file
    /// and leaving it untouched: a file that is not DuckDB, a DuckDB file that is not a synth
    /// run file, and a schema version newer than [`SCHEMA_VERSION`]. Call it once per file
    /// per process.
    pub async fn open(path: &Path) -> Result<(Store, Writer), StoreError> {
        let shared = Arc::new(Shared {
            path: path.display().to_string(),
            warned_gone: AtomicBool::new(false),
        });
        let (tx, rx) = mpsc::unbounded_channel();
        let (opened_tx, opened_rx) = oneshot::channel();
        let file = path.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("synth-store".into())
            .spawn(move || writer::run(file, rx, opened_tx))
            .map_err(|e| StoreError::Open {
                path: shared.path.clone(),
                detail: format!("cannot start the writer thread: {e}"),
            })?;
        let opened = opened_rx.await.unwrap_or_else(|_| {
            Err(StoreError::Closed {
                path: shared.path.clone(),
            })
        });
        if let Err(e) = opened {
            // The thread returns right after reporting; join it off the runtime threads.
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
            return Err(e);
        }
        let writer = Writer {
            tx: tx.clone(),
            shared: shared.clone(),
        };
        let store = Store {
            tx,
            thread: Some(thread),
            shared,
            path: path.to_path_buf(),
        };
        Ok((store, writer))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Another handle to the writer.
    pub fn writer(&self) -> Writer {
        Writer {
            tx: self.tx.clone(),
            shared: self.shared.clone(),
        }
    }

    /// Episode keys already done in this file: those with an `episodes` row whose status is
    /// terminal (completed, truncated, plugin_fault). Sees every event sent before the call.
    pub async fn done_keys(&self) -> Result<HashSet<String>, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.request(Command::DoneKeys(reply), rx).await?
    }

    /// Runs SQL on the open file through the writer thread (after everything sent before).
    pub async fn query(&self, sql: &str) -> Result<Table, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.request(Command::Query(sql.to_owned(), reply), rx)
            .await?
    }

    /// Commits everything sent so far, runs CHECKPOINT (no `.wal` is left behind), closes the
    /// file and joins the writer thread. Returns the writer's first error, if any.
    pub async fn close(mut self) -> Result<(), StoreError> {
        let (reply, rx) = oneshot::channel();
        let result = self.request(Command::Close(reply), rx).await;
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
        result?
    }

    async fn request<T>(&self, cmd: Command, rx: oneshot::Receiver<T>) -> Result<T, StoreError> {
        let gone = || StoreError::Closed {
            path: self.shared.path.clone(),
        };
        self.tx.send(cmd).map_err(|_| gone())?;
        rx.await.map_err(|_| gone())
    }
}

impl Writer {
    /// Queues an event. Never blocks. If the writer is gone the event is lost: that is logged
    /// (once), and `flush`/`close` report the cause.
    pub fn send(&self, event: Event) {
        if self.tx.send(Command::Event(Box::new(event))).is_err()
            && !self.shared.warned_gone.swap(true, Ordering::Relaxed)
        {
            tracing::error!(
                file = %self.shared.path,
                "the store writer is gone; events sent from now on are not recorded"
            );
        }
    }

    /// Returns once everything sent before this call is committed, or with the writer's first
    /// error (after which the writer records nothing more).
    pub async fn flush(&self) -> Result<(), StoreError> {
        let (reply, rx) = oneshot::channel();
        let gone = || StoreError::Closed {
            path: self.shared.path.clone(),
        };
        self.tx.send(Command::Flush(reply)).map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }
}
