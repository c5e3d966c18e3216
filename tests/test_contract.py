"""The contract: pydantic and Rust (in-process, through the native module) agree on every vector.

Each good vector is accepted and re-emitted equal as a JSON value; each bad one is refused, by
pydantic with an `InvalidInput` naming the offending key and by Rust with a `ValueError` naming the
serde error. The same vectors drive the Rust tests (`rust_shim/tests/contract_vectors.rs`) and the
TypeScript checks (`make ts-check`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import BaseModel, ValidationError

from weatherman_inventory import _native
from weatherman_inventory.codegen import vector_kind
from weatherman_inventory.errors import InvalidInput, InventoryError
from weatherman_inventory.models import (
    MAX_AMOUNT,
    DecisionContext,
    InventoryState,
    MintedPairBalance,
    Outcome,
    TokenPosition,
    parse_contract,
)

VECTORS_DIR = Path(__file__).parent / "vectors"
MODELS: dict[str, type[BaseModel]] = {
    "InventoryState": InventoryState,
    "DecisionContext": DecisionContext,
}


@dataclass(frozen=True)
class Vector:
    """One vector file: its stem, whether it is good, the model it targets and its raw text."""

    name: str
    good: bool
    model: type[BaseModel]
    text: str

    @property
    def value(self) -> Any:
        return orjson.loads(self.text)


def load(good: bool) -> list[Vector]:
    """Every good (or every bad) vector, by name."""
    vectors = []
    for path in sorted(VECTORS_DIR.glob("*.json")):
        verdict, target = vector_kind(path.stem)
        if (verdict == "good") == good:
            vectors.append(Vector(path.stem, good, MODELS[target], path.read_text("utf-8")))
    return vectors


def json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values: numbers by value (1000 == 1000.0), but a bool is not a number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


RUST_ROUNDTRIP: dict[type[BaseModel], Callable[[str], str]] = {
    InventoryState: _native.roundtrip_inventory_state,
    DecisionContext: _native.roundtrip_decision_context,
}

# Every bad vector: the key pydantic names, and a fragment of the serde error Rust gives.
BAD = {
    "bad_context_inventory_null": ("inventory", "invalid type: null"),
    "bad_context_missing_weather": ("weather", "missing field `weather`"),
    "bad_context_position_qty_seven_decimals": (
        "positions.0.qty",
        "number 100.0000001 has more than 6 decimal places",
    ),
    "bad_context_price_above_100": ("markets.0.yesAskPx", "integer 101 is above the largest"),
    "bad_context_timestamp_offset": ("timestamp", "is not YYYY-MM-DDTHH:MM:SS[.fff[fff]]Z"),
    "bad_context_unknown_outcome": (
        "inventory.tokens.tok-no-klax-70.outcome",
        "unknown variant `MAYBE`",
    ),
    "bad_inventory_decimal_as_string": (
        "tokens.tok-yes-knyc-50.avgEntryPrice",
        "invalid type: string",
    ),
    "bad_inventory_extra_key": ("tokens.tok-yes-knyc-50.feesPaid", "unknown field `feesPaid`"),
    "bad_inventory_missing_key": ("exitTriggered", "missing field `exitTriggered`"),
    "bad_inventory_negative_qty": (
        "tokens.tok-yes-knyc-50.qty",
        "number -1 is out of range, 0 <= x < 1000000000",
    ),
    "bad_inventory_negative_unsettled_usd": (
        "unsettledUsd",
        "number -0.5 is out of range, 0 <= x < 1000000000",
    ),
    "bad_inventory_payout_above_1": (
        "tokens.tok-yes-knyc-50.payout",
        "number 1.5 is out of range, 0 <= x <= 1",
    ),
    "bad_inventory_qty_as_string": ("tokens.tok-yes-knyc-50.qty", "invalid type: string"),
    "bad_inventory_qty_at_bound": (
        "tokens.tok-no-knyc-55.qty",
        "number 1000000000 is out of range, 0 <= x < 1000000000",
    ),
    "bad_inventory_qty_seven_decimals": (
        "tokens.tok-yes-knyc-50.qty",
        "number 157.5757575 has more than 6 decimal places",
    ),
    "bad_inventory_redeemable_qty_null": (
        "tokens.tok-yes-knyc-50.redeemableQty",
        "invalid type: null",
    ),
    "bad_inventory_string_for_number": ("totalUsd", "invalid type: string"),
    "bad_inventory_total_usd_at_bound": (
        "totalUsd",
        "number 1000000000 is out of range, -1000000000 < x < 1000000000",
    ),
    "bad_inventory_unknown_outcome": ("tokens.tok-yes-knyc-50.outcome", "unknown variant `MAYBE`"),
    # A snapshot as the ledger wrote it before quantities became shares (commit 83759e3's
    # fixture): pydantic names the first missing field in field order, serde the first it meets.
    "bad_inventory_without_unsettled_fields": ("unsettledUsd", "missing field `unsettledQty`"),
}

GOOD_VECTORS = load(good=True)
BAD_VECTORS = load(good=False)


def _id(vector: Vector) -> str:
    return vector.name


def test_vector_set_covers_the_contract() -> None:
    names = {v.name for v in GOOD_VECTORS}
    assert {
        "good_inventory_empty",
        "good_inventory_full",
        "good_inventory_minted_pairs",
        "good_context_with_inventory",
        "good_context_without_inventory",
    } <= names
    assert {v.name for v in BAD_VECTORS} == set(BAD)


@pytest.mark.parametrize("vector", GOOD_VECTORS, ids=_id)
def test_pydantic_accepts_and_reemits_good_vector(vector: Vector) -> None:
    model = parse_contract(vector.model, vector.text)
    assert json_equal(orjson.loads(model.model_dump_json()), vector.value)


@pytest.mark.parametrize("vector", GOOD_VECTORS, ids=_id)
def test_rust_accepts_and_reemits_good_vector(vector: Vector) -> None:
    emitted = RUST_ROUNDTRIP[vector.model](vector.text)
    assert json_equal(orjson.loads(emitted), vector.value)


@pytest.mark.parametrize("vector", GOOD_VECTORS, ids=_id)
def test_rust_output_is_accepted_by_pydantic_unchanged(vector: Vector) -> None:
    emitted = RUST_ROUNDTRIP[vector.model](vector.text)
    again = parse_contract(vector.model, emitted)
    assert again == parse_contract(vector.model, vector.text)


@pytest.mark.parametrize("vector", BAD_VECTORS, ids=_id)
def test_pydantic_refuses_bad_vector_naming_the_key(vector: Vector) -> None:
    field, _ = BAD[vector.name]
    with pytest.raises(InvalidInput) as caught:
        parse_contract(vector.model, vector.text)
    assert caught.value.field == field
    assert isinstance(caught.value, InventoryError)
    assert isinstance(caught.value.__cause__, ValidationError)


@pytest.mark.parametrize("vector", BAD_VECTORS, ids=_id)
def test_rust_refuses_bad_vector_naming_the_serde_error(vector: Vector) -> None:
    _, fragment = BAD[vector.name]
    with pytest.raises(ValueError, match=r"^(InventoryState|DecisionContext): ") as caught:
        RUST_ROUNDTRIP[vector.model](vector.text)
    assert fragment in str(caught.value)
    assert str(caught.value).startswith(vector.model.__name__)


def test_full_vector_reads_exact_decimals_and_enums() -> None:
    state = parse_contract(InventoryState, (VECTORS_DIR / "good_inventory_full.json").read_text())
    held = state.tokens["tok-yes-knyc-50"]
    assert held.avg_entry_price == Decimal("0.6536538443940089")
    assert held.outcome is Outcome.YES
    assert (held.qty, held.in_flight_qty, held.unsettled_qty, held.accessible_qty) == (
        Decimal("157.575758"),
        Decimal(20),
        Decimal("7.575758"),
        Decimal(130),
    )
    flat = state.tokens["tok-yes-kord-40"]
    assert (flat.qty, flat.avg_entry_price, flat.realized_pnl) == (
        Decimal(0),
        Decimal(0),
        Decimal("12.345678"),
    )
    top = state.tokens["tok-no-knyc-55"].qty
    assert top == Decimal("999999999.999999") == MAX_AMOUNT - Decimal("0.000001")
    assert (state.unsettled_usd, state.adjustments_usd) == (12.5, -50.25)


def test_share_quantities_travel_as_json_numbers_with_their_six_decimals() -> None:
    text = (VECTORS_DIR / "good_inventory_full.json").read_text()
    emitted = orjson.loads(parse_contract(InventoryState, text).model_dump_json())
    held = emitted["tokens"]["tok-yes-knyc-50"]
    assert (held["qty"], held["unsettledQty"]) == (157.575758, 7.575758)
    assert emitted["tokens"]["tok-no-knyc-55"]["qty"] == 999999999.999999
    rust = orjson.loads(_native.roundtrip_inventory_state(text))
    assert rust["tokens"]["tok-yes-knyc-50"]["qty"] == 157.575758
    assert rust["tokens"]["tok-no-knyc-55"]["accessibleQty"] == 999999999.999999


@pytest.mark.parametrize(
    ("qty", "accepted"),
    [
        (Decimal("7.575758"), True),
        (Decimal("7.5757580"), True),
        (Decimal("150"), True),
        (150, True),
        (Decimal("999999999.999999"), True),
        (Decimal("7.5757575"), False),
        (Decimal("0.0000001"), False),
        (Decimal(MAX_AMOUNT), False),
        (Decimal("-0.000001"), False),
    ],
)
def test_shares_hold_six_decimals_below_the_bound(qty: Decimal | int, accepted: bool) -> None:
    fields: dict[str, Any] = dict(
        condition_id="c", available=qty, reserved=0, total_minted=0, total_sold=0, total_merged=0
    )
    if accepted:
        assert MintedPairBalance.model_validate(fields).available == qty
    else:
        with pytest.raises(ValidationError, match="available"):
            MintedPairBalance.model_validate(fields)


def test_absent_inventory_is_omitted_not_null() -> None:
    ctx = parse_contract(
        DecisionContext, (VECTORS_DIR / "good_context_with_inventory.json").read_text()
    )
    without = ctx.model_copy(update={"inventory": None})
    emitted = orjson.loads(without.model_dump_json())
    assert "inventory" not in emitted
    assert set(emitted) == set(orjson.loads(ctx.model_dump_json())) - {"inventory"}


def test_snapshots_are_frozen() -> None:
    one, zero = Decimal(1), Decimal(0)
    pairs = MintedPairBalance(
        condition_id="c",
        available=one,
        reserved=zero,
        total_minted=one,
        total_sold=zero,
        total_merged=zero,
    )
    with pytest.raises(ValidationError, match="frozen"):
        pairs.available = Decimal(2)  # type: ignore[misc]


@dataclass(frozen=True)
class TimestampCase:
    instant: datetime
    wire: str


TIMESTAMPS = [
    TimestampCase(datetime(2026, 3, 8, 14, 5, tzinfo=UTC), "2026-03-08T14:05:00Z"),
    TimestampCase(datetime(2026, 3, 8, 14, 5, 0, 250_000, tzinfo=UTC), "2026-03-08T14:05:00.250Z"),
    TimestampCase(datetime(2026, 3, 8, 14, 5, 0, 123, tzinfo=UTC), "2026-03-08T14:05:00.000123Z"),
    TimestampCase(datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC), "0999-01-02T03:04:05Z"),
]


@pytest.mark.parametrize("case", TIMESTAMPS, ids=lambda c: c.wire)
def test_timestamps_travel_as_chrono_writes_them(case: TimestampCase) -> None:
    raw = (VECTORS_DIR / "good_context_without_inventory.json").read_text()
    doc = orjson.loads(raw)
    doc["timestamp"] = case.wire
    text = orjson.dumps(doc).decode()
    ctx = parse_contract(DecisionContext, text)
    assert ctx.timestamp == case.instant
    assert orjson.loads(ctx.model_dump_json())["timestamp"] == case.wire
    assert orjson.loads(_native.roundtrip_decision_context(text))["timestamp"] == case.wire


@pytest.mark.parametrize(
    "wire",
    [
        "2026-03-08T14:05:00",
        "2026-03-08T14:05:00+00:00",
        "2026-03-08 14:05:00Z",
        "2026-03-08T14:05:00.25Z",
        "2026-03-08T14:05:00.123456789Z",
        "2026-13-08T14:05:00Z",
    ],
)
def test_timestamps_in_other_spellings_are_refused_by_both(wire: str) -> None:
    doc = orjson.loads((VECTORS_DIR / "good_context_without_inventory.json").read_text())
    doc["timestamp"] = wire
    text = orjson.dumps(doc).decode()
    with pytest.raises(InvalidInput) as caught:
        parse_contract(DecisionContext, text)
    assert (caught.value.field, caught.value.value) == ("timestamp", wire)
    with pytest.raises(ValueError, match="timestamp"):
        _native.roundtrip_decision_context(text)


@pytest.mark.parametrize(
    "instant",
    [datetime(2026, 3, 8, 14, 5), datetime(2026, 3, 8, 14, 5, tzinfo=timezone(timedelta(hours=2)))],
)
def test_python_timestamps_must_be_utc(instant: datetime) -> None:
    doc = orjson.loads((VECTORS_DIR / "good_context_without_inventory.json").read_text())
    valid = parse_contract(DecisionContext, orjson.dumps(doc))
    with pytest.raises(ValidationError, match="UTC"):
        valid.model_validate({**valid.model_dump(), "timestamp": instant})


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "1.5", True])
def test_money_refuses_non_finite_and_non_numbers(bad: Any) -> None:
    fields: dict[str, Any] = dict(
        token_id="t",
        market_id="m",
        outcome=Outcome.NO,
        qty=1,
        in_flight_qty=0,
        unsettled_qty=0,
        accessible_qty=1,
        avg_entry_price=Decimal("0.5"),
        total_cost=0.5,
        current_price=0.5,
        unrealized_pnl=0.0,
        realized_pnl=Decimal(0),
    )
    assert TokenPosition.model_validate(fields).avg_entry_price == Decimal("0.5")
    for key in ("avg_entry_price", "realized_pnl", "total_cost", "qty"):
        with pytest.raises(ValidationError, match=key):
            TokenPosition.model_validate({**fields, key: bad})


def test_nan_literal_is_refused_on_the_wire() -> None:
    text = (VECTORS_DIR / "good_inventory_empty.json").read_text().replace("0.0", "NaN", 1)
    with pytest.raises(InvalidInput) as caught:
        parse_contract(InventoryState, text)
    assert caught.value.field == "totalUsd"
    with pytest.raises(ValueError, match="InventoryState"):
        _native.roundtrip_inventory_state(text)


def test_vector_names_name_their_type() -> None:
    assert vector_kind("good_inventory_full") == ("good", "InventoryState")
    assert vector_kind("bad_context_missing_weather") == ("bad", "DecisionContext")
