//! Bad input gets one clear line and loses nothing: every case below runs `synth run` against
//! an existing run file and must exit non-zero with exactly one line on stderr that names the
//! file (or field, or value) and the problem, leaving the run file byte-identical.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::common::*;

fn digest(path: &Path) -> String {
    hex::encode(Sha256::digest(
        std::fs::read(path).expect("read the run file"),
    ))
}

/// A copy of templates/shell-sysadmin/service-config under `dir`, for breaking.
fn copy_template(dir: &Path) -> PathBuf {
    let src = templates().join("shell-sysadmin/service-config");
    let parent = dir.join("tasks/shell-sysadmin");
    std::fs::create_dir_all(&parent).expect("mkdir");
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(&src)
        .arg(&parent)
        .status()
        .expect("cp runs");
    assert!(status.success(), "copying the template failed");
    parent.join("service-config")
}

/// Runs `synth run` with `args` (mini, the given tasks and db unless overridden) and
/// returns its single stderr line; panics unless it failed with exactly one line.
fn one_line(args: &[&str]) -> String {
    let out = synth(args, &[]);
    assert!(!out.status.success(), "expected a failure: {}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
    stderr
}

struct Case<'a> {
    name: &'a str,
    scaffold: PathBuf,
    tasks: PathBuf,
    extra: Vec<String>,
    db: PathBuf,
    expect: Vec<String>,
}

