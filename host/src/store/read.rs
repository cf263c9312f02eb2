//! Read paths: the resume keys, queries rendered as aligned text tables, and `synth query`.
//!
//! Owns: turning DuckDB values into display text and the table layout (header, NULL shown as
//! NULL, long values cut at [`MAX_CELL`] characters with `…`, control characters escaped so
//! a row stays one line). Must never: open a file for writing (`query_to_table` opens it
//! READ_ONLY; DuckDB refuses while a writer holds the file and the error says so).

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveTime};
use duckdb::Connection;
use duckdb::types::Value;

use super::schema::TERMINAL_STATUSES_SQL;
use super::writer::{check_header, config, open_error};
use super::{StoreError, one_line};

/// Longest cell shown, in characters.
pub const MAX_CELL: usize = 80;

/// A query result as text: `rows[i][j]` is None for NULL.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
    /// Per column: numbers are right-aligned.
    pub numeric: Vec<bool>,
}

impl Table {
    /// Renders an aligned text table followed by a row count line.
    pub fn render(&self) -> String {
        let header: Vec<String> = self.columns.iter().map(|c| fit(c)).collect();
        let body: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|c| c.as_deref().map_or_else(|| "NULL".to_owned(), fit))
                    .collect()
            })
            .collect();
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for row in &body {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let line = |out: &mut String, cells: &[String], align_numbers: bool| {
            let parts: Vec<String> = cells
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (cell, &w))| {
                    let pad = w.saturating_sub(cell.chars().count());
                    if align_numbers && self.numeric.get(i).copied().unwrap_or(false) {
                        format!("{}{cell}", " ".repeat(pad))
                    } else {
                        format!("{cell}{}", " ".repeat(pad))
                    }
                })
                .collect();
            out.push_str(parts.join(" | ").trim_end());
            out.push('\n');
        };
        line(&mut out, &header, false);
        let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
        out.push_str(&rule.join("-+-"));
        out.push('\n');
        for row in &body {
            line(&mut out, row, true);
        }
        let n = self.rows.len();
        let _ = writeln!(out, "({n} row{})", if n == 1 { "" } else { "s" });
        out
    }
}

/// One display line: control characters escaped, cut at [`MAX_CELL`] characters.
fn fit(s: &str) -> String {
    let mut out = String::new();
    let mut count = 0;
    for ch in s.chars() {
        let piece: String = match ch {
            '\n' => "\\n".into(),
            '\r' => "\\r".into(),
            '\t' => "\\t".into(),
            c if c.is_control() => c.escape_default().collect(),
            c => c.to_string(),
        };
        for p in piece.chars() {
            if count == MAX_CELL - 1 {
                out.push('…');
                return out;
            }
            out.push(p);
            count += 1;
        }
    }
    out
}

/// Display text of one value; None for NULL.
pub(crate) fn show(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => return None,
        Value::Boolean(b) => b.to_string(),
        Value::TinyInt(n) => n.to_string(),
        Value::SmallInt(n) => n.to_string(),
        Value::Int(n) => n.to_string(),
        Value::BigInt(n) => n.to_string(),
        Value::HugeInt(n) => n.to_string(),
        Value::UHugeInt(n) => n.to_string(),
        Value::UTinyInt(n) => n.to_string(),
        Value::USmallInt(n) => n.to_string(),
        Value::UInt(n) => n.to_string(),
        Value::UBigInt(n) => n.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Double(f) => f.to_string(),
        Value::Decimal(d) => d.to_string(),
        Value::Timestamp(unit, n) => match DateTime::from_timestamp_micros(unit.to_micros(*n)) {
            Some(t) => t.naive_utc().format("%Y-%m-%d %H:%M:%S%.f").to_string(),
            None => format!("{n} ({unit:?} since 1970)"),
        },
        Value::Text(s) | Value::Enum(s) => s.clone(),
        Value::Blob(b) | Value::Geometry(b) => b
            .iter()
            .map(|&c| {
                if c.is_ascii_graphic() || c == b' ' {
                    char::from(c).to_string()
                } else {
                    format!("\\x{c:02X}")
                }
            })
            .collect(),
        Value::Date32(days) => NaiveDate::from_ymd_opt(1970, 1, 1)
            .and_then(|e| e.checked_add_signed(chrono::Duration::days(i64::from(*days))))
            .map_or_else(|| format!("{days} days since 1970"), |d| d.to_string()),
        Value::Time64(unit, n) => {
            let micros = unit.to_micros(*n);
            u32::try_from(micros.div_euclid(1_000_000))
                .ok()
                .and_then(|secs| {
                    let nanos = u32::try_from(micros.rem_euclid(1_000_000) * 1000).ok()?;
                    NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos)
                })
                .map_or_else(|| format!("{micros} µs"), |t| t.to_string())
        }
        Value::Interval {
            months,
            days,
            nanos,
        } => format!("{months} months {days} days {} µs", nanos / 1000),
        Value::List(items) | Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(show_nested).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Struct(map) => {
            let parts: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}: {}", show_nested(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Value::Map(map) => {
            let parts: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}={}", show_nested(k), show_nested(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Value::Union(inner) => return show(inner),
        other => format!("{other:?}"),
    })
}

