"""One test per rule of `ledger-rules.md`, named for what it protects; the malformed-input table."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from weatherman_inventory import AnomalyKind, InvalidInput, InventoryManager, Outcome
from weatherman_inventory.events import MICRO, BuyFilled, OrderStatus

YES = Outcome.YES
NO = Outcome.NO
D = Decimal


def kinds(mgr: InventoryManager) -> list[AnomalyKind]:
    return [a.kind for a in mgr.anomalies()]


def assert_invariant(mgr: InventoryManager) -> None:
    records = mgr.position_records()
    cost = sum(r.cost_micro for r in records)
    realized = sum(r.realized_micro for r in records)
    assert mgr.cash_micro + cost == mgr.capital_baseline_micro + realized


def bought(qty: int = 100, price: str = "0.6", token: str = "tok", capital: int = 1000) -> Any:
    mgr = InventoryManager(capital)
    mgr.on_order_submitted_buy("b", "mkt", token, YES, qty, 100)
    mgr.on_fill_buy("b", token, "mkt", YES, qty, D(price), qty)
    return mgr


def minted(pairs: int = 100) -> InventoryManager:
    mgr = InventoryManager(1000)
    mgr.on_mint_submitted("cond", pairs)
    mgr.on_mint_confirmed("cond", pairs, "yes", "no", "mkt")
    return mgr


# -- Units: money is exact ------------------------------------------------------------------------


def test_money_is_exact_where_floats_would_drift() -> None:
    """Ten fills of one contract at $0.1 cost exactly $1 (ten float additions of 0.1 do not)."""
    mgr = InventoryManager(1)
    mgr.on_order_submitted_buy("b", "mkt", "tok", YES, 10, 10)
    for i in range(10):
        mgr.on_fill_buy("b", "tok", "mkt", YES, 1, D("0.1"), 10, fill_id=f"f{i}")
    assert mgr.cash_micro == 0
    assert mgr.snapshot().tokens["tok"].avg_entry_price == D("0.1")
    assert mgr.in_flight_micro == 0


@pytest.mark.parametrize(
    ("price", "micro"),
    [
        (D("0.65"), 650_000),
        ("0.65", 650_000),
        (0.65, 650_000),  # a float by its shortest repr, not its binary value
        (0.1, 100_000),
        (1, 1_000_000),
        (0, 0),
        (D("0.000001"), 1),
        (D("0.650000000"), 650_000),  # trailing zeros are still whole micro-USDC
        (D("65E-2"), 650_000),
    ],
)
def test_fill_price_is_converted_exactly(price: object, micro: int) -> None:
    mgr = InventoryManager(1000)
    mgr.on_fill_buy("b", "tok", "mkt", YES, 1, price, 1)
    record = mgr.position_record("tok")
    assert record is not None
    assert record.cost_micro == micro
    assert mgr.cash_micro == 1000 * MICRO - micro


@pytest.mark.parametrize("price", [D("0.6500001"), "0.1234567", 1e-7, D("1E-30")])
def test_more_than_six_decimals_is_refused_never_rounded(price: object) -> None:
    mgr = InventoryManager(1000)
    with pytest.raises(InvalidInput) as info:
        mgr.on_fill_buy("b", "tok", "mkt", YES, 1, price, 1)
    assert info.value.field == "fill_price"
    assert "micro-USDC" in info.value.reason


def test_snapshot_floats_are_converted_only_at_the_end() -> None:
    mgr = InventoryManager(D("0.3"))
    mgr.on_fill_buy("b", "tok", "mkt", YES, 1, D("0.1"), 1)
    mgr.on_fill_buy("c", "tok", "mkt", YES, 1, D("0.1"), 1)
    snap = mgr.snapshot()
    assert snap.total_usd == 0.1  # (300000 - 200000) / 1e6, not 0.3 - 0.1 - 0.1 in floats
    assert snap.total_usd != 0.3 - 0.1 - 0.1


# -- Rule 2: contradicting facts are applied and recorded -----------------------------------------


def test_fill_of_unknown_order_is_applied_and_recorded() -> None:
    mgr = InventoryManager(1000)
    mgr.on_fill_buy("ghost", "tok", "mkt", YES, 10, D("0.5"), 10)
    assert kinds(mgr) == [AnomalyKind.UNKNOWN_ORDER]
    assert mgr.cash_micro == 995 * MICRO
    assert mgr.in_flight_micro == 0
    assert mgr.snapshot().tokens["tok"].qty == 10


def test_fill_beyond_remaining_is_applied_and_releases_no_more_than_reserved() -> None:
    mgr = InventoryManager(1000)
    mgr.on_order_submitted_buy("b", "mkt", "tok", YES, 10, 50)
    mgr.on_fill_buy("b", "tok", "mkt", YES, 15, D("0.5"), 10)
    assert kinds(mgr) == [AnomalyKind.OVERFILL]
    assert mgr.in_flight_micro == 0
    assert mgr.snapshot().tokens["tok"].qty == 15
    record = mgr.order_record("b")
    assert record is not None
    assert (record.status, record.filled_qty_micro, record.reserved_micro) == (
        OrderStatus.FILLED,
        15 * MICRO,
        0,
    )


def test_sell_of_more_than_held_is_recorded_and_leaves_at_zero_cost() -> None:
    mgr = bought(10, "0.6")
    mgr.on_order_submitted_sell("s", "tok", 15)
    mgr.on_fill_sell("s", "tok", 15, D("0.8"), 15)
    assert kinds(mgr) == [AnomalyKind.SELL_EXCEEDS_HOLDINGS, AnomalyKind.OVERSELL]
    record = mgr.position_record("tok")
    assert record is not None
    # proceeds 15 * 0.8 = 12, cost removed 6 (all held), the 5 extra at zero cost
    assert (record.qty_micro, record.cost_micro, record.realized_micro) == (0, 0, 6 * MICRO)
    assert mgr.snapshot().tokens["tok"].in_flight_qty == 0
    assert_invariant(mgr)


def test_cancel_of_unknown_order_releases_nothing() -> None:
    mgr = InventoryManager(1000)
    mgr.on_order_submitted_buy("b", "mkt", "tok", YES, 10, 50)
    mgr.on_order_cancelled_buy("other", 10, 50)
    assert kinds(mgr) == [AnomalyKind.CANCEL_UNKNOWN_ORDER]
    assert mgr.in_flight_micro == 5 * MICRO


def test_cancel_of_closed_order_releases_nothing() -> None:
    mgr = InventoryManager(1000)
    mgr.on_order_submitted_buy("b", "mkt", "tok", YES, 10, 50)
    mgr.on_order_submitted_buy("c", "mkt", "tok", YES, 10, 50)
    mgr.on_order_cancelled_buy("b", 10, 50)
    mgr.on_order_cancelled_buy("b", 10, 50)
    assert kinds(mgr) == [AnomalyKind.CANCEL_CLOSED_ORDER]
    assert mgr.in_flight_micro == 5 * MICRO  # c's reservation untouched


def test_confirmations_with_nothing_pending_are_recorded() -> None:
    mgr = InventoryManager(1000)
    mgr.on_mint_confirmed("cond", 5, "yes", "no", "mkt")
    mgr.on_mint_failed("cond", 5)
    mgr.on_merge_confirmed("cond", 2, "yes", "no")
    mgr.on_merge_failed("cond", 2)
    assert kinds(mgr) == [
        AnomalyKind.NO_PENDING_MINT,
        AnomalyKind.NO_PENDING_MINT,
        AnomalyKind.NO_PENDING_MERGE,
        AnomalyKind.NO_PENDING_MERGE,
    ]
    assert mgr.in_flight_micro == 0
    assert mgr.cash_micro == 1000 * MICRO - 5 * MICRO + 2 * MICRO
    assert_invariant(mgr)


def test_repeated_fill_id_is_ignored() -> None:
    mgr = InventoryManager(1000)
    mgr.on_order_submitted_buy("b", "mkt", "tok", YES, 10, 50)
    mgr.on_fill_buy("b", "tok", "mkt", YES, 4, D("0.5"), 10, fill_id="f")
    state = mgr.snapshot_json()
    mgr.on_fill_buy("b", "tok", "mkt", YES, 4, D("0.5"), 10, fill_id="f")
    mgr.on_fill_sell("b", "tok", 4, D("0.5"), 10, fill_id="f")
    assert kinds(mgr) == [AnomalyKind.DUPLICATE_FILL, AnomalyKind.DUPLICATE_FILL]
    assert mgr.snapshot_json() == state


def test_anomalies_are_kept_in_order_with_their_event() -> None:
    mgr = InventoryManager(1000)
    mgr.on_order_cancelled_sell("x", "tok", 1)
    mgr.on_fill_buy("y", "tok", "mkt", YES, 1, D("0.5"), 1)
    first, second = mgr.anomalies()
    assert first.kind is AnomalyKind.CANCEL_UNKNOWN_ORDER
    assert second.event == BuyFilled("y", "tok", "mkt", YES, MICRO, 500_000, MICRO)


# -- Reservations ---------------------------------------------------------------------------------


def test_in_flight_is_the_exact_sum_of_open_reservations() -> None:
    mgr = InventoryManager(1000)
    mgr.on_order_submitted_buy("a", "mkt", "tok", YES, 7, 33)
    mgr.on_order_submitted_buy("b", "mkt", "tok", YES, 3, 1)
    mgr.on_mint_submitted("cond", D("12.5"))
    assert mgr.in_flight_micro == 7 * 330_000 + 3 * 10_000 + 12_500_000


def test_buy_fill_releases_the_limit_share_and_debits_the_actual_cost() -> None:
    mgr = InventoryManager(1000)
    mgr.on_order_submitted_buy("b", "mkt", "tok", YES, 100, 65)
    mgr.on_fill_buy("b", "tok", "mkt", YES, 30, D("0.61"), 100, fee_usd=D("0.05"))
    assert mgr.in_flight_micro == 70 * 650_000
    assert mgr.cash_micro == 1000 * MICRO - 30 * 610_000 - 50_000


def test_fill_below_limit_leaves_no_residue_after_last_fill() -> None:
    """The seed releases the cost (30 * 0.50 + 70 * 0.55) and leaks $11.50; the rules release
    the limit's share, so the last fill leaves exactly zero."""
    mgr = InventoryManager(1000)
    mgr.on_order_submitted_buy("b", "mkt", "tok", YES, 100, 65)
    mgr.on_fill_buy("b", "tok", "mkt", YES, 30, D("0.50"), 100)
    mgr.on_fill_buy("b", "tok", "mkt", YES, 70, D("0.55"), 100)
    assert mgr.in_flight_micro == 0
    record = mgr.order_record("b")
    assert record is not None
    assert (record.status, record.reserved_micro) == (OrderStatus.FILLED, 0)


