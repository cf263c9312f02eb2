//! The persistent shell against real Docker: state between commands, timeouts, output
//! caps, syntax errors, restarts, soft timeouts with poll and interrupt, round-trip time.

use std::time::{Duration, Instant};

use super::*;

#[tokio::test]
async fn shell_keeps_cwd_and_variables_between_commands() {
    let Some(engine) = engine().await else { return };
    let sb = sandbox(&engine, "state").await;
    let o = run(&sb, "id -un; pwd").await;
    assert_eq!(text(&o), "agent\n/workspace\n");
    assert_eq!(o.exit_code, Some(0));
    run(
        &sb,
        "mkdir -p d && cd d && export FOO=bar && declare -A M=([k]=v)",
    )
    .await;
    let o = run(&sb, "pwd; echo $FOO ${M[k]}").await;
    assert_eq!(text(&o), "/workspace/d\nbar v\n");
    // Per-command cwd and env leave the shell's own state alone.
    let one = ExecOptions {
        cwd: Some("/tmp".into()),
        env: vec![("ONLY".into(), "it's here".into())],
        ..opts(30)
    };
    let o = sb
        .exec("pwd; echo \"$ONLY\"; echo $FOO", &one)
        .await
        .unwrap();
    assert_eq!(text(&o), "/tmp\nit's here\nbar\n");
    let o = run(&sb, "pwd; echo ${ONLY:-unset}").await;
    assert_eq!(text(&o), "/workspace/d\nunset\n");
    // No trailing newline, stderr merged, exit code kept, quoting cannot desync.
    let o = run(&sb, "printf 'a'; echo err >&2; (exit 7)").await;
    assert_eq!((text(&o).as_str(), o.exit_code), ("aerr\n", Some(7)));
    let o = run(&sb, "echo \"unterminated; echo '").await;
    assert_ne!(o.exit_code, Some(0), "{}", text(&o));
    let o = run(&sb, "echo __SYNTH_x__ 0; echo real").await;
    assert_eq!(
        (text(&o).as_str(), o.exit_code),
        ("__SYNTH_x__ 0\nreal\n", Some(0))
    );
    // A large command (its here-document goes through a temporary file) and odd bytes.
    let big = format!(
        "x='{}'; echo ${{#x}}; printf '%s\\n' \"$(printf 'tab\\tcr\\r')\" | od -c | head -1",
        "a".repeat(200_000)
    );
    let o = run(&sb, &big).await;
    assert!(
        text(&o).starts_with("200000\n0000000   t   a   b  \\t   c   r  \\r  \\n"),
        "{}",
        text(&o)
    );
    // A command cannot read the next one: its stdin is /dev/null.
    let o = run(&sb, "cat; echo read-done").await;
    assert_eq!(text(&o), "read-done\n");
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn timeout_interrupts_and_the_shell_stays_usable() {
    let Some(engine) = engine().await else { return };
    let sb = sandbox(&engine, "timeout").await;
    run(&sb, "cd /tmp && export KEEP=1").await;
    let t = Instant::now();
    let o = sb
        .exec("echo before; sleep 1000; echo after", &opts(2))
        .await
        .unwrap();
    assert!(o.timed_out && o.exit_code.is_none(), "{o:?}");
    assert!(
        t.elapsed() < Duration::from_secs(6),
        "took {:?}",
        t.elapsed()
    );
    assert!(
        text(&o).contains("before") && !text(&o).contains("after"),
        "{}",
        text(&o)
    );
    let o = run(
        &sb,
        "pwd; echo $KEEP; pgrep -u agent -x sleep || echo no-sleep",
    )
    .await;
    assert_eq!(text(&o), "/tmp\n1\nno-sleep\n");
    // A loop is abandoned, not continued.
    let o = sb
        .exec(
            "for i in 1 2 3 4 5; do sleep 1; done; echo finished",
            &opts(2),
        )
        .await
        .unwrap();
    assert!(o.timed_out && !text(&o).contains("finished"), "{o:?}");
    // A command that ignores SIGINT is killed, the shell survives.
    let o = sb
        .exec("trap '' INT; sleep 1000 & wait; echo x", &opts(1))
        .await
        .unwrap();
    assert!(o.timed_out, "{o:?}");
    let o = run(&sb, "pwd").await;
    assert_eq!(text(&o), "/tmp\n");
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn huge_output_comes_back_capped_quickly() {
    let Some(engine) = engine().await else { return };
    let sb = sandbox(&engine, "huge").await;
    let t = Instant::now();
    let o = run(&sb, "head -c 50000000 /dev/zero | tr '\\0' a").await;
    let took = t.elapsed();
    eprintln!("50 MB through the shell in {took:?}");
    assert!(o.truncated);
    assert_eq!(o.exit_code, Some(0));
    let s = text(&o);
    assert!(s.contains("bytes omitted ...]"), "{}", &s[..100]);
    assert!(
        o.output.len() <= DEFAULT_MAX_OUTPUT + 64,
        "{}",
        o.output.len()
    );
    assert!(s.starts_with("aaaa") && s.ends_with("aaaa"));
    assert!(took < Duration::from_secs(30), "took {took:?}");
    let capped = ExecOptions {
        max_output_bytes: Some(1000),
        ..opts(30)
    };
    let o = sb.exec("seq 1 100000", &capped).await.unwrap();
    let s = text(&o);
    assert!(
        o.truncated && s.starts_with("1\n2\n") && s.ends_with("99999\n100000\n"),
        "{s}"
    );
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn syntax_errors_exit_and_kill_leave_a_working_shell() {
    let Some(engine) = engine().await else { return };
    let sb = sandbox(&engine, "errors").await;
    let o = run(&sb, "if then fi").await;
    assert_ne!(o.exit_code, Some(0));
    assert!(text(&o).contains("syntax error"), "{}", text(&o));
    assert_eq!(text(&run(&sb, "echo ok").await), "ok\n");
    run(&sb, "cd /tmp").await;
    let o = run(&sb, "echo bye; exit 3").await;
    assert!(
        text(&o).contains("bye") && text(&o).contains("shell was restarted"),
        "{}",
        text(&o)
    );
    assert_eq!(o.exit_code, Some(3));
    assert!(!o.timed_out);
    let o = run(&sb, "pwd").await;
    assert_eq!((text(&o).as_str(), o.exit_code), ("/workspace\n", Some(0)));
    let o = run(&sb, "kill -9 $$").await;
    assert!(
        o.exit_code.is_none() && text(&o).contains("restarted"),
        "{o:?}"
    );
    assert_eq!(text(&run(&sb, "echo alive").await), "alive\n");
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn soft_timeout_then_poll_and_interrupt() {
    let Some(engine) = engine().await else { return };
    let sb = sandbox(&engine, "soft").await;
    assert!(matches!(
        sb.poll(Duration::ZERO).await,
        Err(SandboxError::NoRunningCommand)
    ));
    let soft = ExecOptions {
        soft_timeout: Some(Duration::from_secs(1)),
        ..opts(60)
    };
    let o = sb
        .exec("echo start; sleep 3; echo end; (exit 4)", &soft)
        .await
        .unwrap();
    assert!(o.still_running && o.exit_code.is_none(), "{o:?}");
    assert_eq!(text(&o), "start\n");
    assert!(matches!(
        sb.exec("true", &opts(5)).await,
        Err(SandboxError::Busy)
    ));
    let o = sb.poll(Duration::from_secs(10)).await.unwrap();
    assert!(!o.still_running, "{o:?}");
    assert_eq!(text(&o), "end\n");
    assert_eq!(o.exit_code, Some(4));
    let o = sb
        .exec("echo a; sleep 2; echo b; (exit 5)", &soft)
        .await
        .unwrap();
    assert!(o.still_running);
    let o = sb.poll(Duration::from_millis(100)).await.unwrap();
    assert!(o.still_running && o.output.is_empty(), "{o:?}");
    let o = sb.poll(Duration::from_secs(10)).await.unwrap();
    assert_eq!((text(&o).as_str(), o.exit_code), ("b\n", Some(5)));
    let o = sb.exec("sleep 100", &soft).await.unwrap();
    assert!(o.still_running);
    let o = sb.interrupt().await.unwrap();
    assert!(
        !o.still_running && !o.timed_out && o.exit_code.is_none(),
        "{o:?}"
    );
    assert_eq!(text(&run(&sb, "echo next").await), "next\n");
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn input_reaches_a_command_left_running() {
    let Some(engine) = engine().await else { return };
    let sb = sandbox(&engine, "input").await;
    assert!(matches!(
        sb.send_input(b"x", Duration::ZERO).await,
        Err(SandboxError::NoRunningCommand)
    ));
    let soft = ExecOptions {
        soft_timeout: Some(Duration::from_millis(500)),
        ..opts(60)
    };
    // A command with a soft timeout waits for input as at a terminal.
    let o = sb
        .exec("echo ready; read a; read b; echo \"got $a,$b\"", &soft)
        .await
        .unwrap();
    assert!(o.still_running, "{o:?}");
    assert_eq!(text(&o), "ready\n");
    let o = sb
        .send_input(b"one\n", Duration::from_millis(300))
        .await
        .unwrap();
    assert!(o.still_running && o.output.is_empty(), "{o:?}");
    let o = sb
        .send_input(b"two 'quoted' $x\n", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(
        (text(&o).as_str(), o.exit_code),
        ("got one,two 'quoted' $x\n", Some(0))
    );
    // Its FIFO is gone; a command without a soft timeout still reads /dev/null.
    assert_eq!(
        text(&run(&sb, "ls -A /tmp | grep -c synth-stdin").await),
        "0\n"
    );
    assert_eq!(text(&run(&sb, "read a; echo \"[$a] $?\"").await), "[] 1\n");
    // Input a command does not read waits in its pipe; the command goes on.
    let o = sb.exec("sleep 5", &soft).await.unwrap();
    assert!(o.still_running);
    let o = sb
        .send_input(b"\x04", Duration::from_millis(100))
        .await
        .unwrap();
    assert!(o.still_running);
    sb.interrupt().await.unwrap();
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn shell_round_trip_is_fast() {
    let Some(engine) = engine().await else { return };
    let sb = sandbox(&engine, "rtt").await;
    let mut times = Vec::new();
    for _ in 0..40 {
        let t = Instant::now();
        let o = run(&sb, "true").await;
        times.push(t.elapsed());
        assert_eq!(o.exit_code, Some(0));
    }
    times.sort();
    let median = times[times.len() / 2];
    eprintln!(
        "persistent-shell round trip: median {median:?}, min {:?}, max {:?}",
        times[0],
        times[times.len() - 1]
    );
    assert!(median < Duration::from_millis(200), "median {median:?}");
    sb.remove().await.unwrap();
}
