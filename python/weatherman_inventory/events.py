"""The ledger's vocabulary: validated events in, durable records out.

An event is what the InventoryManager accepted, already checked and in exact integer units:
money in micro-USDC (1e-6 dollar, the unit USDC settles in), quantities in micro-shares (1e-6
share, the unit the venue's ERC-1155 balances have), order limits and marks in micro-USDC per
share (0.01 dollar is 10_000), fill prices in micro-USDC per share (0..1_000_000). The journal
stores events as they are and recovery feeds them back through the same code, so these classes
are the journal's format too.

Each event's fields are declared once, with their kind (`EVENT_FIELDS`): an id, a quantity, a
limit, a price, money... From that declaration this module derives, at import time, the
builders (the manager's raw arguments, checked, in, an event out), `check_event` (an event built
elsewhere, checked) and the journal decoders (`FROM_FIELDS`, in the current units, and
`LEGACY_FROM_FIELDS` for journals written in whole contracts and cents). The builders and
decoders are generated as straight-line Python source, as dataclasses generates `__init__`: the
common case of every field is tested inline and anything else goes to the kind's full check,
which accepts the same values and names the argument when it refuses.

Records are the manager's state for one order or one token, as the store's tables hold it.
"""

from __future__ import annotations

import functools
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
from typing import Any, ClassVar, Final, NamedTuple, get_args

from weatherman_inventory._native import SlotMaker
from weatherman_inventory.errors import InvalidInput
from weatherman_inventory.models import Outcome

__all__ = [
    "CASH_ADJUSTMENTS",
    "CENT_MICRO",
    "EVENT_FIELDS",
    "EVENT_TYPES",
    "FILL_EVENTS",
    "FILL_STATUSES",
    "FROM_FIELDS",
    "JOURNAL_FORMAT",
    "LEGACY_FROM_FIELDS",
    "MAX_ID_BYTES",
    "MAX_MICRO",
    "MAX_NUMBER_CHARS",
    "MAX_QTY",
    "MAX_QTY_MICRO",
    "MICRO",
    "PAYOUTS_MICRO",
    "SESSION_OPENED_FROM_FIELDS",
    "SETTLEMENT_STATUSES",
    "TIFS",
    "BuyCancelled",
    "BuyFilled",
    "BuySubmitted",
    "CashAdjusted",
    "CashReconciled",
    "Event",
    "ExchangeOrderIdAssigned",
    "ExitTriggered",
    "FieldSpec",
    "FillStatusChanged",
    "LoadedPosition",
    "MarketResolved",
    "MergeConfirmed",
    "MergeFailed",
    "MergeSubmitted",
    "MintConfirmed",
    "MintFailed",
    "MintSubmitted",
    "OrderAdopted",
    "OrderDropped",
    "OrderRecord",
    "OrderStatus",
    "PositionReconciled",
    "PositionRecord",
    "PositionsLoaded",
    "PricesUpdated",
    "RedemptionConfirmed",
    "RedemptionFailed",
    "RedemptionSubmitted",
    "SellCancelled",
    "SellFilled",
    "SellSubmitted",
    "SessionOpened",
    "StaleFillsChecked",
    "buy_cancelled",
    "buy_filled",
    "buy_submitted",
    "cash_leg_micro",
    "cash_reconciled",
    "check_event",
    "check_id",
    "check_limit",
    "check_mark",
    "check_order_side",
    "check_outcome",
    "check_prices",
    "check_qty",
    "check_settlement_status",
    "check_status",
    "check_tif",
    "exchange_order_id_assigned",
    "fill_status_changed",
    "format_shares",
    "loaded_position",
    "market_resolved",
    "merge_confirmed",
    "merge_failed",
    "merge_submitted",
    "mint_confirmed",
    "mint_failed",
    "mint_submitted",
    "money_micro",
    "order_adopted",
    "order_dropped",
    "position_reconciled",
    "positions_loaded",
    "price_micro",
    "redemption_confirmed",
    "redemption_failed",
    "redemption_submitted",
    "reserve_micro",
    "sell_cancelled",
    "sell_filled",
    "sell_submitted",
    "shares_micro",
    "stale_fills_checked",
]

MICRO = 1_000_000
"""Micro-USDC per dollar, and micro-shares per share."""

JOURNAL_FORMAT: Final = 2
"""The units of a session's journal rows, named by its `session_opened` row: 2 is micro-shares
and micro-USDC per share; a session whose first row has no format (1) wrote whole contracts and
limits and marks in cents, and its rows are scaled as they are decoded."""


class OrderStatus(StrEnum):
    """Lifecycle of an order, as the orders table spells it."""

    SUBMITTED = "SUBMITTED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"


FILL_STATUSES: Final = ("MATCHED", "MINED", "RETRYING", "CONFIRMED")
"""The settlement statuses a fill may carry when it arrives (None: final)."""

SETTLEMENT_STATUSES: Final = ("MATCHED", "MINED", "RETRYING", "CONFIRMED", "FAILED")
"""The statuses `on_fill_status` moves a fill to; CONFIRMED and FAILED are terminal."""


@dataclass(frozen=True, slots=True)
class BuySubmitted:
    kind: ClassVar[str] = "buy_submitted"
    local_id: str
    market_id: str
    token_id: str
    outcome: Outcome
    qty_micro: int  # micro-shares
    limit_micro: int  # micro-USDC per share, 1..1_000_000
    tif: str = "GTC"


@dataclass(frozen=True, slots=True)
class SellSubmitted:
    kind: ClassVar[str] = "sell_submitted"
    local_id: str
    token_id: str
    qty_micro: int
    limit_micro: int | None = None  # micro-USDC per share, when the caller gave it
    tif: str = "GTC"


@dataclass(frozen=True, slots=True)
class BuyFilled:
    kind: ClassVar[str] = "buy_filled"
    local_id: str
    token_id: str
    market_id: str
    outcome: Outcome
    fill_qty_micro: int
    price_micro: int  # micro-USDC per share, 0..1_000_000
    order_qty_micro: int
    fill_id: str | None = None
    fee_micro: int = 0
    status: str | None = None  # one of FILL_STATUSES; None: final
    booked_at_us: int | None = None  # microseconds since the epoch, for a provisional fill


@dataclass(frozen=True, slots=True)
class SellFilled:
    kind: ClassVar[str] = "sell_filled"
    local_id: str
    token_id: str
    fill_qty_micro: int
    price_micro: int
    order_qty_micro: int
    fill_id: str | None = None
    fee_micro: int = 0
    status: str | None = None
    booked_at_us: int | None = None


@dataclass(frozen=True, slots=True)
class BuyCancelled:
    kind: ClassVar[str] = "buy_cancelled"
    local_id: str
    remaining_qty_micro: int
    limit_micro: int


@dataclass(frozen=True, slots=True)
class SellCancelled:
    kind: ClassVar[str] = "sell_cancelled"
    local_id: str
    token_id: str
    remaining_qty_micro: int


@dataclass(frozen=True, slots=True)
class MintSubmitted:
    kind: ClassVar[str] = "mint_submitted"
    condition_id: str
    amount_micro: int


@dataclass(frozen=True, slots=True)
class MintConfirmed:
    kind: ClassVar[str] = "mint_confirmed"
    condition_id: str
    pair_count_micro: int
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
    pair_count_micro: int


@dataclass(frozen=True, slots=True)
class MergeConfirmed:
    kind: ClassVar[str] = "merge_confirmed"
    condition_id: str
    pair_count_micro: int
    yes_token_id: str
    no_token_id: str


@dataclass(frozen=True, slots=True)
class MergeFailed:
    kind: ClassVar[str] = "merge_failed"
    condition_id: str
    pair_count_micro: int


@dataclass(frozen=True, slots=True)
class PricesUpdated:
    kind: ClassVar[str] = "prices_updated"
    prices: tuple[tuple[str, int], ...]  # (token_id, micro-USDC per share), only tokens held


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
class FillStatusChanged:
    """A fill's settlement status moved on (`SETTLEMENT_STATUSES`). `booked_final` says the
    fill id names a fill the ledger booked without a status (so, CONFIRMED): decided when the
    status arrived, from the ledger or its store, and journaled so replay decides alike."""

    kind: ClassVar[str] = "fill_status"
    fill_id: str
    status: str
    booked_final: bool = False


@dataclass(frozen=True, slots=True)
class StaleFillsChecked:
    """Fills provisional for longer than `max_age_us` at `now_us` (microseconds since the
    epoch) are reported, each once."""

    kind: ClassVar[str] = "stale_fills_checked"
    now_us: int
    max_age_us: int


@dataclass(frozen=True, slots=True)
class SessionOpened:
    """The first row of every session's journal: what recovery starts the ledger from.

    Not a ledger event (the manager never applies it): the journal writes it with the session
    and recovery builds the manager from it. `initial_capital_micro` in micro-USDC, `mode`
    "paper" or "live", `journal_format` the units of the session's rows (`JOURNAL_FORMAT`; a
    row written before the field existed decodes as 1). The session's start is the row's
    `recorded_at`, not a field: the payload of two sessions opened alike is the same bytes.
    """

    kind: ClassVar[str] = "session_opened"
    initial_capital_micro: int
    mode: str
    strategy_id: str
    config_json: str
    journal_format: int = JOURNAL_FORMAT