def test_cancel_releases_what_is_left_whatever_remaining_qty_says() -> None:
    mgr = InventoryManager(1000)
    mgr.on_order_submitted_buy("b", "mkt", "tok", YES, 100, 65)
    mgr.on_fill_buy("b", "tok", "mkt", YES, 30, D("0.6"), 100)
    mgr.on_order_cancelled_buy("b", 55, 64)
    assert mgr.in_flight_micro == 0
    assert kinds(mgr) == [AnomalyKind.CANCEL_MISMATCH]
    assert "remaining 55, the ledger has 70" in mgr.anomalies()[0].message


def test_sell_reservation_is_released_by_fills_and_cancels() -> None:
    mgr = bought(100)
    mgr.on_order_submitted_sell("s", "tok", 60)
    assert mgr.snapshot().tokens["tok"].in_flight_qty == 60
    mgr.on_fill_sell("s", "tok", 25, D("0.7"), 60)
    assert mgr.snapshot().tokens["tok"].in_flight_qty == 35
    mgr.on_order_cancelled_sell("s", "tok", 35)
    token = mgr.snapshot().tokens["tok"]
    assert (token.qty, token.in_flight_qty, token.accessible_qty) == (75, 0, 75)
    assert mgr.anomalies() == ()


def test_a_zero_dollar_mint_is_well_formed_and_reserves_nothing() -> None:
    """amount_usd is dollars >= 0 (ledger rules): $0 is accepted, reserves 0 and fails cleanly."""
    mgr = InventoryManager(100)
    assert mgr.can_mint(0)
    mgr.on_mint_submitted("cond", 0)
    assert mgr.in_flight_micro == 0
    mgr.on_mint_failed("cond", 0)
    assert mgr.anomalies() == ()
    assert mgr.snapshot().accessible_usd == 100.0


