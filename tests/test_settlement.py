"""Settlement statuses (ledger rules, "Settlement statuses"): provisional fills, FAILED
restatements, moves out of terminal statuses, stale fills, and their journal."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from weatherman_inventory.errors import InvalidInput
from weatherman_inventory.journal import open_session, recover_session, verify_session
from weatherman_inventory.manager import AnomalyKind, InventoryManager
from weatherman_inventory.store import PersistenceLayer

pytestmark = pytest.mark.usefixtures("quiet_anomalies")

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def _kinds(m: InventoryManager) -> list[AnomalyKind]:
    return [a.kind for a in m.anomalies()]


def _invariant(m: InventoryManager) -> None:
    pos = m.position_records()
    assert m.cash_micro + sum(p.cost_micro for p in pos) == m.capital_baseline_micro + sum(
        p.realized_micro for p in pos
    )


def _bought(status: str | None = "MATCHED") -> InventoryManager:
    m = InventoryManager(100, clock=lambda: T0)
    m.on_order_submitted_buy("b1", "m", "t", "YES", 10, 50)
    m.on_fill_buy("b1", "t", "m", "YES", 10, "0.4", 10, fill_id="f1", fee_usd="0.1", status=status)
    return m


def test_provisional_buy_shares_are_held_but_not_sellable_until_confirmed() -> None:
    m = _bought()
    s = m.snapshot()
    assert s.tokens["t"].qty == Decimal(10)
    assert s.tokens["t"].unsettled_qty == Decimal(10)
    assert s.tokens["t"].accessible_qty == Decimal(0)
    assert not m.can_sell("t", 1)
    m.on_fill_status("f1", "MINED")
    assert not m.can_sell("t", 1)
    m.on_fill_status("f1", "CONFIRMED")
    assert m.can_sell("t", 10)
    assert m.snapshot().tokens["t"].unsettled_qty == Decimal(0)
    assert m.fill_status("f1") == "CONFIRMED"


def test_provisional_sale_proceeds_count_in_total_but_not_accessible_usd() -> None:
    m = _bought(None)
    m.on_order_submitted_sell("s1", "t", 4)
    m.on_fill_sell("s1", "t", 4, "0.6", 4, fill_id="f2", fee_usd="0.2", status="MATCHED")
    s = m.snapshot()
    assert s.total_usd == pytest.approx(100 - 4.1 + 2.4 - 0.2)
    assert s.unsettled_usd == pytest.approx(2.2)
    assert s.accessible_usd == pytest.approx(s.total_usd - 2.2)
    assert m.snapshot_json().count('"unsettledUsd":2.2') == 1
    assert m.can_mint("95.9")
    assert not m.can_mint("95.91")
    m.on_fill_status("f2", "CONFIRMED")
    assert m.snapshot().unsettled_usd == 0
    assert m.can_mint("98")


def test_failed_buy_restates_token_refunds_cash_and_fee_and_keeps_the_released_reservation() -> (
    None
):
    m = _bought()
    m.on_fill_status("f1", "FAILED")
    assert m.cash_micro == 100_000_000
    rec = m.position_record("t")
    assert rec is not None
    assert (rec.qty_micro, rec.cost_micro, rec.realized_micro) == (0, 0, 0)
    order = m.order_record("b1")
    assert order is not None
    assert order.filled_qty_micro == 0
    assert order.reserved_micro == 0  # not restored: whether it rests again is the venue's word
    assert m.in_flight_micro == 0
    assert m.fill_status("f1") == "FAILED"
    assert m.snapshot().tokens["t"].unsettled_qty == 0
    _invariant(m)


def test_failed_buy_restates_a_later_sale_and_records_the_pnl_difference() -> None:
    m = InventoryManager(100)
    m.on_order_submitted_buy("b0", "m", "t", "YES", 10, 50)
    m.on_fill_buy("b0", "t", "m", "YES", 10, "0.2", 10, fill_id="f0")  # settled, cost 2.00
    m.on_order_submitted_buy("b1", "m", "t", "YES", 10, 50)
    m.on_fill_buy("b1", "t", "m", "YES", 10, "0.4", 10, fill_id="f1", status="MATCHED")
    m.on_order_submitted_sell("s1", "t", 10)
    m.on_fill_sell("s1", "t", 10, "0.5", 10, fill_id="f2")  # avg 0.30: realises 2.00
    assert m.position_record("t").realized_micro == 2_000_000  # type: ignore[union-attr]
    m.on_fill_status("f1", "FAILED")
    rec = m.position_record("t")
    assert rec is not None
    # Without f1: 10 at 0.20, all sold at 0.50 realises 3.00.
    assert (rec.qty_micro, rec.cost_micro, rec.realized_micro) == (0, 0, 3_000_000)
    assert m.cash_micro == 100_000_000 - 2_000_000 + 5_000_000
    last = m.anomalies()[-1]
    assert last.kind is AnomalyKind.RESTATED_PNL
    assert "$1.00" in last.message and "$3.00" in last.message
    _invariant(m)


def test_memory_holds_facts_only_from_the_oldest_provisional_fill() -> None:
    m = _bought(None)
    m.on_fill_buy("b1", "t", "m", "YES", 1, "0.4", 10, fill_id="f2", status="MATCHED")
    m.on_fill_buy("b1", "t", "m", "YES", 1, "0.4", 10, fill_id="f3", status="MATCHED")
    m.on_fill_buy("b1", "t", "m", "YES", 1, "0.4", 10, fill_id="f4")
    state = m.ledger_state()["settlement"]
    assert isinstance(state, dict)
    start, facts = state["histories"]["t"]
    assert start.qty == 10_000_000 and len(facts) == 3
    m.on_fill_status("f2", "CONFIRMED")
    start, facts = m.ledger_state()["settlement"]["histories"]["t"]  # type: ignore[index]
    assert start.qty == 11_000_000 and len(facts) == 2
    m.on_fill_status("f3", "FAILED")
    assert m.ledger_state()["settlement"]["histories"] == {}  # type: ignore[index]
    assert m.position_record("t").qty_micro == 12_000_000  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("statuses", "kinds", "fill_status"),
    [
        (["MINED", "MINED"], [AnomalyKind.REPEATED_STATUS], "MINED"),
        (["CONFIRMED", "MATCHED"], [AnomalyKind.TERMINAL_STATUS_MOVE], "CONFIRMED"),
        (["FAILED", "FAILED"], [AnomalyKind.REPEATED_STATUS], "FAILED"),
        (["CONFIRMED", "FAILED"], [AnomalyKind.TERMINAL_STATUS_MOVE], "FAILED"),
        (["FAILED", "CONFIRMED"], [AnomalyKind.TERMINAL_STATUS_MOVE], "CONFIRMED"),
        (["RETRYING", "MATCHED", "CONFIRMED"], [], "CONFIRMED"),
    ],
)
def test_status_sequences(statuses: list[str], kinds: list[AnomalyKind], fill_status: str) -> None:
    m = _bought()
    for status in statuses:
        m.on_fill_status("f1", status)
    assert _kinds(m) == kinds
    assert m.fill_status("f1") == fill_status
    _invariant(m)


def test_failed_after_confirmed_reverses_the_fill_at_its_own_price() -> None:
    m = _bought()
    m.on_fill_status("f1", "CONFIRMED")
    m.on_fill_status("f1", "FAILED")
    assert m.cash_micro == 100_000_000
    rec = m.position_record("t")
    assert rec is not None
    assert (rec.qty_micro, rec.cost_micro, rec.realized_micro) == (0, 0, 0)


def test_confirmed_after_failed_applies_the_fill_again() -> None:
    m = _bought()
    m.on_fill_status("f1", "FAILED")
    m.on_fill_status("f1", "CONFIRMED")
    assert m.cash_micro == 100_000_000 - 4_100_000
    assert m.position_record("t").qty_micro == 10_000_000  # type: ignore[union-attr]
    assert m.can_sell("t", 10)


def test_status_for_unknown_or_final_fills() -> None:
    m = _bought(None)
    m.on_fill_status("nope", "FAILED")
    m.on_fill_status("f1", "CONFIRMED")
    assert _kinds(m) == [AnomalyKind.UNKNOWN_FILL, AnomalyKind.REPEATED_STATUS]
    assert m.fill_status("f1") == "CONFIRMED"
    assert m.fill_status("nope") is None


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda m: m.on_fill_status("f1", "SETTLED"), "status"),
        (lambda m: m.on_fill_status("", "FAILED"), "fill_id"),
        (lambda m: m.check_stale_fills(datetime(2026, 1, 1)), "now"),
        (
            lambda m: m.on_fill_buy("b1", "t", "m", "YES", 1, "0.4", 10, status="MATCHED"),
            "fill_id",
        ),
    ],
)
def test_malformed_settlement_input_is_refused_and_changes_nothing(
    call: object, field: str
) -> None:
    m = _bought()
    before = m.ledger_state()
    with pytest.raises(InvalidInput) as info:
        call(m)  # type: ignore[operator]
    assert info.value.field == field
    assert m.ledger_state() == before


def test_stale_provisional_fills_are_reported_once() -> None:
    m = _bought()
    m.check_stale_fills(T0 + timedelta(hours=23))
    assert _kinds(m) == []
    m.check_stale_fills(T0 + timedelta(days=1, seconds=1))
    m.check_stale_fills(T0 + timedelta(days=2))
    assert _kinds(m) == [AnomalyKind.STALE_FILL]


def test_failed_sale_keeps_used_up_minted_pairs_and_the_cap_applies_after() -> None:
    m = InventoryManager(100)
    m.on_mint_submitted("c", 10)
    m.on_mint_confirmed("c", 10, "y", "n", "m")
    m.on_order_submitted_sell("s1", "y", 4)
    m.on_fill_sell("s1", "y", 4, "0.6", 4, fill_id="f1", status="MATCHED")
    assert m.snapshot().minted_pairs["c"].available == 6
    m.on_fill_status("f1", "FAILED")
    pairs = m.snapshot().minted_pairs["c"]
    assert (pairs.available, pairs.total_sold) == (Decimal(6), Decimal(4))  # not restored
    assert m.position_record("y").qty_micro == 10_000_000  # type: ignore[union-attr]
    _invariant(m)


def test_status_events_are_journaled_and_recovery_equals_the_live_manager(tmp_path: Path) -> None:
    with PersistenceLayer(tmp_path / "s.db") as store:
        m = open_session(
            lambda capital, **kw: InventoryManager(capital, clock=lambda: T0, **kw),
            store,
            "s",
            100,
        )
        m.on_order_submitted_buy("b1", "m", "t", "YES", 10, 50)
        m.on_fill_buy("b1", "t", "m", "YES", 6, "0.4", 10, fill_id="f1", status="MATCHED")
        m.on_fill_buy("b1", "t", "m", "YES", 4, "0.4", 10, fill_id="f2")
        m.on_order_submitted_sell("s1", "t", 4)
        m.on_fill_sell("s1", "t", 4, "0.7", 4, fill_id="f3", status="MATCHED")
        m.on_fill_status("f1", "FAILED")
        m.on_fill_status("f2", "FAILED")  # booked final: an anomaly, nothing reversed
        m.on_fill_status("f3", "MINED")
        m.check_stale_fills(T0 + timedelta(days=3))
        assert m.fill_status("f2") == "CONFIRMED"
        live = m.ledger_state()
        kinds = _kinds(m)
        m._journal.close()  # type: ignore[union-attr]
        recovered = recover_session(InventoryManager, store, "s")
        assert recovered.ledger_state() == live
        assert _kinds(recovered) == kinds
        assert AnomalyKind.STALE_FILL in kinds
        assert verify_session(store, "s").ok


# -- Model-based: a failed fill leaves the state of the same history without it -------------

_FACT = st.tuples(st.sampled_from(["buy", "sell"]), st.integers(1, 30), st.integers(1, 99))


def _run(
    facts: list[tuple[str, int, int]], provisional: int | None, skip: int | None
) -> InventoryManager:
    m = InventoryManager(10_000)
    for i, (side, qty, cents) in enumerate(facts):
        if i == skip:
            continue
        status = "MATCHED" if i == provisional else None
        price = Decimal(cents) / 100
        if side == "buy":
            m.on_order_submitted_buy(f"o{i}", "m", "t", "YES", qty, 99)
            m.on_fill_buy(f"o{i}", "t", "m", "YES", qty, price, qty, fill_id=f"f{i}", status=status)
        else:
            m.on_order_submitted_sell(f"o{i}", "t", qty)
            m.on_fill_sell(f"o{i}", "t", qty, price, qty, fill_id=f"f{i}", status=status)
    return m


def _position(m: InventoryManager) -> tuple[int, int, int]:
    rec = m.position_record("t")
    return (0, 0, 0) if rec is None else (rec.qty_micro, rec.cost_micro, rec.realized_micro)


COUNTS: Counter[str] = Counter()


@given(st.lists(_FACT, min_size=1, max_size=8), st.data())
def test_failed_fill_leaves_the_state_of_the_history_without_it(
    facts: list[tuple[str, int, int]], data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(facts) - 1))
    failed = _run(facts, i, None)
    failed.on_fill_status(f"f{i}", "FAILED")
    if any(side == "sell" for side, _, _ in facts[i + 1 :]):
        event("FAILED after a sale")
        COUNTS["FAILED after a sale"] += 1
    without = _run(facts, None, i)
    _invariant(failed)
    assert failed.cash_micro == without.cash_micro
    assert _position(failed) == _position(without)
    for j in range(len(facts)):
        if j != i:
            oa, ob = failed.order_record(f"o{j}"), without.order_record(f"o{j}")
            assert oa is not None and ob is not None
            assert oa.filled_qty_micro == ob.filled_qty_micro
    repeat = data.draw(st.sampled_from(["FAILED", "CONFIRMED"]))
    failed.on_fill_status(f"f{i}", repeat)
    event("repeated status" if repeat == "FAILED" else "CONFIRMED after FAILED")
    COUNTS["repeated status" if repeat == "FAILED" else "CONFIRMED after FAILED"] += 1
    _invariant(failed)


def test_status_statistics_reach_twenty_each() -> None:
    COUNTS.clear()
    test_failed_fill_leaves_the_state_of_the_history_without_it()
    for name in ("FAILED after a sale", "CONFIRMED after FAILED", "repeated status"):
        assert COUNTS[name] >= 20, COUNTS