@dataclass(frozen=True, slots=True)
class LoadedPosition:
    token_id: str
    market_id: str
    outcome: Outcome
    qty_micro: int
    cost_micro: int  # avg_entry_price * qty, exact
    realized_micro: int


@dataclass(frozen=True, slots=True)
class CashAdjusted:
    """Cash that moves without a token: a deposit, withdrawal, rebate or correction.

    `amount_micro` as the caller gave it, micro-USDC: >= 0 for DEPOSIT, WITHDRAWAL and REBATE
    (the adjustment gives the sign), signed for CORRECTION. `reason` says why, for the journal.
    """

    kind: ClassVar[str] = "cash_adjusted"
    adjustment: str  # one of CASH_ADJUSTMENTS
    amount_micro: int
    reason: str

    @property
    def signed_micro(self) -> int:
        """What the adjustment does to cash, micro-USDC."""
        return -self.amount_micro if self.adjustment == "WITHDRAWAL" else self.amount_micro


@dataclass(frozen=True, slots=True)
class PositionReconciled:
    """Reconciliation adopted the venue's balance of a token (ledger rules, "Reconciliation").

    `ledger_qty_micro` is the ledger's on-chain amount when the difference was found (its
    quantity less provisional buys not yet mined, plus provisional sells not yet mined),
    `venue_qty_micro` the venue's balance. The position moves by their difference: shares
    added at a zero cost basis, shares removed at the average cost (realised as a loss).
    `market_id` None: the venue did not name the token's market (a placeholder position).
    """

    kind: ClassVar[str] = "position_reconciled"
    token_id: str
    market_id: str | None
    outcome: Outcome
    ledger_qty_micro: int
    venue_qty_micro: int

    @property
    def delta_micro(self) -> int:
        return self.venue_qty_micro - self.ledger_qty_micro


@dataclass(frozen=True, slots=True)
class OrderAdopted:
    """Reconciliation found an open order at the venue the ledger did not know: opened under
    `local_id` with its venue id, as the venue has it (`qty_micro` its original size,
    `filled_qty_micro` its size matched), reserving what it has left at its price."""

    kind: ClassVar[str] = "order_adopted"
    local_id: str
    exchange_order_id: str
    side: str  # "buy" | "sell"
    market_id: str
    token_id: str
    outcome: Outcome
    qty_micro: int
    limit_micro: int
    filled_qty_micro: int = 0


@dataclass(frozen=True, slots=True)
class OrderDropped:
    """Reconciliation found an order open in the ledger that the venue does not hold open:
    closed, releasing what it reserved. `remaining_qty_micro` is what the ledger had left."""

    kind: ClassVar[str] = "order_dropped"
    local_id: str
    exchange_order_id: str | None
    remaining_qty_micro: int


@dataclass(frozen=True, slots=True)
class CashReconciled:
    """Reconciliation adopted the venue's collateral balance: cash moves by `venue_micro -
    ledger_micro` (the ledger's on-chain cash when found), counted as an adjustment."""

    kind: ClassVar[str] = "cash_reconciled"
    ledger_micro: int
    venue_micro: int

    @property
    def delta_micro(self) -> int:
        return self.venue_micro - self.ledger_micro


@dataclass(frozen=True, slots=True)
class MarketResolved:
    """The oracle resolved a market: what one share of each outcome token redeems for,
    micro-USDC per share (`1_000_000, 0` YES won, `0, 1_000_000` NO won, `500_000, 500_000`
    void). `resolution.payouts_micro` turns the venue's payout numerators into these."""

    kind: ClassVar[str] = "market_resolved"
    condition_id: str
    yes_payout_micro: int
    no_payout_micro: int


@dataclass(frozen=True, slots=True)
class RedemptionSubmitted:
    """A redemption of the condition's resolved tokens sent to the chain."""

    kind: ClassVar[str] = "redemption_submitted"
    condition_id: str


@dataclass(frozen=True, slots=True)
class RedemptionConfirmed:
    """A redemption mined: `paid_micro` is what the chain paid (the observed balance change,
    micro-USDC), which may differ from what the ledger expects (the pay-0 pitfall)."""

    kind: ClassVar[str] = "redemption_confirmed"
    condition_id: str
    paid_micro: int


@dataclass(frozen=True, slots=True)
class RedemptionFailed:
    """A redemption that failed on chain: its reserved shares are released."""

    kind: ClassVar[str] = "redemption_failed"
    condition_id: str


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
    | FillStatusChanged
    | StaleFillsChecked
    | CashAdjusted
    | PositionReconciled
    | OrderAdopted
    | OrderDropped
    | CashReconciled
    | MarketResolved
    | RedemptionSubmitted
    | RedemptionConfirmed
    | RedemptionFailed
)

EVENT_TYPES: tuple[type[Event], ...] = get_args(Event)
"""Every event class, in the order of the `Event` union."""
FILL_EVENTS: Final = (BuyFilled, SellFilled)
"""The fill events, for `isinstance` (a tuple: `A | B` written there builds a union at every
call)."""


class OrderRecord(NamedTuple):
    """One order as the orders table holds it (a named tuple: the journal builds one or two
    per commit)."""

    local_id: str
    side: str  # "buy" | "sell"
    market_id: str
    token_id: str
    qty_micro: int
    limit_micro: int | None  # micro-USDC per share; None for a sell submitted without one
    tif: str
    status: OrderStatus
    filled_qty_micro: int
    reserved_micro: int  # what the order still reserves (buy), micro-USDC
    reserved_qty_micro: int  # what the order still reserves (sell), micro-shares


class PositionRecord(NamedTuple):
    """One token's position as the positions table holds it (exact; avg is cost / qty)."""

    token_id: str
    market_id: str
    outcome: Outcome
    qty_micro: int
    cost_micro: int
    realized_micro: int


# ---------------------------------------------------------------------------------------------
# Scalar checks: raw arguments in, checked values out, or `InvalidInput` naming the argument.
# ---------------------------------------------------------------------------------------------

MAX_QTY = 10**9 - 1
"""Largest whole quantity accepted, shares (or pairs): below 10^9."""

MAX_QTY_MICRO = 10**15 - 1
"""Largest quantity accepted or held, micro-shares: below 10^9 shares."""

MAX_MICRO = 10**15 - 1
"""Largest money amount accepted or held, micro-USDC: below $10^9, so that every amount (and
every quantity, by `MAX_QTY_MICRO`) has at most 15 significant digits and survives a double,
hence a TypeScript `number` and the snapshot's float fields, exactly."""

MAX_ID_BYTES = 256
"""Longest identifier, in bytes of UTF-8 (the venue's token ids are 77-78 digits)."""

MAX_NUMBER_CHARS = 40

MAX_TIME_US: Final = 2**62
"""Largest time or duration in microseconds a settlement event holds."""
"""Longest decimal text accepted for an amount, quantity or price."""

CENT_MICRO = 10_000
"""Micro-USDC per cent: a limit of `limit_px` cents is `limit_px * CENT_MICRO` per share."""

TIFS = frozenset({"GTC", "GTD", "FOK"})
"""Time-in-force values the orders table accepts."""

# Multiplication and comparison in this context are exact (the precision is libmpdec's maximum),
# so a decimal amount converts to micro-units without any rounding, and any leftover is seen.
_EXACT = Context(
    prec=MAX_PREC,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, Overflow, DivisionByZero],
)
_MICRO_D = Decimal(MICRO)
_MAX_DOLLARS_D = Decimal(MAX_MICRO).scaleb(-6)  # 999999999.999999
_MAX_SHARES_D = Decimal(MAX_QTY_MICRO).scaleb(-6)
_ZERO_D = Decimal(0)
_HUNDRED_D = Decimal(100)
# The size of a Decimal whose coefficient is stored inline; a longer one is allocated apart.
_INLINE_DECIMAL_SIZE = Decimal(0).__sizeof__()
_ONE_D = Decimal(1)
_OUTCOMES: dict[str, Outcome] = {"YES": Outcome.YES, "NO": Outcome.NO}
_TIF_OF: dict[str, str] = {tif: tif for tif in TIFS}
_STATUS_OF: dict[str, str] = {status: status for status in FILL_STATUSES}
_MAX_ID = MAX_ID_BYTES
_YES = Outcome.YES
_NO = Outcome.NO
_PRICE_RANGE = "a price between 0 and 1 dollar is required"
_NOT_WHOLE_MICRO = "must be a whole number of micro-USDC (at most 6 decimals of a dollar)"
_NOT_WHOLE_SHARES = "must be a whole number of micro-shares (at most 6 decimals of a share)"
_NOT_WHOLE_TICK = "must be a whole number of micro-USDC (at most 4 decimals of a cent)"
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


