//! SIGKILL the host mid-session, resume, and end exactly where an uninterrupted run ends.

mod host_support;

use std::time::Duration;

use host_support::{
    assert_resumed_as_uninterrupted, host, journal, kill_at, outcome, run, scratch,
};

#[test]
fn a_session_killed_five_times_resumes_to_exactly_the_uninterrupted_result() {
    let dir = scratch("kill");
    let common = ["--ticks", "200", "--seed", "5", "--session", "killed"];

    let straight_db = dir.join("straight.sqlite");
    let (straight, _) = run(&straight_db, &dir.join("straight.json"), &common);
    assert_eq!(straight["verify"]["ok"], true);

    let db = dir.join("killed.sqlite");
    let (first, _) = kill_at(&db, &common, "killed", 30, Duration::ZERO);
    let mut killed_at = vec![first];
    let resume = ["--resume", "--session", "killed"];
    // Kill at varied instants inside ticks: mid-phase, between a step's row and its event.
    for (n, at) in [60, 95, 130, 170].into_iter().enumerate() {
        let before = journal(&db, "killed").len();
        let delay = Duration::from_micros(1_900 * n as u64 + 300);
        let (tick, logged) = kill_at(&db, &resume, "killed", at, delay);
        assert!(logged.contains("resuming killed at tick"), "{logged}");
        eprintln!(
            "{}",
            logged
                .lines()
                .find(|l| l.contains("resuming"))
                .unwrap_or("")
        );
        assert!(
            journal(&db, "killed").len() > before,
            "the resumed run made progress"
        );
        killed_at.push(tick);
    }
    assert!(
        killed_at.iter().all(|&t| t < 200),
        "killed mid-session: {killed_at:?}"
    );

    let (resumed, out) = run(&db, &dir.join("resumed.json"), &resume);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("resuming killed at tick"), "{stderr}");
    assert_eq!(resumed["discrepancies"], 0);
    // No event lost, none applied twice: the journal is the uninterrupted run's, event for
    // event, and so is the final inventory.
    assert_resumed_as_uninterrupted(&resumed, 200, (&db, &straight_db), &straight, "killed");
}

/// The steps the host recorded as sent in its last plan, each with its journal position.
fn last_plan_steps(db: &std::path::Path, session: &str) -> Vec<(i64, i64)> {
    let conn = rusqlite::Connection::open(db).expect("open db");
    let mut stmt = conn
        .prepare(
            "SELECT idx, seq_before FROM host_steps WHERE session_id = ?1 AND (tick, phase) = \
             (SELECT tick, phase FROM host_plans WHERE session_id = ?1 \
              ORDER BY tick DESC, phase DESC LIMIT 1) ORDER BY idx",
        )
        .expect("prepare");
    let rows = stmt
        .query_map([session], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("query")
        .collect::<Result<Vec<_>, _>>()
        .expect("rows");
    rows
}

#[test]
fn a_phase_whose_batch_the_store_refused_is_applied_again_from_its_start_at_resume() {
    let dir = scratch("refused-phase");
    let common = ["--ticks", "60", "--seed", "5", "--session", "phase"];
    let straight_db = dir.join("straight.sqlite");
    let (straight, _) = run(&straight_db, &dir.join("straight.json"), &common);

    let db = dir.join("phase.sqlite");
    let first: Vec<&str> = common
        .iter()
        .copied()
        .chain(["--stop-after", "20"])
        .collect();
    let (code, _, stderr) = outcome(host(&db, &first));
    assert_eq!(code, Some(130), "{stderr}");
    let before = journal(&db, "phase").len();
    // The store refuses the third event from here on: the phase holding it fails whole.
    let conn = rusqlite::Connection::open(&db).expect("open db");
    conn.execute_batch(&format!(
        "CREATE TRIGGER refuse BEFORE INSERT ON journal WHEN NEW.seq = {} \
         BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
        before + 3
    ))
    .expect("trigger");
    let resume = ["--resume", "--session", "phase"];
    let (code, _, stderr) = outcome(host(&db, &resume));
    assert_ne!(code, Some(0), "{stderr}");
    assert!(stderr.contains("refused by the test"), "{stderr}");
    // The failed phase wrote no journal row, yet the host recorded the steps it sent, at the
    // journal's position before it.
    let at = journal(&db, "phase").len();
    assert!(at < before + 3, "{at} events, {before} before");
    let steps = last_plan_steps(&db, "phase");
    assert!(steps.len() >= 3 - (at - before), "{steps:?}");
    assert!(
        steps.iter().all(|&(_, seq)| seq == at as i64),
        "{steps:?} at {at}"
    );

    conn.execute_batch("DROP TRIGGER refuse").expect("drop");
    let (resumed, out) = run(&db, &dir.join("resumed.json"), &resume);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("step 0 (journal at {at})")),
        "{stderr}"
    );
    assert_resumed_as_uninterrupted(&resumed, 60, (&db, &straight_db), &straight, "phase");
}