def test_mint_confirmation_releases_the_oldest_pending_mint_only() -> None:
    mgr = InventoryManager(1000)
    mgr.on_mint_submitted("cond", 100)
    mgr.on_mint_submitted("cond", 30)
    mgr.on_mint_submitted("other", 7)
    mgr.on_mint_failed("cond", 30)  # the chain says 30, but the oldest pending is the $100 one
    assert kinds(mgr) == [AnomalyKind.MINT_AMOUNT_MISMATCH]
    assert mgr.pending_mint_reservations("cond") == (30 * MICRO,)
    assert mgr.in_flight_micro == 37 * MICRO
    mgr.on_mint_confirmed("cond", 30, "yes", "no", "mkt")
    assert mgr.in_flight_micro == 7 * MICRO
    assert mgr.cash_micro == 970 * MICRO


def test_merge_reserves_at_most_the_available_pairs() -> None:
    mgr = minted(10)
    mgr.on_merge_submitted("cond", 25)
    pair = mgr.snapshot().minted_pairs["cond"]
    assert (pair.available, pair.reserved) == (D(0), D(10))
    assert kinds(mgr) == [AnomalyKind.MERGE_EXCEEDS_AVAILABLE]
    mgr.on_merge_failed("cond", 25)
    pair = mgr.snapshot().minted_pairs["cond"]
    assert (pair.available, pair.reserved) == (D(10), D(0))


