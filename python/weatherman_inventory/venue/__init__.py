"""What the venue (Polymarket) does to an account, in the ledger's exact units."""

from __future__ import annotations

from weatherman_inventory.venue.adapter import Action, Applied, Ledger, PolymarketAdapter
from weatherman_inventory.venue.fees import WEATHER_FEES, FeeSchedule
from weatherman_inventory.venue.messages import (
    InvalidMessage,
    MakerLeg,
    OrderMessage,
    OrderStatusText,
    TradeMessage,
    TradePage,
    parse_trade_page,
    parse_user_messages,
)

__all__ = [
    "WEATHER_FEES",
    "Action",
    "Applied",
    "FeeSchedule",
    "InvalidMessage",
    "Ledger",
    "MakerLeg",
    "OrderMessage",
    "OrderStatusText",
    "PolymarketAdapter",
    "TradeMessage",
    "TradePage",
    "parse_trade_page",
    "parse_user_messages",
]
