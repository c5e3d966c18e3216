"""A fill's cash leg is `price * shares` truncated to the micro-dollar, as the chain moves it,
over 6-decimal shares and 0.001-dollar prices; no cost basis is ever negative."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from weatherman_inventory import InventoryManager
from weatherman_inventory.events import MICRO

shares_micro = st.integers(1, 5_000 * MICRO)
prices_micro = st.integers(0, 1000).map(lambda ticks: ticks * 1_000)  # 0.001-dollar ticks


def _shares(micro: int) -> Decimal:
    return Decimal(micro).scaleb(-6)


@given(
    buys=st.lists(st.tuples(shares_micro, prices_micro), min_size=1, max_size=6),
    sells=st.lists(st.tuples(shares_micro, prices_micro), max_size=6),
)
def test_cash_leg_is_truncated_and_cost_basis_never_negative(
    buys: list[tuple[int, int]], sells: list[tuple[int, int]]
) -> None:
    mgr = InventoryManager(10**6)
    cash = mgr.cash_micro
    for i, (qty, price) in enumerate(buys):
        mgr.on_order_submitted_buy(f"b{i}", "mkt", "tok", "YES", _shares(qty), 100)
        mgr.on_fill_buy(f"b{i}", "tok", "mkt", "YES", _shares(qty), _shares(price), _shares(qty))
        cash -= qty * price // MICRO
        assert mgr.cash_micro == cash
        record = mgr.position_record("tok")
        assert record is not None and record.cost_micro >= 0
    for i, (qty, price) in enumerate(sells):
        mgr.on_order_submitted_sell(f"s{i}", "tok", _shares(qty))
        mgr.on_fill_sell(f"s{i}", "tok", _shares(qty), _shares(price), _shares(qty))
        cash += qty * price // MICRO
        assert mgr.cash_micro == cash
        record = mgr.position_record("tok")
        assert record is not None and record.cost_micro >= 0
        assert record.qty_micro > 0 or record.cost_micro == 0
    records = mgr.position_records()
    assert mgr.cash_micro + sum(r.cost_micro for r in records) == (
        mgr.capital_baseline_micro + mgr.adjustments_micro + sum(r.realized_micro for r in records)
    )
