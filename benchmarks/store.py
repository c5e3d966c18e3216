"""The store's benchmarks: durable fills per second against raw SQLite, and recovery time.

Durable fills: a bound manager's `on_fill_buy` (validate, apply, journal row + fill + order +
position + account in one transaction) against the same five statements with pre-built
parameters, one transaction per fill, on the same disk, in short rounds of each side back to
back (`benchmarks.paired`: the ratio is the median of the rounds' ratios).

Group commit: durable events per second of the same event stream (fills, sells, marks)
applied through a bound manager one transaction per event, and in `batch()`es of 10 and of 100
events, in alternating rounds, each on its own database file.

Recovery: `recover_session` of a journal of 10k, 100k and 1M events, each in a fresh process
that reports the time and how much its peak RSS grew during the replay.

`python -m benchmarks.store` runs all three; `python -m benchmarks.store recovery` (or `fills`,
`batches`) one.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from benchmarks import paired
from weatherman_inventory import journal
from weatherman_inventory.accounts import UPSERT_ACCOUNT
from weatherman_inventory.events import (
    BuyFilled,
    BuySubmitted,
    Event,
    PricesUpdated,
    SellFilled,
    SellSubmitted,
)
from weatherman_inventory.journal import (
    _UPSERT_ORDER,
    _UPSERT_POSITION,
    encode_event,
    open_session,
    recover_session,
)
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.models import Outcome
from weatherman_inventory.store import _INSERT_FILL, Mode, PersistenceLayer, journal_row_hash
from weatherman_inventory.verify import rebuild_caches

SESSION = "bench"
ROUNDS = 5
FILLS_PER_ROUND: dict[Mode, int] = {"live": 600, "paper": 2_000}
"""Events per round of the group-commit benchmark."""
RECOVERY_SIZES = (10_000, 100_000, 1_000_000)
TOKENS = 20
HUGE = 10_000_000  # an order quantity no benchmark fills up (20 such buys fit the capital)


def _bench_dir() -> str:
    """A directory on the disk the project lives on (the same disk for both sides)."""
    return tempfile.mkdtemp(prefix="bench-store-", dir=Path(__file__).resolve().parent.parent)


# -- durable fills -----------------------------------------------------------------------


def _journaled_round(manager: InventoryManager, start: int, count: int) -> float:
    price = Decimal("0.5")
    t0 = time.perf_counter()
    for i in range(start, start + count):
        manager.on_fill_buy("b1", "tok", "mkt", Outcome.YES, 1, price, HUGE, fill_id=f"f{i}")
    return time.perf_counter() - t0


def _raw_params(start: int, count: int) -> list[tuple[tuple[object, ...], ...]]:
    """The parameters the journal binds for `count` fills, built before the clock starts."""
    now = datetime.now(UTC).isoformat()
    params: list[tuple[tuple[object, ...], ...]] = []
    for i in range(start, start + count):
        event = BuyFilled("b1", "tok", "mkt", Outcome.YES, 1, 500_000, HUGE, f"f{i}", 0)
        qty = i + 1
        params.append(
            (
                (SESSION, i + 3, event.kind, encode_event(event), 0, time.time_ns() // 1000,
                 bytes(32)),
                (f"f{i}", "b1", SESSION, "mkt", "tok", "buy", 1, 500_000, 0, now),
                ("b1", SESSION, "mkt", "tok", "buy", HUGE, 50, "GTC", "PARTIALLY_FILLED",
                 qty, (HUGE - qty) * 500_000, 0, now, now),
                ("mkt", "tok", SESSION, qty, 500_000, 0, now, qty * 500_000, "YES"),
                (SESSION, i + 3, 10**14 - qty * 500_000, (HUGE - qty) * 500_000, 0, 0,
                 qty * 500_000, 0, qty * 500_000, 0, now),
            )
        )  # fmt: skip
    return params


RAW_STATEMENTS: Final = (
    journal._INSERT_JOURNAL, _INSERT_FILL, _UPSERT_ORDER, _UPSERT_POSITION, UPSERT_ACCOUNT,
)  # fmt: skip
"""The journal's own statements, in the order its commit runs them for a buy fill."""


def raw_round(
    conn: Any,
    params: list[tuple[tuple[object, ...], ...]],
    statements: Sequence[str] = RAW_STATEMENTS,
    begin: str = "BEGIN IMMEDIATE",
) -> float:
    """One transaction a fill of `statements` with pre-built `params`, a call a statement (a
    sqlite3 connection; or psycopg's, with `%s` statements and a plain BEGIN)."""
    t0 = time.perf_counter()
    for fill in params:
        conn.execute(begin)
        for sql, p in zip(statements, fill, strict=True):
            conn.execute(sql, p)
        conn.execute("COMMIT")
    return time.perf_counter() - t0


