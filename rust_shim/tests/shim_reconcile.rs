//! Reconciliation through the shim, on a real SQLite file: a paper venue's account written from
//! the ledger agrees with it; a trade the stream missed is booked from the trade history as a
//! fill, an order the venue dropped and a cash difference are found, adopted (each an anomaly),
//! and found no more; the account survives its directory; a malformed page changes nothing.

use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde_json::{json, Value};
use weatherman_inventory::contract::Outcome;
use weatherman_inventory::shim::{
    catch_up, InventoryManager, MarketIds, SessionSpec, ShimError, StoreMode, VenueAccount,
    VenueAccountJson, VenueActionKind, VenueFeed,
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
const ORDER_N: &str = "0xc0ffee00000000000000000000000000000000000000000000000000000000c1";
const MISSED: &str = "8a1f3c52-6d7e-4b19-9c20-4e5d6f7a8b90";

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("shim_reconcile")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("tmp dir");
    dir
}

fn identity() -> VenueAccount {
    VenueAccount {
        api_key: KEY.into(),
        funder: FUNDER.to_lowercase(),
    }
}

fn conditions() -> Vec<(String, String)> {
    vec![("mkt-1".into(), COND.into())]
}

/// A ledger on `path` with A (buy 10 YES at 0.52) and N (buy 4 NO at 0.40) resting.
fn session(path: &Path) -> InventoryManager {
    let spec = SessionSpec {
        strategy_id: "shim-reconcile-test".into(),
        config_json: "{}".into(),
        markets: vec![MarketIds {
            market_id: "mkt-1".into(),
            condition_id: COND.into(),
            yes_token_id: YES.into(),
            no_token_id: NO.into(),
        }],
    };
    let mut ledger =
        InventoryManager::open(path, StoreMode::Paper, "s1", Decimal::from(1000), &spec)
            .expect("open");
    for (local, venue, token, outcome, qty, cents) in [
        ("A", ORDER_A, YES, Outcome::Yes, 10u64, 52u64),
        ("N", ORDER_N, NO, Outcome::No, 4, 40),
    ] {
        ledger
            .on_order_submitted_buy(local, "mkt-1", token, outcome, qty, cents)
            .expect("submit");
        ledger.on_exchange_order_id(local, venue).expect("venue id");
    }
    ledger
}

/// A trade page holding one trade the stream missed: another account's taker sells 6 YES at
/// 0.52 into our A (maker: no fee), CONFIRMED.
fn missed_trade_page() -> String {
    json!({
        "data": [{
            "asset_id": YES, "bucket_index": 0, "fee_rate_bps": "0", "id": MISSED,
            "last_update": "1777380520", "maker_address": "0x3D4e5F60718293a4B5c6D7e8F90a1B2c3D4e5F60",
            "maker_orders": [{
                "asset_id": YES, "fee_rate_bps": "", "maker_address": FUNDER,
                "matched_amount": "6", "order_id": ORDER_A, "outcome": "Yes", "owner": KEY,
                "price": "0.52",
            }],
            "market": COND, "match_time": "1777380509", "outcome": "Yes", "owner": OTHER_KEY,
            "price": "0.52", "side": "SELL", "size": "6", "status": "CONFIRMED",
            "taker_order_id": "0xd00d000000000000000000000000000000000000000000000000000000000009",
            "trader_side": "MAKER",
            "transaction_hash": "0x6c0ffee0000000000000000000000000000000000000000000000000000000cc",
        }],
        "next_cursor": "LTE=",
    })
    .to_string()
}

fn edit(text: &str, change: impl FnOnce(&mut Value)) -> String {
    let mut value: Value = serde_json::from_str(text).expect("json");
    change(&mut value);
    value.to_string()
}

