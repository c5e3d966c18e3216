//! What the host refuses, and that a refused run leaves the database exactly as it was.

mod host_support;

use std::path::Path;

use rust_decimal::Decimal;
use weatherman_inventory::shim::{self, InventoryManager, MarketIds, SessionSpec, StoreMode};

use host_support::{host, host_sessions, journal, outcome, run, scratch, tables, venv};

/// A session another program opened in `db`, with one market and no events.
fn foreign_session(db: &Path, session: &str) {
    shim::start(Some(&venv())).expect("start");
    let spec = SessionSpec {
        strategy_id: "another-tool".into(),
        config_json: "{}".into(),
        markets: vec![MarketIds {
            market_id: "other-mkt".into(),
            condition_id: "other-cond".into(),
            yes_token_id: "other-yes".into(),
            no_token_id: "other-no".into(),
        }],
    };
    let ledger = InventoryManager::open(db, StoreMode::Live, session, Decimal::from(500), &spec)
        .expect("open");
    ledger.close().expect("close");
}

#[test]
fn a_refused_new_session_writes_no_host_row_and_resume_leaves_a_foreign_session_alone() {
    let dir = scratch("refused-new");
    let db = dir.join("shared.sqlite");
    foreign_session(&db, "other");
    let foreign_journal = journal(&db, "other");

    // An id the ledger already has: refused, with the reason.
    let (code, _, stderr) = outcome(host(&db, &["--session", "other", "--strategy", "rust"]));
    assert_eq!(
        host_sessions(&db),
        Vec::new(),
        "a refused session left its host row"
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("started by another program"), "{stderr}");
    // An empty id: refused before the ledger is asked.
    let (code, _, stderr) = outcome(host(&db, &["--session", "", "--strategy", "rust"]));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("cannot be empty"), "{stderr}");

    assert_eq!(host_sessions(&db), Vec::new(), "no host row");
    assert!(!tables(&db).contains(&"host_plans".to_owned()));

    // Nothing the host started is in the database: --resume has nothing to continue, and the
    // other program's session keeps its empty journal.
    let (code, _, stderr) = outcome(host(&db, &["--resume", "--ticks", "20"]));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("no session started by this host"),
        "{stderr}"
    );
    let (code, _, stderr) = outcome(host(&db, &["--resume", "--session", "other"]));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("not a session this host started"),
        "{stderr}"
    );
    assert_eq!(
        journal(&db, "other"),
        foreign_journal,
        "the foreign journal grew"
    );
    assert_eq!(host_sessions(&db), Vec::new());
}

#[test]
fn a_database_of_another_program_gets_no_host_tables() {
    let dir = scratch("foreign-db");
    let db = dir.join("theirs.sqlite");
    {
        let conn = rusqlite::Connection::open(&db).expect("create");
        conn.execute_batch("CREATE TABLE notes (body TEXT); PRAGMA user_version = 99;")
            .expect("schema");
    }
    let (code, _, stderr) = outcome(host(&db, &["--strategy", "rust", "--ticks", "5"]));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("schema version 99"), "{stderr}");
    assert_eq!(tables(&db), vec!["notes".to_owned()]);
    let version: i64 = rusqlite::Connection::open(&db)
        .expect("open")
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .expect("version");
    assert_eq!(version, 99);
}

/// Runs a 30-tick Rust-strategy session `session` in `db` to its end.
fn finished_session(dir: &Path, db: &Path, session: &str) {
    let (report, _) = run(
        db,
        &dir.join(format!("{session}.json")),
        &[
            "--ticks",
            "30",
            "--seed",
            "5",
            "--strategy",
            "rust",
            "--session",
            session,
        ],
    );
    assert_eq!(report["lastTick"], 30);
}

#[test]
fn resume_after_the_host_history_was_deleted_is_refused_instead_of_replaying_the_session() {
    let dir = scratch("history-gone");
    let db = dir.join("gone.sqlite");
    finished_session(&dir, &db, "gone");
    let events = journal(&db, "gone").len();
    assert!(events > 30, "{events} events");

    // The history cut short: the plans and steps after tick 10 deleted.
    {
        let conn = rusqlite::Connection::open(&db).expect("open");
        conn.execute_batch(
            "DELETE FROM host_plans WHERE tick > 10; DELETE FROM host_steps WHERE tick > 10;",
        )
        .expect("delete");
    }
    let (code, _, stderr) = outcome(host(&db, &["--resume", "--session", "gone"]));
    assert_eq!(
        journal(&db, "gone").len(),
        events,
        "the session was replayed"
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("host_steps records"), "{stderr}");
    assert!(
        stderr.contains(&format!("the ledger's journal holds {events} events")),
        "{stderr}"
    );
    assert_eq!(journal(&db, "gone").len(), events);

    // The history gone entirely.
    {
        let conn = rusqlite::Connection::open(&db).expect("open");
        conn.execute_batch("DELETE FROM host_plans; DELETE FROM host_steps;")
            .expect("delete");
    }
    let (code, _, stderr) = outcome(host(&db, &["--resume", "--session", "gone"]));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("host_steps records 0 steps sent (0 plans in host_plans)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("the ledger's journal holds {events} events")),
        "{stderr}"
    );
    assert_eq!(
        journal(&db, "gone").len(),
        events,
        "the session was replayed"
    );
}

