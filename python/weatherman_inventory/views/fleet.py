"""`fleet`: every session of a database at once, and the firm's exposure summed across them.

Each session's state comes from its writer: `live` while some process holds its writer lock,
else as its last writer left it in the `writers` table: `stopped` (released cleanly, or no row:
a database from before writers were recorded), `ended` (closed as over) or `crashed` (still
`writing`, with nobody holding the lock). Its money is its `accounts` row (`accounts.py`), which
the journal keeps with every event; the totals and the exposure per market and per condition
are summed in SQL over `accounts`, `positions` and `markets`, the same statements on SQLite and
PostgreSQL, so no journal is replayed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

import orjson

from weatherman_inventory.accounts import Account, usd_text
from weatherman_inventory.events import MICRO, SessionOpened
from weatherman_inventory.store import PersistenceLayer

from .tables import Table
from .units import dollars, shares

__all__ = [
    "STATES",
    "ConditionExposure",
    "Fleet",
    "FleetSession",
    "FleetTotals",
    "MarketExposure",
    "fleet_json",
    "fleet_tables",
    "load_fleet",
]

STATES: Final = ("live", "stopped", "crashed", "ended")
_STATE_OF: Final = {None: "stopped", "stopped": "stopped", "writing": "crashed", "ended": "ended"}

# A session without an accounts row whose journal applied an event: its row was never written
# (a database from before version 5 that no recovery has opened since).
_UNACCOUNTED: Final = (
    "CASE WHEN a.session_id IS NULL AND EXISTS (SELECT 1 FROM journal j "
    "WHERE j.session_id = s.id AND j.duplicate = 0 AND j.kind <> ?) THEN 1 ELSE 0 END"
)
_SESSIONS: Final = (
    "SELECT s.id, s.mode, w.state, a.seq, COALESCE(a.cash, s.initial_capital), "
    "COALESCE(a.in_flight, 0), COALESCE(a.unsettled, 0), COALESCE(a.adjustments, 0), "
    "COALESCE(a.cost, 0), COALESCE(a.realized, 0), COALESCE(a.value, 0), "
    f"COALESCE(a.value_frac, 0), {_UNACCOUNTED} "
    "FROM sessions s LEFT JOIN writers w ON w.session_id = s.id "
    "LEFT JOIN accounts a ON a.session_id = s.id ORDER BY s.started_at, s.id"
)
# The sums of every session whose money is known (an unaccounted one is left out and counted).
_TOTALS: Final = (
    "SELECT COUNT(*), COALESCE(SUM(cash), 0), COALESCE(SUM(in_flight), 0), "
    "COALESCE(SUM(unsettled), 0), COALESCE(SUM(adjustments), 0), COALESCE(SUM(cost), 0), "
    "COALESCE(SUM(realized), 0), COALESCE(SUM(value), 0), COALESCE(SUM(value_frac), 0) "
    "FROM (SELECT COALESCE(a.cash, s.initial_capital) AS cash, "
    "COALESCE(a.in_flight, 0) AS in_flight, COALESCE(a.unsettled, 0) AS unsettled, "
    "COALESCE(a.adjustments, 0) AS adjustments, COALESCE(a.cost, 0) AS cost, "
    "COALESCE(a.realized, 0) AS realized, COALESCE(a.value, 0) AS value, "
    f"COALESCE(a.value_frac, 0) AS value_frac, {_UNACCOUNTED} AS unaccounted "
    "FROM sessions s LEFT JOIN accounts a ON a.session_id = s.id) f WHERE f.unaccounted = 0"
)
_HELD: Final = (
    "SUM(CASE WHEN p.outcome = 'YES' THEN p.qty ELSE 0 END), "
    "SUM(CASE WHEN p.outcome = 'NO' THEN p.qty ELSE 0 END), "
    "SUM(p.cost_basis), SUM(p.realized_pnl)"
)
_BY_MARKET: Final = (
    "SELECT p.market_id, COALESCE(m.condition_id, ''), "
    f"COUNT(DISTINCT CASE WHEN p.qty > 0 THEN p.session_id END), {_HELD} "
    "FROM positions p LEFT JOIN markets m ON m.market_id = p.market_id "
    "GROUP BY p.market_id, COALESCE(m.condition_id, '') ORDER BY p.market_id"
)
_BY_CONDITION: Final = (
    "SELECT COALESCE(m.condition_id, ''), COUNT(DISTINCT p.market_id), "
    f"COUNT(DISTINCT CASE WHEN p.qty > 0 THEN p.session_id END), {_HELD} "
    "FROM positions p LEFT JOIN markets m ON m.market_id = p.market_id "
    "GROUP BY COALESCE(m.condition_id, '') ORDER BY COALESCE(m.condition_id, '')"
)


@dataclass(frozen=True, slots=True)
class FleetSession:
    """One session: its mode, its writer's state, and its account (None: not known, the
    session has no accounts row though its journal applied events)."""

    session_id: str
    mode: str
    state: str
    account: Account | None


@dataclass(frozen=True, slots=True)
class FleetTotals:
    """The sums of the `sessions` whose money is known, as one `Account` (`seq` 0)."""

    sessions: int
    account: Account
    unaccounted: int
    """Sessions left out: no accounts row though their journals applied events."""


@dataclass(frozen=True, slots=True)
class MarketExposure:
    """What every session together holds of one market, micro-shares and micro-USDC."""

    market_id: str
    condition_id: str
    """'' when the market is not registered."""
    sessions: int
    """Sessions holding shares of the market now."""
    yes_qty: int
    no_qty: int
    cost: int
    realized: int


@dataclass(frozen=True, slots=True)
class ConditionExposure:
    """What every session together holds of one condition's markets."""

    condition_id: str
    markets: int
    sessions: int
    yes_qty: int
    no_qty: int
    cost: int
    realized: int


