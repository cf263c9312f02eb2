//! Hostile commands through the agent's shell, in real containers: fork bombs, memory hogs,
//! CPU spinners, signals to init and to everything, zombie floods, commands that ignore
//! SIGINT, a gigabyte of output, binary output, network egress without a network, commands
//! that end the shell, and a full workspace. Each must be contained with the shell usable
//! afterwards (or a clear error), and the host unharmed. Every case prints a `HOSTILE |` line
//! (case, outcome, time to containment, shell usable after) for the report.

use std::time::{Duration, Instant};

use super::*;
use crate::sandbox::cgroup::{self, Snapshot};
use crate::sandbox::commands::{OOM_NOTE, PIDS_NOTE};

/// Prints one row of the containment table.
fn report(case: &str, outcome: &str, took: Duration, usable: bool) {
    eprintln!(
        "HOSTILE | {case} | {outcome} | {:.2} s | {}",
        took.as_secs_f64(),
        if usable { "yes" } else { "NO" }
    );
}

/// Runs `cmd` with a hard timeout and returns the output and how long it took.
async fn timed(sb: &Sandbox, cmd: &str, timeout_secs: u64) -> (ExecOutput, Duration) {
    let t = Instant::now();
    let o = sb.exec(cmd, &opts(timeout_secs)).await.expect(cmd);
    (o, t.elapsed())
}

/// The shell answers a command that needs a fork, with no note (the shell may first report
/// a background job that was killed).
async fn usable(sb: &Sandbox) -> bool {
    let o = sb
        .exec("echo alive $(echo forked)", &opts(30))
        .await
        .expect("probe");
    let s = text(&o);
    s.ends_with("alive forked\n") && !s.contains("[synth:") && o.exit_code == Some(0)
}

async fn assert_usable(sb: &Sandbox, case: &str) -> bool {
    assert!(usable(sb).await, "shell not usable after {case}");
    true
}

/// The agent's processes as root sees them (pid list, sorted).
async fn agent_pids(sb: &Sandbox) -> Vec<String> {
    let o = sb
        .exec_fresh(
            &["pgrep", "-u", AGENT_USER],
            "root",
            &[],
            "/",
            Duration::from_secs(30),
            64 * 1024,
        )
        .await
        .expect("pgrep");
    let mut pids: Vec<String> = text(&o).split_whitespace().map(str::to_string).collect();
    pids.sort();
    pids
}

async fn shell_pid(sb: &Sandbox) -> String {
    sb.shell
        .lock()
        .await
        .shell
        .as_ref()
        .map(|s| s.pid.to_string())
        .unwrap_or_default()
}

async fn counters(sb: &Sandbox) -> Snapshot {
    sb.counters.read(&sb.docker, &sb.id).await
}

