"""The operator's commands over a session database: `show`, `history`, `export`, `fleet`, and
the `sessions` and `verify --all` views. `cli.py` registers them and maps errors to exit codes.
"""

from __future__ import annotations

import argparse
import sys
from typing import IO, TYPE_CHECKING, Final

from weatherman_inventory.store import DB_HELP, PersistenceLayer
from weatherman_inventory.verify import verify_session

from .fleet import fleet_json, fleet_tables, load_fleet
from .history import HistoryFilter, history_lines, history_rows, history_table
from .progress import replay_progress
from .replay import counted_replays, parse_at, state_at
from .sessions import list_sessions, sessions_table
from .show import show_json, show_tables
from .tables import console_for, render, write_plain_blocks

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "register",
    "run_export",
    "run_fleet",
    "run_history",
    "run_sessions",
    "run_show",
    "run_verify",
]

EXIT_OK: Final = 0
EXIT_DIFFERENCES: Final = 1
FORMATS: Final = ("parquet", "csv")
"""`export --format`; `export.FORMATS`, without importing pyarrow for every command."""

_SHOW_EXAMPLES: Final = """examples:
  python -m weatherman_inventory show --db var/weatherman-demo.sqlite --session demo-s42
  python -m weatherman_inventory show --db DB --session ID --at 1200
  python -m weatherman_inventory show --db DB --session ID --at 2026-12-01T14:03:00Z
  python -m weatherman_inventory show --db DB --session ID --json | jq .accessibleUsd
"""
_HISTORY_EXAMPLES: Final = """examples:
  python -m weatherman_inventory history --db DB --session ID --limit 20
  python -m weatherman_inventory history --db DB --session ID --kind buy_filled,sell_filled
  python -m weatherman_inventory history --db DB --session ID --token TOKEN \\
      --since 2026-12-01T14:00:00Z --until 2026-12-01T14:10:00Z
"""
_EXPORT_EXAMPLES: Final = """examples:
  python -m weatherman_inventory export --db DB --session ID --out exports/ID
  python -m weatherman_inventory export --db DB --session ID --out exports/ID --format csv
  python -c "import pandas; print(pandas.read_parquet('exports/ID/equity.parquet').tail())"
"""

