//! Ctrl-C: SIGINT once episodes are running stops scheduling, cancels the running episodes,
//! removes their containers (the run itself, not `synth gc`), leaves the file consistent, and
//! the same command then finishes exactly the plan.

use std::sync::mpsc;

use super::*;

/// Kills `pid` if `done` is not signalled within `limit`: a hung run fails the test instead
/// of hanging it.
fn watchdog(pid: u32, limit: Duration) -> mpsc::Sender<()> {
    let (tx, rx) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(limit) {
            eprintln!("watchdog: synth (pid {pid}) still running after {limit:?}; killing it");
            // SAFETY: the child is not reaped before `done` is signalled.
            unsafe {
                libc::kill(pid as i32, libc::SIGKILL);
            }
        }
    });
    tx
}

#[test]
fn ctrl_c_cancels_running_episodes_removes_their_containers_and_resume_finishes() {
    if !docker_available() {
        return;
    }
    let (reference, _) = reference();
    let w = Workload::standard("interrupt");
    let mut reaper = Reaper::default();
    let mut child = w.command(&[]).spawn().expect("synth starts");
    let pid = child.id();
    reaper.watch(pid);
    let done = watchdog(pid, Duration::from_secs(300));

    // Episodes are running once this process's first container exists.
    let deadline = Instant::now() + Duration::from_secs(120);
    while containers_of_pid(pid).is_empty() {
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!("synth ended before any container started: {status}");
        }
        assert!(Instant::now() < deadline, "no container started in 120 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent = Instant::now();
    // SAFETY: pid is our own child, not yet reaped.
    unsafe {
        libc::kill(pid as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().expect("synth ends");
    let stopped = sent.elapsed();
    let _ = done.send(());
    eprintln!("SIGINT to exit: {stopped:.1?}");

    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in [
        "interrupted: cancelling running episodes",
        "run interrupted; re-run",
    ] {
        assert!(stderr.contains(line), "no `{line}`:\n{}", text(&out));
    }
    assert!(
        containers_of_pid(pid).is_empty(),
        "the interrupted run left its containers"
    );

    let before = check_consistent(&w.db);
    {
        let conn = open_db(&w.db);
        let statuses = strings(&conn, "SELECT status FROM attempts ORDER BY started_at");
        assert!(
            statuses.len() <= 2,
            "scheduling went on after Ctrl-C (two run at once): {statuses:?}"
        );
        assert!(
            statuses.iter().any(|s| s == "cancelled"),
            "no running episode was cancelled: {statuses:?}"
        );
        assert!(
            !statuses.iter().any(|s| s == "running"),
            "an attempt was left running: {statuses:?}"
        );
        assert_eq!(
            count(&conn, "SELECT count(*) FROM runs WHERE finished_at IS NULL"),
            0,
            "the interrupted run did not close its runs row"
        );
        assert!(leftover_containers(&conn).is_empty());
    }

    let out = w.run_ok(&mut reaper);
    let n = reference.len();
    let k = before.finalised.len();
    let want = format!("episodes: {n} planned, {k} already done, {} ran", n - k);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&want),
        "want `{want}`:\n{}",
        text(&out)
    );
    let after = check_consistent(&w.db);
    let keys: BTreeSet<String> = after.finalised.keys().cloned().collect();
    assert_eq!(&keys, reference);
    assert_eq!(after.final_rows, n as i64);
    assert!(leftover_containers(&open_db(&w.db)).is_empty());
}
