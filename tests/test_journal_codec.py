"""The journal's event codec: every event kind survives the round trip exactly."""

from __future__ import annotations

import pytest

from weatherman_inventory.errors import InvalidInput, StoreError
from weatherman_inventory.events import (
    BuyCancelled,
    BuyFilled,
    BuySubmitted,
    CashAdjusted,
    CashReconciled,
    Event,
    ExchangeOrderIdAssigned,
    ExitTriggered,
    FillStatusChanged,
    LoadedPosition,
    MarketResolved,
    MergeConfirmed,
    MergeFailed,
    MergeSubmitted,
    MintConfirmed,
    MintFailed,
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
)
from weatherman_inventory.journal import decode_event, encode_event
from weatherman_inventory.models import Outcome

EVENTS: list[Event] = [
    BuySubmitted("o1", "m1", "t1", Outcome.NO, 100, 65, "FOK"),
    SellSubmitted("o2", "t1", 50),
    SellSubmitted("o3", "t1", 50, 70, "GTD"),
    BuyFilled("o1", "t1", "m1", Outcome.YES, 40, 645_000, 100, "f-1", 12),
    BuyFilled("o1", "t1", "m1", Outcome.YES, 40, 645_000, 100, "f-2", 12, "MATCHED"),
    SellFilled("o2", "t1", 1, 1, 5, "f-3", 0, "CONFIRMED"),
    BuyFilled("o1", "t1", "m1", Outcome.NO, 1, 0, 100),
    SellFilled("o2", "t1", 10, 1_000_000, 50, None, 3),
    BuyCancelled("o1", 59, 65),
    SellCancelled("o2", "t1", 40),
    MintSubmitted("c1", 10**15 - 1),
    MintConfirmed("c1", 5, "ty", "tn", "m1"),
    MintFailed("c1", 1),
    MergeSubmitted("c1", 3),
    MergeConfirmed("c1", 3, "ty", "tn"),
    MergeFailed("c1", 3),
    PricesUpdated((("t1", 0), ("t2", 100))),
    PricesUpdated(()),
    ExitTriggered(),
    PositionsLoaded(
        (
            LoadedPosition("t1", "m1", Outcome.YES, 10_000_000, 6_500_000, -1),
            LoadedPosition("t2", "m1", Outcome.NO, 0, 0, 42),
        )
    ),
    PositionsLoaded(()),
    ExchangeOrderIdAssigned("o1", "0xabc-1"),
    BuyFilled("o1", "t1", "m1", Outcome.YES, 40, 645_000, 100, "f-4", 0, "MINED", 1_700_000_000),
    FillStatusChanged("f-2", "FAILED"),
    FillStatusChanged("f-1", "CONFIRMED", True),
    StaleFillsChecked(1_700_000_000_000_000, 86_400_000_000),
    CashAdjusted("CORRECTION", -10_000, "reconciliation: venue balance lower"),
    PositionReconciled("t1", None, Outcome.YES, -1, 7_575_758),
    PositionReconciled("t2", "m1", Outcome.NO, 10_000_000, 0),
    OrderAdopted("0xo9", "0xo9", "sell", "m1", "t1", Outcome.NO, 1_219_511, 513_000, 19_511),
    OrderDropped("o1", None, 0),
    OrderDropped("o2", "0xabc-2", 6_000_000),
    CashReconciled(-5, 10**15 - 1),
    MarketResolved("c1", 500_000, 500_000),
    RedemptionSubmitted("c1"),
    RedemptionConfirmed("c1", 0),
    RedemptionFailed("c1"),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.kind)
def test_round_trip(event: Event) -> None:
    payload = encode_event(event)
    decoded = decode_event(event.kind, payload)
    assert decoded == event
    assert type(decoded) is type(event)
    outcome = getattr(decoded, "outcome", None)
    assert outcome is None or type(outcome) is Outcome


def test_every_event_kind_is_covered() -> None:
    assert {e.kind for e in EVENTS} == {cls.kind for cls in Event.__args__}


def test_a_fill_is_compact() -> None:
    payload = encode_event(
        BuyFilled("ord-123", "tok-123", "mkt-1", Outcome.YES, 7_575_758, 650_000, 10**7)
    )
    assert (
        payload == b'["ord-123","tok-123","mkt-1","YES",7575758,650000,10000000,null,0,null,null]'
    )


def test_unknown_kind_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="unknown kind 'teleported'"):
        decode_event("teleported", b"[]")


def test_an_unencodable_value_is_refused_as_input() -> None:
    with pytest.raises(InvalidInput) as info:
        encode_event(MintSubmitted("c1", 2**70))
    assert info.value.field == "mint_submitted"


def test_a_legacy_row_decodes_in_micro_shares_and_micro_usdc_per_share() -> None:
    """A session opened before the journal format field wrote whole contracts and cents."""
    legacy = decode_event("buy_submitted", b'["o1","m1","t1","NO",100,65,"FOK"]', 1)
    assert legacy == BuySubmitted("o1", "m1", "t1", Outcome.NO, 100_000_000, 650_000, "FOK")
    fill = decode_event("buy_filled", b'["o1","t1","m1","NO",3,650000,100,"f",0]', 1)
    assert isinstance(fill, BuyFilled)
    assert (fill.fill_qty_micro, fill.order_qty_micro, fill.status) == (
        3_000_000,
        100_000_000,
        None,
    )
    marks = decode_event("prices_updated", b'[[["t1",65]]]', 1)
    assert marks == PricesUpdated((("t1", 650_000),))
