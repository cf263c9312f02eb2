//! Kill and resume: `synth run` is killed with SIGKILL at every named failpoint (see
//! `synth::failpoint::NAMES`) and at random moments; re-running the same command must finish
//! the run with exactly the planned episodes (the key set of a clean reference run), none
//! lost, none duplicated, and no half-written episode counted as done. `synth gc` (and the
//! next run) must leave none of the killed run's containers or volumes behind.
//!
//! Submodules: Ctrl-C ([`interrupt`]) and infrastructure faults ([`infra`]: a container that
//! dies mid-episode, the Docker engine unreachable at start).

mod infra;
mod interrupt;

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::common::*;

const TERMINAL: &str = "('completed', 'truncated', 'plugin_fault')";

/// The workload every cycle runs: mini + oracle on the csv-report template (two instances),
/// two samples each, two at a time: four episodes of two steps each.
pub struct Workload {
    _dir: tempfile::TempDir,
    pub db: PathBuf,
    args: Vec<String>,
}

impl Workload {
    pub fn new(name: &str, task: &str, model: &str, samples: u32) -> Workload {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join(format!("{name}.duckdb"));
        let args = [
            "run",
            "--scaffold",
            plugin("mini.wasm").to_str().expect("utf-8 path"),
            "--scorer",
            plugin("tests-pass.wasm").to_str().expect("utf-8 path"),
            "--tasks",
            templates().to_str().expect("utf-8 path"),
            "--task",
            task,
            "--model",
            model,
            "--samples",
            &samples.to_string(),
            "--concurrency",
            "2",
            "--db",
            db.to_str().expect("utf-8 path"),
            "--no-progress",
        ]
        .map(String::from)
        .to_vec();
        Workload {
            _dir: dir,
            db,
            args,
        }
    }

    fn standard(name: &str) -> Workload {
        Workload::new(name, "csv-report", "oracle", 2)
    }

