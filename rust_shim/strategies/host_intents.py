"""What a strategy answers each tick in the reference host, as pydantic models.

The same JSON shapes as `strategies/intents.d.ts` and `Intent`/`Reply` in
`rust_shim/src/bin/host/strategies.rs`: camelCase keys, unknown keys refused.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel

from weatherman_inventory import Outcome

__all__ = ["Intent", "MergeIntent", "MintIntent", "OrderIntent", "Reply"]


class _Wire(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
        frozen=True,
    )


class OrderIntent(_Wire):
    """A limit order; the host checks it with `can_buy` / `can_sell` before sending it."""

    kind: Literal["order"] = "order"
    side: Literal["buy", "sell"]
    market_id: str
    outcome: Outcome
    qty: Annotated[
        Decimal, Field(gt=0, lt=10**9, decimal_places=6), PlainSerializer(float, return_type=float)
    ]
    """Shares, exact to 6 decimals (the venue's unit); on the wire a JSON number, which a float
    carries exactly at 15 significant digits and fewer."""
    limit_px: Annotated[int, Field(ge=1, le=99)]
    """Limit price, cents of a dollar."""


class MintIntent(_Wire):
    """Mint YES+NO pairs for `amount_usd` whole dollars (one pair per dollar)."""

    kind: Literal["mint"] = "mint"
    market_id: str
    amount_usd: Annotated[int, Field(ge=1)]


class MergeIntent(_Wire):
    """Merge `pairs` minted pairs back into USDC."""

    kind: Literal["merge"] = "merge"
    market_id: str
    pairs: Annotated[int, Field(ge=1)]


Intent = Annotated[OrderIntent | MintIntent | MergeIntent, Field(discriminator="kind")]


class Reply(_Wire):
    """One tick's answer."""

    intents: list[Intent]
