"""Replay's decoders: a journal row becomes a checked event or a `StoreError` naming the row.

Recovery applies decoded events without checking them again, so the decoders must refuse every
value the builders refuse. The fast path of each kind must agree with the authority
(`_checked_from_fields`, i.e. `check_event`) on every input: the same event, or the same field
named in the refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.event_streams import INITIAL_CAPITAL, MARKETS, make_stream
from weatherman_inventory.errors import InvalidInput, StoreError
from weatherman_inventory.events import (
    FROM_FIELDS,
    BuyCancelled,
    BuyFilled,
    BuySubmitted,
    CashAdjusted,
    CashReconciled,
    Event,
    ExchangeOrderIdAssigned,
    FillStatusChanged,
    MarketResolved,
    MintSubmitted,
    OrderAdopted,
    OrderDropped,
    PositionReconciled,
    PositionsLoaded,
    PricesUpdated,
    RedemptionConfirmed,
    RedemptionFailed,
    RedemptionSubmitted,
    SellCancelled,
    SellFilled,
    SellSubmitted,
    StaleFillsChecked,
    _checked_from_fields,
    check_event,
)
from weatherman_inventory.journal import (
    decode_event,
    encode_event,
    open_session,
    recover_session,
    replay,
    verify_session,
)
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.models import Outcome
from weatherman_inventory.store import PersistenceLayer

SID = "sess-replay"
CLASSES: dict[str, type[Any]] = {cls.kind: cls for cls in Event.__args__}


pytestmark = pytest.mark.usefixtures("quiet_anomalies")


def _outcome(kind: str, values: object) -> tuple[str, object]:
    """What decoding `values` as `kind` gives: ("ok", event) or ("refused", field)."""
    try:
        return "ok", FROM_FIELDS[kind](values)
    except InvalidInput as exc:
        return "refused", exc.field


def _authority(kind: str, values: object) -> tuple[str, object]:
    try:
        return "ok", _checked_from_fields(CLASSES[kind], values)
    except InvalidInput as exc:
        return "refused", exc.field


# -- the decoders against the authority --------------------------------------------------------

STREAM = make_stream(5, 400)
SAMPLES: dict[str, Event] = {}
for _event in STREAM:
    SAMPLES.setdefault(_event.kind, _event)
SAMPLES[PricesUpdated.kind] = PricesUpdated((("yes-0", 0), ("no-0", 1_000_000)))
SAMPLES[SellSubmitted.kind] = SellSubmitted("s-1", "yes-0", 3_000_000, 450_000, "FOK")
SAMPLES[ExchangeOrderIdAssigned.kind] = ExchangeOrderIdAssigned("b-1", "0xabc-1")
SAMPLES[FillStatusChanged.kind] = FillStatusChanged("f-1", "FAILED")
SAMPLES[StaleFillsChecked.kind] = StaleFillsChecked(1_700_000_000_000_000, 86_400_000_000)
SAMPLES[CashAdjusted.kind] = CashAdjusted("DEPOSIT", 2_500_000, "top-up")
SAMPLES[PositionReconciled.kind] = PositionReconciled("yes-0", None, Outcome.YES, -1, 2_000_000)
SAMPLES[OrderAdopted.kind] = OrderAdopted(
    "0xv-1", "0xv-1", "buy", "m-0", "no-0", Outcome.NO, 10_000_000, 350_000, 2_500_000
)
SAMPLES[OrderDropped.kind] = OrderDropped("b-1", None, 4_000_000)
SAMPLES[CashReconciled.kind] = CashReconciled(-1, 984_015_000)
SAMPLES[MarketResolved.kind] = MarketResolved("cond-0", 0, 1_000_000)
SAMPLES[RedemptionSubmitted.kind] = RedemptionSubmitted("cond-0")
SAMPLES[RedemptionConfirmed.kind] = RedemptionConfirmed("cond-0", 1_500_000)
SAMPLES[RedemptionFailed.kind] = RedemptionFailed("cond-0")


def test_every_kind_has_a_sample() -> None:
    assert set(SAMPLES) == set(FROM_FIELDS) == set(CLASSES)


@pytest.mark.parametrize("event", STREAM[:300], ids=lambda e: e.kind)
def test_a_journaled_event_decodes_to_itself(event: Event) -> None:
    decoded = decode_event(event.kind, encode_event(event))
    assert decoded == event
    assert type(decoded) is type(event)
    assert check_event(decoded) is decoded


# Values a corrupted or hand-edited payload may hold where a field belongs.
ODD_VALUES: list[object] = [
    None, True, False, 0, -1, 1, 100, 101, 1_000_000, 1_000_001, 2**53 - 1, 2**53, -(2**53),
    10**9 - 1, 10**9, 10**15 - 1, 10**15, -(10**15),
    1.0, 0.5, "", "x", "YES", "NO", "GTC", "yes", [], ["a", 1], {}, {"a": 1},
    "x" * 256, "x" * 257, "é" * 128, "é" * 129, "tok\ud800",
]  # fmt: skip


def _field_cases() -> Iterator[tuple[str, int, object]]:
    for kind, event in SAMPLES.items():
        width = len(orjson.loads(encode_event(event)))
        for at in range(width):
            for value in ODD_VALUES:
                yield kind, at, value


@pytest.mark.parametrize(("kind", "at", "value"), list(_field_cases()))
def test_fast_path_agrees_with_the_authority_field_by_field(
    kind: str, at: int, value: object
) -> None:
    values = orjson.loads(encode_event(SAMPLES[kind]))
    values[at] = value
    assert _outcome(kind, list(values)) == _authority(kind, list(values))


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_a_payload_of_another_shape_is_refused_naming_the_kind(kind: str) -> None:
    values = orjson.loads(encode_event(SAMPLES[kind]))
    shorter = [values[:-1]] if values else []
    for wrong in [*shorter, [*values, 0], {"fields": values}, "[]", None, 7]:
        with pytest.raises(InvalidInput) as info:
            FROM_FIELDS[kind](wrong)
        assert info.value.field == kind


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=6,
)


@given(kind=st.sampled_from(sorted(SAMPLES)), data=st.data())
def test_fast_path_agrees_with_the_authority_on_any_json(kind: str, data: st.DataObject) -> None:
    values = orjson.loads(encode_event(SAMPLES[kind]))
    for _ in range(data.draw(st.integers(1, 3))):
        if values:
            values[data.draw(st.integers(0, len(values) - 1))] = data.draw(_json)
    assert _outcome(kind, list(values)) == _authority(kind, list(values))


def test_nested_values_are_checked_too() -> None:
    prices = [["yes-0", 500_000], ["no-0", 1_000_001]]
    with pytest.raises(InvalidInput) as info:
        FROM_FIELDS[PricesUpdated.kind]([prices])
    assert info.value.field == "prices['no-0']"
    row = ["yes-0", "mkt-0", "MAYBE", 1, 500_000, 0]
    with pytest.raises(InvalidInput) as info:
        FROM_FIELDS[PositionsLoaded.kind]([[row]])
    assert info.value.field == "rows[0].outcome"
    row = ["yes-0", "mkt-0", "YES", 1, 1_000_001, 0]  # cost above $1 per contract
    with pytest.raises(InvalidInput) as info:
        FROM_FIELDS[PositionsLoaded.kind]([[row]])
    assert info.value.field == "rows[0].cost_micro"


def test_submitted_ids_and_tif_are_shared_strings() -> None:
    # Orders keep these for their lifetime: one string per token, not one per order.
    first = FROM_FIELDS[BuySubmitted.kind](orjson.loads(b'["b1","m-1","t-1","YES",5,40,"GTD"]'))
    second = FROM_FIELDS[BuySubmitted.kind](orjson.loads(b'["b2","m-1","t-1","NO",5,40,"GTD"]'))
    assert isinstance(first, BuySubmitted)
    assert isinstance(second, BuySubmitted)
    assert first.token_id is second.token_id
    assert first.market_id is second.market_id
    assert first.tif is second.tif
    assert second.outcome is Outcome.NO


# -- corrupted journal rows ----------------------------------------------------------------------


def _session(db: Path) -> dict[str, int]:
    """A short session; returns the journal row (seq) of each event kind's first occurrence."""
    with PersistenceLayer(db, mode="paper") as store:
        manager = open_session(InventoryManager, store, SID, 1000)
        # Row 1 is the session's opening.
        manager.on_order_submitted_buy("b-1", "mkt-1", "tok-1", "YES", 10, 60)  # 2
        manager.on_fill_buy("b-1", "tok-1", "mkt-1", "YES", 4, "0.55", 10, fill_id="f-1")  # 3
        manager.on_order_submitted_sell("s-1", "tok-1", 2)  # 4
        manager.on_fill_sell("s-1", "tok-1", 2, "0.61", 2, fill_id="f-2")  # 5
        manager.update_prices({"tok-1": 58})  # 6
        manager.on_mint_submitted("cond-1", 3)  # 7
        manager.on_order_cancelled_buy("b-1", 6, 60)  # 8
    return {
        BuySubmitted.kind: 2,
        BuyFilled.kind: 3,
        SellSubmitted.kind: 4,
        SellFilled.kind: 5,
        PricesUpdated.kind: 6,
        MintSubmitted.kind: 7,
    }


