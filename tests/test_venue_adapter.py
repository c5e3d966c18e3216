"""The Polymarket adapter: messages shaped field for field like the venue's recorded ones in, the
ledger's numbers out.

The ledger is the real InventoryManager bound to a real SQLite store: its `fill_status` answers
from its settlement state and the store's fills table, so what the adapter applied survives a
restart, and every settlement status goes through `on_fill_status`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from weatherman_inventory import InventoryManager, PersistenceLayer
from weatherman_inventory.errors import InvalidInput
from weatherman_inventory.models import Outcome
from weatherman_inventory.venue import (
    InvalidMessage,
    Ledger,
    PolymarketAdapter,
    parse_user_messages,
)

FIXTURES = Path(__file__).parent / "fixtures" / "venue"
KEY = "5f1c9e2a-7b31-4d0e-9a6c-0f7e3b2d8c41"
FUNDER = "0x9c8b7a6d5e4f30211203f4e5d6c7b8a9c0d1e2f3"
MKT = "0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1"
YES = "48331043336612883890938759509493159234755048973500640148014422747788308965732"
NO = "52114319501245915516055106046884209969926127482827954674443846427813813222426"
ORDER_A = "0xa11ce0000000000000000000000000000000000000000000000000000000c0de"
ORDER_B = "0xb0b0000000000000000000000000000000000000000000000000000000000b0b"
ORDER_NO = "0xc0ffee00000000000000000000000000000000000000000000000000000000c1"
TAKER = "0xd00d000000000000000000000000000000000000000000000000000000000001"
FOK = "0xd00d000000000000000000000000000000000000000000000000000000000002"
MAKER_TRADE = "8a1f3c52-6d7e-4b19-9c20-4e5d6f7a8b90"
MICRO = 1_000_000


def text(name: str) -> str:
    return (FIXTURES / name).read_text()


def load(name: str) -> Any:
    return json.loads(text(name))


def store_ledger(store: PersistenceLayer, *, recover: bool = False) -> InventoryManager:
    if recover:
        return InventoryManager.recover(store, "s1")
    return InventoryManager.open(store, "s1", 1000)


def adapter(ledger: Ledger) -> PolymarketAdapter:
    return PolymarketAdapter(ledger, api_key=KEY, funder=FUNDER.upper().replace("0X", "0x"))


def submit_real(ledger: InventoryManager) -> None:
    ledger.on_order_submitted_buy("A", MKT, YES, "YES", 20, 52)
    ledger.on_exchange_order_id("A", ORDER_A)
    ledger.on_order_submitted_buy("B", MKT, YES, "YES", 8, 52)
    ledger.on_exchange_order_id("B", ORDER_B)
    ledger.on_order_submitted_buy("N", MKT, NO, "NO", 4, 40)
    ledger.on_exchange_order_id("N", ORDER_NO)
    ledger.on_order_submitted_buy("F", MKT, YES, "YES", 15, 45, tif="FOK")
    ledger.on_exchange_order_id("F", FOK)


def token_qty(ledger: InventoryManager, token: str) -> int:
    """The token's quantity in micro-shares, 0 when the ledger has never seen it."""
    record = ledger.position_record(token)
    return 0 if record is None else record.qty_micro


# -- the real ledger -----------------------------------------------------------------------------


def test_maker_view_books_each_of_our_legs_from_the_leg_not_the_taker(tmp_path: Path) -> None:
    with PersistenceLayer(tmp_path / "v.db") as store:
        ledger = store_ledger(store)
        submit_real(ledger)
        applied = adapter(ledger).on_user_messages(text("maker_several_legs.json"))
        # Our two legs (by API key, and by funder address in another case), the taker sold YES:
        # our resting orders bought 12 and 8 YES at 0.52; the other account's leg is not ours.
        assert [a.key for a in applied.of("fill")] == [
            f"{MAKER_TRADE}/{ORDER_A}",
            f"{MAKER_TRADE}/{ORDER_B}",
        ]
        assert ledger.cash_micro == 1000 * MICRO - 20 * 520_000
        assert token_qty(ledger, YES) == 20 * MICRO
        a, b = ledger.order_record("A"), ledger.order_record("B")
        assert a is not None and b is not None
        assert (a.filled_qty_micro, a.reserved_micro, b.status.value) == (
            12 * MICRO,
            8 * 520_000,
            "FILLED",
        )
        assert ledger.in_flight_micro == 8 * 520_000 + 4 * 400_000 + 15 * 450_000
        assert ledger.anomalies() == ()


