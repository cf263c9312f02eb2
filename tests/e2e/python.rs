//! The contract is language-neutral: a scaffold written in Python and built with
//! componentize-py (examples/python-agent, built by scripts/test.sh) runs unchanged and
//! solves a template with the oracle.

use crate::common::*;

#[test]
fn python_scaffold_solves_a_template() {
    if !docker_available() {
        return;
    }
    let agent = plugin("python-agent.wasm");
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("python.duckdb");
    run_scaffold(&agent, &db, "oracle", &["--task", "service-config"], &[]);
    let conn = open_db(&db);
    assert_eq!(
        strings(
            &conn,
            "SELECT scaffold || ' ' || status || ' ' || reward::VARCHAR FROM v_episodes"
        ),
        vec!["python-agent completed 1.0".to_string()]
    );
    assert_eq!(
        count(&conn, "SELECT count(*) FROM v_actions WHERE op = 'exec'"),
        1
    );
    assert!(
        leftover_containers(&conn).is_empty(),
        "containers left behind"
    );
}
