"""What the venue (Polymarket) does to an account, in the ledger's exact units."""

from __future__ import annotations

from weatherman_inventory.venue.fees import WEATHER_FEES, FeeSchedule

__all__ = ["WEATHER_FEES", "FeeSchedule"]
