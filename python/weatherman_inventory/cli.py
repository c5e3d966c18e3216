"""The operator's command line: `python -m weatherman_inventory verify|sessions|rebuild-caches`,
the views of `views/` (`show`, `history`, `export`, `fleet`) and `reconcile` with the venue's
account.

`verify`, `sessions` and the views are read-only: they open the database without writing and
without the writer lock, so they can run beside a live session. `rebuild-caches` rewrites a
session's cache tables from its journal and needs the session's writer lock.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from weatherman_inventory.cli_reconcile import register as register_reconcile
from weatherman_inventory.errors import InventoryError
from weatherman_inventory.store import DB_HELP, PersistenceLayer, missing_database
from weatherman_inventory.verify import rebuild_caches, rebuild_summary
from weatherman_inventory.views import commands as views
from weatherman_inventory.views import report
from weatherman_inventory.views.history import HistoryFilter
from weatherman_inventory.views.progress import replay_progress
from weatherman_inventory.views.replay import counted_replays

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
        help="check a session's journal (or every session's) and compare every table with it",
        description=(
            "Replay the session's journal, check that it is whole (sequence without a hole, "
            "hash chain) and compare the sessions row, orders, fills, positions and mint "
            "events with it; run SQLite's integrity check; print the journal's head hash. "
            "Exit status 1 on any difference."
        ),
    )
    verify.add_argument("--db", required=True, help=DB_HELP)
    verify.add_argument("--session", help="session id (default: every session)")
    verify.add_argument("--all", action="store_true", help="verify every session of the database")
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
    rebuild.add_argument("--db", required=True, help=DB_HELP)
    rebuild.add_argument("--session", required=True, help="session id")
    sessions = commands.add_parser(
        "sessions",
        help="list the sessions in a database",
        description=(
            "List every session: mode, capital, journal rows, exit, start and, for sessions "
            "the reference host ran, its seed, markets, ticks done of its last tick and "
            "strategies."
        ),
    )
    sessions.add_argument("--db", required=True, help=DB_HELP)
    views.register(commands)
    register_reconcile(commands)
    report.register(commands)
    return parser


def _verify(db: str, session_id: str | None, every: bool, expect_head: str | None) -> int:
    if every and session_id is not None:
        print("error: --all and --session exclude each other", file=sys.stderr)
        return EXIT_ERROR
    if missing_database(db):
        print(f"error: no database at {db}", file=sys.stderr)
        return EXIT_ERROR
    return views.run_verify(db, None if session_id is None else [session_id], expect_head)


def _rebuild(db: str, session_id: str) -> int:
    if missing_database(db):
        print(f"error: no database at {db}", file=sys.stderr)
        return EXIT_ERROR
    with PersistenceLayer(db) as store:
        store.load_session(session_id)
        store.lock_session(session_id)
        with (
            replay_progress("rebuilding", 2 * store.last_seq(session_id)) as advance,
            counted_replays(advance),
        ):
            changes = rebuild_caches(store, session_id)
    print(rebuild_summary(changes))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit status is 0 (ok), 1 (verify found differences) or 2 (error,
    a journal that cannot be the whole truth included)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "verify":
            return _verify(args.db, args.session, args.all, args.expect_head)
        if args.command == "report":
            return report.run(args)
        if args.command == "rebuild-caches":
            return _rebuild(args.db, args.session)
        if args.command == "reconcile":
            return int(args.run(args))
        if args.command == "show":
            return views.run_show(args.db, args.session, args.at, args.json)
        if args.command == "history":
            selection = HistoryFilter.from_args(
                token=args.token,
                kind=args.kind,
                since=args.since,
                until=args.until,
                limit=args.limit,
                offset=args.offset,
            )
            return views.run_history(args.db, args.session, selection)
        if args.command == "export":
            return views.run_export(args.db, args.session, args.out, args.format)
        if args.command == "fleet":
            return views.run_fleet(args.db, args.json)
        return views.run_sessions(args.db)
    except InventoryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
