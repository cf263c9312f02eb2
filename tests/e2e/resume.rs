//! Resume: a second run of the same command adds nothing; one more sample adds exactly the
//! new episodes.

use crate::common::*;

#[test]
fn rerun_adds_nothing_and_one_more_sample_adds_exactly_those() {
    if !docker_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("resume.duckdb");
    let filter = ["--task", "csv-report", "--concurrency", "2"];
    run_mini(&db, "nop", &filter, &[]);
    let (episodes, attempts, rows) = {
        let conn = open_db(&db);
        (
            count(&conn, "SELECT count(*) FROM episodes"),
            count(&conn, "SELECT count(*) FROM attempts"),
            count(&conn, "SELECT count(*) FROM llm_calls"),
        )
    };
    assert!(
        episodes >= 2,
        "the csv-report template has at least two instances"
    );

    let out = run_mini(&db, "nop", &filter, &[]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("{episodes} already done")),
        "{}",
        text(&out)
    );
    {
        let conn = open_db(&db);
        assert_eq!(count(&conn, "SELECT count(*) FROM episodes"), episodes);
        assert_eq!(count(&conn, "SELECT count(*) FROM attempts"), attempts);
        assert_eq!(count(&conn, "SELECT count(*) FROM llm_calls"), rows);
        assert_eq!(count(&conn, "SELECT count(*) FROM runs"), 2);
    }

    let mut two = filter.to_vec();
    two.extend_from_slice(&["--samples", "2"]);
    run_mini(&db, "nop", &two, &[]);
    let conn = open_db(&db);
    assert_eq!(count(&conn, "SELECT count(*) FROM episodes"), 2 * episodes);
    assert_eq!(
        count(&conn, "SELECT count(DISTINCT episode_key) FROM episodes"),
        2 * episodes
    );
    assert_eq!(
        count(&conn, "SELECT count(*) FROM episodes WHERE sample = 1"),
        episodes
    );
    assert!(
        leftover_containers(&conn).is_empty(),
        "containers left behind"
    );
}
