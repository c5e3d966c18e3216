"""`python -m weatherman_inventory reconcile`: a session's ledger against the venue's account.

The account is read from JSON files as the venue's APIs answer (`ACCOUNT_LAYOUT`). The trade
history is fed through the Polymarket adapter first, so a fill the stream missed is booked as a
fill; then the difference is printed as a table. Without `--adopt` nothing is written: the
session is replayed in memory. With `--adopt` the session is recovered for writing (its writer
lock taken), the missed fills are journaled, and one correcting event per difference is
journaled, each an anomaly with both values.

Exit status: 0 when the ledger agrees with the venue (after adopting, with `--adopt`), 1 when it
does not, 2 on an error (a file that cannot be read, a session that does not exist).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from weatherman_inventory.errors import InvalidInput
from weatherman_inventory.events import Event, format_shares
from weatherman_inventory.journal import replay
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.store import DB_HELP, PersistenceLayer, missing_database
from weatherman_inventory.venue.account import AccountPages, VenueAccount
from weatherman_inventory.venue.adapter import PolymarketAdapter
from weatherman_inventory.venue.reconcile import (
    Difference,
    adopt,
    catch_up,
    reconcile,
    usd_text,
)

__all__ = ["ACCOUNT_LAYOUT", "read_account", "register", "render", "run"]

ACCOUNT_LAYOUT: Final = """\
The venue's account (--account: a directory, or the files themselves), one JSON file per answer
of the venue's APIs, named by what it holds:
  collateral.json    GET /balance-allowance?asset_type=COLLATERAL ({"balance": "984515000"},
                     6-decimal base units)
  conditional.json   {token id: GET /balance-allowance?asset_type=CONDITIONAL&token_id=<id>}:
                     the token balances compared (the only ones: data-API rows are advisory)
  orders*.json       GET /data/orders: a cursor page {data, next_cursor}, or an array of pages;
                     the last page has next_cursor "LTE=" (files are read in name order)
  trades*.json       GET /data/trades: pages as above; fed through the adapter first
  positions*.json    data API GET /positions?user=<funder>&sizeThreshold=0: one page (an array
                     of rows), camelCase or snake_case
  identity.json      {"api_key": ..., "funder": ...}: whose legs the trades are (needed with
                     trades; --api-key and --funder override it)
