"""The ledger's vocabulary: validated events in, durable records out.

An event is what the InventoryManager accepted, already checked and in exact integer units:
money in micro-USDC (1e-6 dollar, the unit USDC settles in), order limits in cents (1..100),
fill prices in micro-USDC per contract (0..1_000_000). The journal stores events as they are and
recovery feeds them back through the same code, so these classes are the journal's format too.

Records are the manager's state for one order or one token, as the store's tables hold it.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from enum import StrEnum
from typing import Any, ClassVar, get_args

from weatherman_inventory.errors import InvalidInput
from weatherman_inventory.models import Outcome

__all__ = [
    "CENT_MICRO",
    "EVENT_TYPES",
    "FROM_FIELDS",
    "MAX_ID_BYTES",
    "MAX_MICRO",
    "MAX_NUMBER_CHARS",
    "MAX_QTY",
    "MICRO",
    "SESSION_OPENED_FROM_FIELDS",
    "TIFS",
    "BuyCancelled",
    "BuyFilled",
    "BuySubmitted",
    "Event",
    "ExchangeOrderIdAssigned",
    "ExitTriggered",
    "LoadedPosition",
    "MergeConfirmed",
    "MergeFailed",
    "MergeSubmitted",
    "MintConfirmed",
    "MintFailed",
    "MintSubmitted",
    "OrderRecord",
    "OrderStatus",
    "PositionRecord",
    "PositionsLoaded",
    "PricesUpdated",
    "SellCancelled",
    "SellFilled",
    "SellSubmitted",
    "SessionOpened",
    "buy_cancelled",
    "buy_filled",
    "buy_submitted",
    "check_cents",
    "check_event",
    "check_id",
    "check_outcome",
    "check_prices",
    "check_qty",
    "check_tif",
    "exchange_order_id_assigned",
    "loaded_position",
    "merge_confirmed",
    "merge_failed",
    "merge_submitted",
    "mint_confirmed",
    "mint_failed",
    "mint_submitted",
    "money_micro",
    "positions_loaded",
    "price_micro",
    "sell_cancelled",
    "sell_filled",
    "sell_submitted",
]

MICRO = 1_000_000
"""Micro-USDC per dollar."""


class OrderStatus(StrEnum):
    """Lifecycle of an order, as the orders table spells it."""

    SUBMITTED = "SUBMITTED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True, slots=True)
class BuySubmitted:
    kind: ClassVar[str] = "buy_submitted"
    local_id: str
    market_id: str
    token_id: str
    outcome: Outcome
    qty: int
    limit_px: int  # cents, 1..100
    tif: str = "GTC"


@dataclass(frozen=True, slots=True)
class SellSubmitted:
    kind: ClassVar[str] = "sell_submitted"
    local_id: str
    token_id: str
    qty: int
    limit_px: int | None = None  # cents, 1..100, when the caller gave it
    tif: str = "GTC"


@dataclass(frozen=True, slots=True)
class BuyFilled:
    kind: ClassVar[str] = "buy_filled"
    local_id: str
    token_id: str
    market_id: str
    outcome: Outcome
    fill_qty: int
    price_micro: int  # micro-USDC per contract, 0..1_000_000
    order_qty: int
    fill_id: str | None = None
    fee_micro: int = 0


@dataclass(frozen=True, slots=True)
class SellFilled:
    kind: ClassVar[str] = "sell_filled"
    local_id: str
    token_id: str
    fill_qty: int
    price_micro: int
    order_qty: int
    fill_id: str | None = None
    fee_micro: int = 0


@dataclass(frozen=True, slots=True)
class BuyCancelled:
    kind: ClassVar[str] = "buy_cancelled"
    local_id: str
    remaining_qty: int
    limit_px: int


@dataclass(frozen=True, slots=True)
class SellCancelled:
    kind: ClassVar[str] = "sell_cancelled"
    local_id: str
    token_id: str
    remaining_qty: int


@dataclass(frozen=True, slots=True)
class MintSubmitted:
    kind: ClassVar[str] = "mint_submitted"
    condition_id: str
    amount_micro: int


@dataclass(frozen=True, slots=True)
class MintConfirmed:
    kind: ClassVar[str] = "mint_confirmed"
    condition_id: str
    pair_count: int
    yes_token_id: str
    no_token_id: str
    market_id: str


@dataclass(frozen=True, slots=True)
class MintFailed:
    kind: ClassVar[str] = "mint_failed"
    condition_id: str
    amount_micro: int


@dataclass(frozen=True, slots=True)
class MergeSubmitted:
    kind: ClassVar[str] = "merge_submitted"
    condition_id: str
    pair_count: int


@dataclass(frozen=True, slots=True)
class MergeConfirmed:
    kind: ClassVar[str] = "merge_confirmed"
    condition_id: str
    pair_count: int
    yes_token_id: str
    no_token_id: str


@dataclass(frozen=True, slots=True)
class MergeFailed:
    kind: ClassVar[str] = "merge_failed"
    condition_id: str
    pair_count: int


@dataclass(frozen=True, slots=True)
class PricesUpdated:
    kind: ClassVar[str] = "prices_updated"
    prices: tuple[tuple[str, int], ...]  # (token_id, cents 0..100), only tokens held


@dataclass(frozen=True, slots=True)
class ExitTriggered:
    kind: ClassVar[str] = "exit_triggered"


@dataclass(frozen=True, slots=True)
class ExchangeOrderIdAssigned:
    """The exchange acknowledged an order and named it: its venue id, for the orders table."""

    kind: ClassVar[str] = "exchange_order_id"
    local_id: str
    exchange_order_id: str


@dataclass(frozen=True, slots=True)
class SessionOpened:
    """The first row of every session's journal: what recovery starts the ledger from.

    Not a ledger event (the manager never applies it): the journal writes it with the session
    and recovery builds the manager from it. `initial_capital_micro` in micro-USDC, `mode`
    "paper" or "live". The session's start is the row's `recorded_at`, not a field: the payload
    of two sessions opened alike is the same bytes.
    """

    kind: ClassVar[str] = "session_opened"
    initial_capital_micro: int
    mode: str
    strategy_id: str
    config_json: str


@dataclass(frozen=True, slots=True)
class LoadedPosition:
    token_id: str
    market_id: str
    outcome: Outcome
    qty: int
    cost_micro: int  # avg_entry_price * qty, exact
    realized_micro: int


@dataclass(frozen=True, slots=True)
class PositionsLoaded:
    kind: ClassVar[str] = "positions_loaded"
    rows: tuple[LoadedPosition, ...]


Event = (
    BuySubmitted
    | SellSubmitted
    | BuyFilled
    | SellFilled
    | BuyCancelled
    | SellCancelled
    | MintSubmitted
    | MintConfirmed
    | MintFailed
    | MergeSubmitted
    | MergeConfirmed
    | MergeFailed
    | PricesUpdated
    | ExitTriggered
    | PositionsLoaded
    | ExchangeOrderIdAssigned
)

EVENT_TYPES: tuple[type[Event], ...] = get_args(Event)
"""Every event class, in the order of the `Event` union."""


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """One order as the orders table holds it."""

    local_id: str
    side: str  # "buy" | "sell"
    market_id: str
    token_id: str
    qty: int
    limit_px: int | None  # cents; None for a sell submitted without one
    tif: str
    status: OrderStatus
    filled_qty: int
    reserved_micro: int  # what the order still reserves (buy), micro-USDC
    reserved_qty: int  # what the order still reserves (sell), contracts


@dataclass(frozen=True, slots=True)
class PositionRecord:
    """One token's position as the positions table holds it (exact; avg is cost / qty)."""

    token_id: str
    market_id: str
    outcome: Outcome
    qty: int
    cost_micro: int
    realized_micro: int


