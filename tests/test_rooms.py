"""The ledger's rooms on their own: orders (`orders.OrderBook`), positions
(`positions.PositionBook`) and minted pairs (`pairs.PairBook`), each with the state it owns, the
rules that concern only that state, and what it hands an undo checkpoint.

The manager's tests cover the rooms composed; these pin each room's own promises, with values
worked by hand. Quantities in micro-shares, money in micro-USDC.
"""

from __future__ import annotations

import random
from typing import Any

from weatherman_inventory.events import MICRO, OrderStatus
from weatherman_inventory.models import Outcome
from weatherman_inventory.orders import ClosedOrder, Order, OrderBook
from weatherman_inventory.pairs import PairBook
from weatherman_inventory.positions import PositionBook
from weatherman_inventory.undo import MISSING, Saved

U = MICRO  # micro-shares per share


def _restore(saved: list[Saved]) -> None:
    """Put back what a checkpoint kept, newest first (as the manager's `_restore` does)."""
    for mapping, key, value in reversed(saved):
        if value is MISSING:
            mapping.pop(key, None)
        else:
            mapping[key] = value


# -- orders -----------------------------------------------------------------------------------


def _filled(book: OrderBook, local_id: str, qty: int = 10 * U) -> Order:
    order = Order("buy", "mkt", "tok", qty, 400_000, "GTC", 0, 0)
    order.filled_qty = qty
    order.status = OrderStatus.FILLED
    book[local_id] = order
    return order


def test_orders_closed_alike_are_one_value_and_one_that_still_reserves_stays_open() -> None:
    book = OrderBook()
    for local_id in ("b-1", "b-2"):
        book.close(local_id, _filled(book, local_id))
    assert type(book["b-1"]) is ClosedOrder
    assert book["b-1"] is book["b-2"]
    reserving = _filled(book, "b-3")
    reserving.reserved_micro = 1
    book.close("b-3", reserving)
    assert book["b-3"] is reserving  # kept exact: it has not released everything
    closed = book["b-1"]
    assert isinstance(closed, ClosedOrder)
    book.keep_closed("b-2", closed._replace(filled_qty=11 * U))  # an overfill on b-2 alone
    assert book["b-2"].filled_qty == 11 * U
    assert book["b-1"].filled_qty == 10 * U


def test_an_order_book_saves_and_puts_back_an_order_and_the_venue_ids() -> None:
    book = OrderBook()
    open_order = Order("sell", "mkt", "tok", 5 * U, None, "GTC", 0, 5 * U)
    book["s-1"] = open_order
    saved = [book.save("s-1"), book.save("s-2"), *book.save_ids("s-1", "0xabc")]
    open_order.filled_qty = 2 * U
    book["s-2"] = Order("sell", "mkt", "tok", 1 * U, None, "GTC", 0, 1 * U)
    book.assign("s-1", "0xabc")
    assert (book.exchange_ids, book.local_ids) == ({"s-1": "0xabc"}, {"0xabc": "s-1"})
    _restore(saved)
    assert list(book) == ["s-1"]
    assert book["s-1"].filled_qty == 0  # the copy taken before, not the changed order
    assert (book.exchange_ids, book.local_ids) == ({}, {})
    assert book.state() == {"orders": [book["s-1"].record("s-1")], "exchange_ids": {}}


# -- positions --------------------------------------------------------------------------------


def test_a_holding_leaves_with_its_cost_in_proportion_and_a_flat_one_costs_nothing() -> None:
    book = PositionBook()
    p = book.new("tok", "mkt", Outcome.YES)
    p.qty, p.cost_micro = 3 * U, 1_000_000  # $1 for 3 shares
    assert p.removed_cost(1 * U) == 333_333  # 1/3 of $1, half-even to the micro-USDC
    assert p.remove(1 * U) == 333_333
    assert (p.qty, p.cost_micro) == (2 * U, 666_667)
    assert p.remove(5 * U) == 666_667  # more than held: all of it, the rest at a zero cost
    assert (p.qty, p.cost_micro) == (0, 0)


def test_the_position_sums_add_up_only_changed_tokens_and_equal_a_full_sum() -> None:
    rng = random.Random(7)
    book = PositionBook()
    for step in range(400):
        token = f"tok-{rng.randrange(12)}"
        p = book.get(token) or book.new(token, "mkt", Outcome.NO)
        p.qty = rng.randrange(0, 100 * U)
        p.cost_micro = rng.randrange(0, 50 * MICRO)
        p.realized_micro = rng.randrange(-5 * MICRO, 5 * MICRO)
        p.mark_micro = rng.choice([None, rng.randrange(0, MICRO + 1)])
        book.changed.add(token)
        if step % 7 == 0:
            del book[token]  # a token the book no longer holds leaves the sums
        if step % 3 == 0:
            full = (
                sum(h.cost_micro for h in book.values()),
                sum(h.realized_micro for h in book.values()),
                sum(
                    h.cost_micro * MICRO if h.mark_micro is None else h.qty * h.mark_micro
                    for h in book.values()
                ),
            )
            assert book.totals() == full
            assert book.changed == set()