def test_cross_asset_maker_leg_is_a_buy_of_the_complementary_token(tmp_path: Path) -> None:
    with PersistenceLayer(tmp_path / "v.db") as store:
        ledger = store_ledger(store)
        submit_real(ledger)
        adapter(ledger).on_user_messages(text("cross_asset_mint.json"))
        # Taker BUY 10 YES @0.60; our leg rests on NO: BUY 4 NO @0.40, no fee (maker).
        assert ledger.cash_micro == 1000 * MICRO - 1_600_000
        assert token_qty(ledger, NO) == 4 * MICRO
        assert token_qty(ledger, YES) == 0
        record = ledger.position_record(NO)
        assert record is not None and record.outcome is Outcome.NO
        n = ledger.order_record("N")
        assert n is not None and n.status.value == "FILLED"
        assert ledger.anomalies() == ()


def test_cancel_and_update_before_their_trade_release_nothing_twice(tmp_path: Path) -> None:
    batch = text("batch_update_cancel_before_trade.json")
    with PersistenceLayer(tmp_path / "v.db") as store:
        ledger = store_ledger(store)
        submit_real(ledger)
        applied = adapter(ledger).on_user_messages(batch)
        # The CANCELLATION (size_matched 12) waits for its trade; once the 12 are booked, the
        # cancel releases the remaining 8 * 0.52 and order A reserves exactly 0.
        assert [a.kind for a in applied.actions] == ["wait", "fill", "cancel", "fill"]
        a = ledger.order_record("A")
        assert a is not None
        assert (a.status.value, a.filled_qty_micro, a.reserved_micro) == (
            "CANCELLED",
            12 * MICRO,
            0,
        )
        assert ledger.in_flight_micro == 4 * 400_000 + 15 * 450_000
        assert ledger.cash_micro == 1000 * MICRO - 20 * 520_000
        assert ledger.anomalies() == ()


def test_resent_messages_with_new_timestamps_change_nothing_even_after_restart(
    tmp_path: Path,
) -> None:
    batch = load("batch_update_cancel_before_trade.json")
    with PersistenceLayer(tmp_path / "v.db") as store:
        ledger = store_ledger(store)
        submit_real(ledger)
        adapter(ledger).on_user_messages(json.dumps(batch))
        before, seq = ledger.snapshot_json(), store.last_seq("s1")
        for message in batch:
            message["timestamp"] = str(int(message["timestamp"]) + 60_000)
            if "last_update" in message:
                message["last_update"] = str(int(message["last_update"]) + 60)
        again = adapter(ledger).on_user_messages(json.dumps(batch))
        assert {a.kind for a in again.actions} == {"skip"}
        assert (ledger.snapshot_json(), store.last_seq("s1")) == (before, seq)
        assert ledger.anomalies() == ()
    with PersistenceLayer(tmp_path / "v.db") as store:
        recovered = store_ledger(store, recover=True)
        after_restart = adapter(recovered).on_user_messages(json.dumps(batch))
        assert {a.kind for a in after_restart.actions} == {"skip"}
        assert store.last_seq("s1") == seq
        assert recovered.cash_micro == 1000 * MICRO - 20 * 520_000
        assert token_qty(recovered, YES) == 20 * MICRO
        # The venue cancels A at resolution: the ledger closed it already, so this is no anomaly.
        resolved = adapter(recovered).on_user_messages(text("resolved_cancel.json"))
        assert [a.kind for a in resolved.actions] == ["skip"]
        assert store.last_seq("s1") == seq
        assert recovered.anomalies() == ()


