//! Running the `weatherman-host` binary from the host tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub const HOST: &str = env!("CARGO_BIN_EXE_weatherman-host");

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
    let mut cmd = Command::new(HOST);
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

/// The session's journal rows as text, comparable across runs: session ids masked, and the
/// marks of a `prices_updated` sorted (the shim takes prices as a `HashMap`, whose order
/// differs from process to process and does not matter to the ledger).
pub fn journal_normalised(db: &Path, session: &str) -> Vec<String> {
    journal(db, session)
        .into_iter()
        .map(|(kind, payload)| {
            let text = String::from_utf8_lossy(&payload).replace(session, "<session>");
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