# ---------------------------------------------------------------------------------------------
# Validation: raw arguments in, events out.
#
# Every builder checks all of its arguments before it builds anything, so a malformed call raises
# `InvalidInput` (naming the argument and the value) and the manager never sees it. `check_event`
# re-checks an event built elsewhere (the journal's replay) against the same bounds.
# ---------------------------------------------------------------------------------------------

MAX_QTY = 10**9 - 1
"""Largest quantity accepted or held, whole contracts (or pairs): below 10^9."""

MAX_MICRO = 10**15 - 1
"""Largest money amount accepted or held, micro-USDC: below $10^9, so that every amount (and
every quantity, by `MAX_QTY`) has at most 15 significant digits and survives a double, hence a
TypeScript `number` and the snapshot's float fields, exactly."""

MAX_ID_BYTES = 256
"""Longest identifier, in bytes of UTF-8 (the venue's token ids are 77-78 digits)."""

MAX_NUMBER_CHARS = 40
"""Longest decimal text accepted for a dollar amount or price."""

CENT_MICRO = 10_000
"""Micro-USDC per cent: a limit of `limit_px` cents is `limit_px * CENT_MICRO` per contract."""

TIFS = frozenset({"GTC", "GTD", "FOK"})
"""Time-in-force values the orders table accepts."""

# Multiplication and comparison in this context are exact (the precision is libmpdec's maximum),
# so a dollar amount converts to micro-USDC without any rounding, and any leftover fraction is seen.
_EXACT = Context(
    prec=MAX_PREC,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, Overflow, DivisionByZero],
)
_MICRO_D = Decimal(MICRO)
_MAX_DOLLARS_D = Decimal(MAX_MICRO).scaleb(-6)  # 999999999.999999
_ZERO_D = Decimal(0)
# The size of a Decimal whose coefficient is stored inline; a longer one is allocated apart.
_INLINE_DECIMAL_SIZE = Decimal(0).__sizeof__()
_ONE_D = Decimal(1)
_OUTCOMES: dict[str, Outcome] = {"YES": Outcome.YES, "NO": Outcome.NO}
_TIF_OF: dict[str, str] = {tif: tif for tif in TIFS}
_MAX_ID = MAX_ID_BYTES
_YES = Outcome.YES
_NO = Outcome.NO
_PRICE_RANGE = "a price between 0 and 1 dollar is required"
_NOT_WHOLE_MICRO = "must be a whole number of micro-USDC (at most 6 decimals of a dollar)"
_MONEY_RANGE = f"must be below 10^9 dollars (at most {_MAX_DOLLARS_D} in magnitude)"
# Plain ASCII decimal text: an optional sign, digits with an optional point, an optional
# exponent. Not Python's wider `Decimal(str)` grammar (underscores, surrounding spaces, any
# Unicode digit, NaN), and bounded in length, since converting long digit strings is quadratic.
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DECIMAL_TEXT_REASON = (
    "plain decimal text is required: ASCII digits with an optional sign, point and exponent, "
    f"at most {MAX_NUMBER_CHARS} characters"
)


def check_id(field: str, value: object) -> str:
    """An identifier: a non-empty str of valid Unicode, at most `MAX_ID_BYTES` bytes of UTF-8.

    Lone surrogates are refused: no store, JSON encoder or other language can carry them.
    """
    if type(value) is str and 0 < len(value) <= MAX_ID_BYTES and value.isascii():
        return value  # the common case: short ASCII, one byte per character
    if not isinstance(value, str) or not value:
        raise InvalidInput(field, value, "a non-empty string is required")
    if len(value) > MAX_ID_BYTES:
        raise InvalidInput(field, value, f"at most {MAX_ID_BYTES} bytes of UTF-8 are allowed")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidInput(
            field, value, "valid Unicode is required (a lone surrogate is not a character)"
        ) from None
    if size > MAX_ID_BYTES:
        raise InvalidInput(
            field, value, f"at most {MAX_ID_BYTES} bytes of UTF-8 are allowed, not {size}"
        )
    return str(value)


def check_optional_id(field: str, value: object) -> str | None:
    """An optional identifier (a fill id): None or a non-empty str."""
    if value is None:
        return None
    return check_id(field, value)