/// Waits (bounded) until `cond` holds for the counters: a real signal from the kernel.
async fn wait_counters(sb: &Sandbox, what: &str, cond: impl Fn(&Snapshot) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if cond(&counters(sb).await) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: not seen within 60 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn fork_bombs_are_contained_and_every_agent_process_is_killed() {
    let Some(engine) = engine().await else { return };
    let sb = sandbox(&engine, "forkbomb").await;
    let before = counters(&sb).await;
    assert!(
        before.refused_forks.is_some(),
        "no pids counter: {:?}",
        sb.counters
    );
    // The classic bomb backgrounds itself: the command returns at once.
    let t = Instant::now();
    let (o, _) = timed(&sb, ":(){ :|:& };:", 30).await;
    assert!(!o.still_running, "{o:?}");
    let first_caught = text(&o).contains(PIDS_NOTE.trim());
    if !first_caught {
        // It reached the limit after its command returned: the next command clears it.
        wait_counters(&sb, "refused forks", |c| c.pids_limit_hit_since(&before)).await;
    }
    let o = run(&sb, "echo next $(echo works)").await;
    let took = t.elapsed();
    let s = text(&o);
    assert!(s.ends_with("next works\n"), "{s}");
    assert!(
        first_caught || s.starts_with("[synth: the container's process limit was reached since"),
        "{s}"
    );
    // Only the fresh shell is left of the agent (killed by uid, not by process group).
    assert_eq!(agent_pids(&sb).await, vec![shell_pid(&sb).await]);
    let ok = assert_usable(&sb, "").await;
    report(
        "fork bomb `:(){ :|:& };:`",
        "pids limit hit; all agent processes killed by uid; fresh shell",
        took,
        ok,
    );

    // A bomb in a command that keeps running: timed out, then cleared the same way.
    let before = counters(&sb).await;
    let (o, took) = timed(&sb, "b(){ b | b & }; b; sleep 600", 10).await;
    let s = text(&o);
    assert!(o.timed_out && o.exit_code.is_none(), "{o:?}");
    assert!(s.contains(PIDS_NOTE.trim()), "{s}");
    assert!(counters(&sb).await.pids_limit_hit_since(&before));
    assert_eq!(agent_pids(&sb).await, vec![shell_pid(&sb).await]);
    let ok = assert_usable(&sb, "").await;
    report(
        "fork bomb + sleep (timeout 10 s)",
        "timed out; pids limit hit; all agent processes killed; fresh shell",
        took,
        ok,
    );
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn an_oom_kill_is_reported_for_the_command_it_happened_in() {
    let Some(engine) = engine().await else { return };
    let sb = sandbox(&engine, "oom").await;
    let o = run(&sb, "python3 -c 'x = b\"y\" * (64 << 20); print(len(x))'").await;
    assert!(!o.oom_killed && o.exit_code == Some(0), "{o:?}");
    let before = counters(&sb).await;
    assert!(
        before.oom_kills.is_some(),
        "no OOM counter: {:?}",
        sb.counters
    );
    // 512 MiB limit: allocate (and touch) 32 MiB at a time until the kernel steps in.
    let hog = "python3 -c '\nl = []\nwhile True:\n    l.append(b\"x\" * (32 << 20))\n'";
    let (o, took) = timed(&sb, hog, 120).await;
    let s = text(&o);
    assert!(o.oom_killed, "{o:?}");
    assert_eq!(o.exit_code, Some(137), "{s}");
    assert!(s.ends_with(OOM_NOTE), "{s}");
    assert!(!o.timed_out);
    // The counter through the in-container path agrees with the host's file.
    let after = counters(&sb).await;
    assert!(after.oom_since(&before));
    let inside = cgroup::read_inside(&sb.docker, &sb.id).await;
    assert_eq!(inside, after, "host {:?} vs inside", sb.counters);
    // The next command is not blamed for it.
    let o = run(&sb, "echo after").await;
    assert!(!o.oom_killed && text(&o) == "after\n", "{o:?}");
    let ok = assert_usable(&sb, "").await;
    report(
        "memory hog (python3, 512 MiB limit)",
        "OOM-killed (exit 137), oom_killed + note on that command only",
        took,
        ok,
    );
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn cpu_spinners_time_out_and_the_shell_stays() {
    let Some(engine) = engine().await else { return };
    let sb = sandbox(&engine, "spinner").await;
    run(&sb, "cd /tmp && export KEEP=1").await;
    // A loop in the shell itself (no child process): the INT trap abandons it.
    let (o, took) = timed(&sb, "while :; do :; done", 3).await;
    assert!(o.timed_out && o.exit_code.is_none(), "{o:?}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    let o = run(&sb, "pwd; echo $KEEP").await;
    assert_eq!(text(&o), "/tmp\n1\n");
    let ok = usable(&sb).await;
    report(
        "CPU spinner in the shell `while :; do :; done` (timeout 3 s)",
        "timed out, loop abandoned, shell state kept",
        took,
        ok,
    );
    // A spinning child process.
    let (o, took) = timed(&sb, "python3 -c 'while True: pass'", 3).await;
    assert!(o.timed_out, "{o:?}");
    assert_eq!(agent_pids(&sb).await, vec![shell_pid(&sb).await]);
    let ok = assert_usable(&sb, "").await;
    report(
        "CPU spinner child `python3 -c 'while True: pass'` (timeout 3 s)",
        "timed out, child killed",
        took,
        ok,
    );
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn init_survives_kill_1_kill_all_and_reaps_zombie_floods() {
    let Some(engine) = engine().await else { return };
    let sb = sandbox(&engine, "init").await;
    let (o, took) = timed(&sb, "kill 1; echo rc=$?; kill -9 1; echo rc=$?", 30).await;
    let s = text(&o);
    assert!(
        s.contains("Operation not permitted") && s.ends_with("rc=1\n"),
        "{s}"
    );
    let ok = assert_usable(&sb, "").await;
    report("`kill 1`, `kill -9 1`", "EPERM (init is root)", took, ok);
    // kill(-1) from the shell itself spares the sender: the shell survives. The direct child
    // is disowned: bash would otherwise print a "Killed" job notice whenever it happens to
    // reap it, in this command's output or the next one's.
    run(&sb, "sleep 1000 & disown; (setsid sleep 1000 &)").await;
    let (o, took) = timed(&sb, "kill -9 -1; echo survived", 30).await;
    assert_eq!(text(&o), "survived\n");
    assert_eq!(agent_pids(&sb).await, vec![shell_pid(&sb).await]);
    let ok = assert_usable(&sb, "").await;
    report(
        "`kill -9 -1` from the shell",
        "every other agent process killed; shell (sender) survives",
        took,
        ok,
    );
    // From a subshell it takes the shell too: a fresh one follows.
    let (o, took) = timed(&sb, "(kill -9 -1)", 30).await;
    assert!(text(&o).contains("shell was restarted"), "{o:?}");
    let ok = assert_usable(&sb, "").await;
    report(
        "`(kill -9 -1)` from a subshell",
        "shell killed; fresh shell, note",
        took,
        ok,
    );
    // Zombie floods: children that exit unreaped by a parent that exits.
    let flood = "python3 -c '\nimport os\nfor _ in range(150):\n    if os.fork() == 0:\n        os._exit(0)\n'; \
                 for i in $(seq 50); do (sleep 0.2 &); done; echo flooded";
    let t = Instant::now();
    let o = run(&sb, flood).await;
    assert_eq!(text(&o), "flooded\n");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let o = sb
            .exec_fresh(
                &["/bin/sh", "-c", "ps -e -o stat= | grep -c '^Z' || true"],
                "root",
                &[],
                "/",
                Duration::from_secs(30),
                4096,
            )
            .await
            .unwrap();
        let zombies: u32 = text(&o).trim().parse().unwrap_or(u32::MAX);
        let sleepers = agent_pids(&sb).await.len();
        if zombies == 0 && sleepers == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{zombies} zombies, {sleepers} agent processes after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let took = t.elapsed();
    let ok = assert_usable(&sb, "").await;
    let info = engine
        .docker()
        .inspect_container(
            sb.container_id(),
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await
        .unwrap();
    assert_eq!(info.state.and_then(|s| s.running), Some(true));
    report(
        "zombie flood (150 unreaped children + 50 orphans)",
        "init reaped all; container running",
        took,
        ok,
    );
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn sleepers_and_sigint_ignorers_are_killed() {
    let Some(engine) = engine().await else { return };
    let sb = sandbox(&engine, "sigint").await;
    run(&sb, "cd /tmp").await;
    for (case, cmd) in [
        ("`sleep infinity` (timeout 2 s)", "sleep infinity"),
        (
            "`trap '' INT; sleep 1000` (timeout 2 s)",
            "trap '' INT; sleep 1000",
        ),
        (
            "python3 ignoring SIGINT (timeout 2 s)",
            "python3 -c 'import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); print(\"ready\", flush=True); time.sleep(1000)'",
        ),
    ] {
        let (o, took) = timed(&sb, cmd, 2).await;
        assert!(o.timed_out && o.exit_code.is_none(), "{case}: {o:?}");
        assert!(took < Duration::from_secs(20), "{case}: took {took:?}");
        assert_eq!(agent_pids(&sb).await, vec![shell_pid(&sb).await], "{case}");
        // Same shell (its directory kept), and the INT trap is back for the next command.
        let o = run(&sb, "pwd").await;
        assert_eq!(text(&o), "/tmp\n", "{case}");
        let ok = assert_usable(&sb, case).await;
        report(case, "timed out; SIGINT, then SIGKILL", took, ok);
    }
    let (o, _) = timed(&sb, "sleep 1000", 1).await;
    assert!(o.timed_out, "interrupting after an ignorer: {o:?}");
    sb.remove().await.unwrap();
}

/// `VmHWM` or `VmRSS` of this process in bytes.
fn vm(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap()
}

/// The byte count of the omission marker.
fn omitted(s: &str) -> u64 {
    let at = s.find("[... ").expect("marker");
    s[at + 5..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("marker count")
}

#[tokio::test]
async fn a_gigabyte_of_output_is_capped_with_bounded_memory() {
    let Some(engine) = engine().await else { return };
    let sb = sandbox(&engine, "gigabyte").await;
    // Reset the peak RSS (clear_refs 5), so the peak below is this command's.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let rss0 = vm("VmRSS");
    let (o, took) = timed(&sb, "head -c 1G /dev/zero", 600).await;
    let peak = vm("VmHWM");
    let growth = peak.saturating_sub(rss0);
    let s = text(&o);
    assert_eq!(o.exit_code, Some(0), "{o:?}");
    assert!(o.truncated && !o.timed_out);
    let marker = format!("\n[... {} bytes omitted ...]\n", omitted(&s));
    assert!(s.contains(&marker), "{}", &s[..200]);
    let kept_exact = (o.output.len() - marker.len()) as u64;
    assert_eq!(
        omitted(&s) + kept_exact,
        1 << 30,
        "every byte accounted for"
    );
    assert!(o.output.len() <= DEFAULT_MAX_OUTPUT + 64);
    assert!(took < Duration::from_secs(300), "took {took:?}");
    assert!(
        growth < 200 * 1024 * 1024,
        "RSS grew by {growth} bytes (peak reset: {reset})"
    );
    eprintln!(
        "1 GiB through the shell: {:.1} s, {:.0} MB/s, test-process RSS {} MiB before, peak {} MiB (growth {} MiB, peak reset: {reset})",
        took.as_secs_f64(),
        1024.0 / took.as_secs_f64(),
        rss0 >> 20,
        peak >> 20,
        growth >> 20
    );
    let ok = assert_usable(&sb, "").await;
    report(
        "1 GiB output `head -c 1G /dev/zero`",
        &format!(
            "capped to {} B + marker; RSS growth {} MiB",
            kept_exact,
            growth >> 20
        ),
        took,
        ok,
    );
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let rss0 = vm("VmRSS");
    let (o, took) = timed(&sb, "yes", 8).await;
    let growth = vm("VmHWM").saturating_sub(rss0);
    let s = text(&o);
    assert!(o.timed_out && o.truncated, "{o:?}");
    assert!(s.starts_with("y\ny\n") && s.contains(" bytes omitted ...]"));
    let streamed = omitted(&s);
    assert!(took < Duration::from_secs(40), "took {took:?}");
    assert!(
        growth < 200 * 1024 * 1024,
        "RSS grew by {growth} (reset {reset})"
    );
    let ok = assert_usable(&sb, "").await;
    report(
        "`yes` (timeout 8 s)",
        &format!(
            "timed out, {} MiB streamed and cut; RSS growth {} MiB",
            streamed >> 20,
            growth >> 20
        ),
        took,
        ok,
    );
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn binary_and_invalid_utf8_output_is_byte_exact() {
    let Some(engine) = engine().await else { return };
    let sb = sandbox(&engine, "binary").await;
    let (o, took) = timed(&sb, "head -c 4096 /dev/urandom | tee /tmp/r.bin", 30).await;
    assert_eq!(o.exit_code, Some(0));
    let file = sb.read_file("/tmp/r.bin").await.unwrap();
    assert_eq!(file.len(), 4096);
    assert_eq!(o.output, file, "random bytes differ");
    let o = run(&sb, r"printf '\xff\xfe\x00abc'").await;
    assert_eq!(o.output, b"\xff\xfe\x00abc".to_vec());
    let o = run(&sb, r"printf 'a\r\n\x1b[31mred\x1b[0m\n\xc3'").await;
    assert_eq!(o.output, b"a\r\n\x1b[31mred\x1b[0m\n\xc3".to_vec());
    let ok = assert_usable(&sb, "").await;
    report(
        "binary / invalid UTF-8 output",
        "returned byte-exact",
        took,
        ok,
    );
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn network_egress_fails_inside_the_container() {
    let Some(engine) = engine().await else { return };
    let sb = sandbox(&engine, "egress").await;
    // With network mode none only loopback exists: nothing can leave the container.
    let (o, took) = timed(
        &sb,
        "python3 -c \"import socket; socket.create_connection(('1.1.1.1', 53), 2)\"",
        30,
    )
    .await;
    let s = text(&o);
    assert_ne!(o.exit_code, Some(0), "{s}");
    assert!(s.contains("Network is unreachable"), "{s}");
    let ok = usable(&sb).await;
    report(
        "egress `socket.create_connection(('1.1.1.1', 53))`",
        "Network is unreachable",
        took,
        ok,
    );
    let (o, took) = timed(&sb, "getent hosts example.com; echo rc=$?", 30).await;
    assert_eq!(text(&o), "rc=2\n");
    let ok = assert_usable(&sb, "").await;
    report(
        "`getent hosts example.com`",
        "not resolved (exit 2)",
        took,
        ok,
    );
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn commands_that_end_the_shell_get_a_fresh_one() {
    let Some(engine) = engine().await else { return };
    let sb = sandbox(&engine, "shellkill").await;
    for (cmd, code) in [
        ("exit", Some(0)),
        ("exit 3", Some(3)),
        ("kill -9 $$", None),
        ("exec true", Some(0)),
    ] {
        run(&sb, "cd /tmp && export GONE=1").await;
        let (o, took) = timed(&sb, cmd, 30).await;
        let s = text(&o);
        assert!(s.contains("[synth: the shell was restarted"), "{cmd}: {s}");
        assert_eq!(o.exit_code, code, "{cmd}: {o:?}");
        assert!(!o.timed_out, "{cmd}");
        let o = run(&sb, "pwd; echo ${GONE:-reset}").await;
        assert_eq!(text(&o), "/workspace\nreset\n", "{cmd}");
        let ok = assert_usable(&sb, cmd).await;
        report(
            &format!("`{cmd}`"),
            &format!("exit code {code:?}; fresh shell with a note"),
            took,
            ok,
        );
    }
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn functions_and_aliases_shadowing_builtins_do_not_break_the_framing() {
    let Some(engine) = engine().await else { return };
    let sb = sandbox(&engine, "shadow").await;
    run(
        &sb,
        "printf() { echo hijacked; }; cd() { echo nope; }; trap() { :; }; \
         source() { :; }; export() { :; }; shopt -s expand_aliases; alias printf='echo aliased'",
    )
    .await;
    let (o, took) = timed(&sb, "echo still framed", 10).await;
    assert_eq!(text(&o), "still framed\n", "{o:?}");
    assert!(!o.timed_out && o.exit_code == Some(0), "{o:?}");
    // Options for one command (cwd, env) go through `cd` and `export` too.
    let o = sb
        .exec(
            "pwd; echo $ONLY_HERE",
            &ExecOptions {
                timeout: Some(Duration::from_secs(10)),
                cwd: Some("/tmp".into()),
                env: vec![("ONLY_HERE".into(), "x".into())],
                ..Default::default()
            },
        )
        .await
        .expect("exec with cwd and env");
    assert_eq!(text(&o), "/tmp\nx\n", "{o:?}");
    let ok = assert_usable(&sb, "shadowed builtins").await;
    report(
        "functions shadowing printf, cd, trap, source, export",
        "framing intact",
        took,
        ok,
    );
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn a_full_workspace_is_bounded_and_file_transfer_still_works() {
    let Some(engine) = engine().await else { return };
    let image = test_image(&engine).await;
    let spec = ContainerSpec {
        workspace_bytes: 64 * 1024 * 1024,
        ..container_spec(&image.tag, "diskfill")
    };
    let t = Instant::now();
    let sb = Guard(std::sync::Arc::new(
        engine.start(&spec).await.expect("start"),
    ));
    eprintln!("container start with tmpfs workspace: {:?}", t.elapsed());
    // The image's workspace is there, with its owner, modes and git history.
    let o = run(
        &sb,
        "stat -c '%U %a' . pkg/run.sh .git; cat hello.txt setup.txt; git log --format=%s; git status --porcelain | wc -l; df -B1 --output=fstype,size . ~ /tmp /var/tmp /run/lock | tail -n +2",
    )
    .await;
    let s = text(&o);
    let want = "agent 755\nagent 755\nagent 755\nhello\nbuilt\nsynth baseline\n0\n";
    assert!(s.starts_with(want), "{s}");
    assert_eq!(
        s[want.len()..]
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>(),
        vec!["tmpfs 67108864"; 5],
        "{s}"
    );
    sb.write_file("before.txt", b"written before\n")
        .await
        .unwrap();
    // Fill it.
    let (o, took) = timed(
        &sb,
        "dd if=/dev/zero of=/workspace/big bs=1M count=100 2>&1 | head -1",
        120,
    )
    .await;
    assert!(text(&o).contains("No space left on device"), "{o:?}");
    let ok = assert_usable(&sb, "").await;
    report(
        "fill the workspace `dd ... count=100` (64 MiB tmpfs)",
        "No space left on device",
        took,
        ok,
    );
    assert!(
        matches!(
            sb.write_file("more.txt", &[b'z'; 100_000]).await,
            Err(SandboxError::TooLarge(_))
        ),
        "write_file into a full workspace"
    );
    // The verification's diff needs no room in the workspace.
    let diff = sb.workspace_diff().await.unwrap();
    assert!(
        diff.contains("before.txt") && diff.contains("big"),
        "{}",
        &diff[..diff.len().min(500)]
    );
    // /tmp is bounded too.
    let (o, took) = timed(
        &sb,
        "dd if=/dev/zero of=/tmp/big bs=1M count=100 2>&1 | head -1; rm -f /tmp/big",
        120,
    )
    .await;
    assert!(text(&o).contains("No space left on device"), "{o:?}");
    report(
        "fill /tmp `dd ... count=100` (64 MiB tmpfs)",
        "No space left on device",
        took,
        true,
    );
    // Freed again, everything works, the history is intact.
    run(&sb, "rm big").await;
    let bytes: Vec<u8> = (0..=255u8).cycle().take(1_000_000).collect();
    sb.write_file("sub/blob.bin", &bytes).await.unwrap();
    assert_eq!(sb.read_file("sub/blob.bin").await.unwrap(), bytes);
    assert_eq!(
        sb.read_file("before.txt").await.unwrap(),
        b"written before\n"
    );
    let o = run(&sb, "git log --format=%s; stat -c %U sub/blob.bin").await;
    assert_eq!(text(&o), "synth baseline\nagent\n");
    // Nothing reached the container's disk (the engine's storage on the host).
    let info = engine
        .docker()
        .inspect_container(
            sb.container_id(),
            Some(
                bollard::query_parameters::InspectContainerOptionsBuilder::default()
                    .size(true)
                    .build(),
            ),
        )
        .await
        .unwrap();
    let rw = info.size_rw.unwrap_or(0);
    eprintln!("container writable layer after the fills: {rw} bytes");
    assert!(rw < 1024 * 1024, "{rw} bytes reached the container's disk");
    sb.remove().await.unwrap();
}