def bench_fills(mode: Mode, directory: str) -> tuple[float, float, float]:
    """(journaled, raw) fills per second and the median of paired rounds' ratios
    (`benchmarks.paired`, which `compare` runs for both trees)."""
    return paired.fills(mode, directory, sys.modules[__name__])


# -- group commit --------------------------------------------------------------------------

BATCH_SIZES = (1, 10, 100)
"""Events per transaction: 1 is no batch (each event its own transaction)."""


def _batched_round(manager: InventoryManager, events: list[Event], size: int) -> float:
    apply = manager.apply
    t0 = time.perf_counter()
    if size == 1:
        for event in events:
            apply(event)
    else:
        for start in range(0, len(events), size):
            with manager.batch():
                for event in events[start : start + size]:
                    apply(event)
    return time.perf_counter() - t0


def bench_batches(
    mode: Mode, directory: str, target: Callable[[int], str] | None = None
) -> dict[int, float]:
    """Durable events per second by events per transaction, medians over alternating rounds;
    `target(size)` names the database of each size's session (default: a SQLite file in
    `directory`)."""
    n = FILLS_PER_ROUND[mode]
    stream = list(_recovery_stream(TOKENS + ROUNDS * n))
    managers: dict[int, tuple[PersistenceLayer, InventoryManager]] = {}
    for size in BATCH_SIZES:
        where = (
            os.path.join(directory, f"batch{size}-{mode}.db") if target is None else target(size)
        )
        store = PersistenceLayer(where, mode=mode)
        manager = open_session(InventoryManager, store, SESSION, 10**8, markets=())
        manager.log_anomalies = False
        _batched_round(manager, stream[:TOKENS], 1)  # the orders the fills need
        managers[size] = (store, manager)
    rates: dict[int, list[float]] = {size: [] for size in BATCH_SIZES}
    for r in range(ROUNDS):
        events = stream[TOKENS + r * n : TOKENS + (r + 1) * n]
        for size, (_, manager) in managers.items():
            rates[size].append(n / _batched_round(manager, events, size))
        line = ", ".join(f"{s:>3}/tx {rates[s][-1]:8.0f}/s" for s in BATCH_SIZES)
        print(f"  {mode:5} round {r + 1}/{ROUNDS}: {line}", flush=True)
    for store, manager in managers.values():
        assert manager.snapshot_json() == managers[1][1].snapshot_json()
        store.close()
    return {size: statistics.median(r) for size, r in rates.items()}


# -- recovery ----------------------------------------------------------------------------


def _recovery_stream(length: int) -> Iterator[Event]:
    """A steady session: long-lived orders on TOKENS tokens filled two contracts at a time,
    a sell every TOKENS fills, and price updates; the ledger's state grows only by the sell
    orders it keeps, whatever the journal's length."""
    for t in range(TOKENS):
        yield BuySubmitted(f"b{t}", "mkt", f"tok{t}", Outcome.YES, HUGE, 50)
    emitted = TOKENS
    i = 0
    while True:
        t = i % TOKENS
        batch: list[Event] = [
            BuyFilled(f"b{t}", f"tok{t}", "mkt", Outcome.YES, 2, 400_000, HUGE, f"f{i}")
        ]
        if t == 0:
            batch.append(SellSubmitted(f"s{i}", f"tok{t}", 1, None))
            batch.append(SellFilled(f"s{i}", f"tok{t}", 1, 450_000, 1, f"g{i}"))
            batch.append(PricesUpdated(((f"tok{t}", 40 + i % 20),)))
        for event in batch:
            if emitted == length:
                return
            yield event
            emitted += 1
        i += 1


def build_journal(path: str, length: int) -> None:
    """A session whose journal holds `length` events (its opening row included), with hash
    chain and caches as a live session leaves them.

    Written in bulk (an unbound manager applies the events, `executemany` stores them with their
    chained hashes, `rebuild_caches` then writes the tables from the journal): a million
    single-event transactions would take minutes and measure nothing recovery does.
    """
    store = PersistenceLayer(path, mode="paper")
    open_session(InventoryManager, store, SESSION, 10**8)
    seq, previous = store.journal_head(SESSION)
    assert previous is not None
    manager = InventoryManager(10**8, track_fill_ids=False)
    batch: list[tuple[object, ...]] = []
    for event in _recovery_stream(length - seq):
        manager.apply(event)
        seq += 1
        payload = encode_event(event)
        previous = journal_row_hash(previous, SESSION, seq, event.kind, payload, 0, 0)
        batch.append((SESSION, seq, event.kind, payload, 0, 0, previous))
        if len(batch) == 100_000 or seq == length:
            with store.transaction() as conn:
                conn.executemany(
                    "INSERT INTO journal (session_id, seq, kind, payload, duplicate, "
                    "recorded_at, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    batch,
                )
            batch.clear()
            print(f"    journaled {seq:>9,} / {length:,}", flush=True)
    rebuild_caches(store, SESSION)
    store.close()