    /// The run command, output piped.
    pub fn command(&self, env: &[(&str, &str)]) -> Command {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let mut cmd = synth_command(&args, env);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs to the end; panics unless it succeeds.
    pub fn run_ok(&self, reaper: &mut Reaper) -> Output {
        let child = self.command(&[]).spawn().expect("synth starts");
        reaper.watch(child.id());
        let out = child.wait_with_output().expect("synth ends");
        assert!(out.status.success(), "synth run failed:\n{}", text(&out));
        out
    }
}

/// Removes, when dropped (also on a failed assertion), every container still labelled with
/// the owner pid of a `synth` process this test started.
#[derive(Default)]
pub struct Reaper(Vec<u32>);

impl Reaper {
    pub fn watch(&mut self, pid: u32) {
        self.0.push(pid);
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        for pid in &self.0 {
            let ids = containers_of_pid(*pid);
            if !ids.is_empty() {
                let _ = Command::new("docker")
                    .args(["rm", "-f", "-v"])
                    .args(&ids)
                    .output();
            }
        }
    }
}

/// Containers (running or not) whose owner label names `pid`.
pub fn containers_of_pid(pid: u32) -> Vec<String> {
    docker_lines(&[
        "ps",
        "-aq",
        "--no-trunc",
        "--filter",
        &format!("label=synth.owner.pid={pid}"),
    ])
}

pub fn docker_lines(args: &[&str]) -> Vec<String> {
    let out = Command::new("docker").args(args).output().expect("docker");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// Named volumes mounted into `containers`. A container may vanish meanwhile: a removal the
/// killed process had asked for still completes in the engine.
fn volumes_of(containers: &[String]) -> Vec<String> {
    let mut volumes = Vec::new();
    for id in containers {
        let out = Command::new("docker")
            .args([
                "inspect",
                "--format",
                "{{range .Mounts}}{{if eq .Type \"volume\"}}{{.Name}} {{end}}{{end}}",
                id,
            ])
            .output()
            .expect("docker");
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() && stderr.contains("No such object") {
            continue;
        }
        assert!(out.status.success(), "docker inspect {id}: {stderr}");
        volumes.extend(
            String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .map(str::to_string),
        );
    }
    volumes
}

/// Runs `synth gc` and checks that none of `containers` is left.
fn gc_leaves_none_of(name: &str, containers: &[String]) {
    let out = synth(&["gc"], &[]);
    assert!(out.status.success(), "synth gc failed:\n{}", text(&out));
    let still: Vec<_> = containers
        .iter()
        .filter(|c| exists("container", c))
        .collect();
    assert!(
        still.is_empty(),
        "{name}: containers left after synth gc: {still:?}"
    );
}

fn exists(kind: &str, id: &str) -> bool {
    Command::new("docker")
        .args([kind, "inspect", id])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// One cell of a one-column query result per row.
fn pairs(conn: &duckdb::Connection, sql: &str) -> BTreeMap<String, String> {
    let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.map(|r| r.expect("row")).collect()
}

/// The state of a run file, checked for consistency: finalised episode key -> attempt id.
pub struct Snapshot {
    pub finalised: BTreeMap<String, String>,
    /// Finalised rows of the `episodes` table, duplicates included.
    pub final_rows: i64,
}

/// Opens the file read-only and checks what must hold after any crash: no episode key
/// finalised twice; an attempt's status is terminal exactly when its `episodes` row exists;
/// every finalised attempt is complete (verification, reward score, one agent call per step,
/// its actions, the messages its calls saw).
pub fn check_consistent(db: &Path) -> Snapshot {
    if !db.exists() {
        return Snapshot {
            finalised: BTreeMap::new(),
            final_rows: 0,
        };
    }
    let conn = open_db(db);
    let finals = format!("SELECT * FROM episodes WHERE status IN {TERMINAL}");
    let final_rows = count(&conn, &format!("SELECT count(*) FROM ({finals})"));
    let distinct = count(
        &conn,
        &format!("SELECT count(DISTINCT episode_key) FROM ({finals})"),
    );
    assert_eq!(final_rows, distinct, "an episode was finalised twice");
    let mismatched = strings(
        &conn,
        &format!(
            "SELECT a.attempt_id || ' ' || a.status FROM attempts a
             WHERE (a.status IN {TERMINAL})
                <> EXISTS (SELECT 1 FROM episodes e WHERE e.attempt_id = a.attempt_id)"
        ),
    );
    assert!(
        mismatched.is_empty(),
        "attempt status and final row disagree: {mismatched:?}"
    );
    let incomplete = strings(
        &conn,
        &format!(
            "WITH f AS (
                SELECT e.episode_key, concat_ws(', ',
                    CASE WHEN (SELECT count(*) FROM verifications v
                               WHERE v.attempt_id = e.attempt_id) <> 1
                         THEN 'verification' END,
                    CASE WHEN (SELECT count(*) FROM scores s WHERE s.attempt_id = e.attempt_id
                               AND s.name = 'reward' AND s.step_index IS NULL) <> 1
                         THEN 'reward' END,
                    CASE WHEN (SELECT count(DISTINCT call_id) FROM llm_calls c
                               WHERE c.attempt_id = e.attempt_id AND c.purpose = 'agent') <> e.steps
                         THEN 'agent calls' END,
                    CASE WHEN (SELECT count(*) FROM actions x WHERE x.attempt_id = e.attempt_id)
                           <> (SELECT coalesce(sum(n_actions), 0) FROM steps s
                               WHERE s.attempt_id = e.attempt_id)
                         THEN 'actions' END,
                    CASE WHEN e.steps = 0 OR EXISTS (SELECT 1 FROM llm_call_messages m
                               WHERE m.attempt_id = e.attempt_id
                               AND m.message_hash NOT IN (SELECT message_hash FROM messages))
                         THEN 'messages' END) AS missing
                FROM ({finals}) e)
             SELECT episode_key || ': ' || missing FROM f WHERE missing <> ''"
        ),
    );
    assert!(
        incomplete.is_empty(),
        "finalised episodes missing rows: {incomplete:?}"
    );
    Snapshot {
        finalised: pairs(
            &conn,
            &format!("SELECT episode_key, attempt_id FROM ({finals})"),
        ),
        final_rows,
    }
}

/// The clean reference run: its episode keys and its wall time (computed once per process).
fn reference() -> &'static (BTreeSet<String>, Duration) {
    static REFERENCE: OnceLock<(BTreeSet<String>, Duration)> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let w = Workload::standard("reference");
        let mut reaper = Reaper::default();
        let started = Instant::now();
        let out = w.run_ok(&mut reaper);
        let took = started.elapsed();
        let snap = check_consistent(&w.db);
        let keys: BTreeSet<String> = snap.finalised.keys().cloned().collect();
        let n = keys.len();
        let want = format!("episodes: {n} planned, 0 already done, {n} ran");
        assert!(
            n >= 4 && String::from_utf8_lossy(&out.stdout).contains(&want),
            "the reference run finalises its whole plan (`{want}`):\n{}",
            text(&out)
        );
        eprintln!("reference run: {} episodes in {took:.1?}", keys.len());
        (keys, took)
    })
}

