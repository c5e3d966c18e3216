"""How events are made: the builders and decoders write each event's slots in one native call
(`_native.SlotMaker`), and a builder's ids are checked once and then looked up."""

from __future__ import annotations

import dataclasses
import gc
import pickle
import sys
from decimal import Decimal

import pytest

from tests.test_journal_codec import EVENTS
from weatherman_inventory import events as ev
from weatherman_inventory._native import SlotMaker
from weatherman_inventory.errors import InvalidInput
from weatherman_inventory.events import BuyFilled, Event, SellSubmitted
from weatherman_inventory.journal import decode_event, encode_event
from weatherman_inventory.models import Outcome


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.kind)
def test_a_made_event_is_an_ordinary_frozen_dataclass(event: Event) -> None:
    made = decode_event(event.kind, encode_event(event))
    fields = {f.name: getattr(made, f.name) for f in dataclasses.fields(made)}
    assert type(made)(**fields) == made == event
    assert hash(made) == hash(event)
    assert pickle.loads(pickle.dumps(made)) == event
    assert gc.is_tracked(made)
    first = dataclasses.fields(made)[0].name if dataclasses.fields(made) else None
    if first is not None:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(made, first, None)


def test_a_builder_makes_the_event_its_dataclass_makes() -> None:
    built = ev.buy_filled(
        "o1", "t1", "m1", Outcome.YES, 40, Decimal("0.645"), 100, "f-1", Decimal("0.000012")
    )
    assert built == BuyFilled("o1", "t1", "m1", Outcome.YES, 40_000_000, 645_000, 100_000_000,
                              "f-1", 12)  # fmt: skip
    assert type(built) is BuyFilled


def test_making_events_keeps_every_reference_count() -> None:
    token = "token-refcount-" + str(id(object()))  # a string no other code holds
    price = Decimal("0.5")
    ev.buy_filled("o1", token, "m1", Outcome.YES, 1, price, 1)  # the id is now remembered
    before = sys.getrefcount(token), sys.getrefcount(price)
    for _ in range(1_000):
        ev.buy_filled("o1", token, "m1", Outcome.YES, 1, price, 1)
    assert (sys.getrefcount(token), sys.getrefcount(price)) == before
    kept = [ev.buy_filled("o1", token, "m1", Outcome.YES, 1, price, 1) for _ in range(10)]
    assert sys.getrefcount(token) == before[0] + 10
    del kept
    assert sys.getrefcount(token) == before[0]


class _OwnNew:
    __slots__ = ("a",)

    def __new__(cls) -> _OwnNew:
        return super().__new__(cls)


class _Plain:
    __slots__ = ("a", "b")
    a: object
    b: object
    c = 1


def test_a_slot_maker_refuses_what_it_cannot_make() -> None:
    with pytest.raises(ValueError, match="__new__ of its own"):
        SlotMaker(_OwnNew, ("a",))
    with pytest.raises(ValueError, match="c is not a slot"):
        SlotMaker(_Plain, ("a", "c"))
    make = SlotMaker(_Plain, ("b", "a")).make
    with pytest.raises(TypeError, match="1 values for the 2 slots"):
        make((1,))
    made = make((1, 2))
    assert (type(made), made.a, made.b) == (_Plain, 2, 1)


def test_a_builder_checks_an_id_once_and_keeps_one_copy() -> None:
    name = "".join(["tok-", "once"])  # a fresh string, not a literal the compiler interned
    first = ev.sell_submitted("s1", name, 1, None, "GTC")
    assert ev._CHECKED_IDS[name] is first.token_id
    again = ev.sell_submitted("s2", "".join(["tok-", "once"]), 1, None, "GTC")
    assert again.token_id is first.token_id  # the kept id: one string for every order


class _Text(str):
    pass


def test_an_id_of_a_str_subclass_is_held_as_a_str() -> None:
    ev.sell_submitted("s1", "tok-sub", 1, None, "GTC")
    made = ev.sell_submitted(_Text("s1"), _Text("tok-sub"), 1, None, "GTC")
    assert made == SellSubmitted("s1", "tok-sub", 1_000_000)
    assert (type(made.local_id), type(made.token_id)) == (str, str)


def test_the_remembered_ids_are_bounded_and_refusals_are_not_remembered() -> None:
    for i in range(ev._CHECKED_IDS_KEPT + 10):
        ev.sell_submitted(f"s{i}", "t", 1, None, "GTC")
    assert len(ev._CHECKED_IDS) <= ev._CHECKED_IDS_KEPT
    with pytest.raises(InvalidInput):
        ev.sell_submitted("s", "tok\ud800", 1, None, "GTC")
    assert "tok\ud800" not in ev._CHECKED_IDS
    assert ev.sell_submitted("s", "t", 1, None, "GTC").token_id == "t"


def test_a_slot_maker_copies_slot_for_slot() -> None:
    copier = SlotMaker(_Plain, ("a", "b"))
    original = _Plain()
    original.a = [1]
    half = copier.copy(original)  # b was never set: it stays unset
    assert half is not original and half.a is original.a
    with pytest.raises(AttributeError):
        _ = half.b
    original.b = "x"
    full = copier.copy(original)
    assert (full.a, full.b) == ([1], "x")
    with pytest.raises(TypeError, match="to copy"):
        copier.copy(_OwnNew.__new__(_OwnNew))