def _status_kib(field: str) -> int:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), KiB.

    VmHWM, unlike `getrusage`'s ru_maxrss, starts afresh at exec, so a child does not report
    its parent's peak.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def recover_child(path: str) -> None:
    """Run in a fresh process: recover the session and print time and RSS growth as JSON."""
    logging.disable(logging.WARNING)
    store = PersistenceLayer(path, mode="paper")
    before = _status_kib("VmRSS")
    t0 = time.perf_counter()
    manager = recover_session(InventoryManager, store, SESSION)
    seconds = time.perf_counter() - t0
    peak = _status_kib("VmHWM")
    assert not manager.anomalies(), manager.anomalies()[:3]
    orders = len(manager.order_ids())
    print(json.dumps({"seconds": seconds, "rss_growth_kib": peak - before, "orders": orders}))


def bench_recovery(directory: str) -> list[tuple[int, float, int]]:
    results = []
    for size in RECOVERY_SIZES:
        path = os.path.join(directory, f"recovery-{size}.db")
        print(f"  building a journal of {size:,} events", flush=True)
        build_journal(path, size)
        print(f"  recovering {size:,} events in a fresh process", flush=True)
        out = subprocess.run(
            [sys.executable, "-c", f"from benchmarks.store import recover_child; "
             f"recover_child({path!r})"],
            check=True, capture_output=True, text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )  # fmt: skip
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        results.append((size, figures["seconds"], figures["rss_growth_kib"]))
        seconds, growth = figures["seconds"], figures["rss_growth_kib"]
        print(
            f"  {size:>9,} events: {seconds:6.2f} s, {size / seconds:9.0f} events/s, "
            f"peak RSS +{growth:,} KiB, {figures['orders']:,} orders kept",
            flush=True,
        )
        os.remove(path)
    return results


def main(parts: Sequence[str] = ("fills", "batches", "recovery")) -> None:
    unknown = set(parts) - {"fills", "batches", "recovery"}
    if unknown:
        raise SystemExit(f"unknown part(s) {sorted(unknown)}: fills, batches, recovery")
    directory = _bench_dir()
    fills: dict[Mode, tuple[float, float, float]] = {}
    batches: dict[Mode, dict[int, float]] = {}
    recovery: list[tuple[int, float, int]] = []
    try:
        if "fills" in parts:
            print("durable fills (bound manager vs raw SQLite, same statements, same disk)")
            fills = {mode: bench_fills(mode, directory) for mode in ("live", "paper")}
        if "batches" in parts:
            print("group commit (the same events, one per transaction or in batches)")
            batches = {mode: bench_batches(mode, directory) for mode in ("live", "paper")}
        if "recovery" in parts:
            print("recovery (replay of the journal in a fresh process)")
            recovery = bench_recovery(directory)
    finally:
        for name in os.listdir(directory):
            os.remove(os.path.join(directory, name))
        os.rmdir(directory)
    if fills:
        print("\n| mode | journaled fills/s | raw SQLite fills/s | ratio (median of rounds) |")
        print("|---|---:|---:|---:|")
        for mode, (journaled, raw, ratio) in fills.items():
            print(f"| {mode} | {journaled:,.0f} | {raw:,.0f} | {ratio:.3f} |")
    if batches:
        print("\n| mode | " + " | ".join(f"{s} event(s)/tx, events/s" for s in BATCH_SIZES) + " |")
        print("|---|" + "---:|" * len(BATCH_SIZES))
        for mode, by_size in batches.items():
            cells = [f"{by_size[s]:,.0f} ({by_size[s] / by_size[1]:.1f}x)" for s in BATCH_SIZES]
            print(f"| {mode} | " + " | ".join(cells) + " |")
    if recovery:
        print("\n| journaled events | recovery | events/s | peak RSS growth |")
        print("|---:|---:|---:|---:|")
        for size, seconds, rss in recovery:
            print(f"| {size:,} | {seconds:.2f} s | {size / seconds:,.0f} | {rss / 1024:.1f} MiB |")


if __name__ == "__main__":
    main(sys.argv[1:] or ("fills", "batches", "recovery"))