A file that is absent is not compared: no collateral.json, no cash; no orders file, no orders."""

_PREFIXES: Final = ("collateral", "conditional", "orders", "trades", "positions", "identity")


def register(commands: Any) -> None:
    """Add the `reconcile` command to the CLI's subparsers."""
    parser = commands.add_parser(
        "reconcile",
        help="compare a session's ledger with the venue's account, and adopt the venue's truth",
        description=(
            "Feed the venue's trade history through the Polymarket adapter (missed fills are "
            "booked as fills), then print the difference between the ledger and the venue's "
            "account as a table. Exit status 0 when they agree, 1 when they do not."
        ),
        epilog=ACCOUNT_LAYOUT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", required=True, help=DB_HELP)
    parser.add_argument("--session", required=True, help="session id")
    parser.add_argument(
        "--account", required=True, nargs="+", metavar="DIR-or-FILE", help="the account's files"
    )
    parser.add_argument(
        "--adopt",
        action="store_true",
        help="journal one correcting event per difference (each an anomaly), then compare again",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--api-key", help="the API key's owner id (overrides identity.json)")
    parser.add_argument("--funder", help="the funder address (overrides identity.json)")
    parser.set_defaults(run=run)


def _files(paths: Sequence[str]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix == ".json"))
        elif path.is_file():
            files.append(path)
        else:
            raise InvalidInput("--account", name, "no such file or directory")
    return files


def read_account(paths: Sequence[str]) -> tuple[VenueAccount, dict[str, str]]:
    """The account in the files (`ACCOUNT_LAYOUT`), and identity.json's fields."""
    pages = AccountPages()
    identity: dict[str, str] = {}
    for path in sorted(_files(paths), key=lambda p: p.name):
        kind = next((k for k in _PREFIXES if path.name.startswith(k)), None)
        try:
            text = path.read_bytes()
        except OSError as exc:
            raise InvalidInput("--account", str(path), f"cannot be read: {exc}") from None
        if kind == "collateral":
            pages.add_collateral(text)
        elif kind == "conditional":
            pages.add_token_balances(text)
        elif kind == "orders":
            pages.add_orders(text)
        elif kind == "trades":
            pages.add_trades(text)
        elif kind == "positions":
            pages.add_positions(text)
        elif kind == "identity":
            try:
                raw = json.loads(text)
            except ValueError:
                raw = text.decode("utf-8", "replace")
            if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
                raise InvalidInput(str(path), raw, '{"api_key": ..., "funder": ...} is required')
            identity = raw
        else:
            raise InvalidInput(
                "--account", str(path), f"a file named for what it holds ({', '.join(_PREFIXES)})"
            )
    return pages.account(), identity


def _table(difference: Difference) -> list[str]:
    rows: list[tuple[str, str, str, str, str]] = []
    notes: dict[int, str] = {}
    cash = difference.cash
    if cash is not None:
        status = "pending" if cash.pending else "adopt"
        rows.append(
            ("cash", usd_text(cash.ledger_micro), usd_text(cash.venue_micro), status, "USDC")
        )
        if cash.explained_by:
            notes[len(rows) - 1] = "explained by " + ", ".join(cash.explained_by)
    for t in difference.tokens:
        ledger, venue = format_shares(t.ledger_micro), format_shares(t.venue_micro)
        rows.append(("token", ledger, venue, "pending" if t.pending else "adopt", t.token_id))
        if t.explained_by:
            notes[len(rows) - 1] = "explained by " + ", ".join(t.explained_by)
    for o in difference.orders:
        ledger = "-" if o.ledger_left_micro is None else format_shares(o.ledger_left_micro)
        venue = "-" if o.venue_left_micro is None else format_shares(o.venue_left_micro)
        status = {"missing": "close", "unknown": "open", "mismatch": "operator"}[o.kind]
        key = o.local_id if o.local_id is not None else ""
        if o.venue_order_id is not None:
            key = f"{key} {o.venue_order_id}".strip()
        rows.append((f"order {o.kind}", ledger, venue, status, key))
        notes[len(rows) - 1] = f"{o.side} {o.token_id}: {o.detail}"
    rows.extend(("unverified", "?", "no balance", "operator", t) for t in difference.unverified)
    lines = [f"{'what':<16} {'ledger':>18} {'venue':>18}  {'status':<9} key"]
    for i, (what, ledger, venue, status, key) in enumerate(rows):
        lines.append(f"{what:<16} {ledger:>18} {venue:>18}  {status:<9} {key}")
        if i in notes:
            lines.append(f"{'':<16} {notes[i]}")
    pending = sum(t.pending for t in difference.tokens) + bool(cash and cash.pending)
    lines.append(f"{len(rows)} differences, {pending} pending")
    return lines


def render(
    booked: list[str], found: Difference, adopted: list[Event] | None, after: Difference | None
) -> str:
    """The command's table output (`adopted` and `after` None: nothing was written)."""
    written = "booked" if adopted is not None else "found (booked in memory only)"
    lines = [
        f"trade history: {len(booked)} missed fills {written}"
        + ("".join(f"\n  {fill_id}" for fill_id in booked))
    ]
    if found.empty:
        lines.append("the ledger agrees with the venue")
    else:
        lines.extend(_table(found))
    if adopted is not None and after is not None:
        kinds = ", ".join(e.kind for e in adopted) or "nothing"
        lines.append(f"adopted {len(adopted)} corrections, each an anomaly: {kinds}")
        if after.empty:
            lines.append("after adopting: the ledger agrees with the venue")
        else:
            lines.append("after adopting:")
            lines.extend(_table(after))
    return "\n".join(lines)


def _manager_run(
    manager: InventoryManager, account: VenueAccount, identity: dict[str, str], adopting: bool
) -> tuple[list[str], Difference, list[Event] | None, Difference | None]:
    booked: list[str] = []
    if account.trade_pages:
        api_key, funder = identity.get("api_key"), identity.get("funder")
        if not api_key or not funder:
            raise InvalidInput(
                "identity.json", identity, "api_key and funder are needed to read the trades"
            )
        adapter = PolymarketAdapter(manager, api_key=api_key, funder=funder)
        booked = [a.key for applied in catch_up(adapter, account) for a in applied.of("fill")]
    found = reconcile(manager, account)
    if not adopting:
        return booked, found, None, None
    adopted = adopt(manager, found)
    return booked, found, adopted, reconcile(manager, account)


def _tracking_fill_ids(capital: object, **kwargs: Any) -> InventoryManager:
    return InventoryManager(capital, **{**kwargs, "track_fill_ids": True})


def run(args: argparse.Namespace) -> int:
    """The command's body: 0 when the ledger agrees with the venue, 1 when not."""
    account, identity = read_account(args.account)
    if args.api_key:
        identity["api_key"] = args.api_key
    if args.funder:
        identity["funder"] = args.funder
    if missing_database(args.db):
        raise InvalidInput("--db", args.db, "no database at this path")
    if args.adopt:
        with PersistenceLayer(args.db) as store:
            manager = InventoryManager.recover(store, args.session)
            booked, found, adopted, after = _manager_run(manager, account, identity, True)
    else:
        with PersistenceLayer(args.db, readonly=True) as store:
            # In memory only, knowing its fills by id as a bound one does through its store.
            manager = replay(_tracking_fill_ids, store, args.session)
            booked, found, adopted, after = _manager_run(manager, account, identity, False)
    if args.json:
        out: dict[str, object] = {
            "booked": booked,
            "difference": found.model_dump(mode="json"),
        }
        if adopted is not None and after is not None:
            out["adopted"] = [e.kind for e in adopted]
            out["after"] = after.model_dump(mode="json")
        print(json.dumps(out, indent=2))
    else:
        print(render(booked, found, adopted, after))
    final = after if after is not None else found
    return 0 if final.empty else 1