def test_accessible_is_total_less_in_flight_and_qty_never_negative() -> None:
    mgr = bought(10, capital=100)
    mgr.on_order_submitted_buy("b2", "mkt", "tok", YES, 10, 50)
    mgr.on_order_submitted_sell("s", "tok", 25)
    snap = mgr.snapshot()
    assert snap.accessible_usd == (mgr.cash_micro - mgr.in_flight_micro) / MICRO == 89.0
    token = snap.tokens["tok"]
    assert (token.qty, token.in_flight_qty, token.accessible_qty) == (10, 25, 0)


# -- Positions and PnL ----------------------------------------------------------------------------


def test_vwap_is_exact_for_uneven_fills() -> None:
    mgr = InventoryManager(1000)
    mgr.on_fill_buy("a", "tok", "mkt", YES, 1, D("0.1"), 1)
    mgr.on_fill_buy("b", "tok", "mkt", YES, 2, D("0.2"), 2)
    avg = mgr.snapshot().tokens["tok"].avg_entry_price
    assert avg == Decimal(500_000) / Decimal(3) / Decimal(MICRO)


def test_sale_realises_price_less_average_less_fee() -> None:
    mgr = bought(100, "0.6")
    mgr.on_fill_sell("s", "tok", 40, D("0.75"), 40, fee_usd=D("0.2"))
    token = mgr.snapshot().tokens["tok"]
    assert token.realized_pnl == D("5.8")  # (0.75 - 0.60) * 40 - 0.20
    assert token.avg_entry_price == D("0.6")
    assert mgr.cash_micro == 1000 * MICRO - 60 * MICRO + 30 * MICRO - 200_000


def test_sale_removes_cost_half_even_and_closing_leaves_zero() -> None:
    """Cost 1 micro-USDC over 2 contracts: selling 1 removes 0.5 -> 0 (half-even), the last
    sale removes the remaining 1, so a flat position has cost exactly 0."""
    mgr = InventoryManager(1)
    mgr.on_fill_buy("a", "tok", "mkt", YES, 1, D("0.000001"), 1)
    mgr.on_fill_buy("b", "tok", "mkt", YES, 1, 0, 1)
    mgr.on_fill_sell("s", "tok", 1, 0, 1)
    record = mgr.position_record("tok")
    assert record is not None
    assert (record.qty_micro, record.cost_micro, record.realized_micro) == (MICRO, 1, 0)
    mgr.on_fill_sell("s", "tok", 1, 0, 1)
    record = mgr.position_record("tok")
    assert record is not None
    assert (record.qty_micro, record.cost_micro, record.realized_micro) == (0, 0, -1)
    assert_invariant(mgr)


