//! Unit tests of template loading, validation, expansion, rendering and hashing.
//! They build template folders in temporary directories; the last ones load the repo's own
//! templates/ folder so a broken shipped template fails here first.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::*;

const GOOD: &str = "\
id: demo
category: cat
difficulty: easy
instruction: |
  Summarise with delimiter {{ delimiter }} and width {{width}}.
environment:
  setup:
    - echo hi
parameters:
  delimiter: [\",\", \";\"]
  width: [10, 20, 30]
";

/// Writes a complete template folder `<root>/cat/demo/` with the given YAML.
fn write_template(root: &Path, yaml: &str) -> PathBuf {
    let dir = root.join("cat").join("demo");
    fs::create_dir_all(dir.join("environment/src")).unwrap();
    fs::create_dir_all(dir.join("tests")).unwrap();
    fs::create_dir_all(dir.join("solution")).unwrap();
    fs::write(dir.join("template.yaml"), yaml).unwrap();
    fs::write(dir.join("environment/src/app.py"), "print('hi')\n").unwrap();
    fs::write(
        dir.join("tests/test_app.py"),
        "def test_x():\n    assert False\n",
    )
    .unwrap();
    fs::write(dir.join("solution/solve.sh"), "echo solved\n").unwrap();
    dir
}

fn load_err(yaml: &str) -> (String, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = write_template(tmp.path(), yaml);
    let err = load_dir(tmp.path()).unwrap_err().to_string();
    (err, dir.join("template.yaml"))
}

#[test]
fn loads_with_defaults() {
    let tmp = tempfile::tempdir().unwrap();
    let yaml = "id: demo\ncategory: cat\ndifficulty: hard\ninstruction: Do it.\n";
    let dir = write_template(tmp.path(), yaml);
    let ts = load_dir(tmp.path()).unwrap();
    assert_eq!(ts.len(), 1);
    let t = &ts[0];
    assert_eq!(t.dir, dir);
    assert_eq!(t.environment, Environment::default());
    assert_eq!(t.environment.image, "synth-base:bookworm");
    assert!(!t.environment.network);
    assert_eq!(t.environment.memory_mb, 2048);
    assert_eq!(t.environment.pids, 256);
    assert_eq!(t.environment.workspace_mb, None);
    assert_eq!(t.environment.memory_bytes(), 2048 * 1024 * 1024);
    assert_eq!(t.environment.workspace_bytes(), 1024 * 1024 * 1024);
    assert_eq!(t.environment.nano_cpus(), 1_000_000_000);
    assert_eq!(t.tests.command, DEFAULT_TEST_COMMAND);
    assert_eq!(t.tests.timeout_secs, 300);
    assert_eq!(t.limits.max_steps, 30);
    assert_eq!(t.limits.max_seconds, 1800);
    assert!(t.parameters.is_empty());
    assert_eq!(t.source_hash.len(), 64);
    // A single template folder is accepted as the root too.
    assert_eq!(load_dir(&dir).unwrap()[0].id, "demo");
}

#[test]
fn unknown_field_names_file_line_and_field() {
    let yaml = "id: demo\ncategory: cat\ndifficulty: easy\ninstruction: x\nenvironment:\n  image: a\n  memroy_mb: 5\n";
    let (err, file) = load_err(yaml);
    let prefix = format!("{}:7:3: ", file.display());
    assert!(err.starts_with(&prefix), "{err}");
    assert!(err.contains("unknown field `memroy_mb`"), "{err}");
    assert!(err.contains("environment"), "{err}");
    assert!(!err.contains('\n'), "{err}");

    let (err, file) =
        load_err("id: demo\ncategory: cat\nfoo: 1\ndifficulty: easy\ninstruction: x\n");
    assert!(
        err.starts_with(&format!("{}:3:1: unknown field `foo`", file.display())),
        "{err}"
    );
}

#[test]
fn syntax_error_names_file_and_line() {
    let (err, file) = load_err("id: demo\ncategory: [cat\ndifficulty: easy\n");
    assert!(err.starts_with(&format!("{}:", file.display())), "{err}");
    let line: usize = err[file.display().to_string().len() + 1..]
        .split(':')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("no line number in {err}"));
    assert!(line >= 2, "{err}");
    assert!(!err.contains('\n'), "{err}");
}

