"""A paper venue's account in the venue's own REST shapes, and reconciling against one.

A paper venue reports every fact of its exchange and chain to the ledger as it happens, so
when it stops its books are what the ledger holds on chain: `paper_account` writes them as the
venue's APIs would answer (`cli_reconcile.ACCOUNT_LAYOUT`: `collateral.json`,
`conditional.json`, `orders.json`, `trades.json`, `identity.json`), with the same on-chain
amounts `reconcile` compares (a token's quantity less its unmined buys plus its unmined sells;
cash likewise), so a ledger reconciled with the account it just wrote finds no difference.
Whatever changes the venue's books while the ledger is not listening (a trade the stream
missed, an order the venue dropped, a cash movement) is then found by `reconcile` like any
live venue's difference.

An order the venue accepted whose id the ledger has not been told yet (the answer to its
submission still on its way when the session stopped) is in neither side's list under the same
id: `reconcile_acknowledging` leaves such orders, named by their local ids, out of the
difference instead of closing them.

`account_from_pages` reads such an account back from the raw text of its pages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import orjson

from weatherman_inventory.events import MICRO, OrderStatus
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.venue.account import AccountPages, VenueAccount
from weatherman_inventory.venue.reconcile import (
    Difference,
    _cash_effect,
    _token_effect,
    reconcile,
)

__all__ = [
    "LAST_PAGE",
    "account_from_pages",
    "decimal_text",
    "difference_table",
    "paper_account",
    "reconcile_acknowledging",
]

LAST_PAGE: Final = "LTE="
"""The venue's `next_cursor` of a last page."""
_OPEN: Final = frozenset({OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED})


def decimal_text(micro: int) -> str:
    """Micro-units as the venue's decimal text: 7575758 -> "7.575758", 20000000 -> "20"."""
    whole, rest = divmod(micro, MICRO)
    if not rest:
        return str(whole)
    return f"{whole}.{rest:06d}".rstrip("0")


def paper_account(
    manager: InventoryManager,
    *,
    api_key: str,
    funder: str,
    conditions: Mapping[str, str],
    limits: Mapping[str, int] | None = None,
) -> dict[str, str]:
    """The account of a paper venue that reported everything to `manager`: file name -> JSON
    text. `conditions` maps the ledger's market ids to the venue's condition ids (an order's
    `market`); `limits` gives the venue's price (micro-USDC) of orders by local id, for sells
    the ledger holds without a limit. The trade history is empty: no trade is missing from what
    was reported."""
    cash = manager.cash_micro
    tokens = {r.token_id: r.qty_micro for r in manager.position_records()}
    for rec in manager.provisional_fills():
        cash += _cash_effect(rec)[0]
        tokens[rec.token_id] = tokens.get(rec.token_id, 0) + _token_effect(rec)[0]
    orders = []
    for local_id in manager.order_ids():
        record = manager.order_record(local_id)
        venue_id = manager.exchange_order_id(local_id)
        if record is None or venue_id is None or record.status not in _OPEN:
            continue
        position = manager.position_record(record.token_id)
        limit = record.limit_micro
        if limit is None:
            limit = (limits or {}).get(local_id, 0)
        orders.append(
            {
                "id": venue_id,
                "status": "LIVE",
                "owner": api_key,
                "maker_address": funder,
                "market": conditions.get(record.market_id, record.market_id),
                "asset_id": record.token_id,
                "side": record.side.upper(),
                "original_size": decimal_text(record.qty_micro),
                "size_matched": decimal_text(record.filled_qty_micro),
                "price": decimal_text(limit),
                "outcome": "" if position is None else position.outcome.value.capitalize(),
                "order_type": record.tif.upper(),
                "associate_trades": [],
            }
        )
    files = {
        "collateral.json": {"balance": str(cash)},
        "conditional.json": {token: {"balance": str(qty)} for token, qty in tokens.items()},
        "orders.json": {"data": orders, "next_cursor": LAST_PAGE},
        "trades.json": {"data": [], "next_cursor": LAST_PAGE},
        "identity.json": {"api_key": api_key, "funder": funder},
    }
    return {
        name: orjson.dumps(body, option=orjson.OPT_INDENT_2).decode() + "\n"
        for name, body in files.items()
    }


def account_from_pages(
    *,
    collateral: str | None = None,
    conditional: str | None = None,
    orders: Sequence[str] = (),
    trades: Sequence[str] = (),
    positions: Sequence[str] = (),
) -> VenueAccount:
    """The `VenueAccount` of raw pages, each the JSON text the venue answered (`InvalidMessage`
    naming the path of a value it cannot read)."""
    pages = AccountPages()
    if collateral is not None:
        pages.add_collateral(collateral)
    if conditional is not None:
        pages.add_token_balances(conditional)
    for page in orders:
        pages.add_orders(page)
    for page in trades:
        pages.add_trades(page)
    for page in positions:
        pages.add_positions(page)
    return pages.account()


def difference_table(difference: Difference) -> str:
    """The difference as the `reconcile` command prints it (a table, or that they agree)."""
    from weatherman_inventory.cli_reconcile import _table  # noqa: PLC0415 (the command's)

    if difference.empty:
        return "the ledger agrees with the venue"
    return "\n".join(_table(difference))


def reconcile_acknowledging(
    manager: InventoryManager, account: VenueAccount, acknowledging: Sequence[str] = ()
) -> Difference:
    """`reconcile`, less the ledger's orders in `acknowledging` (local ids) that the venue has
    not named yet: their acknowledgement is on its way, they are not missing."""
    found = reconcile(manager, account)
    waiting = set(acknowledging)
    keep = tuple(
        o
        for o in found.orders
        if not (o.kind == "missing" and o.venue_order_id is None and o.local_id in waiting)
    )
    if len(keep) == len(found.orders):
        return found
    return found.model_copy(update={"orders": keep})
