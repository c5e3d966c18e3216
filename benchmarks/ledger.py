"""Ledger benchmarks: a fill applied in memory, and the 50-token snapshot strategies get.

Medians of many batches (`time.perf_counter_ns`), in one process so the figures compare as
ratios. The two baselines of `measured-limits.md` render the same 50-token state from scratch:
pydantic (`model_validate` of a nested dict, then `model_dump_json`) and a plain camelCase dict
through `orjson.dumps`.

Run: `.venv/bin/python -m benchmarks.ledger` (or `make bench` for every benchmark).
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable
from decimal import Decimal

import orjson

from weatherman_inventory import InventoryManager, InventoryState, Outcome
from weatherman_inventory.events import MICRO

TOKENS = 50
BATCHES = 101


def median_ns(run_batch: Callable[[], tuple[int, int]], batches: int = BATCHES) -> float:
    """Median over batches of (timed ns / operations) for a batch returning both."""
    run_batch()  # warm the caches and the allocator
    samples = []
    for _ in range(batches):
        elapsed, count = run_batch()
        samples.append(elapsed / count)
    return statistics.median(samples)


def session(tokens: int = TOKENS) -> InventoryManager:
    """A manager holding `tokens` positions, each bought in two fills and priced once."""
    mgr = InventoryManager(Decimal(1_000_000))
    for i in range(tokens):
        token, market = f"token-{i:03d}", f"market-{i // 2:03d}"
        outcome = Outcome.YES if i % 2 == 0 else Outcome.NO
        mgr.on_order_submitted_buy(f"o-{i}", market, token, outcome, 300, 60)
        mgr.on_fill_buy(f"o-{i}", token, market, outcome, 100, Decimal("0.55"), 300)
        mgr.on_fill_buy(f"o-{i}", token, market, outcome, 50, Decimal("0.58"), 300)
    mgr.update_prices({f"token-{i:03d}": 50 + i % 40 for i in range(tokens)})
    mgr.snapshot_json()
    return mgr


def bench_buy_fill() -> float:
    mgr = InventoryManager(Decimal(10**8))
    mgr.on_order_submitted_buy("big", "market", "token", Outcome.YES, 10**8, 65)
    price = Decimal("0.62")
    n = 2000

    def batch() -> tuple[int, int]:
        fill = mgr.on_fill_buy
        yes = Outcome.YES
        start = time.perf_counter_ns()
        for _ in range(n):
            fill("big", "token", "market", yes, 1, price, 10**8)
        return time.perf_counter_ns() - start, n

    return median_ns(batch)


def bench_sell_fill() -> float:
    mgr = InventoryManager(Decimal(10**8))
    mgr.on_fill_buy("seed", "token", "market", Outcome.YES, 10**8, Decimal("0.40"), 10**8)
    mgr.on_order_submitted_sell("big", "token", 10**8)
    price = Decimal("0.62")
    n = 2000

    def batch() -> tuple[int, int]:
        fill = mgr.on_fill_sell
        start = time.perf_counter_ns()
        for _ in range(n):
            fill("big", "token", 1, price, 10**8)
        return time.perf_counter_ns() - start, n

    return median_ns(batch)


def price_ticks(mgr: InventoryManager, moved: int) -> Callable[[int], dict[str, int]]:
    """Price maps where `moved` of the tokens change at each tick (a different mark each time)."""
    names = [f"token-{i:03d}" for i in range(TOKENS)]

    def tick(k: int) -> dict[str, int]:
        return {name: 1 + (k * 7 + i) % 99 for i, name in enumerate(names[:moved])}

    return tick


def bench_update_prices(moved: int) -> float:
    mgr = session()
    tick = price_ticks(mgr, moved)
    ticks = [tick(k) for k in range(40)]
    n = 20

    def batch() -> tuple[int, int]:
        start = time.perf_counter_ns()
        for k in range(n):
            mgr.update_prices(ticks[k % 40])
        return time.perf_counter_ns() - start, n

    return median_ns(batch)


def bench_snapshot(render: Callable[[InventoryManager], object], moved: int) -> float:
    """`render` after `moved` of the 50 prices changed (the price update is not timed)."""
    mgr = session()
    tick = price_ticks(mgr, moved)
    ticks = [tick(k) for k in range(40)]
    n = 20
    counter = [0]

    def batch() -> tuple[int, int]:
        elapsed = 0
        for _ in range(n):
            counter[0] += 1
            if moved:
                mgr.update_prices(ticks[counter[0] % 40])
            start = time.perf_counter_ns()
            render(mgr)
            elapsed += time.perf_counter_ns() - start
        return elapsed, n

    return median_ns(batch)


def _raw_state(mgr: InventoryManager) -> list[tuple[str, str, str, int, float, int, int, int]]:
    """Per token: (token, market, outcome, qty, in flight, cost, realised, mark): whole shares,
    micro-USDC, the in-flight quantity as the number the snapshot's JSON carries."""
    snap = mgr.snapshot()
    rows = []
    for record in mgr.position_records():
        token = snap.tokens[record.token_id]
        rows.append(
            (
                record.token_id,
                record.market_id,
                record.outcome.value,
                record.qty_micro // MICRO,
                float(token.in_flight_qty),
                record.cost_micro,
                record.realized_micro,
                round(token.current_price * 100) * 10_000,
            )
        )
    return rows


