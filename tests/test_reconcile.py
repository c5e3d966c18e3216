"""Reconciliation: the ledger against the venue's account, read from venue-shaped REST pages.

The fixtures in `fixtures/venue/account/` are one account after two trades: a maker trade that
filled our orders A (12 of 20) and B (8) at 0.52, and a taker buy of 7.575758 YES at 0.66 (fee
0.085). Orders A (8 left) and N (4 NO at 0.40) rest at the venue. The session below submitted
the four orders; the trades reach it only through the trade history (the stream missed them).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.support import run_cli
from weatherman_inventory import InventoryManager, PersistenceLayer
from weatherman_inventory.errors import InvalidInput
from weatherman_inventory.events import (
    CashReconciled,
    OrderAdopted,
    OrderDropped,
    PositionReconciled,
)
from weatherman_inventory.manager import AnomalyKind
from weatherman_inventory.models import Outcome
from weatherman_inventory.venue import InvalidMessage, PolymarketAdapter
from weatherman_inventory.venue.account import AccountPages, DataPosition, VenueAccount
from weatherman_inventory.venue.reconcile import (
    CashDifference,
    OrderDifference,
    TokenDifference,
    adopt,
    catch_up,
    reconcile,
)
from weatherman_inventory.verify import verify_session

ACCOUNT = Path(__file__).parent / "fixtures" / "venue" / "account"
KEY = "5f1c9e2a-7b31-4d0e-9a6c-0f7e3b2d8c41"
FUNDER = "0x9C8b7A6d5E4f30211203F4e5D6c7B8a9C0d1E2f3"
MKT = "0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1"
YES = "48331043336612883890938759509493159234755048973500640148014422747788308965732"
NO = "52114319501245915516055106046884209969926127482827954674443846427813813222426"
ORDER_A = "0xa11ce0000000000000000000000000000000000000000000000000000000c0de"
ORDER_B = "0xb0b0000000000000000000000000000000000000000000000000000000000b0b"
ORDER_NO = "0xc0ffee00000000000000000000000000000000000000000000000000000000c1"
TAKER = "0xd00d000000000000000000000000000000000000000000000000000000000001"
STRAY = "0x5742a70000000000000000000000000000000000000000000000000000000099"
TAKER_FILL = f"5c4d3e2f-1a0b-4c9d-8e7f-6a5b4c3d2e1f/{TAKER}"
MICRO = 1_000_000
CASH = 984_515_000  # 1000 - 20 * 0.52 - 5.000000 - 0.085
HELD = 27_575_758  # 12 + 8 + 7.575758 YES
COST = 15_400_000  # 10.40 + 5.000000 (7.575758 * 0.66 = 5.00000028, truncated)


def load(name: str) -> Any:
    return json.loads((ACCOUNT / name).read_text())


def pages(**replace: Any) -> dict[str, Any]:
    """The fixture's files as JSON, with some replaced."""
    names = ("collateral", "conditional", "orders", "trades", "positions")
    out = {name: load(f"{name}.json") for name in names}
    out.update(replace)
    return out


def account(files: dict[str, Any] | None = None) -> VenueAccount:
    files = pages() if files is None else files
    reader = AccountPages()
    reader.add_collateral(json.dumps(files["collateral"]))
    reader.add_token_balances(files["conditional"])
    reader.add_orders(json.dumps(files["orders"]))
    reader.add_trades(json.dumps(files["trades"]))
    reader.add_positions(files["positions"])
    return reader.account()


def submit(ledger: InventoryManager) -> None:
    for local_id, venue_id, token, outcome, qty, limit in (
        ("A", ORDER_A, YES, "YES", 20, 52),
        ("B", ORDER_B, YES, "YES", 8, 52),
        ("N", ORDER_NO, NO, "NO", 4, 40),
        ("T", TAKER, YES, "YES", "7.575758", 66),
    ):
        ledger.on_order_submitted_buy(local_id, MKT, token, outcome, qty, limit)
        ledger.on_exchange_order_id(local_id, venue_id)


