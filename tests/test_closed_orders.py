"""Closed orders: kept as shared immutable values, while every rule about them still holds.

A filled or cancelled order reserves nothing; the ledger keeps one `_ClosedOrder` per distinct
final state, so a long session's closed orders cost little more than their ids. These tests pin
the rules (cancel of a closed order, fill on a closed order, the orders table's record, undo of a
refused write) on orders that share that value.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from weatherman_inventory.errors import StoreError
from weatherman_inventory.events import OrderRecord, OrderStatus
from weatherman_inventory.journal import open_session, recover_session
from weatherman_inventory.manager import AnomalyKind, InventoryManager
from weatherman_inventory.store import PersistenceLayer

SID = "sess-closed"


pytestmark = pytest.mark.usefixtures("quiet_anomalies")


def _filled_pair(mgr: InventoryManager) -> None:
    """Two buys of 10 at 40 cents on one token, each filled in two parts: equal final states."""
    for local_id in ("b-1", "b-2"):
        mgr.on_order_submitted_buy(local_id, "mkt-1", "tok-1", "YES", 10, 40)
        mgr.on_fill_buy(local_id, "tok-1", "mkt-1", "YES", 4, "0.39", 10)
        mgr.on_fill_buy(local_id, "tok-1", "mkt-1", "YES", 6, "0.40", 10)


U = 1_000_000  # micro-shares per share
C = 10_000  # micro-USDC per cent


def _record(mgr: InventoryManager, local_id: str) -> OrderRecord:
    record = mgr.order_record(local_id)
    assert record is not None
    return record


def test_orders_closed_alike_share_one_value() -> None:
    mgr = InventoryManager(100)
    _filled_pair(mgr)
    mgr.on_order_submitted_sell("s-1", "tok-1", 3, limit_px=55)
    mgr.on_order_cancelled_sell("s-1", "tok-1", 3)
    mgr.on_order_submitted_sell("s-2", "tok-1", 3, limit_px=55)
    mgr.on_order_cancelled_sell("s-2", "tok-1", 3)
    assert mgr._orders["b-1"] is mgr._orders["b-2"]
    assert mgr._orders["s-1"] is mgr._orders["s-2"]
    assert mgr._orders["b-1"] is not mgr._orders["s-1"]
    assert _record(mgr, "b-2") == OrderRecord(
        "b-2", "buy", "mkt-1", "tok-1", 10 * U, 40 * C, "GTC", OrderStatus.FILLED, 10 * U, 0, 0
    )
    assert _record(mgr, "s-1") == OrderRecord(
        "s-1", "sell", "mkt-1", "tok-1", 3 * U, 55 * C, "GTC", OrderStatus.CANCELLED, 0, 0, 0
    )
    assert mgr.in_flight_micro == 0
    assert mgr.snapshot().tokens["tok-1"].in_flight_qty == 0
    assert mgr.order_ids() == ("b-1", "b-2", "s-1", "s-2")


def test_a_cancel_of_a_closed_order_is_an_anomaly_and_changes_nothing() -> None:
    mgr = InventoryManager(100)
    _filled_pair(mgr)
    before = mgr.ledger_state()
    mgr.on_order_cancelled_buy("b-1", 0, 40)
    [anomaly] = mgr.anomalies()
    assert anomaly.kind is AnomalyKind.CANCEL_CLOSED_ORDER
    assert anomaly.message == "cancel of order 'b-1', already FILLED: nothing released"
    after = mgr.ledger_state()
    del after["anomalies"], before["anomalies"]
    assert after == before


def test_a_fill_on_a_shared_closed_order_counts_for_that_order_only() -> None:
    mgr = InventoryManager(100)
    _filled_pair(mgr)
    cash = mgr.cash_micro
    mgr.on_fill_buy("b-1", "tok-1", "mkt-1", "YES", 2, "0.41", 12)
    kinds = [a.kind for a in mgr.anomalies()]
    assert kinds == [AnomalyKind.OVERFILL, AnomalyKind.ORDER_QTY_MISMATCH]
    assert mgr.anomalies()[0].message == (
        "fill of 2 for order 'b-1' (FILLED) with 0 left: applied, nothing more released"
    )
    assert _record(mgr, "b-1").filled_qty_micro == 12 * U
    assert _record(mgr, "b-1").status is OrderStatus.FILLED
    assert (
        _record(mgr, "b-2").filled_qty_micro == 10 * U
    )  # the order it shared a value with is unchanged
    assert mgr.cash_micro == cash - 2 * 410_000
    assert mgr.in_flight_micro == 0
    # A fill on a cancelled order: counted, nothing released.
    mgr.on_order_submitted_sell("s-1", "tok-1", 3)
    mgr.on_order_cancelled_sell("s-1", "tok-1", 3)
    mgr.on_fill_sell("s-1", "tok-1", 1, "0.5", 3)
    assert _record(mgr, "s-1").filled_qty_micro == 1 * U
    assert _record(mgr, "s-1").status is OrderStatus.CANCELLED
    assert mgr.snapshot().tokens["tok-1"].in_flight_qty == 0


def test_a_refused_write_of_the_closing_fill_reopens_the_order(tmp_path: Path) -> None:
    with PersistenceLayer(tmp_path / "c.db") as store:
        mgr = open_session(InventoryManager, store, SID, 100)
        mgr.on_order_submitted_buy("b-1", "mkt-1", "tok-1", "YES", 10, 40)
        mgr.on_fill_buy("b-1", "tok-1", "mkt-1", "YES", 4, "0.39", 10, fill_id="f-1")
        before = mgr.ledger_state()
        with store.transaction() as conn:
            conn.execute(
                "CREATE TRIGGER refuse_fills BEFORE INSERT ON fills "
                "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
            )
        with pytest.raises(StoreError, match="disk says no"):
            mgr.on_fill_buy("b-1", "tok-1", "mkt-1", "YES", 6, "0.40", 10, fill_id="f-2")
        assert mgr.ledger_state() == before
        assert _record(mgr, "b-1").status is OrderStatus.PARTIALLY_FILLED
        assert mgr.in_flight_micro == 6 * 400_000
        with store.transaction() as conn:
            conn.execute("DROP TRIGGER refuse_fills")
        mgr.on_fill_buy("b-1", "tok-1", "mkt-1", "YES", 6, "0.40", 10, fill_id="f-2")
        assert _record(mgr, "b-1").status is OrderStatus.FILLED
        assert mgr.in_flight_micro == 0
        [row] = store.load_orders(SID)
        assert (row.status, row.filled_qty, row.reserved_usd) == ("FILLED", 10 * U, 0)
        mgr.on_order_cancelled_buy("b-1", 0, 40)
        assert [a.kind for a in mgr.anomalies()] == [AnomalyKind.CANCEL_CLOSED_ORDER]


def test_recovery_rebuilds_closed_orders_and_their_rules(tmp_path: Path) -> None:
    with PersistenceLayer(tmp_path / "c.db") as store:
        mgr = open_session(InventoryManager, store, SID, 100)
        _filled_pair(mgr)
        mgr.on_fill_buy("b-2", "tok-1", "mkt-1", "YES", 1, "0.40", 10)  # an overfill
        mgr._journal.close()  # type: ignore[union-attr]
        recovered = recover_session(InventoryManager, store, SID)
        assert recovered.ledger_state() == mgr.ledger_state()
        assert recovered._orders["b-1"] is not recovered._orders["b-2"]  # b-2 has 11 filled
        recovered.on_order_cancelled_buy("b-2", 0, 40)
        assert recovered.anomalies()[-1].kind is AnomalyKind.CANCEL_CLOSED_ORDER