def check_qty(field: str, value: object, minimum: int = 1) -> int:
    """A whole number of contracts or pairs, `minimum`..`MAX_QTY`; bool is not a number."""
    if type(value) is int:
        if minimum <= value <= MAX_QTY:
            return value
    elif isinstance(value, int) and not isinstance(value, bool):
        if minimum <= value <= MAX_QTY:
            return int(value)
    else:
        raise InvalidInput(field, value, "an int is required")
    raise InvalidInput(
        field, value, f"must be between {minimum} and {MAX_QTY} (quantities stay below 10^9)"
    )


def check_cents(field: str, value: object, minimum: int = 1) -> int:
    """A price in whole cents of a dollar, `minimum`..100 (1..100 for an order limit)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if minimum <= value <= 100:
            return int(value)
        raise InvalidInput(field, value, f"cents of a dollar, {minimum}..100, are required")
    raise InvalidInput(field, value, f"an int (cents of a dollar, {minimum}..100) is required")


def check_outcome(field: str, value: object) -> Outcome:
    """An `Outcome` or its value, "YES" or "NO"."""
    if value is _YES or value is _NO:
        return value
    if isinstance(value, str):
        outcome = _OUTCOMES.get(value)
        if outcome is not None:
            return outcome
    raise InvalidInput(field, value, 'Outcome.YES, Outcome.NO, "YES" or "NO" is required')


def check_tif(field: str, value: object) -> str:
    """A time in force: "GTC", "GTD" or "FOK" (this module's own string, which orders share)."""
    if isinstance(value, str):
        tif = _TIF_OF.get(value)
        if tif is not None:
            return tif
    raise InvalidInput(field, value, '"GTC", "GTD" or "FOK" is required')


def _to_decimal(field: str, value: object) -> Decimal:
    """A finite Decimal from a Decimal, int, str or float (by its shortest repr), never a bool."""
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, bool):
        raise InvalidInput(field, value, "a number is required, not a bool")
    elif isinstance(value, int):
        return Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(field, value, "a finite number is required")
        return Decimal(repr(value))
    elif isinstance(value, str):
        if len(value) > MAX_NUMBER_CHARS or not _DECIMAL_TEXT.fullmatch(value):
            raise InvalidInput(field, value, _DECIMAL_TEXT_REASON)
        number = Decimal(str(value))
    else:
        raise InvalidInput(field, value, "a Decimal, int, str or float is required")
    if not number.is_finite():
        raise InvalidInput(field, value, "a finite number is required")
    return number


def _dollars_to_micro(field: str, value: object, number: Decimal) -> int:
    """`number` dollars (finite, already within bounds) as whole micro-USDC.

    More than 6 decimals is refused, never rounded. A nonzero amount under a micro-USDC is
    refused first. The exact ratio of two ints decides for an ordinary coefficient; one longer
    than a Decimal holds inline (about 76 digits) is scaled by 10^6 in `_EXACT` instead, which
    is exact and linear in its digits where the ratio is quadratic.
    """
    if number and number.adjusted() < -6:
        raise InvalidInput(field, value, _NOT_WHOLE_MICRO)
    if number.__sizeof__() <= _INLINE_DECIMAL_SIZE:
        numerator, denominator = number.as_integer_ratio()
        micro, rest = divmod(numerator * MICRO, denominator)
        if rest:
            raise InvalidInput(field, value, _NOT_WHOLE_MICRO)
        return micro
    scaled = number.scaleb(6, context=_EXACT)
    if scaled != scaled.to_integral_value(context=_EXACT):
        raise InvalidInput(field, value, _NOT_WHOLE_MICRO)
    return int(scaled)


def money_micro(field: str, value: object, *, signed: bool = False) -> int:
    """A dollar amount as exact micro-USDC, |amount| <= MAX_MICRO (below 10^9 dollars).

    Non-negative unless `signed` (a realised PnL).
    """
    if type(value) is int:
        micro = value * MICRO
    else:
        number = _to_decimal(field, value)
        if not -_MAX_DOLLARS_D <= number <= _MAX_DOLLARS_D:
            raise InvalidInput(field, value, _MONEY_RANGE)
        micro = _dollars_to_micro(field, value, number)
    if not -MAX_MICRO <= micro <= MAX_MICRO:
        raise InvalidInput(field, value, _MONEY_RANGE)
    if not signed and micro < 0:
        raise InvalidInput(field, value, "must be 0 dollars or more")
    return micro


def price_micro(field: str, value: object) -> int:
    """A fill price in dollars, 0..1, as exact micro-USDC per contract (0..1_000_000)."""
    if type(value) is Decimal:
        number = value
        if not number.is_finite():
            raise InvalidInput(field, value, "a finite number is required")
    elif type(value) is int:
        if 0 <= value <= 1:
            return value * MICRO
        raise InvalidInput(field, value, _PRICE_RANGE)
    else:
        number = _to_decimal(field, value)
    if not _ZERO_D <= number <= _ONE_D:
        raise InvalidInput(field, value, _PRICE_RANGE)
    return _dollars_to_micro(field, value, number)


