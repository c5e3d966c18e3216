"""The reference host's Python strategy, called in-process through the embedded interpreter.

`decide(ctx_json)` validates the context with the pydantic `DecisionContext` (strict: the JSON
the host built around the inventory text the ledger wrote) and reads `ctx.inventory`. It trades
the NO side with resting bids a cent inside the spread, and runs a pair cycle: every 40 ticks it
mints $30 of YES+NO pairs in one market and, a few ticks after they confirm, merges half of
them back; it never sells the tokens that back minted pairs.
Like every host strategy it is a pure function of the context, so a resumed session decides as
the uninterrupted one would have.
"""

from __future__ import annotations

from decimal import Decimal

from host_intents import Intent, MergeIntent, MintIntent, OrderIntent, Reply

from weatherman_inventory import DecisionContext, InventoryState, Outcome

__all__ = ["decide"]

TAKE_PROFIT = Decimal("0.03")
"""Dollars per contract above the entry price at which NO tokens are sold."""
STOP_LOSS = Decimal("0.06")
"""Dollars per contract below the entry price at which NO tokens are sold."""
PAIR_CYCLE = 40
"""Ticks between mints."""
MERGE_AT = 15
"""Tick of the cycle at which half the free pairs are merged (mints confirm by tick 9)."""


def _no_side(ctx: DecisionContext, inventory: InventoryState) -> list[Intent]:
    intents: list[Intent] = []
    for index, market in enumerate(ctx.markets):
        held = inventory.tokens.get(market.no_token_id)
        pairs = inventory.minted_pairs.get(market.condition_id)
        # Tokens backing minted pairs stay for the merge.
        paired = 0 if pairs is None else pairs.available + pairs.reserved
        # accessible_qty leaves out unsettled_qty: shares of buys the chain has not confirmed yet
        # are never offered.
        if held is not None and held.accessible_qty > paired:
            bid = Decimal(market.no_bid_px) / 100
            entry = held.avg_entry_price
            if bid >= entry + TAKE_PROFIT or bid <= entry - STOP_LOSS:
                intents.append(
                    OrderIntent(
                        side="sell",
                        market_id=market.market_id,
                        outcome=Outcome.NO,
                        qty=held.accessible_qty - paired,
                        limit_px=max(market.no_bid_px, 1),
                    )
                )
            continue
        flat = held is None or (held.qty == paired and held.in_flight_qty == 0)
        if (
            flat
            and ctx.tick_number % 4 == index % 4
            and inventory.accessible_usd > 300
            and market.no_ask_px <= 60
        ):
            intents.append(
                OrderIntent(
                    side="buy",
                    market_id=market.market_id,
                    outcome=Outcome.NO,
                    qty=15,
                    limit_px=min(market.no_bid_px + 1, market.no_ask_px),
                )
            )
    return intents


def _pair_cycle(ctx: DecisionContext, inventory: InventoryState) -> list[Intent]:
    market = ctx.markets[(ctx.tick_number // PAIR_CYCLE) % len(ctx.markets)]
    phase = ctx.tick_number % PAIR_CYCLE
    if phase == 5 and inventory.accessible_usd > 400:
        return [MintIntent(market_id=market.market_id, amount_usd=30)]
    pairs = inventory.minted_pairs.get(market.condition_id)
    if phase == MERGE_AT and pairs is not None:
        yes = inventory.tokens.get(market.yes_token_id)
        no = inventory.tokens.get(market.no_token_id)
        free = min(
            pairs.available,
            0 if yes is None else yes.accessible_qty,
            0 if no is None else no.accessible_qty,
        )
        if free >= 2:
            return [MergeIntent(market_id=market.market_id, pairs=free // 2)]
    return []


def decide(ctx_json: str) -> str:
    """The intents for one tick, as the JSON text of a `Reply`."""
    ctx = DecisionContext.model_validate_json(ctx_json)
    inventory = ctx.inventory
    intents = [] if inventory is None else _no_side(ctx, inventory) + _pair_cycle(ctx, inventory)
    return Reply(intents=intents).model_dump_json()