def test_fok_kill_with_empty_strings_releases_the_whole_order(tmp_path: Path) -> None:
    with PersistenceLayer(tmp_path / "v.db") as store:
        ledger = store_ledger(store)
        submit_real(ledger)
        applied = adapter(ledger).on_user_messages(text("fok_killed.json"))
        [cancel] = applied.of("cancel")
        assert cancel.key == "F"
        assert "FOK orders are fully filled or killed" in cancel.detail
        f = ledger.order_record("F")
        assert f is not None and (f.status.value, f.reserved_micro) == ("CANCELLED", 0)
        assert ledger.in_flight_micro == 20 * 520_000 + 8 * 520_000 + 4 * 400_000
        assert ledger.cash_micro == 1000 * MICRO
        assert ledger.anomalies() == ()


def test_invalid_with_type_cancellation_is_a_venue_cancel(tmp_path: Path) -> None:
    with PersistenceLayer(tmp_path / "v.db") as store:
        ledger = store_ledger(store)
        submit_real(ledger)
        applied = adapter(ledger).on_user_messages(text("invalid_cancellation.json"))
        assert [(a.kind, a.key) for a in applied.actions] == [("cancel", "A")]
        assert ledger.in_flight_micro == 8 * 520_000 + 4 * 400_000 + 15 * 450_000
        assert ledger.anomalies() == ()


def test_trade_history_page_books_what_the_stream_missed_once(tmp_path: Path) -> None:
    with PersistenceLayer(tmp_path / "v.db") as store:
        ledger = store_ledger(store)
        submit_real(ledger)
        venue = adapter(ledger)
        page = venue.on_trade_page(text("trades_page.json"))
        assert page.next_cursor == "LTE="
        assert len(page.of("fill")) == 2
        stream = venue.on_user_messages(text("maker_several_legs.json"))
        assert {a.kind for a in stream.actions} == {"skip"}
        assert ledger.cash_micro == 1000 * MICRO - 20 * 520_000


def test_refused_batch_changes_nothing_on_the_real_ledger(tmp_path: Path) -> None:
    good = load("maker_several_legs.json")
    bad = load("cross_asset_mint.json")
    bad["maker_orders"][0]["matched_amount"] = "4.0000001"
    with PersistenceLayer(tmp_path / "v.db") as store:
        ledger = store_ledger(store)
        submit_real(ledger)
        before, seq = ledger.snapshot_json(), store.last_seq("s1")
        with pytest.raises(InvalidMessage) as refused:
            adapter(ledger).on_user_messages(json.dumps([good, bad]))
        assert refused.value.field == "[1].maker_orders[0].matched_amount"
        assert refused.value.value == "4.0000001"
        assert (ledger.snapshot_json(), store.last_seq("s1")) == (before, seq)


def test_the_ledger_indexes_venue_order_ids_and_recovery_rebuilds_the_index(
    tmp_path: Path,
) -> None:
    with PersistenceLayer(tmp_path / "v.db") as store:
        ledger = store_ledger(store)
        submit_real(ledger)
        assert (ledger.local_id_of(ORDER_A), ledger.local_id_of(FOK)) == ("A", "F")
        assert ledger.local_id_of(TAKER) is None
    with PersistenceLayer(tmp_path / "v.db") as store:
        recovered = store_ledger(store, recover=True)
        assert recovered.local_id_of(ORDER_NO) == "N"
        # The adapter finds the order through that index: the cross-asset leg books N.
        adapter(recovered).on_user_messages(text("cross_asset_mint.json"))
        n = recovered.order_record("N")
        assert n is not None and n.status.value == "FILLED"


def taker_cancel(size_matched: str, trades: list[str] | None) -> str:
    """The CANCELLATION of the taker order (20 YES at 0.66) with `size_matched` and the trade ids
    it names."""
    cancel = load("batch_update_cancel_before_trade.json")[2]
    cancel.update(
        id=TAKER, price="0.66", original_size="20", size_matched=size_matched,
        associate_trades=trades,
    )  # fmt: skip
    return json.dumps(cancel)