def _check_micro(field: str, value: object, low: int, high: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return int(value)
    raise InvalidInput(field, value, f"an int of micro-USDC, {low}..{high}, is required")


def _check_outcome_strict(field: str, value: object) -> Outcome:
    if isinstance(value, Outcome):
        return value
    raise InvalidInput(field, value, "an Outcome is required")


# Builders: one per event, arguments in the manager's order.
#
# The two fill builders (the hot path: one per fill) fill the slots through their descriptors
# instead of calling the frozen dataclass's __init__, which goes through object.__setattr__ for
# each field and costs about twice as much. The result is an ordinary, equal, frozen instance.


def _slot_setters(cls: type) -> tuple[Callable[[object, object], None], ...]:
    names = tuple(f.name for f in fields(cls))
    slots = getattr(cls, "__slots__", None)
    if slots != names:  # the setters below rely on this order
        raise TypeError(f"{cls.__name__}: slots {slots} differ from fields {names}")
    return tuple(getattr(cls, name).__set__ for name in names)


_new = object.__new__
_intern = sys.intern
(
    _set_bf_local_id,
    _set_bf_token_id,
    _set_bf_market_id,
    _set_bf_outcome,
    _set_bf_fill_qty,
    _set_bf_price_micro,
    _set_bf_order_qty,
    _set_bf_fill_id,
    _set_bf_fee_micro,
) = _slot_setters(BuyFilled)
(
    _set_sf_local_id,
    _set_sf_token_id,
    _set_sf_fill_qty,
    _set_sf_price_micro,
    _set_sf_order_qty,
    _set_sf_fill_id,
    _set_sf_fee_micro,
) = _slot_setters(SellFilled)


def buy_submitted(  # noqa: PLR0917 (the manager's argument order)
    local_id: object,
    market_id: object,
    token_id: object,
    outcome: object,
    qty: object,
    limit_px: object,
    tif: object = "GTC",
) -> BuySubmitted:
    # The order keeps its market and token ids for its lifetime: interned, the orders of one
    # token share one string instead of holding a copy each (Polymarket's ids are ~70 chars).
    return BuySubmitted(
        check_id("local_id", local_id),
        _intern(check_id("market_id", market_id)),
        _intern(check_id("token_id", token_id)),
        check_outcome("outcome", outcome),
        check_qty("qty", qty),
        check_cents("limit_px", limit_px),
        check_tif("tif", tif),
    )


def sell_submitted(
    local_id: object,
    token_id: object,
    qty: object,
    limit_px: object = None,
    tif: object = "GTC",
) -> SellSubmitted:
    return SellSubmitted(
        check_id("local_id", local_id),
        _intern(check_id("token_id", token_id)),
        check_qty("qty", qty),
        None if limit_px is None else check_cents("limit_px", limit_px),
        check_tif("tif", tif),
    )


def buy_filled(  # noqa: PLR0917 (the manager's argument order)
    local_id: object,
    token_id: object,
    market_id: object,
    outcome: object,
    fill_qty: object,
    fill_price: object,
    order_qty: object,
    fill_id: object = None,
    fee_usd: object = 0,
) -> BuyFilled:
    # Each check inlines its common case (an exact str or int in range) and calls the full
    # check otherwise, which accepts the same values and names the argument when it refuses.
    event: BuyFilled = _new(BuyFilled)
    _set_bf_local_id(
        event,
        local_id
        if type(local_id) is str and 0 < len(local_id) <= _MAX_ID and local_id.isascii()
        else check_id("local_id", local_id),
    )
    _set_bf_token_id(
        event,
        token_id
        if type(token_id) is str and 0 < len(token_id) <= _MAX_ID and token_id.isascii()
        else check_id("token_id", token_id),
    )
    _set_bf_market_id(
        event,
        market_id
        if type(market_id) is str and 0 < len(market_id) <= _MAX_ID and market_id.isascii()
        else check_id("market_id", market_id),
    )
    _set_bf_outcome(
        event, outcome if outcome is _YES or outcome is _NO else check_outcome("outcome", outcome)
    )
    _set_bf_fill_qty(
        event,
        fill_qty
        if type(fill_qty) is int and 0 < fill_qty <= MAX_QTY
        else check_qty("fill_qty", fill_qty),
    )
    _set_bf_price_micro(event, price_micro("fill_price", fill_price))
    _set_bf_order_qty(
        event,
        order_qty
        if type(order_qty) is int and 0 < order_qty <= MAX_QTY
        else check_qty("order_qty", order_qty),
    )
    _set_bf_fill_id(event, None if fill_id is None else check_id("fill_id", fill_id))
    _set_bf_fee_micro(
        event, 0 if type(fee_usd) is int and fee_usd == 0 else money_micro("fee_usd", fee_usd)
    )
    return event


def sell_filled(  # noqa: PLR0917 (the manager's argument order)
    local_id: object,
    token_id: object,
    fill_qty: object,
    fill_price: object,
    order_qty: object,
    fill_id: object = None,
    fee_usd: object = 0,
) -> SellFilled:
    event: SellFilled = _new(SellFilled)
    _set_sf_local_id(
        event,
        local_id
        if type(local_id) is str and 0 < len(local_id) <= _MAX_ID and local_id.isascii()
        else check_id("local_id", local_id),
    )
    _set_sf_token_id(
        event,
        token_id
        if type(token_id) is str and 0 < len(token_id) <= _MAX_ID and token_id.isascii()
        else check_id("token_id", token_id),
    )
    _set_sf_fill_qty(
        event,
        fill_qty
        if type(fill_qty) is int and 0 < fill_qty <= MAX_QTY
        else check_qty("fill_qty", fill_qty),
    )
    _set_sf_price_micro(event, price_micro("fill_price", fill_price))
    _set_sf_order_qty(
        event,
        order_qty
        if type(order_qty) is int and 0 < order_qty <= MAX_QTY
        else check_qty("order_qty", order_qty),
    )
    _set_sf_fill_id(event, None if fill_id is None else check_id("fill_id", fill_id))
    _set_sf_fee_micro(
        event, 0 if type(fee_usd) is int and fee_usd == 0 else money_micro("fee_usd", fee_usd)
    )
    return event


def buy_cancelled(local_id: object, remaining_qty: object, limit_px: object) -> BuyCancelled:
    return BuyCancelled(
        check_id("local_id", local_id),
        check_qty("remaining_qty", remaining_qty, minimum=0),
        check_cents("limit_px", limit_px),
    )


def sell_cancelled(local_id: object, token_id: object, remaining_qty: object) -> SellCancelled:
    return SellCancelled(
        check_id("local_id", local_id),
        check_id("token_id", token_id),
        check_qty("remaining_qty", remaining_qty, minimum=0),
    )


def mint_submitted(condition_id: object, amount_usd: object) -> MintSubmitted:
    return MintSubmitted(
        check_id("condition_id", condition_id),
        money_micro("amount_usd", amount_usd),
    )


def mint_confirmed(
    condition_id: object,
    pair_count: object,
    yes_token_id: object,
    no_token_id: object,
    market_id: object,
) -> MintConfirmed:
    event = MintConfirmed(
        check_id("condition_id", condition_id),
        check_qty("pair_count", pair_count),
        check_id("yes_token_id", yes_token_id),
        check_id("no_token_id", no_token_id),
        check_id("market_id", market_id),
    )
    _check_distinct_tokens(event.yes_token_id, event.no_token_id)
    return event


def mint_failed(condition_id: object, amount_usd: object) -> MintFailed:
    return MintFailed(
        check_id("condition_id", condition_id),
        money_micro("amount_usd", amount_usd),
    )


def merge_submitted(condition_id: object, pair_count: object) -> MergeSubmitted:
    return MergeSubmitted(
        check_id("condition_id", condition_id), check_qty("pair_count", pair_count)
    )


def merge_confirmed(
    condition_id: object, pair_count: object, yes_token_id: object, no_token_id: object
) -> MergeConfirmed:
    event = MergeConfirmed(
        check_id("condition_id", condition_id),
        check_qty("pair_count", pair_count),
        check_id("yes_token_id", yes_token_id),
        check_id("no_token_id", no_token_id),
    )
    _check_distinct_tokens(event.yes_token_id, event.no_token_id)
    return event


def merge_failed(condition_id: object, pair_count: object) -> MergeFailed:
    return MergeFailed(check_id("condition_id", condition_id), check_qty("pair_count", pair_count))


def exchange_order_id_assigned(
    local_id: object, exchange_order_id: object
) -> ExchangeOrderIdAssigned:
    return ExchangeOrderIdAssigned(
        check_id("local_id", local_id), check_id("exchange_order_id", exchange_order_id)
    )


def _check_distinct_tokens(yes_token_id: str, no_token_id: str) -> None:
    if yes_token_id == no_token_id:
        raise InvalidInput("no_token_id", no_token_id, "must differ from yes_token_id")


def check_prices(prices: object) -> dict[str, int]:
    """`update_prices`' argument: a mapping of token id to cents of a dollar, 0..100."""
    if not isinstance(prices, Mapping):
        raise InvalidInput("prices", prices, "a mapping of token id to cents (0..100) is required")
    checked: dict[str, int] = {}
    for token_id, cents in prices.items():
        check_id("prices", token_id)
        if isinstance(cents, int) and not isinstance(cents, bool) and 0 <= cents <= 100:
            checked[token_id] = int(cents)
        else:
            raise InvalidInput(f"prices[{token_id!r}]", cents, "an int (cents, 0..100) is required")
    return checked


LoadedRow = tuple[object, object, object, object, object, object]
"""A fast-start cache row: (token_id, market_id, outcome, qty, avg_entry_price, realized_pnl)."""


def loaded_position(index: int, row: object) -> LoadedPosition:
    """One `load_positions` row, checked: cost `avg_entry_price * qty` must be whole micro-USDC.

    `market_id` may be empty: a placeholder position (a token sold before any fact named its
    market) is saved and loaded as it is.
    """
    where = f"rows[{index}]"
    if isinstance(row, LoadedPosition):
        return check_loaded_position(where, row)
    if not isinstance(row, tuple | list) or len(row) != 6:
        raise InvalidInput(
            where,
            row,
            "(token_id, market_id, outcome, qty, avg_entry_price, realized_pnl) is required",
        )
    token_id, market_id, outcome, qty, avg, realized = row
    if not isinstance(market_id, str):
        raise InvalidInput(f"{where}.market_id", market_id, "a string is required")
    if market_id:
        check_id(f"{where}.market_id", market_id)
    qty_i = check_qty(f"{where}.qty", qty, minimum=0)
    avg_d = _to_decimal(f"{where}.avg_entry_price", avg)
    if not 0 <= avg_d <= 1:
        raise InvalidInput(
            f"{where}.avg_entry_price", avg, "a price between 0 and 1 dollar is required"
        )
    cost = _EXACT.multiply(_EXACT.multiply(avg_d, Decimal(qty_i)), _MICRO_D)
    if cost != cost.to_integral_value(context=_EXACT):
        raise InvalidInput(
            f"{where}.avg_entry_price",
            avg,
            f"avg_entry_price * qty ({qty_i}) must be a whole number of micro-USDC",
        )
    return LoadedPosition(
        check_id(f"{where}.token_id", token_id),
        str(market_id),
        check_outcome(f"{where}.outcome", outcome),
        qty_i,
        int(cost),
        money_micro(f"{where}.realized_pnl", realized, signed=True),
    )


def check_loaded_position(where: str, row: LoadedPosition) -> LoadedPosition:
    """A `LoadedPosition` built elsewhere, checked against the same bounds."""
    check_id(f"{where}.token_id", row.token_id)
    if not isinstance(row.market_id, str):
        raise InvalidInput(f"{where}.market_id", row.market_id, "a string is required")
    if row.market_id:
        check_id(f"{where}.market_id", row.market_id)
    _check_outcome_strict(f"{where}.outcome", row.outcome)
    qty = check_qty(f"{where}.qty", row.qty, minimum=0)
    _check_micro(f"{where}.cost_micro", row.cost_micro, 0, qty * MICRO)
    _check_micro(f"{where}.realized_micro", row.realized_micro, -MAX_MICRO, MAX_MICRO)
    return row


def positions_loaded(rows: object) -> PositionsLoaded:
    """`load_positions`' argument: an iterable of rows, each token at most once."""
    if isinstance(rows, str | bytes) or not isinstance(rows, Iterable):
        raise InvalidInput("rows", rows, "an iterable of position rows is required")
    checked = tuple(loaded_position(i, row) for i, row in enumerate(rows))
    _check_unique_tokens(checked)
    return PositionsLoaded(checked)


def _check_unique_tokens(rows: tuple[LoadedPosition, ...]) -> None:
    seen: set[str] = set()
    for i, row in enumerate(rows):
        if row.token_id in seen:
            raise InvalidInput(f"rows[{i}].token_id", row.token_id, "appears twice in rows")
        seen.add(row.token_id)


def check_event(event: object) -> Event:
    """Re-check an event built outside the builders (a journal replay) against the same bounds.

    Raises `InvalidInput` naming the event's field; returns the event itself.
    """
    checker = _EVENT_CHECKS.get(type(event))
    if checker is None:
        raise InvalidInput("event", event, "an event of weatherman_inventory.events is required")
    checker(event)
    return event  # type: ignore[return-value]


def _check_buy_submitted(e: BuySubmitted) -> None:
    check_id("local_id", e.local_id)
    check_id("market_id", e.market_id)
    check_id("token_id", e.token_id)
    _check_outcome_strict("outcome", e.outcome)
    check_qty("qty", e.qty)
    check_cents("limit_px", e.limit_px)
    check_tif("tif", e.tif)


def _check_sell_submitted(e: SellSubmitted) -> None:
    check_id("local_id", e.local_id)
    check_id("token_id", e.token_id)
    check_qty("qty", e.qty)
    if e.limit_px is not None:
        check_cents("limit_px", e.limit_px)
    check_tif("tif", e.tif)


def _check_buy_filled(e: BuyFilled) -> None:
    check_id("local_id", e.local_id)
    check_id("token_id", e.token_id)
    check_id("market_id", e.market_id)
    _check_outcome_strict("outcome", e.outcome)
    check_qty("fill_qty", e.fill_qty)
    _check_micro("price_micro", e.price_micro, 0, MICRO)
    check_qty("order_qty", e.order_qty)
    check_optional_id("fill_id", e.fill_id)
    _check_micro("fee_micro", e.fee_micro, 0, MAX_MICRO)


def _check_sell_filled(e: SellFilled) -> None:
    check_id("local_id", e.local_id)
    check_id("token_id", e.token_id)
    check_qty("fill_qty", e.fill_qty)
    _check_micro("price_micro", e.price_micro, 0, MICRO)
    check_qty("order_qty", e.order_qty)
    check_optional_id("fill_id", e.fill_id)
    _check_micro("fee_micro", e.fee_micro, 0, MAX_MICRO)


def _check_buy_cancelled(e: BuyCancelled) -> None:
    check_id("local_id", e.local_id)
    check_qty("remaining_qty", e.remaining_qty, minimum=0)
    check_cents("limit_px", e.limit_px)


def _check_sell_cancelled(e: SellCancelled) -> None:
    check_id("local_id", e.local_id)
    check_id("token_id", e.token_id)
    check_qty("remaining_qty", e.remaining_qty, minimum=0)


def _check_mint_amount(e: MintSubmitted | MintFailed) -> None:
    check_id("condition_id", e.condition_id)
    _check_micro("amount_micro", e.amount_micro, 0, MAX_MICRO)


def _check_mint_confirmed(e: MintConfirmed) -> None:
    check_id("condition_id", e.condition_id)
    check_qty("pair_count", e.pair_count)
    check_id("yes_token_id", e.yes_token_id)
    check_id("no_token_id", e.no_token_id)
    check_id("market_id", e.market_id)
    _check_distinct_tokens(e.yes_token_id, e.no_token_id)


def _check_merge_count(e: MergeSubmitted | MergeFailed) -> None:
    check_id("condition_id", e.condition_id)
    check_qty("pair_count", e.pair_count)


def _check_merge_confirmed(e: MergeConfirmed) -> None:
    check_id("condition_id", e.condition_id)
    check_qty("pair_count", e.pair_count)
    check_id("yes_token_id", e.yes_token_id)
    check_id("no_token_id", e.no_token_id)
    _check_distinct_tokens(e.yes_token_id, e.no_token_id)


def _check_prices_updated(e: PricesUpdated) -> None:
    if not isinstance(e.prices, tuple):
        raise InvalidInput("prices", e.prices, "a tuple of (token_id, cents) is required")
    for item in e.prices:
        if not (isinstance(item, tuple) and len(item) == 2):
            raise InvalidInput("prices", item, "(token_id, cents) is required")
        check_id("prices", item[0])
        check_cents(f"prices[{item[0]!r}]", item[1], minimum=0)


def _check_exit_triggered(e: ExitTriggered) -> None:
    return None


def _check_exchange_order_id(e: ExchangeOrderIdAssigned) -> None:
    check_id("local_id", e.local_id)
    check_id("exchange_order_id", e.exchange_order_id)


def _check_positions_loaded(e: PositionsLoaded) -> None:
    if not isinstance(e.rows, tuple):
        raise InvalidInput("rows", e.rows, "a tuple of LoadedPosition is required")
    for i, row in enumerate(e.rows):
        if not isinstance(row, LoadedPosition):
            raise InvalidInput(f"rows[{i}]", row, "a LoadedPosition is required")
        check_loaded_position(f"rows[{i}]", row)
    _check_unique_tokens(e.rows)


_EVENT_CHECKS: dict[type, Callable[[Any], None]] = {
    BuySubmitted: _check_buy_submitted,
    SellSubmitted: _check_sell_submitted,
    BuyFilled: _check_buy_filled,
    SellFilled: _check_sell_filled,
    BuyCancelled: _check_buy_cancelled,
    SellCancelled: _check_sell_cancelled,
    MintSubmitted: _check_mint_amount,
    MintConfirmed: _check_mint_confirmed,
    MintFailed: _check_mint_amount,
    MergeSubmitted: _check_merge_count,
    MergeConfirmed: _check_merge_confirmed,
    MergeFailed: _check_merge_count,
    PricesUpdated: _check_prices_updated,
    ExitTriggered: _check_exit_triggered,
    PositionsLoaded: _check_positions_loaded,
    ExchangeOrderIdAssigned: _check_exchange_order_id,
}


# ---------------------------------------------------------------------------------------------
# Decoding: an event from the plain values of its fields, checked.
#
# The journal stores an event as the JSON array of its fields in declaration order (an outcome
# as its value, prices as [token_id, cents] pairs, loaded positions as arrays of their fields).
# `FROM_FIELDS[kind]` turns such an array back into the event, checked against the same bounds as
# the builders, or raises `InvalidInput` naming the field: a corrupted journal row is refused,
# never applied. Recovery applies what comes out of here without checking it again.
#
# `_checked_from_fields` is the authority: it builds the event and runs `check_event` on it. The
# kinds a long journal is made of also have a fast path that tests every field's exact JSON type
# and range inline and fills the slots directly; it accepts a subset of what the authority
# accepts, builds an equal event, and hands anything else to the authority, so an error always
# names its field the same way.
# ---------------------------------------------------------------------------------------------

_FIELD_NAMES: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in fields(cls)) for cls in EVENT_TYPES
}


