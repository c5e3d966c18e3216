"""The venue's account as its REST and data APIs give it, typed and exact (venue-facts §7).

- `BalanceAllowance`: `GET /balance-allowance` — `balance` in 6-decimal base units as a string
  ("1000000000" is 1,000.000000 pUSD, or 1,000 shares of a CONDITIONAL token). With
  `asset_type=COLLATERAL` it is the collateral balance; with `asset_type=CONDITIONAL&token_id=`
  one token's balance.
- `OpenOrder` and `OrdersPage`: `GET /data/orders` — the open orders only, in cursor pages
  `{data, next_cursor}` ("LTE=" on the last page).
- `TradePage` (`messages.py`): `GET /data/trades`, rows shaped like the user channel's trades.
- `DataPosition`: a row of the data API's `GET /positions` (a JSON array per page), in the
  camelCase schema (`asset`, `conditionId`, `size`, `outcomeIndex`, `redeemable`) or the newer
  snake_case one (`condition_id`, `current_size`, `outcome_index`, `status`). Numbers are JSON
  floats: a size becomes micro-shares rounded half-even at the sixth decimal.

Which balances count. The venue's balances are what the chain holds, and the two sources differ
in what they promise: `/balance-allowance` reads the chain (cached, lagging until about `MINED`),
while the data API's index has no freshness guarantee and drops small positions, so a zero or
missing row is not proof of flat. A token's balance is therefore the CONDITIONAL
balance-allowance answer for that token, and only that: data-API rows are advisory (they name a
token's market and outcome, and a row of a token with no balance answer makes that token
unverified, never flat).

`AccountPages` takes the pages as they come, one at a time or several at once, each as raw JSON
text or as parsed JSON; `account()` gives the `VenueAccount`. Anything unreadable raises
`InvalidMessage` naming the field path (`orders[1].data[0].price`) and its value, and the pages
already taken are unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Any, Final, Literal

import orjson
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from weatherman_inventory.models import Outcome
from weatherman_inventory.venue.messages import (
    MAX_SHARES_MICRO,
    InvalidMessage,
    Label,
    OrderStatusText,
    Price,
    Shares,
    TradePage,
    UnixMs,
    _path,
)

__all__ = [
    "AccountPages",
    "BalanceAllowance",
    "DataPosition",
    "OpenOrder",
    "OrdersPage",
    "VenueAccount",
]

_MAX_BASE_UNITS: Final = 10**15 - 1
_BASE_UNITS_REASON: Final = (
    "6-decimal base units are required: a string of digits such as '1000000000' ($1,000)"
)


def _base_units(value: object) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        number = value
    else:
        raise ValueError(_BASE_UNITS_REASON)
    if number > _MAX_BASE_UNITS:
        raise ValueError("a balance below 10^9 (10^15 base units) is required")
    return number


def _float_shares(value: object) -> int:
    """A data-API size (a JSON float) in micro-shares, rounded half-even at the 6th decimal."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("a number of shares is required")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("a finite number of shares is required")
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value))
    except ArithmeticError:
        raise ValueError("a number of shares is required") from None
    if not number.is_finite() or number < 0:
        raise ValueError("a finite number of shares, 0 or more, is required")
    micro = int(number.scaleb(6).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    if micro > MAX_SHARES_MICRO:
        raise ValueError("a share quantity below 10^9 is required")
    return micro


BaseUnits = Annotated[int, BeforeValidator(_base_units)]
"""Micro-units (6-decimal base units), from the venue's string of digits."""
FloatShares = Annotated[int, BeforeValidator(_float_shares)]
_Id = Annotated[str, Field(min_length=1, max_length=256)]


class _Rest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", strict=False)


class BalanceAllowance(_Rest):
    """`GET /balance-allowance`: `balance` in micro-units; the allowances are not needed."""

    balance: BaseUnits


class OpenOrder(_Rest):
    """A row of `GET /data/orders` (an open order of the account)."""

    id: _Id
    status: Annotated[OrderStatusText, BeforeValidator(OrderStatusText.parse)]
    market: _Id
    asset_id: _Id
    side: Literal["BUY", "SELL"]
    original_size: Shares
    size_matched: Shares
    price: Price
    outcome: Label = ""
    owner: Label = ""
    maker_address: Label = ""
    order_type: Label = ""
    associate_trades: list[str] | None = None
    expiration: UnixMs = None
    created_at: UnixMs = None

    @property
    def left_micro(self) -> int:
        """Micro-shares the order has left at the venue (what it still reserves)."""
        return max(self.original_size - self.size_matched, 0)


class OrdersPage(_Rest):
    """A cursor page of `GET /data/orders`: "LTE=" (or "") means the last page."""

    data: list[OpenOrder]
    next_cursor: Label = ""

    @property
    def is_last(self) -> bool:
        return self.next_cursor in {"", "LTE="}


_SNAKE: Final = {
    "proxy_wallet": "proxyWallet",
    "asset_id": "asset",
    "token_id": "asset",
    "condition_id": "conditionId",
    "outcome_index": "outcomeIndex",
    "avg_price": "avgPrice",
}


class DataPosition(_Rest):
    """A data-API position row (advisory; see the module's doc)."""

    asset: _Id
    conditionId: str = ""  # noqa: N815 (the venue's name)
    size: FloatShares
    outcome: Label = ""
    outcomeIndex: int | None = None  # noqa: N815 (the venue's name)
    redeemable: bool = False
    status: Label = ""

    @model_validator(mode="before")
    @classmethod
    def _either_schema(cls, raw: Any) -> Any:
        """The snake_case schema read as the camelCase one; `current_size` is the size."""
        if not isinstance(raw, Mapping):
            return raw
        out = dict(raw)
        for snake, camel in _SNAKE.items():
            if snake in out and camel not in out:
                out[camel] = out[snake]
        if "current_size" in out:
            out["size"] = out["current_size"]
        if out.get("outcomeIndex") == 999:
            out["outcomeIndex"] = None
        return out

    @property
    def outcome_value(self) -> Outcome | None:
        label = self.outcome.strip().upper()
        if label in {"YES", "NO"}:
            return Outcome(label)
        if self.outcomeIndex in {0, 1}:
            return Outcome.YES if self.outcomeIndex == 0 else Outcome.NO
        return None


class VenueAccount(_Rest):
    """The venue's account at one moment, exact in micro-units.

    `collateral_micro`: the collateral balance (None: not given). `token_balances`: token id ->
    micro-shares, from CONDITIONAL balance-allowance answers, the only authoritative token
    balances. `open_orders`: every open order (None: the orders were not given, so no order is
    compared). `positions`: data-API rows, advisory. `trade_pages`: the raw JSON of each page of
    the trade history (checked when taken), for the adapter to book what the stream missed.
    """

    collateral_micro: int | None = None
    token_balances: dict[str, int] = Field(default_factory=dict)
    open_orders: tuple[OpenOrder, ...] | None = None
    positions: tuple[DataPosition, ...] = ()
    trade_pages: tuple[bytes, ...] = ()


def _json(where: str, value: object) -> Any:
    if isinstance(value, str | bytes):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise InvalidMessage(where, value, f"JSON is required: {exc}") from None
    return value


def _validate(model: type[BaseModel], where: str, value: object) -> Any:
    raw = _json(where, value)
    if not isinstance(raw, dict):
        raise InvalidMessage(where, raw, "a JSON object is required")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = tuple(part for part in error["loc"] if not str(part).startswith("function-"))
        reason = error["msg"].removeprefix("Value error, ")
        shown = None if error["type"] == "missing" else error.get("input")
        raise InvalidMessage(_path(where, loc), shown, reason) from None


def _pages(value: object) -> list[object]:
    """One page, or a list of pages (JSON text of a list included)."""
    raw = _json("pages", value)
    return list(raw) if isinstance(raw, list) else [raw]


class AccountPages:
    """The venue's account, page by page as it comes; `account()` gives the `VenueAccount`.

    Every `add_*` takes raw JSON text (str or bytes) or parsed JSON. A malformed page raises
    `InvalidMessage` naming its path (`orders[2].data[0].size_matched`, counting every page
    taken) and nothing is taken from that call.
    """

    def __init__(self) -> None:
        self._collateral: int | None = None
        self._tokens: dict[str, int] = {}
        self._orders: list[OrdersPage] = []
        self._trades: list[bytes] = []
        self._positions: list[DataPosition] = []
        self._position_pages = 0

    def add_collateral(self, response: object) -> None:
        """`GET /balance-allowance?asset_type=COLLATERAL`."""
        self._collateral = _validate(BalanceAllowance, "collateral", response).balance

    def add_token_balance(self, token_id: str, response: object) -> None:
        """`GET /balance-allowance?asset_type=CONDITIONAL&token_id=<token_id>`."""
        if not isinstance(token_id, str) or not token_id or len(token_id) > 256:
            raise InvalidMessage("token_id", token_id, "a token id is required")
        balance = _validate(BalanceAllowance, f"conditional[{token_id!r}]", response).balance
        self._tokens[token_id] = balance

    def add_token_balances(self, responses: object) -> None:
        """Several CONDITIONAL answers at once: {token id: response}."""
        raw = _json("conditional", responses)
        if not isinstance(raw, dict):
            raise InvalidMessage("conditional", raw, "an object of token id to response")
        taken: dict[str, int] = {}
        for token_id, response in raw.items():
            where = f"conditional[{token_id!r}]"
            taken[token_id] = _validate(BalanceAllowance, where, response).balance
        self._tokens.update(taken)

    def add_orders(self, pages: object) -> None:
        """One page of `GET /data/orders`, or a list of pages, in order."""
        start = len(self._orders)
        read = [
            _validate(OrdersPage, f"orders[{start + i}]", page)
            for i, page in enumerate(_pages(pages))
        ]
        self._orders.extend(read)

    def add_trades(self, pages: object) -> None:
        """One page of `GET /data/trades`, or a list of pages, in order."""
        start = len(self._trades)
        read = []
        for i, page in enumerate(_pages(pages)):
            _validate(TradePage, f"trades[{start + i}]", page)
            read.append(orjson.dumps(page))
        self._trades.extend(read)

    def add_positions(self, page: object) -> None:
        """One page of the data API's `GET /positions` (a JSON array of rows)."""
        raw = _json("positions", page)
        if not isinstance(raw, list):
            raise InvalidMessage(
                f"positions[{self._position_pages}]", raw, "a JSON array of rows is required"
            )
        where = f"positions[{self._position_pages}]"
        rows = [_validate(DataPosition, f"{where}[{i}]", row) for i, row in enumerate(raw)]
        self._positions.extend(rows)
        self._position_pages += 1

    def account(self) -> VenueAccount:
        """The account from every page taken. Orders pages must run to the last page ("LTE="):
        an order missing from an unfinished listing is not proof that it closed."""
        if self._orders and not self._orders[-1].is_last:
            last = len(self._orders) - 1
            raise InvalidMessage(
                f"orders[{last}].next_cursor",
                self._orders[-1].next_cursor,
                'the open orders are incomplete: the last page has next_cursor "LTE="',
            )
        orders = None
        if self._orders:
            orders = tuple(order for page in self._orders for order in page.data)
        return VenueAccount(
            collateral_micro=self._collateral,
            token_balances=dict(self._tokens),
            open_orders=orders,
            positions=tuple(self._positions),
            trade_pages=tuple(self._trades),
        )
