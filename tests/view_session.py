"""A fixed session for the views' golden tests: the same rows, times and hashes every run.

The journal stamps each row with the wall clock; while the session is built, `journal.time`
is a clock that starts at 2026-03-01 14:00:00 UTC and moves 1.5 s per row, and fills with a
settlement status are booked by a clock of their own, so the database is the same file content
every time it is built.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from weatherman_inventory import journal
from weatherman_inventory.journal import open_session
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.store import PersistenceLayer

SESSION = "golden-s1"
START = datetime(2026, 3, 1, 14, 0, 0, tzinfo=UTC)
STEP = timedelta(milliseconds=1500)
MARKETS = [
    ("mkt-rain", "cond-rain", "rain-yes", "rain-no"),
    ("mkt-heat", "cond-heat", "heat-yes", "heat-no"),
]


class _Clock:
    """`time.time_ns` of a clock that moves `STEP` per reading."""

    def __init__(self) -> None:
        self.now = START

    def time_ns(self) -> int:
        moment = self.now
        self.now += STEP
        return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 1000


@contextmanager
def fixed_clock() -> Iterator[_Clock]:
    clock = _Clock()
    real = getattr(journal, "time")  # noqa: B009 (the module's own import of `time`)
    setattr(journal, "time", clock)  # noqa: B010
    try:
        yield clock
    finally:
        setattr(journal, "time", real)  # noqa: B010


def build(db: Path) -> InventoryManager:
    """The fixed session in a new database at `db`; returns its (live) manager."""
    with fixed_clock(), PersistenceLayer(db, mode="paper") as store:
        make = partial(InventoryManager, clock=lambda: START + timedelta(minutes=5))
        m: InventoryManager = open_session(
            make, store, SESSION, "1000", strategy_id="golden", markets=MARKETS
        )
        m.on_order_submitted_buy("b1", "mkt-rain", "rain-yes", "YES", 100, 40)
        m.on_exchange_order_id("b1", "0xb1")
        m.on_fill_buy("b1", "rain-yes", "mkt-rain", "YES", 60, "0.40", 100, fill_id="f1",
                      fee_usd="0.12", status="MATCHED")  # fmt: skip
        m.on_fill_buy("b1", "rain-yes", "mkt-rain", "YES", "40", "0.39", 100, fill_id="f2")
        m.update_prices({"rain-yes": 45})
        m.on_fill_status("f1", "CONFIRMED")
        m.on_order_submitted_sell("s1", "rain-yes", 50, limit_px=50)
        m.on_fill_sell("s1", "rain-yes", "30.5", "0.5", 50, fill_id="f3")
        m.on_order_submitted_buy("b2", "mkt-heat", "heat-no", "NO", 10, "30.5")
        m.on_mint_submitted("cond-heat", "20")
        m.on_mint_confirmed("cond-heat", 20, "heat-yes", "heat-no", "mkt-heat")
        m.on_cash_adjustment("DEPOSIT", "5.25", "top-up")
        m.on_fill_buy("ghost", "rain-no", "mkt-rain", "NO", 2, "0.55", 2, fill_id="f4")
        m.update_prices({"rain-yes": 47, "heat-yes": 61, "heat-no": 38})
        m.on_fill_buy("b1", "rain-yes", "mkt-rain", "YES", 60, "0.40", 100, fill_id="f1")
    return m
