"""The wire contract: what every strategy, in any language, reads as `ctx.inventory`.

These pydantic models are the single source of the contract. The JSON Schema, the TypeScript
declarations in `strategies_types/` and the Rust serde types in `rust_shim/src/contract.rs` are
generated from them by `make types`, and a test fails when any of those drifts.

Wire rules: Python attributes are snake_case, JSON keys camelCase. Money, prices and quantities
are JSON numbers, never strings. Quantities are shares of an outcome token, exact to 6 decimals as
the chain keeps them (`7.575758`; a whole number such as `150` is as valid as `150.0`), `Decimal` in
Python and Rust. `avgEntryPrice` and `realizedPnl` are exact `Decimal`s too. Every amount stays
below 10^9 (dollars or shares), so that it has at most 15 significant digits and a TypeScript
`number` holds it exactly. Snapshots are frozen; unknown keys are refused.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    field_validator,
)
from pydantic.alias_generators import to_camel

from weatherman_inventory.errors import InvalidInput

__all__ = [
    "CONTRACT_MODELS",
    "MAX_AMOUNT",
    "MAX_SAFE_INTEGER",
    "SHARE_DECIMALS",
    "UTC_TIMESTAMP_PATTERN",
    "Cents",
    "DecimalNumber",
    "DecisionContext",
    "DollarPrice",
    "ExactPrice",
    "ExactUsd",
    "InventoryState",
    "MarketState",
    "MintedPairBalance",
    "Outcome",
    "Payout",
    "PortfolioState",
    "PositionState",
    "Quantity",
    "Shares",
    "SignedUsd",
    "TokenPosition",
    "Trigger",
    "Usd",
    "UtcTimestamp",
    "WeatherState",
    "parse_contract",
]

MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer a JavaScript `number` holds exactly; counts above it are refused."""

MAX_AMOUNT = 10**9
"""Every amount and quantity of the contract stays strictly below this, in magnitude (dollars,
shares): at most 15 significant digits with 6 decimals, exact in an IEEE double."""

SHARE_DECIMALS = 6
"""Outcome tokens are ERC-1155 balances with 6 decimals: a quantity has at most this many."""


def _decimal_from_json_number(value: Any) -> Any:
    """Accept a Decimal, an int, or a float read from a JSON number (by its shortest repr).

    Strings and bools are refused so that `"0.65"` on the wire is an error, as it is in Rust and
    TypeScript.
    """
    if type(value) is Decimal and value.is_finite():
        return value  # the common case: the ledger's own exact values
    if isinstance(value, (bool, str)):
        raise ValueError("a number is required")
    if isinstance(value, float):
        value = Decimal(repr(value))
    elif isinstance(value, int):
        value = Decimal(value)
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError("a finite number is required")
    return value


_FROM_NUMBER = BeforeValidator(_decimal_from_json_number)
_AS_NUMBER = PlainSerializer(float, return_type=float, when_used="json")

DecimalNumber = Annotated[Decimal, _FROM_NUMBER, _AS_NUMBER]
"""An exact Decimal in Python that travels as a JSON number.

The bounded decimals below name their constraints before `_FROM_NUMBER`, not as
`Annotated[DecimalNumber, Field(...)]`: constraints placed after a validator are checked by
Python functions once it has run, three times slower than pydantic-core checking them in the
decimal's own schema (a 50-token `snapshot()` spends most of its time there)."""

Quantity = Annotated[int, Field(ge=0, le=MAX_SAFE_INTEGER)]
"""A whole count (a tick number), 0..2^53-1."""

Shares = Annotated[
    Decimal, Field(ge=0, lt=MAX_AMOUNT, decimal_places=SHARE_DECIMALS), _FROM_NUMBER, _AS_NUMBER
]
"""A quantity of shares (or of YES+NO pairs): exact, at most 6 decimals, 0 <= x < 10^9."""

Usd = Annotated[float, Field(ge=0, lt=MAX_AMOUNT)]
"""A non-negative amount of dollars, 0 <= x < 10^9."""

SignedUsd = Annotated[float, Field(gt=-MAX_AMOUNT, lt=MAX_AMOUNT)]
"""An amount of dollars that may be negative (a PnL, a sum of adjustments), |x| < 10^9."""

DollarPrice = Annotated[float, Field(ge=0, le=1)]
"""A price in dollars per share, 0..1 (a share pays out at most $1)."""

ExactUsd = Annotated[Decimal, Field(gt=-MAX_AMOUNT, lt=MAX_AMOUNT), _FROM_NUMBER, _AS_NUMBER]
"""An exact, signed amount of dollars, |x| < 10^9."""

Payout = Annotated[
    Decimal, Field(ge=0, le=1, decimal_places=SHARE_DECIMALS), _FROM_NUMBER, _AS_NUMBER
]
"""What one share of a resolved market's token redeems for, exact dollars, 0..1."""

ExactPrice = Annotated[Decimal, Field(ge=0, lt=MAX_AMOUNT), _FROM_NUMBER, _AS_NUMBER]
"""An exact, non-negative amount of dollars per share, 0 <= x < 10^9: a derived price such as an
average entry price, bounded like every amount rather than by the $1 a share pays out."""