def check_status(field: str, value: object) -> str | None:
    """A fill's settlement status on arrival: None (final) or one of `FILL_STATUSES`."""
    if value is None:
        return None
    if isinstance(value, str):
        status = _STATUS_OF.get(value)
        if status is not None:
            return status
    raise InvalidInput(field, value, f"None or one of {', '.join(FILL_STATUSES)} is required")


_SETTLEMENT_OF: dict[str, str] = {status: status for status in SETTLEMENT_STATUSES}


def check_settlement_status(field: str, value: object) -> str:
    """A status `on_fill_status` moves a fill to: one of `SETTLEMENT_STATUSES`."""
    if isinstance(value, str):
        status = _SETTLEMENT_OF.get(value)
        if status is not None:
            return status
    raise InvalidInput(field, value, f"one of {', '.join(SETTLEMENT_STATUSES)} is required")


def check_time_us(field: str, value: object) -> int:
    """A time or duration in microseconds: an int, 0..`MAX_TIME_US`."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TIME_US:
        return int(value)
    raise InvalidInput(field, value, f"an int of microseconds, 0..{MAX_TIME_US}, is required")


def _check_bool(field: str, value: object) -> bool:
    if type(value) is bool:
        return value
    raise InvalidInput(field, value, "a bool is required")


CASH_ADJUSTMENTS: Final = ("DEPOSIT", "WITHDRAWAL", "REBATE", "CORRECTION")
"""The kinds of cash adjustment: CORRECTION alone carries a signed amount."""
_ADJUSTMENT_OF: Final = {a: a for a in CASH_ADJUSTMENTS}
MAX_REASON_CHARS = 500
"""The longest reason a cash adjustment may carry, in characters."""


def check_adjustment(field: str, value: object) -> str:
    """One of `CASH_ADJUSTMENTS`."""
    if isinstance(value, str):
        adjustment = _ADJUSTMENT_OF.get(value)
        if adjustment is not None:
            return adjustment
    raise InvalidInput(field, value, f"one of {', '.join(CASH_ADJUSTMENTS)} is required")


def check_reason(field: str, value: object) -> str:
    """A reason: a non-empty str of printable characters, at most `MAX_REASON_CHARS`."""
    if type(value) is not str:
        raise InvalidInput(field, value, "a str is required")
    if not value.strip() or len(value) > MAX_REASON_CHARS or not value.isprintable():
        raise InvalidInput(
            field, value, f"a non-empty printable text of at most {MAX_REASON_CHARS} characters"
        )
    return value


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


def _scaled(field: str, value: object, number: Decimal, places: int, reason: str) -> int:
    """`number` (finite, already within bounds) times 10^places, which must be whole.

    More decimals than `places` is refused, never rounded. The exact ratio of two ints decides
    for an ordinary coefficient; one longer than a Decimal holds inline (about 76 digits) is
    scaled in `_EXACT` instead, which is exact and linear in its digits where the ratio is
    quadratic.
    """
    if number and number.adjusted() < -places:
        raise InvalidInput(field, value, reason)
    if number.__sizeof__() <= _INLINE_DECIMAL_SIZE:
        numerator, denominator = number.as_integer_ratio()
        scaled: int
        rest: int
        scaled, rest = divmod(numerator * 10**places, denominator)
        if rest:
            raise InvalidInput(field, value, reason)
        return scaled
    big = number.scaleb(places, context=_EXACT)
    if big != big.to_integral_value(context=_EXACT):
        raise InvalidInput(field, value, reason)
    return int(big)


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
        micro = _scaled(field, value, number, 6, _NOT_WHOLE_MICRO)
    if not -MAX_MICRO <= micro <= MAX_MICRO:
        raise InvalidInput(field, value, _MONEY_RANGE)
    if not signed and micro < 0:
        raise InvalidInput(field, value, "must be 0 dollars or more")
    return micro


_PRICES_KEPT = 4096
_PRICE_MICRO: dict[Decimal, int] = {}
"""Decimal fill prices already converted (a session trades at a few hundred distinct prices):
equal Decimals are the same price whatever their exponent, so the value is the key."""


def price_micro(field: str, value: object) -> int:
    """A fill price in dollars, 0..1, as exact micro-USDC per share (0..1_000_000)."""
    if type(value) is Decimal:
        if not value.is_finite():  # before hashing: a signalling NaN refuses to hash
            raise InvalidInput(field, value, "a finite number is required")
        micro = _PRICE_MICRO.get(value)
        if micro is not None:
            return micro
        if not _ZERO_D <= value <= _ONE_D:
            raise InvalidInput(field, value, _PRICE_RANGE)
        micro = _scaled(field, value, value, 6, _NOT_WHOLE_MICRO)
        if len(_PRICE_MICRO) >= _PRICES_KEPT:
            _PRICE_MICRO.clear()
        _PRICE_MICRO[value] = micro
        return micro
    if type(value) is int:
        if 0 <= value <= 1:
            return value * MICRO
        raise InvalidInput(field, value, _PRICE_RANGE)
    number = _to_decimal(field, value)
    if not _ZERO_D <= number <= _ONE_D:
        raise InvalidInput(field, value, _PRICE_RANGE)
    return _scaled(field, value, number, 6, _NOT_WHOLE_MICRO)


def shares_micro(field: str, value: object, minimum: int = 1) -> int:
    """A quantity of shares (or pairs) as exact micro-shares, `minimum`..`MAX_QTY_MICRO`.

    An int is whole shares (the seed's calls); a Decimal, plain decimal text or a float (by its
    shortest repr) is exact shares with at most 6 decimals, more is refused, never rounded.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= MAX_QTY:
            micro = int(value) * MICRO
            if micro >= minimum:
                return micro
        raise InvalidInput(field, value, _qty_range(minimum))
    number = _to_decimal(field, value)
    if not _ZERO_D <= number <= _MAX_SHARES_D:
        raise InvalidInput(field, value, _qty_range(minimum))
    micro = _scaled(field, value, number, 6, _NOT_WHOLE_SHARES)
    if micro < minimum:
        raise InvalidInput(field, value, _qty_range(minimum))
    return micro


def _qty_range(minimum: int) -> str:
    low = "more than 0" if minimum else "0 or more"
    return f"must be {low} and below 10^9 shares (at most {_MAX_SHARES_D})"


check_qty = shares_micro
"""`shares_micro` under the name the risk checks use."""


def _cents_micro(field: str, value: object, minimum: int, what: str) -> int:
    """Cents of a dollar (an int, or an exact decimal with at most 4 decimals) as micro-USDC."""
    reason = f"{what}: cents of a dollar, {minimum}..100, an int or an exact decimal, is required"
    if isinstance(value, int) and not isinstance(value, bool):
        if minimum <= value <= 100:
            return int(value) * CENT_MICRO
        raise InvalidInput(field, value, reason)
    if not isinstance(value, Decimal | str | float):
        raise InvalidInput(field, value, reason)
    number = _to_decimal(field, value)
    if not _ZERO_D <= number <= _HUNDRED_D:
        raise InvalidInput(field, value, reason)
    micro = _scaled(field, value, number, 4, _NOT_WHOLE_TICK)
    if micro < minimum or (minimum and micro == 0):
        raise InvalidInput(field, value, reason)
    return micro


def check_limit(field: str, value: object) -> int:
    """An order limit in cents (an int 1..100, or a finer exact decimal such as 65.5 for a
    0.001 tick), as micro-USDC per share, 1..1_000_000."""
    return _cents_micro(field, value, 1, "a limit above 0")


def check_mark(field: str, value: object) -> int:
    """A mark in cents (0..100, an int or an exact decimal), as micro-USDC per share."""
    return _cents_micro(field, value, 0, "a mark")


