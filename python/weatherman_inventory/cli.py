"""The operator's command line: `python -m weatherman_inventory verify|sessions --db PATH`.

Read-only: it opens the database without writing and without the writer lock, so it can run
beside a live session.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from weatherman_inventory.errors import InventoryError
from weatherman_inventory.events import MICRO
from weatherman_inventory.journal import verify_session
from weatherman_inventory.store import PersistenceLayer

__all__ = ["main"]

EXIT_OK = 0
EXIT_DIFFERENCES = 1
EXIT_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m weatherman_inventory",
        description="Inspect and verify weatherman-inventory session databases.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser(
        "verify",
        help="replay a session's journaled fills and compare them with its tables",
        description=(
            "Rebuild the session's positions from its journal (fills, mints, merges) and "
            "compare them with the positions and fills tables. Exit status 1 on any difference."
        ),
    )
    verify.add_argument("--db", required=True, help="path of the SQLite database")
    verify.add_argument("--session", required=True, help="session id")
    sessions = commands.add_parser("sessions", help="list the sessions in a database")
    sessions.add_argument("--db", required=True, help="path of the SQLite database")
    return parser


def _verify(db: str, session_id: str) -> int:
    with PersistenceLayer(db, readonly=True) as store:
        report = verify_session(store, session_id)
    print(report.render())
    return EXIT_OK if report.ok else EXIT_DIFFERENCES


def _sessions(db: str) -> int:
    with PersistenceLayer(db, readonly=True) as store:
        rows = [(s, store.last_seq(s.id)) for s in store.list_sessions()]
    print(f"{'session':<24} {'mode':<6} {'capital $':>14} {'events':>9} exit  started")
    for session, events in rows:
        capital = f"{session.initial_capital // MICRO}.{session.initial_capital % MICRO:06d}"
        print(
            f"{session.id:<24} {session.mode:<6} {capital:>14} {events:>9} "
            f"{'yes' if session.exit_triggered else 'no':<5} {session.started_at}"
        )
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit status is 0 (ok), 1 (verify found differences) or 2 (error)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "verify":
            return _verify(args.db, args.session)
        return _sessions(args.db)
    except InventoryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