def _outcome_of(field: str, value: object) -> Outcome:
    outcome = _OUTCOMES.get(value) if type(value) is str else None
    if outcome is None:
        raise InvalidInput(field, value, '"YES" or "NO" is required')
    return outcome


def _pairs_of(field: str, value: object, width: int, shape: str) -> list[list[Any]]:
    if type(value) is not list:
        raise InvalidInput(field, value, f"an array of {shape} is required")
    for item in value:
        if type(item) is not list or len(item) != width:
            raise InvalidInput(field, item, f"{shape} is required")
    return value


def _checked_from_fields(cls: type[Any], values: object) -> Event:
    """`cls` from the JSON values of its fields, checked by `check_event`."""
    names = _FIELD_NAMES[cls]
    if type(values) is not list or len(values) != len(names):
        raise InvalidInput(
            cls.kind, values, f"a JSON array of its {len(names)} fields {list(names)} is required"
        )
    args = list(values)
    if cls is PricesUpdated:
        pairs = _pairs_of("prices", args[0], 2, "[token_id, cents]")
        args[0] = tuple((token_id, cents) for token_id, cents in pairs)
    elif cls is PositionsLoaded:
        rows = _pairs_of("rows", args[0], 6, "an array of the 6 fields of a loaded position")
        args[0] = tuple(
            LoadedPosition(t, m, _outcome_of(f"rows[{i}].outcome", o), q, c, r)
            for i, (t, m, o, q, c, r) in enumerate(rows)
        )
    elif "outcome" in names:
        at = names.index("outcome")
        args[at] = _outcome_of("outcome", args[at])
    return check_event(cls(*args))