@dataclass(frozen=True, slots=True)
class Fleet:
    sessions: list[FleetSession]
    totals: FleetTotals
    markets: list[MarketExposure]
    conditions: list[ConditionExposure]

    def count(self, state: str) -> int:
        return sum(1 for s in self.sessions if s.state == state)


def _ints(row: Any) -> list[int]:
    # PostgreSQL's SUM of a bigint is a numeric: exact, read back as an int.
    return [int(v) for v in row]


def load_fleet(store: PersistenceLayer) -> Fleet:
    """Every session and the sums, from one consistent state of the database."""
    opened = SessionOpened.kind
    with store.snapshot():
        with store.transaction(write=False) as conn:
            rows = conn.execute(_SESSIONS, (opened,)).fetchall()
            totals = conn.execute(_TOTALS, (opened,)).fetchone()
            markets = conn.execute(_BY_MARKET).fetchall()
            conditions = conn.execute(_BY_CONDITION).fetchall()
        sessions = []
        for sid, mode, writer, seq, *money, unaccounted in rows:
            state = "live" if store.session_live(sid) else _STATE_OF.get(writer, "stopped")
            account = None if unaccounted else Account(int(seq or 0), *_ints(money))
            sessions.append(FleetSession(sid, mode, state, account))
    count, *sums = _ints(totals)
    return Fleet(
        sessions,
        FleetTotals(count, Account(0, *sums), sum(1 for s in sessions if s.account is None)),
        [MarketExposure(r[0], r[1], *_ints(r[2:])) for r in markets],
        [ConditionExposure(r[0], *_ints(r[1:])) for r in conditions],
    )


# -- output --------------------------------------------------------------------------------


def _pico_dollars(pico: int) -> str:
    return dollars(Decimal(pico) / MICRO)


def _money_cells(a: Account) -> list[str]:
    return [
        dollars(a.cash),
        dollars(a.in_flight),
        dollars(a.cost),
        _pico_dollars(a.value_pico),
        dollars(a.realized),
        _pico_dollars(a.unrealized_pico),
        _pico_dollars(a.equity_pico),
    ]


_MONEY: Final = ("cash", "in flight", "exposure", "value", "realised", "unrealised", "equity")


