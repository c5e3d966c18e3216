"""Values the contract cannot carry: quantities and money at 10^9, ids no encoder can write,
number text that is not plain decimal.

Every amount and quantity stays below 10^9 (dollars, contracts), so each has at most 15
significant digits and survives a JSON number, a double and a TypeScript `number` exactly. An
input at the bound is malformed (`InvalidInput`); a well-formed fact that would carry a derived
amount past it is refused (`BoundExceeded`, an `InvalidInput`) and changes nothing, in memory or
in the store.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, cast

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from weatherman_inventory import errors, events
from weatherman_inventory.errors import InvalidInput
from weatherman_inventory.journal import open_session
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.models import InventoryState, parse_contract
from weatherman_inventory.store import PersistenceLayer

MAX_QTY = 10**9 - 1  # contracts
MAX_USD = Decimal("999999999.999999")  # dollars
MAX_SHARES = Decimal("999999999.999999")  # shares: quantities are exact to the micro-share
TOKEN_78 = "7" * 78  # the venue's token ids are 77-78 digits

pytestmark = pytest.mark.usefixtures("quiet_anomalies")


def test_the_bounds_are_below_10_to_the_9() -> None:
    assert events.MAX_QTY == MAX_QTY
    assert events.MAX_MICRO == 10**15 - 1
    assert events.MAX_ID_BYTES == 256


def _state(m: InventoryManager) -> tuple[dict[str, object], str]:
    return m.ledger_state(), m.snapshot_json()


def _assert_contract_numbers(m: InventoryManager) -> None:
    """The snapshot validates, and its JSON parses as the contract with every number in bound."""
    model = m.snapshot()
    text = m.snapshot_json()
    parse_contract(InventoryState, text)
    data = orjson.loads(text)
    assert data == orjson.loads(model.model_dump_json())
    for number in (data["totalUsd"], data["inFlightUsd"], data["accessibleUsd"]):
        assert abs(number) < 10**9
    for token in data["tokens"].values():
        for key in ("qty", "inFlightQty", "accessibleQty"):
            assert 0 <= token[key] <= MAX_QTY
        for key in ("totalCost", "realizedPnl", "unrealizedPnl"):
            assert abs(token[key]) < 10**9
    for pairs in data["mintedPairs"].values():
        for key in ("available", "reserved", "totalMinted", "totalSold", "totalMerged"):
            assert 0 <= pairs[key] <= MAX_QTY


# -- finding: two buys of 2^53-1 made a position the snapshot refuses -------------------------


def test_two_buys_of_2_53_minus_1_cannot_make_a_position_the_snapshot_refuses() -> None:
    m = InventoryManager(100)
    with pytest.raises(InvalidInput) as info:
        m.on_fill_buy("b1", "t1", "m1", "YES", 2**53 - 1, 0, 2**53 - 1)
    assert info.value.field == "fill_qty"
    assert str(MAX_QTY) in info.value.reason
    m.on_fill_buy("b1", "t1", "m1", "YES", MAX_QTY, 0, MAX_QTY)
    before = _state(m)
    with pytest.raises(InvalidInput) as info:
        m.on_fill_buy("b2", "t1", "m1", "YES", MAX_QTY, 0, MAX_QTY)
    assert type(info.value) is errors.BoundExceeded
    assert (info.value.field, info.value.value) == ("tokens['t1'].qty", 2 * MAX_QTY)
    assert info.value.bound == MAX_SHARES
    assert str(info.value) == (
        "tokens['t1'].qty=Decimal('1999999998.000000'): past the ledger's bound of "
        "999999999.999999: the event is refused"
    )
    assert _state(m) == before
    assert m.snapshot().tokens["t1"].qty == MAX_QTY
    _assert_contract_numbers(m)


# Inputs at the bound are malformed; one below is accepted. (call, field)
INPUTS_AT_THE_BOUND: list[tuple[str, Callable[[InventoryManager], object], str]] = [
    ("capital", lambda m: InventoryManager(10**9), "initial_capital_usd"),
    ("capital text", lambda m: InventoryManager("1000000000.000000"), "initial_capital_usd"),
    ("buy qty", lambda m: m.on_order_submitted_buy("b", "m1", "t1", "YES", 10**9, 1), "qty"),
    ("sell qty", lambda m: m.on_order_submitted_sell("s", "t1", 10**9), "qty"),
    ("fill qty", lambda m: m.on_fill_buy("b", "t1", "m1", "YES", 10**9, 0, 1), "fill_qty"),
    ("order qty", lambda m: m.on_fill_sell("s", "t1", 1, 0, 10**9), "order_qty"),
    ("fee", lambda m: m.on_fill_sell("s", "t1", 1, 0, 1, fee_usd=10**9), "fee_usd"),
    ("fee text", lambda m: m.on_fill_buy("b", "t1", "m1", "YES", 1, 0, 1, fee_usd="1e9"),
     "fee_usd"),
    ("cancel", lambda m: m.on_order_cancelled_sell("s", "t1", 10**9), "remaining_qty"),
    ("mint", lambda m: m.on_mint_submitted("c", Decimal(10**9)), "amount_usd"),
    ("mint failed", lambda m: m.on_mint_failed("c", 10**9), "amount_usd"),
    ("pairs", lambda m: m.on_mint_confirmed("c", 10**9, "y", "n", "m1"), "pair_count"),
    ("merge", lambda m: m.on_merge_submitted("c", 10**9), "pair_count"),
    ("can_buy", lambda m: m.can_buy(10**9, 1), "qty"),
    ("can_sell", lambda m: m.can_sell("t1", 10**9), "qty"),
    ("can_mint", lambda m: m.can_mint("1000000000"), "amount_usd"),
    ("loaded qty", lambda m: m.load_positions([("t1", "m1", "YES", 10**9, 0, 0)]), "rows[0].qty"),
    (
        "loaded pnl",
        lambda m: m.load_positions([("t1", "m1", "YES", 1, 0, -(10**9))]),
        "rows[0].realized_pnl",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "field"),
    [(c[1], c[2]) for c in INPUTS_AT_THE_BOUND],
    ids=[c[0] for c in INPUTS_AT_THE_BOUND],
)
def test_an_input_at_10_to_the_9_is_refused_naming_it_and_the_bound(
    call: Callable[[InventoryManager], object], field: str
) -> None:
    m = InventoryManager(1000)
    before = _state(m)
    with pytest.raises(InvalidInput) as info:
        call(m)
    assert info.value.field == field
    assert "999999999" in info.value.reason
    assert _state(m) == before


def test_inputs_just_below_the_bound_are_accepted() -> None:
    assert InventoryManager(MAX_USD).cash_micro == 10**15 - 1
    assert InventoryManager("999999999.999999").cash_micro == 10**15 - 1
    m = InventoryManager(0)
    m.on_fill_sell("s", "t1", MAX_QTY, 1, MAX_QTY, fee_usd=MAX_USD)
    assert m.cash_micro == MAX_QTY * 10**6 - (10**15 - 1)
    assert m.can_sell("t1", MAX_QTY) is False
    assert m.can_buy(MAX_QTY, 100) is False


# -- finding: a fact pushing a derived amount past the bound ----------------------------------

Setup = Callable[[InventoryManager], None]
Fact = Callable[[InventoryManager], None]


def _buy(
    m: InventoryManager, local_id: str, token: str, qty: int, price: object, **kw: Any
) -> None:
    m.on_fill_buy(local_id, token, "m1", "YES", qty, price, qty, **kw)


def _sell(m: InventoryManager, local_id: str, token: str, qty: int, price: object) -> None:
    m.on_fill_sell(local_id, token, qty, price, qty)


def _debt(m: InventoryManager) -> None:
    """Cash of -$999,999,999: a buy of the most contracts at $1 on capital 0."""
    _buy(m, "z", "z", MAX_QTY, 1)


def _debt_then_sold(m: InventoryManager, token: str) -> None:
    """Cash 0 and the token's realised PnL at $999,999,999: the most contracts sold at $1."""
    _debt(m)
    _sell(m, "s1", token, MAX_QTY, 1)


