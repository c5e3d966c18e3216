"""`show`: what a session holds, now or after any journal row.

Cash, in flight, accessible and unsettled USDC, every position (quantity, average, mark,
realised and unrealised PnL, and what is redeemable once the contract says so), the minted
pairs, the open orders and the anomalies, from a manager replayed from the journal.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from weatherman_inventory.events import MICRO, OrderStatus
from weatherman_inventory.models import TokenPosition

from .replay import SessionState
from .tables import Table
from .units import cents, dollars, shares, utc_time

__all__ = ["ANOMALIES_SHOWN", "REDEEMABLE_FIELDS", "show_json", "show_tables"]

_OPEN: frozenset[str] = frozenset({OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED})

ANOMALIES_SHOWN = 20
"""The most recent anomalies `show` lists (a session that went wrong can hold thousands)."""

REDEEMABLE_FIELDS: tuple[str, ...] = ("redeemable_qty", "redeemable")
"""The contract fields `show` reads a token's redeemable shares from, the first one present;
the column appears once a snapshot's tokens carry one of them."""


def _redeemable(token: TokenPosition | None) -> Decimal | None:
    for name in REDEEMABLE_FIELDS:
        value = getattr(token, name, None)
        if value is not None:
            return Decimal(value)
    return None


def _unrealized_micro(qty: int, cost: int, mark: int | None) -> Decimal:
    """Marked value minus cost, micro-USDC, exact (an unmarked position is worth its cost)."""
    if mark is None:
        return Decimal(0)
    return Decimal(qty * mark - cost * MICRO) / MICRO


def show_tables(state: SessionState) -> list[Table | str]:
    """The session's state as tables of readable values."""
    manager = state.manager
    ledger: dict[str, Any] = manager.ledger_state()
    snapshot = manager.snapshot()
    cash = manager.cash_micro
    in_flight = manager.in_flight_micro
    unsettled = manager.unsettled_usd_micro
    session = state.session
    when = "" if state.recorded_at is None else f", recorded {utc_time(state.recorded_at)}"
    head = (
        f"session {session.id} ({session.mode}) at journal row {state.seq} of "
        f"{state.last_seq}{when}"
    )
    money = Table(
        "Cash",
        ("initial", "cash", "in flight", "unsettled", "accessible", "adjustments", "exit"),
        numeric=frozenset(
            ("initial", "cash", "in flight", "unsettled", "accessible", "adjustments")
        ),
    )
    money.rows.append(
        (
            dollars(manager.initial_capital_micro),
            dollars(cash),
            dollars(in_flight),
            dollars(unsettled),
            dollars(cash - in_flight - unsettled),
            dollars(manager.adjustments_micro),
            "yes" if manager.exit_triggered else "no",
        )
    )
    redeemable = {t: _redeemable(p) for t, p in snapshot.tokens.items()}
    with_redeemable = any(v is not None for v in redeemable.values())
    columns = [
        "token", "market", "side", "qty", "unsettled", "in flight", "avg", "mark", "cost",
        "realised", "unrealised",
    ]  # fmt: skip
    if with_redeemable:
        columns.append("redeemable")
    positions = Table("Positions", columns, numeric=frozenset(columns[3:]))
    realised_total = 0
    unrealised_total = Decimal(0)
    for token_id, market_id, outcome, qty, qty_in_flight, cost, realised, mark in ledger[
        "positions"
    ]:
        unrealised = _unrealized_micro(qty, cost, mark)
        realised_total += realised
        unrealised_total += unrealised
        avg = None if qty == 0 else Decimal(cost) / Decimal(qty) * MICRO
        row = [
            token_id,
            market_id or "?",
            str(outcome.value if hasattr(outcome, "value") else outcome),
            shares(qty),
            shares(manager.unsettled_qty_micro(token_id)),
            shares(qty_in_flight),
            "-" if avg is None else cents(int(avg.to_integral_value())),
            "-" if mark is None else cents(mark),
            dollars(cost),
            dollars(realised),
            dollars(unrealised),
        ]
        if with_redeemable:
            value = redeemable.get(token_id)
            row.append("-" if value is None else shares(int(value * MICRO)))
        positions.rows.append(row)
    pairs = Table(
        "Minted pairs",
        ("condition", "available", "reserved", "minted", "sold", "merged"),
        numeric=frozenset(("available", "reserved", "minted", "sold", "merged")),
    )
    for condition, available, reserved, minted, sold, merged in ledger["pairs"]:
        pairs.rows.append(
            (condition, shares(available), shares(reserved), shares(minted), shares(sold),
             shares(merged))
        )  # fmt: skip
    orders = Table(
        "Open orders",
        ("order", "side", "token", "qty", "filled", "limit", "tif", "status", "reserved"),
        numeric=frozenset(("qty", "filled", "limit", "reserved")),
    )
    for record in ledger["orders"]:
        if record.status not in _OPEN:
            continue
        reserved = (
            dollars(record.reserved_micro)
            if record.side == "buy"
            else f"{shares(record.reserved_qty_micro)} sh"
        )
        orders.rows.append(
            (
                record.local_id,
                record.side,
                record.token_id,
                shares(record.qty_micro),
                shares(record.filled_qty_micro),
                cents(record.limit_micro),
                record.tif,
                record.status,
                reserved,
            )
        )
    recorded = manager.anomalies()
    shown = recorded[-ANOMALIES_SHOWN:]
    title = "Anomalies"
    if len(shown) < len(recorded):
        title = f"Anomalies (the last {len(shown)} of {len(recorded)}; `history` lists the events)"
    anomalies = Table(title, ("kind", "message"))
    for anomaly in shown:
        anomalies.rows.append((str(anomaly.kind), anomaly.message))
    totals = (
        f"realised {dollars(realised_total)}, unrealised {dollars(unrealised_total)}, "
        f"{len(orders.rows)} open orders, {len(recorded)} anomalies"
    )
    return [head, totals, "", money, positions, pairs, orders, anomalies]


def show_json(state: SessionState) -> str:
    """The contract's `InventoryState` JSON of the state, as strategies get it."""
    return state.manager.snapshot_json()