def caught_up(files: dict[str, Any] | None = None) -> tuple[InventoryManager, VenueAccount]:
    ledger = InventoryManager(1000)
    submit(ledger)
    venue = account(files)
    catch_up(PolymarketAdapter(ledger, api_key=KEY, funder=FUNDER), venue)
    return ledger, venue


def reconciliations(ledger: InventoryManager) -> list[str]:
    return [a.message for a in ledger.anomalies() if a.kind is AnomalyKind.RECONCILIATION]


def qty(ledger: InventoryManager, token: str) -> int:
    record = ledger.position_record(token)
    return 0 if record is None else record.qty_micro


# -- agreement and the trades the stream missed ---------------------------------------------


def test_equal_account_gives_an_empty_difference() -> None:
    ledger, venue = caught_up()
    difference = reconcile(ledger, venue)
    assert difference.empty
    assert (ledger.cash_micro, qty(ledger, YES), ledger.in_flight_micro) == (
        CASH,
        HELD,
        8 * 520_000 + 4 * 400_000,
    )
    assert adopt(ledger, difference) == []
    assert ledger.anomalies() == ()


def test_missed_fill_from_trade_history_is_booked_as_a_fill_with_its_price_and_fee() -> None:
    ledger = InventoryManager(1000)
    submit(ledger)
    adapter = PolymarketAdapter(ledger, api_key=KEY, funder=FUNDER)
    applied = catch_up(adapter, account())
    assert [[a.key for a in page.of("fill")] for page in applied] == [
        [f"8a1f3c52-6d7e-4b19-9c20-4e5d6f7a8b90/{ORDER_A}",
         f"8a1f3c52-6d7e-4b19-9c20-4e5d6f7a8b90/{ORDER_B}"],
        [TAKER_FILL],
    ]  # fmt: skip
    record = ledger.position_record(YES)
    assert record is not None
    # Booked as fills: the cost basis holds the prices, the taker's fee is realised.
    assert (record.qty_micro, record.cost_micro, record.realized_micro) == (HELD, COST, -85_000)
    assert ledger.fill_status(TAKER_FILL) == "CONFIRMED"
    assert ledger.order_record("T").status.value == "FILLED"  # type: ignore[union-attr]
    assert ledger.adjustments_micro == 0
    # The history again: the adapter is idempotent, nothing is booked twice.
    again = catch_up(adapter, account())
    assert [page.of("fill") for page in again] == [[], []]
    assert (ledger.cash_micro, qty(ledger, YES)) == (CASH, HELD)


# -- each kind of difference, found and adopted ---------------------------------------------


def test_share_balance_above_the_ledger_is_adopted_at_a_zero_cost_basis() -> None:
    conditional = load("conditional.json")
    conditional[YES]["balance"] = "28575758"
    ledger, venue = caught_up(pages(conditional=conditional))
    difference = reconcile(ledger, venue)
    assert difference.tokens == (
        TokenDifference(
            token_id=YES, market_id=MKT, outcome=Outcome.YES, ledger_micro=HELD,
            venue_micro=HELD + MICRO, pending=False,
        ),
    )  # fmt: skip
    assert (difference.orders, difference.cash) == ((), None)
    events = adopt(ledger, difference)
    assert events == [PositionReconciled(YES, MKT, Outcome.YES, HELD, HELD + MICRO)]
    record = ledger.position_record(YES)
    assert record is not None
    assert (record.qty_micro, record.cost_micro, record.realized_micro) == (
        HELD + MICRO,
        COST,
        -85_000,
    )
    assert reconciliations(ledger) == [
        f"token {YES!r}: the venue holds 28.575758 shares, the ledger 27.575758 on chain: "
        "1 added at a zero cost basis"
    ]
    assert reconcile(ledger, venue).empty


