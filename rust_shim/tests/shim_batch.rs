//! `InventoryManager::batch` against the real Python ledger and a real SQLite file: the
//! closure's events are journaled together, or (an `Err` from the closure, a refused commit)
//! none are and the ledger is as before.

use std::path::PathBuf;

use weatherman_inventory::contract::Outcome;
use weatherman_inventory::shim::{InventoryManager, SessionSpec, ShimError, StoreMode};

mod shim_support;
use shim_support::{dec, start};

fn db(name: &str) -> PathBuf {
    shim_support::db("shim_batch", name)
}

fn spec() -> SessionSpec {
    shim_support::spec("shim-batch", ["mkt-1", "cond-1", "tok-yes", "tok-no"])
}

/// The events of one tick: a fill of `b1`, a sell of part of it, a new buy.
fn tick(m: &mut InventoryManager) -> Result<usize, ShimError> {
    m.on_fill_buy("b1", "tok-yes", "mkt-1", Outcome::Yes, 10, dec("0.40"), 10)?;
    m.on_order_submitted_sell("s1", "tok-yes", 4)?;
    m.on_order_submitted_buy("b2", "mkt-1", "tok-no", Outcome::No, 5, 55)?;
    Ok(3)
}

fn snapshot_json(m: &mut InventoryManager) -> String {
    m.snapshot().expect("snapshot").json.to_string()
}

#[test]
fn a_batch_is_journaled_whole_and_recovers_to_the_same_snapshot() {
    start();
    let path = db("whole");
    let mut mgr =
        InventoryManager::open(&path, StoreMode::Paper, "s", dec("100"), &spec()).expect("open");
    mgr.on_order_submitted_buy("b1", "mkt-1", "tok-yes", Outcome::Yes, 10, 40)
        .expect("buy");
    let seq = mgr.journal_seq().expect("seq");
    let applied = mgr
        .batch(|m| -> Result<usize, ShimError> {
            let n = tick(m)?;
            // Inside the batch the ledger already shows the fill, before any of it is durable.
            assert!(m.snapshot()?.state.tokens.contains_key("tok-yes"));
            assert_eq!(m.journal_seq()?, seq);
            Ok(n)
        })
        .expect("batch");
    assert_eq!(applied, 3);
    assert_eq!(mgr.journal_seq().expect("seq"), seq + 3);
    let before_close = snapshot_json(&mut mgr);
    mgr.close().expect("close");
    let mut recovered = InventoryManager::recover(&path, StoreMode::Paper, "s").expect("recover");
    assert_eq!(snapshot_json(&mut recovered), before_close);
}

#[test]
fn an_err_from_the_closure_restores_the_ledger_and_writes_nothing() {
    start();
    let path = db("closure-err");
    let mut mgr =
        InventoryManager::open(&path, StoreMode::Paper, "s", dec("100"), &spec()).expect("open");
    mgr.on_order_submitted_buy("b1", "mkt-1", "tok-yes", Outcome::Yes, 10, 40)
        .expect("buy");
    let before = snapshot_json(&mut mgr);
    let seq = mgr.journal_seq().expect("seq");
    let err = mgr
        .batch(|m| -> Result<(), ShimError> {
            tick(m)?;
            Err(ShimError::Contract("the strategy gave up".into()))
        })
        .expect_err("the closure's error");
    assert!(
        matches!(&err, ShimError::Contract(m) if m == "the strategy gave up"),
        "{err:?}"
    );
    assert_eq!(snapshot_json(&mut mgr), before);
    assert!(mgr.anomalies().expect("anomalies").is_empty());
    assert_eq!(mgr.journal_seq().expect("seq"), seq);
    // Applied again, the tick goes through.
    mgr.batch(tick).expect("again");
    assert_eq!(mgr.journal_seq().expect("seq"), seq + 3);
}

#[test]
fn a_commit_the_store_refuses_restores_the_ledger_and_returns_the_store_error() {
    start();
    let path = db("refused");
    let mut mgr =
        InventoryManager::open(&path, StoreMode::Paper, "s", dec("100"), &spec()).expect("open");
    mgr.on_order_submitted_buy("b1", "mkt-1", "tok-yes", Outcome::Yes, 10, 40)
        .expect("buy");
    let before = snapshot_json(&mut mgr);
    let seq = mgr.journal_seq().expect("seq");
    let conn = rusqlite::Connection::open(&path).expect("sqlite");
    conn.execute_batch(&format!(
        "CREATE TRIGGER refuse BEFORE INSERT ON journal WHEN NEW.seq = {} \
         BEGIN SELECT RAISE(ABORT, 'row refused'); END",
        seq + 2
    ))
    .expect("trigger");
    let err = mgr.batch(tick).expect_err("refused");
    assert!(
        matches!(&err, ShimError::Store { message, .. } if message.contains("row refused")),
        "{err:?}"
    );
    assert_eq!(snapshot_json(&mut mgr), before);
    assert_eq!(mgr.journal_seq().expect("seq"), seq);
    conn.execute_batch("DROP TRIGGER refuse").expect("drop");
    assert_eq!(mgr.batch(tick).expect("again"), 3);
    assert_eq!(mgr.journal_seq().expect("seq"), seq + 3);
}

#[test]
fn invalid_input_inside_a_batch_changes_nothing_and_the_batch_goes_on() {
    start();
    let path = db("invalid");
    let mut mgr =
        InventoryManager::open(&path, StoreMode::Paper, "s", dec("100"), &spec()).expect("open");
    let seq = mgr.journal_seq().expect("seq");
    mgr.batch(|m| -> Result<(), ShimError> {
        m.on_order_submitted_buy("b1", "mkt-1", "tok-yes", Outcome::Yes, 10, 40)?;
        let refused = m.on_order_submitted_buy("b2", "mkt-1", "tok-yes", Outcome::Yes, -1, 40);
        assert!(
            refused.as_ref().is_err_and(ShimError::is_invalid_input),
            "{refused:?}"
        );
        m.on_order_submitted_buy("b3", "mkt-1", "tok-no", Outcome::No, 5, 50)
    })
    .expect("batch");
    assert_eq!(mgr.journal_seq().expect("seq"), seq + 2);
}