#[test]
fn wrong_type_and_missing_field_are_located() {
    let (err, file) = load_err(
        "id: demo\ncategory: cat\ndifficulty: easy\ninstruction: x\nlimits:\n  max_steps: lots\n",
    );
    assert!(err.starts_with(&format!("{}:6:", file.display())), "{err}");
    assert!(err.contains("max_steps"), "{err}");
    let (err, _) = load_err("id: demo\ncategory: cat\ndifficulty: easy\n");
    assert!(err.contains("missing field `instruction`"), "{err}");
}

#[test]
fn missing_files_name_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = write_template(tmp.path(), GOOD);
    fs::remove_file(dir.join("solution/solve.sh")).unwrap();
    let err = load_dir(tmp.path()).unwrap_err().to_string();
    assert!(
        err.starts_with(&dir.join("solution/solve.sh").display().to_string()),
        "{err}"
    );
    assert!(!err.contains('\n'));

    fs::write(dir.join("solution/solve.sh"), "true\n").unwrap();
    fs::remove_dir_all(dir.join("tests")).unwrap();
    let err = load_dir(tmp.path()).unwrap_err().to_string();
    assert!(
        err.contains(&dir.join("tests").display().to_string()),
        "{err}"
    );

    fs::create_dir(dir.join("tests")).unwrap();
    let err = load_dir(tmp.path()).unwrap_err().to_string();
    assert!(err.contains("sealed test file"), "{err}");

    fs::write(dir.join("tests/test_a.py"), "").unwrap();
    fs::remove_dir_all(dir.join("environment")).unwrap();
    let err = load_dir(tmp.path()).unwrap_err().to_string();
    assert!(
        err.contains(&dir.join("environment").display().to_string()),
        "{err}"
    );
}

#[test]
fn validation_rejects_bad_values() {
    let base = "category: cat\ndifficulty: easy\ninstruction: x\n";
    let cases: &[(&str, &str)] = &[
        ("id: Demo\n", "id `Demo`"),
        ("id: demo\ndifficulty2: x\n", "unknown field `difficulty2`"),
        ("id: demo\nlimits:\n  max_steps: 0\n", "limits.max_steps"),
        (
            "id: demo\nlimits:\n  max_seconds: 0\n",
            "limits.max_seconds",
        ),
        ("id: demo\nenvironment:\n  cpus: 0\n", "environment.cpus"),
        (
            "id: demo\nenvironment:\n  memory_mb: 0\n",
            "environment.memory_mb",
        ),
        (
            "id: demo\nenvironment:\n  workspace_mb: 0\n",
            "environment.workspace_mb",
        ),
        (
            "id: demo\nenvironment:\n  workspace_mb: 9999999999\n",
            "environment.workspace_mb",
        ),
        (
            "id: demo\nenvironment:\n  memory_mb: 512\n  workspace_mb: 1024\n",
            "environment.workspace_mb must be between 1 and environment.memory_mb (512)",
        ),
        (
            "id: demo\ntests:\n  timeout_secs: 0\n",
            "tests.timeout_secs",
        ),
        (
            "id: demo\nparameters:\n  Bad-Name: [1]\n",
            "parameter name `Bad-Name`",
        ),
        ("id: demo\nparameters:\n  n: []\n", "has no values"),
        ("id: demo\nparameters:\n  n: [1, 1]\n", "repeated"),
        (
            "id: demo\nparameters:\n  n: [[1]]\n",
            "not a string, number or boolean",
        ),
        ("id: demo\nparameters:\n  n: [\"a\\nb\"]\n", "line break"),
        (
            "id: demo\nparameters:\n  n: [.nan]\n",
            "not a string, number",
        ),
        ("id: demo\nparameters:\n  n: [~]\n", "not a string, number"),
        ("id: demo\ncanary: short\n", "canary"),
        ("id: other\n", "differs from its folder name"),
    ];
    for (extra, want) in cases {
        let (err, file) = load_err(&format!("{extra}{base}"));
        assert!(err.contains(want), "{extra:?}: {err}");
        assert!(err.starts_with(&file.display().to_string()), "{err}");
    }
    let (err, file) = load_err(&GOOD.replace("difficulty: easy", "difficulty: extreme"));
    assert!(
        err.starts_with(&format!("{}:3:1: difficulty `extreme`", file.display())),
        "{err}"
    );
    let (err, file) = load_err(&format!("id: demo\n{base}limits:\n  max_steps: 0\n"));
    assert!(
        err.starts_with(&format!("{}:6:3:", file.display())),
        "{err}"
    );
    let (err, _) = load_err(&GOOD.replace("category: cat", "category: other"));
    assert!(err.contains("parent folder"), "{err}");
}