/// How a cycle kills the run.
#[derive(Clone, Debug)]
enum Kill {
    /// `SYNTH_FAILPOINT=name@n`.
    Failpoint(&'static str, u32),
    /// SIGKILL from outside after this delay.
    After(Duration),
}

/// The figures of one kill/resume cycle.
#[derive(Debug)]
struct Cycle {
    killed: bool,
    done_at_kill: usize,
    leftovers: usize,
    lost: usize,
    duplicated: i64,
    kill_part: Duration,
    resume_part: Duration,
}

/// Runs the workload until `kill` ends it, checks the file, collects the leftovers (with
/// `synth gc` first when `gc_first`, else by the re-run itself), re-runs the same command
/// and checks that exactly the reference episodes are finalised, each once.
fn kill_and_resume(name: &str, kill: &Kill, gc_first: bool) -> Cycle {
    let (reference, _) = reference();
    let w = Workload::standard(name);
    let mut reaper = Reaper::default();
    let started = Instant::now();
    let env: Vec<(&str, String)> = match kill {
        Kill::Failpoint(fp, n) => vec![("SYNTH_FAILPOINT", format!("{fp}@{n}"))],
        Kill::After(_) => Vec::new(),
    };
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let child = w.command(&env_refs).spawn().expect("synth starts");
    let pid = child.id();
    reaper.watch(pid);
    if let Kill::After(delay) = kill {
        std::thread::sleep(*delay);
        // SAFETY: pid is our own child, not yet reaped (wait_with_output comes after).
        unsafe {
            libc::kill(pid as i32, libc::SIGKILL);
        }
    }
    let out = child.wait_with_output().expect("synth ends");
    let killed = out.status.signal() == Some(libc::SIGKILL);
    match kill {
        Kill::Failpoint(fp, _) => {
            assert!(
                killed,
                "{name}: the failpoint was not reached:\n{}",
                text(&out)
            );
            let line = format!("failpoint {fp}: killing the process");
            assert!(
                String::from_utf8_lossy(&out.stderr).contains(&line),
                "{name}: no `{line}`:\n{}",
                text(&out)
            );
        }
        Kill::After(_) => assert!(
            killed || out.status.success(),
            "{name}: the run failed on its own:\n{}",
            text(&out)
        ),
    }
    let kill_part = started.elapsed();
    let leftovers = containers_of_pid(pid);
    let volumes = volumes_of(&leftovers);
    let before = check_consistent(&w.db);

    if gc_first {
        gc_leaves_none_of(name, &leftovers);
    }
    let resumed_at = Instant::now();
    let out = w.run_ok(&mut reaper);
    let resume_part = resumed_at.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let done = before.finalised.len();
    let expected = format!(
        "episodes: {} planned, {done} already done, {} ran",
        reference.len(),
        reference.len() - done
    );
    assert!(
        stdout.contains(&expected),
        "{name}: want `{expected}`:\n{}",
        text(&out)
    );

    let after = check_consistent(&w.db);
    let keys: BTreeSet<String> = after.finalised.keys().cloned().collect();
    let lost = reference.difference(&keys).count();
    assert_eq!(
        &keys, reference,
        "{name}: the finalised set differs from the plan"
    );
    for (key, attempt) in &before.finalised {
        assert_eq!(
            after.finalised.get(key),
            Some(attempt),
            "{name}: an episode finalised before the kill was redone"
        );
    }
    let conn = open_db(&w.db);
    let last_run = "(SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1)";
    assert_eq!(
        count(
            &conn,
            &format!(
                "SELECT count(*) FROM attempts WHERE status = 'running' AND run_id = {last_run}"
            )
        ),
        0,
        "{name}: the re-run left attempts running"
    );
    assert_eq!(
        count(
            &conn,
            &format!(
                "SELECT count(*) FROM runs WHERE run_id = {last_run} AND finished_at IS NOT NULL"
            )
        ),
        1,
        "{name}: the re-run did not finish its runs row"
    );

    gc_leaves_none_of(name, &leftovers);
    let vols: Vec<_> = volumes.iter().filter(|v| exists("volume", v)).collect();
    assert!(vols.is_empty(), "{name}: volumes left: {vols:?}");
    assert!(
        leftover_containers(&conn).is_empty(),
        "{name}: containers of the file's runs are left"
    );
    assert!(
        docker_lines(&["network", "ls", "-q", "--filter", "label=synth"]).is_empty(),
        "a network labelled synth exists"
    );
    Cycle {
        killed,
        done_at_kill: done,
        leftovers: leftovers.len(),
        lost,
        duplicated: after.final_rows - keys.len() as i64,
        kill_part,
        resume_part,
    }
}

fn report(name: &str, c: &Cycle) {
    eprintln!(
        "{name:<34} killed={} done_at_kill={} leftover_containers={} lost={} duplicated={} \
         kill={:.1?} resume={:.1?}",
        c.killed, c.done_at_kill, c.leftovers, c.lost, c.duplicated, c.kill_part, c.resume_part
    );
}

/// The failpoints, each with the hit that kills: later hits leave some episodes finalised.
const SCHEDULE: &[(&str, u32)] = &[
    ("flow.after_run_row", 1),
    ("episode.before_container_start", 2),
    ("episode.after_container_start", 3),
    ("record.between_step_rows", 3),
    ("record.after_action", 2),
    ("episode.before_verification", 2),
    ("episode.after_verification", 1),
    ("episode.before_final_row", 2),
    ("episode.after_final_row", 3),
    ("writer.mid_batch", 4),
    ("writer.before_commit", 2),
    ("writer.after_commit", 2),
    ("flow.before_close", 1),
];

#[test]
fn sigkill_at_every_failpoint_then_resume_finishes_exactly_the_plan() {
    if !docker_available() {
        return;
    }
    let scheduled: BTreeSet<&str> = SCHEDULE.iter().map(|(n, _)| *n).collect();
    let named: BTreeSet<&str> = synth::failpoint::NAMES.iter().copied().collect();
    assert_eq!(scheduled, named, "every failpoint is tried");
    let mut cycles = Vec::new();
    for (i, (fp, n)) in SCHEDULE.iter().enumerate() {
        let name = format!("{fp}@{n}");
        let c = kill_and_resume(&name, &Kill::Failpoint(fp, *n), i % 2 == 0);
        report(&name, &c);
        cycles.push(c);
    }
    summarise("failpoints", &cycles);
}

#[test]
fn sigkill_at_random_moments_then_resume_finishes_exactly_the_plan() {
    if !docker_available() {
        return;
    }
    let (_, took) = reference();
    let seed = std::env::var("SYNTH_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_secs())
        });
    eprintln!("random kills: seed {seed} (SYNTH_KILL_SEED={seed} repeats them)");
    let mut rng = fastrand::Rng::with_seed(seed);
    let span = took.as_millis().max(1000) as u64;
    let mut cycles = Vec::new();
    for i in 0..5 {
        // Anywhere from plugin loading to the last episode's final rows.
        let delay = Duration::from_millis(span / 10 + rng.u64(0..span));
        let name = format!("random#{i} after {delay:.1?}");
        let c = kill_and_resume(&name, &Kill::After(delay), i % 2 == 1);
        report(&name, &c);
        cycles.push(c);
    }
    summarise("random kills", &cycles);
}

fn summarise(what: &str, cycles: &[Cycle]) {
    let n = cycles.len() as u32;
    let total: Duration = cycles.iter().map(|c| c.kill_part + c.resume_part).sum();
    eprintln!(
        "{what}: {} cycles ({} killed), lost {}, duplicated {}, mean kill+resume cycle {:.1?}",
        n,
        cycles.iter().filter(|c| c.killed).count(),
        cycles.iter().map(|c| c.lost).sum::<usize>(),
        cycles.iter().map(|c| c.duplicated).sum::<i64>(),
        total / n.max(1)
    );
}