@pytest.mark.parametrize("trades", [["5c4d3e2f-1a0b-4c9d-8e7f-6a5b4c3d2e1f"], None])
def test_cancel_after_its_trade_failed_is_not_held_waiting_for_that_trade(
    tmp_path: Path, trades: list[str] | None
) -> None:
    # The venue's size_matched still counts the FAILED trade; the ledger's filled quantity no
    # longer does. A cancel naming that trade closes the order at once; without trade ids the
    # adapter cannot tell, and waits.
    with PersistenceLayer(tmp_path / "v.db") as store:
        ledger = InventoryManager.open(store, "s1", 1000)
        ledger.on_order_submitted_buy("T", MKT, YES, "YES", 20, 66)
        ledger.on_exchange_order_id("T", TAKER)
        venue = adapter(ledger)
        venue.on_user_messages(text("taker_matched.json"))
        venue.on_user_messages(text("taker_failed.json"))
        order = ledger.order_record("T")
        assert order is not None and order.filled_qty_micro == 0
        applied = venue.on_user_messages(taker_cancel("7.575758", trades))
        order = ledger.order_record("T")
        assert order is not None
        if trades is None:
            assert [a.kind for a in applied.actions] == ["wait"]
            assert ledger.in_flight_micro == 20 * 660_000 - 5_000_001
            return
        assert [a.kind for a in applied.actions] == ["cancel"]
        assert (order.status.value, order.reserved_micro) == ("CANCELLED", 0)
        assert (ledger.cash_micro, ledger.in_flight_micro) == (1000 * MICRO, 0)
        assert token_qty(ledger, YES) == 0


# -- statuses, fractional shares and fees --------------------------------------------------------

TAKER_FILL = f"5c4d3e2f-1a0b-4c9d-8e7f-6a5b4c3d2e1f/{TAKER}"
# The taker buys 7.575758 YES @0.66: the chain moves 5.000000, the weather fee floors to 0.08500.
TAKER_DEBIT = 5_000_000 + 85_000


def with_taker(store: PersistenceLayer) -> InventoryManager:
    ledger = store_ledger(store)
    submit_real(ledger)
    ledger.on_order_submitted_buy("T", MKT, YES, "YES", 10, 70)
    ledger.on_exchange_order_id("T", TAKER)
    return ledger


def test_matched_then_failed_taker_fill_is_undone_in_full(tmp_path: Path) -> None:
    with PersistenceLayer(tmp_path / "v.db") as store:
        ledger = with_taker(store)
        venue = adapter(ledger)
        applied = venue.on_user_messages(text("taker_matched.json"))
        assert [(a.kind, a.key) for a in applied.actions] == [("fill", TAKER_FILL)]
        assert ledger.fill_status(TAKER_FILL) == "MATCHED"
        assert ledger.cash_micro == 1000 * MICRO - TAKER_DEBIT
        assert token_qty(ledger, YES) == 7_575_758
        assert ledger.unsettled_qty_micro(YES) == 7_575_758  # held, not yet sellable
        record = ledger.position_record(YES)
        assert record is not None
        assert (record.cost_micro, record.realized_micro) == (5_000_000, -85_000)
        venue.on_user_messages(text("taker_failed.json"))
        assert ledger.fill_status(TAKER_FILL) == "FAILED"
        # Nothing happened on chain: shares, cash and fee are back, the order's fill undone.
        assert (ledger.cash_micro, token_qty(ledger, YES)) == (1000 * MICRO, 0)
        record, order = ledger.position_record(YES), ledger.order_record("T")
        assert record is not None and order is not None
        assert (record.cost_micro, record.realized_micro, order.filled_qty_micro) == (0, 0, 0)
        # The FAILED resent, and the MATCHED arriving late: neither moves the failed fill again.
        seq = store.last_seq("s1")
        venue.on_user_messages(text("taker_failed.json"))
        venue.on_user_messages(text("taker_matched.json"))
        assert store.last_seq("s1") == seq
        assert (ledger.cash_micro, token_qty(ledger, YES)) == (1000 * MICRO, 0)
        assert ledger.anomalies() == ()


