"""The journal's events field by field, each field with its unit.

Derived from `events.EVENT_FIELDS` (every event's fields and their kinds), so an event added
there is listed and exported without a change here; a field of a kind this module does not
name gets its unit from its name (`*_micro`, `*_us`) or, failing that, from its value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from enum import StrEnum
from typing import Any, Final

import orjson

from weatherman_inventory.events import (
    EVENT_FIELDS,
    EVENT_TYPES,
    SESSION_OPENED_FROM_FIELDS,
    LoadedPosition,
    PositionsLoaded,
    PricesUpdated,
    SessionOpened,
)
from weatherman_inventory.journal import decode_event
from weatherman_inventory.store import PersistenceLayer

__all__ = [
    "KINDS",
    "DecodedRow",
    "Unit",
    "decoded_rows",
    "event_tokens",
    "field_units",
]


class Unit(StrEnum):
    """How a field's value is read: micro-shares, micro-USDC per share, micro-USDC,
    microseconds since the epoch, microseconds of a duration, a flag, an integer, text, or a
    list of (token, price) or of loaded positions."""

    SHARES = "shares"
    PRICE = "price"
    MONEY = "money"
    TIME = "time"
    DURATION = "duration"
    BOOL = "bool"
    INT = "int"
    TEXT = "text"
    PRICES = "prices"
    LOADED = "loaded"


_BY_KIND: Final[dict[str, Unit]] = {
    "shares": Unit.SHARES,
    "shares or none": Unit.SHARES,
    "limit": Unit.PRICE,
    "optional limit": Unit.PRICE,
    "price": Unit.PRICE,
    "money": Unit.MONEY,
    "fee": Unit.MONEY,
    "signed money": Unit.MONEY,
    "time": Unit.TIME,
    "optional time": Unit.TIME,
    "bool": Unit.BOOL,
}


def _by_name(name: str) -> Unit | None:
    if name.endswith("_micro"):
        if "qty" in name or "count" in name or "shares" in name:
            return Unit.SHARES
        if "price" in name or "limit" in name or "mark" in name:
            return Unit.PRICE
        return Unit.MONEY
    if name.endswith("_age_us"):
        return Unit.DURATION
    if name.endswith("_us"):
        return Unit.TIME
    return None


def _unit(kind_name: str, name: str) -> Unit:
    # A "time" field is a moment unless its name says it is an age.
    unit = _by_name(name) if name.endswith("_age_us") else None
    unit = unit or _BY_KIND.get(kind_name) or _by_name(name)
    return Unit.TEXT if unit is None else unit


def _units() -> dict[str, dict[str, Unit]]:
    units: dict[str, dict[str, Unit]] = {
        SessionOpened.kind: {
            "initial_capital_micro": Unit.MONEY,
            "mode": Unit.TEXT,
            "strategy_id": Unit.TEXT,
            "config_json": Unit.TEXT,
            "journal_format": Unit.INT,
        },
        PricesUpdated.kind: {"prices": Unit.PRICES},
        PositionsLoaded.kind: {"rows": Unit.LOADED},
    }
    for cls, specs in EVENT_FIELDS.items():
        units[cls.kind] = {spec.name: _unit(spec.kind.name, spec.name) for spec in specs}  # type: ignore[attr-defined]
    for cls in EVENT_TYPES:
        declared = units.setdefault(cls.kind, {})
        for f in dataclasses.fields(cls):
            declared.setdefault(f.name, _by_name(f.name) or Unit.TEXT)
    return units


_UNITS: Final = _units()

KINDS: Final[tuple[str, ...]] = tuple(_UNITS)
"""Every kind of journal row, `session_opened` first."""


def field_units(kind: str) -> dict[str, Unit]:
    """The fields of an event kind, in declaration order, with their units."""
    return _UNITS[kind]


def event_tokens(event: Any) -> tuple[str, ...]:
    """The tokens an event names (a fill's, a mint's two, a price update's...)."""
    if isinstance(event, PricesUpdated):
        return tuple(token for token, _ in event.prices)
    if isinstance(event, PositionsLoaded):
        return tuple(row.token_id for row in event.rows if isinstance(row, LoadedPosition))
    found = []
    for name in ("token_id", "yes_token_id", "no_token_id"):
        value = getattr(event, name, None)
        if isinstance(value, str):
            found.append(value)
    return tuple(found)


@dataclasses.dataclass(frozen=True, slots=True)
class DecodedRow:
    """One journal row with its checked event (`SessionOpened` for the first)."""

    seq: int
    kind: str
    duplicate: bool
    recorded_at: int
    hash: bytes | None
    event: Any


def decoded_rows(
    store: PersistenceLayer, session_id: str, until_seq: int | None = None
) -> Iterator[DecodedRow]:
    """The session's journal rows in order (up to `until_seq`), each decoded and checked as
    recovery decodes it (a row that holds no valid event is a `StoreError` naming it).
    Streams the journal."""
    decoders_format = 1
    for rows in store.journal_rows(session_id):
        for seq, kind, payload, duplicate, recorded_at, digest in rows:
            if until_seq is not None and seq > until_seq:
                return
            if kind == SessionOpened.kind and seq == 1:
                opened = SESSION_OPENED_FROM_FIELDS(orjson.loads(payload))
                decoders_format = opened.journal_format
                event: Any = opened
            else:
                event = decode_event(kind, payload, decoders_format)
            yield DecodedRow(seq, kind, bool(duplicate), recorded_at, digest, event)
