"""The Polymarket adapter: the venue's user-channel messages in, the ledger's calls out.

No network code: the session forwards the raw text of each frame (`on_user_messages`) and of each
page of `GET /data/trades` (`on_trade_page`). Every branch follows a fact of `venue-facts.md`
(section numbers in brackets):

- Our legs only [§1]. Taker view (`trader_side` TAKER): our fill is the top-level `asset_id`,
  `side`, `price`, `size` of order `taker_order_id`. Maker legs: every `maker_orders[]` entry whose
  `owner` is our API key or whose `maker_address` is our funder (addresses compared
  case-insensitively), whatever `trader_side` says, so one message can fill several of our orders
  and a self-match books both sides.
- Cross-asset legs [§1]: a leg takes asset, price and shares from itself; its side is the taker's
  when its `asset_id` differs from the taker's (mint or merge), the opposite when equal. A leg
  whose own `side` contradicts that is refused.
- Per-leg fill ids [§1]: `"{trade id}/{our order id}"`, so every leg of one trade is its own fill.
- Statuses [§3]: a leg the ledger has not booked is booked with the trade's status (CONFIRMED
  included, so that a later FAILED can reverse it; `MATCHED_NOT_BROADCASTED` is MATCHED); a
  `FAILED` trade never booked is not booked (nothing moved on chain). A known leg moves on by
  `on_fill_status` when the status is new and not older in the lifecycle (MATCHED, then MINED or
  RETRYING, then CONFIRMED or FAILED): a resent or late MATCHED never rewinds a settled fill,
  while FAILED after CONFIRMED and the reverse are passed on (the venue's latest word; the ledger
  records the anomaly).
- Fees [§4]: a taker leg pays the market's schedule (`fees`), floored to 0.00001; maker legs pay
  0; `fee_rate_bps` is never read as the fee.
- Orders [§2]: fills come from trade messages only. PLACEMENT and UPDATE are checked against the
  ledger's order (side, token, size, price) and change nothing (cumulative `size_matched` is read,
  never booked). The order is closed by `type` CANCELLATION, by the statuses CANCELED (a FOK kill's
  suffixed status too), CANCELED_MARKET_RESOLVED, UNMATCHED and INVALID: the ledger releases what it
  still reserves. A cancel of an order the ledger already closed does nothing (no anomaly). A
  cancel whose `size_matched` is ahead of the ledger's filled quantity (its trade is still on the
  way) waits until the ledger has booked those shares, so nothing is released twice; it does not
  wait when every trade its `associate_trades` names is one the ledger already knows for the order
  (a `FAILED` trade restates the ledger's filled quantity, not the venue's `size_matched` [§3]),
  or one that failed before it was booked.
- Idempotency: what was applied is read back from the ledger (`fill_status` of each fill id,
  the order's status), so the same message resent, with a new `timestamp` or `last_update`,
  or after a restart, changes nothing. Only a cancel that waits for its trade is held in memory:
  after a restart the stream does not replay [§3], and reconciliation closes such orders.
- Malformed input [§1, §2, §5]: the whole frame is parsed and every leg read (sides, outcomes, fill
  ids) before the first ledger call; anything unreadable raises `InvalidMessage` naming the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, Protocol

from weatherman_inventory.models import Outcome
from weatherman_inventory.venue.fees import WEATHER_FEES, FeeSchedule
from weatherman_inventory.venue.messages import (
    MICRO,
    InvalidMessage,
    OrderMessage,
    TradeMessage,
    parse_trade_page,
    parse_user_messages,
)

__all__ = ["Action", "Applied", "Ledger", "PolymarketAdapter"]

_CENT_MICRO: Final = 10_000
_MAX_ID: Final = 256
_RANK: Final = {"MATCHED": 0, "MINED": 1, "RETRYING": 1, "CONFIRMED": 2, "FAILED": 2}
"""How far along the lifecycle a status is (§3): a status never moves a fill back."""
_OPEN: Final = frozenset({"SUBMITTED", "PARTIALLY_FILLED"})
_CLOSING: Final = frozenset({"CANCELED", "CANCELED_MARKET_RESOLVED", "UNMATCHED", "INVALID"})


class Ledger(Protocol):
    """What the adapter needs of the ledger (the InventoryManager).

    Quantities are passed as an `int` when whole and an exact `Decimal` of shares otherwise; fill
    prices and fees as `Decimal` dollars; limits as cents (`int`, or a `Decimal` for sub-cent
    ticks). `fill_status(fill_id)` answers the fill's latest settlement status
    ("MATCHED" | "MINED" | "RETRYING" | "CONFIRMED" | "FAILED"; a fill booked without a status is
    "CONFIRMED"), or None when the ledger has never booked it: the adapter's memory of what it
    applied, durable with the ledger's journal. A ledger that also has `local_id_of(venue id)`
    (the InventoryManager) is asked that instead of a scan of `order_ids()` per new venue id.
    """

    def order_ids(self) -> tuple[str, ...]: ...

    def exchange_order_id(self, local_id: str) -> str | None: ...

    def order_record(self, local_id: str) -> Any: ...

    def position_record(self, token_id: str) -> Any: ...

    def fill_status(self, fill_id: str) -> str | None: ...

    def on_fill_buy(  # noqa: PLR0917 (the ledger's signature)
        self,
        local_id: str,
        token_id: str,
        market_id: str,
        outcome: Outcome | str,
        fill_qty: Any,
        fill_price: Any,
        order_qty: Any,
        *,
        fill_id: str | None = None,
        fee_usd: Any = 0,
        status: str | None = None,
    ) -> None: ...

    def on_fill_sell(
        self,
        local_id: str,
        token_id: str,
        fill_qty: Any,
        fill_price: Any,
        order_qty: Any,
        *,
        fill_id: str | None = None,
        fee_usd: Any = 0,
        status: str | None = None,
    ) -> None: ...

    def on_fill_status(self, fill_id: str, status: str) -> None: ...

    def on_order_cancelled_buy(self, local_id: str, remaining_qty: Any, limit_px: Any) -> None: ...

    def on_order_cancelled_sell(self, local_id: str, token_id: str, remaining_qty: Any) -> None: ...


@dataclass(frozen=True, slots=True)
class Action:
    """One thing the adapter did or decided: `kind` says what, `key` names the fill or order.

    Kinds that call the ledger: "fill", "status", "cancel". Kinds that do not: "skip" (already
    applied, stale, or not ours to book), "check" (a venue fact that disagrees with the ledger's
    order), "wait" (a cancel held until its trade is booked).
    """

    kind: str
    key: str
    detail: str


@dataclass(slots=True)
class Applied:
    """What one call did, in order; `next_cursor` is set for a trade page ("" or "LTE=": done)."""

    actions: list[Action] = field(default_factory=list)
    next_cursor: str | None = None

    def of(self, kind: str) -> list[Action]:
        return [a for a in self.actions if a.kind == kind]


@dataclass(frozen=True, slots=True)
class _Leg:
    """One of our legs of a trade, read and checked, ready to book."""

    fill_id: str
    trade_id: str
    venue_order_id: str
    market: str
    token_id: str
    side: str  # "BUY" | "SELL"
    qty_micro: int
    price_micro: int
    outcome: Outcome | None
    taker: bool
    status: str
    where: str


@dataclass(frozen=True, slots=True)
class _OrderView:
    """The ledger's order, whichever layout its record has (whole contracts or micro-shares)."""

    side: str
    token_id: str
    market_id: str
    qty_micro: int
    filled_micro: int
    limit_micro: int | None
    status: str

    @property
    def open(self) -> bool:
        return self.status in _OPEN