def test_share_balance_below_the_ledger_removes_shares_at_their_average_cost() -> None:
    conditional = load("conditional.json")
    conditional[YES]["balance"] = "26575758"
    ledger, venue = caught_up(pages(conditional=conditional))
    adopt(ledger, reconcile(ledger, venue))
    record = ledger.position_record(YES)
    assert record is not None
    removed = 558_462  # 15.40 * 1 / 27.575758, half-even
    assert (record.qty_micro, record.cost_micro, record.realized_micro) == (
        HELD - MICRO,
        COST - removed,
        -85_000 - removed,
    )
    # The invariant: cash + cost == capital + adjustments + realised.
    assert ledger.cash_micro + record.cost_micro == 1000 * MICRO + record.realized_micro
    assert reconcile(ledger, venue).empty


def test_unknown_open_order_is_found_and_adopted_under_its_venue_id() -> None:
    orders = load("orders.json")
    stray = copy.deepcopy(orders["data"][1])
    stray.update(id=STRAY, price="0.35", original_size="10", size_matched="2.5")
    orders["data"].append(stray)
    ledger, venue = caught_up(pages(orders=orders))
    in_flight = ledger.in_flight_micro
    difference = reconcile(ledger, venue)
    assert difference.orders == (
        OrderDifference(
            kind="unknown", local_id=None, venue_order_id=STRAY, side="buy", market_id=MKT,
            token_id=NO, outcome=Outcome.NO, ledger_left_micro=None, venue_left_micro=7_500_000,
            venue_matched_micro=2_500_000, limit_micro=350_000,
            detail="LIVE at the venue, unknown to the ledger",
        ),
    )  # fmt: skip
    assert adopt(ledger, difference) == [
        OrderAdopted(STRAY, STRAY, "buy", MKT, NO, Outcome.NO, 10 * MICRO, 350_000, 2_500_000)
    ]
    record = ledger.order_record(STRAY)
    assert record is not None
    assert (record.qty_micro, record.filled_qty_micro, record.status.value) == (
        10 * MICRO,
        2_500_000,
        "PARTIALLY_FILLED",
    )
    assert ledger.in_flight_micro == in_flight + 2_625_000  # 7.5 * 0.35
    assert ledger.exchange_order_id(STRAY) == STRAY
    assert reconcile(ledger, venue).empty
    # The adopted order is the adapter's too: the venue's cancel releases it.
    cancel = {
        **stray, "event_type": "order", "type": "CANCELLATION", "status": "CANCELED",
        "timestamp": "1777390000000",
    }  # fmt: skip
    adapter = PolymarketAdapter(ledger, api_key=KEY, funder=FUNDER)
    assert [a.kind for a in adapter.on_user_messages(json.dumps(cancel)).actions] == ["cancel"]
    assert ledger.in_flight_micro == in_flight


def test_order_missing_at_the_venue_is_found_and_closed() -> None:
    orders = load("orders.json")
    del orders["data"][1]  # N: cancelled at the venue while the stream was down
    ledger, venue = caught_up(pages(orders=orders))
    difference = reconcile(ledger, venue)
    assert [(o.kind, o.local_id, o.ledger_left_micro) for o in difference.orders] == [
        ("missing", "N", 4 * MICRO)
    ]
    assert adopt(ledger, difference) == [OrderDropped("N", ORDER_NO, 4 * MICRO)]
    record = ledger.order_record("N")
    assert record is not None
    assert (record.status.value, record.reserved_micro) == ("CANCELLED", 0)
    assert ledger.in_flight_micro == 8 * 520_000
    assert reconciliations(ledger) == [
        f"order 'N' (venue {ORDER_NO!r}) is open in the ledger with 4 left, not open at the "
        "venue: closed, $1.600000 released"
    ]
    assert reconcile(ledger, venue).empty


def test_cash_difference_is_found_and_adopted_as_an_adjustment() -> None:
    ledger, venue = caught_up(pages(collateral={"balance": "984015000"}))
    difference = reconcile(ledger, venue)
    assert difference.cash == CashDifference(
        ledger_micro=CASH, venue_micro=984_015_000, pending=False
    )
    assert adopt(ledger, difference) == [CashReconciled(CASH, 984_015_000)]
    assert (ledger.cash_micro, ledger.adjustments_micro) == (984_015_000, -500_000)
    snapshot = ledger.snapshot()
    assert (snapshot.total_usd, snapshot.adjustments_usd) == (984.015, -0.5)
    assert reconcile(ledger, venue).empty