def test_flat_position_keeps_realised_and_reports_zero_avg_and_cost() -> None:
    mgr = bought(10, "0.5")
    mgr.on_fill_sell("s", "tok", 10, D("0.7"), 10)
    token = mgr.snapshot().tokens["tok"]
    assert (token.qty, token.avg_entry_price, token.total_cost) == (0, 0, 0.0)
    assert token.realized_pnl == D("2")
    assert token.unrealized_pnl == 0.0


def test_new_position_is_marked_at_entry_until_the_first_price_update() -> None:
    mgr = bought(10, "0.6")
    token = mgr.snapshot().tokens["tok"]
    assert (token.current_price, token.unrealized_pnl) == (0.6, 0.0)
    mgr.update_prices({"tok": 55})
    token = mgr.snapshot().tokens["tok"]
    assert (token.current_price, token.unrealized_pnl) == (0.55, -0.5)


def test_update_prices_ignores_tokens_not_held() -> None:
    mgr = bought(10)
    mgr.update_prices({"elsewhere": 40})
    assert list(mgr.snapshot().tokens) == ["tok"]


@pytest.mark.parametrize(
    "prices",
    [
        {"tok": 101},
        {"tok": True},
        {"tok": -1},
        {"elsewhere": 101},
        {"": 40},
        {"x" * 1000: 40},
        {"tok": 40, "elsewhere": Decimal("40.00001")},
    ],
)
def test_update_prices_refuses_a_bad_mark_or_id_whether_or_not_the_token_is_held(
    prices: dict[str, object],
) -> None:
    mgr = bought(10)
    mgr.update_prices({"tok": 55})
    before = mgr.snapshot_json()
    with pytest.raises(InvalidInput):
        mgr.update_prices(prices)
    assert mgr.snapshot_json() == before


def test_update_prices_takes_held_marks_as_ints_or_exact_decimals() -> None:
    mgr = bought(10, "0.6")
    mgr.update_prices({"tok": Decimal("65.5"), "elsewhere": 40})
    assert mgr.snapshot().tokens["tok"].current_price == 0.655
    mgr.update_prices({"tok": 70, "elsewhere": Decimal("40.25")})
    assert mgr.snapshot().tokens["tok"].current_price == 0.7


def test_mint_costs_a_dollar_per_pair_at_half_each() -> None:
    mgr = minted(40)
    snap = mgr.snapshot()
    assert mgr.cash_micro == 960 * MICRO
    assert snap.tokens["yes"].total_cost == snap.tokens["no"].total_cost == 20.0
    assert_invariant(mgr)


def test_merge_returns_a_dollar_per_pair_and_realises_against_cost() -> None:
    mgr = InventoryManager(1000)
    mgr.on_fill_buy("a", "yes", "mkt", YES, 10, D("0.7"), 10)
    mgr.on_fill_buy("b", "no", "mkt", NO, 10, D("0.2"), 10)
    mgr.on_merge_submitted("cond", 10)
    mgr.on_merge_confirmed("cond", 10, "yes", "no")
    snap = mgr.snapshot()
    assert snap.tokens["yes"].realized_pnl == D("-2")  # sold at 0.50, bought at 0.70
    assert snap.tokens["no"].realized_pnl == D("3")  # sold at 0.50, bought at 0.20
    assert mgr.cash_micro == 1000 * MICRO - 9 * MICRO + 10 * MICRO
    # the fills had no submitted order, and the pairs were bought, not minted
    assert kinds(mgr)[2:] == [AnomalyKind.MERGE_EXCEEDS_AVAILABLE]
    assert_invariant(mgr)


def test_minted_pair_cap_gives_up_pairs_when_a_token_is_sold() -> None:
    mgr = minted(100)
    mgr.on_merge_submitted("cond", 30)
    mgr.on_merge_submitted("cond", 20)
    mgr.on_fill_sell("s", "no", 80, D("0.5"), 80)  # 20 NO left
    pair = mgr.snapshot().minted_pairs["cond"]
    # 50 available + 50 reserved > 20: available gives 50, then the newest merge 20, the older 10
    assert (pair.available, pair.reserved, pair.total_sold) == (D(0), D(20), D(80))
    assert mgr.pending_merge_reservations("cond") == (
        (30 * MICRO, 20 * MICRO),
        (20 * MICRO, 0),
    )
    assert pair.available + pair.reserved + pair.total_sold + pair.total_merged == 100