#[test]
fn paper_account_agrees_then_a_missed_fill_a_dropped_order_and_cash_are_reconciled() {
    start();
    let dir = scratch("three");
    let path = dir.join("ledger.sqlite");
    let mut ledger = session(&path);
    let account = VenueAccountJson::of_paper_ledger(&ledger, &identity(), &conditions(), &[])
        .expect("paper account");
    let found = ledger.reconcile(&account).expect("reconcile");
    assert!(found.is_empty(), "{}", found.table);
    assert_eq!(found.table, "the ledger agrees with the venue");

    // While the ledger is not listening: A fills 6 at 0.52, N is dropped, 2.50 arrives.
    account.write_dir(&dir.join("venue")).expect("write");
    let mut venue = VenueAccountJson::read_dir(&dir.join("venue")).expect("read");
    assert_eq!(venue, account);
    venue.trades = vec![missed_trade_page()];
    venue.orders = vec![edit(&venue.orders[0], |v| {
        let data = v["data"].as_array_mut().expect("data");
        data.retain(|o| o["id"] != ORDER_N);
        data[0]["size_matched"] = json!("6");
    })];
    venue.conditional = Some(json!({YES: {"balance": "6000000"}}).to_string());
    venue.collateral = Some(
        json!({"balance": (1_000_000_000i64 - 3_120_000 + 2_500_000).to_string()}).to_string(),
    );

    let feed = VenueFeed::new(&ledger, &identity()).expect("feed");
    let applied = catch_up(&feed, &mut ledger, &venue).expect("catch up");
    assert_eq!(applied.len(), 1);
    assert_eq!(applied[0].count(VenueActionKind::Fill), 1);
    assert_eq!(applied[0].actions[0].key, format!("{MISSED}/{ORDER_A}"));
    let snapshot = ledger.snapshot().expect("snapshot");
    let yes = &snapshot.state.tokens[YES];
    // Booked as a fill at its price: 6 shares costing 3.12.
    assert_eq!((yes.qty, yes.total_cost), (Decimal::from(6), 3.12));

    let found = ledger.reconcile(&venue).expect("reconcile");
    assert!(found.tokens.is_empty(), "{:?}", found.tokens);
    assert_eq!(
        found
            .orders
            .iter()
            .map(|o| (o.kind.as_str(), o.local_id.as_deref(), o.ledger_left_micro))
            .collect::<Vec<_>>(),
        [("missing", Some("N"), Some(4_000_000))]
    );
    let cash = found.cash.as_ref().expect("cash difference");
    assert_eq!(
        (cash.venue_micro - cash.ledger_micro, cash.pending),
        (2_500_000, false)
    );
    assert!(found.table.contains("order missing"), "{}", found.table);
    let adopted = ledger.adopt(&found).expect("adopt");
    assert_eq!(
        adopted.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(),
        ["order_dropped", "cash_reconciled"]
    );
    let again = ledger.reconcile(&venue).expect("reconcile again");
    assert!(again.is_empty(), "{}", again.table);
    let reconciled = ledger
        .anomalies()
        .expect("anomalies")
        .into_iter()
        .filter(|a| a.kind == "reconciliation")
        .count();
    assert_eq!(reconciled, 2);
    ledger.close().expect("close");

    // The adoption was journaled: the recovered ledger agrees with the venue too.
    let ledger = InventoryManager::recover(&path, StoreMode::Paper, "s1").expect("recover");
    assert!(ledger.reconcile(&venue).expect("reconcile").is_empty());
}

#[test]
fn malformed_account_page_is_refused_naming_the_field_and_changes_nothing() {
    start();
    let dir = scratch("malformed");
    let ledger = session(&dir.join("ledger.sqlite"));
    let mut venue = VenueAccountJson::of_paper_ledger(&ledger, &identity(), &conditions(), &[])
        .expect("paper account");
    venue.orders = vec![edit(&venue.orders[0], |v| {
        v["data"][1]["price"] = json!("1.5")
    })];
    match ledger.reconcile(&venue) {
        Err(ShimError::InvalidInput { field, value, .. }) => {
            assert_eq!(field, "orders[0].data[1].price");
            assert_eq!(value, "'1.5'");
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}