(
    _set_bs_local_id,
    _set_bs_market_id,
    _set_bs_token_id,
    _set_bs_outcome,
    _set_bs_qty,
    _set_bs_limit_px,
    _set_bs_tif,
) = _slot_setters(BuySubmitted)
(
    _set_ss_local_id,
    _set_ss_token_id,
    _set_ss_qty,
    _set_ss_limit_px,
    _set_ss_tif,
) = _slot_setters(SellSubmitted)
_set_bc_local_id, _set_bc_remaining_qty, _set_bc_limit_px = _slot_setters(BuyCancelled)
_set_sc_local_id, _set_sc_token_id, _set_sc_remaining_qty = _slot_setters(SellCancelled)
(_set_pu_prices,) = _slot_setters(PricesUpdated)


def _buy_submitted_from_fields(v: object) -> Event:
    if type(v) is list and len(v) == 7:
        local_id, market_id, token_id, outcome, qty, limit_px, tif = v
        outcome = _OUTCOMES.get(outcome) if type(outcome) is str else None
        tif = _TIF_OF.get(tif) if type(tif) is str else None
        if (
            type(local_id) is str
            and 0 < len(local_id) <= _MAX_ID
            and local_id.isascii()
            and type(market_id) is str
            and 0 < len(market_id) <= _MAX_ID
            and market_id.isascii()
            and type(token_id) is str
            and 0 < len(token_id) <= _MAX_ID
            and token_id.isascii()
            and outcome is not None
            and type(qty) is int
            and 0 < qty <= MAX_QTY
            and type(limit_px) is int
            and 0 < limit_px <= 100
            and tif is not None
        ):
            e: BuySubmitted = _new(BuySubmitted)
            _set_bs_local_id(e, local_id)
            _set_bs_market_id(e, _intern(market_id))
            _set_bs_token_id(e, _intern(token_id))
            _set_bs_outcome(e, outcome)
            _set_bs_qty(e, qty)
            _set_bs_limit_px(e, limit_px)
            _set_bs_tif(e, tif)
            return e
    return _checked_from_fields(BuySubmitted, v)