#[test]
fn resume_with_ticks_refused_or_contradicting_the_session_changes_nothing() {
    let dir = scratch("resume-flags");
    let db = dir.join("flags.sqlite");
    finished_session(&dir, &db, "held");
    let events = journal(&db, "held").len();
    let stored = vec![("held".to_owned(), 30)];

    // Another process writes the session: refused with the reason, --ticks not saved.
    shim::start(Some(&venv())).expect("start");
    let holder = InventoryManager::recover(&db, StoreMode::Paper, "held").expect("recover");
    let (code, _, stderr) = outcome(host(
        &db,
        &["--resume", "--session", "held", "--ticks", "60"],
    ));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("SessionLocked"), "{stderr}");
    assert_eq!(host_sessions(&db), stored);
    holder.close().expect("close");

    // A last tick below the tick reached.
    let (code, _, stderr) = outcome(host(
        &db,
        &["--resume", "--session", "held", "--ticks", "20"],
    ));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("it has reached tick 30"), "{stderr}");
    assert!(stderr.contains("--ticks 30 or more"), "{stderr}");
    assert_eq!(host_sessions(&db), stored);

    // Settings that contradict the session's own.
    for (flag, value, shown) in [
        ("--seed", "6", "--seed 6 (the session's is 5)"),
        ("--markets", "4", "--markets 4 (the session's is 3)"),
        (
            "--capital",
            "5000",
            "--capital 5000 (the session's is 1000)",
        ),
        (
            "--strategy",
            "python",
            "--strategy python (the session's is rust)",
        ),
    ] {
        let (code, _, stderr) = outcome(host(&db, &["--resume", "--session", "held", flag, value]));
        assert_eq!(code, Some(2), "{flag}: {stderr}");
        assert!(stderr.contains(shown), "{flag}: {stderr}");
    }
    assert_eq!(host_sessions(&db), stored);
    assert_eq!(journal(&db, "held").len(), events);

    // The same settings spelled out are fine.
    let (code, _, stderr) = outcome(host(
        &db,
        &[
            "--resume",
            "--session",
            "held",
            "--seed",
            "5",
            "--markets",
            "3",
            "--strategy",
            "rust",
            "--ticks",
            "30",
        ],
    ));
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(journal(&db, "held").len(), events);
}

#[test]
fn out_of_range_numeric_flags_are_refused_with_the_range_before_anything_is_written() {
    let dir = scratch("ranges");
    let db = dir.join("never.sqlite");
    let markets = "expected a whole number from 1 to 1000";
    let ticks = "expected a whole number from 1 to 10000000";
    let capital = "expected a whole number from 1 to 999999999";
    for (args, range) in [
        (["--markets", "18446744073709551615"], markets),
        (["--markets", "100000000"], markets),
        (["--markets", "-1"], markets),
        (["--markets", "0"], markets),
        (["--ticks", "18446744073709551615"], ticks),
        (["--ticks", "10000001"], ticks),
        (["--ticks", "-1"], ticks),
        (["--capital", "18446744073709551615"], capital),
        (["--capital", "1000000000"], capital),
        (["--capital", "-1"], capital),
        (
            ["--seed", "-1"],
            "expected a whole number from 0 to 18446744073709551615",
        ),
    ] {
        let (code, _, stderr) = outcome(host(&db, &args));
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(range), "{args:?}: {stderr}");
        assert!(!db.exists(), "{args:?} left a database");
    }
}

#[test]
fn a_report_into_a_missing_directory_is_refused_before_the_session_runs() {
    let dir = scratch("report-dir");
    let db = dir.join("never.sqlite");
    let report = dir.join("missing").join("report.json");
    let (code, _, stderr) = outcome(
        host(&db, &["--strategy", "rust", "--ticks", "20"])
            .arg("--report")
            .arg(&report),
    );
    assert!(
        !db.exists(),
        "the session ran before the report was checked"
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("no directory"), "{stderr}");
}

#[test]
fn quiet_prints_no_info_line_only_errors_and_the_summary() {
    let dir = scratch("quiet");
    let db = dir.join("quiet.sqlite");
    let (code, stdout, stderr) =
        outcome(host(&db, &["--strategy", "rust", "--ticks", "10"]).env_remove("RUST_LOG"));
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stderr, "", "--quiet printed to stderr");
    assert!(stdout.contains("verify: OK"), "{stdout}");
}