Cents = Annotated[int, Field(ge=0, le=100)]
"""A price in whole cents of a dollar, 0..100."""

# The one spelling of a timestamp on the wire: what chrono's `DateTime<Utc>` emits
# (`SecondsFormat::AutoSi`, `Z`): whole seconds, or milliseconds, or microseconds. Allowing other
# offsets or precisions would make a value re-emit differently in Rust and Python.
_UTC_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3}|\.\d{6})?Z")
UTC_TIMESTAMP_PATTERN = "^" + _UTC_TIMESTAMP.pattern + "$"
"""The timestamp pattern, anchored, as the JSON Schema and the Rust types check it."""


def _utc_timestamp(value: Any) -> datetime:
    """Accept an aware UTC datetime, or an RFC 3339 string in the one form above."""
    if isinstance(value, datetime):
        if value.utcoffset() != timedelta(0):
            raise ValueError("a UTC datetime is required")
        return value.astimezone(UTC)
    if not isinstance(value, str) or not _UTC_TIMESTAMP.fullmatch(value):
        raise ValueError("an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:MM:SS[.fff[fff]]Z) is required")
    return datetime.fromisoformat(value)


def _format_utc_timestamp(value: datetime) -> str:
    """RFC 3339 with `Z` and the shortest of 0, 3 or 6 fractional digits, as chrono writes it."""
    micros = value.microsecond
    text = value.replace(microsecond=0, tzinfo=None).isoformat(timespec="seconds")
    if micros == 0:
        return text + "Z"
    if micros % 1000 == 0:
        return f"{text}.{micros // 1000:03d}Z"
    return f"{text}.{micros:06d}Z"


UtcTimestamp = Annotated[
    datetime,
    PlainValidator(_utc_timestamp),
    PlainSerializer(_format_utc_timestamp, return_type=str, when_used="json"),
]
"""A UTC instant; on the wire an RFC 3339 string ending in `Z`."""


class _Contract(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
        frozen=True,
        strict=True,
        allow_inf_nan=False,
        use_attribute_docstrings=True,
    )


class Outcome(StrEnum):
    """Which side of a binary market a token pays out on."""

    YES = "YES"
    NO = "NO"


class Trigger(StrEnum):
    """What woke the strategies up this tick."""

    WEATHER_REFRESH = "WeatherRefresh"
    BOOK_UPDATE = "BookUpdate"


class TokenPosition(_Contract):
    """Position state for a single token (YES or NO in a specific market)."""

    token_id: str
    """Token id on the exchange."""
    market_id: str
    """Market the token belongs to."""
    outcome: Outcome
    """YES or NO."""
    qty: Shares
    """Shares held, settled or not (exact, at most 6 decimals)."""
    in_flight_qty: Shares
    """Shares reserved by open sell orders."""
    unsettled_qty: Shares
    """Shares of provisional buys (not yet CONFIRMED on chain) included in qty: not sellable."""
    accessible_qty: Shares
    """Shares free to sell: max(qty - unsettledQty - inFlightQty, 0)."""
    avg_entry_price: ExactPrice
    """Volume-weighted average entry price, dollars per share (0 when flat)."""
    total_cost: Usd
    """Cost basis of the shares held, dollars (0 when flat)."""
    current_price: DollarPrice
    """Last mark, dollars per share (the entry price until the first price update)."""
    unrealized_pnl: SignedUsd
    """(currentPrice - avgEntryPrice) * qty, dollars."""
    realized_pnl: ExactUsd
    """PnL realised by sales, merges and redemptions, net of fees, dollars."""
    payout: Payout | None = Field(default=None, exclude_if=lambda v: v is None)
    """What one share redeems for once the token's market resolved, dollars (1 or 0, 0.5 when
    void); absent while the market is unresolved. Also the token's currentPrice from then on."""
    redeemable_qty: Shares | None = Field(default=None, exclude_if=lambda v: v is None)
    """Shares a redemption can burn now: held on chain (no fill of them still MATCHED or
    RETRYING) and not reserved by a pending redemption; absent while the market is unresolved.
    The position is redeemable when this is above 0."""

    @field_validator("payout", "redeemable_qty", mode="before")
    @classmethod
    def _refuse_null(cls, value: Any) -> Any:
        # Absent means "unresolved"; null would re-emit as an absent key, as for `inventory`.
        if value is None:
            raise ValueError("omit the key instead of sending null")
        return value


class MintedPairBalance(_Contract):
    """Minted YES+NO pair balance for a single condition (market), in pairs (1 pair = 1 YES share
    + 1 NO share, minted for $1), exact to 6 decimals like shares."""

    condition_id: str
    """Condition id of the market the pairs were minted in."""
    available: Shares
    """Pairs free to merge or sell."""
    reserved: Shares
    """Pairs reserved by pending merges."""
    total_minted: Shares
    """Pairs minted over the session."""
    total_sold: Shares
    """Minted pairs given up because one of their tokens was sold."""
    total_merged: Shares
    """Minted pairs merged back into USDC."""


