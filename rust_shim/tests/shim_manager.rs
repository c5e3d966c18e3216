//! Every method of the shim's `InventoryManager` against the real Python ledger and a real
//! SQLite file, and the mapping of Python's errors to `ShimError`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use pyo3::prelude::*;
use rust_decimal::Decimal;
use weatherman_inventory::contract::{InventoryState, Outcome};
use weatherman_inventory::shim::{
    self, FillMeta, InventoryManager, LoadedPosition, MarketIds, SessionSpec, ShimError, StoreMode,
};

fn start() {
    let venv = shim::resolve_venv(None)
        .unwrap_or_else(|_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv")));
    shim::start(Some(&venv)).expect("interpreter start");
}

fn dec(text: &str) -> Decimal {
    text.parse().expect("decimal")
}

/// A fresh database file for one test.
fn db(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("shim_manager");
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let path = dir.join(format!("{name}-{}.sqlite", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

fn spec() -> SessionSpec {
    SessionSpec {
        strategy_id: "shim-test".into(),
        config_json: "{}".into(),
        markets: vec![MarketIds {
            market_id: "mkt-1".into(),
            condition_id: "cond-1".into(),
            yes_token_id: "tok-yes".into(),
            no_token_id: "tok-no".into(),
        }],
    }
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
    assert_eq!((yes.qty, yes.avg_entry_price), (60, dec("0.6")));
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
    assert_eq!((yes.in_flight_qty, yes.accessible_qty), (20, 40));
    assert!(mgr.can_sell("tok-yes", 40).expect("can_sell"));
    assert!(!mgr.can_sell("tok-yes", 41).expect("can_sell"));
    mgr.on_fill_sell("s1", "tok-yes", 20, dec("0.75"), 20)
        .expect("sell fill");
    let yes = state(&mut mgr).tokens["tok-yes"].clone();
    assert_eq!(
        (yes.qty, yes.in_flight_qty, yes.realized_pnl),
        (40, 0, dec("2.99"))
    );
    mgr.on_order_submitted_sell("s2", "tok-yes", 10)
        .expect("submit sell");
    mgr.on_order_cancelled_sell("s2", "tok-yes", 10)
        .expect("cancel sell");
    assert_eq!(state(&mut mgr).tokens["tok-yes"].in_flight_qty, 0);

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
    assert_eq!(s.tokens["tok-no"].qty, 50);
    assert_eq!(s.minted_pairs["cond-1"].available, 50);
    mgr.on_merge_submitted("cond-1", 20).expect("merge");
    assert_eq!(state(&mut mgr).minted_pairs["cond-1"].reserved, 20);
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
        (30, 0, 50, 20)
    );

    // The fast-start cache, then exit.
    mgr.load_positions(&[LoadedPosition {
        token_id: "tok-other".into(),
        market_id: "mkt-2".into(),
        outcome: Outcome::No,
        qty: 10,
        avg_price: dec("0.25"),
        realized_pnl: dec("1.5"),
    }])
    .expect("load positions");
    let other = state(&mut mgr).tokens["tok-other"].clone();
    assert_eq!(
        (other.qty, other.avg_entry_price, other.realized_pnl),
        (10, dec("0.25"), dec("1.5"))
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
                    qty: 1,
                    avg_price: dec("0.3333333"),
                    realized_pnl: Decimal::ZERO,
                }])
            }),
        ),
        ("qty", "0", Box::new(|m| m.can_buy(0, 50).map(|_| ()))),
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
    for (round, payload) in payloads.iter().enumerate() {
        assert_eq!(
            payload,
            &format!(
                "[[[\"tok-no\",{}],[\"tok-yes\",{}]]]",
                60 - round,
                40 + round
            )
        );
    }
}