def fleet_tables(fleet: Fleet) -> list[Table | str]:
    """The sessions, their totals and the exposure per market and per condition, in dollars
    and shares (exposure: the positions' cost basis; value: at their marks)."""
    states = ", ".join(f"{fleet.count(state)} {state}" for state in STATES)
    count = len(fleet.sessions)
    head = [f"{count} session{'' if count == 1 else 's'}: {states}"]
    if fleet.totals.unaccounted:
        head.append(
            f"{fleet.totals.unaccounted} session(s) without an accounts row (a database from "
            "before schema 5): left out of the totals until recovery or rebuild-caches writes it"
        )
    sessions = Table(
        "Sessions",
        ("session", "mode", "state", "row", *_MONEY),
        numeric=frozenset(("row", *_MONEY)),
    )
    sessions.empty = "no sessions"
    for item in fleet.sessions:
        a = item.account
        cells = ["?"] * len(_MONEY) if a is None else _money_cells(a)
        row = "?" if a is None else str(a.seq) if a.seq else "-"
        sessions.rows.append((item.session_id, item.mode, item.state, row, *cells))
    totals = Table("Fleet", ("sessions", *_MONEY), numeric=frozenset(("sessions", *_MONEY)))
    totals.rows.append((str(fleet.totals.sessions), *_money_cells(fleet.totals.account)))
    held = ("YES qty", "NO qty", "exposure", "realised")
    markets = Table(
        "Exposure by market",
        ("market", "condition", "sessions", *held),
        numeric=frozenset(("sessions", *held)),
    )
    for m in fleet.markets:
        markets.rows.append(
            (m.market_id or "?", m.condition_id or "?", str(m.sessions), shares(m.yes_qty),
             shares(m.no_qty), dollars(m.cost), dollars(m.realized))
        )  # fmt: skip
    conditions = Table(
        "Exposure by condition",
        ("condition", "markets", "sessions", *held),
        numeric=frozenset(("markets", "sessions", *held)),
    )
    for c in fleet.conditions:
        conditions.rows.append(
            (c.condition_id or "?", str(c.markets), str(c.sessions), shares(c.yes_qty),
             shares(c.no_qty), dollars(c.cost), dollars(c.realized))
        )  # fmt: skip
    return [*head, "", sessions, totals, markets, conditions]


def _shares_text(micro: int) -> str:
    return f"{Decimal(micro).scaleb(-6):f}"


def _money_json(a: Account) -> dict[str, str]:
    return {
        "cash_usd": usd_text(a.cash),
        "in_flight_usd": usd_text(a.in_flight),
        "unsettled_usd": usd_text(a.unsettled),
        "accessible_usd": usd_text(a.cash - a.in_flight - a.unsettled),
        "adjustments_usd": usd_text(a.adjustments),
        "exposure_usd": usd_text(a.cost),
        "value_usd": usd_text(pico=a.value_pico),
        "realized_pnl_usd": usd_text(a.realized),
        "unrealized_pnl_usd": usd_text(pico=a.unrealized_pico),
        "equity_usd": usd_text(pico=a.equity_pico),
    }


def fleet_json(fleet: Fleet) -> str:
    """The fleet as JSON: money as exact decimal strings of dollars, quantities of shares."""
    out = {
        "sessions": [
            {
                "session_id": s.session_id,
                "mode": s.mode,
                "state": s.state,
                "journal_seq": None if s.account is None else s.account.seq or None,
                **({} if s.account is None else _money_json(s.account)),
            }
            for s in fleet.sessions
        ],
        "totals": {
            "sessions": fleet.totals.sessions,
            "unaccounted_sessions": fleet.totals.unaccounted,
            **{state: fleet.count(state) for state in STATES},
            **_money_json(fleet.totals.account),
        },
        "markets": [
            {
                "market_id": m.market_id,
                "condition_id": m.condition_id or None,
                "sessions": m.sessions,
                "yes_qty": _shares_text(m.yes_qty),
                "no_qty": _shares_text(m.no_qty),
                "exposure_usd": usd_text(m.cost),
                "realized_pnl_usd": usd_text(m.realized),
            }
            for m in fleet.markets
        ],
        "conditions": [
            {
                "condition_id": c.condition_id or None,
                "markets": c.markets,
                "sessions": c.sessions,
                "yes_qty": _shares_text(c.yes_qty),
                "no_qty": _shares_text(c.no_qty),
                "exposure_usd": usd_text(c.cost),
                "realized_pnl_usd": usd_text(c.realized),
            }
            for c in fleet.conditions
        ],
    }
    return orjson.dumps(out, option=orjson.OPT_INDENT_2).decode()