def test_fees_reduce_cash_and_realised_pnl() -> None:
    mgr = InventoryManager(100)
    mgr.on_fill_buy("a", "tok", "mkt", YES, 10, D("0.5"), 10, fee_usd="0.03")
    record = mgr.position_record("tok")
    assert record is not None
    assert (record.cost_micro, record.realized_micro) == (5 * MICRO, -30_000)
    assert mgr.cash_micro == 95 * MICRO - 30_000
    assert_invariant(mgr)


def test_sell_of_never_seen_token_makes_a_placeholder_the_next_fact_corrects() -> None:
    mgr = InventoryManager(100)
    mgr.on_fill_sell("s", "tok", 5, D("0.4"), 5)
    record = mgr.position_record("tok")
    assert record is not None
    assert (record.market_id, record.outcome, record.realized_micro) == ("", YES, 2 * MICRO)
    mgr.on_fill_buy("b", "tok", "mkt-7", NO, 5, D("0.3"), 5)
    record = mgr.position_record("tok")
    assert record is not None
    assert (record.market_id, record.outcome, record.qty_micro) == ("mkt-7", NO, 5 * MICRO)
    assert AnomalyKind.UNKNOWN_TOKEN in kinds(mgr)
    assert_invariant(mgr)


def test_merge_of_tokens_not_held_leaves_at_zero_cost_and_keeps_the_invariant() -> None:
    mgr = minted(5)
    mgr.on_merge_submitted("cond", 8)
    mgr.on_merge_confirmed("cond", 8, "yes", "no")
    assert AnomalyKind.MERGE_TOKENS_NOT_HELD in kinds(mgr)
    snap = mgr.snapshot()
    assert snap.tokens["yes"].qty == 0
    assert snap.tokens["yes"].realized_pnl == D("1.5")  # 8 * 0.50 - 5 * 0.50
    assert mgr.cash_micro == 1000 * MICRO - 5 * MICRO + 8 * MICRO
    assert_invariant(mgr)


# -- The invariant and exit ---------------------------------------------------------------------


def test_invariant_holds_exactly_through_a_mixed_session() -> None:
    mgr = InventoryManager(D("250.123457"))
    mgr.on_order_submitted_buy("a", "m", "y", YES, 33, 61)
    mgr.on_fill_buy("a", "y", "m", YES, 13, D("0.599999"), 33, fee_usd=D("0.000007"))
    assert_invariant(mgr)
    mgr.on_fill_sell("s", "y", 7, D("0.333333"), 7)
    assert_invariant(mgr)
    mgr.on_mint_submitted("c", 3)
    mgr.on_mint_confirmed("c", 3, "y", "n", "m")
    mgr.on_merge_submitted("c", 3)
    mgr.on_merge_confirmed("c", 3, "y", "n")
    assert_invariant(mgr)
    mgr.on_fill_sell("s2", "y", 9, D("1"), 9)
    assert_invariant(mgr)


def test_exit_refuses_new_risk_and_lets_the_rest_go_on() -> None:
    mgr = minted(10)
    mgr.on_order_submitted_buy("b", "mkt", "yes", YES, 10, 50)
    mgr.trigger_exit()
    assert mgr.snapshot().exit_triggered
    assert not mgr.can_buy(1, 1)
    assert not mgr.can_mint(1)
    assert mgr.can_sell("yes", 10)
    mgr.on_order_submitted_sell("s", "yes", 5)
    mgr.on_fill_sell("s", "yes", 5, D("0.6"), 5)
    mgr.on_order_cancelled_buy("b", 10, 50)
    mgr.on_merge_submitted("cond", 5)
    mgr.on_merge_confirmed("cond", 5, "yes", "no")
    assert mgr.in_flight_micro == 0
    assert mgr.anomalies() == ()
    mgr.on_order_submitted_buy("late", "mkt", "yes", YES, 1, 10)  # a fact: applied, recorded
    assert kinds(mgr) == [AnomalyKind.BUY_AFTER_EXIT]
    assert mgr.in_flight_micro == 100_000


# -- Malformed input: refused, named, nothing changed ---------------------------------------------

