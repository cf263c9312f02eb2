//! Secrets: real episodes run with a distinctive fake key in OPENAI_API_KEY against the fault
//! server, which answers some requests with bodies echoing the key the way OpenAI's 401 does
//! (`Incorrect API key provided: sk-abcdefgh***wxyz`) and also the whole Authorization
//! header, and answers others with completions, so some episodes finish and some fail. Then
//! every stored value of the run file (every column of every table and view, cast to text;
//! BLOBs as bytes), the raw file bytes, the debug log and stdout are searched for the key,
//! its OpenAI-style fragments (first 8, last 4 characters), every 8-character piece of it
//! and the Authorization header value: zero hits. An episode command dumps the container's
//! environment (its shell's and PID 1's): the key is not there either.
//!
//! There is no export command yet, so there are no exported bytes to scan.

use crate::common::*;
use crate::fault_server::{FaultServer, Plan, Step};

/// `sk-synthSECRET-` and 40 random letters that are no hex digits (so no hash or UUID in
/// the file can hold a piece of it by chance), ending in a mixed-case tail.
fn distinctive_key() -> String {
    const LETTERS: &[u8] = b"ghijkmnopqrstuvwxyzGHJKLMNPQRSTUVWXYZ";
    let mut rng = fastrand::Rng::new();
    let body: String = (0..36)
        .map(|_| LETTERS[rng.usize(..LETTERS.len())] as char)
        .collect();
    let tail: String = ["QXZJ", "qxzj", "QXZJ", "qxzj"]
        .iter()
        .map(|set| set.as_bytes()[rng.usize(..4)] as char)
        .collect();
    format!("sk-synthSECRET-{body}{tail}")
}

/// What must never be found, with a name for the report.
fn needles(key: &str) -> Vec<(String, Vec<u8>)> {
    let mut n = vec![
        ("key".to_string(), key.as_bytes().to_vec()),
        (
            "authorization header".to_string(),
            format!("Bearer {key}").into_bytes(),
        ),
        ("first 8".to_string(), key.as_bytes()[..8].to_vec()),
        (
            "last 4".to_string(),
            key.as_bytes()[key.len() - 4..].to_vec(),
        ),
    ];
    // Every 8-byte piece after the common `sk-synth` prefix (already a needle).
    for (i, w) in key.as_bytes().windows(8).enumerate().skip(1) {
        n.push((format!("piece@{i}"), w.to_vec()));
    }
    n
}

