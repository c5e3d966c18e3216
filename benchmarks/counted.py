"""The ledger's in-memory figures as instructions, for `benchmarks.compare` under callgrind.

A time on these machines swings by a third between runs of the same code; the number of
instructions the code executes does not (the same hash seed, the same allocator, the same
branches). `compare` runs this script under `valgrind --tool=callgrind
--toggle-collect=functools_reduce` for this tree and the baseline (each with its own package on
`PYTHONPATH`), so only the calls inside `functools.reduce` are counted, and divides by their
number. It uses only what both trees have: the public `InventoryManager` calls and
`benchmarks.ledger`'s session of 50 tokens.

    python benchmarks/counted.py FIGURE COUNT

FIGURE: `buy`, `sell` (a fill in memory, Decimal price, open order, as `benchmarks.ledger`),
`prices50`, `prices2` (update_prices with 50 or 2 of the 50 tokens moved), `json50`, `json2`
(the same followed by `snapshot_json()`: `compare` subtracts the update's count).
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from decimal import Decimal
from itertools import count

from benchmarks.ledger import TOKENS, price_ticks, session
from weatherman_inventory import InventoryManager, Outcome

WARM_UP = 100
"""Calls before counting starts: the interpreter's specialisation settles after a few."""


def operation(figure: str) -> Callable[[object, object], None]:
    """The call `reduce` repeats (it ignores its two arguments)."""
    if figure == "buy":
        buyer = InventoryManager(Decimal(10**8))
        buyer.on_order_submitted_buy("big", "market", "token", Outcome.YES, 10**8, 65)
        buy, price, yes = buyer.on_fill_buy, Decimal("0.62"), Outcome.YES
        return lambda _a, _b: buy("big", "token", "market", yes, 1, price, 10**8)
    if figure == "sell":
        seller = InventoryManager(Decimal(10**8))
        seller.on_fill_buy("seed", "token", "market", Outcome.YES, 10**8, Decimal("0.40"), 10**8)
        seller.on_order_submitted_sell("big", "token", 10**8)
        sell, price = seller.on_fill_sell, Decimal("0.62")
        return lambda _a, _b: sell("big", "token", 1, price, 10**8)
    moved = {"50": TOKENS, "2": 2}[figure.removeprefix("prices").removeprefix("json")]
    mgr = session()
    tick = price_ticks(mgr, moved)
    ticks = [tick(k) for k in range(40)]
    k = count()
    if figure.startswith("prices"):
        return lambda _a, _b: mgr.update_prices(ticks[next(k) % 40])

    def update_and_render(_a: object, _b: object) -> None:
        mgr.update_prices(ticks[next(k) % 40])
        mgr.snapshot_json()

    return update_and_render


def main(figure: str, calls: int) -> None:
    logging.getLogger("weatherman_inventory").setLevel(logging.ERROR)
    op = operation(figure)
    for _ in range(WARM_UP):
        op(None, None)
    functools.reduce(op, range(calls), None)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
