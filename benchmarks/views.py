"""The operator views against recovery: `show --at` near the journal's end and `report`, each
timed beside `recover_session` of the same journal, in the same run.

For each journal length (100k and 1M events, built as `benchmarks.store` builds recovery's
journal) every command runs in a fresh process, in alternating rounds, and reports its time and
how much its peak RSS (VmHWM) grew while it ran. The ratios (view time over recovery time) are
what the views promise: within 2x of recovery; and the memory growth of a view, like
recovery's, is the ledger's state, not the journal: it does not grow with the journal's length.

`python -m benchmarks.views` runs it; `python -m benchmarks.views 100000` one length.
"""

from __future__ import annotations

import io
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.store import SESSION, _bench_dir, _status_kib, build_journal

SIZES = (100_000, 1_000_000)
ROUNDS = 3
COMMANDS = ("recovery", "show --at", "report")
AT_FROM_END = 100
"""`show --at` replays to this many rows before the journal's end."""


def view_child(command: str, path: str) -> None:
    """Run in a fresh process: one command on the journal at `path`; print time, peak RSS
    growth and what it replayed as JSON."""
    from weatherman_inventory.journal import recover_session  # noqa: PLC0415
    from weatherman_inventory.manager import InventoryManager  # noqa: PLC0415
    from weatherman_inventory.store import PersistenceLayer  # noqa: PLC0415
    from weatherman_inventory.views.commands import run_show  # noqa: PLC0415
    from weatherman_inventory.views.report import write_report  # noqa: PLC0415

    logging.disable(logging.WARNING)
    readonly = command != "recovery"
    store = PersistenceLayer(path, mode="paper", readonly=readonly)
    last = store.last_seq(SESSION)
    out = io.StringIO()
    before = _status_kib("VmRSS")
    t0 = time.perf_counter()
    if command == "recovery":
        manager = recover_session(InventoryManager, store, SESSION)
        assert not manager.anomalies(), manager.anomalies()[:3]
        store.unlock_session(SESSION)
        rows = last
    elif command == "show --at":
        store.close()
        rows = last - AT_FROM_END
        assert run_show(path, SESSION, str(rows), True, stream=out) == 0
    else:
        page = f"{path}.html"
        series = write_report(store, SESSION, page)
        assert series.samples[-1].seq == last
        rows = last
    seconds = time.perf_counter() - t0
    peak = _status_kib("VmHWM")
    if not readonly or command == "report":
        store.close()
    print(json.dumps({"seconds": seconds, "rss_growth_kib": peak - before, "rows": rows}))


def _run_child(command: str, path: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", f"from benchmarks.views import view_child; "
         f"view_child({command!r}, {path!r})"],
        check=True, capture_output=True, text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def bench_size(directory: str, size: int) -> dict[str, tuple[float, float]]:
    """{command: (median seconds, largest peak RSS growth in KiB)} for a journal of `size`."""
    path = os.path.join(directory, f"views-{size}.db")
    print(f"  building a journal of {size:,} events", flush=True)
    build_journal(path, size)
    seconds: dict[str, list[float]] = {c: [] for c in COMMANDS}
    growth: dict[str, list[float]] = {c: [] for c in COMMANDS}
    try:
        for r in range(ROUNDS):
            line = []
            for command in COMMANDS:
                figures = _run_child(command, path)
                seconds[command].append(figures["seconds"])
                growth[command].append(figures["rss_growth_kib"])
                line.append(
                    f"{command} {figures['seconds']:6.2f} s "
                    f"(+{figures['rss_growth_kib'] / 1024:.1f} MiB)"
                )
            print(f"  {size:>9,} events, round {r + 1}/{ROUNDS}: " + ", ".join(line), flush=True)
    finally:
        for name in (path, f"{path}.html"):
            if os.path.exists(name):
                os.remove(name)
    return {c: (statistics.median(seconds[c]), max(growth[c])) for c in COMMANDS}


def main(sizes: Sequence[int] = SIZES) -> None:
    directory = _bench_dir()
    results: dict[int, dict[str, tuple[float, float]]] = {}
    print(
        f"views against recovery (fresh process each, {ROUNDS} alternating rounds; "
        f"show --at replays to {AT_FROM_END} rows before the end)"
    )
    try:
        for size in sizes:
            results[size] = bench_size(directory, size)
    finally:
        for name in os.listdir(directory):
            os.remove(os.path.join(directory, name))
        os.rmdir(directory)
    print("\n| journaled events | command | time (median) | / recovery | peak RSS growth |")
    print("|---:|---|---:|---:|---:|")
    for size, figures in results.items():
        recovery = figures["recovery"][0]
        for command, (secs, kib) in figures.items():
            print(
                f"| {size:,} | {command} | {secs:.2f} s | {secs / recovery:.2f}x "
                f"| {kib / 1024:.1f} MiB |"
            )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or SIZES)