fn check(case: Case<'_>) {
    let mut args: Vec<String> = vec![
        "run".into(),
        "--scaffold".into(),
        case.scaffold.display().to_string(),
        "--tasks".into(),
        case.tasks.display().to_string(),
        "--db".into(),
        case.db.display().to_string(),
        "--no-progress".into(),
    ];
    args.extend(case.extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let line = one_line(&args);
    for want in &case.expect {
        assert!(
            line.contains(want.as_str()),
            "{}: `{want}` not in: {line}",
            case.name
        );
    }
}

#[test]
fn bad_input_gets_one_line_and_the_run_file_stays_untouched() {
    if !docker_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("run.duckdb");
    run_mini(&db, "nop", &["--task", "service-config"], &[]);
    let before = digest(&db);
    let mini = plugin("mini.wasm");
    let tasks = templates();
    let case = |name: &'static str, expect: &[&str]| Case {
        name,
        scaffold: mini.clone(),
        tasks: tasks.clone(),
        extra: vec!["--task".into(), "service-config".into()],
        db: db.clone(),
        expect: expect.iter().map(|s| s.to_string()).collect(),
    };

    // Plugins: a text file, a component of another world, another contract version.
    let notes = dir.path().join("notes.wasm");
    std::fs::write(&notes, "not wasm at all").expect("write");
    check(Case {
        scaffold: notes.clone(),
        ..case(
            "text file as scaffold",
            &["notes.wasm", "not a WebAssembly file"],
        )
    });
    check(Case {
        scaffold: plugin("tests-pass.wasm"),
        ..case("scorer as scaffold", &["tests-pass.wasm", "not a scaffold"])
    });
    check(Case {
        scaffold: plugin("future-contract.wasm"),
        ..case(
            "future contract",
            &[
                "future-contract.wasm",
                "synth:plugin@9.0.0",
                "synth:plugin@0.1.0",
            ],
        )
    });
    check(Case {
        extra: vec!["--scorer".into(), mini.display().to_string()],
        ..case("scaffold as scorer", &["mini.wasm", "not a scorer"])
    });

    // Templates: a YAML syntax error, an unknown field (file, line, field), a missing file.
    let broken = copy_template(&dir.path().join("syntax"));
    let yaml = broken.join("template.yaml");
    let good_yaml = std::fs::read_to_string(&yaml).expect("read yaml");
    std::fs::write(
        &yaml,
        good_yaml.replace("memory_mb: 1024", "memory_mb: [1024"),
    )
    .expect("w");
    check(Case {
        tasks: dir.path().join("syntax/tasks"),
        ..case("yaml syntax", &[&yaml.display().to_string()])
    });
    let unknown = copy_template(&dir.path().join("unknown"));
    let yaml = unknown.join("template.yaml");
    std::fs::write(
        &yaml,
        good_yaml.replace("memory_mb: 1024", "memroy_mb: 1024"),
    )
    .expect("w");
    let line_no = good_yaml
        .lines()
        .position(|l| l.contains("memory_mb"))
        .expect("memory_mb line")
        + 1;
    check(Case {
        tasks: dir.path().join("unknown/tasks"),
        ..case(
            "unknown field",
            &[
                &format!("{}:{line_no}:", yaml.display()),
                "unknown field `memroy_mb`",
            ],
        )
    });
    let missing = copy_template(&dir.path().join("missing"));
    std::fs::remove_file(missing.join("solution/solve.sh")).expect("rm");
    check(Case {
        tasks: dir.path().join("missing/tasks"),
        ..case(
            "missing solution",
            &[
                &missing.join("solution/solve.sh").display().to_string(),
                "missing",
            ],
        )
    });
    check(Case {
        tasks: dir.path().join("nowhere"),
        ..case("missing tasks folder", &["nowhere"])
    });

    // Configuration: the router file with a wrong type, a scaffold configuration that does
    // not match the scaffold's schema, a model string nobody provides.
    let router = dir.path().join("router.toml");
    std::fs::write(
        &router,
        "[providers.local]\nkind = \"openai\"\nbase_url = 8000\n",
    )
    .expect("w");
    check(Case {
        extra: vec!["--config".into(), router.display().to_string()],
        ..case("router wrong type", &["router.toml", "base_url"])
    });
    check(Case {
        extra: vec![
            "--scaffold-config".into(),
            r#"{"timeout_secs": "soon"}"#.into(),
        ],
        ..case(
            "scaffold config wrong type",
            &["--scaffold-config", "mini", "timeout_secs"],
        )
    });
    check(Case {
        extra: vec!["--scaffold-config".into(), r#"{"timeout_secs": 5,"#.into()],
        ..case(
            "scaffold config not JSON",
            &["--scaffold-config", "not valid JSON"],
        )
    });
    check(Case {
        extra: vec!["--scaffold-config".into(), r#"nosuch={"a": 1}"#.into()],
        ..case(
            "scaffold config for an unknown scaffold",
            &["--scaffold-config", "no scaffold is named `nosuch`", "mini"],
        )
    });
    check(Case {
        extra: vec!["--model".into(), "nosuchprovider/model-x".into()],
        ..case("unknown provider", &["nosuchprovider"])
    });
    let script = dir.path().join("replies.jsonl");
    std::fs::write(
        &script,
        "{\"tool\": \"bash\", \"arguments\": {\"command\": \"ls\"}}\n{\"tol\": 1}\n",
    )
    .expect("w");
    check(Case {
        extra: vec!["--model".into(), format!("script:{}", script.display())],
        ..case(
            "script with a bad line",
            &["replies.jsonl:2", "unknown field `tol`"],
        )
    });
    check(Case {
        extra: vec!["--model".into(), "script:/nonexistent/replies.jsonl".into()],
        ..case(
            "missing script",
            &["/nonexistent/replies.jsonl", "cannot read"],
        )
    });
    check(Case {
        extra: vec!["--model".into(), format!("replay:{}", script.display())],
        ..case(
            "replay of a file that is not a run file",
            &["replies.jsonl", "replay"],
        )
    });

    // Run files: a text file, a folder, an unwritable place, a newer schema version.
    let text_db = dir.path().join("notes.duckdb");
    std::fs::write(&text_db, "this is not a database\n").expect("w");
    check(Case {
        db: text_db.clone(),
        ..case("text file as run file", &["notes.duckdb"])
    });
    assert_eq!(
        std::fs::read_to_string(&text_db).expect("read"),
        "this is not a database\n"
    );
    check(Case {
        db: dir.path().to_path_buf(),
        ..case("folder as run file", &[&dir.path().display().to_string()])
    });
    check(Case {
        db: PathBuf::from("/proc/synth-run.duckdb"),
        ..case("unwritable run file", &["/proc/synth-run.duckdb"])
    });
    let newer = dir.path().join("newer.duckdb");
    std::fs::copy(&db, &newer).expect("copy");
    {
        let conn = duckdb::Connection::open(&newer).expect("open");
        conn.execute(
            "UPDATE meta SET value = '999' WHERE key = 'schema_version'",
            [],
        )
        .expect("bump the schema version");
    }
    let newer_digest = digest(&newer);
    check(Case {
        db: newer.clone(),
        ..case("newer schema", &["newer.duckdb", "999"])
    });
    assert_eq!(digest(&newer), newer_digest, "the newer file was modified");

    assert_eq!(digest(&db), before, "the existing run file was modified");
}