def _minted_and_merged(m: InventoryManager) -> None:
    m.on_mint_confirmed("c", MAX_QTY, "y", "n", "m1")
    m.on_merge_confirmed("c", MAX_QTY, "y", "n")


def _overfilled(m: InventoryManager) -> None:
    m.on_order_submitted_buy("o", "m1", "t1", "YES", 1, 1)
    m.on_fill_buy("o", "t1", "m1", "YES", MAX_QTY, 0, 1)
    _sell(m, "s", "t1", MAX_QTY, 0)


# (name, capital $, setup, fact, field, value it would reach, bound)
DERIVED: list[tuple[str, object, Setup, Fact, str, object, object]] = [
    (
        "position qty by a buy fill",
        0,
        lambda m: _buy(m, "b1", "t1", MAX_QTY, 0),
        lambda m: _buy(m, "b2", "t1", 1, 0),
        "tokens['t1'].qty", 10**9, MAX_SHARES,
    ),
    (
        "position qty by a mint",
        MAX_USD,
        lambda m: _buy(m, "b1", "y", MAX_QTY, 0),
        lambda m: m.on_mint_confirmed("c", 1, "y", "n", "m1"),
        "tokens['y'].qty", 10**9, MAX_SHARES,
    ),
    (
        "cash up by a sell's proceeds",
        MAX_USD,
        lambda m: None,
        lambda m: _sell(m, "s1", "t1", 1, "0.000001"),
        "total_usd", Decimal("1000000000.000000"), MAX_USD,
    ),
    (
        "cash up by a merge",
        MAX_USD,
        lambda m: None,
        lambda m: m.on_merge_confirmed("c", 1, "y", "n"),
        "total_usd", Decimal("1000000000.999999"), MAX_USD,
    ),
    (
        "cash down by a buy fill",
        0,
        _debt,
        lambda m: _buy(m, "b1", "t1", 1, 1),
        "total_usd", Decimal("-1000000000.000000"), MAX_USD,
    ),
    (
        "cash down by a fee",
        0,
        lambda m: _buy(m, "b0", "t0", 1, 0, fee_usd=MAX_USD),
        lambda m: _buy(m, "b1", "t1", 1, 0, fee_usd="0.000001"),
        "total_usd", Decimal("-1000000000.000000"), MAX_USD,
    ),
    (
        "cash down by a mint",
        0,
        _debt,
        lambda m: m.on_mint_confirmed("c", 1, "y", "n", "m1"),
        "total_usd", Decimal("-1000000000.000000"), MAX_USD,
    ),
    (
        "in-flight by a buy order",
        MAX_USD,
        lambda m: m.on_order_submitted_buy("b1", "m1", "t1", "YES", MAX_QTY, 100),
        lambda m: m.on_order_submitted_buy("b2", "m1", "t1", "YES", 100, 1),
        "in_flight_usd", Decimal("1000000000.000000"), MAX_USD,
    ),
    (
        "in-flight by a mint",
        MAX_USD,
        lambda m: m.on_mint_submitted("c", MAX_USD),
        lambda m: m.on_mint_submitted("c", "0.000001"),
        "in_flight_usd", Decimal("1000000000.000000"), MAX_USD,
    ),
    (
        "accessible by a buy order",
        0,
        lambda m: _buy(m, "z", "z", 1, 1),
        lambda m: m.on_order_submitted_buy("b1", "m1", "t1", "YES", MAX_QTY, 100),
        "accessible_usd", Decimal("-1000000000.000000"), MAX_USD,
    ),
    (
        "accessible by a fill of another order",
        0,
        lambda m: m.on_order_submitted_buy("b1", "m1", "t1", "YES", MAX_QTY, 100),
        lambda m: _buy(m, "other", "t2", 1, 1),
        "accessible_usd", Decimal("-1000000000.000000"), MAX_USD,
    ),
    (
        "accessible by a mint",
        0,
        lambda m: m.on_order_submitted_buy("b1", "m1", "t1", "YES", MAX_QTY, 100),
        lambda m: m.on_mint_confirmed("c", 1, "y", "n", "m1"),
        "accessible_usd", Decimal("-1000000000.000000"), MAX_USD,
    ),
    (
        "realised PnL up by a sell",
        0,
        lambda m: _debt_then_sold(m, "t1"),
        lambda m: _sell(m, "s2", "t1", 1, 1),
        "tokens['t1'].realized_pnl", Decimal("1000000000.000000"), MAX_USD,
    ),
    (
        "realised PnL down by fees",
        MAX_USD,
        lambda m: _buy(m, "b1", "t1", 1, 0, fee_usd=MAX_USD),
        lambda m: _buy(m, "b2", "t1", 1, 0, fee_usd="0.000001"),
        "tokens['t1'].realized_pnl", Decimal("-1000000000.000000"), MAX_USD,
    ),
    (
        "realised PnL up by a merge",
        0,
        lambda m: _debt_then_sold(m, "y"),
        lambda m: m.on_merge_confirmed("c", 2, "y", "n"),
        "tokens['y'].realized_pnl", Decimal("1000000000.000000"), MAX_USD,
    ),
    (
        "in-flight quantity by a sell order",
        0,
        lambda m: m.on_order_submitted_sell("s1", "t1", MAX_QTY),
        lambda m: m.on_order_submitted_sell("s2", "t1", 1),
        "tokens['t1'].in_flight_qty", 10**9, MAX_SHARES,
    ),
    (
        "minted pairs",
        MAX_USD,
        _minted_and_merged,
        lambda m: m.on_mint_confirmed("c", 1, "y", "n", "m1"),
        "minted_pairs['c'].total_minted", 10**9, MAX_SHARES,
    ),
    (
        "an order's filled quantity",
        0,
        _overfilled,
        lambda m: m.on_fill_buy("o", "t1", "m1", "YES", 1, 0, 1),
        "orders['o'].filled_qty", 10**9, MAX_SHARES,
    ),
]  # fmt: skip