_FLEET_EXAMPLES: Final = """examples:
  python -m weatherman_inventory fleet --db var/weatherman-demo.sqlite
  python -m weatherman_inventory fleet --db postgresql://desk@db.internal/weatherman
  python -m weatherman_inventory fleet --db DB --json | jq '.totals.equity_usd'
"""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `show`, `history`, `export` and `fleet` to the command line."""
    raw = argparse.RawDescriptionHelpFormatter
    show = commands.add_parser(
        "show",
        help="what a session holds, now or at any journal row or time",
        description=(
            "Replay the session's journal (up to --at) and show cash, in flight, unsettled and "
            "accessible USDC, every position, the minted pairs, the open orders and the "
            "anomalies. Tables on a terminal, plain text otherwise; --json prints the "
            "contract's InventoryState JSON."
        ),
        epilog=_SHOW_EXAMPLES,
        formatter_class=raw,
    )
    show.add_argument("--db", required=True, help=DB_HELP)
    show.add_argument("--session", required=True, help="session id")
    show.add_argument(
        "--at",
        metavar="SEQ|TIME",
        help="a journal row (1..N) or an ISO 8601 time (UTC unless it names an offset): the "
        "state after that row, or after the last row recorded at or before that time",
    )
    show.add_argument("--json", action="store_true", help="print InventoryState JSON")
    history = commands.add_parser(
        "history",
        help="the session's journal, one line per event",
        description=(
            "List the session's journaled events in order, one line each, in dollars, shares "
            "and cents; filters combine."
        ),
        epilog=_HISTORY_EXAMPLES,
        formatter_class=raw,
    )
    history.add_argument("--db", required=True, help=DB_HELP)
    history.add_argument("--session", required=True, help="session id")
    history.add_argument("--token", help="only events naming this token")
    history.add_argument("--kind", help="only these kinds (comma-separated, e.g. buy_filled)")
    history.add_argument("--since", metavar="SEQ|TIME", help="from this row or time on")
    history.add_argument("--until", metavar="SEQ|TIME", help="up to this row or time")
    history.add_argument("--limit", type=int, help="list at most this many events")
    history.add_argument("--offset", type=int, default=0, help="skip this many events first")
    export = commands.add_parser(
        "export",
        help="the session's events, fills and equity series as Parquet or CSV tables",
        description=(
            "Write events, fills and equity (the state after every event) of the session "
            "into a directory, one typed column per field: money as integer micro-dollars or "
            "exact decimals, times in UTC. The schema is in the README."
        ),
        epilog=_EXPORT_EXAMPLES,
        formatter_class=raw,
    )
    export.add_argument("--db", required=True, help=DB_HELP)
    export.add_argument("--session", required=True, help="session id")
    export.add_argument("--out", required=True, help="directory to write the tables into")
    export.add_argument("--format", choices=FORMATS, default="parquet", help="file format")
    fleet = commands.add_parser(
        "fleet",
        help="every session of a database, and the exposure summed across them",
        description=(
            "List every session with its mode, state (live, stopped, crashed, ended), cash, "
            "exposure (the positions' cost basis), marked value, realised and unrealised PnL "
            "and equity, their totals, and the shares and exposure per market and per "
            "condition summed across sessions. Reads the accounts and positions tables (no "
            "journal is replayed); --json prints the same as exact decimal strings."
        ),
        epilog=_FLEET_EXAMPLES,
        formatter_class=raw,
    )
    fleet.add_argument(
        "--db", required=True, metavar="TARGET", help="SQLite path or postgresql:// URL"
    )
    fleet.add_argument("--json", action="store_true", help="print JSON")


def run_show(
    db: str,
    session_id: str,
    at: str | None,
    as_json: bool,
    *,
    stream: IO[str] | None = None,
    console: Console | None = None,
) -> int:
    """Print the session's state (after `at`) on `stream`: tables through `console`, or one
    of `stream` when it is a terminal, plain text otherwise; `as_json`: InventoryState JSON."""
    stream = sys.stdout if stream is None else stream
    point = None if at is None else parse_at(at)
    with PersistenceLayer(db, readonly=True) as store:
        total = store.last_seq(session_id)
        with replay_progress("replaying", total) as advance:
            state = state_at(store, session_id, point, advance)
    if as_json:
        stream.write(show_json(state) + "\n")
        return EXIT_OK
    render(show_tables(state), console or console_for(stream), stream)
    return EXIT_OK


def run_history(
    db: str,
    session_id: str,
    selection: HistoryFilter,
    *,
    stream: IO[str] | None = None,
    console: Console | None = None,
) -> int:
    """Print the journal rows `selection` admits, as `run_show` prints its tables; plain text
    is written as the journal is read, a block of rows at a time."""
    stream = sys.stdout if stream is None else stream
    console = console or console_for(stream)
    title = f"History of {session_id}"
    with PersistenceLayer(db, readonly=True) as store:
        rows = history_rows(store, session_id, selection)
        if console is None:
            write_plain_blocks(history_table(title), history_lines(rows), stream)
        else:
            render([history_table(title, rows)], console, stream)
    return EXIT_OK


def run_export(db: str, session_id: str, out: str, fmt: str, stream: IO[str] | None = None) -> int:
    from .export import export_session  # noqa: PLC0415 (pyarrow loads for export only)

    stream = sys.stdout if stream is None else stream
    with PersistenceLayer(db, readonly=True) as store:
        total = store.last_seq(session_id)
        with replay_progress("exporting", total) as advance:
            summary = export_session(store, session_id, out, fmt, advance)
    stream.write(summary.render())
    return EXIT_OK


def run_fleet(
    db: str, as_json: bool, *, stream: IO[str] | None = None, console: Console | None = None
) -> int:
    """Print the fleet of sessions in `db` (a path or a postgresql:// URL), as `run_show`
    prints its tables, or as JSON."""
    stream = sys.stdout if stream is None else stream
    with PersistenceLayer(db, readonly=True) as store:
        fleet = load_fleet(store)
    if as_json:
        stream.write(fleet_json(fleet) + "\n")
        return EXIT_OK
    render(fleet_tables(fleet), console or console_for(stream), stream)
    return EXIT_OK


def run_sessions(db: str, stream: IO[str] | None = None) -> int:
    stream = sys.stdout if stream is None else stream
    with PersistenceLayer(db, readonly=True) as store:
        listings = list_sessions(store)
    console = console_for(stream)
    if console is not None:
        render([sessions_table(listings)], console, stream)
        return EXIT_OK
    # Off a terminal the columns a script reads stay where they were; the host's follow.
    stream.write(
        f"{'session':<24} {'mode':<6} {'capital $':>14} {'events':>9} exit  started"
        f"{'':<20} {'seed':>20} {'markets':>7} {'ticks':>13}  strategies\n"
    )
    for item in listings:
        s = item.session
        host = item.host
        capital = f"{s.initial_capital // 1_000_000}.{s.initial_capital % 1_000_000:06d}"
        plan = (
            f"{'-':>20} {'-':>7} {'-':>13}  -"
            if host is None
            else f"{host.seed:>20} {host.markets:>7} {f'{host.ticks_done}/{host.ticks}':>13}  "
            f"{host.strategies}"
        )
        stream.write(
            f"{s.id:<24} {s.mode:<6} {capital:>14} {item.events:>9} "
            f"{'yes' if s.exit_triggered else 'no':<5} {s.started_at:<26} {plan}\n"
        )
    return EXIT_OK


def run_verify(
    db: str,
    session_ids: list[str] | None,
    expect_head: str | None,
    stream: IO[str] | None = None,
) -> int:
    """Verify the named sessions, or every session of the database (None); exit 1 when any
    differs."""
    stream = sys.stdout if stream is None else stream
    failed = []
    with PersistenceLayer(db, readonly=True) as store:
        ids = [s.id for s in store.list_sessions()] if session_ids is None else session_ids
        for session_id in ids:
            with (
                replay_progress(f"verifying {session_id}", store.last_seq(session_id)) as advance,
                counted_replays(advance),
            ):
                report = verify_session(store, session_id, expect_head=expect_head)
            stream.write(report.render() + "\n")
            if not report.ok:
                failed.append(session_id)
    if session_ids is None:
        stream.write(
            f"{len(ids)} session(s) verified, {len(failed)} failed"
            + (f": {', '.join(failed)}" if failed else "")
            + "\n"
        )
    return EXIT_DIFFERENCES if failed else EXIT_OK