class InventoryState(_Contract):
    """Complete capital and position state for a session, passed to every strategy every tick."""

    total_usd: SignedUsd
    """Total USDC owned by this session, dollars, unsettled sale proceeds included. Negative only
    when a withdrawal took more than the ledger held (recorded as an anomaly)."""
    in_flight_usd: Usd
    """USDC committed to open buy orders and pending mints, dollars."""
    unsettled_usd: Usd
    """Proceeds of provisional sales (not yet CONFIRMED on chain) included in totalUsd, dollars:
    not yet spendable."""
    accessible_usd: SignedUsd
    """Spendable USDC: totalUsd - inFlightUsd - unsettledUsd, dollars."""
    adjustments_usd: SignedUsd
    """Signed sum of the session's cash adjustments (deposits and rebates add, withdrawals
    subtract, corrections either), dollars: the ledger's invariant counts it beside the initial
    capital."""
    tokens: dict[str, TokenPosition]
    """Per-token position state, keyed by tokenId."""
    minted_pairs: dict[str, MintedPairBalance]
    """Minted YES+NO pairs, keyed by conditionId; empty if the session never minted or merged."""
    exit_triggered: bool
    """Whether exit has been triggered: buys and mints are refused from then on."""


class WeatherState(_Contract):
    """The weather observation and forecast the session trades on."""

    station_id: str
    """Weather station identifier (ICAO), e.g. KNYC."""
    observed_at: UtcTimestamp
    """Time of the observation, RFC 3339 UTC."""
    temperature_f: float
    """Observed temperature, degrees Fahrenheit."""
    forecast_high_f: float
    """Forecast daily high, degrees Fahrenheit."""


class MarketState(_Contract):
    """Top of book for one binary market."""

    market_id: str
    """Market id on the exchange."""
    condition_id: str
    """Condition id used to mint and merge YES+NO pairs."""
    question: str
    """The market's question, for logs."""
    yes_token_id: str
    """Token id of the YES outcome."""
    no_token_id: str
    """Token id of the NO outcome."""
    yes_bid_px: Cents
    """Best YES bid, cents of a dollar (0..100; 0 when the side is empty)."""
    yes_ask_px: Cents
    """Best YES ask, cents of a dollar (0..100; 100 when the side is empty)."""
    no_bid_px: Cents
    """Best NO bid, cents of a dollar."""
    no_ask_px: Cents
    """Best NO ask, cents of a dollar."""


class PositionState(_Contract):
    """A position as the legacy position map tracks it."""

    market_id: str
    """Market the token belongs to."""
    token_id: str
    """Token id on the exchange."""
    outcome: Outcome
    """YES or NO."""
    qty: Shares
    """Shares held (exact, at most 6 decimals)."""
    avg_price: Usd
    """Average entry price, dollars per share."""


class PortfolioState(_Contract):
    """The legacy portfolio summary."""

    initial_capital_usd: Usd
    """Capital the session started with, dollars."""
    available_capital_usd: SignedUsd
    """Capital not committed to positions or open orders, dollars."""
    total_exposure_usd: Usd
    """Cost of open positions, dollars."""
    realized_pnl_usd: SignedUsd
    """Realised PnL over the session, dollars."""


class DecisionContext(_Contract):
    """Everything a strategy sees on one tick."""

    trigger: Trigger
    """What woke the strategies up."""
    tick_number: Quantity
    """Tick counter, from 1."""
    timestamp: UtcTimestamp
    """Time of the tick, RFC 3339 UTC."""
    session_id: str
    """Session identifier."""
    weather: WeatherState
    """Latest weather state."""
    markets: list[MarketState]
    """Every market the session trades."""
    positions: list[PositionState]
    """Positions from the legacy position map."""
    portfolio: PortfolioState
    """Legacy portfolio summary."""
    inventory: InventoryState | None = Field(default=None, exclude_if=lambda v: v is None)
    """Inventory state; present when the InventoryManager is active, absent (not null) otherwise."""

    @field_validator("inventory", mode="before")
    @classmethod
    def _refuse_null_inventory(cls, value: Any) -> Any:
        # Absent means "no InventoryManager"; an explicit null would re-emit as an absent key in
        # every language, so it is refused rather than silently normalised.
        if value is None:
            raise ValueError("omit the key instead of sending null")
        return value


CONTRACT_MODELS: tuple[type[BaseModel], ...] = (
    TokenPosition,
    MintedPairBalance,
    InventoryState,
    WeatherState,
    MarketState,
    PositionState,
    PortfolioState,
    DecisionContext,
)
"""Every model of the contract, in the order the generated files declare them."""

_M = TypeVar("_M", bound=BaseModel)


def parse_contract(model: type[_M], data: str | bytes) -> _M:
    """Validate a JSON document as `model`, raising `InvalidInput` naming the first bad field.

    The field is the camelCase path of the offending key (`tokens.tok-1.qty`), the value what the
    document held there.
    """
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        path = ".".join(str(part) for part in first["loc"]) or model.__name__
        value = None if first["type"] == "missing" else first.get("input")
        raise InvalidInput(path, value, first["msg"]) from exc
