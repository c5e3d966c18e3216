//! Every method of the shim's `InventoryManager` against the real Python ledger and a real
//! SQLite file, and the mapping of Python's errors to `ShimError`.

use std::collections::HashMap;
use std::path::PathBuf;

use pyo3::prelude::*;
use rust_decimal::Decimal;
use weatherman_inventory::contract::{InventoryState, Outcome};
use weatherman_inventory::shim::{
    CashAdjustmentKind, FillMeta, FillStatus, InventoryManager, LoadedPosition, SessionSpec,
    ShimError, StoreMode,
};

mod shim_support;
use shim_support::{dec, start};

fn db(name: &str) -> PathBuf {
    shim_support::db("shim_manager", name)
}

fn spec() -> SessionSpec {
    shim_support::spec("shim-test", ["mkt-1", "cond-1", "tok-yes", "tok-no"])
}

fn state(mgr: &mut InventoryManager) -> InventoryState {
    mgr.snapshot().expect("snapshot").state.clone()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// The ledger rules' invariant, from the snapshot: cash plus cost basis equals the initial
/// capital plus realised PnL.
fn assert_invariant(s: &InventoryState, initial: f64) {
    let cost: f64 = s.tokens.values().map(|t| t.total_cost).sum();
    let realized: f64 = s
        .tokens
        .values()
        .map(|t| f64::try_from(t.realized_pnl).expect("f64"))
        .sum();
    assert!(
        close(s.total_usd + cost, initial + realized),
        "{} + {cost} != {initial} + {realized}",
        s.total_usd
    );
}

#[test]
fn a_journaled_session_through_every_method_recovers_to_the_same_snapshot() {
    start();
    let path = db("every-method");
    let mut mgr = InventoryManager::open(&path, StoreMode::Paper, "sess-1", dec("1000"), &spec())
        .expect("open");
    assert_eq!(mgr.session_id(), Some("sess-1"));
    let s = state(&mut mgr);
    assert_eq!(
        (s.total_usd, s.in_flight_usd, s.accessible_usd),
        (1000.0, 0.0, 1000.0)
    );
    assert!(s.tokens.is_empty() && s.minted_pairs.is_empty() && !s.exit_triggered);

    // The seed's risk checks.
    assert!(mgr.can_buy(100, 65).expect("can_buy"));
    assert!(!mgr.can_buy(2000, 65).expect("can_buy"));
    assert!(!mgr.can_sell("tok-yes", 10).expect("can_sell"));
    assert!(mgr.can_mint(dec("500")).expect("can_mint"));
    assert!(!mgr.can_mint(dec("1500")).expect("can_mint"));

    // Buy 100 at 65c, partial fill of 60 below the limit with a fee, cancel the rest.
    mgr.on_order_submitted_buy("o1", "mkt-1", "tok-yes", Outcome::Yes, 100, 65)
        .expect("submit buy");
    assert!(close(state(&mut mgr).in_flight_usd, 65.0));
    let meta = FillMeta {
        fill_id: Some("f1".into()),
        fee_usd: dec("0.01"),
        ..FillMeta::default()
    };
    mgr.on_fill_buy_with(
        "o1",
        "tok-yes",
        "mkt-1",
        Outcome::Yes,
        60,
        dec("0.60"),
        100,
        &meta,
    )
    .expect("fill");
    let s = state(&mut mgr);
    let yes = &s.tokens["tok-yes"];
    assert_eq!((yes.qty, yes.avg_entry_price), (dec("60"), dec("0.6")));
    assert!(
        close(s.in_flight_usd, 26.0),
        "40 left at 65c: {}",
        s.in_flight_usd
    );
    assert!(close(s.total_usd, 1000.0 - 36.0 - 0.01));
    // The same fill id again: an anomaly, nothing applied.
    let before = mgr.snapshot().expect("snapshot").json.clone();
    mgr.on_fill_buy_with(
        "o1",
        "tok-yes",
        "mkt-1",
        Outcome::Yes,
        60,
        dec("0.60"),
        100,
        &meta,
    )
    .expect("duplicate fill is a fact, not an error");
    assert_eq!(mgr.snapshot().expect("snapshot").json, before);
    mgr.on_order_cancelled_buy("o1", 40, 65)
        .expect("cancel buy");
    assert!(close(state(&mut mgr).in_flight_usd, 0.0));

    // Marks, then a sell of 20 at 75c realising (0.75 - 0.60) * 20, less the buy's fee.
    mgr.update_prices(&HashMap::from([("tok-yes".to_string(), 70)]))
        .expect("prices");
    let yes = state(&mut mgr).tokens["tok-yes"].clone();
    assert!(close(yes.current_price, 0.70) && close(yes.unrealized_pnl, 6.0));
    mgr.on_order_submitted_sell("s1", "tok-yes", 20)
        .expect("submit sell");
    let yes = state(&mut mgr).tokens["tok-yes"].clone();
    assert_eq!(
        (yes.in_flight_qty, yes.accessible_qty),
        (dec("20"), dec("40"))
    );
    assert!(mgr.can_sell("tok-yes", 40).expect("can_sell"));
    assert!(!mgr.can_sell("tok-yes", 41).expect("can_sell"));
    mgr.on_fill_sell("s1", "tok-yes", 20, dec("0.75"), 20)
        .expect("sell fill");
    let yes = state(&mut mgr).tokens["tok-yes"].clone();
    assert_eq!(
        (yes.qty, yes.in_flight_qty, yes.realized_pnl),
        (dec("40"), Decimal::ZERO, dec("2.99"))
    );
    mgr.on_order_submitted_sell("s2", "tok-yes", 10)
        .expect("submit sell");
    mgr.on_order_cancelled_sell("s2", "tok-yes", 10)
        .expect("cancel sell");
    assert_eq!(
        state(&mut mgr).tokens["tok-yes"].in_flight_qty,
        Decimal::ZERO
    );

    // Mint $50 (confirmed), mint $10 (failed), merge 20 (confirmed), merge 5 (failed).
    mgr.on_mint_submitted("cond-1", dec("50")).expect("mint");
    assert!(close(state(&mut mgr).in_flight_usd, 50.0));
    mgr.on_mint_confirmed("cond-1", 50, "tok-yes", "tok-no", "mkt-1")
        .expect("mint confirmed");
    mgr.on_mint_submitted("cond-1", dec("10")).expect("mint");
    mgr.on_mint_failed("cond-1", dec("10"))
        .expect("mint failed");
    let s = state(&mut mgr);
    assert!(close(s.in_flight_usd, 0.0));
    assert_eq!(s.tokens["tok-no"].qty, dec("50"));
    assert_eq!(s.minted_pairs["cond-1"].available, dec("50"));
    mgr.on_merge_submitted("cond-1", 20).expect("merge");
    assert_eq!(state(&mut mgr).minted_pairs["cond-1"].reserved, dec("20"));
    mgr.on_merge_confirmed("cond-1", 20, "tok-yes", "tok-no")
        .expect("merge confirmed");
    mgr.on_merge_submitted("cond-1", 5).expect("merge");
    mgr.on_merge_failed("cond-1", 5).expect("merge failed");
    let pairs = state(&mut mgr).minted_pairs["cond-1"].clone();
    assert_eq!(
        (
            pairs.available,
            pairs.reserved,
            pairs.total_minted,
            pairs.total_merged
        ),
        (dec("30"), Decimal::ZERO, dec("50"), dec("20"))
    );

    // The fast-start cache, then exit.
    mgr.load_positions(&[LoadedPosition {
        token_id: "tok-other".into(),
        market_id: "mkt-2".into(),
        outcome: Outcome::No,
        qty: dec("10"),
        avg_price: dec("0.25"),
        realized_pnl: dec("1.5"),
    }])
    .expect("load positions");
    let other = state(&mut mgr).tokens["tok-other"].clone();
    assert_eq!(
        (other.qty, other.avg_entry_price, other.realized_pnl),
        (dec("10"), dec("0.25"), dec("1.5"))
    );
    mgr.trigger_exit().expect("exit");
    assert!(state(&mut mgr).exit_triggered);
    assert!(!mgr.can_buy(1, 1).expect("can_buy"));
    assert!(!mgr.can_mint(dec("1")).expect("can_mint"));
    assert!(mgr.can_sell("tok-yes", 1).expect("sells go on"));

    let anomalies = mgr.anomalies().expect("anomalies");
    assert_eq!(anomalies.len(), 1, "{anomalies:?}");
    assert_eq!(anomalies[0].kind, "duplicate_fill");
    assert!(
        anomalies[0].message.contains("f1"),
        "{}",
        anomalies[0].message
    );
    // The session's opening row, then one journal row per accepted call (the refused duplicate
    // fill included), none for checks.
    assert_eq!(mgr.journal_seq().expect("seq"), 20);

    let final_snapshot = mgr.snapshot().expect("snapshot");
    mgr.close().expect("close");
    let mut recovered =
        InventoryManager::recover(&path, StoreMode::Paper, "sess-1").expect("recover");
    let again = recovered.snapshot().expect("snapshot");
    assert_eq!(again.state, final_snapshot.state);
    assert_eq!(again.json, final_snapshot.json);
}

#[test]
fn an_exchange_order_id_is_journaled_and_a_conflicting_one_is_an_anomaly() {
    start();
    let path = db("exchange-id");
    let mut mgr = InventoryManager::open(&path, StoreMode::Paper, "sess-x", dec("100"), &spec())
        .expect("open");
    mgr.on_order_submitted_buy("o1", "mkt-1", "tok-yes", Outcome::Yes, 10, 50)
        .expect("submit");
    let before = mgr.journal_seq().expect("seq");
    mgr.on_exchange_order_id("o1", "0xvenue01")
        .expect("exchange id");
    assert_eq!(mgr.journal_seq().expect("seq"), before + 1);
    mgr.on_exchange_order_id("o1", "0xvenue02")
        .expect("a fact, not an error");
    let anomalies = mgr.anomalies().expect("anomalies");
    assert_eq!(anomalies.len(), 1, "{anomalies:?}");
    assert_eq!(anomalies[0].kind, "exchange_id_conflict");
    mgr.close().expect("close");

    let conn = rusqlite::Connection::open(&path).expect("open db");
    let id: String = conn
        .query_row(
            "SELECT exchange_order_id FROM orders WHERE local_id = 'o1'",
            [],
            |row| row.get(0),
        )
        .expect("order row");
    assert_eq!(id, "0xvenue01", "the first id the venue gave is kept");
    let recovered = InventoryManager::recover(&path, StoreMode::Paper, "sess-x").expect("recover");
    assert_eq!(recovered.anomalies().expect("anomalies").len(), 1);
}

#[test]
fn an_in_memory_ledger_keeps_the_invariant_and_shares_unchanged_snapshots() {
    start();
    let mut mgr = InventoryManager::new(dec("250")).expect("new");
    assert_eq!(mgr.session_id(), None);
    assert_eq!(mgr.journal_seq().expect("seq"), 0);
    mgr.on_order_submitted_buy("b", "m", "t", Outcome::No, 30, 40)
        .expect("buy");
    mgr.on_fill_buy("b", "t", "m", Outcome::No, 30, dec("0.385"), 30)
        .expect("fill");
    mgr.on_order_submitted_sell("s", "t", 12).expect("sell");
    mgr.on_fill_sell("s", "t", 12, dec("0.401"), 12)
        .expect("fill");
    let first = mgr.snapshot().expect("snapshot");
    assert_invariant(&first.state, 250.0);
    assert_eq!(first.state.tokens["t"].realized_pnl, dec("0.192"));
    // Nothing changed: the very same snapshot comes back.
    let second = mgr.snapshot().expect("snapshot");
    assert!(std::sync::Arc::ptr_eq(&first, &second));
    // The JSON text is what Python wrote: it parses to the same struct.
    let reparsed: InventoryState = serde_json::from_str(&second.json).expect("json");
    assert_eq!(reparsed, second.state);
}

/// A malformed call is refused with the argument's name and value, and changes nothing.
#[test]
fn malformed_calls_map_to_invalid_input_and_leave_the_snapshot_unchanged() {
    start();
    let mut mgr = InventoryManager::new(dec("1000")).expect("new");
    mgr.on_order_submitted_buy("o1", "m", "t", Outcome::Yes, 10, 50)
        .expect("buy");
    type Call = Box<dyn Fn(&mut InventoryManager) -> Result<(), ShimError>>;
    let cases: Vec<(&str, &str, Call)> = vec![
        (
            "qty",
            "0",
            Box::new(|m| m.on_order_submitted_buy("o2", "m", "t", Outcome::Yes, 0, 50)),
        ),
        (
            "limit_px",
            "101",
            Box::new(|m| m.on_order_submitted_buy("o2", "m", "t", Outcome::Yes, 10, 101)),
        ),
        (
            "local_id",
            "''",
            Box::new(|m| m.on_order_submitted_buy("", "m", "t", Outcome::Yes, 10, 50)),
        ),
        (
            "fill_price",
            "Decimal('1.5')",
            Box::new(|m| m.on_fill_buy("o1", "t", "m", Outcome::Yes, 5, dec("1.5"), 10)),
        ),
        (
            "fee_usd",
            "Decimal('-1')",
            Box::new(|m| {
                let meta = FillMeta {
                    fill_id: None,
                    fee_usd: dec("-1"),
                    status: None,
                };
                m.on_fill_buy_with("o1", "t", "m", Outcome::Yes, 5, dec("0.5"), 10, &meta)
            }),
        ),
        (
            "fill_id",
            "''",
            Box::new(|m| {
                let meta = FillMeta {
                    fill_id: Some(String::new()),
                    fee_usd: Decimal::ZERO,
                    status: None,
                };
                m.on_fill_sell_with("o1", "t", 5, dec("0.5"), 10, &meta)
            }),
        ),
        (
            "prices['t']",
            "101",
            Box::new(|m| m.update_prices(&HashMap::from([("t".to_string(), 101)]))),
        ),
        (
            "amount_usd",
            "Decimal('-1')",
            Box::new(|m| m.on_mint_submitted("c", dec("-1"))),
        ),
        (
            "pair_count",
            "0",
            Box::new(|m| m.on_merge_submitted("c", 0)),
        ),
        (
            "token_id",
            "''",
            Box::new(|m| m.on_order_cancelled_sell("o1", "", 3)),
        ),
        (
            "rows[0].avg_entry_price",
            "Decimal('0.3333333')",
            Box::new(|m| {
                m.load_positions(&[LoadedPosition {
                    token_id: "t".into(),
                    market_id: "m".into(),
                    outcome: Outcome::Yes,
                    qty: Decimal::ONE,
                    avg_price: dec("0.3333333"),
                    realized_pnl: Decimal::ZERO,
                }])
            }),
        ),
        ("qty", "0", Box::new(|m| m.can_buy(0, 50).map(|_| ()))),
        // Quantities cross as the caller gave them; the ledger names what it refuses.
        (
            "qty",
            "Decimal('7.5757575')",
            Box::new(|m| m.on_order_submitted_sell("s9", "t", dec("7.5757575"))),
        ),
        (
            "fill_qty",
            "-5",
            Box::new(|m| m.on_fill_sell("o1", "t", -5, dec("0.5"), 10)),
        ),
        (
            "amount_usd",
            "Decimal('-2')",
            Box::new(|m| m.can_mint(dec("-2")).map(|_| ())),
        ),
    ];
    for (field, value, call) in cases {
        let before = mgr.snapshot().expect("snapshot").json.clone();
        match call(&mut mgr) {
            Err(ShimError::InvalidInput {
                field: got_field,
                value: got_value,
                reason,
            }) => {
                assert_eq!((got_field.as_str(), got_value.as_str()), (field, value));
                assert!(!reason.is_empty());
            }
            other => panic!("{field}={value}: expected InvalidInput, got {other:?}"),
        }
        assert_eq!(
            mgr.snapshot().expect("snapshot").json,
            before,
            "{field} changed the state"
        );
    }
    assert!(mgr.anomalies().expect("anomalies").is_empty());
}

#[test]
fn store_failures_keep_their_kind() {
    start();
    let path = db("store-errors");
    let first =
        InventoryManager::open(&path, StoreMode::Live, "s", dec("10"), &spec()).expect("open");
    // The session is held for writing: neither a second open nor a recover may write it.
    match InventoryManager::open(&path, StoreMode::Live, "s", dec("10"), &spec()) {
        Err(ShimError::Store { kind, message }) => {
            assert!(
                matches!(kind.as_str(), "SessionLocked" | "SessionExists"),
                "{kind}"
            );
            assert!(message.contains("'s'"), "{message}");
        }
        other => panic!("expected a store error, got {other:?}"),
    }
    match InventoryManager::recover(&path, StoreMode::Live, "s") {
        Err(ShimError::Store { kind, .. }) => assert_eq!(kind, "SessionLocked"),
        other => panic!("expected SessionLocked, got {other:?}"),
    }
    first.close().expect("close");
    match InventoryManager::open(&path, StoreMode::Live, "s", dec("10"), &spec()) {
        Err(ShimError::Store { kind, .. }) => assert_eq!(kind, "SessionExists"),
        other => panic!("expected SessionExists, got {other:?}"),
    }
    match InventoryManager::recover(&path, StoreMode::Live, "nope") {
        Err(ShimError::Store { kind, message }) => {
            assert_eq!(kind, "SessionNotFound");
            assert!(message.contains("nope"), "{message}");
        }
        other => panic!("expected SessionNotFound, got {other:?}"),
    }
}

#[test]
fn other_python_exceptions_keep_their_class_message_and_traceback() {
    start();
    let err = Python::attach(|py| {
        py.run(
            c"def f():\n    raise TypeError('qty must be an int')\nf()",
            None,
            None,
        )
        .expect_err("raises")
    });
    match ShimError::from(err) {
        ShimError::Python {
            kind,
            message,
            traceback,
        } => {
            assert_eq!(kind, "TypeError");
            assert_eq!(message, "qty must be an int");
            assert!(traceback.expect("traceback").contains("in f"));
        }
        other => panic!("expected Python, got {other:?}"),
    }
}

/// The price event's journal row lists tokens in order, whatever order the caller's `HashMap`
/// iterates in, so identical sessions write identical journals.
#[test]
fn price_updates_are_journaled_in_token_order() {
    start();
    let path = db("price-order");
    let mut mgr =
        InventoryManager::open(&path, StoreMode::Paper, "s", dec("1000"), &spec()).expect("open");
    for (i, token) in ["tok-yes", "tok-no"].into_iter().enumerate() {
        let outcome = if i == 0 { Outcome::Yes } else { Outcome::No };
        let id = format!("b{i}");
        mgr.on_order_submitted_buy(&id, "mkt-1", token, outcome, 10, 50)
            .expect("submit");
        mgr.on_fill_buy(&id, token, "mkt-1", outcome, 10, dec("0.5"), 10)
            .expect("fill");
    }
    // Many maps with the same two entries: their iteration orders differ from map to map.
    for round in 0..16u64 {
        let prices: HashMap<String, u64> = [("tok-yes", 40 + round), ("tok-no", 60 - round)]
            .into_iter()
            .map(|(t, p)| (t.to_string(), p))
            .collect();
        mgr.update_prices(&prices).expect("prices");
    }
    drop(mgr);
    let conn = rusqlite::Connection::open(&path).expect("db");
    let payloads: Vec<String> = conn
        .prepare("SELECT payload FROM journal WHERE kind = 'prices_updated' ORDER BY seq")
        .expect("prepare")
        .query_map([], |row| {
            let bytes: Vec<u8> = row.get(0)?;
            Ok(String::from_utf8(bytes).expect("JSON text"))
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(payloads.len(), 16);
    // Marks are journaled in micro-dollars per share, in token order.
    for (round, payload) in payloads.iter().enumerate() {
        assert_eq!(
            payload,
            &format!(
                "[[[\"tok-no\",{}],[\"tok-yes\",{}]]]",
                (60 - round) * 10_000,
                (40 + round) * 10_000
            )
        );
    }
}

/// A fact that would carry an amount past the ledger's bound is refused as `BoundExceeded`,
/// keeping what Python's error holds, and still counts as an invalid input.
#[test]
fn bound_exceeded_keeps_its_field_value_reason_and_bound() {
    start();
    let mut mgr = InventoryManager::new(dec("1000")).expect("new");
    mgr.on_fill_buy(
        "o1",
        "t",
        "m",
        Outcome::Yes,
        600_000_000u64,
        dec("0.000001"),
        600_000_000u64,
    )
    .expect("first fill");
    let before = mgr.snapshot().expect("snapshot").json.clone();
    let err = mgr
        .on_fill_buy(
            "o2",
            "t",
            "m",
            Outcome::Yes,
            600_000_000u64,
            dec("0.000001"),
            600_000_000u64,
        )
        .expect_err("past the bound");
    assert!(err.is_invalid_input(), "{err:?}");
    assert_eq!(err.kind(), "BoundExceeded");
    match err {
        ShimError::BoundExceeded {
            field,
            value,
            reason,
            bound,
        } => {
            assert_eq!(field, "tokens['t'].qty");
            assert!(value.contains("1200000000"), "{value}");
            assert!(reason.contains("bound"), "{reason}");
            assert!(bound.starts_with("99999999"), "{bound}");
        }
        other => panic!("expected BoundExceeded, got {other:?}"),
    }
    assert_eq!(mgr.snapshot().expect("snapshot").json, before);
}

// The tests below need the ledger's share quantities, settlement statuses and cash adjustments
// (`on_fill_status`, `on_cash_adjustment`, `status=` on fills, decimal quantities and limits).

/// Whole `u64` quantities and exact decimals cross alike; limits finer than a cent reserve
/// `qty * limit` rounded up to the micro-dollar, fills release their share, and a fill's cash is
/// `price * shares` truncated to the micro-dollar.
#[test]
fn fractional_shares_and_sub_cent_limits_cross_the_shim() {
    start();
    let mut mgr = InventoryManager::new(dec("1000")).expect("new");
    assert!(mgr.can_buy(dec("100"), dec("65.5")).expect("can_buy"));
    mgr.on_order_submitted_buy("b1", "m", "t", Outcome::Yes, dec("100"), dec("65.5"))
        .expect("submit at 65.5 cents");
    assert_eq!(state(&mut mgr).in_flight_usd, 65.5);
    mgr.on_fill_buy(
        "b1",
        "t",
        "m",
        Outcome::Yes,
        dec("7.575758"),
        dec("0.655"),
        100u64,
    )
    .expect("fractional fill");
    let s = state(&mut mgr);
    let held = &s.tokens["t"];
    assert_eq!(
        (held.qty, held.accessible_qty, held.unsettled_qty),
        (dec("7.575758"), dec("7.575758"), Decimal::ZERO)
    );
    // 7.575758 * 0.655 = 4.96212149: the chain moves 4.962121; the order releases 4.962122.
    assert_eq!(s.total_usd, 995.037879);
    assert_eq!(s.in_flight_usd, 60.537878);
    assert!(mgr.can_sell("t", dec("7.575758")).expect("can_sell"));
    assert!(!mgr.can_sell("t", dec("7.575759")).expect("can_sell"));
    mgr.update_prices(&HashMap::from([("t".to_string(), dec("70.5"))]))
        .expect("a mark of 70.5 cents");
    assert_eq!(state(&mut mgr).tokens["t"].current_price, 0.705);
    mgr.on_order_cancelled_buy("b1", dec("92.424242"), dec("65.5"))
        .expect("cancel the rest");
    assert_eq!(state(&mut mgr).in_flight_usd, 0.0);
    mgr.on_order_submitted_sell("s1", "t", dec("2.5"))
        .expect("sell");
    let held = state(&mut mgr).tokens["t"].clone();
    assert_eq!(
        (held.in_flight_qty, held.accessible_qty),
        (dec("2.5"), dec("5.075758"))
    );
}

/// A provisional buy is held but not sellable until confirmed; a provisional sale's proceeds are
/// cash but not accessible; `Failed` restates the sale as if it had never happened.
#[test]
fn settlement_statuses_move_unsettled_amounts_through_the_shim() {
    start();
    let path = db("statuses");
    let mut mgr =
        InventoryManager::open(&path, StoreMode::Paper, "s", dec("1000"), &spec()).expect("open");
    let matched = |id: &str| FillMeta {
        fill_id: Some(id.to_owned()),
        status: Some(FillStatus::Matched),
        ..FillMeta::default()
    };
    mgr.on_order_submitted_buy("b1", "mkt-1", "tok-yes", Outcome::Yes, 100u64, 50u64)
        .expect("submit");
    mgr.on_fill_buy_with(
        "b1",
        "tok-yes",
        "mkt-1",
        Outcome::Yes,
        100u64,
        dec("0.5"),
        100u64,
        &matched("f1"),
    )
    .expect("provisional buy");
    let yes = state(&mut mgr).tokens["tok-yes"].clone();
    assert_eq!(
        (yes.qty, yes.unsettled_qty, yes.accessible_qty),
        (dec("100"), dec("100"), Decimal::ZERO)
    );
    assert!(!mgr.can_sell("tok-yes", 1u64).expect("can_sell"));
    mgr.on_fill_status("f1", FillStatus::Mined).expect("mined");
    assert!(!mgr.can_sell("tok-yes", 1u64).expect("can_sell"));
    mgr.on_fill_status("f1", FillStatus::Confirmed)
        .expect("confirmed");
    let yes = state(&mut mgr).tokens["tok-yes"].clone();
    assert_eq!(
        (yes.unsettled_qty, yes.accessible_qty),
        (Decimal::ZERO, dec("100"))
    );
    assert!(mgr.can_sell("tok-yes", 100u64).expect("can_sell"));

    let before_sale = state(&mut mgr);
    mgr.on_order_submitted_sell("s1", "tok-yes", 40u64)
        .expect("submit sell");
    mgr.on_fill_sell_with("s1", "tok-yes", 40u64, dec("0.6"), 40u64, &matched("f2"))
        .expect("provisional sale");
    let s = state(&mut mgr);
    assert_eq!(s.unsettled_usd, 24.0);
    assert_eq!(s.total_usd, before_sale.total_usd + 24.0);
    assert_eq!(
        s.accessible_usd,
        s.total_usd - s.in_flight_usd - s.unsettled_usd
    );
    assert_eq!(s.tokens["tok-yes"].qty, dec("60"));
    mgr.on_fill_status("f2", FillStatus::Failed)
        .expect("failed");
    let s = state(&mut mgr);
    assert_eq!((s.total_usd, s.unsettled_usd), (before_sale.total_usd, 0.0));
    let yes = &s.tokens["tok-yes"];
    assert_eq!(
        (yes.qty, yes.avg_entry_price, yes.realized_pnl),
        (dec("100"), dec("0.5"), Decimal::ZERO)
    );
    // A status for a fill the ledger never saw is a fact: recorded, not an error.
    let anomalies = mgr.anomalies().expect("anomalies").len();
    mgr.on_fill_status("nope", FillStatus::Confirmed)
        .expect("an anomaly, not an error");
    assert_eq!(mgr.anomalies().expect("anomalies").len(), anomalies + 1);

    let last = mgr.snapshot().expect("snapshot");
    mgr.close().expect("close");
    let mut again = InventoryManager::recover(&path, StoreMode::Paper, "s").expect("recover");
    assert_eq!(again.snapshot().expect("snapshot").json, last.json);
}

/// Deposits, withdrawals, rebates and corrections move cash and their signed sum; a withdrawal
/// beyond the cash held is applied and recorded as an anomaly; a malformed one is refused.
#[test]
fn cash_adjustments_through_the_shim_move_cash_and_their_sum() {
    start();
    let path = db("adjustments");
    let mut mgr =
        InventoryManager::open(&path, StoreMode::Paper, "s", dec("1000"), &spec()).expect("open");
    for (kind, amount, reason) in [
        (CashAdjustmentKind::Deposit, "100", "top-up"),
        (CashAdjustmentKind::Withdrawal, "30.5", "fees account"),
        (CashAdjustmentKind::Rebate, "0.25", "maker rebate, week 10"),
        (CashAdjustmentKind::Correction, "-0.01", "reconciliation"),
    ] {
        mgr.on_cash_adjustment(kind, dec(amount), reason)
            .expect(reason);
    }
    let s = state(&mut mgr);
    assert_eq!((s.total_usd, s.adjustments_usd), (1069.74, 69.74));
    assert_eq!(s.accessible_usd, 1069.74);
    assert!(mgr.anomalies().expect("anomalies").is_empty());

    let before = mgr.snapshot().expect("snapshot").json.clone();
    match mgr.on_cash_adjustment(CashAdjustmentKind::Deposit, dec("5"), "") {
        Err(err @ ShimError::InvalidInput { .. }) => assert!(err.is_invalid_input()),
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    assert_eq!(mgr.snapshot().expect("snapshot").json, before);

    mgr.on_cash_adjustment(CashAdjustmentKind::Withdrawal, dec("2000"), "sweep")
        .expect("applied, as an anomaly");
    let s = state(&mut mgr);
    assert_eq!((s.total_usd, s.adjustments_usd), (-930.26, -1930.26));
    assert_eq!(mgr.anomalies().expect("anomalies").len(), 1);

    let last = mgr.snapshot().expect("snapshot");
    mgr.close().expect("close");
    let mut again = InventoryManager::recover(&path, StoreMode::Paper, "s").expect("recover");
    assert_eq!(again.snapshot().expect("snapshot").json, last.json);
}

#[test]
fn fill_prices_cross_exactly_as_written_however_often_they_repeat() {
    start();
    let mut mgr = InventoryManager::new(dec("100000")).expect("ledger");
    mgr.on_order_submitted_buy("b", "mkt-1", "tok-no", Outcome::No, 10_000u64, 99u64)
        .expect("submit");
    // 5,000 distinct prices, more than the shim keeps as Python objects, each filled twice.
    let mut cost = Decimal::ZERO;
    for i in 0..5_000 {
        let price = Decimal::new(100_000 + i, 6);
        for _ in 0..2 {
            mgr.on_fill_buy("b", "tok-no", "mkt-1", Outcome::No, 1u64, price, 10_000u64)
                .expect("fill");
            cost += price;
        }
    }
    let s = state(&mut mgr);
    let token = &s.tokens["tok-no"];
    assert_eq!(
        (token.outcome, token.qty),
        (Outcome::No, Decimal::from(10_000))
    );
    assert_eq!(cost, dec("1024.995000"));
    assert!(close(token.total_cost, 1024.995), "{}", token.total_cost);
    assert!(close(s.total_usd, 100_000.0 - 1024.995), "{}", s.total_usd);
    // Equal prices spelled apart stay apart: a refusal names the value as the caller wrote it.
    for text in ["1.5", "1.50", "1.5"] {
        match mgr.on_fill_buy(
            "b",
            "tok-no",
            "mkt-1",
            Outcome::No,
            1u64,
            dec(text),
            10_000u64,
        ) {
            Err(ShimError::InvalidInput { field, value, .. }) => {
                assert_eq!(
                    (field.as_str(), value),
                    ("fill_price", format!("Decimal('{text}')"))
                );
            }
            other => panic!("{text}: expected InvalidInput, got {other:?}"),
        }
    }
}

#[test]
fn price_maps_of_changing_tokens_mark_each_token_at_its_own_price() {
    start();
    let mut mgr = InventoryManager::new(dec("1000")).expect("ledger");
    for (i, token) in ["tok-yes", "tok-no"].into_iter().enumerate() {
        let outcome = if i == 0 { Outcome::Yes } else { Outcome::No };
        let id = format!("b{i}");
        mgr.on_order_submitted_buy(&id, "mkt-1", token, outcome, 10, 50)
            .expect("submit");
        mgr.on_fill_buy(&id, token, "mkt-1", outcome, 10, dec("0.5"), 10)
            .expect("fill");
    }
    // The same tokens, then as many but another one, then more, then fewer.
    let ticks: [&[(&str, u64)]; 5] = [
        &[("tok-yes", 41), ("tok-no", 61)],
        &[("tok-yes", 42), ("tok-no", 62)],
        &[("aaa", 1), ("tok-no", 63)],
        &[("tok-yes", 44), ("aaa", 2), ("tok-no", 64)],
        &[("tok-yes", 45)],
    ];
    let mut marks = (0.0, 0.0);
    for tick in ticks {
        let prices: HashMap<String, u64> = tick.iter().map(|(t, p)| (t.to_string(), *p)).collect();
        mgr.update_prices(&prices).expect("prices");
        for (token, cents) in tick {
            match *token {
                "tok-yes" => marks.0 = *cents as f64 / 100.0,
                "tok-no" => marks.1 = *cents as f64 / 100.0,
                _ => {}
            }
        }
        let s = state(&mut mgr);
        assert_eq!(
            (
                s.tokens["tok-yes"].current_price,
                s.tokens["tok-no"].current_price
            ),
            marks,
            "{tick:?}"
        );
    }
}

#[test]
fn a_session_ended_through_the_handle_is_recorded_ended_and_a_closed_one_stopped() {
    start();
    let path = db("ended");
    for (session, end) in [("sess-end", true), ("sess-stop", false)] {
        let mut mgr = InventoryManager::open(&path, StoreMode::Paper, session, dec("100"), &spec())
            .expect("open");
        mgr.on_order_submitted_buy(
            &format!("o-{session}"),
            "mkt-1",
            "tok-yes",
            Outcome::Yes,
            10,
            50,
        )
        .expect("submit");
        if end {
            mgr.end().expect("end");
        } else {
            mgr.close().expect("close");
        }
    }
    let conn = rusqlite::Connection::open(&path).expect("open db");
    let states: Vec<(String, String)> = conn
        .prepare("SELECT session_id, state FROM writers ORDER BY session_id")
        .expect("prepare")
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(
        states,
        [
            ("sess-end".to_owned(), "ended".to_owned()),
            ("sess-stop".to_owned(), "stopped".to_owned())
        ]
    );
    // The accounts row holds the ended session's money: $5 reserved by its order.
    let reserved: i64 = conn
        .query_row(
            "SELECT in_flight FROM accounts WHERE session_id = 'sess-end'",
            [],
            |row| row.get(0),
        )
        .expect("accounts row");
    assert_eq!(reserved, 5_000_000);
}