NAN = float("nan")
MALFORMED: list[tuple[str, tuple[Any, ...], dict[str, Any], str]] = [
    ("can_buy", (0, 65), {}, "qty"),
    ("can_buy", (True, 65), {}, "qty"),
    ("can_buy", (10, 0), {}, "limit_px"),
    ("can_buy", (10, 101), {}, "limit_px"),
    ("can_buy", (10, 65.00001), {}, "limit_px"),  # finer than 0.0001 cent
    ("can_sell", ("", 1), {}, "token_id"),
    ("can_sell", ("tok", -1), {}, "qty"),
    ("can_mint", (D("NaN"),), {}, "amount_usd"),
    ("can_mint", (float("inf"),), {}, "amount_usd"),
    ("can_mint", ("ten",), {}, "amount_usd"),
    ("can_mint", (-1,), {}, "amount_usd"),
    ("on_order_submitted_buy", ("", "mkt", "tok", YES, 1, 50), {}, "local_id"),
    ("on_order_submitted_buy", ("b9", "", "tok", YES, 1, 50), {}, "market_id"),
    ("on_order_submitted_buy", ("b9", "mkt", 5, YES, 1, 50), {}, "token_id"),
    ("on_order_submitted_buy", ("b9", "mkt", "tok", "yes", 1, 50), {}, "outcome"),
    ("on_order_submitted_buy", ("b9", "mkt", "tok", "MAYBE", 1, 50), {}, "outcome"),
    ("on_order_submitted_buy", ("b9", "mkt", "tok", YES, 0, 50), {}, "qty"),
    ("on_order_submitted_buy", ("b9", "mkt", "tok", YES, 10**9, 50), {}, "qty"),
    ("on_order_submitted_buy", ("b9", "mkt", "tok", YES, 1, 0), {}, "limit_px"),
    ("on_order_submitted_buy", ("b9", "mkt", "tok", YES, 1, True), {}, "limit_px"),
    ("on_order_submitted_buy", ("b9", "mkt", "tok", YES, 1, 50), {"tif": "IOC"}, "tif"),
    ("on_order_submitted_sell", ("s9", "tok", 0), {}, "qty"),
    ("on_order_submitted_sell", ("s9", "tok", 1), {"limit_px": 101}, "limit_px"),
    ("on_fill_buy", ("b", "tok", "mkt", YES, 0, D("0.5"), 10), {}, "fill_qty"),
    ("on_fill_buy", ("b", "tok", "mkt", YES, 1, D("1.01"), 10), {}, "fill_price"),
    ("on_fill_buy", ("b", "tok", "mkt", YES, 1, -0.01, 10), {}, "fill_price"),
    ("on_fill_buy", ("b", "tok", "mkt", YES, 1, "0.1234567", 10), {}, "fill_price"),
    ("on_fill_buy", ("b", "tok", "mkt", YES, 1, NAN, 10), {}, "fill_price"),
    ("on_fill_buy", ("b", "tok", "mkt", YES, 1, D("sNaN"), 10), {}, "fill_price"),
    ("on_fill_buy", ("b", "tok", "mkt", YES, 1, True, 10), {}, "fill_price"),
    ("on_fill_buy", ("b", "tok", "mkt", YES, 1, None, 10), {}, "fill_price"),
    ("on_fill_buy", ("b", "tok", "mkt", YES, 1, "abc", 10), {}, "fill_price"),
    ("on_fill_buy", ("b", "tok", "mkt", YES, 1, D("0.5"), 0), {}, "order_qty"),
    ("on_fill_buy", ("b", "tok", "mkt", YES, 1, D("0.5"), 10), {"fill_id": ""}, "fill_id"),
    ("on_fill_buy", ("b", "tok", "mkt", YES, 1, D("0.5"), 10), {"fee_usd": -1}, "fee_usd"),
    ("on_fill_buy", ("b", "tok", "mkt", YES, 1, D("0.5"), 10), {"fee_usd": 1e-7}, "fee_usd"),
    ("on_fill_buy", ("b", "tok", "mkt", YES, 1, D("0.5"), 10), {"fee_usd": False}, "fee_usd"),
    ("on_fill_buy", ("b", "tok", "mkt", 1, 1, D("0.5"), 10), {}, "outcome"),
    ("on_fill_sell", ("s", "tok", -3, D("0.5"), 10), {}, "fill_qty"),
    ("on_fill_sell", ("s", "tok", 1, D("Infinity"), 10), {}, "fill_price"),
    ("on_fill_sell", ("s", "tok", 1, D("0.5"), 10.0000001), {}, "order_qty"),  # 7 decimals
    ("on_order_cancelled_buy", ("b", -1, 50), {}, "remaining_qty"),
    ("on_order_cancelled_buy", ("b", 1, 0), {}, "limit_px"),
    ("on_order_cancelled_sell", ("s", "", 1), {}, "token_id"),
    ("on_mint_submitted", ("cond", "1e400"), {}, "amount_usd"),
    ("on_mint_submitted", ("", 5), {}, "condition_id"),
    ("on_mint_confirmed", ("cond", 0, "yes", "no", "mkt"), {}, "pair_count"),
    ("on_mint_confirmed", ("cond", 5, "yes", "yes", "mkt"), {}, "no_token_id"),
    ("on_mint_confirmed", ("cond", 5, "yes", "no", ""), {}, "market_id"),
    ("on_mint_failed", ("cond", -5), {}, "amount_usd"),
    ("on_merge_submitted", ("cond", 0), {}, "pair_count"),
    ("on_merge_confirmed", ("cond", -1, "yes", "no"), {}, "pair_count"),
    ("on_merge_failed", ("", 1), {}, "condition_id"),
    ("update_prices", ({"tok": 101},), {}, "prices['tok']"),
    ("update_prices", ({"tok": 1.00001},), {}, "prices['tok']"),
    ("update_prices", ({"": 5},), {}, "prices"),
    ("update_prices", ([("tok", 5)],), {}, "prices"),
    ("load_positions", ([("tok", "m", YES, 3, D("0.3333333"), 0)],), {}, "rows[0].avg_entry_price"),
    ("load_positions", ([("tok", "m", YES, -1, D("0.3"), 0)],), {}, "rows[0].qty"),
    ("load_positions", ([("tok", "m", YES, 1, D("0.3"), NAN)],), {}, "rows[0].realized_pnl"),
    (
        "load_positions",
        ([("t", "m", YES, 1, 0, 0), ("t", "m", NO, 1, 0, 0)],),
        {},
        "rows[1].token_id",
    ),
    ("load_positions", ([("tok", "m", YES)],), {}, "rows[0]"),
    ("apply", ("buy_filled",), {}, "event"),
    ("apply", (BuyFilled("b", "tok", "mkt", YES, 1, 1_000_001, 10),), {}, "price_micro"),
]