@pytest.mark.parametrize(
    ("sequence", "actions", "final", "booked"),
    [
        (["MATCHED", "MINED", "CONFIRMED"], ["fill", "status", "status"], "CONFIRMED", True),
        (["MATCHED", "RETRYING", "MINED", "CONFIRMED"], ["fill", "status", "status", "status"],
         "CONFIRMED", True),
        (["MINED", "MATCHED", "MINED"], ["fill", "skip", "skip"], "MINED", True),
        (["TRADE_STATUS_MATCHED", "TRADE_STATUS_CONFIRMED"], ["fill", "status"], "CONFIRMED",
         True),
        (["CONFIRMED", "MATCHED", "FAILED"], ["fill", "skip", "status"], "FAILED", False),
        (["FAILED", "FAILED"], ["skip", "skip"], None, False),
        (["MATCHED_NOT_BROADCASTED", "MATCHED"], ["fill", "skip"], "MATCHED", True),
    ],
)  # fmt: skip
def test_status_sequences_under_one_trade_id(
    tmp_path: Path, sequence: list[str], actions: list[str], final: str | None, booked: bool
) -> None:
    with PersistenceLayer(tmp_path / "v.db") as store:
        ledger = with_taker(store)
        venue = adapter(ledger)
        message = load("taker_matched.json")
        kinds = []
        for i, status in enumerate(sequence):
            message["status"] = status
            message["last_update"] = str(1777382000 + i)
            kinds += [a.kind for a in venue.on_user_messages(json.dumps(message)).actions]
        assert kinds == actions
        assert ledger.fill_status(TAKER_FILL) == final
        held = 7_575_758 if booked else 0
        assert ledger.cash_micro == 1000 * MICRO - (TAKER_DEBIT if booked else 0)
        assert token_qty(ledger, YES) == held
        provisional = final in {"MATCHED", "MINED", "RETRYING"}
        assert ledger.unsettled_qty_micro(YES) == (held if provisional else 0)
        # FAILED after CONFIRMED: the venue's latest word, reversed and recorded as an anomaly.
        assert [a.kind.value for a in ledger.anomalies()] == (
            ["terminal_status_move"] if sequence[0] == "CONFIRMED" else []
        )


def test_failed_after_a_confirmed_trade_reverses_the_fill_instead_of_being_ignored(
    tmp_path: Path,
) -> None:
    """A CONFIRMED leg was booked without a status, so the ledger kept nothing to reverse and a
    later FAILED (the venue's latest word) left the shares and the debit in place."""
    with PersistenceLayer(tmp_path / "v.db") as store:
        ledger = with_taker(store)
        venue = adapter(ledger)
        confirmed = load("taker_matched.json")
        confirmed["status"] = "CONFIRMED"
        venue.on_user_messages(json.dumps(confirmed))
        assert ledger.cash_micro == 1000 * MICRO - TAKER_DEBIT
        venue.on_user_messages(text("taker_failed.json"))
        assert (ledger.cash_micro, token_qty(ledger, YES)) == (1000 * MICRO, 0)
        assert ledger.fill_status(TAKER_FILL) == "FAILED"
        seq = store.last_seq("s1")
        venue.on_user_messages(text("taker_failed.json"))  # resent: reversed once only
        assert (store.last_seq("s1"), ledger.cash_micro) == (seq, 1000 * MICRO)
    with PersistenceLayer(tmp_path / "v.db") as store:
        recovered = store_ledger(store, recover=True)
        assert (recovered.cash_micro, recovered.fill_status(TAKER_FILL)) == (1000 * MICRO, "FAILED")


def test_cross_asset_merge_leg_is_a_sell_of_the_complementary_token(tmp_path: Path) -> None:
    with PersistenceLayer(tmp_path / "v.db") as store:
        ledger = store_ledger(store)
        submit_real(ledger)
        venue = adapter(ledger)
        venue.on_user_messages(text("cross_asset_mint.json"))
        ledger.on_order_submitted_sell("S", NO, 4, limit_px=30)
        ledger.on_exchange_order_id("S", "0x5e11")
        merge = load("cross_asset_mint.json")
        merge.update(id="merge-1", side="SELL", price="0.70", status="MATCHED")
        merge["maker_orders"][0].update(order_id="0x5e11", price="0.30", side="SELL")
        applied = venue.on_user_messages(json.dumps(merge))
        assert [(a.kind, a.key) for a in applied.actions] == [("fill", "merge-1/0x5e11")]
        assert ledger.fill_status("merge-1/0x5e11") == "MATCHED"
        assert token_qty(ledger, NO) == 0
        assert ledger.cash_micro == 1000 * MICRO - 1_600_000 + 1_200_000
        assert ledger.unsettled_usd_micro == 1_200_000  # owned, not accessible until confirmed
        record = ledger.position_record(NO)
        assert record is not None and record.realized_micro == 1_200_000 - 1_600_000
        assert ledger.anomalies() == ()


