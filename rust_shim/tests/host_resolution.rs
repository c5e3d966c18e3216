//! Resolution and redemption in the host: every paper market resolves at a seeded tick, one of
//! them void; the venue cancels what rests there (`CANCELED_MARKET_RESOLVED`); the host redeems
//! what the snapshot says is redeemable and the chain pays `floor(shares * payout)`. A session
//! with a void resolution, a redemption and a FAILED fill runs to `verify` OK with no
//! discrepancy between the legacy map and the inventory.

mod host_support;

use serde_json::Value;

use host_support::{journal, run, scratch};

const SESSION: &str = "resolve-1";

#[test]
fn session_with_a_void_resolution_a_redemption_and_a_failed_fill_verifies() {
    let dir = scratch("resolution");
    let db = dir.join("session.sqlite");
    let (report, out) = run(
        &db,
        &dir.join("report.json"),
        &["--ticks", "120", "--strategy", "rust", "--session", SESSION],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        report["verify"]["ok"], true,
        "{}",
        report["verify"]["output"]
    );
    assert_eq!(report["discrepancies"], 0, "{stdout}");
    assert!(report["fillsFailed"].as_u64().unwrap() >= 1, "{stdout}");
    assert_eq!(report["resolved"], 3);
    assert_eq!(report["resolvedVoid"], 1);
    assert!(
        report["redemptionsConfirmed"].as_u64().unwrap() >= 1,
        "{stdout}"
    );
    assert!(
        stdout.contains("markets resolved: 3 (1 void); redemptions: "),
        "{stdout}"
    );

    let rows: Vec<(String, Value)> = journal(&db, SESSION)
        .into_iter()
        .map(|(kind, p)| (kind, serde_json::from_slice(&p).expect("payload")))
        .collect();
    let of = |kind: &str| -> Vec<&Value> {
        rows.iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, p)| p)
            .collect()
    };
    let resolved = of("market_resolved");
    assert_eq!(resolved.len(), 3);
    let void: Vec<&&Value> = resolved
        .iter()
        .filter(|p| p[1] == 500_000 && p[2] == 500_000)
        .collect();
    assert_eq!(void.len(), 1, "{resolved:?}");
    // What each confirmed redemption paid is what the report counts, to the micro-dollar.
    let paid: i64 = of("redemption_confirmed")
        .iter()
        .map(|p| p[1].as_i64().expect("paid"))
        .sum();
    assert_eq!(report["redeemedMicro"].as_i64().unwrap(), paid);
    // The void market's redemption paid half a dollar a share: positive, and no anomaly says
    // it paid another amount than its shares are worth.
    let void_condition = void[0][0].clone();
    assert!(of("redemption_confirmed")
        .iter()
        .any(|p| p[0] == void_condition && p[1].as_i64().unwrap() > 0));
    let anomalies = report["anomalies"].as_array().expect("anomalies");
    assert!(
        anomalies.iter().all(|a| !a
            .as_str()
            .unwrap()
            .starts_with("redemption_amount_mismatch")),
        "{anomalies:?}"
    );
    // Every resolved market's tokens were redeemed: nothing is left held.
    let tokens = report["finalInventory"]["tokens"]
        .as_object()
        .expect("tokens");
    for (token, position) in tokens {
        assert_eq!(position["qty"].as_f64(), Some(0.0), "{token} still held");
        assert!(position.get("payout").is_some(), "{token} has no payout");
    }
}
