//! Resolution and redemption through the shim, against the real Python ledger and a real SQLite
//! file: a void market redeemed at half a dollar a share, a redemption that pays 0, refusals of
//! malformed payouts, and recovery to the same snapshot.

use std::path::PathBuf;

use rust_decimal::Decimal;
use weatherman_inventory::contract::Outcome;
use weatherman_inventory::shim::{
    FillMeta, FillStatus, InventoryManager, SessionSpec, ShimError, StoreMode,
};

mod shim_support;
use shim_support::{dec, start};

fn db(name: &str) -> PathBuf {
    shim_support::db("shim_resolution", name)
}

fn spec() -> SessionSpec {
    shim_support::spec("shim-resolution", ["cond-1", "cond-1", "tok-yes", "tok-no"])
}

/// 100 YES at 40c and 20 NO at 50c, a NO buy of 30 at 45c resting.
fn holdings(mgr: &mut InventoryManager) {
    let fill = |id: &str| FillMeta {
        fill_id: Some(id.into()),
        ..FillMeta::default()
    };
    mgr.on_order_submitted_buy("b-yes", "cond-1", "tok-yes", Outcome::Yes, 100, 40)
        .expect("submit");
    mgr.on_fill_buy_with(
        "b-yes",
        "tok-yes",
        "cond-1",
        Outcome::Yes,
        100,
        dec("0.40"),
        100,
        &fill("f-yes"),
    )
    .expect("fill");
    mgr.on_order_submitted_buy("b-no", "cond-1", "tok-no", Outcome::No, 20, 50)
        .expect("submit");
    mgr.on_fill_buy_with(
        "b-no",
        "tok-no",
        "cond-1",
        Outcome::No,
        20,
        dec("0.50"),
        20,
        &fill("f-no"),
    )
    .expect("fill");
    mgr.on_order_submitted_buy("b-rest", "cond-1", "tok-no", Outcome::No, 30, 45)
        .expect("submit");
}

#[test]
fn a_void_market_redeems_at_half_and_recovers_to_the_same_snapshot() {
    start();
    let path = db("void");
    let mut mgr = InventoryManager::open(&path, StoreMode::Paper, "sess-v", dec("100"), &spec())
        .expect("open");
    holdings(&mut mgr);
    assert!(mgr.can_buy_in("cond-1", 1, 40).expect("can_buy_in"));
    mgr.on_market_resolved("cond-1", [1, 1]).expect("resolve");

    let s = mgr.snapshot().expect("snapshot").state.clone();
    assert_eq!(s.in_flight_usd, 0.0, "the resting buy is cancelled");
    let yes = &s.tokens["tok-yes"];
    assert_eq!(
        (yes.payout, yes.redeemable_qty, yes.current_price),
        (Some(dec("0.5")), Some(dec("100")), 0.5)
    );
    assert!(!mgr.can_buy_in("cond-1", 1, 40).expect("can_buy_in"));
    assert!(mgr.can_buy_in("cond-2", 1, 40).expect("can_buy_in"));
    assert!(!mgr.can_mint_in("cond-1", dec("1")).expect("can_mint_in"));
    assert!(!mgr.can_sell("tok-yes", 1).expect("can_sell"));

    mgr.on_redemption_submitted("cond-1").expect("submit");
    assert_eq!(
        mgr.snapshot().expect("snapshot").state.tokens["tok-no"].redeemable_qty,
        Some(Decimal::ZERO)
    );
    mgr.on_redemption_confirmed("cond-1", dec("60"))
        .expect("confirm");
    let s = mgr.snapshot().expect("snapshot").state.clone();
    assert_eq!(s.total_usd, 110.0, "100 - 40 - 10 + (100 + 20) / 2");
    assert_eq!(s.tokens["tok-yes"].qty, Decimal::ZERO);
    assert_eq!(s.tokens["tok-yes"].realized_pnl, dec("10"));
    assert!(mgr.anomalies().expect("anomalies").is_empty());

    let last = mgr.snapshot().expect("snapshot");
    mgr.close().expect("close");
    let mut recovered =
        InventoryManager::recover(&path, StoreMode::Paper, "sess-v").expect("recover");
    let again = recovered.snapshot().expect("snapshot");
    assert_eq!(again.json, last.json);
    assert_eq!(again.state, last.state);
}

#[test]
fn a_redemption_paying_zero_is_an_anomaly_and_bad_payouts_are_refused() {
    start();
    let path = db("pay-zero");
    let mut mgr = InventoryManager::open(&path, StoreMode::Paper, "sess-z", dec("100"), &spec())
        .expect("open");
    holdings(&mut mgr);
    // A provisional buy: its shares stay until its status arrives.
    let matched = FillMeta {
        fill_id: Some("f-late".into()),
        status: Some(FillStatus::Matched),
        ..FillMeta::default()
    };
    mgr.on_fill_buy_with(
        "b-rest",
        "tok-no",
        "cond-1",
        Outcome::No,
        10,
        dec("0.45"),
        30,
        &matched,
    )
    .expect("fill");

    let before = mgr.snapshot().expect("snapshot").json.clone();
    for payouts in [[2, 0], [0, 0], [1, 2]] {
        match mgr.on_market_resolved("cond-1", payouts) {
            Err(ShimError::InvalidInput { field, reason, .. }) => {
                assert_eq!(field, "payouts");
                assert!(reason.contains("[1, 0]"), "{reason}");
            }
            other => panic!("{payouts:?}: expected InvalidInput, got {other:?}"),
        }
    }
    assert_eq!(mgr.snapshot().expect("snapshot").json, before);

    mgr.on_market_resolved("cond-1", [0, 1]).expect("resolve");
    let no = mgr.snapshot().expect("snapshot").state.tokens["tok-no"].clone();
    assert_eq!((no.qty, no.redeemable_qty), (dec("30"), Some(dec("20"))));
    mgr.on_redemption_submitted("cond-1").expect("submit");
    mgr.on_redemption_confirmed("cond-1", Decimal::ZERO)
        .expect("confirm");
    let anomalies = mgr.anomalies().expect("anomalies");
    assert_eq!(anomalies.len(), 1);
    assert_eq!(anomalies[0].kind, "redemption_amount_mismatch");
    assert!(
        anomalies[0].message.contains("paid $0.00"),
        "{}",
        anomalies[0].message
    );
    let s = mgr.snapshot().expect("snapshot").state.clone();
    assert_eq!(s.tokens["tok-no"].qty, dec("10"), "the MATCHED shares stay");
    mgr.on_fill_status("f-late", FillStatus::Confirmed)
        .expect("status");
    let no = mgr.snapshot().expect("snapshot").state.tokens["tok-no"].clone();
    assert_eq!(no.redeemable_qty, Some(dec("10")));
    mgr.on_redemption_failed("cond-1").expect("failed");
    assert_eq!(
        mgr.anomalies().expect("anomalies")[1].kind,
        "no_pending_redemption"
    );
}
