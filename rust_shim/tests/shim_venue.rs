//! The venue feed: raw user-channel frames through one shim call into the real Python adapter
//! and ledger, on a real SQLite file; malformed frames refused with the field and value.

use std::path::PathBuf;

use rust_decimal::Decimal;
use serde_json::{json, Value};
use weatherman_inventory::contract::Outcome;
use weatherman_inventory::shim::{
    InventoryManager, SessionSpec, ShimError, StoreMode, VenueAccount, VenueActionKind, VenueFeed,
};

mod shim_support;
use shim_support::start;

const KEY: &str = "7d3f1c2b-5e6a-4b8c-9d0e-1f2a3b4c5d6e";
const FUNDER: &str = "0x8E7d6C5b4A39281706F5e4D3c2B1a0F9e8D7c6B5";
const OTHER_KEY: &str = "0c7d2b1e-33aa-4f5e-8d90-1a2b3c4d5e6f";
const COND: &str = "0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1";
const YES: &str = "483310433366128838909387595094931592347550489735006401480144227477";
const NO: &str = "521143195012459155160551060468842099699261274828279546744438464278";
const ORDER_A: &str = "0xa11ce0000000000000000000000000000000000000000000000000000000c0de";
const ORDER_B: &str = "0xb0b0000000000000000000000000000000000000000000000000000000000b0b";
const ORDER_N: &str = "0xc0ffee00000000000000000000000000000000000000000000000000000000c1";
const TRADE_1: &str = "8a1f3c52-6d7e-4b19-9c20-4e5d6f7a8b90";
const TRADE_2: &str = "2b3c4d5e-6f70-4812-9a3b-4c5d6e7f8091";

fn db(name: &str) -> PathBuf {
    shim_support::db("shim_venue", name)
}

fn spec() -> SessionSpec {
    shim_support::spec("shim-venue-test", ["mkt-1", COND, YES, NO])
}

fn account() -> VenueAccount {
    // The funder in lower case: the frames spell it checksummed.
    VenueAccount {
        api_key: KEY.into(),
        funder: FUNDER.to_lowercase(),
    }
}

/// The session's orders: A buys 10 YES at 52 cents, B 8 YES at 52, N 4 NO at 40; each with the
/// venue's id.
fn orders(ledger: &mut InventoryManager) {
    for (local, venue, token, outcome, qty, cents) in [
        ("A", ORDER_A, YES, Outcome::Yes, 10u64, 52u64),
        ("B", ORDER_B, YES, Outcome::Yes, 8, 52),
        ("N", ORDER_N, NO, Outcome::No, 4, 40),
    ] {
        ledger
            .on_order_submitted_buy(local, "mkt-1", token, outcome, qty, cents)
            .expect("submit");
        ledger.on_exchange_order_id(local, venue).expect("venue id");
    }
}

fn leg(
    order_id: &str,
    owner: &str,
    address: &str,
    asset: &str,
    price: &str,
    shares: &str,
) -> Value {
    json!({
        "asset_id": asset, "fee_rate_bps": "", "maker_address": address,
        "matched_amount": shares, "order_id": order_id,
        "outcome": if asset == YES { "Yes" } else { "No" }, "owner": owner, "price": price,
    })
}

/// A trade message of another account's taker order, shaped as the venue's.
#[allow(clippy::too_many_arguments)]
fn trade(
    id: &str,
    status: &str,
    side: &str,
    asset: &str,
    price: &str,
    size: &str,
    legs: Vec<Value>,
    at: u64,
) -> Value {
    json!({
        "asset_id": asset, "bucket_index": 0, "event_type": "trade", "fee_rate_bps": "0",
        "id": id, "last_update": at.to_string(),
        "maker_address": "0x3D4e5F60718293a4B5c6D7e8F90a1B2c3D4e5F60", "maker_orders": legs,
        "market": COND, "match_time": "1777380509",
        "outcome": if asset == YES { "Yes" } else { "No" }, "owner": OTHER_KEY, "price": price,
        "side": side, "size": size, "status": status,
        "taker_order_id": "0xd00d000000000000000000000000000000000000000000000000000000000009",
        "timestamp": format!("{at}000"), "trade_owner": OTHER_KEY, "trader_side": "MAKER",
        "transaction_hash": "0x6c0ffee0000000000000000000000000000000000000000000000000000000cc",
        "type": "TRADE",
    })
}