def test_order_open_on_both_sides_with_other_terms_is_a_mismatch_left_to_the_operator() -> None:
    orders = load("orders.json")
    orders["data"][0]["size_matched"] = "14"  # the venue says 6 left, the ledger 8
    ledger, venue = caught_up(pages(orders=orders))
    difference = reconcile(ledger, venue)
    assert [(o.kind, o.local_id, o.detail) for o in difference.orders] == [
        ("mismatch", "A", "6 left, the ledger's 8")
    ]
    assert adopt(ledger, difference) == []
    assert reconcile(ledger, venue) == difference


# -- what provisional fills explain is pending -------------------------------------------------


def matched_trades() -> list[Any]:
    trades: list[Any] = load("trades.json")
    trades[1]["data"][0]["status"] = "MATCHED"
    return trades


def test_provisional_fill_the_venue_has_not_mined_is_no_difference() -> None:
    ledger, venue = caught_up(
        pages(
            trades=matched_trades(),
            collateral={"balance": "989600000"},
            conditional={YES: {"balance": "20000000"}, NO: {"balance": "0"}},
        )
    )
    assert ledger.fill_status(TAKER_FILL) == "MATCHED"
    assert reconcile(ledger, venue).empty


def test_provisional_fill_the_venue_has_mined_is_pending_and_not_adopted() -> None:
    ledger, venue = caught_up(pages(trades=matched_trades()))  # the venue shows it mined
    difference = reconcile(ledger, venue)
    assert difference.tokens == (
        TokenDifference(
            token_id=YES, market_id=MKT, outcome=Outcome.YES, ledger_micro=20 * MICRO,
            venue_micro=HELD, pending=True, explained_by=(TAKER_FILL,),
        ),
    )  # fmt: skip
    assert difference.cash == CashDifference(
        ledger_micro=989_600_000, venue_micro=CASH, pending=True, explained_by=(TAKER_FILL,)
    )
    assert adopt(ledger, difference) == []
    assert (ledger.cash_micro, qty(ledger, YES), ledger.adjustments_micro) == (CASH, HELD, 0)
    ledger.on_fill_status(TAKER_FILL, "CONFIRMED")
    assert reconcile(ledger, venue).empty


def test_difference_beyond_what_provisional_fills_explain_is_adopted() -> None:
    conditional = {YES: {"balance": "30000000"}, NO: {"balance": "0"}}
    ledger, venue = caught_up(pages(trades=matched_trades(), conditional=conditional))
    (token,) = reconcile(ledger, venue).tokens
    assert (token.ledger_micro, token.venue_micro, token.pending) == (20 * MICRO, 30 * MICRO, False)
    adopt(ledger, reconcile(ledger, venue))
    # The adjustment is a position fact: confirming the provisional fill keeps it.
    ledger.on_fill_status(TAKER_FILL, "CONFIRMED")
    assert qty(ledger, YES) == 30 * MICRO + HELD - 20 * MICRO
    assert reconcile(ledger, venue).cash is None


def test_position_adjustment_survives_the_restatement_of_a_failed_fill() -> None:
    conditional = {YES: {"balance": "30000000"}, NO: {"balance": "0"}}
    ledger, venue = caught_up(pages(trades=matched_trades(), conditional=conditional))
    adopt(ledger, reconcile(ledger, venue))
    assert qty(ledger, YES) == HELD + 10 * MICRO
    # The provisional fill fails: the token is the fold of its other facts, the adjustment kept.
    ledger.on_fill_status(TAKER_FILL, "FAILED")
    record = ledger.position_record(YES)
    assert record is not None
    assert (record.qty_micro, record.cost_micro, record.realized_micro) == (
        30 * MICRO,
        20 * 520_000,
        0,
    )
    assert reconcile(ledger, venue).tokens == ()