def bench_pydantic_baseline() -> float:
    """From exact state to JSON the best pydantic way: one model_validate, one dump."""
    mgr = session()
    rows = _raw_state(mgr)
    cash, in_flight = mgr.cash_micro, mgr.in_flight_micro
    n = 10

    def render() -> str:
        tokens = {}
        for token, market, outcome, qty, flight, cost, realized, mark in rows:
            tokens[token] = {
                "token_id": token,
                "market_id": market,
                "outcome": Outcome(outcome),
                "qty": qty,
                "in_flight_qty": flight,
                "unsettled_qty": 0,
                "accessible_qty": max(qty - flight, 0),
                "avg_entry_price": Decimal(cost) / Decimal(qty) / MICRO,
                "total_cost": cost / MICRO,
                "current_price": mark / MICRO,
                "unrealized_pnl": (mark * qty - cost) / MICRO,
                "realized_pnl": Decimal(realized).scaleb(-6),
            }
        state = {
            "total_usd": cash / MICRO,
            "in_flight_usd": in_flight / MICRO,
            "unsettled_usd": 0.0,
            "accessible_usd": (cash - in_flight) / MICRO,
            "adjustments_usd": 0.0,
            "tokens": tokens,
            "minted_pairs": {},
            "exit_triggered": False,
        }
        return InventoryState.model_validate(state).model_dump_json()

    def batch() -> tuple[int, int]:
        start = time.perf_counter_ns()
        for _ in range(n):
            render()
        return time.perf_counter_ns() - start, n

    return median_ns(batch)


def bench_orjson_baseline() -> float:
    """From exact state to JSON as a plain camelCase dict through orjson.dumps."""
    mgr = session()
    rows = _raw_state(mgr)
    cash, in_flight = mgr.cash_micro, mgr.in_flight_micro
    n = 10

    def render() -> bytes:
        tokens = {}
        for token, market, outcome, qty, flight, cost, realized, mark in rows:
            tokens[token] = {
                "tokenId": token,
                "marketId": market,
                "outcome": outcome,
                "qty": qty,
                "inFlightQty": flight,
                "unsettledQty": 0,
                "accessibleQty": max(qty - flight, 0),
                "avgEntryPrice": float(Decimal(cost) / Decimal(qty) / MICRO),
                "totalCost": cost / MICRO,
                "currentPrice": mark / MICRO,
                "unrealizedPnl": (mark * qty - cost) / MICRO,
                "realizedPnl": realized / MICRO,
            }
        return orjson.dumps(
            {
                "totalUsd": cash / MICRO,
                "inFlightUsd": in_flight / MICRO,
                "unsettledUsd": 0.0,
                "accessibleUsd": (cash - in_flight) / MICRO,
                "adjustmentsUsd": 0.0,
                "tokens": tokens,
                "mintedPairs": {},
                "exitTriggered": False,
            }
        )

    def batch() -> tuple[int, int]:
        start = time.perf_counter_ns()
        for _ in range(n):
            render()
        return time.perf_counter_ns() - start, n

    return median_ns(batch)


def main() -> None:
    # Anomalies are not what is measured; keep their warnings out of the table.
    logging.getLogger("weatherman_inventory").setLevel(logging.ERROR)
    rows: list[tuple[str, float, str]] = [
        ("on_fill_buy (Decimal price, open order)", bench_buy_fill(), "<= 3"),
        ("on_fill_sell (Decimal price, open order)", bench_sell_fill(), ""),
        ("update_prices, 50 of 50 tokens moved", bench_update_prices(TOKENS), ""),
        ("update_prices, 2 of 50 tokens moved", bench_update_prices(2), ""),
        ("snapshot_json(), 50 of 50 prices changed", bench_snapshot(_json, TOKENS), "<= 100"),
        ("snapshot_json(), 2 of 50 prices changed", bench_snapshot(_json, 2), "<= 20"),
        ("snapshot_json(), nothing changed", bench_snapshot(_json, 0), ""),
        ("snapshot() model, 50 of 50 prices changed", bench_snapshot(_model, TOKENS), ""),
        ("snapshot() model, 2 of 50 prices changed", bench_snapshot(_model, 2), ""),
        ("baseline: pydantic validate + dump, 50 tokens", bench_pydantic_baseline(), ""),
        ("baseline: plain dict + orjson.dumps, 50 tokens", bench_orjson_baseline(), ""),
    ]
    width = max(len(name) for name, _, _ in rows)
    print(f"{'ledger (median)':<{width}}  {'us':>8}  target us")
    for name, ns, target in rows:
        print(f"{name:<{width}}  {ns / 1000:>8.2f}  {target}")


def _json(mgr: InventoryManager) -> object:
    return mgr.snapshot_json()


def _model(mgr: InventoryManager) -> object:
    return mgr.snapshot()


if __name__ == "__main__":
    main()
