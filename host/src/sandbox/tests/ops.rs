//! Everything but the shell against real Docker: files, `docker inspect` of limits and
//! labels, image builds and reuse, host-only operations, gc and removal on drop.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;
use crate::sandbox::container;

#[tokio::test]
async fn files_round_trip_and_errors() {
    let Some(engine) = engine().await else { return };
    let sb = sandbox(&engine, "files").await;
    let bytes: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    sb.write_file("a/b/c.bin", &bytes).await.unwrap();
    assert_eq!(sb.read_file("/workspace/a/b/c.bin").await.unwrap(), bytes);
    sb.write_file("/tmp/empty", b"").await.unwrap();
    assert!(sb.read_file("/tmp/empty").await.unwrap().is_empty());
    let o = run(&sb, "stat -c '%U %a' a/b/c.bin a/b").await;
    assert_eq!(text(&o), "agent 644\nagent 755\n");
    // Replacing keeps the mode; a symlink is written through.
    run(
        &sb,
        "printf old > x.sh && chmod 755 x.sh && ln -s x.sh link",
    )
    .await;
    sb.write_file("link", b"new").await.unwrap();
    let o = run(
        &sb,
        "stat -c %a x.sh; cat x.sh; echo; test -L link && echo still-link",
    )
    .await;
    assert_eq!(text(&o), "755\nnew\nstill-link\n");
    let st = sb.stat("a/b/c.bin").await.unwrap();
    assert_eq!(
        (st.kind, st.size, st.mode),
        (FileKind::File, 300_000, 0o644)
    );
    assert!(st.modified > 1_600_000_000);
    assert_eq!(sb.stat("link").await.unwrap().kind, FileKind::Symlink);
    assert_eq!(sb.stat("a").await.unwrap().kind, FileKind::Directory);
    let names: Vec<(String, FileKind)> = sb
        .list_dir(".")
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.name, e.kind))
        .collect();
    for want in [
        ("a".to_string(), FileKind::Directory),
        ("hello.txt".into(), FileKind::File),
        ("link".into(), FileKind::Symlink),
    ] {
        assert!(names.contains(&want), "{names:?}");
    }
    assert!(matches!(
        sb.read_file("nope.txt").await,
        Err(SandboxError::NotFound(_))
    ));
    assert!(matches!(
        sb.read_file("a/b").await,
        Err(SandboxError::IsADirectory(_))
    ));
    assert!(matches!(
        sb.list_dir("hello.txt").await,
        Err(SandboxError::NotADirectory(_))
    ));
    assert!(matches!(
        sb.list_dir("missing").await,
        Err(SandboxError::NotFound(_))
    ));
    assert!(matches!(
        sb.stat("missing").await,
        Err(SandboxError::NotFound(_))
    ));
    assert!(matches!(
        sb.write_file("a", b"x").await,
        Err(SandboxError::IsADirectory(_))
    ));
    assert!(matches!(
        sb.write_file("/etc/passwd", b"x").await,
        Err(SandboxError::PermissionDenied(_))
    ));
    assert!(matches!(
        sb.write_file("hello.txt/x", b"x").await,
        Err(SandboxError::NotADirectory(_))
    ));
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn inspect_shows_limits_flags_and_labels() {
    let Some(engine) = engine().await else { return };
    let sb = sandbox(&engine, "inspect").await;
    let info = engine
        .docker()
        .inspect_container(
            sb.container_id(),
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await
        .unwrap();
    let hc = info.host_config.unwrap();
    assert_eq!(hc.memory, Some(512 * 1024 * 1024));
    assert_eq!(hc.memory_swap, Some(512 * 1024 * 1024));
    assert_eq!(hc.nano_cpus, Some(1_000_000_000));
    assert_eq!(hc.pids_limit, Some(256));
    assert_eq!(hc.cap_drop, Some(vec!["ALL".to_string()]));
    assert_eq!(hc.security_opt, Some(vec!["no-new-privileges".to_string()]));
    assert_eq!(hc.init, Some(true));
    assert_eq!(hc.network_mode.as_deref(), Some("none"));
    let labels = info.config.unwrap().labels.unwrap();
    let me = std::process::id().to_string();
    assert_eq!(labels.get("synth").map(String::as_str), Some("1"));
    assert_eq!(
        labels.get("synth.run").map(String::as_str),
        Some("test-run")
    );
    assert_eq!(
        labels.get("synth.episode").map(String::as_str),
        Some("inspect")
    );
    assert_eq!(labels.get("synth.owner.pid"), Some(&me));
    assert!(labels.contains_key("synth.owner.start") && labels.contains_key("synth.owner.boot"));
    assert!(info.name.unwrap().starts_with("/synth-test-run-inspect-"));
    // Inside: no network, no capabilities, init as pid 1, the agent cannot kill it.
    let o = run(
        &sb,
        "cat /proc/1/comm; grep CapEff /proc/self/status; kill 1 2>&1; kill -9 -1; echo alive",
    )
    .await;
    let s = text(&o);
    assert!(
        s.starts_with("docker-init\n") && s.contains("0000000000000000"),
        "{s}"
    );
    let o = run(&sb, "ls /sys/class/net").await;
    assert_eq!(text(&o), "lo\n");
    assert!(sb.image_id().await.unwrap().starts_with("sha256:"));
    sb.remove().await.unwrap();
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn ensure_image_builds_once_and_sets_up_the_workspace() {
    let Some(engine) = engine().await else { return };
    let dir = tempfile::tempdir().unwrap();
    test_context(dir.path());
    // Unique content: this test's tag is new, so the first call builds.
    let nonce = uuid::Uuid::new_v4().to_string();
    std::fs::write(dir.path().join("nonce"), &nonce).unwrap();
    let spec = image_spec(dir.path());
    let first = engine.ensure_image(&spec).await.unwrap();
    assert_eq!(builds_of(&first.tag), 1);
    let t = Instant::now();
    let second = engine.ensure_image(&spec).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(builds_of(&first.tag), 1, "the second call rebuilt");
    eprintln!("image reuse check took {:?}", t.elapsed());
    let sb = Guard(Arc::new(
        engine
            .start(&container_spec(&first.tag, "image"))
            .await
            .unwrap(),
    ));
    let o = run(
        &sb,
        "cat setup.txt nonce; echo; stat -c '%U %a' pkg/run.sh; pkg/run.sh; echo \"$SYNTH_PARAM_WORD\"; git status --porcelain | wc -l",
    )
    .await;
    assert_eq!(
        text(&o),
        format!("built\n{nonce}\nagent 755\nrun\nit's \"$x\"\n0\n")
    );
    assert_eq!(sb.workspace_diff().await.unwrap(), "");
    sb.write_file("hello.txt", b"changed\n").await.unwrap();
    sb.write_file("new/file.txt", b"fresh\n").await.unwrap();
    run(&sb, "git add hello.txt && git commit -qm agent-commit").await;
    let diff = sb.workspace_diff().await.unwrap();
    assert!(diff.contains("-hello\n+changed"), "{diff}");
    assert!(
        diff.contains("new/file.txt") && diff.contains("+fresh"),
        "{diff}"
    );
    sb.remove().await.unwrap();
    let _ = engine
        .docker()
        .remove_image(
            &first.tag,
            None::<bollard::query_parameters::RemoveImageOptions>,
            None,
        )
        .await;
}

#[tokio::test]
async fn host_operations_fresh_exec_copy_and_kill() {
    let Some(engine) = engine().await else { return };
    let sb = sandbox(&engine, "hostops").await;
    let env = vec![
        ("PATH".to_string(), "/usr/bin:/bin".to_string()),
        ("A".into(), "1".into()),
    ];
    let o = sb
        .exec_fresh(
            &["env"],
            AGENT_USER,
            &env,
            "/tmp",
            Duration::from_secs(30),
            4096,
        )
        .await
        .unwrap();
    assert_eq!(
        (text(&o).as_str(), o.exit_code),
        ("PATH=/usr/bin:/bin\nA=1\n", Some(0))
    );
    let o = sb
        .exec_fresh(
            &["/bin/sh", "-c", "echo out; echo err >&2; exit 3"],
            "root",
            &[],
            "/",
            Duration::from_secs(30),
            4096,
        )
        .await
        .unwrap();
    assert_eq!(o.exit_code, Some(3));
    assert!(text(&o).contains("out\n") && text(&o).contains("err\n"));
    let t = Instant::now();
    let o = sb
        .exec_fresh(
            &["/bin/sh", "-c", "echo started; sleep 100"],
            AGENT_USER,
            &[],
            "/",
            Duration::from_secs(1),
            4096,
        )
        .await
        .unwrap();
    assert!(
        o.timed_out && o.exit_code.is_none() && text(&o) == "started\n",
        "{o:?}"
    );
    assert!(t.elapsed() < Duration::from_secs(5));
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("sub")).unwrap();
    std::fs::write(
        dir.path().join("sub/test_x.py"),
        "def test_x():\n    pass\n",
    )
    .unwrap();
    sb.copy_dir_in(dir.path(), "/synth-tests").await.unwrap();
    assert_eq!(
        sb.read_file("/synth-tests/sub/test_x.py").await.unwrap(),
        b"def test_x():\n    pass\n"
    );
    let o = run(
        &sb,
        "stat -c '%U %a' /synth-tests/sub/test_x.py /synth-tests",
    )
    .await;
    assert_eq!(text(&o), "root 644\nroot 755\n");
    assert!(matches!(
        sb.write_file("/synth-tests/sub/test_x.py", b"x").await,
        Err(SandboxError::PermissionDenied(_))
    ));
    run(&sb, "(setsid sleep 1000 &); sleep 1000 >/dev/null 2>&1 &").await;
    sb.kill_user_processes(AGENT_USER).await.unwrap();
    let o = sb
        .exec_fresh(
            &["pgrep", "-u", "agent"],
            "root",
            &[],
            "/",
            Duration::from_secs(10),
            4096,
        )
        .await
        .unwrap();
    assert_eq!(o.exit_code, Some(1), "{}", text(&o));
    let o = run(&sb, "echo back").await;
    assert!(text(&o).ends_with("back\n"), "{}", text(&o));
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn gc_spares_live_owners_and_removes_orphans() {
    let Some(engine) = engine().await else { return };
    let sb = sandbox(&engine, "gc-live").await;
    // A container that claims a dead owner.
    let image = test_image(&engine).await;
    let labels = std::collections::HashMap::from([
        ("synth".to_string(), "1".to_string()),
        ("synth.run".into(), "test-run".into()),
        ("synth.episode".into(), "gc-orphan".into()),
        ("synth.owner.pid".into(), std::process::id().to_string()),
        ("synth.owner.start".into(), "1".into()),
        ("synth.owner.boot".into(), engine.owner.boot.clone()),
    ]);
    let orphan = engine
        .docker()
        .create_container(
            None::<bollard::query_parameters::CreateContainerOptions>,
            bollard::models::ContainerCreateBody {
                image: Some(image.tag.clone()),
                cmd: Some(vec!["true".into()]),
                labels: Some(labels),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
    let removed = engine.gc(false).await.unwrap();
    let orphan_gone = removed.contains(&orphan);
    if !orphan_gone {
        let _ = container::remove_container(engine.docker(), &orphan).await;
    }
    assert!(orphan_gone, "orphan not collected: {removed:?}");
    assert!(
        !removed.iter().any(|id| id == sb.container_id()),
        "removed a live owner's container"
    );
    assert_eq!(text(&run(&sb, "echo still-here").await), "still-here\n");
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn dropping_the_last_handle_removes_the_container() {
    let Some(engine) = engine().await else { return };
    let image = test_image(&engine).await;
    let sb = Arc::new(
        engine
            .start(&container_spec(&image.tag, "drop"))
            .await
            .unwrap(),
    );
    let id = sb.container_id().to_string();
    drop(sb);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let gone = engine
            .docker()
            .inspect_container(
                &id,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
            .is_err();
        if gone {
            break;
        }
        if Instant::now() > deadline {
            let _ = container::remove_container(engine.docker(), &id).await;
            panic!("container {id} still there 10 s after the drop");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
