"""Orders: each order from its submission to its close, what it still reserves, and the venue's
ids of the orders.

`OrderBook` is the ledger's map of local ids to orders: an open order is a mutable `Order`
holding its reservation (`reserved_micro` for a buy, `reserved_qty` for a sell); a filled or
cancelled one an immutable `ClosedOrder`, one instance per distinct value, so a long session's
closed orders cost little more than their ids. It also keeps the venue's id of each
acknowledged order, both ways. The manager moves the cash and the positions an order's fill or
cancel releases; the book keeps the orders.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, NamedTuple

from weatherman_inventory._native import SlotMaker
from weatherman_inventory.events import OrderRecord, OrderStatus
from weatherman_inventory.undo import MISSING, Saved

__all__ = ["ClosedOrder", "Order", "OrderBook"]

_SUBMITTED: Final = OrderStatus.SUBMITTED


class Order:
    """An open order's mutable state; it holds `reserved_micro` (a buy) or `reserved_qty` (a sell).

    Its local id is the key it is kept under. Once the order is filled or cancelled, the ledger
    keeps a `ClosedOrder` instead.
    """

    __slots__ = (
        "filled_qty",
        "limit_micro",
        "market_id",
        "qty",
        "reserved_micro",
        "reserved_qty",
        "side",
        "status",
        "tif",
        "token_id",
    )

    def __init__(  # noqa: PLR0917
        self,
        side: str,
        market_id: str,
        token_id: str,
        qty: int,
        limit_micro: int | None,
        tif: str,
        reserved_micro: int,
        reserved_qty: int,
    ) -> None:
        self.side = side
        self.market_id = market_id
        self.token_id = token_id
        self.qty = qty
        self.limit_micro = limit_micro
        self.tif = tif
        self.status = _SUBMITTED
        self.filled_qty = 0
        self.reserved_micro = reserved_micro
        self.reserved_qty = reserved_qty

    def copy(self) -> Order:
        return _COPY_ORDER(self)

    def record(self, local_id: str) -> OrderRecord:
        return OrderRecord(
            local_id,
            self.side,
            self.market_id,
            self.token_id,
            self.qty,
            self.limit_micro,
            self.tif,
            self.status,
            self.filled_qty,
            self.reserved_micro,
            self.reserved_qty,
        )


class ClosedOrder(NamedTuple):
    """A filled or cancelled order: what its record and the rules about closed orders still need.

    A closed order reserves nothing and changes only when a fill arrives after it closed (an
    overfill, counted in `filled_qty`), so it is an immutable value; the ledger keeps one
    instance per distinct value (`OrderBook.keep_closed`), and a long session's closed
    orders cost little more than their ids.
    """

    side: str
    market_id: str
    token_id: str
    qty: int
    limit_micro: int | None
    tif: str
    status: OrderStatus
    filled_qty: int

    @property
    def reserved_micro(self) -> int:
        return 0

    @property
    def reserved_qty(self) -> int:
        return 0

    def copy(self) -> ClosedOrder:
        return self

    def record(self, local_id: str) -> OrderRecord:
        return OrderRecord(local_id, *self, 0, 0)


_COPY_ORDER: Final[Callable[[Order], Order]] = SlotMaker(Order, Order.__slots__).copy


class OrderBook(dict[str, "Order | ClosedOrder"]):
    """Every order the ledger has seen, by local id, in submission order."""

    __slots__ = ("_closed", "exchange_ids", "local_ids")

    def __init__(self) -> None:
        super().__init__()
        self._closed: dict[ClosedOrder, ClosedOrder] = {}
        self.exchange_ids: dict[str, str] = {}
        """The venue's id of each acknowledged order."""
        self.local_ids: dict[str, str] = {}
        """The local id of each venue id."""

    def close(self, local_id: str, order: Order) -> None:
        """Keep an order that has just been filled or cancelled as a `ClosedOrder`, if it has
        released everything (else it stays as it is, exact)."""
        if order.reserved_micro or order.reserved_qty:
            return
        self.keep_closed(
            local_id,
            ClosedOrder(
                order.side,
                order.market_id,
                order.token_id,
                order.qty,
                order.limit_micro,
                order.tif,
                order.status,
                order.filled_qty,
            ),
        )

    def keep_closed(self, local_id: str, closed: ClosedOrder) -> None:
        """Keep `closed` as the order: one instance per distinct closed order (orders of a
        repeated size on one token share it)."""
        self[local_id] = self._closed.setdefault(closed, closed)

    def assign(self, local_id: str, exchange_order_id: str) -> None:
        """Record the venue's id of an order."""
        self.exchange_ids[local_id] = exchange_order_id
        self.local_ids[exchange_order_id] = local_id

    def save(self, local_id: str) -> Saved:
        """The order, for a checkpoint to put back."""
        order = self.get(local_id)
        return (self, local_id, MISSING if order is None else order.copy())

    def save_ids(self, local_id: str, exchange_order_id: str) -> list[Saved]:
        """The venue-id mappings an assignment of `exchange_order_id` can change."""
        return [
            (self.exchange_ids, local_id, self.exchange_ids.get(local_id, MISSING)),
            (self.local_ids, exchange_order_id, self.local_ids.get(exchange_order_id, MISSING)),
        ]

    def state(self) -> dict[str, Any]:
        """The book as plain comparable values (`InventoryManager.ledger_state`)."""
        return {
            "orders": [o.record(local_id) for local_id, o in self.items()],
            "exchange_ids": dict(self.exchange_ids),
        }