fn find(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[derive(Default, Debug)]
struct Scan {
    relations: usize,
    columns: usize,
    values: usize,
    bytes: usize,
    hits: Vec<String>,
}

impl Scan {
    fn check(&mut self, place: &str, hay: &[u8], needles: &[(String, Vec<u8>)]) {
        self.values += 1;
        self.bytes += hay.len();
        for (name, n) in needles {
            if find(hay, n) {
                let at = hay.windows(n.len()).position(|w| w == n).unwrap_or(0);
                let from = at.saturating_sub(60);
                let ctx = String::from_utf8_lossy(&hay[from..(at + n.len() + 60).min(hay.len())]);
                self.hits.push(format!("{place}: {name}: …{ctx}…"));
            }
        }
    }
}

/// Every column of every table and view in `main`, each value as text (BLOBs as bytes).
fn scan_database(conn: &duckdb::Connection, needles: &[(String, Vec<u8>)], scan: &mut Scan) {
    let mut stmt = conn
        .prepare(
            "SELECT table_name, column_name, data_type FROM information_schema.columns
             WHERE table_schema = 'main' ORDER BY table_name, ordinal_position",
        )
        .expect("columns");
    let columns: Vec<(String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("columns")
        .map(|r| r.expect("row"))
        .collect();
    let mut relations: Vec<&str> = columns.iter().map(|c| c.0.as_str()).collect();
    relations.dedup();
    scan.relations = relations.len();
    for (table, column, ty) in &columns {
        scan.columns += 1;
        let place = format!("{table}.{column}");
        let sql = if ty == "BLOB" {
            format!("SELECT \"{column}\" FROM \"{table}\" WHERE \"{column}\" IS NOT NULL")
        } else {
            format!("SELECT \"{column}\"::VARCHAR FROM \"{table}\" WHERE \"{column}\" IS NOT NULL")
        };
        let mut stmt = conn.prepare(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let mut rows = stmt.query([]).unwrap_or_else(|e| panic!("{sql}: {e}"));
        while let Some(row) = rows.next().expect("row") {
            let value: Vec<u8> = if ty == "BLOB" {
                row.get::<_, Vec<u8>>(0).expect("blob")
            } else {
                row.get::<_, String>(0).expect("text").into_bytes()
            };
            scan.check(&place, &value, needles);
        }
    }
}

#[test]
fn no_key_or_fragment_reaches_a_row_a_log_or_a_container() {
    if !docker_available() {
        return;
    }
    let key = distinctive_key();
    let env_dump = "env; echo ---; cat /proc/1/environ | tr '\\0' '\\n'; echo; echo ENV-DUMP-DONE";
    let server = FaultServer::start(vec![
        (
            // Finishes: an echo in a retried 500, an echo in a completion, the dump, submit.
            "ok",
            Plan {
                steps: vec![
                    Step::KeyEcho500,
                    Step::EchoKeyText,
                    Step::bash(env_dump),
                    Step::submit(),
                ],
                then: Step::submit(),
            },
        ),
        (
            // Fails: every request is refused with the echo.
            "denied",
            Plan {
                steps: vec![],
                then: Step::KeyEcho401,
            },
        ),
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("llm.toml");
    std::fs::write(
        &config,
        "[retry]\nbase_delay_ms = 50\nmax_delay_secs = 0.2\n",
    )
    .expect("write");
    let db = dir.path().join("secrets.duckdb");
    let args = run_args(
        &plugin("mini.wasm"),
        &db,
        "openai/ok",
        &[
            "--task",
            "inventory-rounding",
            "--model",
            "openai/denied",
            "--concurrency",
            "2",
            "--config",
            config.to_str().unwrap(),
        ],
    );
    let out = synth_run(
        &args,
        &[
            ("OPENAI_API_KEY", &key),
            ("OPENAI_BASE_URL", &server.base_url),
            ("SYNTH_LOG", "debug"),
            ("RUST_LOG", "debug"),
        ],
    );
    let log = dir.path().join("synth.log");
    std::fs::write(&log, &out.stderr).expect("write log");
    assert!(db.exists(), "{}", text(&out));

    // The server did get the key (so it had something to echo), in every request.
    let seen = server.seen();
    assert!(seen.len() >= 5, "{seen:?}");
    let header = format!("Bearer {key}");
    assert!(
        seen.iter()
            .all(|s| s.authorization.as_deref() == Some(header.as_str()))
    );

    let conn = open_db(&db);
    // Some episodes finished, some failed on the 401.
    assert_eq!(
        strings(&conn, "SELECT model || ' ' || status FROM v_episodes"),
        vec!["openai/ok completed".to_string()]
    );
    assert!(
        count(
            &conn,
            "SELECT count(*) FROM attempts WHERE status = 'infra_error' AND error LIKE '%HTTP 401%'"
        ) >= 1
    );
    assert!(count(&conn, "SELECT count(*) FROM llm_calls WHERE status = 401") >= 1);
    assert!(count(&conn, "SELECT count(*) FROM llm_calls WHERE status = 500") >= 1);
    // The echoes were stored, redacted.
    assert!(
        count(
            &conn,
            "SELECT count(*) FROM llm_calls WHERE status = 401 AND response_body LIKE '%Incorrect API key provided: [REDACTED]%'"
        ) >= 1
    );
    // The container's environment was dumped (the command ran) and holds no key.
    let dump = strings(
        &conn,
        "SELECT output FROM v_actions WHERE op = 'exec' AND target LIKE 'env;%'",
    );
    assert_eq!(dump.len(), 1, "{dump:?}");
    assert!(
        dump[0].contains("ENV-DUMP-DONE") && dump[0].contains("PATH="),
        "{}",
        dump[0]
    );
    assert!(!dump[0].contains("OPENAI"), "{}", dump[0]);

    let needles = needles(&key);
    let mut scan = Scan::default();
    scan_database(&conn, &needles, &mut scan);
    drop(conn);
    // The file's own bytes (strings up to 4 KiB are stored uncompressed) and any WAL.
    for path in [db.clone(), db.with_extension("duckdb.wal")] {
        if let Ok(bytes) = std::fs::read(&path) {
            scan.check(&path.display().to_string(), &bytes, &needles);
        }
    }
    scan.check("synth stderr (debug log)", &out.stderr, &needles);
    scan.check("synth stdout", &out.stdout, &needles);
    eprintln!(
        "secrets scan: {} relations, {} columns, {} values + file/log/stdout, {} bytes, {} needles, {} hits; log {} bytes",
        scan.relations,
        scan.columns,
        scan.values,
        scan.bytes,
        needles.len(),
        scan.hits.len(),
        out.stderr.len()
    );
    assert!(
        scan.hits.is_empty(),
        "the key leaked:\n{}",
        scan.hits.join("\n")
    );
    assert!(scan.values > 100, "too little was scanned: {scan:?}");
    assert!(
        leftover_containers(&open_db(&db)).is_empty(),
        "containers left behind"
    );
}
