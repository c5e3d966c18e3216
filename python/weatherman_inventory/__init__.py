"""weatherman_inventory: the exact capital and position ledger of a weatherman trading session."""

from __future__ import annotations

from weatherman_inventory.models import (
    DecisionContext,
    InventoryState,
    MarketState,
    MintedPairBalance,
    Outcome,
    PortfolioState,
    PositionState,
    TokenPosition,
    Trigger,
    WeatherState,
)

__all__ = [
    "DecisionContext",
    "InventoryState",
    "MarketState",
    "MintedPairBalance",
    "Outcome",
    "PortfolioState",
    "PositionState",
    "TokenPosition",
    "Trigger",
    "WeatherState",
]