def _edit(db: Path, seq: int, edit: Callable[[list[Any]], object]) -> None:
    with PersistenceLayer(db) as store, store.transaction() as conn:
        [(payload,)] = conn.execute(
            "SELECT payload FROM journal WHERE session_id = ? AND seq = ?", (SID, seq)
        ).fetchall()
        values = orjson.loads(payload)
        new = edit(values)
        conn.execute(
            "UPDATE journal SET payload = ? WHERE session_id = ? AND seq = ?",
            (new if isinstance(new, bytes) else orjson.dumps(values), SID, seq),
        )


def _set(at: int, value: object) -> Callable[[list[Any]], None]:
    def edit(values: list[Any]) -> None:
        values[at] = value

    return edit


CORRUPTIONS: list[tuple[str, str, Callable[[list[Any]], object], str]] = [
    # (what, kind of the row, edit, what the error names)
    ("quantity of the wrong type", BuySubmitted.kind, _set(4, "10"), "qty_micro='10'"),
    ("negative quantity", BuyFilled.kind, _set(4, -4), "fill_qty_micro=-4"),
    ("zero quantity", SellSubmitted.kind, _set(2, 0), "qty_micro=0"),
    ("price above a dollar", BuyFilled.kind, _set(5, 1_000_001), "price_micro=1000001"),
    ("negative price", SellFilled.kind, _set(3, -1), "price_micro=-1"),
    ("limit above a dollar", BuySubmitted.kind, _set(5, 1_000_001), "limit_micro=1000001"),
    (
        "mark above a dollar",
        PricesUpdated.kind,
        lambda v: v[0][0].__setitem__(1, 1_000_001),
        "1000001",
    ),
    ("bool for a number", SellFilled.kind, _set(2, True), "fill_qty_micro=True"),
    ("float for a number", BuyFilled.kind, _set(4, 4.0), "fill_qty_micro=4.0"),
    ("unknown outcome", BuyFilled.kind, _set(3, "MAYBE"), "outcome='MAYBE'"),
    ("empty id", SellSubmitted.kind, _set(0, ""), "local_id=''"),
    ("unknown time in force", BuySubmitted.kind, _set(6, "IOC"), "tif='IOC'"),
    ("negative fee", SellFilled.kind, _set(6, -5), "fee_micro=-5"),
    ("money at 10^9 dollars", MintSubmitted.kind, _set(1, 10**15), "amount_micro"),
    ("a field missing", BuyFilled.kind, lambda v: v.pop(), "buy_filled="),
    ("not JSON", SellFilled.kind, lambda v: b'["s-1","tok-1",2,', "unexpected end"),
    ("not an array", MintSubmitted.kind, lambda v: b'{"condition_id":"cond-1"}', "mint_submitted"),
]


