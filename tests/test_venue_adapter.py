"""The Polymarket adapter: messages shaped field for field like the venue's recorded ones in, the
ledger's numbers out.

Two ledgers: `Recorder`, a small exact ledger implementing the adapter's `Ledger` protocol with
settlement statuses (fills with `status=`, `on_fill_status`), and `StoreLedger`, the real
InventoryManager bound to a real SQLite store, for every call it supports today (final fills,
submissions, cancels, venue ids); its `fill_status` reads the store's fills table.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
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


def micro(value: object) -> int:
    if isinstance(value, int):
        return value * MICRO
    return int(Decimal(str(value)).scaleb(6))


class Recorder:
    """An exact ledger of micro-units with statuses: what the adapter's protocol promises."""

    def __init__(self, cash_usd: int) -> None:
        self.cash = cash_usd * MICRO
        self.in_flight = 0
        self.positions: dict[str, int] = {}
        self.outcomes: dict[str, Outcome] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.venue_ids: dict[str, str] = {}
        self.fills: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []
        self.anomalies: list[str] = []

    # setup
    def submit(  # noqa: PLR0917
        self, local_id: str, venue_id: str, side: str, token: str, qty: object, cents: int
    ) -> None:
        qty_micro = micro(qty)
        reserved = -(-qty_micro * cents * 10_000 // MICRO) if side == "buy" else 0
        self.orders[local_id] = dict(
            side=side, token_id=token, market_id=MKT, qty_micro=qty_micro,
            limit_micro=cents * 10_000, filled_qty_micro=0, status="SUBMITTED",
            reserved=reserved,
        )  # fmt: skip
        self.in_flight += reserved
        self.venue_ids[local_id] = venue_id

    # the protocol
    def order_ids(self) -> tuple[str, ...]:
        return tuple(self.orders)

    def exchange_order_id(self, local_id: str) -> str | None:
        return self.venue_ids.get(local_id)

    def order_record(self, local_id: str) -> Any:
        order = self.orders.get(local_id)
        return None if order is None else SimpleNamespace(**order)

    def position_record(self, token_id: str) -> Any:
        if token_id not in self.outcomes:
            return None
        return SimpleNamespace(market_id=MKT, outcome=self.outcomes[token_id])

    def fill_status(self, fill_id: str) -> str | None:
        fill = self.fills.get(fill_id)
        return None if fill is None else str(fill["status"])

    def _fill(  # noqa: PLR0917
        self, side: str, local_id: str, token: str, qty: Any, price: Any, fee: Any,
              fill_id: str | None, status: str | None) -> None:  # fmt: skip
        assert fill_id is not None and fill_id not in self.fills
        q, p, f = micro(qty), micro(price), micro(fee)
        leg = q * p // MICRO
        cash = -(leg + f) if side == "buy" else leg - f
        self.fills[fill_id] = dict(
            side=side, token=token, qty=q, cash=cash, local_id=local_id,
            status=status or "CONFIRMED",
        )  # fmt: skip
        self._book(self.fills[fill_id], 1)
        order = self.orders.get(local_id)
        if order is None:
            self.anomalies.append(f"unknown order {local_id}")
            return
        order["filled_qty_micro"] += q
        if order["side"] == "buy":
            release = min(-(-q * order["limit_micro"] // MICRO), order["reserved"])
            order["reserved"] -= release
            self.in_flight -= release
        if order["status"] in {"SUBMITTED", "PARTIALLY_FILLED"}:
            if order["filled_qty_micro"] >= order["qty_micro"]:
                self.in_flight -= order["reserved"]
                order["reserved"] = 0
                order["status"] = "FILLED"
            else:
                order["status"] = "PARTIALLY_FILLED"

    def _book(self, fill: dict[str, Any], sign: int) -> None:
        self.cash += sign * fill["cash"]
        delta = fill["qty"] if fill["side"] == "buy" else -fill["qty"]
        self.positions[fill["token"]] = self.positions.get(fill["token"], 0) + sign * delta

    def on_fill_buy(  # noqa: PLR0917
        self, local_id: str, token_id: str, market_id: str, outcome: Outcome | str,
                    fill_qty: Any, fill_price: Any, order_qty: Any, *,
                    fill_id: str | None = None, fee_usd: Any = 0,
                    status: str | None = None) -> None:  # fmt: skip
        self.calls.append(("buy", f"{fill_id} {fill_qty} @{fill_price} fee {fee_usd} {status}"))
        self.outcomes[token_id] = Outcome(outcome)
        self._fill("buy", local_id, token_id, fill_qty, fill_price, fee_usd, fill_id, status)

    def on_fill_sell(
        self, local_id: str, token_id: str, fill_qty: Any, fill_price: Any,
                     order_qty: Any, *, fill_id: str | None = None, fee_usd: Any = 0,
                     status: str | None = None) -> None:  # fmt: skip
        self.calls.append(("sell", f"{fill_id} {fill_qty} @{fill_price} fee {fee_usd} {status}"))
        self._fill("sell", local_id, token_id, fill_qty, fill_price, fee_usd, fill_id, status)

    def on_fill_status(self, fill_id: str, status: str) -> None:
        self.calls.append(("status", f"{fill_id} {status}"))
        fill = self.fills[fill_id]
        if status == "FAILED" and fill["status"] != "FAILED":
            self._book(fill, -1)
            order = self.orders.get(fill["local_id"])
            if order is not None:
                order["filled_qty_micro"] -= fill["qty"]
        fill["status"] = status

    def _cancel(self, local_id: str) -> None:
        order = self.orders[local_id]
        if order["status"] not in {"SUBMITTED", "PARTIALLY_FILLED"}:
            self.anomalies.append(f"cancel of closed order {local_id}")
            return
        self.in_flight -= order["reserved"]
        order["reserved"] = 0
        order["status"] = "CANCELLED"

    def on_order_cancelled_buy(self, local_id: str, remaining_qty: Any, limit_px: Any) -> None:
        self.calls.append(("cancel", f"{local_id} {remaining_qty} @{limit_px}"))
        self._cancel(local_id)

    def on_order_cancelled_sell(self, local_id: str, token_id: str, remaining_qty: Any) -> None:
        self.calls.append(("cancel", f"{local_id} {remaining_qty}"))
        self._cancel(local_id)


class StoreLedger(InventoryManager):
    """The real InventoryManager on a real store; `fill_status` reads the store's fills table.

    Its fills are final (no settlement statuses yet): CONFIRMED trades only.
    """

    store: PersistenceLayer
    session_id: str

    def fill_status(self, fill_id: str) -> str | None:
        known = {row.fill_id for row in self.store.load_fills(self.session_id)}
        return "CONFIRMED" if fill_id in known else None

    def on_fill_status(self, fill_id: str, status: str) -> None:
        raise NotImplementedError(f"{fill_id}: {status}: the ledger books final fills only")

    def on_fill_buy(  # noqa: PLR0917
        self, local_id: str, token_id: str, market_id: str, outcome: Outcome | str,
        fill_qty: Any, fill_price: Any, order_qty: Any, *, fill_id: str | None = None,
        fee_usd: Any = 0, status: str | None = None,
    ) -> None:  # fmt: skip
        if status is not None:
            raise NotImplementedError(f"{fill_id}: {status}: the ledger books final fills only")
        super().on_fill_buy(
            local_id, token_id, market_id, outcome, fill_qty, fill_price, order_qty,
            fill_id=fill_id, fee_usd=fee_usd,
        )  # fmt: skip

    def on_fill_sell(
        self, local_id: str, token_id: str, fill_qty: Any, fill_price: Any, order_qty: Any,
        *, fill_id: str | None = None, fee_usd: Any = 0, status: str | None = None,
    ) -> None:  # fmt: skip
        if status is not None:
            raise NotImplementedError(f"{fill_id}: {status}: the ledger books final fills only")
        super().on_fill_sell(
            local_id, token_id, fill_qty, fill_price, order_qty, fill_id=fill_id, fee_usd=fee_usd
        )


def store_ledger(store: PersistenceLayer, *, recover: bool = False) -> StoreLedger:
    ledger = StoreLedger.recover(store, "s1") if recover else StoreLedger.open(store, "s1", 1000)
    assert isinstance(ledger, StoreLedger)
    ledger.store = store
    ledger.session_id = "s1"
    return ledger


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


# -- statuses, fractional shares and fees (the recorder) -----------------------------------------


def recorder() -> Recorder:
    ledger = Recorder(1000)
    ledger.submit("T", TAKER, "buy", YES, 10, 70)
    ledger.submit("A", ORDER_A, "buy", YES, 20, 52)
    ledger.submit("B", ORDER_B, "buy", YES, 8, 52)
    ledger.submit("N", ORDER_NO, "buy", NO, 4, 40)
    return ledger


def test_matched_then_failed_taker_fill_is_undone_in_full() -> None:
    ledger = recorder()
    venue = adapter(ledger)
    venue.on_user_messages(text("taker_matched.json"))
    fill_id = f"5c4d3e2f-1a0b-4c9d-8e7f-6a5b4c3d2e1f/{TAKER}"
    # 7.575758 shares @0.66: the chain moves 5.000000; the weather fee floors to 0.08500.
    assert ledger.calls == [
        ("buy", f"{fill_id} 7.575758 @0.66 fee 0.085 MATCHED"),
    ]
    assert ledger.cash == 1000 * MICRO - 5_000_000 - 85_000
    assert ledger.positions[YES] == 7_575_758
    venue.on_user_messages(text("taker_failed.json"))
    assert ledger.calls[-1] == ("status", f"{fill_id} FAILED")
    assert (ledger.cash, ledger.positions[YES]) == (1000 * MICRO, 0)
    # The FAILED resent, and the MATCHED arriving late: neither moves the failed fill again.
    n = len(ledger.calls)
    venue.on_user_messages(text("taker_failed.json"))
    venue.on_user_messages(text("taker_matched.json"))
    assert len(ledger.calls) == n
    assert (ledger.cash, ledger.positions[YES]) == (1000 * MICRO, 0)


@pytest.mark.parametrize(
    ("sequence", "calls"),
    [
        (["MATCHED", "MINED", "CONFIRMED"], ["buy MATCHED", "status MINED", "status CONFIRMED"]),
        (["MATCHED", "RETRYING", "MINED", "CONFIRMED"], ["buy MATCHED", "status RETRYING",
                                                         "status MINED", "status CONFIRMED"]),
        (["MINED", "MATCHED", "MINED"], ["buy MINED"]),
        (["TRADE_STATUS_MATCHED", "TRADE_STATUS_CONFIRMED"], ["buy MATCHED", "status CONFIRMED"]),
        (["CONFIRMED", "MATCHED", "FAILED"], ["buy None", "status FAILED"]),
        (["FAILED", "FAILED"], []),
        (["MATCHED_NOT_BROADCASTED", "MATCHED"], ["buy MATCHED"]),
    ],
)  # fmt: skip
def test_status_sequences_under_one_trade_id(sequence: list[str], calls: list[str]) -> None:
    ledger = recorder()
    venue = adapter(ledger)
    message = load("taker_matched.json")
    for i, status in enumerate(sequence):
        message["status"] = status
        message["last_update"] = str(1777382000 + i)
        venue.on_user_messages(json.dumps(message))
    assert [f"{kind} {detail.split()[-1]}" for kind, detail in ledger.calls] == calls


def test_cross_asset_merge_leg_is_a_sell_of_the_complementary_token() -> None:
    ledger = recorder()
    venue = adapter(ledger)
    venue.on_user_messages(text("cross_asset_mint.json"))
    ledger.submit("S", "0x5e11", "sell", NO, 4, 30)
    merge = load("cross_asset_mint.json")
    merge.update(id="merge-1", side="SELL", price="0.70", status="MATCHED")
    merge["maker_orders"][0].update(order_id="0x5e11", price="0.30", side="SELL")
    venue.on_user_messages(json.dumps(merge))
    assert ledger.calls[-1] == ("sell", "merge-1/0x5e11 4 @0.3 fee 0 MATCHED")
    assert ledger.positions[NO] == 0
    assert ledger.cash == 1000 * MICRO - 1_600_000 + 1_200_000


def test_leg_side_contradicting_the_cross_asset_rule_is_refused() -> None:
    ledger = recorder()
    message = load("cross_asset_mint.json")
    message["maker_orders"][0]["side"] = "SELL"  # a NO leg of a YES BUY is a BUY
    with pytest.raises(InvalidMessage) as refused:
        adapter(ledger).on_user_messages(json.dumps(message))
    assert refused.value.field == "maker_orders[0].side"
    assert ledger.calls == []


def test_taker_view_ignores_other_accounts_legs_and_maker_view_without_ours_books_nothing() -> None:
    ledger = recorder()
    venue = adapter(ledger)
    applied = venue.on_user_messages(text("taker_matched.json"))
    assert [a.key for a in applied.of("fill")] == [f"5c4d3e2f-1a0b-4c9d-8e7f-6a5b4c3d2e1f/{TAKER}"]
    foreign = load("maker_several_legs.json")
    for leg in foreign["maker_orders"]:
        leg.update(owner="someone-else", maker_address="0x0000000000000000000000000000000000000001")
    n = len(ledger.calls)
    assert [a.kind for a in venue.on_user_messages(json.dumps(foreign)).actions] == ["skip"]
    assert len(ledger.calls) == n


def test_update_before_trade_then_partial_cancel_on_fractional_shares() -> None:
    ledger = recorder()
    venue = adapter(ledger)
    trade = load("maker_several_legs.json")
    trade["status"] = "MATCHED"
    trade["maker_orders"][0]["matched_amount"] = "1.219511"
    cancel = load("resolved_cancel.json")
    cancel.update(status="CANCELED", size_matched="1.219511")
    venue.on_user_messages(json.dumps([cancel, trade]))
    order = ledger.orders["A"]
    assert (order["status"], order["reserved"], order["filled_qty_micro"]) == (
        "CANCELLED",
        0,
        1_219_511,
    )
    assert ("cancel", "A 18.780489 @52") in ledger.calls
    assert ledger.anomalies == []


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
    edit: Any, field: str, value: object
) -> None:
    ledger = recorder()
    message = load("maker_several_legs.json")
    edit(message)
    with pytest.raises(InvalidMessage) as refused:
        adapter(ledger).on_user_messages(json.dumps([message]))
    assert isinstance(refused.value, InvalidInput)
    assert (refused.value.field, refused.value.value) == (field, value)
    assert ledger.calls == []


def test_unknown_order_status_is_refused_and_the_valid_part_of_the_batch_is_not_applied() -> None:
    ledger = recorder()
    order = load("fok_killed.json")
    order["status"] = "PENDING_REVIEW"
    with pytest.raises(InvalidMessage) as refused:
        adapter(ledger).on_user_messages(json.dumps([load("taker_matched.json"), order]))
    assert (refused.value.field, refused.value.value) == ("[1].status", "PENDING_REVIEW")
    assert ledger.calls == []
    assert ledger.cash == 1000 * MICRO


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


def test_maker_legs_pay_no_fee_whatever_fee_rate_bps_says() -> None:
    ledger = recorder()
    message = load("cross_asset_mint.json")
    message["maker_orders"][0]["fee_rate_bps"] = "1000"
    adapter(ledger).on_user_messages(json.dumps(message))
    assert ledger.calls == [("buy", f"2b7e9d14-0c3a-4f6b-8e21-9d0c1b2a3f45/{ORDER_NO} 4 @0.4 "
                                    "fee 0 None")]  # fmt: skip
    assert ledger.cash == 1000 * MICRO - 1_600_000