#[test]
fn unknown_placeholder_is_a_load_error() {
    let yaml = GOOD.replace("{{width}}", "{{ height }}");
    let (err, file) = load_err(&yaml);
    assert!(err.starts_with(&format!("{}:5:", file.display())), "{err}");
    assert!(err.contains("height"), "{err}");
}

#[test]
fn expansion_counts_ids_and_rendering() {
    let tmp = tempfile::tempdir().unwrap();
    write_template(tmp.path(), GOOD);
    let t = Arc::new(load_dir(tmp.path()).unwrap().remove(0));
    assert_eq!(t.instance_count(), 6);
    let instances = expand(&t);
    assert_eq!(instances.len(), 6);
    let mut ids: Vec<&str> = instances.iter().map(|i| i.instance_id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 6);
    for i in &instances {
        let suffix = i.instance_id.strip_prefix("demo-").unwrap();
        assert_eq!(suffix.len(), 8);
        assert!(suffix.bytes().all(|b| b.is_ascii_hexdigit()));
        let want = hex::encode(Sha256::digest(canonical_json(&serde_json::Value::Object(
            i.parameters.clone(),
        ))));
        assert_eq!(suffix, &want[..8]);
    }
    let first = &instances[0];
    assert_eq!(
        canonical_json(&serde_json::Value::Object(first.parameters.clone())),
        r#"{"delimiter":",","width":10}"#
    );
    assert_eq!(
        first.instruction,
        "Summarise with delimiter , and width 10.\n"
    );
    assert_eq!(
        instances[5].instruction,
        "Summarise with delimiter ; and width 30.\n"
    );
    assert_eq!(
        first.test_env(),
        vec![
            (
                "PATH".to_string(),
                "/usr/local/bin:/usr/bin:/bin".to_string()
            ),
            ("HOME".to_string(), "/tmp".to_string()),
            ("SYNTH_PARAM_DELIMITER".to_string(), ",".to_string()),
            ("SYNTH_PARAM_WIDTH".to_string(), "10".to_string()),
        ]
    );
    let spec = first.image_spec();
    assert_eq!(spec.context_dir, t.dir.join("environment"));
    assert_eq!(spec.base_image, DEFAULT_IMAGE);
    assert_eq!(spec.setup, vec!["echo hi".to_string()]);
    assert_eq!(spec.workspace, WORKSPACE);
    assert_eq!(spec.env.len(), 2);
    assert_eq!(first.solution().unwrap(), "echo solved\n");
    assert_eq!(first.tests_dir(), t.dir.join("tests"));
    // Distinct parameters give distinct content hashes and default canaries.
    assert_ne!(instances[0].content_hash, instances[1].content_hash);
    assert_ne!(instances[0].canary, instances[1].canary);
    let c = &first.canary;
    assert!(c.starts_with("SYNTH-CANARY-") && c.len() == 13 + 16, "{c}");
    assert_eq!(*c, default_canary(&first.content_hash));
}

#[test]
fn no_parameters_means_one_instance_named_like_the_template() {
    let tmp = tempfile::tempdir().unwrap();
    let yaml = "id: demo\ncategory: cat\ndifficulty: medium\ninstruction: '{{ not a placeholder }} {{}}'\ncanary: MY-CANARY-1234\n";
    write_template(tmp.path(), yaml);
    let t = Arc::new(load_dir(tmp.path()).unwrap().remove(0));
    let instances = expand(&t);
    assert_eq!(instances.len(), 1);
    assert_eq!(instances[0].instance_id, "demo");
    assert_eq!(instances[0].canary, "MY-CANARY-1234");
    assert_eq!(instances[0].instruction, "{{ not a placeholder }} {{}}");
    assert!(instances[0].test_env().len() == 2);
}

