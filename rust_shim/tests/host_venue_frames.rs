//! The paper exchange speaks the venue's own messages: every acknowledgement, fill, settlement
//! and cancel reaches the ledger as a user-channel frame through the adapter (one shim call with
//! the raw text), and a resumed host's new adapter carries on from the journal.

mod host_support;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde_json::Value;

use host_support::{assert_resumed_as_uninterrupted, journal, kill_at, run, scratch};

/// The session's journal as (kind, payload) values.
fn events(db: &std::path::Path, session: &str) -> Vec<(String, Value)> {
    journal(db, session)
        .into_iter()
        .map(|(kind, payload)| (kind, serde_json::from_slice(&payload).expect("payload")))
        .collect()
}

/// The fill id of a `buy_filled` or `sell_filled` payload.
fn fill_id<'a>(kind: &str, p: &'a Value) -> Option<&'a str> {
    match kind {
        "buy_filled" => p[7].as_str(),
        "sell_filled" => p[5].as_str(),
        _ => None,
    }
}

/// Whether `id` is the adapter's key of one of our legs: `{trade uuid}/{0x + 64 hex}`.
fn venue_shaped(id: &str) -> bool {
    let Some((trade, order)) = id.split_once('/') else {
        return false;
    };
    let lengths: Vec<usize> = trade.split('-').map(str::len).collect();
    lengths == [8, 4, 4, 4, 12]
        && order.len() == 66
        && order.starts_with("0x")
        && order[2..].chars().all(|c| c.is_ascii_hexdigit())
}

#[test]
fn a_session_fed_only_venue_frames_books_failed_fills_and_ends_verified_with_no_discrepancy() {
    let dir = scratch("frames");
    let db = dir.join("frames.sqlite");
    let (report, out) = run(
        &db,
        &dir.join("report.json"),
        &["--ticks", "200", "--seed", "7", "--session", "frames"],
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        report["verify"]["ok"], true,
        "{}",
        report["verify"]["output"]
    );
    assert_eq!(report["discrepancies"], 0, "{table}");
    let failed = report["fillsFailed"].as_u64().expect("failed");
    assert!(failed >= 1, "{table}");
    // Every fill came from a trade message, every status from the same trade id; the order
    // messages agreed with the ledger's orders and no cancel waited.
    let venue = &report["venue"];
    assert_eq!(venue["fills"], report["fills"], "{table}");
    assert_eq!(
        (venue["checks"].as_u64(), venue["waits"].as_u64()),
        (Some(0), Some(0))
    );
    // Skipped: only the venue's cancels of orders the ledger closed when their market resolved.
    assert_eq!(venue["skips"], report["resolutionCancels"], "{table}");
    assert!(venue["cancels"].as_u64().expect("cancels") > 0);
    assert!(table.contains("venue frames:"), "{table}");

    let journal = events(&db, "frames");
    let mut statuses: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut fills = HashSet::new();
    let mut acknowledged = HashSet::new();
    for (kind, p) in &journal {
        if let Some(id) = fill_id(kind, p) {
            assert!(venue_shaped(id), "{kind} {p}");
            assert_eq!(
                p[p.as_array().expect("row").len() - 2],
                "MATCHED",
                "{kind} {p}"
            );
            // Booked for an order whose venue id was journaled first.
            let order = id.split_once('/').expect("id").1;
            assert!(acknowledged.contains(order), "{kind} {p}");
            fills.insert(id);
        }
        match kind.as_str() {
            "exchange_order_id" => {
                acknowledged.insert(p[1].as_str().expect("venue id"));
            }
            "fill_status" => {
                let id = p[0].as_str().expect("fill id");
                assert!(fills.contains(id), "a status of a booked fill: {p}");
                statuses
                    .entry(id)
                    .or_default()
                    .push(p[1].as_str().expect("status"));
            }
            _ => {}
        }
    }
    assert_eq!(fills.len() as u64, report["fills"].as_u64().expect("fills"));
    // MATCHED, then MINED on the way for some, then CONFIRMED or FAILED, each once.
    let ended_failed = statuses
        .values()
        .filter(|s| s.last() == Some(&"FAILED"))
        .count();
    assert_eq!(ended_failed as u64, failed);
    assert!(statuses
        .values()
        .any(|s| s[..] == ["MINED", "FAILED"] || s[..] == ["FAILED"]));
    for sequence in statuses.values() {
        assert!(
            matches!(
                sequence[..],
                ["CONFIRMED"]
                    | ["FAILED"]
                    | ["MINED", "CONFIRMED"]
                    | ["MINED", "FAILED"]
                    | ["MINED"]
            ),
            "{sequence:?}"
        );
    }
    assert!(
        statuses
            .values()
            .filter(|s| s.first() == Some(&"MINED"))
            .count()
            > 10
    );

    // Orders cancelled after one of their fills FAILED: the venue's `size_matched` still counts
    // the failed trade, the ledger's filled quantity no longer does; the cancel names its trades
    // and is applied at once (no wait above), so nothing stays reserved.
    let venue_id: HashMap<&str, &str> = journal
        .iter()
        .filter(|(k, _)| k == "exchange_order_id")
        .map(|(_, p)| (p[0].as_str().expect("local"), p[1].as_str().expect("venue")))
        .collect();
    let mut failed_orders = HashSet::new();
    let mut cancelled_after_failure = 0;
    for (kind, p) in &journal {
        match kind.as_str() {
            "fill_status" if p[1] == "FAILED" => {
                let id = p[0].as_str().expect("fill id");
                failed_orders.insert(id.split_once('/').expect("id").1);
            }
            "buy_cancelled" | "sell_cancelled" => {
                let order = venue_id[p[0].as_str().expect("local id")];
                cancelled_after_failure += usize::from(failed_orders.contains(order));
            }
            _ => {}
        }
    }
    assert!(cancelled_after_failure >= 1, "{table}");
    assert_eq!(report["finalInventory"]["inFlightUsd"], 0.0, "{table}");
}