class Bound:
    """Makes a manager on its own (memory) or journaled into a SQLite store, and reads the
    store's side of it."""

    def __init__(self, kind: str) -> None:
        self.store = None if kind == "memory" else PersistenceLayer(":memory:", mode="live")

    def __call__(self, capital: object) -> InventoryManager:
        if self.store is None:
            return InventoryManager(capital)
        return open_session(InventoryManager, self.store, "s1", cast(Decimal, capital))

    def disk(self) -> object:
        """The journal's length and the positions table, or None without a store."""
        if self.store is None:
            return None
        return self.store.last_seq("s1"), self.store.load_positions("s1")


@pytest.fixture(params=["memory", "store"])
def bind(request: pytest.FixtureRequest) -> Iterator[Bound]:
    made = Bound(request.param)
    yield made
    if made.store is not None:
        made.store.close()


@pytest.mark.parametrize(
    ("capital", "setup", "fact", "field", "value", "bound"),
    [c[1:] for c in DERIVED],
    ids=[c[0] for c in DERIVED],
)
def test_a_fact_pushing_a_derived_amount_past_the_bound_is_refused_and_changes_nothing(  # noqa: PLR0917
    bind: Bound,
    capital: object,
    setup: Setup,
    fact: Fact,
    field: str,
    value: object,
    bound: object,
) -> None:
    m = bind(capital)
    setup(m)
    _assert_contract_numbers(m)
    before = (_state(m), m.anomalies(), bind.disk())
    with pytest.raises(InvalidInput) as info:
        fact(m)
    assert type(info.value) is errors.BoundExceeded
    assert (info.value.field, info.value.value) == (field, value)
    assert info.value.bound == bound
    assert str(bound) in str(info.value)
    assert (_state(m), m.anomalies(), bind.disk()) == before
    _assert_contract_numbers(m)


