"""PostgreSQL beside SQLite: durable fills against raw psycopg, and group commit against the
disk's fsync rate.

Durable fills: a bound manager's `on_fill_buy` on a PostgreSQL store in live mode (validate,
apply, fence check, journal row + fill + order + position in one transaction) against raw
psycopg running the same four statements with pre-built parameters between BEGIN and COMMIT, on
the same server, in alternating rounds.

Group commit: the same events (`benchmarks.store.bench_batches`: fills, sells, marks) committed
one per transaction, and in batches of 10 and 100 (`manager.batch()`), on both backends in live
mode, beside the rate at which the filesystem that
holds both databases completes a 4 KiB write and fdatasync: the physical bound of one durable
commit per transaction.

The server is a throw-away cluster (tools/pg_cluster.py), `fsync` and `synchronous_commit` on.
`python -m benchmarks.postgres` runs it all.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from tools import pg_cluster

from benchmarks import store as store_bench
from benchmarks.store import HUGE, SESSION, _raw_params
from weatherman_inventory.journal import open_session
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.models import Outcome
from weatherman_inventory.store import PersistenceLayer
from weatherman_inventory.store.postgres import _pg_sql

ROUNDS = 5
FILLS_PER_ROUND = 400
PRICE = Decimal("0.5")


def fsync_rate(directory: str, seconds: float = 1.5) -> float:
    """4 KiB writes each followed by fdatasync, per second, on `directory`'s filesystem."""
    path = os.path.join(directory, "fsync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    block = os.urandom(4096)
    count = 0
    try:
        t0 = time.perf_counter()
        while (elapsed := time.perf_counter() - t0) < seconds:
            os.pwrite(fd, block, (count % 256) * 4096)
            os.fdatasync(fd)
            count += 1
    finally:
        os.close(fd)
        os.remove(path)
    return count / elapsed


def _fills(manager: InventoryManager, start: int, count: int) -> float:
    t0 = time.perf_counter()
    for i in range(start, start + count):
        manager.on_fill_buy("b1", "tok", "mkt", Outcome.YES, 1, PRICE, HUGE, fill_id=f"f{i}")
    return time.perf_counter() - t0


_RAW_STATEMENTS = [_pg_sql(sql) for sql in store_bench.RAW_STATEMENTS]


def _raw_pipelined_round(conn: Any, params: list[tuple[tuple[object, ...], ...]]) -> float:
    """One transaction per fill, all its statements in one round trip (psycopg's pipeline)."""
    t0 = time.perf_counter()
    for fill in params:
        with conn.pipeline():
            conn.execute("BEGIN")
            for sql, p in zip(_RAW_STATEMENTS, fill, strict=True):
                conn.execute(sql, p)
            conn.execute("COMMIT")
    return time.perf_counter() - t0


def _session(target: str) -> tuple[PersistenceLayer, InventoryManager]:
    store = PersistenceLayer(target, mode="live")
    manager = open_session(InventoryManager, store, SESSION, 10**8)
    manager.on_order_submitted_buy("b1", "mkt", "tok", Outcome.YES, HUGE, 50)
    return store, manager


def bench_fills(cluster: pg_cluster.Cluster) -> tuple[float, float, float]:
    """(journaled, raw psycopg, raw psycopg pipelined) fills per second on PostgreSQL, medians
    over alternating rounds."""
    store, manager = _session(cluster.url())
    raw_url = cluster.url().replace("/weatherman?", "/raw?")
    with psycopg.connect(cluster.url(), autocommit=True) as admin:
        admin.execute("CREATE DATABASE raw")
    PersistenceLayer(raw_url, mode="live").close()
    raw = psycopg.connect(raw_url, autocommit=True)
    raw.execute(
        "INSERT INTO sessions (id, mode, strategy_id, config_json, started_at) "
        "VALUES (%s, 'live', '', '{}', '')",
        (SESSION,),
    )
    journaled_rates, raw_rates, pipelined_rates = [], [], []
    n = FILLS_PER_ROUND
    try:
        for r in range(ROUNDS):
            raw_rates.append(
                n / store_bench.raw_round(raw, _raw_params(2 * r * n, n), _RAW_STATEMENTS, "BEGIN")
            )
            pipelined_rates.append(n / _raw_pipelined_round(raw, _raw_params((2 * r + 1) * n, n)))
            journaled_rates.append(n / _fills(manager, r * n, n))
            print(
                f"  round {r + 1}/{ROUNDS}: journaled {journaled_rates[-1]:7.0f}/s, "
                f"raw psycopg {raw_rates[-1]:7.0f}/s, pipelined {pipelined_rates[-1]:7.0f}/s",
                flush=True,
            )
    finally:
        raw.close()
        store.close()
    return (
        statistics.median(journaled_rates),
        statistics.median(raw_rates),
        statistics.median(pipelined_rates),
    )


def main(parts: Sequence[str] = ("fills", "batches")) -> None:
    directory = tempfile.mkdtemp(prefix="bench-pg-", dir=Path(__file__).resolve().parent.parent)
    os.chmod(directory, 0o755)
    cluster = pg_cluster.start(Path(directory) / "cluster")
    try:
        fsync = fsync_rate(directory)
        print(f"fsync rate of the data's filesystem: {fsync:,.0f}/s (4 KiB write + fdatasync)")
        if "fills" in parts:
            print("durable fills on PostgreSQL (bound manager vs raw psycopg, same statements)")
            journaled, raw, pipelined = bench_fills(cluster)
            print("\n| PostgreSQL, live | fills/s | journaled vs it |")
            print("|---|---:|---:|")
            print(f"| journaled (bound manager) | {journaled:,.0f} | |")
            print(f"| raw psycopg | {raw:,.0f} | {journaled / raw:.0%} |")
            print(f"| raw psycopg, pipelined | {pipelined:,.0f} | {journaled / pipelined:.0%} |")
        if "batches" in parts:
            print("\ngroup commit: live events per second by events per transaction")
            table = {
                "SQLite": store_bench.bench_batches("live", directory),
                "PostgreSQL": store_bench.bench_batches(
                    "live", directory, lambda size: _schema_url(cluster, f"batch{size}")
                ),
            }
            print("\n| live | 1 a commit | 10 a batch | 100 a batch | 100 vs 1 | fsync/s |")
            print("|---|---:|---:|---:|---:|---:|")
            for name, rates in table.items():
                print(
                    f"| {name} | {rates[1]:,.0f} | {rates[10]:,.0f} | {rates[100]:,.0f} | "
                    f"{rates[100] / rates[1]:.1f}x | {fsync:,.0f} |"
                )
    finally:
        pg_cluster.stop(cluster.root)
        for name in os.listdir(directory):
            path = os.path.join(directory, name)
            if os.path.isfile(path):
                os.remove(path)
        os.rmdir(directory)


def _schema_url(cluster: pg_cluster.Cluster, name: str) -> str:
    """The URL of a new schema `name` of the cluster's database."""
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}".encode())
    return f"{cluster.url()}&options=-c%20search_path%3D{name}"


if __name__ == "__main__":
    main(sys.argv[1:] or ("fills", "batches"))