def _order_view(record: Any) -> _OrderView | None:
    if record is None:
        return None
    qty = getattr(record, "qty_micro", None)
    filled = getattr(record, "filled_qty_micro", None)
    if qty is None or filled is None:  # the record of whole contracts
        qty, filled = record.qty * MICRO, record.filled_qty * MICRO
    if hasattr(record, "limit_micro"):
        limit = record.limit_micro
    else:
        limit = None if record.limit_px is None else int(record.limit_px * _CENT_MICRO)
    return _OrderView(
        str(record.side),
        str(record.token_id),
        str(record.market_id),
        int(qty),
        int(filled),
        None if limit is None else int(limit),
        str(getattr(record.status, "value", record.status)),
    )


def _shares_arg(micro: int) -> int | Decimal:
    whole, rest = divmod(micro, MICRO)
    return whole if not rest else Decimal(micro).scaleb(-6)


def _dollars(micro: int) -> Decimal:
    """Exact dollars without trailing zeros (0.66, not 0.660000)."""
    whole, rest = divmod(micro, MICRO)
    return Decimal(whole) if not rest else Decimal(micro).scaleb(-6).normalize()


def _cents_arg(limit_micro: int) -> int | Decimal:
    whole, rest = divmod(limit_micro, _CENT_MICRO)
    return whole if not rest else Decimal(limit_micro).scaleb(-4)


