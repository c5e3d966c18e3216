"""The operator's command line: `python -m weatherman_inventory verify|sessions|rebuild-caches`.

`verify` and `sessions` are read-only: they open the database without writing and without the
writer lock, so they can run beside a live session. `rebuild-caches` rewrites a session's cache
tables from its journal and needs the session's writer lock.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from weatherman_inventory.errors import InventoryError
from weatherman_inventory.events import MICRO
from weatherman_inventory.store import PersistenceLayer
from weatherman_inventory.verify import rebuild_caches, rebuild_summary, verify_session
from weatherman_inventory.views import report

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
        help="check a session's journal and compare every table of the session with it",
        description=(
            "Replay the session's journal, check that it is whole (sequence without a hole, "
            "hash chain) and compare the sessions row, orders, fills, positions and mint "
            "events with it; run SQLite's integrity check; print the journal's head hash. "
            "Exit status 1 on any difference."
        ),
    )
    verify.add_argument("--db", required=True, help="path of the SQLite database")
    verify.add_argument("--session", required=True, help="session id")
    verify.add_argument(
        "--expect-head",
        metavar="HEX",
        help="the head hash kept elsewhere: a journal whose head differs fails",
    )
    rebuild = commands.add_parser(
        "rebuild-caches",
        help="rewrite a session's cache tables from its journal",
        description=(
            "Rewrite the session's orders, fills, positions, mint events and sessions row "
            "from its journal, once the journal has been checked. Takes the session's writer "
            "lock; prints what changed."
        ),
    )
    rebuild.add_argument("--db", required=True, help="path of the SQLite database")
    rebuild.add_argument("--session", required=True, help="session id")
    sessions = commands.add_parser("sessions", help="list the sessions in a database")
    sessions.add_argument("--db", required=True, help="path of the SQLite database")
    report.register(commands)
    return parser


def _verify(db: str, session_id: str, expect_head: str | None) -> int:
    with PersistenceLayer(db, readonly=True) as store:
        report = verify_session(store, session_id, expect_head=expect_head)
    print(report.render())
    return EXIT_OK if report.ok else EXIT_DIFFERENCES


def _rebuild(db: str, session_id: str) -> int:
    if not os.path.isfile(db):
        print(f"error: no database at {db}", file=sys.stderr)
        return EXIT_ERROR
    with PersistenceLayer(db) as store:
        store.load_session(session_id)
        store.lock_session(session_id)
        changes = rebuild_caches(store, session_id)
    print(rebuild_summary(changes))
    return EXIT_OK


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
    """Run one command; the exit status is 0 (ok), 1 (verify found differences) or 2 (error,
    a journal that cannot be the whole truth included)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "verify":
            return _verify(args.db, args.session, args.expect_head)
        if args.command == "report":
            return report.run(args)
        if args.command == "rebuild-caches":
            return _rebuild(args.db, args.session)
        return _sessions(args.db)
    except InventoryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
