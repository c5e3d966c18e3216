//! The reference host end to end: a few hundred ticks with the three strategies.

mod host_support;

use std::collections::BTreeSet;

use serde_json::Value;
use weatherman_inventory::contract::InventoryState;
use weatherman_inventory::shim::{self, InventoryManager, StoreMode};

use host_support::{run, scratch, venv, writer_state};

/// The keys of an object.
fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect()
}

/// Every key of the contract's `InventoryState`, a `TokenPosition` and a `MintedPairBalance`,
/// as the Rust contract types write them.
fn contract_keys() -> (BTreeSet<String>, BTreeSet<String>, BTreeSet<String>) {
    let vector = |name: &str| -> Value {
        let path = format!(
            "{}/../tests/vectors/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let state: InventoryState =
            serde_json::from_str(&std::fs::read_to_string(path).expect("vector")).expect("parse");
        serde_json::to_value(&state).expect("value")
    };
    let value = vector("good_inventory_minted_pairs");
    let first = |value: &Value, key: &str| {
        keys(
            value[key]
                .as_object()
                .expect(key)
                .values()
                .next()
                .expect(key),
        )
    };
    // A token of a resolved market has two keys more (`payout`, `redeemableQty`): the host's
    // markets resolve, so the strategy sees them too.
    let mut token = first(&value, "tokens");
    token.extend(first(&vector("good_inventory_resolved_tokens"), "tokens"));
    (keys(&value), token, first(&value, "mintedPairs"))
}

fn strings(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect()
}

#[test]
fn three_strategies_for_three_hundred_ticks_agree_with_the_legacy_map_and_the_journal() {
    let dir = scratch("e2e");
    let db = dir.join("demo.sqlite");
    let (report, out) = run(
        &db,
        &dir.join("report.json"),
        &["--ticks", "300", "--seed", "11"],
    );
    let table = String::from_utf8_lossy(&out.stdout);

    assert_eq!(report["lastTick"], 300);
    assert_eq!(report["discrepancies"], 0, "{table}");
    assert_eq!(
        report["verify"]["ok"], true,
        "{}",
        report["verify"]["output"]
    );
    assert!(report["fills"].as_u64().expect("fills") >= 100, "{table}");
    assert!(table.contains("verify: OK"), "{table}");
    assert!(table.contains("discrepancies  0"), "{table}");

    // The TypeScript strategy saw every key of the contract in ctx.inventory.
    let (inventory, token, pair) = contract_keys();
    assert_eq!(strings(&report["seen"]["inventory"]), inventory);
    assert_eq!(strings(&report["seen"]["token"]), token);
    assert_eq!(strings(&report["seen"]["mintedPair"]), pair);

    // Minted pairs were made and merged, and the session ended in exit.
    let final_inventory = &report["finalInventory"];
    assert_eq!(final_inventory["exitTriggered"], true);
    let merged: f64 = final_inventory["mintedPairs"]
        .as_object()
        .expect("pairs")
        .values()
        .map(|p| p["totalMerged"].as_f64().expect("merged"))
        .sum();
    assert!(merged > 0.0, "{table}");

    // The host ran its last tick: its writer left the session ended (`fleet` says so).
    let session = report["sessionId"].as_str().expect("session");
    assert_eq!(writer_state(&db, session), "ended");

    // What recovery rebuilds from the database is the final snapshot, exactly.
    shim::start(Some(&venv())).expect("start");
    let mut recovered = InventoryManager::recover(&db, StoreMode::Paper, session).expect("recover");
    let snapshot = recovered.snapshot().expect("snapshot");
    let recovered_value: Value = serde_json::from_str(&snapshot.json).expect("json");
    assert_eq!(&recovered_value, final_inventory);
    recovered.close().expect("close");

    // A second run on the same database is a new session with the same history.
    let (again, _) = run(
        &db,
        &dir.join("again.json"),
        &["--ticks", "300", "--seed", "11"],
    );
    assert_ne!(again["sessionId"], report["sessionId"]);
    assert_eq!(again["finalInventory"], report["finalInventory"]);
    assert_eq!(again["verify"]["ok"], true);
}

#[test]
fn one_strategy_alone_runs_and_the_environment_is_checked_at_start() {
    let dir = scratch("rust-only");
    let db = dir.join("rust.sqlite");
    let (report, _) = run(
        &db,
        &dir.join("report.json"),
        &["--ticks", "40", "--strategy", "rust"],
    );
    assert_eq!(report["discrepancies"], 0);
    assert_eq!(report["verify"]["ok"], true);
    // Without the TypeScript strategy nobody reports keys.
    assert!(strings(&report["seen"]["inventory"]).is_empty());

    let out = std::process::Command::new(host_support::host_bin())
        .args(["--venv", "/nonexistent/venv", "--db"])
        .arg(dir.join("never.sqlite"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/nonexistent/venv"), "{stderr}");
    assert!(stderr.contains("make setup"), "{stderr}");
}

#[test]
fn concurrent_new_sessions_on_one_database_get_distinct_ids() {
    let dir = scratch("concurrent");
    let db = dir.join("shared.sqlite");
    let children: Vec<_> = (0..6)
        .map(|n| {
            let report = dir.join(format!("report-{n}.json"));
            let child = host_support::host(&db, &["--ticks", "20", "--strategy", "python"])
                .arg("--report")
                .arg(&report)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
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
        let report: Value =
            serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("json");
        assert_eq!(report["lastTick"], 20);
        assert_eq!(report["verify"]["ok"], true);
        ids.insert(report["sessionId"].as_str().expect("id").to_owned());
    }
    assert_eq!(ids.len(), 6, "{ids:?}");
    let rows: BTreeSet<String> = host_support::host_sessions(&db)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(rows, ids);
}