def test_leg_side_contradicting_the_cross_asset_rule_is_refused(tmp_path: Path) -> None:
    message = load("cross_asset_mint.json")
    message["maker_orders"][0]["side"] = "SELL"  # a NO leg of a YES BUY is a BUY
    with PersistenceLayer(tmp_path / "v.db") as store:
        ledger = store_ledger(store)
        submit_real(ledger)
        before, seq = ledger.snapshot_json(), store.last_seq("s1")
        with pytest.raises(InvalidMessage) as refused:
            adapter(ledger).on_user_messages(json.dumps(message))
        assert refused.value.field == "maker_orders[0].side"
        assert (ledger.snapshot_json(), store.last_seq("s1")) == (before, seq)


def test_taker_view_ignores_other_accounts_legs_and_maker_view_without_ours_books_nothing(
    tmp_path: Path,
) -> None:
    with PersistenceLayer(tmp_path / "v.db") as store:
        ledger = with_taker(store)
        venue = adapter(ledger)
        applied = venue.on_user_messages(text("taker_matched.json"))
        assert [a.key for a in applied.of("fill")] == [TAKER_FILL]
        foreign = load("maker_several_legs.json")
        for leg in foreign["maker_orders"]:
            leg.update(
                owner="someone-else", maker_address="0x0000000000000000000000000000000000000001"
            )
        seq = store.last_seq("s1")
        assert [a.kind for a in venue.on_user_messages(json.dumps(foreign)).actions] == ["skip"]
        assert store.last_seq("s1") == seq
        assert token_qty(ledger, YES) == 7_575_758


def test_update_before_trade_then_partial_cancel_on_fractional_shares(tmp_path: Path) -> None:
    trade = load("maker_several_legs.json")
    trade["status"] = "MATCHED"
    trade["maker_orders"][0]["matched_amount"] = "1.219511"
    cancel = load("resolved_cancel.json")
    cancel.update(status="CANCELED", size_matched="1.219511")
    with PersistenceLayer(tmp_path / "v.db") as store:
        ledger = store_ledger(store)
        submit_real(ledger)
        applied = adapter(ledger).on_user_messages(json.dumps([cancel, trade]))
        assert [a.kind for a in applied.actions] == ["wait", "fill", "cancel", "fill"]
        order = ledger.order_record("A")
        assert order is not None
        assert (order.status.value, order.reserved_micro, order.filled_qty_micro) == (
            "CANCELLED",
            0,
            1_219_511,
        )
        # 1.219511 @0.52 moves 0.634145 (truncated); B's 8 @0.52 move 4.16.
        assert ledger.cash_micro == 1000 * MICRO - 634_145 - 4_160_000
        assert token_qty(ledger, YES) == 9_219_511
        assert ledger.in_flight_micro == 4 * 400_000 + 15 * 450_000
        assert ledger.anomalies() == ()


@pytest.mark.parametrize(
    ("edit", "field", "value"),
    [
        (lambda m: m.update(status="SETTLED"), "[0].status", "SETTLED"),
        (lambda m: m.update(price=""), "[0].price", ""),
        (lambda m: m.update(size="-3"), "[0].size", "-3"),
        (lambda m: m.update(price="1.5"), "[0].price", "1.5"),
        (lambda m: m.update(trader_side="BOTH"), "[0].trader_side", "BOTH"),
        (lambda m: m.update(match_time="yesterday"), "[0].match_time", "yesterday"),
        (lambda m: m["maker_orders"][1].update(price="0.5201234"), "[0].maker_orders[1].price",
         "0.5201234"),
        (lambda m: m["maker_orders"][0].pop("order_id"), "[0].maker_orders[0].order_id", None),
        (lambda m: m.update(event_type="book"), "[0].event_type", "book"),
    ],
)  # fmt: skip
def test_unreadable_message_is_refused_naming_the_field(
    tmp_path: Path, edit: Any, field: str, value: object
) -> None:
    message = load("maker_several_legs.json")
    edit(message)
    with PersistenceLayer(tmp_path / "v.db") as store:
        ledger = store_ledger(store)
        submit_real(ledger)
        before, seq = ledger.snapshot_json(), store.last_seq("s1")
        with pytest.raises(InvalidMessage) as refused:
            adapter(ledger).on_user_messages(json.dumps([message]))
        assert isinstance(refused.value, InvalidInput)
        assert (refused.value.field, refused.value.value) == (field, value)
        assert (ledger.snapshot_json(), store.last_seq("s1")) == (before, seq)