def test_token_the_ledger_never_saw_is_adopted_with_the_market_the_venue_names() -> None:
    other = "7" * 77
    conditional = {**load("conditional.json"), other: {"balance": "1219511"}}
    rows = load("positions.json")
    rows.append(
        {**rows[0], "asset": other, "conditionId": "0xfeed", "outcome": "No", "outcomeIndex": 1,
         "size": 1.219511}
    )  # fmt: skip
    ledger, venue = caught_up(pages(conditional=conditional, positions=rows))
    assert adopt(ledger, reconcile(ledger, venue)) == [
        PositionReconciled(other, "0xfeed", Outcome.NO, 0, 1_219_511)
    ]
    record = ledger.position_record(other)
    assert record is not None
    assert (record.market_id, record.outcome, record.qty_micro, record.cost_micro) == (
        "0xfeed",
        Outcome.NO,
        1_219_511,
        0,
    )
    assert reconcile(ledger, venue).empty


# -- token balances: balance-allowance is the truth, data-API rows are advisory ----------------


def test_zero_or_missing_data_api_row_is_not_proof_of_flat() -> None:
    ledger, venue = caught_up(pages(conditional={NO: {"balance": "0"}}, positions=[]))
    difference = reconcile(ledger, venue)
    assert (difference.tokens, difference.unverified) == ((), (YES,))
    assert not difference.empty
    assert adopt(ledger, difference) == []
    assert qty(ledger, YES) == HELD


def test_data_api_rows_disagreeing_with_balance_allowance_change_nothing() -> None:
    rows = load("positions.json")
    rows[0]["size"] = 0.0
    rows.append({**rows[0], "asset": NO, "outcome": "No", "outcomeIndex": 1, "size": 3.0})
    ledger, venue = caught_up(pages(positions=rows))
    assert reconcile(ledger, venue).empty


def test_data_api_rows_read_both_schemas_and_floats_exactly() -> None:
    camel = load("positions.json")[0]
    snake = {
        "proxy_wallet": camel["proxyWallet"], "asset": NO, "condition_id": MKT,
        "size": 13.0, "current_size": 12.345678, "outcome": "", "outcome_index": 999,
        "status": "REDEEMABLE",
    }  # fmt: skip
    reader = AccountPages()
    reader.add_positions(json.dumps([camel, snake]))
    first, second = reader.account().positions
    assert (first.asset, first.size, first.outcome_value) == (YES, HELD, Outcome.YES)
    assert (second.conditionId, second.size, second.outcomeIndex) == (MKT, 12_345_678, None)
    assert second.outcome_value is None
    assert DataPosition.model_validate({"asset": YES, "size": 0.1 + 0.2}).size == 300_000


# -- malformed pages --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("add", "field", "value"),
    [
        (lambda r: r.add_collateral({"balance": "1e9"}), "collateral.balance", "1e9"),
        (lambda r: r.add_collateral({"balance": -5}), "collateral.balance", -5),
        (lambda r: r.add_token_balances({YES: {"allowance": "0"}}), f"conditional[{YES!r}].balance",
         None),
        (lambda r: r.add_orders([load("orders.json"), {"data": [{**load("orders.json")["data"][0],
         "price": "0.5201234"}], "next_cursor": "LTE="}]), "orders[2].data[0].price", "0.5201234"),
        (lambda r: r.add_orders({"data": [{**load("orders.json")["data"][0], "side": "HOLD"}]}),
         "orders[1].data[0].side", "HOLD"),
        (lambda r: r.add_trades({"data": [{**load("trades.json")[1]["data"][0],
         "status": "SETTLED"}]}), "trades[0].data[0].status", "SETTLED"),
        (lambda r: r.add_positions([{"asset": YES, "size": "lots"}]), "positions[0][0].size",
         "lots"),
        (lambda r: r.add_positions({"asset": YES}), "positions[0]", {"asset": YES}),
        (lambda r: r.add_orders("{not json"), "pages", "{not json"),
    ],
)  # fmt: skip
def test_malformed_page_is_refused_naming_the_field_and_changes_nothing(
    add: Any, field: str, value: object
) -> None:
    reader = AccountPages()
    reader.add_collateral({"balance": "5000000"})
    reader.add_orders(load("orders.json"))
    before = reader.account()
    with pytest.raises(InvalidMessage) as refused:
        add(reader)
    assert (refused.value.field, refused.value.value) == (field, value)
    assert reader.account() == before