def populated() -> InventoryManager:
    """A manager with an open buy, an open sell, a pending mint and merge, and marks."""
    mgr = minted(20)
    mgr.on_order_submitted_buy("b", "mkt", "tok", YES, 10, 50)
    mgr.on_fill_buy("b", "tok", "mkt", YES, 4, D("0.45"), 10, fill_id="f")
    mgr.on_order_submitted_sell("s", "yes", 5)
    mgr.on_mint_submitted("cond", 3)
    mgr.on_merge_submitted("cond", 4)
    mgr.update_prices({"yes": 52, "no": 47})
    return mgr


@pytest.mark.parametrize(("method", "args", "kwargs", "field"), MALFORMED)
def test_malformed_input_is_refused_and_changes_nothing(
    method: str, args: tuple[Any, ...], kwargs: dict[str, Any], field: str
) -> None:
    mgr = populated()
    before_json = mgr.snapshot_json()
    before = mgr.ledger_state()
    with pytest.raises(InvalidInput) as info:
        getattr(mgr, method)(*args, **kwargs)
    assert isinstance(info.value, ValueError)
    assert info.value.field == field
    assert field in str(info.value)
    assert mgr.snapshot_json() == before_json
    assert mgr.ledger_state() == before


@pytest.mark.parametrize("capital", [-1, NAN, True, "abc", D("0.0000001"), None])
def test_malformed_initial_capital_is_refused(capital: object) -> None:
    with pytest.raises(InvalidInput) as info:
        InventoryManager(capital)
    assert info.value.field == "initial_capital_usd"