def test_a_refused_fill_keeps_its_fill_id_free() -> None:
    """The fill id of a refused fill is not remembered: the same fill, once it fits, applies."""
    m = InventoryManager(0)
    _buy(m, "b1", "t1", MAX_QTY, 0)
    with pytest.raises(errors.BoundExceeded):
        _buy(m, "b2", "t1", 1, 0, fill_id="f2")
    _sell(m, "s1", "t1", 1, 0)
    _buy(m, "b2", "t1", 1, 0, fill_id="f2")
    assert m.position_record("t1").qty_micro == MAX_QTY * events.MICRO  # type: ignore[union-attr]
    assert [a.kind.value for a in m.anomalies()] == ["unknown_order"] * 3


# Values near the bound, across the API: whatever is accepted keeps the snapshot in the
# contract; whatever is refused is an InvalidInput and changes nothing.
_QTYS = st.sampled_from([1, 2, MAX_QTY // 2, MAX_QTY - 1, MAX_QTY, 10**9])
_PRICES = st.sampled_from([0, "0.000001", "0.5", "0.999999", 1])
_USD = st.sampled_from([0, "0.000001", 1, MAX_USD - 1, MAX_USD, MAX_USD + Decimal("0.000001")])
_TOKENS = st.sampled_from(["y", "n", "t"])
_IDS = st.sampled_from(["o1", "o2", "o3"])

_CALLS = st.one_of(
    st.tuples(st.just("on_order_submitted_buy"), _IDS, st.just("m1"), _TOKENS, st.just("YES"),
              _QTYS, st.sampled_from([1, 50, 100])),
    st.tuples(st.just("on_order_submitted_sell"), _IDS, _TOKENS, _QTYS),
    st.tuples(st.just("on_fill_buy"), _IDS, _TOKENS, st.just("m1"), st.just("YES"), _QTYS,
              _PRICES, _QTYS),
    st.tuples(st.just("on_fill_sell"), _IDS, _TOKENS, _QTYS, _PRICES, _QTYS),
    st.tuples(st.just("on_order_cancelled_buy"), _IDS, _QTYS, st.sampled_from([1, 100])),
    st.tuples(st.just("on_mint_submitted"), st.just("c"), _USD),
    st.tuples(st.just("on_mint_confirmed"), st.just("c"), _QTYS, st.just("y"), st.just("n"),
              st.just("m1")),
    st.tuples(st.just("on_merge_submitted"), st.just("c"), _QTYS),
    st.tuples(st.just("on_merge_confirmed"), st.just("c"), _QTYS, st.just("y"), st.just("n")),
)  # fmt: skip


@given(capital=_USD, calls=st.lists(_CALLS, max_size=12))
def test_values_near_the_bound_keep_the_snapshot_in_the_contract(
    capital: object, calls: list[tuple[Any, ...]]
) -> None:
    try:
        m = InventoryManager(capital, log_anomalies=False)
    except InvalidInput as exc:
        assert exc.field == "initial_capital_usd"
        return
    for name, *args in calls:
        before = _state(m)
        try:
            getattr(m, name)(*args)
        except InvalidInput:
            assert _state(m) == before
        _assert_contract_numbers(m)
        ledger = m.ledger_state()
        total_cost = sum(p.cost_micro for p in m.position_records())
        realized = sum(p.realized_micro for p in m.position_records())
        assert ledger["cash"] + total_cost == ledger["baseline"] + realized  # type: ignore[operator]


# -- finding: an id with a lone surrogate broke every snapshot_json() --------------------------

BAD_ID = "tok\ud800"

# (name, call with the id in one argument, the argument's name)
ID_CALLS: list[tuple[str, Callable[[InventoryManager, str], object], str]] = [
    ("buy local_id", lambda m, i: m.on_order_submitted_buy(i, "m1", "t", "YES", 1, 5), "local_id"),
    ("buy market_id", lambda m, i: m.on_order_submitted_buy("b", i, "t", "YES", 1, 5), "market_id"),
    ("buy token_id", lambda m, i: m.on_order_submitted_buy("b", "m1", i, "YES", 1, 5), "token_id"),
    ("sell token_id", lambda m, i: m.on_order_submitted_sell("s", i, 1), "token_id"),
    ("fill local_id", lambda m, i: m.on_fill_buy(i, "t1", "m1", "YES", 1, 0, 1), "local_id"),
    ("fill token_id", lambda m, i: m.on_fill_sell("s", i, 1, 0, 1), "token_id"),
    ("fill market_id", lambda m, i: m.on_fill_buy("b", "t1", i, "YES", 1, 0, 1), "market_id"),
    ("fill_id", lambda m, i: m.on_fill_buy("b", "t1", "m1", "YES", 1, 0, 1, fill_id=i), "fill_id"),
    ("sell fill_id", lambda m, i: m.on_fill_sell("s", "t1", 1, 0, 1, fill_id=i), "fill_id"),
    ("cancel", lambda m, i: m.on_order_cancelled_buy(i, 1, 50), "local_id"),
    ("cancel token", lambda m, i: m.on_order_cancelled_sell("s", i, 1), "token_id"),
    ("mint condition", lambda m, i: m.on_mint_submitted(i, 1), "condition_id"),
    ("mint yes", lambda m, i: m.on_mint_confirmed("c", 1, i, "n", "m1"), "yes_token_id"),
    ("mint market", lambda m, i: m.on_mint_confirmed("c", 1, "y", "n", i), "market_id"),
    ("merge no", lambda m, i: m.on_merge_confirmed("c", 1, "y", i), "no_token_id"),
    ("prices", lambda m, i: m.update_prices({i: 50}), "prices"),
    ("can_sell", lambda m, i: m.can_sell(i, 1), "token_id"),
    ("loaded token", lambda m, i: m.load_positions([(i, "m1", "YES", 1, 0, 0)]),
     "rows[0].token_id"),
    ("loaded market", lambda m, i: m.load_positions([("t1", i, "YES", 1, 0, 0)]),
     "rows[0].market_id"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "field"), [(c[1], c[2]) for c in ID_CALLS], ids=[c[0] for c in ID_CALLS]
)
def test_an_id_with_a_lone_surrogate_is_refused_and_snapshot_json_keeps_working(
    bind: Bound,
    call: Callable[[InventoryManager, str], object],
    field: str,
) -> None:
    m = bind(100)
    m.on_fill_buy("b0", "t1", "m1", "YES", 2, "0.5", 2)
    before = (_state(m), bind.disk())
    with pytest.raises(InvalidInput) as info:
        call(m, BAD_ID)
    assert (info.value.field, info.value.value) == (field, BAD_ID)
    assert "surrogate" in info.value.reason
    assert (_state(m), bind.disk()) == before
    _assert_contract_numbers(m)


@pytest.mark.parametrize(
    ("call", "field"), [(c[1], c[2]) for c in ID_CALLS], ids=[c[0] for c in ID_CALLS]
)
def test_an_id_over_256_utf8_bytes_is_refused(
    call: Callable[[InventoryManager, str], object], field: str
) -> None:
    for long_id in ("x" * 257, "é" * 129):
        m = InventoryManager(100)
        before = _state(m)
        with pytest.raises(InvalidInput) as info:
            call(m, long_id)
        assert (info.value.field, info.value.value) == (field, long_id)
        assert "256 bytes" in info.value.reason
        assert _state(m) == before


@pytest.mark.parametrize("good_id", [TOKEN_78, "x" * 256, "é" * 128, "日本", "t"])
def test_ids_of_at_most_256_utf8_bytes_are_accepted(good_id: str) -> None:
    m = InventoryManager(100)
    m.on_order_submitted_buy(good_id, good_id, good_id, "YES", 1, 50)
    m.on_fill_buy(good_id, good_id, good_id, "YES", 1, "0.5", 1, fill_id=good_id)
    assert m.snapshot().tokens[good_id].qty == 1
    assert good_id in orjson.loads(m.snapshot_json())["tokens"]


def test_a_session_id_with_a_lone_surrogate_is_refused_by_the_store() -> None:
    with PersistenceLayer(":memory:") as store:
        with pytest.raises(InvalidInput) as info:
            open_session(InventoryManager, store, "s\ud800", 100)
        assert (info.value.field, info.value.value) == ("session_id", "s\ud800")
        with pytest.raises(InvalidInput) as info:
            open_session(InventoryManager, store, "s" * 257, 100)
        assert info.value.field == "session_id"
        assert store.list_sessions() == []


@pytest.mark.parametrize("at", range(4))
def test_a_market_registered_with_a_lone_surrogate_id_is_refused_by_the_store(at: int) -> None:
    market = ["m1", "c1", "y1", "n1"]
    market[at] = BAD_ID
    with PersistenceLayer(":memory:") as store:
        with pytest.raises(InvalidInput) as info:
            open_session(InventoryManager, store, "s1", 100, markets=[tuple(market)])  # type: ignore[list-item]
        assert info.value.field == ("market_id", "condition_id", "yes_token_id", "no_token_id")[at]
        assert info.value.value == BAD_ID
        assert store.list_sessions() == []
        assert store.load_markets() == []


# -- finding: money text Python's Decimal reads but no plain decimal spells --------------------

NOT_PLAIN_DECIMAL = [
    "1_000", " 5 ", "5 ", "\t5", "\u0663", "\uff11", "+ 5", "5.0.0", "1e", "e5", ".", "", "-",
    "NaN", "Infinity", "-inf", "0x10", "5$", "1" * 41,
]  # fmt: skip

MONEY_ARGS: list[tuple[str, Callable[[InventoryManager, str], object], str]] = [
    ("capital", lambda m, v: InventoryManager(v), "initial_capital_usd"),
    ("mint", lambda m, v: m.on_mint_submitted("c", v), "amount_usd"),
    ("can_mint", lambda m, v: m.can_mint(v), "amount_usd"),
    ("fee", lambda m, v: m.on_fill_buy("b", "t1", "m1", "YES", 1, 0, 1, fee_usd=v), "fee_usd"),
    ("buy price", lambda m, v: m.on_fill_buy("b", "t1", "m1", "YES", 1, v, 1), "fill_price"),
    ("sell price", lambda m, v: m.on_fill_sell("s", "t1", 1, v, 1), "fill_price"),
    (
        "loaded avg",
        lambda m, v: m.load_positions([("t1", "m1", "YES", 1, v, 0)]),
        "rows[0].avg_entry_price",
    ),
]


@pytest.mark.parametrize("text", NOT_PLAIN_DECIMAL)
@pytest.mark.parametrize(
    ("call", "field"), [(c[1], c[2]) for c in MONEY_ARGS], ids=[c[0] for c in MONEY_ARGS]
)
def test_money_text_that_is_not_plain_ascii_decimal_is_refused(
    call: Callable[[InventoryManager, str], object], field: str, text: str
) -> None:
    m = InventoryManager(100)
    before = _state(m)
    with pytest.raises(InvalidInput) as info:
        call(m, text)
    assert (info.value.field, info.value.value) == (field, text)
    assert _state(m) == before


@pytest.mark.parametrize(
    ("text", "micro"),
    [("5", 5_000_000), ("+5", 5_000_000), ("0", 0), ("-0", 0), ("0.5", 500_000),
     (".5", 500_000), ("5.", 5_000_000), ("1e2", 100_000_000), ("1E-2", 10_000),
     ("999999999.999999", 10**15 - 1), ("0000000000000000000000000000000000000001", 1_000_000)],
)  # fmt: skip
def test_plain_ascii_decimal_text_is_accepted(text: str, micro: int) -> None:
    assert InventoryManager(text).cash_micro == micro


@pytest.mark.parametrize(
    "text", ["1" * 400_000, "0." + "1" * 400_000, "0." + "0" * 399_998 + "1", "1e" + "9" * 400_000]
)
def test_a_400000_character_number_is_refused_at_once_and_cut_short_in_the_message(
    text: str,
) -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidInput) as info:
        InventoryManager(text)
    with pytest.raises(InvalidInput):
        InventoryManager(0).on_fill_buy("b", "t1", "m1", "YES", 1, text, 1)
    assert time.perf_counter() - started < 0.5
    assert info.value.value is text
    assert len(str(info.value)) < 400
    assert f"({len(text) + 2} characters)" in str(info.value)


def test_a_long_decimal_is_converted_in_linear_time() -> None:
    """A Decimal (not text) of 400,000 digits is converted or refused without the quadratic
    exact ratio the text path used to hit."""
    started = time.perf_counter()
    with pytest.raises(InvalidInput) as info:
        InventoryManager(Decimal("0." + "1" * 400_000))
    assert "micro-USDC" in info.value.reason
    assert InventoryManager(Decimal("0.5" + "0" * 400_000)).cash_micro == 500_000
    assert time.perf_counter() - started < 0.5