#[test]
fn a_resumed_host_maps_venue_order_ids_from_the_journal_and_ends_as_the_uninterrupted_run() {
    let dir = scratch("frames-resume");
    let common = ["--ticks", "150", "--seed", "3", "--session", "resumed"];
    let straight_db = dir.join("straight.sqlite");
    let (straight, _) = run(&straight_db, &dir.join("straight.json"), &common);
    assert_eq!(straight["verify"]["ok"], true);

    let db = dir.join("resumed.sqlite");
    let (tick, _) = kill_at(&db, &common, "resumed", 60, Duration::from_micros(700));
    assert!(tick < 150, "killed at tick {tick}");
    let before = journal(&db, "resumed").len();
    let resume = ["--resume", "--session", "resumed"];
    let (resumed, out) = run(&db, &dir.join("resumed.json"), &resume);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("resuming resumed at tick"), "{stderr}");
    assert_eq!(resumed["discrepancies"], 0);
    assert_eq!(
        (
            resumed["venue"]["checks"].as_u64(),
            resumed["venue"]["waits"].as_u64()
        ),
        (Some(0), Some(0))
    );
    assert_resumed_as_uninterrupted(&resumed, 150, (&db, &straight_db), &straight, "resumed");

    // The resumed run's adapter, new, moved fills booked before the kill and closed orders the
    // venue acknowledged before it: their ids came from the journal.
    let journal = events(&db, "resumed");
    let (old, new) = journal.split_at(before);
    let old_fills: HashSet<&str> = old.iter().filter_map(|(k, p)| fill_id(k, p)).collect();
    let old_orders: HashSet<&str> = old
        .iter()
        .filter(|(k, _)| k == "exchange_order_id")
        .map(|(_, p)| p[0].as_str().expect("local id"))
        .collect();
    assert!(new
        .iter()
        .any(|(k, p)| k == "fill_status" && old_fills.contains(p[0].as_str().expect("id"))));
    assert!(new
        .iter()
        .any(|(k, p)| (k == "buy_cancelled" || k == "sell_cancelled")
            && old_orders.contains(p[0].as_str().expect("local id"))));
}
