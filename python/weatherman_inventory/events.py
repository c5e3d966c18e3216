"""The ledger's vocabulary: validated events in, durable records out.

An event is what the InventoryManager accepted, already checked and in exact integer units:
money in micro-USDC (1e-6 dollar, the unit USDC settles in), order limits in cents (1..100),
fill prices in micro-USDC per contract (0..1_000_000). The journal stores events as they are and
recovery feeds them back through the same code, so these classes are the journal's format too.

Records are the manager's state for one order or one token, as the store's tables hold it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import ClassVar

from weatherman_inventory.models import Outcome

__all__ = [
    "MICRO",
    "BuyCancelled",
    "BuyFilled",
    "BuySubmitted",
    "Event",
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
]

MICRO = 1_000_000
"""Micro-USDC per dollar."""


class OrderStatus(str, Enum):
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
)


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