/// Trade 1: a taker sells 16 YES at 0.52 into our A (10) and B (4) and another account (2).
fn maker_trade(status: &str, at: u64) -> Value {
    let ours = FUNDER;
    trade(
        TRADE_1,
        status,
        "SELL",
        YES,
        "0.52",
        "16",
        vec![
            leg(ORDER_A, KEY, ours, YES, "0.52", "10"),
            leg(ORDER_B, "", ours, YES, "0.520000", "4.000000"),
            leg("0x0fee03", OTHER_KEY, "0x3D4e", YES, "0.52", "2"),
        ],
        at,
    )
}

/// Trade 2: a taker buys 10 YES at 0.60; our N rests on NO and mints: BUY 4 NO at 0.40.
fn cross_trade(status: &str) -> Value {
    trade(
        TRADE_2,
        status,
        "BUY",
        YES,
        "0.60",
        "10",
        vec![
            leg(ORDER_N, KEY, FUNDER, NO, "0.40", "4"),
            leg("0x0fee04", OTHER_KEY, "0x3D4e", YES, "0.60", "6"),
        ],
        1_777_380_600,
    )
}

fn micro(value: Decimal) -> i64 {
    i64::try_from(value * Decimal::from(1_000_000)).expect("micro")
}

/// (cash, YES shares, unsettled YES, NO shares), micro-units.
fn numbers(ledger: &mut InventoryManager) -> (i64, i64, i64, i64) {
    let snapshot = ledger.snapshot().expect("snapshot");
    let s = &snapshot.state;
    let token = |id: &str| {
        s.tokens
            .get(id)
            .map_or((0, 0), |t| (micro(t.qty), micro(t.unsettled_qty)))
    };
    let (yes, yes_unsettled) = token(YES);
    let cash = (s.total_usd * 1e6).round() as i64;
    (cash, yes, yes_unsettled, token(NO).0)
}

#[test]
fn maker_legs_and_a_cross_asset_leg_matched_then_failed_through_one_call_each() {
    start();
    let path = db("legs");
    let mut ledger =
        InventoryManager::open(&path, StoreMode::Paper, "s1", Decimal::from(1000), &spec())
            .expect("open");
    orders(&mut ledger);
    let feed = VenueFeed::new(&ledger, &account()).expect("feed");

    // One frame, a batch: two of our maker legs (MATCHED) and a cross-asset leg (CONFIRMED).
    let frame = json!([
        maker_trade("MATCHED", 1_777_380_510),
        cross_trade("CONFIRMED")
    ]);
    let applied = feed
        .on_message(&mut ledger, &frame.to_string())
        .expect("frame");
    assert_eq!(applied.count(VenueActionKind::Fill), 3);
    assert_eq!(applied.actions[0].key, format!("{TRADE_1}/{ORDER_A}"));
    // 10 + 4 YES at 0.52 and 4 NO at 0.40, makers pay no fee.
    assert_eq!(
        numbers(&mut ledger),
        (
            1_000_000_000 - 5_200_000 - 2_080_000 - 1_600_000,
            14_000_000,
            14_000_000,
            4_000_000
        )
    );

    // The same trade id, FAILED: both of our legs undone in full; the mint stands.
    let failed = maker_trade("FAILED", 1_777_380_561).to_string();
    let applied = feed.on_message(&mut ledger, &failed).expect("failed");
    assert_eq!(applied.count(VenueActionKind::Status), 2);
    assert_eq!(
        numbers(&mut ledger),
        (1_000_000_000 - 1_600_000, 0, 0, 4_000_000)
    );

    // Resent later, with a new time: nothing more.
    let seq = ledger.journal_seq().expect("seq");
    let again = maker_trade("FAILED", 1_777_380_999).to_string();
    let applied = feed.on_message(&mut ledger, &again).expect("again");
    assert_eq!(applied.count(VenueActionKind::Skip), 2);
    assert_eq!(ledger.journal_seq().expect("seq"), seq);
    ledger.close().expect("close");
}