def _sell_submitted_from_fields(v: object) -> Event:
    if type(v) is list and len(v) == 5:
        local_id, token_id, qty, limit_px, tif = v
        tif = _TIF_OF.get(tif) if type(tif) is str else None
        if (
            type(local_id) is str
            and 0 < len(local_id) <= _MAX_ID
            and local_id.isascii()
            and type(token_id) is str
            and 0 < len(token_id) <= _MAX_ID
            and token_id.isascii()
            and type(qty) is int
            and 0 < qty <= MAX_QTY
            and (limit_px is None or (type(limit_px) is int and 0 < limit_px <= 100))
            and tif is not None
        ):
            e: SellSubmitted = _new(SellSubmitted)
            _set_ss_local_id(e, local_id)
            _set_ss_token_id(e, _intern(token_id))
            _set_ss_qty(e, qty)
            _set_ss_limit_px(e, limit_px)
            _set_ss_tif(e, tif)
            return e
    return _checked_from_fields(SellSubmitted, v)


def _buy_filled_from_fields(v: object) -> Event:
    if type(v) is list and len(v) == 9:
        local_id, token_id, market_id, outcome, fill_qty, price, order_qty, fill_id, fee = v
        outcome = _OUTCOMES.get(outcome) if type(outcome) is str else None
        if (
            type(local_id) is str
            and 0 < len(local_id) <= _MAX_ID
            and local_id.isascii()
            and type(token_id) is str
            and 0 < len(token_id) <= _MAX_ID
            and token_id.isascii()
            and type(market_id) is str
            and 0 < len(market_id) <= _MAX_ID
            and market_id.isascii()
            and outcome is not None
            and type(fill_qty) is int
            and 0 < fill_qty <= MAX_QTY
            and type(price) is int
            and 0 <= price <= MICRO
            and type(order_qty) is int
            and 0 < order_qty <= MAX_QTY
            and (
                fill_id is None
                or (type(fill_id) is str and 0 < len(fill_id) <= _MAX_ID and fill_id.isascii())
            )
            and type(fee) is int
            and 0 <= fee <= MAX_MICRO
        ):
            e: BuyFilled = _new(BuyFilled)
            _set_bf_local_id(e, local_id)
            _set_bf_token_id(e, token_id)
            _set_bf_market_id(e, market_id)
            _set_bf_outcome(e, outcome)
            _set_bf_fill_qty(e, fill_qty)
            _set_bf_price_micro(e, price)
            _set_bf_order_qty(e, order_qty)
            _set_bf_fill_id(e, fill_id)
            _set_bf_fee_micro(e, fee)
            return e
    return _checked_from_fields(BuyFilled, v)