@pytest.mark.parametrize(
    ("kind", "edit", "named"), [c[1:] for c in CORRUPTIONS], ids=[c[0] for c in CORRUPTIONS]
)
def test_a_corrupted_row_refuses_recovery_naming_the_row(
    tmp_path: Path, kind: str, edit: Callable[[list[Any]], object], named: str
) -> None:
    db = tmp_path / "c.db"
    seq = _session(db)[kind]
    _edit(db, seq, edit)
    with PersistenceLayer(db) as store:
        with pytest.raises(StoreError, match=f"journal row {seq} \\({kind}\\)") as info:
            recover_session(InventoryManager, store, SID)
        assert named in str(info.value)
        assert "corrupted" in str(info.value)
        # The same for verify, which reads the same rows.
        with pytest.raises(StoreError, match=f"journal row {seq} "):
            verify_session(store, SID)
        # A refused recovery gives the session's lock back.
        store.lock_session(SID)
        store.unlock_session(SID)


def test_a_row_of_unknown_kind_refuses_recovery(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    _session(db)
    with PersistenceLayer(db) as store:
        with store.transaction() as conn:
            conn.execute(
                "UPDATE journal SET kind = 'teleported' WHERE session_id = ? AND seq = 4", (SID,)
            )
        with pytest.raises(StoreError, match="journal row 4 of unknown kind 'teleported'"):
            recover_session(InventoryManager, store, SID)


def test_an_intact_journal_recovers(tmp_path: Path) -> None:
    # The control for the corruption table: the same session, untouched, recovers exactly.
    db = tmp_path / "c.db"
    _session(db)
    with PersistenceLayer(db) as store:
        recovered = recover_session(InventoryManager, store, SID)
        assert recovered.cash_micro == 1000 * 10**6 - 4 * 550_000 + 2 * 610_000
        assert recovered.in_flight_micro == 3 * 10**6  # the pending mint; the buy is cancelled
        assert recovered.anomalies() == ()


# Facts about closed orders: a cancel after the last fill, a fill after the cancel, a cancel of a
# cancelled order, and a fill on a filled order with another order quantity.
CLOSED_ORDER_FACTS: list[Event] = [
    BuySubmitted("z-1", "mkt-0", "yes-0", Outcome.YES, 2, 50),
    BuyFilled("z-1", "yes-0", "mkt-0", Outcome.YES, 2, 500_000, 2, "z-f1"),
    BuyCancelled("z-1", 0, 50),
    BuyFilled("z-1", "yes-0", "mkt-0", Outcome.YES, 1, 490_000, 3, "z-f2"),
    SellSubmitted("z-2", "yes-0", 1, 60),
    SellCancelled("z-2", "yes-0", 1),
    SellCancelled("z-2", "yes-0", 1),
    SellFilled("z-2", "yes-0", 1, 600_000, 1, "z-f3"),
]

# -- replay itself -------------------------------------------------------------------------------


def test_replay_equals_apply_anomalies_included(tmp_path: Path) -> None:
    """The unchecked replay path gives what `apply` gives, event for event, duplicates too."""
    stream = make_stream(23, 1200) + CLOSED_ORDER_FACTS
    with PersistenceLayer(tmp_path / "r.db", mode="paper") as store:
        manager = open_session(InventoryManager, store, SID, INITIAL_CAPITAL, markets=MARKETS)
        for event in stream:
            manager.apply(event)
        [opened, *rows] = store.iter_journal(SID)
        assert opened.kind == "session_opened"
        journal = [decode_event(r.kind, r.payload) for r in rows]
        assert journal == stream
        replayed = replay(InventoryManager, store, SID)
    assert replayed.ledger_state() == manager.ledger_state()
    assert replayed.snapshot_json() == manager.snapshot_json()
    kinds = {a.kind for a in replayed.anomalies()}
    assert {"duplicate_fill", "overfill", "cancel_closed_order", "order_qty_mismatch"} <= kinds
    # An unbound manager that deduplicates fills by id itself reaches the same ledger.
    twin = InventoryManager(INITIAL_CAPITAL, log_anomalies=False)
    for event in stream:
        twin.apply(event)
    twin_state, state = twin.ledger_state(), replayed.ledger_state()
    for key in ("fill_ids", "anomalies"):  # a duplicate's message says who found it
        del twin_state[key], state[key]
    assert twin_state == state
    assert [(a.kind, a.event) for a in twin.anomalies()] == [
        (a.kind, a.event) for a in replayed.anomalies()
    ]


def test_replay_is_refused_on_a_bound_manager(tmp_path: Path) -> None:
    with PersistenceLayer(tmp_path / "r.db") as store:
        manager = open_session(InventoryManager, store, SID, 10)
        with pytest.raises(RuntimeError, match="bound to no journal"):
            manager._replay([])