def test_malformed_difference_is_refused_before_any_correction_is_applied() -> None:
    orders = load("orders.json")
    del orders["data"][1]
    ledger, venue = caught_up(pages(orders=orders))
    found = reconcile(ledger, venue)
    bad = TokenDifference(
        token_id=YES, market_id=MKT, outcome=Outcome.YES, ledger_micro=HELD, venue_micro=-1,
        pending=False,
    )  # fmt: skip
    state = ledger.ledger_state()
    with pytest.raises(InvalidInput) as refused:
        adopt(ledger, found.model_copy(update={"tokens": (bad,)}))
    assert (refused.value.field, refused.value.value) == ("venue_qty_micro", -1)
    assert ledger.ledger_state() == state  # order N's drop, valid, was not applied either


def test_orders_listing_without_its_last_page_is_refused() -> None:
    orders = load("orders.json")
    orders["next_cursor"] = "MTAw"
    reader = AccountPages()
    reader.add_orders(orders)
    with pytest.raises(InvalidMessage) as refused:
        reader.account()
    assert (refused.value.field, refused.value.value) == ("orders[0].next_cursor", "MTAw")


# -- durability: adopt, crash, recover, reconcile again ---------------------------------------

_CHILD = textwrap.dedent(
    """
    import json, os, sys
    from tests.test_reconcile import KEY, FUNDER, account, pages, submit
    from weatherman_inventory import InventoryManager, PersistenceLayer
    from weatherman_inventory.venue import PolymarketAdapter
    from weatherman_inventory.venue.reconcile import adopt, catch_up, reconcile

    files = json.loads(sys.argv[2])
    store = PersistenceLayer(sys.argv[1])
    ledger = InventoryManager.open(store, "s1", 1000)
    submit(ledger)
    venue = account(files)
    catch_up(PolymarketAdapter(ledger, api_key=KEY, funder=FUNDER), venue)
    events = adopt(ledger, reconcile(ledger, venue))
    print(len(events), flush=True)
    os._exit(0)  # no close, no commit beyond what each event committed: a crash
    """
)


def differing_files() -> dict[str, Any]:
    orders = load("orders.json")
    stray = {**orders["data"][1], "id": STRAY, "price": "0.35", "original_size": "10"}
    orders["data"] = [orders["data"][0], stray]  # N dropped, a stray order unknown
    conditional = load("conditional.json")
    conditional[YES]["balance"] = "28575758"
    return pages(orders=orders, conditional=conditional, collateral={"balance": "984015000"})