#[test]
fn an_unreadable_frame_is_refused_naming_its_field_and_changes_nothing() {
    start();
    let path = db("refused");
    let mut ledger =
        InventoryManager::open(&path, StoreMode::Paper, "s1", Decimal::from(1000), &spec())
            .expect("open");
    orders(&mut ledger);
    let feed = VenueFeed::new(&ledger, &account()).expect("feed");
    let before = (
        ledger.snapshot().expect("snapshot").json.clone(),
        ledger.journal_seq().expect("seq"),
    );

    let mut bad = cross_trade("MATCHED");
    bad["maker_orders"][0]["matched_amount"] = json!("4.0000001");
    let frame = json!([maker_trade("MATCHED", 1_777_380_510), bad]).to_string();
    match feed.on_message(&mut ledger, &frame) {
        Err(ShimError::InvalidInput { field, value, .. }) => {
            assert_eq!(field, "[1].maker_orders[0].matched_amount");
            assert_eq!(value, "'4.0000001'");
        }
        other => panic!("refused expected: {other:?}"),
    }
    let mut unknown = maker_trade("SETTLED", 1_777_380_510);
    unknown["size"] = json!("16");
    let err = feed
        .on_message(&mut ledger, &unknown.to_string())
        .expect_err("unknown status");
    assert!(
        matches!(&err, ShimError::InvalidInput { field, value, .. }
        if field == "status" && value == "'SETTLED'"),
        "{err:?}"
    );
    let err = feed
        .on_message(&mut ledger, "{\"event_type\": ")
        .expect_err("not JSON");
    assert!(
        matches!(&err, ShimError::InvalidInput { field, .. } if field == "text"),
        "{err:?}"
    );
    let after = (
        ledger.snapshot().expect("snapshot").json.clone(),
        ledger.journal_seq().expect("seq"),
    );
    assert_eq!(after, before);

    // A feed applies frames only through the ledger it was made for.
    let mut other = InventoryManager::new(Decimal::from(5)).expect("other");
    let err = feed
        .on_message(&mut other, &cross_trade("MATCHED").to_string())
        .expect_err("another ledger");
    assert!(
        matches!(&err, ShimError::InvalidInput { field, .. } if field == "ledger"),
        "{err:?}"
    );
    let err = VenueFeed::new(
        &ledger,
        &VenueAccount {
            api_key: String::new(),
            funder: FUNDER.into(),
        },
    )
    .expect_err("no key");
    assert!(
        matches!(&err, ShimError::InvalidInput { field, .. } if field == "api_key"),
        "{err:?}"
    );
    ledger.close().expect("close");
}

#[test]
fn a_feed_for_the_recovered_ledger_maps_venue_ids_from_the_journal_and_skips_what_was_applied() {
    start();
    let path = db("recovered");
    let mut ledger =
        InventoryManager::open(&path, StoreMode::Paper, "s1", Decimal::from(1000), &spec())
            .expect("open");
    orders(&mut ledger);
    let feed = VenueFeed::new(&ledger, &account()).expect("feed");
    let matched = maker_trade("MATCHED", 1_777_380_510).to_string();
    feed.on_message(&mut ledger, &matched).expect("matched");
    drop(feed);
    ledger.close().expect("close");

    let mut ledger = InventoryManager::recover(&path, StoreMode::Paper, "s1").expect("recover");
    let feed = VenueFeed::new(&ledger, &account()).expect("feed");
    let seq = ledger.journal_seq().expect("seq");
    let applied = feed.on_message(&mut ledger, &matched).expect("resent");
    assert_eq!(applied.count(VenueActionKind::Skip), 2);
    assert_eq!(ledger.journal_seq().expect("seq"), seq);
    // A later status reaches the fills booked before the restart; the order the venue closes
    // is found by its venue id, journaled before the restart.
    let confirmed = maker_trade("CONFIRMED", 1_777_380_570).to_string();
    assert_eq!(
        feed.on_message(&mut ledger, &confirmed)
            .expect("confirmed")
            .count(VenueActionKind::Status),
        2
    );
    let cancel = json!({
        "asset_id": YES, "associate_trades": [TRADE_1], "created_at": "1777380400",
        "event_type": "order", "expiration": "0", "id": ORDER_B, "maker_address": FUNDER,
        "market": COND, "order_owner": KEY, "order_type": "GTC", "original_size": "8",
        "outcome": "Yes", "owner": KEY, "price": "0.52", "side": "BUY", "size_matched": "4",
        "status": "CANCELED", "timestamp": "1777380600000", "type": "CANCELLATION",
    });
    let applied = feed
        .on_message(&mut ledger, &cancel.to_string())
        .expect("cancel");
    assert_eq!(
        applied.actions[0].kind,
        VenueActionKind::Cancel,
        "{applied:?}"
    );
    assert_eq!(applied.actions[0].key, "B");
    assert_eq!(
        numbers(&mut ledger),
        (1_000_000_000 - 7_280_000, 14_000_000, 0, 0)
    );
    // Open: A's 10 are filled (closed), N's 4 at 0.40 still reserved.
    let state = ledger.snapshot().expect("snapshot").state.clone();
    assert_eq!((state.in_flight_usd * 1e6).round() as i64, 1_600_000);
    ledger.close().expect("close");
}
