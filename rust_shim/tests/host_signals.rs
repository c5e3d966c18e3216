//! Ctrl-C and SIGTERM: the host stops after the tick in progress, exits 130 and says how to
//! continue; the continued session ends with the journal of an uninterrupted one.

mod host_support;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use host_support::{assert_resumed_as_uninterrupted, host, planned_tick, run, scratch};

/// Starts the host in a process group of its own (as a terminal runs a command), waits until
/// it has planned `at_tick`, sends `signals` to the whole group, and returns the exit code and
/// what the host printed on stderr.
fn interrupt(
    db: &Path,
    args: &[&str],
    session: &str,
    at_tick: u64,
    signals: &[i32],
) -> (Option<i32>, String) {
    let log = db.with_extension("log");
    let mut child = host(db, args)
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(120);
    while planned_tick(db, session) < at_tick {
        if let Some(status) = child.try_wait().expect("wait") {
            panic!("the host ended ({status}) before tick {at_tick}");
        }
        assert!(
            Instant::now() < deadline,
            "the host did not reach tick {at_tick}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let group = -(child.id() as i32);
    for &signal in signals {
        // SAFETY: kill(2) with a process group id and a signal number; no memory is shared.
        assert_eq!(unsafe { libc::kill(group, signal) }, 0, "kill");
    }
    let status = child.wait().expect("reap");
    (
        status.code(),
        std::fs::read_to_string(&log).unwrap_or_default(),
    )
}

/// The command the host printed to continue the session.
fn printed_command(stderr: &str) -> String {
    let mut lines = stderr.lines();
    lines
        .find(|l| l.ends_with("Continue it with:"))
        .unwrap_or_else(|| panic!("no resume command in:\n{stderr}"));
    lines.next().expect("the command").trim().to_owned()
}

/// Runs the printed command (plus `--quiet --report`) through the shell and returns the report.
fn run_printed(command: &str, report: &Path) -> Value {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("{command} --quiet --report '{}'", report.display()))
        .output()
        .expect("sh");
    assert!(
        out.status.success(),
        "{command}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(report).expect("report")).expect("json")
}

#[test]
fn ctrl_c_to_the_process_group_with_the_ts_strategy_exits_130_and_resumes_to_the_uninterrupted_journal(
) {
    let dir = scratch("sigint");
    let args = [
        "--ticks",
        "300",
        "--seed",
        "8",
        "--strategy",
        "ts",
        "--session",
        "sig",
    ];
    let straight_db = dir.join("straight.sqlite");
    let (straight, _) = run(&straight_db, &dir.join("straight.json"), &args);

    let db = dir.join("interrupted.sqlite");
    let (code, stderr) = interrupt(&db, &args, "sig", 60, &[libc::SIGINT]);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(!stderr.contains("node exited"), "{stderr}");
    assert!(
        stderr.contains("SIGINT: session sig stopped after tick"),
        "{stderr}"
    );
    let stopped = planned_tick(&db, "sig");
    assert!((60..300).contains(&stopped), "stopped at {stopped}");
    let command = printed_command(&stderr);
    assert!(command.contains("--resume"), "{command}");
    assert!(command.contains("--session sig"), "{command}");

    let resumed = run_printed(&command, &dir.join("resumed.json"));
    assert_eq!(resumed["discrepancies"], 0);
    assert_resumed_as_uninterrupted(&resumed, 300, (&db, &straight_db), &straight, "sig");
}

#[test]
fn sigterm_and_a_doubled_ctrl_c_exit_130_and_resume_to_the_uninterrupted_journal() {
    let dir = scratch("sigterm");
    let args = [
        "--ticks",
        "400",
        "--seed",
        "9",
        "--strategy",
        "rust",
        "--session",
        "term",
    ];
    let straight_db = dir.join("straight.sqlite");
    let (straight, _) = run(&straight_db, &dir.join("straight.json"), &args);

    for (name, signals) in [
        ("sigterm", vec![libc::SIGTERM]),
        ("twice", vec![libc::SIGINT, libc::SIGINT]),
    ] {
        let db = dir.join(format!("{name}.sqlite"));
        let (code, stderr) = interrupt(&db, &args, "term", 50, &signals);
        assert_eq!(code, Some(130), "{name}: {stderr}");
        let stopped = planned_tick(&db, "term");
        assert!((50..400).contains(&stopped), "{name}: stopped at {stopped}");
        if name == "sigterm" {
            assert!(stderr.contains("SIGTERM: session term stopped"), "{stderr}");
        }
        let (resumed, _) = run(
            &db,
            &dir.join(format!("{name}.json")),
            &["--resume", "--session", "term"],
        );
        assert_resumed_as_uninterrupted(&resumed, 400, (&db, &straight_db), &straight, "term");
    }
}
