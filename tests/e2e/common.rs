//! Shared helpers of the end-to-end tests: locating the built binary and plugins, the
//! Docker precondition, running `synth`, and reading the run file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The folder the plugin components were built into (scripts/build-plugins.sh).
pub fn plugin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SYNTH_PLUGIN_DIR") {
        return PathBuf::from(dir);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    target.join("plugins")
}

pub fn plugin(name: &str) -> PathBuf {
    let p = plugin_dir().join(name);
    assert!(
        p.exists(),
        "{} is missing: build the plugins first (bash scripts/build-plugins.sh)",
        p.display()
    );
    p
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent")
        .to_path_buf()
}

/// The templates the end-to-end tests run when they name none (4 instances): a test's
/// figures and instance counts stay the same as templates/ grows.
pub const CORE_TASKS: [&str; 3] = ["inventory-rounding", "csv-report", "service-config"];

pub fn templates() -> PathBuf {
    repo_root().join("templates")
}

pub fn synth_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_synth"))
}

/// True when Docker is usable. Under CI a missing engine fails the test loudly; elsewhere
/// the test is skipped with a printed reason.
pub fn docker_available() -> bool {
    let ok = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    let image = ok
        && Command::new("docker")
            .args(["image", "inspect", "synth-base:bookworm"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
    if ok && image {
        return true;
    }
    let why = if ok {
        "the base image synth-base:bookworm is missing (bash scripts/base-image.sh)"
    } else {
        "no Docker engine is reachable"
    };
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{why}: end-to-end tests need it under CI");
    }
    eprintln!("skipping: {why}");
    false
}

/// The `synth` command with `args` and extra environment (no provider keys inherited), for
/// tests that spawn it themselves.
pub fn synth_command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(synth_bin());
    cmd.args(args)
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs `synth` with `args` (and extra environment), returning its output.
pub fn synth(args: &[&str], env: &[(&str, &str)]) -> Output {
    synth_command(args, env).output().expect("synth runs")
}

pub fn text(o: &Output) -> String {
    format!(
        "status: {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs `synth run` with the mini scaffold and the tests-pass scorer; panics on failure.
pub fn run_mini(db: &Path, model: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
    run_scaffold(&plugin("mini.wasm"), db, model, extra, env)
}

/// The arguments of `synth run` with `scaffold`, the tests-pass scorer, templates/, `model`
/// and `db`, then `extra`.
pub fn run_args(scaffold: &Path, db: &Path, model: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "run",
        "--scaffold",
        scaffold.to_str().unwrap(),
        "--scorer",
        plugin("tests-pass.wasm").to_str().unwrap(),
        "--tasks",
        templates().to_str().unwrap(),
        "--model",
        model,
        "--db",
        db.to_str().unwrap(),
        "--no-progress",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // A test that names no task runs the core set, so adding templates never changes what
    // (or how long) the end-to-end tests run.
    if !extra.contains(&"--task") {
        for task in CORE_TASKS {
            args.extend(["--task".to_string(), task.to_string()]);
        }
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Runs `synth run` with `args` (see [`run_args`]), whatever its exit status.
pub fn synth_run(args: &[String], env: &[(&str, &str)]) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    synth(&args, env)
}

/// Runs `synth run` with `scaffold` and the tests-pass scorer over templates/; panics on
/// failure.
pub fn run_scaffold(
    scaffold: &Path,
    db: &Path,
    model: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Output {
    let out = synth_run(&run_args(scaffold, db, model, extra), env);
    assert!(out.status.success(), "synth run failed:\n{}", text(&out));
    out
}

/// Opens a finished run file read-only.
pub fn open_db(path: &Path) -> duckdb::Connection {
    let config = duckdb::Config::default()
        .access_mode(duckdb::AccessMode::ReadOnly)
        .expect("read-only config");
    duckdb::Connection::open_with_flags(path, config).expect("the run file opens")
}

/// All rows of a one-column query, as strings.
pub fn strings(conn: &duckdb::Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let rows = stmt
        .query_map([], |r| r.get::<_, Option<String>>(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.map(|r| r.expect("row").unwrap_or_else(|| "NULL".into()))
        .collect()
}

pub fn count(conn: &duckdb::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get::<_, i64>(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Containers left behind by the run recorded in `db` (there must be none).
pub fn leftover_containers(conn: &duckdb::Connection) -> Vec<String> {
    let mut left = Vec::new();
    for run_id in strings(conn, "SELECT run_id FROM runs") {
        let out = Command::new("docker")
            .args([
                "ps",
                "-aq",
                "--filter",
                &format!("label=synth.run={run_id}"),
            ])
            .output()
            .expect("docker ps");
        left.extend(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_string),
        );
    }
    left
}

/// The task instances of a run (from its run file).
pub fn instance_ids(conn: &duckdb::Connection) -> Vec<String> {
    strings(conn, "SELECT DISTINCT instance_id FROM episodes ORDER BY 1")
}