def test_a_position_book_saves_a_copy_and_puts_back_an_absent_token_as_absent() -> None:
    book = PositionBook()
    held = book.new("tok-1", "mkt", Outcome.YES)
    held.qty = 4 * U
    saved = [book.save("tok-1"), book.save("tok-2")]
    held.qty = 9 * U
    book.new("tok-2", "mkt", Outcome.NO)
    _restore(saved)
    assert list(book) == ["tok-1"]
    assert book["tok-1"].qty == 4 * U
    assert book["tok-1"].record().qty_micro == 4 * U


# -- minted pairs -----------------------------------------------------------------------------


def _pair_book() -> tuple[PairBook, PositionBook, list[str]]:
    positions = PositionBook()
    touched: list[str] = []
    book = PairBook(positions, touched.append)
    return book, positions, touched


def _hold(positions: PositionBook, yes: int, no: int) -> None:
    for token, qty, outcome in (("yes", yes, Outcome.YES), ("no", no, Outcome.NO)):
        (positions.get(token) or positions.new(token, "mkt", outcome)).qty = qty


def _counts(book: PairBook) -> tuple[int, int, int, int, int]:
    p = book.pairs["cond"]
    return p.available, p.reserved, p.total_minted, p.total_sold, p.total_merged


def test_the_pair_cap_takes_the_available_pairs_first_then_the_newest_merge() -> None:
    book, positions, touched = _pair_book()
    assert book.name_tokens("cond", ("yes", "no")) is None
    _hold(positions, 10 * U, 10 * U)
    book.minted("cond", 10 * U)
    assert _counts(book) == (10 * U, 0, 10 * U, 0, 0)
    assert book.submit_merge("cond", 3 * U) == (3 * U, 10 * U)
    assert book.submit_merge("cond", 4 * U) == (4 * U, 7 * U)
    assert _counts(book) == (3 * U, 7 * U, 10 * U, 0, 0)
    _hold(positions, 10 * U, 5 * U)  # 5 NO sold: 5 pairs can be whole
    book.enforce_caps_of("no")
    # 3 available go first, then 2 of the newest merge's 4.
    assert _counts(book) == (0, 5 * U, 10 * U, 5 * U, 0)
    assert list(book.pending_merges["cond"]) == [(3 * U, 3 * U), (4 * U, 2 * U)]
    assert touched and set(touched) == {"cond"}


def test_a_merge_uses_its_reservation_first_and_a_failed_one_gives_it_back() -> None:
    book, positions, _ = _pair_book()
    book.name_tokens("cond", ("yes", "no"))
    _hold(positions, 8 * U, 8 * U)
    book.minted("cond", 8 * U)
    book.submit_merge("cond", 2 * U)
    book.submit_merge("cond", 3 * U)
    assert book.pop_merge("cond") == (2 * U, 2 * U)
    book.merged("cond", 2 * U, 2 * U)
    _hold(positions, 6 * U, 6 * U)
    assert _counts(book) == (3 * U, 3 * U, 8 * U, 0, 2 * U)
    assert book.pop_merge("cond") == (3 * U, 3 * U)
    book.merge_failed("cond", 3 * U)
    assert _counts(book) == (6 * U, 0, 8 * U, 0, 2 * U)
    assert book.pop_merge("cond") is None
    book.enforce_cap("cond", closing=True)  # a redemption: every pair closes
    assert _counts(book) == (0, 0, 8 * U, 6 * U, 2 * U)


def test_a_later_mint_naming_other_tokens_is_reported_and_the_first_names_kept() -> None:
    book, _, _ = _pair_book()
    assert book.name_tokens("cond", ("yes", "no")) is None
    assert book.name_tokens("cond", ("yes", "no")) is None
    assert book.name_tokens("cond", ("yes-2", "no")) == ("yes", "no")
    assert book.cond_tokens == {"cond": ("yes", "no")}
    assert book.token_conds == {"yes": ("cond",), "no": ("cond",)}


def test_a_pair_book_saves_a_condition_and_puts_it_back_whole() -> None:
    book, positions, _ = _pair_book()
    book.submit_mint("cond", 5 * MICRO)
    saved: list[Saved] = [*book.save("cond"), book.save_token("yes"), book.save_token("no")]
    before: dict[str, Any] = book.state()
    book.name_tokens("cond", ("yes", "no"))
    _hold(positions, 5 * U, 5 * U)
    assert book.pop_mint("cond") == 5 * MICRO
    book.minted("cond", 5 * U)
    book.submit_merge("cond", U)
    assert book.state() != before
    _restore(saved)
    assert book.state() == before
    assert book.oldest_mint("cond") == 5 * MICRO
