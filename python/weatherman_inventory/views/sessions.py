"""`sessions`: every session of a database, with the reference host's plan for those it ran.

The host keeps its plan beside the ledger's tables (`host_sessions`: seed, markets, last tick,
strategies; `host_plans`: one row per tick and phase it planned). A tick is done once its
decide phase (phase 1) was planned, the tick's last step; an interrupted tick counts as done
here too, as the host's `--resume` finishes it before the next.
"""

from __future__ import annotations

from dataclasses import dataclass

from weatherman_inventory.store import PersistenceLayer, SessionRow

from .tables import Table
from .units import dollars

__all__ = ["HostPlan", "SessionListing", "host_plans", "list_sessions", "sessions_table"]


@dataclass(frozen=True, slots=True)
class HostPlan:
    """The host's record of a session it ran: `ticks` is its last tick, `ticks_done` how many
    ticks it has planned through."""

    seed: int
    markets: int
    ticks: int
    ticks_done: int
    exit_tick: int
    strategies: str


@dataclass(frozen=True, slots=True)
class SessionListing:
    session: SessionRow
    events: int
    host: HostPlan | None


def host_plans(store: PersistenceLayer) -> dict[str, HostPlan]:
    """Each host session's plan, by session id (none when the host never wrote to the file)."""
    if not store.has_table("host_sessions"):
        return {}
    done: dict[str, int] = {}
    with store.transaction(write=False) as conn:
        if store.has_table("host_plans"):
            for session_id, ticks in conn.execute(
                "SELECT session_id, COUNT(DISTINCT tick) FROM host_plans WHERE phase = 1 "
                "GROUP BY session_id"
            ):
                done[session_id] = int(ticks)
        rows = conn.execute(
            "SELECT session_id, seed, markets, ticks, exit_tick, strategies FROM host_sessions"
        ).fetchall()
    return {
        row[0]: HostPlan(
            int(row[1]), int(row[2]), int(row[3]), done.get(row[0], 0), int(row[4]), str(row[5])
        )
        for row in rows
    }


def list_sessions(store: PersistenceLayer) -> list[SessionListing]:
    hosts = host_plans(store)
    return [SessionListing(s, store.last_seq(s.id), hosts.get(s.id)) for s in store.list_sessions()]


def sessions_table(listings: list[SessionListing]) -> Table:
    """One line per session: mode, capital, journal rows, exit, start, and the host's seed,
    markets, ticks done of its last tick and strategies."""
    table = Table(
        "Sessions",
        ("session", "mode", "capital", "events", "exit", "started", "seed", "markets", "ticks",
         "strategies"),
        numeric=frozenset(("capital", "events", "seed", "markets", "ticks")),
    )  # fmt: skip
    table.empty = "no sessions"
    for item in listings:
        s = item.session
        host = item.host
        table.rows.append(
            (
                s.id,
                s.mode,
                dollars(s.initial_capital),
                str(item.events),
                "yes" if s.exit_triggered else "no",
                s.started_at,
                "-" if host is None else str(host.seed),
                "-" if host is None else str(host.markets),
                "-" if host is None else f"{host.ticks_done}/{host.ticks}",
                "-" if host is None else host.strategies,
            )
        )
    return table
