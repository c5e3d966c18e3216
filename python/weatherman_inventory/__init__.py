"""weatherman_inventory: the exact capital and position ledger of a weatherman trading session."""

from __future__ import annotations

from weatherman_inventory.errors import (
    BoundExceeded,
    DuplicateFill,
    InvalidInput,
    InventoryError,
    SchemaVersionError,
    SessionExists,
    SessionLocked,
    SessionNotFound,
    StoreError,
)
from weatherman_inventory.manager import Anomaly, AnomalyKind, InventoryManager
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
    parse_contract,
)
from weatherman_inventory.store import PersistenceLayer

__all__ = [
    "Anomaly",
    "AnomalyKind",
    "BoundExceeded",
    "DecisionContext",
    "DuplicateFill",
    "InvalidInput",
    "InventoryError",
    "InventoryManager",
    "InventoryState",
    "MarketState",
    "MintedPairBalance",
    "Outcome",
    "PersistenceLayer",
    "PortfolioState",
    "PositionState",
    "SchemaVersionError",
    "SessionExists",
    "SessionLocked",
    "SessionNotFound",
    "StoreError",
    "TokenPosition",
    "Trigger",
    "WeatherState",
    "parse_contract",
]