def test_adopting_survives_a_crash_and_recovery(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    files = differing_files()
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(db), json.dumps(files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert (child.returncode, child.stdout.strip()) == (0, "4"), child.stderr
    with PersistenceLayer(db) as store:
        ledger = InventoryManager.recover(store, "s1")
        assert reconcile(ledger, account(files)).empty
        assert len(reconciliations(ledger)) == 4
        assert (ledger.cash_micro, qty(ledger, YES)) == (984_015_000, HELD + MICRO)
        assert ledger.exchange_order_id(STRAY) == STRAY
    with PersistenceLayer(db, readonly=True) as store:
        assert verify_session(store, "s1").ok


def test_adopting_survives_a_manager_dropped_without_closing(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    files = differing_files()
    store = PersistenceLayer(db)
    ledger = InventoryManager.open(store, "s1", 1000)
    submit(ledger)
    venue = account(files)
    catch_up(PolymarketAdapter(ledger, api_key=KEY, funder=FUNDER), venue)
    adopt(ledger, reconcile(ledger, venue))
    state = ledger.ledger_state()
    store.unlock_session("s1")  # the process's lock goes with the dropped manager
    del ledger
    with PersistenceLayer(db) as other:
        recovered = InventoryManager.recover(other, "s1")
        assert recovered.ledger_state() == state
        assert reconcile(recovered, venue).empty
    store.close()


# -- the command line -------------------------------------------------------------------------


def session_db(tmp_path: Path) -> Path:
    db = tmp_path / "s.db"
    with PersistenceLayer(db) as store:
        submit(InventoryManager.open(store, "s1", 1000))
    return db


def account_dir(tmp_path: Path, files: dict[str, Any]) -> Path:
    folder = tmp_path / "account"
    folder.mkdir()
    for name, content in files.items():
        (folder / f"{name}.json").write_text(json.dumps(content))
    (folder / "identity.json").write_text(json.dumps(load("identity.json")))
    return folder


GOLDEN = f"""\
trade history: 3 missed fills found (booked in memory only)
  8a1f3c52-6d7e-4b19-9c20-4e5d6f7a8b90/{ORDER_A}
  8a1f3c52-6d7e-4b19-9c20-4e5d6f7a8b90/{ORDER_B}
  {TAKER_FILL}
what                         ledger              venue  status    key
cash                     984.515000         984.015000  adopt     USDC
token                     27.575758          28.575758  adopt     {YES}
order missing                     4                  -  close     N {ORDER_NO}
                 buy {NO}: not open at the venue
order unknown                     -                 10  open      {STRAY}
                 buy {NO}: LIVE at the venue, unknown to the ledger
4 differences, 0 pending
"""


def test_cli_prints_the_difference_as_a_table_and_exits_1(tmp_path: Path) -> None:
    db, folder = session_db(tmp_path), account_dir(tmp_path, differing_files())
    result = run_cli("reconcile", "--db", str(db), "--session", "s1", "--account", str(folder))
    assert (result.returncode, result.stdout, result.stderr) == (1, GOLDEN, "")
    with PersistenceLayer(db, readonly=True) as store:
        assert store.last_seq("s1") == 9  # nothing written: the opening and 8 submissions


def test_cli_adopts_then_agrees_and_exits_0(tmp_path: Path) -> None:
    db, folder = session_db(tmp_path), account_dir(tmp_path, differing_files())
    args = ("reconcile", "--db", str(db), "--session", "s1", "--account", str(folder))
    adopted = run_cli(*args, "--adopt")
    assert adopted.returncode == 0, adopted.stderr
    assert adopted.stdout.splitlines()[-2:] == [
        "adopted 4 corrections, each an anomaly: order_dropped, order_adopted, "
        "position_reconciled, cash_reconciled",
        "after adopting: the ledger agrees with the venue",
    ]
    again = run_cli(*args, "--json")
    assert again.returncode == 0, again.stderr
    out = json.loads(again.stdout)
    assert out["booked"] == []
    assert out["difference"] == {"tokens": [], "orders": [], "cash": None, "unverified": []}
    assert run_cli("verify", "--db", str(db), "--session", "s1").returncode == 0


def test_cli_equal_account_exits_0_and_files_can_be_named_one_by_one(tmp_path: Path) -> None:
    db = session_db(tmp_path)
    files = [str(p) for p in sorted(ACCOUNT.iterdir())]
    result = run_cli("reconcile", "--db", str(db), "--session", "s1", "--account", *files)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "the ledger agrees with the venue"


def test_cli_refuses_an_unreadable_identity_file_with_exit_2(tmp_path: Path) -> None:
    db = session_db(tmp_path)
    folder = account_dir(tmp_path, pages())
    (folder / "identity.json").write_text("api_key=abc")
    result = run_cli("reconcile", "--db", str(db), "--session", "s1", "--account", str(folder))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(f"error: {folder / 'identity.json'}='api_key=abc': ")


def test_cli_refuses_a_malformed_file_naming_the_field(tmp_path: Path) -> None:
    db = session_db(tmp_path)
    folder = account_dir(tmp_path, pages(collateral={"balance": "12.5"}))
    result = run_cli("reconcile", "--db", str(db), "--session", "s1", "--account", str(folder))
    assert result.returncode == 2
    assert result.stderr.startswith("error: collateral.balance='12.5': ")
