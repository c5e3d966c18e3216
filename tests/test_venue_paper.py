"""A paper venue's account written from the ledger: reconciling against it finds nothing, and
what changes the venue's books afterwards is found like a live venue's difference."""

from __future__ import annotations

import json

import pytest

from weatherman_inventory import InventoryManager
from weatherman_inventory.venue import InvalidMessage, PolymarketAdapter
from weatherman_inventory.venue.paper import (
    account_from_pages,
    decimal_text,
    paper_account,
    reconcile_acknowledging,
)
from weatherman_inventory.venue.reconcile import adopt, catch_up, reconcile

KEY = "5f1c9e2a-7b31-4d0e-9a6c-0f7e3b2d8c41"
FUNDER = "0x9c8b7a6d5e4f30211203f4e5d6c7b8a9c0d1e2f3"
MKT = "m1"
COND = "0x" + "ab" * 32
YES, NO = "1111", "2222"
ORDER_A, ORDER_B = "0x" + "a1" * 32, "0x" + "b2" * 32


def session() -> InventoryManager:
    """A buy of 10 YES at 0.40 filled 4 (CONFIRMED) and 2 (MATCHED, unmined); a sell of 2
    YES resting."""
    ledger = InventoryManager(1000)
    ledger.on_order_submitted_buy("A", MKT, YES, "YES", 10, 40)
    ledger.on_exchange_order_id("A", ORDER_A)
    ledger.on_fill_buy(
        "A", YES, MKT, "YES", 4, "0.40", 10, fill_id="f1", fee_usd="0.01", status="CONFIRMED"
    )
    ledger.on_fill_buy("A", YES, MKT, "YES", 2, "0.40", 10, fill_id="f2", status="MATCHED")
    ledger.on_order_submitted_sell("B", YES, 2, limit_px=60)
    ledger.on_exchange_order_id("B", ORDER_B)
    return ledger


def account_of(files: dict[str, str]):  # type: ignore[no-untyped-def]
    return account_from_pages(
        collateral=files["collateral.json"],
        conditional=files["conditional.json"],
        orders=[files["orders.json"]],
        trades=[files["trades.json"]],
    )


def test_decimal_text_is_the_venues_spelling() -> None:
    assert [decimal_text(m) for m in (7_575_758, 20_000_000, 660_000, 0)] == [
        "7.575758", "20", "0.66", "0",
    ]  # fmt: skip


def test_account_written_from_the_ledger_reconciles_empty() -> None:
    ledger = session()
    files = paper_account(ledger, api_key=KEY, funder=FUNDER, conditions={MKT: COND})
    # On chain: 4 shares (the MATCHED 2 are not mined); cash 1000 - 1.60 - 0.01.
    assert json.loads(files["conditional.json"]) == {YES: {"balance": "4000000"}}
    assert json.loads(files["collateral.json"]) == {"balance": str(1000_000_000 - 1_610_000)}
    orders = json.loads(files["orders.json"])["data"]
    assert [(o["id"], o["side"], o["original_size"], o["size_matched"], o["price"], o["market"])
            for o in orders] == [
        (ORDER_A, "BUY", "10", "6", "0.4", COND),
        (ORDER_B, "SELL", "2", "0", "0.6", COND),
    ]  # fmt: skip
    assert reconcile(ledger, account_of(files)).empty


def test_changes_to_the_written_account_are_found_and_adopted() -> None:
    ledger = session()
    files = paper_account(ledger, api_key=KEY, funder=FUNDER, conditions={MKT: COND})
    orders = json.loads(files["orders.json"])
    orders["data"] = [o for o in orders["data"] if o["id"] != ORDER_B]  # the venue dropped B
    files["orders.json"] = json.dumps(orders)
    files["collateral.json"] = json.dumps({"balance": str(1000_000_000 - 1_610_000 + 250_000)})
    found = reconcile(ledger, account_of(files))
    assert [(o.kind, o.local_id) for o in found.orders] == [("missing", "B")]
    assert found.cash is not None and found.cash.venue_micro - found.cash.ledger_micro == 250_000
    catch_up(PolymarketAdapter(ledger, api_key=KEY, funder=FUNDER), account_of(files))
    assert [e.kind for e in adopt(ledger, found)] == ["order_dropped", "cash_reconciled"]
    assert reconcile(ledger, account_of(files)).empty


def test_unreadable_page_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidMessage) as caught:
        account_from_pages(collateral='{"balance": "-1"}')
    assert caught.value.field == "collateral.balance"


def test_order_awaiting_its_venue_id_is_not_missing_while_acknowledging() -> None:
    ledger = session()
    ledger.on_order_submitted_buy("C", MKT, NO, "NO", 5, 30)  # its venue id not told yet
    files = paper_account(ledger, api_key=KEY, funder=FUNDER, conditions={MKT: COND})
    venue = account_of(files)
    assert [(o.kind, o.local_id) for o in reconcile(ledger, venue).orders] == [("missing", "C")]
    assert reconcile_acknowledging(ledger, venue, ["C"]).empty
    # A named order the venue does not hold is missing, acknowledging or not.
    orders = json.loads(files["orders.json"])
    orders["data"] = [o for o in orders["data"] if o["id"] != ORDER_B]
    files["orders.json"] = json.dumps(orders)
    found = reconcile_acknowledging(ledger, account_of(files), ["C", "B"])
    assert [(o.kind, o.local_id) for o in found.orders] == [("missing", "B")]
