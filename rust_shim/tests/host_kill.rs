//! SIGKILL the host mid-session, resume, and end exactly where an uninterrupted run ends.

mod host_support;

use std::time::Duration;

use host_support::{assert_resumed_as_uninterrupted, journal, kill_at, run, scratch};

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
