//! A throw-away PostgreSQL cluster for a host test (`tools/pg_cluster.py`), and reading it as an
//! operator would (psycopg through the project's virtualenv).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use super::{host_bin, venv};

/// The project directory.
fn project() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn python() -> PathBuf {
    venv().join("bin").join("python")
}

fn checked(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A running cluster, stopped and removed when dropped.
pub struct Cluster {
    root: PathBuf,
    /// A URL of its database `weatherman` over its Unix socket (no password: local connections
    /// are trusted).
    pub url: String,
}

impl Cluster {
    /// Starts a cluster in a new directory under the system's temporary directory (the server's
    /// user must reach it when the tests run as root).
    pub fn start(name: &str) -> Self {
        let root =
            std::env::temp_dir().join(format!("weatherman-hostpg-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let out = Command::new(python())
            .arg(project().join("tools").join("pg_cluster.py"))
            .arg("start")
            .arg(&root)
            .output()
            .expect("run pg_cluster.py");
        let stdout = checked(out, "pg_cluster.py start");
        let url = stdout.lines().nth(1).expect("the cluster's URL").to_owned();
        Cluster { root, url }
    }

    /// A URL of a new, empty schema of the cluster's database (its `search_path`).
    pub fn schema(&self, name: &str) -> String {
        execute(&self.url, &format!("CREATE SCHEMA {name}"));
        format!("{}&options=-csearch_path%3D{name}", self.url)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(python())
            .arg(project().join("tools").join("pg_cluster.py"))
            .arg("stop")
            .arg(&self.root)
            .output();
    }
}

/// Runs `script` with `url` as `sys.argv[1]` (and `args` after it) and returns its stdout.
fn py(script: &str, url: &str, args: &[&str]) -> String {
    let out = Command::new(python())
        .args(["-c", script, url])
        .args(args)
        .output()
        .expect("run python");
    checked(out, script)
}

/// Runs one statement on the database, bypassing the store.
pub fn execute(url: &str, sql: &str) {
    py(
        "import sys, psycopg\n\
         with psycopg.connect(sys.argv[1], autocommit=True) as c: c.execute(sys.argv[2])",
        url,
        &[sql],
    );
}

/// The rows of a query as JSON arrays (bytea as text).
pub fn query(url: &str, sql: &str, params: &[&str]) -> Vec<Value> {
    let text = py(
        "import sys, json, psycopg\n\
         with psycopg.connect(sys.argv[1]) as c:\n\
         \x20   rows = c.execute(sys.argv[2], sys.argv[3:]).fetchall()\n\
         print(json.dumps([[bytes(v).decode() if isinstance(v, (bytes, memoryview)) else v \
         for v in r] for r in rows]))",
        url,
        &[&[sql], params].concat(),
    );
    match serde_json::from_str(&text).expect("rows json") {
        Value::Array(rows) => rows,
        other => panic!("not rows: {other}"),
    }
}

/// The session's journal as (kind, payload) rows, in order.
pub fn journal(url: &str, session: &str) -> Vec<(String, Vec<u8>)> {
    query(
        url,
        "SELECT kind, payload FROM journal WHERE session_id = %s ORDER BY seq",
        &[session],
    )
    .into_iter()
    .map(|row| {
        (
            row[0].as_str().expect("kind").to_owned(),
            row[1].as_str().expect("payload").as_bytes().to_vec(),
        )
    })
    .collect()
}

/// The `host_sessions` rows (id, last tick) in the order the host started them.
pub fn host_sessions(url: &str) -> Vec<(String, u64)> {
    query(
        url,
        "SELECT session_id, ticks FROM host_sessions ORDER BY rowid",
        &[],
    )
    .into_iter()
    .map(|row| {
        (
            row[0].as_str().expect("id").to_owned(),
            row[1].as_u64().expect("ticks"),
        )
    })
    .collect()
}

/// The last tick the host has planned for `session` (0 before the host tables exist).
pub fn planned_tick(url: &str, session: &str) -> u64 {
    let exists = query(url, "SELECT to_regclass('host_plans') IS NOT NULL", &[]);
    if exists[0][0] != Value::Bool(true) {
        return 0;
    }
    let rows = query(
        url,
        "SELECT COALESCE(MAX(tick), 0) FROM host_plans WHERE session_id = %s",
        &[session],
    );
    rows[0][0].as_u64().expect("tick")
}

/// `weatherman-inventory show --json` of a session, as the operator's command prints it.
pub fn show_json(db: &str, session: &str) -> Value {
    let out = Command::new(python())
        .args(["-m", "weatherman_inventory", "show", "--json", "--db", db])
        .args(["--session", session])
        .output()
        .expect("run show");
    serde_json::from_str(&checked(out, "show --json")).expect("show json")
}

/// The host command on a database named by URL (or path), with `--venv`, `--quiet` and the
/// state directory, plus `args`.
pub fn host(db: &str, state_dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(host_bin());
    cmd.arg("--venv")
        .arg(venv())
        .args(["--db", db])
        .arg("--state-dir")
        .arg(state_dir)
        .arg("--quiet")
        .args(args)
        .env("RUST_LOG", "warn,weatherman_host=info");
    cmd
}