def test_unknown_order_status_is_refused_and_the_valid_part_of_the_batch_is_not_applied(
    tmp_path: Path,
) -> None:
    order = load("fok_killed.json")
    order["status"] = "PENDING_REVIEW"
    with PersistenceLayer(tmp_path / "v.db") as store:
        ledger = with_taker(store)
        seq = store.last_seq("s1")
        with pytest.raises(InvalidMessage) as refused:
            adapter(ledger).on_user_messages(json.dumps([load("taker_matched.json"), order]))
        assert (refused.value.field, refused.value.value) == ("[1].status", "PENDING_REVIEW")
        assert store.last_seq("s1") == seq
        assert (ledger.cash_micro, ledger.fill_status(TAKER_FILL)) == (1000 * MICRO, None)


@pytest.mark.parametrize(
    ("raw", "status", "reason"),
    [
        ("CANCELED_MARKET_RESOLVED", "CANCELED_MARKET_RESOLVED", ""),
        ("CANCELED", "CANCELED", ""),
        ("CANCELED_order couldn't be fully filled. FOK orders are fully filled or killed.",
         "CANCELED", "order couldn't be fully filled. FOK orders are fully filled or killed."),
        ("UNMATCHED", "UNMATCHED", ""),
        ("MATCHED", "MATCHED", ""),
        ("INVALID", "INVALID", ""),
    ],
)  # fmt: skip
def test_order_status_is_parsed_by_longest_known_prefix(raw: str, status: str, reason: str) -> None:
    message = load("fok_killed.json")
    message["status"] = raw
    [parsed] = parse_user_messages(json.dumps(message))
    assert parsed.status.status == status  # type: ignore[union-attr]
    assert parsed.status.reason == reason  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("raw", "ms"),
    [
        ("1774377384", 1774377384000),
        ("1774377384000", 1774377384000),
        (1774377384, 1774377384000),
        ("2026-03-24T18:36:24Z", 1774377384000),
        ("", None),
    ],
)
def test_times_of_mixed_units_are_read_by_magnitude(raw: object, ms: int | None) -> None:
    message = load("fok_killed.json")
    message["created_at"] = raw
    [parsed] = parse_user_messages(json.dumps(message))
    assert parsed.created_at == ms  # type: ignore[union-attr]


def test_trailing_zero_decimals_and_empty_fee_rate_read_exactly() -> None:
    [trade] = parse_user_messages(text("maker_several_legs.json"))
    assert trade.maker_orders[0].matched_amount == 12 * MICRO  # type: ignore[union-attr]
    assert trade.maker_orders[0].fee_rate_bps == ""  # type: ignore[union-attr]
    assert trade.maker_orders[2].matched_amount == 8 * MICRO  # type: ignore[union-attr]
    assert trade.price == 520_000


def test_maker_legs_pay_no_fee_whatever_fee_rate_bps_says(tmp_path: Path) -> None:
    message = load("cross_asset_mint.json")
    message["maker_orders"][0]["fee_rate_bps"] = "1000"
    with PersistenceLayer(tmp_path / "v.db") as store:
        ledger = store_ledger(store)
        submit_real(ledger)
        [fill] = adapter(ledger).on_user_messages(json.dumps(message)).of("fill")
        assert fill.detail.endswith("@ 0.4 fee 0 (CONFIRMED) for order N")
        record = ledger.position_record(NO)
        assert record is not None
        assert (record.qty_micro, record.cost_micro, record.realized_micro) == (
            4 * MICRO,
            1_600_000,
            0,
        )
        assert ledger.cash_micro == 1000 * MICRO - 1_600_000
