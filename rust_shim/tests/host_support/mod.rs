//! Running the `weatherman-host` binary from the host tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod pg;

pub const HOST: &str = env!("CARGO_BIN_EXE_weatherman-host");

/// The host binary under test: `HOST`, or another build named by `WEATHERMAN_HOST_BIN` (to run
/// these tests against an older build of the host).
pub fn host_bin() -> PathBuf {
    std::env::var_os("WEATHERMAN_HOST_BIN")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(HOST))
}

/// The project's virtualenv (`WEATHERMAN_VENV`, else `<project>/.venv`).
pub fn venv() -> PathBuf {
    std::env::var_os("WEATHERMAN_VENV")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv")))
}

/// A fresh directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("host")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The host command with `--venv`, `--db` and `--quiet`, plus `args`.
pub fn host(db: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(host_bin());
    cmd.arg("--venv")
        .arg(venv())
        .arg("--db")
        .arg(db)
        .arg("--quiet")
        .args(args)
        .env("RUST_LOG", "warn,weatherman_host=info");
    cmd
}

/// Runs the host to the end and returns its report; fails the test on a non-zero exit.
pub fn run(db: &Path, report: &Path, args: &[&str]) -> (Value, Output) {
    let out = host(db, args)
        .arg("--report")
        .arg(report)
        .output()
        .expect("run the host");
    assert!(
        out.status.success(),
        "host failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(report).expect("report");
    (serde_json::from_str(&text).expect("report json"), out)
}

/// The session's journal as (kind, payload) rows, in order.
pub fn journal(db: &Path, session: &str) -> Vec<(String, Vec<u8>)> {
    let conn = rusqlite::Connection::open(db).expect("open db");
    let mut stmt = conn
        .prepare("SELECT kind, payload FROM journal WHERE session_id = ?1 ORDER BY seq")
        .expect("prepare");
    let rows = stmt
        .query_map([session], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("query")
        .collect::<Result<Vec<_>, _>>()
        .expect("rows");
    rows
}

/// The session's journal rows as text, comparable across runs: session ids masked, the marks
/// of a `prices_updated` sorted (the shim takes prices as a `HashMap`, whose order differs from
/// process to process and does not matter to the ledger), and the wall-clock time at which a
/// provisional fill was booked (the ledger's clock for stale fills) masked.
pub fn journal_normalised(db: &Path, session: &str) -> Vec<String> {
    normalise_journal(journal(db, session), session)
}

/// `journal_normalised` of rows read elsewhere (a PostgreSQL database: `pg::journal`).
pub fn normalise_journal(rows: Vec<(String, Vec<u8>)>, session: &str) -> Vec<String> {
    rows.into_iter()
        .map(|(kind, payload)| {
            let text = String::from_utf8_lossy(&payload).replace(session, "<session>");
            // buy_filled and sell_filled end with the booking time when they carry a status.
            let booked_at = match kind.as_str() {
                "buy_filled" => 10,
                "sell_filled" => 8,
                _ => usize::MAX,
            };
            if booked_at != usize::MAX {
                let mut value: Value = serde_json::from_str(&text).expect("payload json");
                if let Some(at) = value.get_mut(booked_at) {
                    *at = Value::from("<booked at>");
                }
                return format!("{kind} {value}");
            }
            if kind != "prices_updated" {
                return format!("{kind} {text}");
            }
            let mut value: Value = serde_json::from_str(&text).expect("payload json");
            if let Some(marks) = value.get_mut(0).and_then(Value::as_array_mut) {
                marks.sort_by_key(|m| m[0].as_str().unwrap_or_default().to_owned());
            }
            format!("{kind} {value}")
        })
        .collect()
}

/// Fails with the first difference between two journals, not both whole.
pub fn assert_same_journal(got: &[String], want: &[String]) {
    if let Some(i) = (0..got.len().min(want.len())).find(|&i| got[i] != want[i]) {
        panic!(
            "journals differ at event {}:\n  got  {}\n  want {}",
            i + 1,
            got[i],
            want[i]
        );
    }
    assert_eq!(got.len(), want.len(), "journal lengths differ");
}

/// A resumed session's report against the uninterrupted run of the same session: it reached
/// `last_tick`, verified, and holds the same journal, event for event, and the same final
/// inventory.
pub fn assert_resumed_as_uninterrupted(
    resumed: &Value,
    last_tick: u64,
    (db, straight_db): (&Path, &Path),
    straight: &Value,
    session: &str,
) {
    assert_eq!(resumed["lastTick"], last_tick);
    assert_eq!(
        resumed["verify"]["ok"], true,
        "{}",
        resumed["verify"]["output"]
    );
    assert_same_journal(
        &journal_normalised(db, session),
        &journal_normalised(straight_db, session),
    );
    assert_eq!(resumed["finalInventory"], straight["finalInventory"]);
}

/// How the session's last writer left it (`writers.state`: writing, stopped, ended).
pub fn writer_state(db: &Path, session: &str) -> String {
    let conn = rusqlite::Connection::open(db).expect("open db");
    conn.query_row(
        "SELECT state FROM writers WHERE session_id = ?1",
        [session],
        |row| row.get(0),
    )
    .expect("writers row")
}

/// The last tick the host has planned for `session` in `db` (0 before the host tables exist).
pub fn planned_tick(db: &Path, session: &str) -> u64 {
    let Ok(conn) = rusqlite::Connection::open(db) else {
        return 0;
    };
    conn.query_row(
        "SELECT COALESCE(MAX(tick), 0) FROM host_plans WHERE session_id = ?1",
        [session],
        |row| row.get::<_, i64>(0),
    )
    .map(|t| t as u64)
    .unwrap_or(0)
}

/// The `host_sessions` rows of `db` (none when the table is missing), ids in insertion order
/// with their last tick.
pub fn host_sessions(db: &Path) -> Vec<(String, u64)> {
    let conn = rusqlite::Connection::open(db).expect("open db");
    let Ok(mut stmt) = conn.prepare("SELECT session_id, ticks FROM host_sessions ORDER BY rowid")
    else {
        return Vec::new();
    };
    let rows = stmt
        .query_map([], |row| Ok((row.get(0)?, row.get::<_, i64>(1)? as u64)))
        .expect("query")
        .collect::<Result<Vec<_>, _>>()
        .expect("rows");
    rows
}

/// The names of the tables in `db`.
pub fn tables(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).expect("open db");
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .expect("prepare");
    let rows = stmt
        .query_map([], |row| row.get(0))
        .expect("query")
        .collect::<Result<Vec<String>, _>>()
        .expect("rows");
    rows
}

/// Runs `cmd` to its end: (exit code, stdout, stderr).
pub fn outcome(mut cmd: impl std::borrow::BorrowMut<Command>) -> (Option<i32>, String, String) {
    let out = cmd.borrow_mut().output().expect("run the host");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Starts the host (new or resumed) and kills it with SIGKILL `delay` after it has planned
/// `at_tick`; returns the last tick planned and what the host logged.
pub fn kill_at(
    db: &std::path::Path,
    args: &[&str],
    session: &str,
    at_tick: u64,
    delay: Duration,
) -> (u64, String) {
    let log = db.with_extension(format!("{at_tick}.log"));
    let mut child = host(db, args)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let tick = planned_tick(db, session);
        if tick >= at_tick {
            break;
        }
        if let Some(status) = child.try_wait().expect("wait") {
            panic!("the host ended ({status}) before tick {at_tick}");
        }
        assert!(
            Instant::now() < deadline,
            "the host did not reach tick {at_tick}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    std::thread::sleep(delay);
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    (planned_tick(db, session), logged)
}