#[test]
fn content_hash_follows_every_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = write_template(tmp.path(), GOOD);
    let hash = |root: &Path| {
        let t = Arc::new(load_dir(root).unwrap().remove(0));
        (t.source_hash.clone(), expand(&t)[0].content_hash.clone())
    };
    let (src0, inst0) = hash(tmp.path());
    assert_eq!(hash(tmp.path()), (src0.clone(), inst0.clone()), "stable");

    fs::write(
        dir.join("tests/test_app.py"),
        "def test_x():\n    assert True\n",
    )
    .unwrap();
    let (src1, inst1) = hash(tmp.path());
    assert_ne!(src1, src0);
    assert_ne!(inst1, inst0);

    fs::write(dir.join("solution/solve.sh"), "echo other\n").unwrap();
    let (src2, _) = hash(tmp.path());
    assert_ne!(src2, src1);

    fs::write(dir.join("environment/src/new.txt"), "x").unwrap();
    let (src3, _) = hash(tmp.path());
    assert_ne!(src3, src2);

    use std::os::unix::fs::PermissionsExt;
    let app = dir.join("environment/src/app.py");
    fs::set_permissions(&app, fs::Permissions::from_mode(0o755)).unwrap();
    let (src4, _) = hash(tmp.path());
    assert_ne!(src4, src3, "executable bit counts");

    fs::write(dir.join("template.yaml"), format!("{GOOD}# comment\n")).unwrap();
    let (src5, _) = hash(tmp.path());
    assert_ne!(src5, src4);
}

#[test]
fn duplicate_ids_and_empty_trees_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let err = load_dir(tmp.path()).unwrap_err().to_string();
    assert!(err.contains("no task templates"), "{err}");
    write_template(tmp.path(), GOOD);
    let other = tmp.path().join("other");
    write_template(&other, GOOD);
    let err = load_dir(tmp.path()).unwrap_err().to_string();
    assert!(err.contains("used twice"), "{err}");
    let err = load_dir(&tmp.path().join("missing"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing"), "{err}");
}

#[test]
fn placeholder_scanning() {
    assert_eq!(
        placeholders("a {{ x }} b {{y}} {{ a b }} {{ {{z}}"),
        vec!["x", "y", "z"]
    );
    let mut p = serde_json::Map::new();
    p.insert("x".into(), serde_json::json!("v"));
    p.insert("b".into(), serde_json::json!(true));
    assert_eq!(render("{{x}}-{{ b }}-{{ c }}", &p), "v-true-{{ c }}");
}

/// The repo's shipped templates load, expand, and keep their canary only in the sealed tests.
#[test]
fn shipped_templates_are_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates");
    if !root.is_dir() {
        panic!("{} is missing", root.display());
    }
    let templates = load_dir(&root).unwrap_or_else(|e| panic!("{e}"));
    assert!(templates.len() >= 3, "at least three templates");
    let mut categories: Vec<&str> = templates.iter().map(|t| t.category.as_str()).collect();
    categories.dedup();
    assert!(categories.len() >= 3, "three different kinds");
    for t in templates {
        let canary = t
            .canary
            .clone()
            .unwrap_or_else(|| panic!("{}: shipped templates set a canary", t.id));
        let mut in_tests = false;
        for (sub, allowed) in [("environment", false), ("solution", false), ("tests", true)] {
            let mut files = Vec::new();
            walk(&t.dir.join(sub), &mut files);
            for f in files {
                let text = fs::read(&f).unwrap();
                let found = text.windows(canary.len()).any(|w| w == canary.as_bytes());
                assert!(allowed || !found, "canary leaks in {}", f.display());
                in_tests |= found;
            }
        }
        assert!(in_tests, "{}: canary appears in no sealed test file", t.id);
        let t = Arc::new(t);
        for i in expand(&t) {
            assert!(!i.instruction.contains("{{"), "{}", i.instance_id);
            assert!(!i.instruction.contains(&canary));
        }
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}