fn show_nested(v: &Value) -> String {
    show(v).unwrap_or_else(|| "NULL".to_owned())
}

fn is_numeric(v: &Value) -> bool {
    matches!(
        v,
        Value::TinyInt(_)
            | Value::SmallInt(_)
            | Value::Int(_)
            | Value::BigInt(_)
            | Value::HugeInt(_)
            | Value::UHugeInt(_)
            | Value::UTinyInt(_)
            | Value::USmallInt(_)
            | Value::UInt(_)
            | Value::UBigInt(_)
            | Value::Float(_)
            | Value::Double(_)
            | Value::Decimal(_)
    )
}

/// Runs one SQL statement and collects its result as text.
pub(crate) fn run_query(conn: &Connection, sql: &str) -> Result<Table, String> {
    let err = |e: duckdb::Error| one_line(&e.to_string());
    let mut stmt = conn.prepare(sql).map_err(err)?;
    let mut rows = stmt.query([]).map_err(err)?;
    let columns = rows.as_ref().map(|s| s.column_names()).unwrap_or_default();
    let mut table = Table {
        numeric: vec![false; columns.len()],
        columns,
        rows: Vec::new(),
    };
    let mut seen_value = vec![false; table.columns.len()];
    while let Some(row) = rows.next().map_err(err)? {
        let mut cells = Vec::with_capacity(table.columns.len());
        for (i, (seen, numeric)) in seen_value.iter_mut().zip(&mut table.numeric).enumerate() {
            let v: Value = row.get(i).map_err(err)?;
            if !*seen && v != Value::Null {
                *seen = true;
                *numeric = is_numeric(&v);
            }
            cells.push(show(&v));
        }
        table.rows.push(cells);
    }
    Ok(table)
}

pub(crate) fn done_keys(conn: &Connection, path: &str) -> Result<HashSet<String>, StoreError> {
    let fail = |e: duckdb::Error| StoreError::Query {
        path: path.to_owned(),
        detail: one_line(&e.to_string()),
    };
    let sql = format!(
        "SELECT DISTINCT episode_key FROM episodes WHERE status IN {TERMINAL_STATUSES_SQL}"
    );
    let mut stmt = conn.prepare(&sql).map_err(fail)?;
    let keys = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(fail)?;
    keys.collect::<Result<HashSet<_>, _>>().map_err(fail)
}

/// Opens an existing run file read-only (after checking it is a DuckDB file). `shown` names
/// it in errors.
pub(crate) fn open_read_only(path: &Path, shown: &str) -> Result<Connection, StoreError> {
    match std::fs::metadata(path) {
        Ok(md) if md.is_file() => {}
        Ok(_) => {
            return Err(StoreError::Open {
                path: shown.to_owned(),
                detail: "not a regular file".into(),
            });
        }
        Err(e) => {
            return Err(StoreError::Open {
                path: shown.to_owned(),
                detail: e.to_string(),
            });
        }
    }
    check_header(path, shown)?;
    let cfg = config(true).map_err(|e| open_error(shown, &e))?;
    Connection::open_with_flags(path, cfg).map_err(|e| open_error(shown, &e))
}

/// `synth query FILE "SQL"`: opens FILE read-only, runs SQL, returns the rendered table.
/// A file held open by a writer (a running synth) fails with [`StoreError::Locked`].
pub fn query_to_table(path: &Path, sql: &str) -> Result<String, StoreError> {
    let shown = path.display().to_string();
    let conn = open_read_only(path, &shown)?;
    let table = run_query(&conn, sql).map_err(|detail| StoreError::Query {
        path: shown.clone(),
        detail,
    })?;
    Ok(table.render())
}

/// The name API.md uses for [`query_to_table`].
pub fn query_table(path: &Path, sql: &str) -> Result<String, StoreError> {
    query_to_table(path, sql)
}