def _outcome(label: str, index: int | None) -> Outcome | None:
    text = label.strip().upper()
    if text in {"YES", "NO"}:
        return Outcome(text)
    if index in {0, 1}:
        return Outcome.YES if index == 0 else Outcome.NO
    return None


def _ledger_status(status: str) -> str:
    return "MATCHED" if status == "MATCHED_NOT_BROADCASTED" else status


class PolymarketAdapter:
    """Turns the venue's user-channel messages and trade pages into calls on `ledger`.

    `api_key` (the API key's owner id) and `funder` (the funder address) say which legs are ours.
    `fees` is the taker fee schedule of every market, or a mapping of condition id to schedule
    (a market it does not name uses the weather schedule).
    """

    def __init__(
        self,
        ledger: Ledger,
        *,
        api_key: str,
        funder: str,
        fees: FeeSchedule | Mapping[str, FeeSchedule] = WEATHER_FEES,
    ) -> None:
        if not isinstance(api_key, str) or not api_key:
            raise InvalidMessage("api_key", api_key, "a non-empty string is required")
        if not isinstance(funder, str) or not funder:
            raise InvalidMessage("funder", funder, "a non-empty string is required")
        self.ledger = ledger
        self.api_key = api_key
        self.funder = funder.lower()
        self._fees = fees
        self._local_ids: dict[str, str] = {}
        # Cancels whose `size_matched` is ahead of the ledger: venue order id -> message.
        self._waiting: dict[str, OrderMessage] = {}
        # Fill ids of legs that were FAILED before the ledger booked them (nothing moved).
        self._failed_unbooked: set[str] = set()

    # -- In -------------------------------------------------------------------------------------

    def on_user_messages(self, text: str | bytes) -> Applied:
        """Apply one user-channel frame (a `trade` or `order` event, or an array of them)."""
        messages = parse_user_messages(text)
        return self._apply(messages, "[{}]" if _is_array(text) else "")

    def on_trade_page(self, text: str | bytes) -> Applied:
        """Apply one page of `GET /data/trades` ({data, next_cursor}) like trade messages."""
        page = parse_trade_page(text)
        applied = self._apply(page.data, "data[{}]")
        applied.next_cursor = page.next_cursor
        return applied

    # -- Reading our legs (no ledger writes) ----------------------------------------------------

    def _ours(self, owner: str, address: str) -> bool:
        return owner == self.api_key or (address != "" and address.lower() == self.funder)

    def _legs(self, trade: TradeMessage, where: str) -> list[_Leg]:
        legs: list[_Leg] = []
        if trade.trader_side == "TAKER":
            legs.append(
                self._leg(
                    trade, trade.taker_order_id, trade.asset_id, trade.side, trade.size,
                    trade.price, _outcome(trade.outcome, None), taker=True, where=where,
                )
            )  # fmt: skip
        opposite = "SELL" if trade.side == "BUY" else "BUY"
        for i, leg in enumerate(trade.maker_orders):
            if not self._ours(leg.owner, leg.maker_address):
                continue
            leg_where = f"{where}.maker_orders[{i}]" if where else f"maker_orders[{i}]"
            side = trade.side if leg.asset_id != trade.asset_id else opposite
            if leg.side is not None and leg.side != side:
                raise InvalidMessage(
                    f"{leg_where}.side",
                    leg.side,
                    f"contradicts the taker's {trade.side} of {trade.asset_id!r}: a leg of "
                    f"{'another' if leg.asset_id != trade.asset_id else 'the same'} token is a "
                    f"{side}",
                )
            legs.append(
                self._leg(
                    trade, leg.order_id, leg.asset_id, side, leg.matched_amount, leg.price,
                    _outcome(leg.outcome, leg.outcome_index), taker=False, where=leg_where,
                )
            )  # fmt: skip
        return legs

    def _leg(  # noqa: PLR0917
        self,
        trade: TradeMessage,
        order_id: str,
        token_id: str,
        side: str,
        qty_micro: int,
        price_micro: int,
        outcome: Outcome | None,
        *,
        taker: bool,
        where: str,
    ) -> _Leg:
        fill_id = f"{trade.id}/{order_id}"
        if len(fill_id.encode()) > _MAX_ID:
            raise InvalidMessage(
                f"{where}.id" if where else "id",
                trade.id,
                f"the fill id {fill_id!r} would exceed {_MAX_ID} bytes",
            )
        if qty_micro == 0:
            raise InvalidMessage(
                f"{where}.{'size' if taker else 'matched_amount'}" if where else "size",
                "0",
                "a leg of more than 0 shares is required",
            )
        return _Leg(
            fill_id, trade.id, order_id, trade.market, token_id, side, qty_micro, price_micro,
            outcome, taker, trade.status, where,
        )  # fmt: skip

    def _local_id(self, venue_order_id: str) -> str | None:
        lookup = getattr(self.ledger, "local_id_of", None)
        if lookup is not None:
            # The ledger's own index of venue ids (the InventoryManager's): no scan per order.
            found: str | None = lookup(venue_order_id)
            return found
        local = self._local_ids.get(venue_order_id)
        if local is None:
            ledger = self.ledger
            for local_id in ledger.order_ids():
                venue_id = ledger.exchange_order_id(local_id)
                if venue_id is not None:
                    self._local_ids[venue_id] = local_id
            local = self._local_ids.get(venue_order_id)
        return local

    def _outcome_of(self, leg: _Leg) -> Outcome:
        if leg.outcome is not None:
            return leg.outcome
        position = self.ledger.position_record(leg.token_id)
        if position is not None and position.market_id:
            return Outcome(position.outcome)
        field_name = f"{leg.where}.outcome" if leg.where else "outcome"
        raise InvalidMessage(
            field_name, "", "a Yes/No outcome (or outcome_index) is required for a new token"
        )

    # -- Applying ---------------------------------------------------------------------------

    def _apply(self, messages: Iterable[TradeMessage | OrderMessage], prefix: str) -> Applied:
        plan: list[tuple[TradeMessage | OrderMessage, list[_Leg]]] = []
        for i, message in enumerate(messages):
            where = prefix.format(i)
            if isinstance(message, TradeMessage):
                legs = self._legs(message, where)
                for leg in legs:
                    if leg.side == "BUY" and self.ledger.fill_status(leg.fill_id) is None:
                        self._outcome_of(leg)  # refuse a buy of a token it cannot name, now
                plan.append((message, legs))
            else:
                plan.append((message, []))
        applied = Applied()
        for message, legs in plan:
            if isinstance(message, TradeMessage):
                if not legs:
                    applied.actions.append(
                        Action("skip", message.id, "no leg of this trade is ours")
                    )
                for leg in legs:
                    self._apply_leg(leg, applied)
            else:
                self._apply_order(message, applied)
        return applied

    def _fee_micro(self, leg: _Leg) -> int:
        if not leg.taker:
            return 0
        fees = self._fees
        schedule = fees if isinstance(fees, FeeSchedule) else fees.get(leg.market, WEATHER_FEES)
        return schedule.taker_fee_micro(leg.qty_micro, leg.price_micro)

    def _apply_leg(self, leg: _Leg, applied: Applied) -> None:
        ledger = self.ledger
        new = _ledger_status(leg.status)
        known = ledger.fill_status(leg.fill_id)
        if known is None:
            if new == "FAILED":
                self._failed_unbooked.add(leg.fill_id)
                applied.actions.append(
                    Action("skip", leg.fill_id, "FAILED before it was booked: nothing moved")
                )
                return
            self._book(leg, new, applied)
            self._release_waiting(leg.venue_order_id, applied)
            return
        if new == known or _RANK[new] < _RANK[known]:
            applied.actions.append(
                Action("skip", leg.fill_id, f"{leg.status} with the ledger at {known}")
            )
            return
        ledger.on_fill_status(leg.fill_id, new)
        applied.actions.append(Action("status", leg.fill_id, f"{known} -> {new}"))

    def _book(self, leg: _Leg, status: str, applied: Applied) -> None:
        ledger = self.ledger
        local_id = self._local_id(leg.venue_order_id)
        order = _order_view(None if local_id is None else ledger.order_record(local_id))
        if local_id is None or order is None:
            # Ours by the venue's word, but no order of this session: the ledger books it as a
            # fill of an unknown order (an anomaly), keyed by the venue's id.
            local_id = leg.venue_order_id
            order_qty = _shares_arg(leg.qty_micro)
        else:
            order_qty = _shares_arg(order.qty_micro)
        qty = _shares_arg(leg.qty_micro)
        price = _dollars(leg.price_micro)
        fee = _dollars(self._fee_micro(leg))
        # Booked with its status, CONFIRMED too: the ledger keeps what a later FAILED (the
        # venue's latest word) needs to reverse it; a fill booked without one it cannot reverse.
        extra: dict[str, Any] = {"status": status}
        if leg.side == "BUY":
            market_id = order.market_id if order is not None and order.market_id else leg.market
            ledger.on_fill_buy(
                local_id, leg.token_id, market_id, self._outcome_of(leg), qty, price, order_qty,
                fill_id=leg.fill_id, fee_usd=fee, **extra,
            )  # fmt: skip
        else:
            ledger.on_fill_sell(
                local_id, leg.token_id, qty, price, order_qty,
                fill_id=leg.fill_id, fee_usd=fee, **extra,
            )  # fmt: skip
        applied.actions.append(
            Action(
                "fill",
                leg.fill_id,
                f"{leg.side} {qty} {leg.token_id} @ {price} fee {fee} ({status}) "
                f"for order {local_id}",
            )
        )

    def _apply_order(self, message: OrderMessage, applied: Applied) -> None:
        venue_id = message.id
        local_id = self._local_id(venue_id)
        order = _order_view(None if local_id is None else self.ledger.order_record(local_id))
        if local_id is None or order is None:
            applied.actions.append(
                Action("skip", venue_id, f"{message.type} of an order of no session order")
            )
            return
        self._check(message, local_id, order, applied)
        status = message.status.status
        closing = message.type == "CANCELLATION" or status in _CLOSING
        if not closing:
            return
        if not order.open:
            applied.actions.append(
                Action("skip", local_id, f"{status} of an order the ledger has {order.status}")
            )
            return
        if self._ahead(message, order):
            matched = message.size_matched or 0
            self._waiting[venue_id] = message
            applied.actions.append(
                Action(
                    "wait",
                    local_id,
                    f"{status} with {_shares_arg(matched)} matched, "
                    f"{_shares_arg(order.filled_micro)} booked: waits for the trade",
                )
            )
            return
        self._cancel(local_id, order, message, applied)

    def _check(
        self, message: OrderMessage, local_id: str, order: _OrderView, applied: Applied
    ) -> None:
        differences = []
        if order.side != message.side.lower():
            differences.append(f"side {message.side}, the ledger's {order.side}")
        if order.token_id != message.asset_id:
            differences.append(f"token {message.asset_id}, the ledger's {order.token_id}")
        if order.qty_micro != message.original_size:
            differences.append(
                f"size {_shares_arg(message.original_size)}, the ledger's "
                f"{_shares_arg(order.qty_micro)}"
            )
        if order.limit_micro is not None and order.limit_micro != message.price:
            differences.append(
                f"price {_dollars(message.price)}, the ledger's {_dollars(order.limit_micro)}"
            )
        if differences:
            applied.actions.append(Action("check", local_id, "; ".join(differences)))

    def _cancel(
        self, local_id: str, order: _OrderView, message: OrderMessage, applied: Applied
    ) -> None:
        remaining = _shares_arg(max(message.original_size - (message.size_matched or 0), 0))
        if order.side == "buy":
            assert order.limit_micro is not None  # every buy order has a limit
            self.ledger.on_order_cancelled_buy(local_id, remaining, _cents_arg(order.limit_micro))
        else:
            self.ledger.on_order_cancelled_sell(local_id, order.token_id, remaining)
        self._waiting.pop(message.id, None)
        reason = f" ({message.status.reason})" if message.status.reason else ""
        applied.actions.append(
            Action("cancel", local_id, f"{message.status.status}{reason}, {remaining} left")
        )

    def _release_waiting(self, venue_id: str, applied: Applied) -> None:
        message = self._waiting.get(venue_id)
        if message is None:
            return
        local_id = self._local_id(venue_id)
        order = _order_view(None if local_id is None else self.ledger.order_record(local_id))
        if local_id is None or order is None or not order.open:
            self._waiting.pop(venue_id, None)
            return
        if not self._ahead(message, order):
            self._cancel(local_id, order, message, applied)

    def _ahead(self, message: OrderMessage, order: _OrderView) -> bool:
        """Whether a closing order message reports shares matched that the ledger has not yet
        booked: its `size_matched` exceeds the ledger's filled quantity and some trade it names
        (all of them, when it names none) is not yet known to the ledger for this order."""
        if (message.size_matched or 0) <= order.filled_micro:
            return False
        trades = message.associate_trades
        if not trades:
            return True
        for trade_id in trades:
            fill_id = f"{trade_id}/{message.id}"
            if fill_id in self._failed_unbooked:
                continue
            if len(fill_id.encode()) > _MAX_ID or self.ledger.fill_status(fill_id) is None:
                return True
        return False


def _is_array(text: str | bytes) -> bool:
    """Whether a frame's raw text is a JSON array (its errors then name `[i]`)."""
    stripped = text.lstrip() if isinstance(text, str) else text.lstrip().decode("ascii", "replace")
    return stripped.startswith("[")
