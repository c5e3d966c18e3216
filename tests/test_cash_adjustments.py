"""Cash adjustments: deposits, withdrawals, rebates and corrections move cash without a token,
are journaled with their reason, and the invariant gains their sum."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from weatherman_inventory.errors import InvalidInput
from weatherman_inventory.events import MICRO, CashAdjusted
from weatherman_inventory.journal import open_session, recover_session, verify_session
from weatherman_inventory.manager import AnomalyKind, InventoryManager
from weatherman_inventory.store import PersistenceLayer

D = Decimal
SID = "sess-cash"


def assert_invariant(mgr: InventoryManager) -> None:
    records = mgr.position_records()
    cost = sum(r.cost_micro for r in records)
    realized = sum(r.realized_micro for r in records)
    assert mgr.cash_micro + cost == (mgr.capital_baseline_micro + mgr.adjustments_micro + realized)


def traded(capital: object = 100) -> InventoryManager:
    """A manager holding 10 YES bought at $0.40, then 4 sold at $0.55 (realised $0.60)."""
    mgr = InventoryManager(capital)
    mgr.on_order_submitted_buy("b", "mkt", "tok", "YES", 10, 40)
    mgr.on_fill_buy("b", "tok", "mkt", "YES", 10, D("0.40"), 10)
    mgr.on_order_submitted_sell("s", "tok", 4)
    mgr.on_fill_sell("s", "tok", 4, D("0.55"), 4)
    return mgr


def test_each_kind_moves_cash_by_its_sign_and_the_invariant_holds_with_their_sum() -> None:
    mgr = traded()
    cash = mgr.cash_micro  # 100 - 4 + 2.2
    assert cash == 98_200_000
    mgr.on_cash_adjustment("DEPOSIT", D("25.5"), "wire from the treasury")
    mgr.on_cash_adjustment("WITHDRAWAL", "10", "sweep to cold storage")
    mgr.on_cash_adjustment("REBATE", D("0.000123"), "maker rebate, 2026-11-30")
    mgr.on_cash_adjustment("CORRECTION", D("-0.000023"), "reconciliation against the venue")
    assert mgr.adjustments_micro == 25_500_000 - 10_000_000 + 123 - 23
    assert mgr.cash_micro == cash + 15_500_100
    assert_invariant(mgr)
    snap = mgr.snapshot()
    assert snap.adjustments_usd == 15.5001
    assert snap.total_usd == 113.7001
    assert snap.accessible_usd == 113.7001
    assert mgr.snapshot_json() == snap.model_dump_json()
    # Positions are untouched: an adjustment is cash alone.
    record = mgr.position_record("tok")
    assert record is not None
    assert (record.qty_micro, record.cost_micro, record.realized_micro) == (
        6 * MICRO,
        2_400_000,
        600_000,
    )
    assert mgr.anomalies() == ()


def test_withdrawal_beyond_cash_is_applied_and_recorded_as_an_anomaly() -> None:
    mgr = InventoryManager(5)
    mgr.on_cash_adjustment("WITHDRAWAL", D("7.25"), "venue shows less collateral")
    assert mgr.cash_micro == -2_250_000
    assert mgr.adjustments_micro == -7_250_000
    (anomaly,) = mgr.anomalies()
    assert anomaly.kind is AnomalyKind.WITHDRAWAL_EXCEEDS_CASH
    assert anomaly.event == CashAdjusted("WITHDRAWAL", 7_250_000, "venue shows less collateral")
    assert anomaly.message == (
        "withdrawal of $7.25 ('venue shows less collateral') with $5.00 held: "
        "applied, cash goes below zero"
    )
    assert_invariant(mgr)
    # Withdrawing exactly what is held is no anomaly.
    exact = InventoryManager(5)
    exact.on_cash_adjustment("WITHDRAWAL", 5, "close the account")
    assert (exact.cash_micro, exact.anomalies()) == (0, ())


MALFORMED: list[tuple[tuple[Any, ...], str]] = [
    (("DEPOSIT", D("-1"), "x"), "amount_usd"),
    (("WITHDRAWAL", "-0.000001", "x"), "amount_usd"),
    (("REBATE", True, "x"), "amount_usd"),
    (("DEPOSIT", D("1.0000001"), "x"), "amount_usd"),
    (("DEPOSIT", float("nan"), "x"), "amount_usd"),
    (("DEPOSIT", D("1000000000"), "x"), "amount_usd"),
    (("deposit", 1, "x"), "kind"),
    (("FEE", 1, "x"), "kind"),
    (("DEPOSIT", 1, ""), "reason"),
    (("DEPOSIT", 1, "   "), "reason"),
    (("DEPOSIT", 1, "a\nb"), "reason"),
    (("DEPOSIT", 1, "r" * 501), "reason"),
    (("DEPOSIT", 1, None), "reason"),
]


@pytest.mark.parametrize(("args", "field"), MALFORMED)
def test_malformed_adjustment_is_refused_naming_the_argument_and_changes_nothing(
    args: tuple[Any, ...], field: str
) -> None:
    mgr = traded()
    before, before_json = mgr.ledger_state(), mgr.snapshot_json()
    with pytest.raises(InvalidInput) as info:
        mgr.on_cash_adjustment(*args)
    assert info.value.field == field
    assert mgr.ledger_state() == before
    assert mgr.snapshot_json() == before_json


def test_an_adjustment_pushing_cash_past_the_bound_is_refused_and_changes_nothing() -> None:
    mgr = InventoryManager(D("999999999"))
    before = mgr.ledger_state()
    with pytest.raises(InvalidInput) as info:
        mgr.on_cash_adjustment("DEPOSIT", 1, "one dollar too many")
    assert (info.value.field, info.value.value) == ("total_usd", D("1000000000.000000"))
    assert mgr.ledger_state() == before


def test_adjustments_are_journaled_with_their_reason_recovered_and_verified(
    tmp_path: Path,
) -> None:
    db = tmp_path / "cash.db"
    with PersistenceLayer(db, mode="live") as store:
        live = open_session(InventoryManager, store, SID, 100)
        live.on_order_submitted_buy("b", "mkt", "tok", "YES", 10, 40)
        live.on_fill_buy("b", "tok", "mkt", "YES", 10, D("0.40"), 10, fill_id="f1")
        live.on_cash_adjustment("DEPOSIT", D("12.5"), "top-up for the weekend")
        live.on_cash_adjustment("WITHDRAWAL", 200, "ledger was wrong: venue balance lower")
        live.on_cash_adjustment("CORRECTION", D("-0.01"), "rounding at the venue")
        state, text = live.ledger_state(), live.snapshot_json()
        rows = [r for r in store.iter_journal(SID) if r.kind == "cash_adjusted"]
        assert [orjson.loads(r.payload) for r in rows] == [
            ["DEPOSIT", 12_500_000, "top-up for the weekend"],
            ["WITHDRAWAL", 200_000_000, "ledger was wrong: venue balance lower"],
            ["CORRECTION", -10_000, "rounding at the venue"],
        ]
    with PersistenceLayer(db) as store:
        recovered = recover_session(InventoryManager, store, SID)
        assert recovered.snapshot_json() == text
        got = recovered.ledger_state()
        assert {k: v for k, v in got.items() if k != "fill_ids"} == {
            k: v for k, v in state.items() if k != "fill_ids"
        }
        assert [a.kind for a in recovered.anomalies()] == [AnomalyKind.WITHDRAWAL_EXCEEDS_CASH]
        assert recovered.adjustments_micro == 12_500_000 - 200_000_000 - 10_000
        assert_invariant(recovered)
        assert verify_session(store, SID).ok