def _check_micro(field: str, value: object, low: int, high: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return int(value)
    raise InvalidInput(field, value, f"an int of micro-units, {low}..{high}, is required")


def _check_outcome_strict(field: str, value: object) -> Outcome:
    if isinstance(value, Outcome):
        return value
    raise InvalidInput(field, value, "an Outcome is required")


def cash_leg_micro(qty_micro: int, price_micro: int) -> int:
    """The cash a fill moves, micro-USDC: `price * shares` truncated to the micro-USDC, as the
    chain moves it."""
    return qty_micro * price_micro // MICRO


def reserve_micro(qty_micro: int, limit_micro: int) -> int:
    """What `qty_micro` at `limit_micro` reserves, micro-USDC: rounded up to the micro-USDC."""
    return -(-qty_micro * limit_micro // MICRO)


def format_shares(qty_micro: int) -> str:
    """Micro-shares as exact shares for messages: `100`, `7.575758`."""
    whole, frac = divmod(abs(qty_micro), MICRO)
    sign = "-" if qty_micro < 0 else ""
    return f"{sign}{whole}" if not frac else f"{sign}{whole}.{frac:06d}".rstrip("0")


# ---------------------------------------------------------------------------------------------
# The declaration: each event's fields, once, with their kind.
#
# A kind says how an argument of that kind is checked and converted (its common case as an
# inline test and value, its full check otherwise), how a journal value of it is decoded (in the
# current units and in the legacy ones), and how a built event's value is re-checked. From
# `EVENT_FIELDS` the builders, `check_event` and the decoders below are derived.
# ---------------------------------------------------------------------------------------------


_ASCII_ID_TEST: Final = "type({a}) is str and 0 < len({a}) <= _MAX_ID and {a}.isascii()"
"""The inline test of an id: ASCII, so its UTF-8 is as long as it is and it holds no surrogate."""


@dataclass(frozen=True, slots=True)
class _JsonTest:
    """The common case of a journal value in the current units, as data: the Python decoders'
    inline test is generated from it, and the native decoder (`_native.JournalDecoder`) runs
    the same test on the row's JSON. A value outside it takes the kind's full `json_slow`."""

    test: str
    """ "id" (ASCII, 1.._MAX_ID characters), "int" (`low`..`high`), "map" (a key of the
    table named `table`, decoded to its value) or "bool"."""
    optional: bool = False
    low: int = 0
    high: int = 0
    table: str = ""
    intern: bool = False

    def source(self) -> tuple[str, str]:
        """(inline test, value) of the variable `{a}`."""
        if self.test == "id":
            test = _ASCII_ID_TEST
            value = "_intern({a})" if self.intern else "{a}"
        elif self.test == "int":
            test = f"type({{a}}) is int and {self.low} <= {{a}} <= {self.high}"
            value = "{a}"
        elif self.test == "map":
            test = f"type({{a}}) is str and {{a}} in {self.table}"
            value = f"{self.table}[{{a}}]"
        else:
            test, value = "type({a}) is bool", "{a}"
        if self.optional:
            test = f"{{a}} is None or ({test})"
            value = value if value == "{a}" else f"None if {{a}} is None else {value}"
        return test, value

    def native(self) -> tuple[object, ...]:
        """The test as `_native.JournalDecoder` takes it: (test, optional, parameters...)."""
        if self.test == "id":
            return ("id", self.optional, self.intern, _MAX_ID)
        if self.test == "int":
            return ("int", self.optional, self.low, self.high)
        if self.test == "map":
            return ("map", self.optional, _NAMESPACE[self.table])
        return ("bool", self.optional)


@dataclass(frozen=True, slots=True)
class _Kind:
    """How one kind of field is checked. Source templates take the variable as `{a}`."""

    name: str
    arg_slow: Callable[[str, object], object]
    """The full check of a raw argument: the converted value, or `InvalidInput`."""
    check: Callable[[str, object], object]
    """The check of a built event's value (already in the event's units)."""
    json_slow: Callable[[str, object, bool], object]
    """A journal value (legacy units if the flag is set), checked and converted."""
    arg_fast: tuple[str, str] | None = None
    """(inline test, converted value) of a raw argument's common case."""
    json: _JsonTest | None = None
    """The common case of a journal value in the current units; None: every value takes
    `json_slow`."""
    legacy_fast: tuple[str, str] | None = None
    """The same in legacy units (whole contracts, cents); None: as `json_fast`."""
    legacy_scale: int = 1
    """Current units per legacy unit (a quantity: `MICRO`; a limit: `CENT_MICRO`)."""

    @property
    def json_fast(self) -> tuple[str, str]:
        """(inline test, value) of a journal value in the current units."""
        return ("False", "{a}") if self.json is None else self.json.source()


def _json_id(field: str, value: object, legacy: bool) -> str:
    if type(value) is not str:
        raise InvalidInput(field, value, "a non-empty string is required")
    return check_id(field, value)


def _json_int(low: int, high: int, scale: int = 1) -> Callable[[str, object, bool], object]:
    def decode(field: str, value: object, legacy: bool) -> object:
        if type(value) is int and low <= value <= high:
            return value * scale if legacy else value
        raise InvalidInput(field, value, f"an int, {low}..{high}, is required")

    return decode


def _json_units(
    low: int, high: int, legacy_high: int, scale: int
) -> Callable[[str, object, bool], object]:
    def decode(field: str, value: object, legacy: bool) -> object:
        top = legacy_high if legacy else high
        if type(value) is int and low <= value <= top:
            return value * scale if legacy else value
        raise InvalidInput(field, value, f"an int, {low}..{top}, is required")

    return decode


def _optional(
    decode: Callable[[str, object, bool], object],
) -> Callable[[str, object, bool], object]:
    def optional(field: str, value: object, legacy: bool) -> object:
        return None if value is None else decode(field, value, legacy)

    return optional


def _json_outcome(field: str, value: object, legacy: bool) -> Outcome:
    outcome = _OUTCOMES.get(value) if type(value) is str else None
    if outcome is None:
        raise InvalidInput(field, value, '"YES" or "NO" is required')
    return outcome


_intern: Final = sys.intern
_CHECKED_IDS: Final[dict[str, str]] = {}
"""Ids a builder has checked, each to its interned copy: a builder's common case is one lookup
(a session names the same few orders, tokens and markets again and again). Cleared when full."""
_CHECKED_IDS_KEPT: Final = 4096


def _builder_id(field: str, value: object) -> str:
    """`check_id` of a builder's argument, remembered in `_CHECKED_IDS` (interned: an id kept
    for an order's or a position's lifetime is then one string, not a copy per order;
    Polymarket's ids are ~70 characters)."""
    checked = _intern(check_id(field, value))
    if len(_CHECKED_IDS) >= _CHECKED_IDS_KEPT:
        _CHECKED_IDS.clear()
    _CHECKED_IDS[checked] = checked
    return checked


# Only an exact str is looked up: an equal str subclass takes `check_id`, which returns a str.
_ID_TEST = "type({a}) is str and {a} in _CHECKED_IDS"

_ID = _Kind(
    "id",
    arg_slow=_builder_id,
    check=check_id,
    json_slow=_json_id,
    arg_fast=(_ID_TEST, "{a}"),
    json=_JsonTest("id"),
)
_KEPT_ID = _Kind(
    "kept id",
    arg_slow=_builder_id,
    check=check_id,
    json_slow=lambda field, value, legacy: _intern(_json_id(field, value, legacy)),
    arg_fast=(_ID_TEST, "_CHECKED_IDS[{a}]"),
    json=_JsonTest("id", intern=True),
)
_OPTIONAL_ID = _Kind(
    "optional id",
    arg_slow=check_optional_id,
    check=check_optional_id,
    json_slow=_optional(_json_id),
    # A fill id is new with every fill: tested inline, not looked up.
    arg_fast=(
        f"{{a}} is None or ({_ASCII_ID_TEST})",
        "{a}",
    ),
    json=_JsonTest("id", optional=True),
)
_OUTCOME = _Kind(
    "outcome",
    arg_slow=check_outcome,
    check=_check_outcome_strict,
    json_slow=_json_outcome,
    arg_fast=("{a} is _YES or {a} is _NO", "{a}"),
    json=_JsonTest("map", table="_OUTCOMES"),
)
_TIF = _Kind(
    "tif",
    arg_slow=check_tif,
    check=check_tif,
    json_slow=lambda field, value, legacy: check_tif(field, value),
    arg_fast=("type({a}) is str and {a} in _TIF_OF", "_TIF_OF[{a}]"),
    json=_JsonTest("map", table="_TIF_OF"),
)
_STATUS = _Kind(
    "status",
    arg_slow=check_status,
    check=check_status,
    json_slow=lambda field, value, legacy: check_status(field, value),
    arg_fast=("{a} is None", "None"),
    json=_JsonTest("map", optional=True, table="_STATUS_OF"),
)


def _json_settlement(field: str, value: object, legacy: bool) -> str:
    return check_settlement_status(field, value)


def _json_time(field: str, value: object, legacy: bool) -> int:
    return check_time_us(field, value)


def _optional_time(field: str, value: object) -> int | None:
    return None if value is None else check_time_us(field, value)


def _json_optional_time(field: str, value: object, legacy: bool) -> int | None:
    return _optional_time(field, value)


def _json_bool(field: str, value: object, legacy: bool) -> bool:
    return _check_bool(field, value)


_SETTLEMENT = _Kind(
    "settlement status",
    arg_slow=check_settlement_status,
    check=check_settlement_status,
    json_slow=_json_settlement,
    json=_JsonTest("map", table="_SETTLEMENT_OF"),
)
_TIME = _Kind(
    "time",
    arg_slow=check_time_us,
    check=check_time_us,
    json_slow=_json_time,
    json=_JsonTest("int", low=0, high=MAX_TIME_US),
)
_OPTIONAL_TIME = _Kind(
    "optional time",
    arg_slow=_optional_time,
    check=_optional_time,
    json_slow=_json_optional_time,
    arg_fast=("{a} is None", "None"),
    json=_JsonTest("int", optional=True, low=0, high=MAX_TIME_US),
)
_BOOL = _Kind(
    "bool",
    arg_slow=_check_bool,
    check=_check_bool,
    json_slow=_json_bool,
    arg_fast=("type({a}) is bool", "{a}"),
    json=_JsonTest("bool"),
)


def _shares_kind(minimum: int) -> _Kind:
    """Shares in micro-shares; `minimum` 1 (an order or fill) or 0 (what is left)."""
    low = "0 < {a}" if minimum else "0 <= {a}"
    return _Kind(
        "shares" if minimum else "shares or none",
        arg_slow=lambda field, value: shares_micro(field, value, minimum),
        check=lambda field, value: _check_micro(field, value, minimum, MAX_QTY_MICRO),
        json_slow=_json_units(minimum, MAX_QTY_MICRO, MAX_QTY, MICRO),
        arg_fast=(f"type({{a}}) is int and {low} <= MAX_QTY", "{a} * MICRO"),
        json=_JsonTest("int", low=minimum, high=MAX_QTY_MICRO),
        legacy_fast=(f"type({{a}}) is int and {low} <= MAX_QTY", "{a} * MICRO"),
        legacy_scale=MICRO,
    )


_SHARES = _shares_kind(1)
_SHARES_LEFT = _shares_kind(0)
_LIMIT = _Kind(
    "limit",
    arg_slow=check_limit,
    check=lambda field, value: _check_micro(field, value, 1, MICRO),
    json_slow=_json_units(1, MICRO, 100, CENT_MICRO),
    arg_fast=("type({a}) is int and 0 < {a} <= 100", "{a} * CENT_MICRO"),
    json=_JsonTest("int", low=1, high=MICRO),
    legacy_fast=("type({a}) is int and 0 < {a} <= 100", "{a} * CENT_MICRO"),
    legacy_scale=CENT_MICRO,
)
_OPTIONAL_LIMIT = _Kind(
    "optional limit",
    arg_slow=lambda field, value: None if value is None else check_limit(field, value),
    check=lambda field, value: None if value is None else _check_micro(field, value, 1, MICRO),
    json_slow=_optional(_json_units(1, MICRO, 100, CENT_MICRO)),
    arg_fast=("{a} is None", "None"),
    json=_JsonTest("int", optional=True, low=1, high=MICRO),
    legacy_fast=(
        "{a} is None or (type({a}) is int and 0 < {a} <= 100)",
        "None if {a} is None else {a} * CENT_MICRO",
    ),
    legacy_scale=CENT_MICRO,
)
_PRICE = _Kind(
    "price",
    arg_slow=price_micro,
    check=lambda field, value: _check_micro(field, value, 0, MICRO),
    json_slow=_json_int(0, MICRO),
    json=_JsonTest("int", low=0, high=MICRO),
)
_MONEY = _Kind(
    "money",
    arg_slow=money_micro,
    check=lambda field, value: _check_micro(field, value, 0, MAX_MICRO),
    json_slow=_json_int(0, MAX_MICRO),
    json=_JsonTest("int", low=0, high=MAX_MICRO),
)
_FEE = _Kind(
    "fee",
    arg_slow=money_micro,
    check=_MONEY.check,
    json_slow=_MONEY.json_slow,
    arg_fast=("type({a}) is int and {a} == 0", "0"),
    json=_MONEY.json,
)


_SIGNED_MONEY = _Kind(
    "signed money",
    arg_slow=lambda field, value: money_micro(field, value, signed=True),
    check=lambda field, value: _check_micro(field, value, -MAX_MICRO, MAX_MICRO),
    json_slow=_json_int(-MAX_MICRO, MAX_MICRO),
)
_ADJUSTMENT = _Kind(
    "adjustment",
    arg_slow=check_adjustment,
    check=check_adjustment,
    json_slow=lambda field, value, legacy: check_adjustment(field, value),
)
_REASON = _Kind(
    "reason",
    arg_slow=check_reason,
    check=check_reason,
    json_slow=lambda field, value, legacy: check_reason(field, value),
)


def _signed_shares_micro(field: str, value: object) -> int:
    """Shares of either sign (an int, Decimal or decimal text) as micro-shares."""
    number = _to_decimal(field, value)
    micro = shares_micro(field, abs(number), 0)
    return -micro if number < 0 else micro


_SIGNED_SHARES = _Kind(
    "signed shares",
    arg_slow=_signed_shares_micro,
    check=lambda field, value: _check_micro(field, value, -MAX_QTY_MICRO, MAX_QTY_MICRO),
    json_slow=_json_int(-MAX_QTY_MICRO, MAX_QTY_MICRO),
)
"""A quantity in micro-shares, either sign (a reconciled on-chain amount)."""
_ORDER_SIDES: Final = {"buy": "buy", "sell": "sell"}


def check_order_side(field: str, value: object) -> str:
    """An order's side: "buy" or "sell"."""
    side = _ORDER_SIDES.get(value) if isinstance(value, str) else None
    if side is None:
        raise InvalidInput(field, value, '"buy" or "sell" is required')
    return side


_ORDER_SIDE = _Kind(
    "order side",
    arg_slow=check_order_side,
    check=check_order_side,
    json_slow=lambda field, value, legacy: check_order_side(field, value),
)


PAYOUTS_MICRO: Final = ((MICRO, 0), (0, MICRO), (MICRO // 2, MICRO // 2))
"""The (YES, NO) payouts a binary market resolves to, micro-USDC per share: YES won, NO won,
void."""
_PAYOUT = _Kind(
    "payout",
    arg_slow=lambda field, value: _check_micro(field, value, 0, MICRO),
    check=lambda field, value: _check_micro(field, value, 0, MICRO),
    json_slow=_json_int(0, MICRO),
    json=_JsonTest("int", low=0, high=MICRO),
)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of an event: its name, the builder's argument for it, its kind, the
    argument's default (`_REQUIRED`: none), and the journal format it first appeared in."""

    name: str
    arg: str
    kind: _Kind
    default: object
    since: int = 1


_REQUIRED: Final = object()


def _f(name: str, kind: _Kind, arg: str | None = None, default: object = _REQUIRED) -> FieldSpec:
    return FieldSpec(name, arg or name, kind, default)


EVENT_FIELDS: Final[dict[type, tuple[FieldSpec, ...]]] = {
    BuySubmitted: (
        _f("local_id", _ID),
        _f("market_id", _KEPT_ID),
        _f("token_id", _KEPT_ID),
        _f("outcome", _OUTCOME),
        _f("qty_micro", _SHARES, "qty"),
        _f("limit_micro", _LIMIT, "limit_px"),
        _f("tif", _TIF, default="GTC"),
    ),
    SellSubmitted: (
        _f("local_id", _ID),
        _f("token_id", _KEPT_ID),
        _f("qty_micro", _SHARES, "qty"),
        _f("limit_micro", _OPTIONAL_LIMIT, "limit_px", None),
        _f("tif", _TIF, default="GTC"),
    ),
    BuyFilled: (
        _f("local_id", _ID),
        _f("token_id", _ID),
        _f("market_id", _ID),
        _f("outcome", _OUTCOME),
        _f("fill_qty_micro", _SHARES, "fill_qty"),
        _f("price_micro", _PRICE, "fill_price"),
        _f("order_qty_micro", _SHARES, "order_qty"),
        _f("fill_id", _OPTIONAL_ID, default=None),
        _f("fee_micro", _FEE, "fee_usd", 0),
        FieldSpec("status", "status", _STATUS, None, since=2),
        FieldSpec("booked_at_us", "booked_at_us", _OPTIONAL_TIME, None, since=2),
    ),
    SellFilled: (
        _f("local_id", _ID),
        _f("token_id", _ID),
        _f("fill_qty_micro", _SHARES, "fill_qty"),
        _f("price_micro", _PRICE, "fill_price"),
        _f("order_qty_micro", _SHARES, "order_qty"),
        _f("fill_id", _OPTIONAL_ID, default=None),
        _f("fee_micro", _FEE, "fee_usd", 0),
        FieldSpec("status", "status", _STATUS, None, since=2),
        FieldSpec("booked_at_us", "booked_at_us", _OPTIONAL_TIME, None, since=2),
    ),
    BuyCancelled: (
        _f("local_id", _ID),
        _f("remaining_qty_micro", _SHARES_LEFT, "remaining_qty"),
        _f("limit_micro", _LIMIT, "limit_px"),
    ),
    SellCancelled: (
        _f("local_id", _ID),
        _f("token_id", _ID),
        _f("remaining_qty_micro", _SHARES_LEFT, "remaining_qty"),
    ),
    MintSubmitted: (_f("condition_id", _ID), _f("amount_micro", _MONEY, "amount_usd")),
    MintConfirmed: (
        _f("condition_id", _ID),
        _f("pair_count_micro", _SHARES, "pair_count"),
        _f("yes_token_id", _ID),
        _f("no_token_id", _ID),
        _f("market_id", _ID),
    ),
    MintFailed: (_f("condition_id", _ID), _f("amount_micro", _MONEY, "amount_usd")),
    MergeSubmitted: (_f("condition_id", _ID), _f("pair_count_micro", _SHARES, "pair_count")),
    MergeConfirmed: (
        _f("condition_id", _ID),
        _f("pair_count_micro", _SHARES, "pair_count"),
        _f("yes_token_id", _ID),
        _f("no_token_id", _ID),
    ),
    MergeFailed: (_f("condition_id", _ID), _f("pair_count_micro", _SHARES, "pair_count")),
    ExitTriggered: (),
    ExchangeOrderIdAssigned: (_f("local_id", _ID), _f("exchange_order_id", _ID)),
    FillStatusChanged: (
        FieldSpec("fill_id", "fill_id", _ID, _REQUIRED, since=2),
        FieldSpec("status", "status", _SETTLEMENT, _REQUIRED, since=2),
        FieldSpec("booked_final", "booked_final", _BOOL, False, since=2),
    ),
    StaleFillsChecked: (
        FieldSpec("now_us", "now_us", _TIME, _REQUIRED, since=2),
        FieldSpec("max_age_us", "max_age_us", _TIME, _REQUIRED, since=2),
    ),
    CashAdjusted: (
        _f("adjustment", _ADJUSTMENT, "kind"),
        _f("amount_micro", _SIGNED_MONEY, "amount_usd"),
        _f("reason", _REASON),
    ),
    PositionReconciled: (
        FieldSpec("token_id", "token_id", _KEPT_ID, _REQUIRED, since=2),
        FieldSpec("market_id", "market_id", _OPTIONAL_ID, _REQUIRED, since=2),
        FieldSpec("outcome", "outcome", _OUTCOME, _REQUIRED, since=2),
        FieldSpec("ledger_qty_micro", "ledger_qty", _SIGNED_SHARES, _REQUIRED, since=2),
        FieldSpec("venue_qty_micro", "venue_qty", _SHARES_LEFT, _REQUIRED, since=2),
    ),
    OrderAdopted: (
        FieldSpec("local_id", "local_id", _ID, _REQUIRED, since=2),
        FieldSpec("exchange_order_id", "exchange_order_id", _ID, _REQUIRED, since=2),
        FieldSpec("side", "side", _ORDER_SIDE, _REQUIRED, since=2),
        FieldSpec("market_id", "market_id", _KEPT_ID, _REQUIRED, since=2),
        FieldSpec("token_id", "token_id", _KEPT_ID, _REQUIRED, since=2),
        FieldSpec("outcome", "outcome", _OUTCOME, _REQUIRED, since=2),
        FieldSpec("qty_micro", "qty", _SHARES, _REQUIRED, since=2),
        FieldSpec("limit_micro", "limit_px", _LIMIT, _REQUIRED, since=2),
        FieldSpec("filled_qty_micro", "filled_qty", _SHARES_LEFT, 0, since=2),
    ),
    OrderDropped: (
        FieldSpec("local_id", "local_id", _ID, _REQUIRED, since=2),
        FieldSpec("exchange_order_id", "exchange_order_id", _OPTIONAL_ID, _REQUIRED, since=2),
        FieldSpec("remaining_qty_micro", "remaining_qty", _SHARES_LEFT, _REQUIRED, since=2),
    ),
    CashReconciled: (
        FieldSpec("ledger_micro", "ledger_usd", _SIGNED_MONEY, _REQUIRED, since=2),
        FieldSpec("venue_micro", "venue_usd", _MONEY, _REQUIRED, since=2),
    ),
    MarketResolved: (
        FieldSpec("condition_id", "condition_id", _ID, _REQUIRED, since=2),
        FieldSpec("yes_payout_micro", "yes_payout_micro", _PAYOUT, _REQUIRED, since=2),
        FieldSpec("no_payout_micro", "no_payout_micro", _PAYOUT, _REQUIRED, since=2),
    ),
    RedemptionSubmitted: (FieldSpec("condition_id", "condition_id", _ID, _REQUIRED, since=2),),
    RedemptionConfirmed: (
        FieldSpec("condition_id", "condition_id", _ID, _REQUIRED, since=2),
        FieldSpec("paid_micro", "paid_usd", _MONEY, _REQUIRED, since=2),
    ),
    RedemptionFailed: (FieldSpec("condition_id", "condition_id", _ID, _REQUIRED, since=2),),
}
"""Every event of scalar fields, its fields in declaration order: the single source of its
builder, its checks and its journal decoders. (`PricesUpdated` and `PositionsLoaded` hold
collections and have their own code below.)"""


def _check_distinct_tokens(event: Any) -> None:
    if event.yes_token_id == event.no_token_id:
        raise InvalidInput("no_token_id", event.no_token_id, "must differ from yes_token_id")


def _check_adjustment_sign(event: Any) -> None:
    if event.amount_micro < 0 and event.adjustment != "CORRECTION":
        raise InvalidInput(
            "amount_usd",
            Decimal(event.amount_micro).scaleb(-6),
            f"must be 0 dollars or more for a {event.adjustment} (its kind gives the sign)",
        )


def _check_payouts(event: Any) -> None:
    if (event.yes_payout_micro, event.no_payout_micro) not in PAYOUTS_MICRO:
        raise InvalidInput(
            "payouts",
            (event.yes_payout_micro, event.no_payout_micro),
            f"(YES, NO) micro-USDC per share must be one of {PAYOUTS_MICRO}",
        )


_CROSS_CHECKS: Final[dict[type, Callable[[Any], None]]] = {
    MarketResolved: _check_payouts,
    MintConfirmed: _check_distinct_tokens,
    MergeConfirmed: _check_distinct_tokens,
    CashAdjusted: _check_adjustment_sign,
}
"""Checks across fields, run on the built event."""


@functools.cache
def _slot_maker(cls: type) -> Callable[[tuple[object, ...]], Any]:
    """`make(values)`: a new `cls` whose fields hold `values`, in declaration order, written
    straight into its slots (`_native.SlotMaker`). A frozen dataclass's `__init__` goes through
    `object.__setattr__` for each field, and each slot descriptor's `__set__` builds an argument
    tuple per call: for a fill's eleven fields, 5,000 instructions of the ledger's 28,000. The
    result is an ordinary, equal, frozen instance. One per class, for its builder and its
    decoders."""
    names = tuple(f.name for f in fields(cls))
    slots = getattr(cls, "__slots__", None)
    if slots != names:  # the values come in field order
        raise TypeError(f"{cls.__name__}: slots {slots} differ from fields {names}")
    make: Callable[[tuple[object, ...]], Any] = SlotMaker(cls, names).make
    return make


_NAMESPACE: Final[dict[str, object]] = {
    "_intern": _intern,
    "_CHECKED_IDS": _CHECKED_IDS,
    "_MAX_ID": _MAX_ID,
    "_YES": _YES,
    "_NO": _NO,
    "_OUTCOMES": _OUTCOMES,
    "_TIF_OF": _TIF_OF,
    "_STATUS_OF": _STATUS_OF,
    "_SETTLEMENT_OF": _SETTLEMENT_OF,
    "MAX_TIME_US": MAX_TIME_US,
    "MICRO": MICRO,
    "MAX_QTY": MAX_QTY,
    "MAX_QTY_MICRO": MAX_QTY_MICRO,
    "MAX_MICRO": MAX_MICRO,
    "CENT_MICRO": CENT_MICRO,
}


def _compile(name: str, source: str, local: dict[str, object]) -> Callable[..., Any]:
    namespace = {**_NAMESPACE, **local}
    exec(compile(source, f"<events: {name}>", "exec"), namespace)
    function: Callable[..., Any] = namespace[name]  # type: ignore[assignment]
    return function


def _builder_source(cls: type, specs: tuple[FieldSpec, ...]) -> tuple[str, dict[str, object]]:
    """`def <kind>(<args>)`: each argument's common case inline, its full check otherwise,
    the event made from the values in one call (`_slot_maker`)."""
    local: dict[str, object] = {"_make": _slot_maker(cls)}
    params = []
    values = []
    for i, spec in enumerate(specs):
        a = spec.arg
        params.append(a if spec.default is _REQUIRED else f"{a}={spec.default!r}")
        local[f"_slow{i}"] = spec.kind.arg_slow
        slow = f"_slow{i}({a!r}, {a})"
        if spec.kind.arg_fast is None:
            values.append(f"        {slow},")
        else:
            test, value = (t.format(a=a) for t in spec.kind.arg_fast)
            values.append(f"        {value} if {test} else {slow},")
    lines = ["    e = _make((", *values, "    ))"]
    if cls in _CROSS_CHECKS:
        local["_cross"] = _CROSS_CHECKS[cls]
        lines.append("    _cross(e)")
    lines.append("    return e")
    source = f"def {cls.kind}({', '.join(params)}):\n" + "\n".join(lines) + "\n"  # type: ignore[attr-defined]
    return source, local


def _decoder_source(
    cls: type, specs: tuple[FieldSpec, ...], fmt: int
) -> tuple[str, dict[str, object]]:
    """`def _decode(v)`: the journal array of an event in format `fmt`, each field's exact JSON
    type and range tested inline and the slots filled directly; anything else goes to
    `_checked_from_fields`, which accepts a superset, builds an equal event and names the field
    of a refusal."""
    legacy = fmt < JOURNAL_FORMAT
    local: dict[str, object] = {
        "_cls": cls,
        "_make": _slot_maker(cls),
        "_slow": _checked_from_fields,
        "_fmt": fmt,
    }
    present = [(i, s) for i, s in enumerate(specs) if s.since <= fmt]
    names = [f"a{i}" for i, _ in present]
    tests = []
    values = []
    for i, spec in enumerate(specs):
        if spec.since > fmt:
            local[f"_default{i}"] = spec.default
            values.append(f"_default{i}")
            continue
        template = spec.kind.legacy_fast if legacy and spec.kind.legacy_fast else None
        test, value = (t.format(a=f"a{i}") for t in (template or spec.kind.json_fast))
        tests.append(f"({test})")
        values.append(value)
    lines = [f"    if type(v) is list and len(v) == {len(present)}:"]
    if names:
        lines.append(f"        {', '.join(names)}{',' if len(names) == 1 else ''} = v")
    lines.append(f"        if {' and '.join(tests) or 'True'}:")
    lines.append(f"            e = _make(({', '.join(values)}{',' if len(values) == 1 else ''}))")
    if cls in _CROSS_CHECKS:
        local["_cross"] = _CROSS_CHECKS[cls]
        lines.append("            _cross(e)")
    lines.append("            return e")
    lines.append("    return _slow(_cls, v, _fmt)")
    return "def _decode(v):\n" + "\n".join(lines) + "\n", local


def _checked_from_fields(cls: type[Any], values: object, fmt: int = JOURNAL_FORMAT) -> Event:
    """`cls` from the JSON values of its fields in journal format `fmt`, each checked by its
    kind; `InvalidInput` names the first field that holds no valid value."""
    if cls is PricesUpdated:
        return _prices_checked(values, fmt)
    if cls is PositionsLoaded:
        return _rows_from_fields(values, fmt)
    specs = [s for s in EVENT_FIELDS[cls] if s.since <= fmt]
    if type(values) is not list or len(values) != len(specs):
        names = [s.name for s in specs]
        raise InvalidInput(
            cls.kind, values, f"a JSON array of its {len(names)} fields {names} is required"
        )
    legacy = fmt < JOURNAL_FORMAT
    kwargs = {
        s.name: s.kind.json_slow(s.name, v, legacy) for s, v in zip(specs, values, strict=True)
    }
    event = cls(**kwargs)
    cross = _CROSS_CHECKS.get(cls)
    if cross is not None:
        cross(event)
    return check_event(event)


def _check_declared(event: Any) -> None:
    for spec in EVENT_FIELDS[type(event)]:
        spec.kind.check(spec.name, getattr(event, spec.name))
    cross = _CROSS_CHECKS.get(type(event))
    if cross is not None:
        cross(event)


_BUILDERS: Final[dict[type, Callable[..., Any]]] = {}
_DECODERS: Final[dict[int, dict[str, Callable[[object], Event]]]] = {1: {}, JOURNAL_FORMAT: {}}
for _cls, _specs in EVENT_FIELDS.items():
    _source, _local = _builder_source(_cls, _specs)
    _BUILDERS[_cls] = _compile(_cls.kind, _source, _local)  # type: ignore[attr-defined]
    for _fmt, _table in _DECODERS.items():
        _source, _local = _decoder_source(_cls, _specs, _fmt)
        _table[_cls.kind] = _compile("_decode", _source, _local)  # type: ignore[attr-defined]
del _cls, _specs, _fmt, _table, _source, _local
# Settlement and reconciliation events exist in the current format only: a legacy journal holds
# none.
for _cls in (
    FillStatusChanged,
    StaleFillsChecked,
    PositionReconciled,
    OrderAdopted,
    OrderDropped,
    CashReconciled,
):
    del _DECODERS[1][_cls.kind]
del _cls


# Builders: one per event, arguments in the manager's order, derived from `EVENT_FIELDS`.
buy_submitted: Final[Callable[..., BuySubmitted]] = _BUILDERS[BuySubmitted]
sell_submitted: Final[Callable[..., SellSubmitted]] = _BUILDERS[SellSubmitted]
buy_filled: Final[Callable[..., BuyFilled]] = _BUILDERS[BuyFilled]
sell_filled: Final[Callable[..., SellFilled]] = _BUILDERS[SellFilled]
buy_cancelled: Final[Callable[..., BuyCancelled]] = _BUILDERS[BuyCancelled]
sell_cancelled: Final[Callable[..., SellCancelled]] = _BUILDERS[SellCancelled]
mint_submitted: Final[Callable[..., MintSubmitted]] = _BUILDERS[MintSubmitted]
mint_confirmed: Final[Callable[..., MintConfirmed]] = _BUILDERS[MintConfirmed]
mint_failed: Final[Callable[..., MintFailed]] = _BUILDERS[MintFailed]
merge_submitted: Final[Callable[..., MergeSubmitted]] = _BUILDERS[MergeSubmitted]
merge_confirmed: Final[Callable[..., MergeConfirmed]] = _BUILDERS[MergeConfirmed]
merge_failed: Final[Callable[..., MergeFailed]] = _BUILDERS[MergeFailed]
exchange_order_id_assigned: Final[Callable[..., ExchangeOrderIdAssigned]] = _BUILDERS[
    ExchangeOrderIdAssigned
]
fill_status_changed: Final[Callable[..., FillStatusChanged]] = _BUILDERS[FillStatusChanged]
stale_fills_checked: Final[Callable[..., StaleFillsChecked]] = _BUILDERS[StaleFillsChecked]
cash_adjusted: Final[Callable[..., CashAdjusted]] = _BUILDERS[CashAdjusted]
position_reconciled: Final[Callable[..., PositionReconciled]] = _BUILDERS[PositionReconciled]
order_adopted: Final[Callable[..., OrderAdopted]] = _BUILDERS[OrderAdopted]
order_dropped: Final[Callable[..., OrderDropped]] = _BUILDERS[OrderDropped]
cash_reconciled: Final[Callable[..., CashReconciled]] = _BUILDERS[CashReconciled]
market_resolved: Final[Callable[..., MarketResolved]] = _BUILDERS[MarketResolved]
redemption_submitted: Final[Callable[..., RedemptionSubmitted]] = _BUILDERS[RedemptionSubmitted]
redemption_confirmed: Final[Callable[..., RedemptionConfirmed]] = _BUILDERS[RedemptionConfirmed]
redemption_failed: Final[Callable[..., RedemptionFailed]] = _BUILDERS[RedemptionFailed]


# ---------------------------------------------------------------------------------------------
# The two events of collections: prices and loaded positions.
# ---------------------------------------------------------------------------------------------


def check_prices(prices: object) -> dict[str, int]:
    """`update_prices`' argument: token id -> cents (0..100, an int or an exact decimal with at
    most 4 decimals), as micro-USDC per share."""
    if not isinstance(prices, Mapping):
        raise InvalidInput("prices", prices, "a mapping of token id to cents (0..100) is required")
    checked: dict[str, int] = {}
    for token_id, cents in prices.items():
        check_id("prices", token_id)
        checked[token_id] = check_mark(f"prices[{token_id!r}]", cents)
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
    qty_micro = shares_micro(f"{where}.qty", qty, minimum=0)
    avg_d = _to_decimal(f"{where}.avg_entry_price", avg)
    if not 0 <= avg_d <= 1:
        raise InvalidInput(
            f"{where}.avg_entry_price", avg, "a price between 0 and 1 dollar is required"
        )
    cost = _EXACT.multiply(avg_d, Decimal(qty_micro))
    if cost != cost.to_integral_value(context=_EXACT):
        raise InvalidInput(
            f"{where}.avg_entry_price",
            avg,
            f"avg_entry_price * qty ({format_shares(qty_micro)}) must be a whole number of "
            "micro-USDC",
        )
    return LoadedPosition(
        check_id(f"{where}.token_id", token_id),
        str(market_id),
        check_outcome(f"{where}.outcome", outcome),
        qty_micro,
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
    qty = _check_micro(f"{where}.qty_micro", row.qty_micro, 0, MAX_QTY_MICRO)
    _check_micro(f"{where}.cost_micro", row.cost_micro, 0, qty)
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


def _check_prices_updated(e: PricesUpdated) -> None:
    if not isinstance(e.prices, tuple):
        raise InvalidInput("prices", e.prices, "a tuple of (token_id, mark) is required")
    for item in e.prices:
        if not (isinstance(item, tuple) and len(item) == 2):
            raise InvalidInput("prices", item, "(token_id, mark) is required")
        check_id("prices", item[0])
        _check_micro(f"prices[{item[0]!r}]", item[1], 0, MICRO)


def _check_positions_loaded(e: PositionsLoaded) -> None:
    if not isinstance(e.rows, tuple):
        raise InvalidInput("rows", e.rows, "a tuple of LoadedPosition is required")
    for i, row in enumerate(e.rows):
        if not isinstance(row, LoadedPosition):
            raise InvalidInput(f"rows[{i}]", row, "a LoadedPosition is required")
        check_loaded_position(f"rows[{i}]", row)
    _check_unique_tokens(e.rows)


_EVENT_CHECKS: Final[dict[type, Callable[[Any], None]]] = {
    **dict.fromkeys(EVENT_FIELDS, _check_declared),
    PricesUpdated: _check_prices_updated,
    PositionsLoaded: _check_positions_loaded,
}


def check_event(event: object) -> Event:
    """Re-check an event built outside the builders (a journal replay) against the same bounds.

    Raises `InvalidInput` naming the event's field; returns the event itself.
    """
    checker = _EVENT_CHECKS.get(type(event))
    if checker is None:
        raise InvalidInput("event", event, "an event of weatherman_inventory.events is required")
    checker(event)
    return event  # type: ignore[return-value]


def _pairs_of(field: str, value: object, width: int, shape: str) -> list[list[Any]]:
    if type(value) is not list:
        raise InvalidInput(field, value, f"an array of {shape} is required")
    for item in value:
        if type(item) is not list or len(item) != width:
            raise InvalidInput(field, item, f"{shape} is required")
    return value


def _prices_from_fields(v: object, fmt: int) -> Event:
    """Marks as [token_id, mark] pairs: micro-USDC per share, or cents in a legacy journal."""
    scale, top = (CENT_MICRO, 100) if fmt < JOURNAL_FORMAT else (1, MICRO)
    if type(v) is list and len(v) == 1 and type(v[0]) is list:
        prices = []
        for item in v[0]:
            if type(item) is not list or len(item) != 2:
                break
            token_id, mark = item
            if (
                type(token_id) is not str
                or not 0 < len(token_id) <= _MAX_ID
                or type(mark) is not int
            ):
                break
            if not (token_id.isascii() and 0 <= mark <= top):
                break
            prices.append((token_id, mark * scale))
        else:
            return PricesUpdated(tuple(prices))
    return _prices_checked(v, fmt)


def _prices_checked(v: object, fmt: int) -> Event:
    scale, top = (CENT_MICRO, 100) if fmt < JOURNAL_FORMAT else (1, MICRO)
    if type(v) is not list or len(v) != 1:
        raise InvalidInput(
            PricesUpdated.kind, v, "a JSON array of its 1 fields ['prices'] is required"
        )
    pairs = _pairs_of("prices", v[0], 2, "[token_id, mark]")
    checked = []
    for token_id, mark in pairs:
        check_id("prices", token_id)
        if type(mark) is not int or not 0 <= mark <= top:
            raise InvalidInput(f"prices[{token_id!r}]", mark, f"an int, 0..{top}, is required")
        checked.append((token_id, mark * scale))
    return PricesUpdated(tuple(checked))


def _rows_from_fields(v: object, fmt: int) -> Event:
    """Loaded positions as arrays of their 6 fields (quantities in whole shares if legacy)."""
    if type(v) is not list or len(v) != 1:
        raise InvalidInput(
            PositionsLoaded.kind, v, "a JSON array of its 1 fields ['rows'] is required"
        )
    rows = _pairs_of("rows", v[0], 6, "an array of the 6 fields of a loaded position")
    scale = MICRO if fmt < JOURNAL_FORMAT else 1
    loaded = []
    for i, (t, m, o, q, c, r) in enumerate(rows):
        if type(q) is not int:
            raise InvalidInput(f"rows[{i}].qty_micro", q, "an int is required")
        loaded.append(
            LoadedPosition(t, m, _json_outcome(f"rows[{i}].outcome", o, False), q * scale, c, r)
        )
    return check_event(PositionsLoaded(tuple(loaded)))


def _format_decoders(fmt: int) -> tuple[Callable[[object], Event], Callable[[object], Event]]:
    """The decoders of the two events whose fields are lists, for journal format `fmt`."""

    def prices(values: object) -> Event:
        return _prices_from_fields(values, fmt)

    def rows(values: object) -> Event:
        return _rows_from_fields(values, fmt)

    return prices, rows


for _fmt, _table in _DECODERS.items():
    _table[PricesUpdated.kind], _table[PositionsLoaded.kind] = _format_decoders(_fmt)
del _fmt, _table

FROM_FIELDS: Final[dict[str, Callable[[object], Event]]] = _DECODERS[JOURNAL_FORMAT]
"""Event kind -> the checked constructor from the JSON values of the event's fields.

The journal stores an event as the JSON array of its fields in declaration order (an outcome as
its value, prices as [token_id, mark] pairs, loaded positions as arrays of their fields). Raises
`InvalidInput` naming the field for any value the builders would refuse: a corrupted journal row
is refused, never applied. Recovery applies what comes out of here without checking it again."""

LEGACY_FROM_FIELDS: Final[dict[str, Callable[[object], Event]]] = _DECODERS[1]
"""The same for a journal in format 1 (whole contracts, limits and marks in cents, fills
without a status), scaled to the current units as it is decoded."""


_LEGACY_REASON = (
    "a session opened in whole contracts and cents (journal format 1) journals whole values "
    "only: open a new session for fractional shares, finer limits and settlement statuses"
)


def _legacy_value(field: str, value: int, scale: int) -> int:
    if value % scale:
        raise InvalidInput(field, value, _LEGACY_REASON)
    return value // scale


def legacy_fields(event: Event) -> list[Any]:
    """The journal values of `event` in format 1, for a session opened in it: quantities in
    whole contracts, limits and marks in cents; `InvalidInput` for what that format cannot
    hold (a fractional quantity, a finer limit, a settlement status)."""
    if isinstance(event, PricesUpdated):
        return [[[t, _legacy_value("prices", m, CENT_MICRO)] for t, m in event.prices]]
    if isinstance(event, PositionsLoaded):
        return [
            [
                [r.token_id, r.market_id, r.outcome, _legacy_value("qty_micro", r.qty_micro, MICRO),
                 r.cost_micro, r.realized_micro]
                for r in event.rows
            ]
        ]  # fmt: skip
    if isinstance(
        event,
        FillStatusChanged
        | StaleFillsChecked
        | PositionReconciled
        | OrderAdopted
        | OrderDropped
        | CashReconciled,
    ):
        raise InvalidInput(event.kind, event, _LEGACY_REASON)
    values: list[Any] = []
    for spec in EVENT_FIELDS[type(event)]:
        value = getattr(event, spec.name)
        if spec.since > 1:
            if value != spec.default:
                raise InvalidInput(spec.name, value, _LEGACY_REASON)
            continue
        scale = spec.kind.legacy_scale
        values.append(
            value if scale == 1 or value is None else _legacy_value(spec.name, value, scale)
        )
    return values


def native_decoder_kinds() -> dict[str, object]:
    """The current format's decoders as `_native.JournalDecoder` takes them: for an event of
    scalar fields each of which has a common case, (class, ((slot, test), ...), its check
    across fields or None, None); for any other kind, its Python decoder (`FROM_FIELDS`)."""
    kinds: dict[str, object] = dict(FROM_FIELDS)
    for cls, specs in EVENT_FIELDS.items():
        tests = [spec.kind.json for spec in specs]
        if all(test is not None for test in tests):
            slots = tuple(
                (spec.name, test.native())  # type: ignore[union-attr]  # checked above
                for spec, test in zip(specs, tests, strict=True)
            )
            kinds[cls.kind] = (cls, slots, _CROSS_CHECKS.get(cls), None)  # type: ignore[attr-defined]
    return kinds


def decoders_for(journal_format: int) -> dict[str, Callable[[object], Event]]:
    """The decoders of a session's journal rows, by the format its first row names."""
    return FROM_FIELDS if journal_format >= JOURNAL_FORMAT else LEGACY_FROM_FIELDS


def _session_opened_from_fields(values: object) -> SessionOpened:
    names = tuple(f.name for f in fields(SessionOpened))
    if type(values) is not list or len(values) not in (len(names) - 1, len(names)):
        raise InvalidInput(
            SessionOpened.kind,
            values,
            f"a JSON array of its {len(names)} fields {list(names)} is required",
        )
    capital, mode, strategy_id, config_json = values[:4]
    # A row written before the format field existed: whole contracts and cents.
    journal_format = values[4] if len(values) == len(names) else 1
    _check_micro("initial_capital_micro", capital, 0, MAX_MICRO)
    if mode not in ("paper", "live"):
        raise InvalidInput("mode", mode, "must be 'paper' or 'live'")
    for name, value in (("strategy_id", strategy_id), ("config_json", config_json)):
        if type(value) is not str:
            raise InvalidInput(name, value, "a string is required")
    if type(journal_format) is not int or not 1 <= journal_format <= JOURNAL_FORMAT:
        raise InvalidInput(
            "journal_format", journal_format, f"an int, 1..{JOURNAL_FORMAT}, is required"
        )
    return SessionOpened(capital, mode, strategy_id, config_json, journal_format)


SESSION_OPENED_FROM_FIELDS: Callable[[object], SessionOpened] = _session_opened_from_fields
"""The checked `SessionOpened` from the JSON values of its fields (a journal's first row)."""