def _sell_filled_from_fields(v: object) -> Event:
    if type(v) is list and len(v) == 7:
        local_id, token_id, fill_qty, price, order_qty, fill_id, fee = v
        if (
            type(local_id) is str
            and 0 < len(local_id) <= _MAX_ID
            and local_id.isascii()
            and type(token_id) is str
            and 0 < len(token_id) <= _MAX_ID
            and token_id.isascii()
            and type(fill_qty) is int
            and 0 < fill_qty <= MAX_QTY
            and type(price) is int
            and 0 <= price <= MICRO
            and type(order_qty) is int
            and 0 < order_qty <= MAX_QTY
            and (
                fill_id is None
                or (type(fill_id) is str and 0 < len(fill_id) <= _MAX_ID and fill_id.isascii())
            )
            and type(fee) is int
            and 0 <= fee <= MAX_MICRO
        ):
            e: SellFilled = _new(SellFilled)
            _set_sf_local_id(e, local_id)
            _set_sf_token_id(e, token_id)
            _set_sf_fill_qty(e, fill_qty)
            _set_sf_price_micro(e, price)
            _set_sf_order_qty(e, order_qty)
            _set_sf_fill_id(e, fill_id)
            _set_sf_fee_micro(e, fee)
            return e
    return _checked_from_fields(SellFilled, v)


def _buy_cancelled_from_fields(v: object) -> Event:
    if type(v) is list and len(v) == 3:
        local_id, remaining_qty, limit_px = v
        if (
            type(local_id) is str
            and 0 < len(local_id) <= _MAX_ID
            and local_id.isascii()
            and type(remaining_qty) is int
            and 0 <= remaining_qty <= MAX_QTY
            and type(limit_px) is int
            and 0 < limit_px <= 100
        ):
            e: BuyCancelled = _new(BuyCancelled)
            _set_bc_local_id(e, local_id)
            _set_bc_remaining_qty(e, remaining_qty)
            _set_bc_limit_px(e, limit_px)
            return e
    return _checked_from_fields(BuyCancelled, v)


def _sell_cancelled_from_fields(v: object) -> Event:
    if type(v) is list and len(v) == 3:
        local_id, token_id, remaining_qty = v
        if (
            type(local_id) is str
            and 0 < len(local_id) <= _MAX_ID
            and local_id.isascii()
            and type(token_id) is str
            and 0 < len(token_id) <= _MAX_ID
            and token_id.isascii()
            and type(remaining_qty) is int
            and 0 <= remaining_qty <= MAX_QTY
        ):
            e: SellCancelled = _new(SellCancelled)
            _set_sc_local_id(e, local_id)
            _set_sc_token_id(e, token_id)
            _set_sc_remaining_qty(e, remaining_qty)
            return e
    return _checked_from_fields(SellCancelled, v)


def _prices_updated_from_fields(v: object) -> Event:
    if type(v) is list and len(v) == 1 and type(v[0]) is list:
        prices = []
        for item in v[0]:
            if type(item) is not list or len(item) != 2:
                break
            token_id, cents = item
            if (
                type(token_id) is not str
                or not 0 < len(token_id) <= _MAX_ID
                or type(cents) is not int
            ):
                break
            if not (token_id.isascii() and 0 <= cents <= 100):
                break
            prices.append((token_id, cents))
        else:
            e: PricesUpdated = _new(PricesUpdated)
            _set_pu_prices(e, tuple(prices))
            return e
    return _checked_from_fields(PricesUpdated, v)


def _checked(cls: type[Any]) -> Callable[[object], Event]:
    return lambda values: _checked_from_fields(cls, values)


FROM_FIELDS: dict[str, Callable[[object], Event]] = {
    BuySubmitted.kind: _buy_submitted_from_fields,
    SellSubmitted.kind: _sell_submitted_from_fields,
    BuyFilled.kind: _buy_filled_from_fields,
    SellFilled.kind: _sell_filled_from_fields,
    BuyCancelled.kind: _buy_cancelled_from_fields,
    SellCancelled.kind: _sell_cancelled_from_fields,
    MintSubmitted.kind: _checked(MintSubmitted),
    MintConfirmed.kind: _checked(MintConfirmed),
    MintFailed.kind: _checked(MintFailed),
    MergeSubmitted.kind: _checked(MergeSubmitted),
    MergeConfirmed.kind: _checked(MergeConfirmed),
    MergeFailed.kind: _checked(MergeFailed),
    PricesUpdated.kind: _prices_updated_from_fields,
    ExitTriggered.kind: _checked(ExitTriggered),
    PositionsLoaded.kind: _checked(PositionsLoaded),
    ExchangeOrderIdAssigned.kind: _checked(ExchangeOrderIdAssigned),
}
"""Event kind -> the checked constructor from the JSON values of the event's fields (see above).

Raises `InvalidInput` naming the field for any value the builders would refuse."""


def _session_opened_from_fields(values: object) -> SessionOpened:
    names = tuple(f.name for f in fields(SessionOpened))
    if type(values) is not list or len(values) != len(names):
        raise InvalidInput(
            SessionOpened.kind,
            values,
            f"a JSON array of its {len(names)} fields {list(names)} is required",
        )
    capital, mode, strategy_id, config_json = values
    _check_micro("initial_capital_micro", capital, 0, MAX_MICRO)
    if mode not in ("paper", "live"):
        raise InvalidInput("mode", mode, "must be 'paper' or 'live'")
    for name, value in (("strategy_id", strategy_id), ("config_json", config_json)):
        if type(value) is not str:
            raise InvalidInput(name, value, "a string is required")
    return SessionOpened(capital, mode, strategy_id, config_json)


SESSION_OPENED_FROM_FIELDS: Callable[[object], SessionOpened] = _session_opened_from_fields
"""The checked `SessionOpened` from the JSON values of its fields (a journal's first row)."""
