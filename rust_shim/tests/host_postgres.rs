//! The host on PostgreSQL (`--db postgresql://...`): a session stopped, killed and resumed ends
//! where the uninterrupted SQLite session ends; several hosts share one database; a taken
//! session is refused; a URL with a password is refused before anything runs.
//!
//! Each test starts a throw-away cluster of its own (`tools/pg_cluster.py`).

mod host_support;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use host_support::pg::{self, Cluster};
use host_support::{
    assert_same_journal, journal_normalised, normalise_journal, outcome, run, scratch,
};

fn read_report(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("report")).expect("report json")
}

#[test]
fn a_session_on_postgresql_stopped_and_resumed_is_the_uninterrupted_sqlite_session() {
    let cluster = Cluster::start("resume");
    let dir = scratch("pg-resume");
    let url = cluster.schema("resumed");
    let state = dir.join("state");
    let args = [
        "--ticks",
        "40",
        "--seed",
        "9",
        "--strategy",
        "rust,python",
        "--session",
        "pgs",
    ];

    let straight_db = dir.join("straight.sqlite");
    let (straight, _) = run(&straight_db, &dir.join("straight.json"), &args);
    assert_eq!(straight["verify"]["ok"], true);

    let (code, _, stderr) = outcome(pg::host(
        &url,
        &state,
        &[&args[..], &["--stop-after", "15"]].concat(),
    ));
    assert_eq!(code, Some(130), "{stderr}");
    assert_eq!(pg::planned_tick(&url, "pgs"), 15);
    // The command that continues the session names the URL (quoted for the shell) and the
    // state directory holding the paper venue's account.
    let command = stderr
        .lines()
        .skip_while(|line| !line.contains("Continue it with"))
        .nth(1)
        .expect("the resume command")
        .trim()
        .to_owned();
    assert!(command.contains(&format!("--db '{url}'")), "{command}");
    assert!(command.contains("--state-dir"), "{command}");

    // The printed command, run as printed, finishes the session.
    let report = dir.join("resumed.json");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("{command} --quiet --report '{}'", report.display()))
        .env("RUST_LOG", "warn")
        .output()
        .expect("run the resume command");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let resumed = read_report(&report);
    assert_eq!(resumed["lastTick"], 40);
    assert_eq!(resumed["firstTick"], 16);
    assert_eq!(resumed["db"], url.as_str());
    assert_eq!(
        resumed["verify"]["ok"], true,
        "{}",
        resumed["verify"]["output"]
    );
    // The venue's account was found in the state directory and reconciled.
    assert!(resumed["reconciliation"].is_object(), "{resumed}");

    assert_same_journal(
        &normalise_journal(pg::journal(&url, "pgs"), "pgs"),
        &journal_normalised(&straight_db, "pgs"),
    );
    assert_eq!(resumed["finalInventory"], straight["finalInventory"]);
    assert_eq!(
        pg::show_json(&url, "pgs"),
        pg::show_json(straight_db.to_str().expect("utf-8"), "pgs")
    );
    assert_eq!(pg::host_sessions(&url), vec![("pgs".to_owned(), 40)]);
}

#[test]
fn three_hosts_side_by_side_on_one_postgresql_database_each_finish_their_own_session() {
    let cluster = Cluster::start("side");
    let dir = scratch("pg-side");
    let state = dir.join("state");
    // Three new sessions at once on an empty database: the ledger's schema and the host
    // tables are created by whichever host comes first, the others wait for it.
    let children: Vec<_> = [("1", "rust"), ("2", "python"), ("3", "rust")]
        .into_iter()
        .map(|(seed, strategy)| {
            let report = dir.join(format!("report-{seed}.json"));
            let child = pg::host(
                &cluster.url,
                &state,
                &["--ticks", "30", "--seed", seed, "--strategy", strategy],
            )
            .arg("--report")
            .arg(&report)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
            (child, report)
        })
        .collect();
    let mut ids = BTreeSet::new();
    for (child, report) in children {
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {stderr}", out.status);
        let report = read_report(&report);
        assert_eq!(report["lastTick"], 30);
        assert_eq!(report["discrepancies"], 0);
        assert_eq!(
            report["verify"]["ok"], true,
            "{}",
            report["verify"]["output"]
        );
        let id = report["sessionId"].as_str().expect("id").to_owned();
        assert!(!pg::journal(&cluster.url, &id).is_empty());
        ids.insert(id);
    }
    assert_eq!(ids.len(), 3, "{ids:?}");
    let rows: BTreeSet<String> = pg::host_sessions(&cluster.url)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(rows, ids);
}

#[test]
fn a_second_host_on_a_session_being_written_is_refused_and_resumes_it_once_the_first_died() {
    let cluster = Cluster::start("taken");
    let dir = scratch("pg-taken");
    let state = dir.join("state");
    let url = &cluster.url;
    let args = [
        "--ticks",
        "200",
        "--seed",
        "4",
        "--strategy",
        "rust",
        "--session",
        "taken",
    ];
    let straight_db = dir.join("straight.sqlite");
    let (straight, _) = run(&straight_db, &dir.join("straight.json"), &args);

    let mut first = pg::host(url, &state, &args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(120);
    while pg::planned_tick(url, "taken") < 3 {
        assert!(first.try_wait().expect("wait").is_none(), "the host ended");
        assert!(Instant::now() < deadline, "the host did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Frozen mid-session, holding its claim, so the refusals below meet a writer at work
    // however fast it runs.
    let pid = libc::pid_t::try_from(first.id()).expect("pid");
    // SAFETY: kill(2) on the child this test spawned and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0);

    let (code, _, stderr) = outcome(pg::host(url, &state, &["--resume", "--session", "taken"]));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("session \"taken\" is being written by another process"),
        "{stderr}"
    );
    let (code, _, stderr) = outcome(pg::host(
        url,
        &state,
        &["--session", "taken", "--strategy", "rust"],
    ));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("already exists") && stderr.contains("--resume --session taken"),
        "{stderr}"
    );
    assert!(
        first.try_wait().expect("wait").is_none(),
        "the first host ended"
    );
    assert_eq!(pg::host_sessions(url), vec![("taken".to_owned(), 200)]);

    // The first host dies; its connection goes with it, and so does its claim.
    first.kill().expect("SIGKILL");
    first.wait().expect("reap");
    let report = dir.join("resumed.json");
    let out = pg::host(url, &state, &["--resume", "--session", "taken"])
        .arg("--report")
        .arg(&report)
        .output()
        .expect("resume");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let resumed = read_report(&report);
    assert_eq!(resumed["lastTick"], 200);
    assert_eq!(resumed["verify"]["ok"], true);
    assert_same_journal(
        &normalise_journal(pg::journal(url, "taken"), "taken"),
        &journal_normalised(&straight_db, "taken"),
    );
    assert_eq!(resumed["finalInventory"], straight["finalInventory"]);
}

#[test]
fn a_database_url_with_a_password_is_refused_before_anything_runs() {
    let dir = scratch("pg-password");
    for url in [
        "postgresql://ann:hunter2@/weatherman?host=/nonexistent",
        "postgresql://ann@/weatherman?host=/nonexistent&password=hunter2",
    ] {
        let (code, stdout, stderr) = outcome(pg::host(url, &dir, &["--ticks", "5"]));
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stderr.contains("the URL holds a password"), "{stderr}");
        assert!(stderr.contains("PGPASSWORD"), "{stderr}");
        assert!(!stderr.contains("hunter2") && !stdout.contains("hunter2"));
    }
    assert_eq!(
        std::fs::read_dir(&dir).expect("dir").count(),
        0,
        "nothing written"
    );
}
