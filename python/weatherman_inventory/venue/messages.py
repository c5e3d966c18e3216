"""Typed models of the venue's user-channel messages and REST trade pages, exact in micro-units.

Read with `venue-facts.md` §1, §2, §5 and §7 (the numbers below are its section numbers):

- `TradeMessage` is the user channel's `trade` event and a row of `GET /data/trades` (§1, §7): the
  top-level fields are the taker's, `maker_orders[]` holds one `MakerLeg` per resting order.
- `OrderMessage` is the `order` event (§2); `OrderStatusText` parses its status by the longest
  known prefix, so `CANCELED_MARKET_RESOLVED` is not `CANCELED` plus a reason, and a FOK kill's
  `"CANCELED_order couldn't be fully filled..."` is `CANCELED` with a reason.
- `TradePage` is the cursor page `{data, next_cursor}` of `GET /data/trades` (§7).
- Shares and prices are decimal strings with trailing digits that vary ("5", "100.0000"); they
  become integer micro-shares and micro-dollars (§5). More than 6 decimals is refused.
- Empty strings are real where §1 and §2 say so (`fee_rate_bps`, an order's `size_matched`,
  `outcome`, `created_at`); they read as absent there and are refused elsewhere.
- Times come as seconds, milliseconds (also micro- and nanoseconds) as strings or integers, or as
  ISO-8601 text: the unit is decided by magnitude and every time becomes unix milliseconds (§1).
- Trade statuses drop an SDK's `TRADE_STATUS_` prefix (§3); an unknown status is refused.

`parse_user_messages` and `parse_trade_page` read raw JSON text and raise `InvalidMessage`, naming
the field path (`[1].maker_orders[0].matched_amount`) and its value, for anything they cannot read.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Final, Literal

import orjson
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from weatherman_inventory.errors import InvalidInput

__all__ = [
    "ORDER_STATUSES",
    "TRADE_STATUSES",
    "InvalidMessage",
    "MakerLeg",
    "OrderMessage",
    "OrderStatusText",
    "TradeMessage",
    "TradePage",
    "parse_trade_page",
    "parse_user_messages",
]

MICRO: Final = 1_000_000
MAX_SHARES_MICRO: Final = 10**15 - 1
"""Quantities stay below 10^9 shares (the ledger's bound)."""

TRADE_STATUSES: Final = frozenset(
    {"MATCHED", "MINED", "CONFIRMED", "RETRYING", "FAILED", "MATCHED_NOT_BROADCASTED"}
)
"""A trade's settlement statuses (§3); `MATCHED_NOT_BROADCASTED` is seen in REST rows only."""

ORDER_STATUSES: Final = (
    "CANCELED_MARKET_RESOLVED",
    "UNMATCHED",
    "CANCELED",
    "DELAYED",
    "MATCHED",
    "INVALID",
    "LIVE",
)
"""An order's statuses (§2), longest first: the order in which a status is matched as a prefix."""


class InvalidMessage(InvalidInput):
    """A venue message the adapter cannot read: refused before anything changed.

    `field` is the path of the offending value in the raw text (`[0].maker_orders[1].price`),
    `value` what the text held there, `reason` what is required.
    """


_DECIMAL: Final = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")


def _decimal_text(value: object) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("a decimal string is required, not a bool")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if not isinstance(value, str) or len(value) > 40 or not _DECIMAL.fullmatch(value):
        raise ValueError("a non-negative decimal string such as '12.5' is required")
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover (the pattern admits only valid text)
        raise ValueError("a decimal string is required") from None


def _micro(value: object, what: str) -> int:
    number = _decimal_text(value)
    scaled = number.scaleb(6)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{what} with at most 6 decimals is required")
    return int(scaled)


def _shares(value: object) -> int:
    micro = _micro(value, "a share quantity")
    if micro > MAX_SHARES_MICRO:
        raise ValueError("a share quantity below 10^9 is required")
    return micro


def _shares_or_empty(value: object) -> int | None:
    if value is None or value == "":
        return None
    return _shares(value)


def _price(value: object) -> int:
    micro = _micro(value, "a price in dollars")
    if micro > MICRO:
        raise ValueError("a price between 0 and 1 dollar is required")
    return micro


_TIME_REASON: Final = "unix seconds or milliseconds, or ISO-8601 text, is required"


def _unix_ms(value: object) -> int | None:
    """Unix milliseconds from seconds, ms, µs or ns (by magnitude) or ISO-8601 text; "" is None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("a time is required, not a bool")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        number = int(value)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                "unix seconds or milliseconds, or ISO-8601 text, is required"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp() * 1000)
    else:
        raise ValueError(_TIME_REASON)
    if number < 0:
        raise ValueError("a time after 1970 is required")
    # Seconds reach 10^11 in the year 5138, milliseconds 10^14 in 5138 too: the unit is unique.
    if number < 10**11:
        return number * 1000
    if number < 10**14:
        return number
    if number < 10**17:
        return number // 1000
    return number // 1_000_000


def _trade_status(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("a trade status string is required")
    status = value.removeprefix("TRADE_STATUS_")
    if status not in TRADE_STATUSES:
        raise ValueError(f"a known trade status ({', '.join(sorted(TRADE_STATUSES))}) is required")
    return status


def _label(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError("a string is required")
    return value


def _bps(value: object) -> str:
    """`fee_rate_bps`: kept as text, since it does not tell the fee (§1, §4); "" is real."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("a string or an integer is required")
    return str(value)


_Id = Annotated[str, Field(min_length=1, max_length=256)]
Shares = Annotated[int, BeforeValidator(_shares)]
"""Micro-shares, from a decimal string with at most 6 decimals."""
SharesOrEmpty = Annotated[int | None, BeforeValidator(_shares_or_empty)]
Price = Annotated[int, BeforeValidator(_price)]
"""Micro-dollars per share, 0..1_000_000, from a decimal string with at most 6 decimals."""
UnixMs = Annotated[int | None, BeforeValidator(_unix_ms)]
TradeStatus = Annotated[str, BeforeValidator(_trade_status)]
Label = Annotated[str, BeforeValidator(_label)]
Bps = Annotated[str, BeforeValidator(_bps)]
Side = Literal["BUY", "SELL"]


class OrderStatusText(BaseModel):
    """An order's status split into the known status and the reason the venue appended."""

    model_config = ConfigDict(frozen=True)

    status: str
    reason: str = ""

    @classmethod
    def parse(cls, value: object) -> OrderStatusText:
        if not isinstance(value, str):
            raise ValueError("an order status string is required")
        for known in ORDER_STATUSES:
            if value == known:
                return cls(status=known)
            if value.startswith(known + "_") or value.startswith(known + " "):
                return cls(status=known, reason=value[len(known) + 1 :])
        raise ValueError(f"a known order status ({', '.join(ORDER_STATUSES)}) is required")


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", strict=False)


class MakerLeg(_Message):
    """One resting order filled by a trade: its own token, price and shares (§1)."""

    order_id: _Id
    owner: Label = ""
    maker_address: Label = ""
    matched_amount: Shares
    price: Price
    asset_id: _Id
    outcome: Label = ""
    outcome_index: int | None = None
    side: Side | None = None
    fee_rate_bps: Bps = ""


class TradeMessage(_Message):
    """A `trade` event or a `/data/trades` row; top-level fields are the taker's (§1, §7)."""

    event_type: Literal["trade"] = "trade"
    type: Literal["TRADE"] = "TRADE"
    id: _Id
    status: TradeStatus
    trader_side: Literal["TAKER", "MAKER"]
    taker_order_id: _Id
    market: _Id
    asset_id: _Id
    side: Side
    price: Price
    size: Shares
    outcome: Label = ""
    owner: Label = ""
    trade_owner: Label = ""
    maker_address: Label = ""
    match_time: UnixMs = None
    last_update: UnixMs = None
    timestamp: UnixMs = None
    transaction_hash: Label = ""
    bucket_index: int | None = None
    fee_rate_bps: Bps = ""
    maker_orders: list[MakerLeg] = Field(default_factory=list)


class OrderMessage(_Message):
    """An `order` event (§2): placement, cumulative `size_matched` update, or cancellation."""

    event_type: Literal["order"]
    id: _Id
    owner: Label = ""
    order_owner: Label = ""
    maker_address: Label = ""
    market: _Id
    asset_id: _Id
    side: Side
    outcome: Label = ""
    price: Price
    original_size: Shares
    size_matched: SharesOrEmpty = None
    associate_trades: list[str] | None = None
    type: Literal["PLACEMENT", "UPDATE", "CANCELLATION"]
    status: Annotated[OrderStatusText, BeforeValidator(OrderStatusText.parse)]
    order_type: Label = ""
    created_at: UnixMs = None
    expiration: UnixMs = None
    timestamp: UnixMs = None


class TradePage(_Message):
    """A cursor page of `GET /data/trades`: `next_cursor` "LTE=" means the last page (§7)."""

    data: list[TradeMessage]
    next_cursor: Label = ""

    @property
    def is_last(self) -> bool:
        return self.next_cursor in {"", "LTE="}


UserMessage = TradeMessage | OrderMessage


def _path(prefix: str, loc: tuple[int | str, ...]) -> str:
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _refused(prefix: str, exc: ValidationError) -> InvalidMessage:
    error = exc.errors(include_url=False)[0]
    loc = tuple(part for part in error["loc"] if not str(part).startswith("function-"))
    reason = error["msg"].removeprefix("Value error, ")
    value = None if error["type"] == "missing" else error.get("input")
    return InvalidMessage(_path(prefix, loc), value, reason)


def _load(text: str | bytes) -> Any:
    if not isinstance(text, str | bytes):
        raise InvalidMessage("text", text, "the raw JSON text (str or bytes) is required")
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidMessage("text", text, f"JSON is required: {exc}") from None


def parse_user_messages(text: str | bytes) -> tuple[UserMessage, ...]:
    """Every event of one user-channel frame (one JSON object or an array of them), in order."""
    raw = _load(text)
    batch = raw if isinstance(raw, list) else [raw]
    prefix = "[{}]" if isinstance(raw, list) else ""
    out: list[UserMessage] = []
    for i, item in enumerate(batch):
        where = prefix.format(i)
        if not isinstance(item, dict):
            raise InvalidMessage(where or "text", item, "a JSON object is required")
        kind = item.get("event_type")
        model: type[TradeMessage] | type[OrderMessage]
        if kind == "trade":
            model = TradeMessage
        elif kind == "order":
            model = OrderMessage
        else:
            raise InvalidMessage(
                _path(where, ("event_type",)), kind, '"trade" or "order" is required'
            )
        try:
            out.append(model.model_validate(item))
        except ValidationError as exc:
            raise _refused(where, exc) from None
    return tuple(out)


def parse_trade_page(text: str | bytes) -> TradePage:
    """One page of `GET /data/trades` (`{data, next_cursor}`)."""
    raw = _load(text)
    if not isinstance(raw, dict):
        raise InvalidMessage("text", raw, "a JSON object {data, next_cursor} is required")
    try:
        return TradePage.model_validate(raw)
    except ValidationError as exc:
        raise _refused("", exc) from None
