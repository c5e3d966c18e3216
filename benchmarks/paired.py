"""Durable fills against raw SQLite in paired rounds: `benchmarks.store`'s fills benchmark, and
the one `benchmarks.compare` runs for both trees.

A round of journaled fills (a bound manager's `on_fill_buy`) and a round of the same statements
with pre-built parameters run back to back, `ROUNDS` times, which side first alternating; the
ratio is the median of the rounds' ratios. The disk's speed drifts by a third within a minute
here, so rounds of each side minutes apart (a median of each side's rates) compare different
disks; a pair of rounds a second apart compares nearly the same one.

`compare` runs this file with either tree's package and benchmarks on `PYTHONPATH` (it uses only
what both have: `open_session`, `InventoryManager`, `PersistenceLayer`, and the tree's
`benchmarks.store` for its raw statements and their parameters), so both trees' ratios come from
one method:

    python benchmarks/paired.py live|paper
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from weatherman_inventory.journal import open_session
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.models import Outcome
from weatherman_inventory.store import PersistenceLayer

ROUNDS = 15
FILLS_PER_ROUND = {"live": 300, "paper": 1_000}
CAPITAL = 10**8
"""Dollars: within both trees' bounds, more than any benchmark spends."""


def fills(
    mode: Literal["live", "paper"], directory: str, bench: ModuleType
) -> tuple[float, float, float]:
    """(journaled, raw) fills per second, medians over the rounds, and the median of the rounds'
    ratios. `bench` is the tree's `benchmarks.store`: its `_journaled_round`, `_raw_params` and
    raw round (`raw_round`, or `_raw_round` in 83759e3) with that tree's statements."""
    n = FILLS_PER_ROUND[mode]
    raw_round: Any = getattr(bench, "raw_round", None) or bench._raw_round
    store = PersistenceLayer(os.path.join(directory, f"journaled-{mode}.db"), mode=mode)
    manager = open_session(InventoryManager, store, bench.SESSION, CAPITAL)
    manager.on_order_submitted_buy("b1", "mkt", "tok", Outcome.YES, bench.HUGE, 50)
    raw_path = os.path.join(directory, f"raw-{mode}.db")
    PersistenceLayer(raw_path, mode=mode).close()
    raw = sqlite3.connect(raw_path, isolation_level=None)
    raw.execute("PRAGMA journal_mode = WAL")
    raw.execute(f"PRAGMA synchronous = {'FULL' if mode == 'live' else 'NORMAL'}")
    raw.execute("PRAGMA foreign_keys = ON")
    raw.execute(
        "INSERT INTO sessions (id, mode, strategy_id, config_json, started_at) "
        "VALUES (?, ?, '', '{}', '')",
        (bench.SESSION, mode),
    )
    journaled_rates: list[float] = []
    raw_rates: list[float] = []
    ratios: list[float] = []
    for r in range(ROUNDS):
        params = bench._raw_params(r * n, n)
        if r % 2:
            journaled_rates.append(n / bench._journaled_round(manager, r * n, n))
            raw_rates.append(n / raw_round(raw, params))
        else:
            raw_rates.append(n / raw_round(raw, params))
            journaled_rates.append(n / bench._journaled_round(manager, r * n, n))
        ratios.append(journaled_rates[-1] / raw_rates[-1])
        if r % 5 == 4 or r == ROUNDS - 1:
            print(
                f"  {mode:5} round {r + 1}/{ROUNDS}: journaled {journaled_rates[-1]:8.0f}/s, "
                f"raw {raw_rates[-1]:8.0f}/s, ratio {ratios[-1]:.3f}",
                flush=True,
            )
    raw.close()
    store.close()
    return (
        statistics.median(journaled_rates),
        statistics.median(raw_rates),
        statistics.median(ratios),
    )


def main(mode: Literal["live", "paper"]) -> None:
    import benchmarks.store as bench  # noqa: PLC0415 (the tree's, from PYTHONPATH)

    with tempfile.TemporaryDirectory(prefix="bench-paired-", dir=Path.cwd()) as directory:
        journaled, raw, ratio = fills(mode, directory, bench)
    print(f"| {mode} | {journaled:,.0f} | {raw:,.0f} | {ratio:.3f} |")


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode not in FILLS_PER_ROUND:
        raise SystemExit(f"usage: paired.py live|paper, not {mode!r}")
    main(mode)  # type: ignore[arg-type]
