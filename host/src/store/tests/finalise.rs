//! The final row ends its attempt: `attempts.status` turns terminal in the same transaction
//! that appends the `episodes` row, so no crash can leave one without the other.

use super::*;

#[tokio::test]
async fn the_final_row_alone_ends_its_attempt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db(&dir);
    let (store, writer) = Store::open(&path).await.expect("open");
    writer.send(Event::RunStarted(run_row()));
    // Everything of the attempt but its AttemptEnded: flow sends no AttemptEnded for a
    // terminal status.
    let events: Vec<Event> = attempt_events("ep-1", "at-1")
        .into_iter()
        .filter(|e| !matches!(e, Event::AttemptEnded(_)))
        .collect();
    for ev in events {
        writer.send(ev);
    }
    writer.flush().await.expect("flush");
    assert_eq!(
        cell(
            &store,
            "SELECT status || ' ' || coalesce(ended_at::VARCHAR, 'NULL') FROM attempts"
        )
        .await,
        "running NULL"
    );
    assert_eq!(cell(&store, "SELECT count(*) FROM v_attempts").await, "0");

    let mut last = episode("ep-1", "at-1", Status::Truncated);
    last.termination = Some("step_limit".into());
    writer.send(Event::EpisodeFinal(last));
    writer.flush().await.expect("flush");
    assert_eq!(
        cell(
            &store,
            "SELECT status || ' ' || termination || ' ' || (ended_at = (SELECT ended_at FROM episodes))::VARCHAR \
             || ' ' || coalesce(error, 'NULL') FROM v_attempts"
        )
        .await,
        "truncated step_limit true NULL"
    );
    assert_eq!(
        store.done_keys().await.expect("keys"),
        HashSet::from(["ep-1".to_string()])
    );
    store.close().await.expect("close");
}
