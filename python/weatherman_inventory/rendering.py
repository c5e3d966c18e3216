"""The snapshot strategies see, rendered from the ledger: the contract model and its JSON text.

`SnapshotRenderer` owns the snapshot's caches: each token's contract model and JSON fragment,
each condition's minted-pairs model and fragment, the cash fields' JSON, and the tokens and
conditions changed since each was last rendered. The manager marks what an event changed
(`touch`, `touch_pairs`) and asks for the snapshot with its money; the renderer reads the
positions, pairs, settlement and resolution it was given and changes none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import TYPE_CHECKING, Final, cast

import orjson

from weatherman_inventory.events import CENT_MICRO, MICRO
from weatherman_inventory.models import InventoryState, MintedPairBalance, TokenPosition
from weatherman_inventory.resolution import Resolution
from weatherman_inventory.settlement import Settlement

if TYPE_CHECKING:
    from weatherman_inventory.pairs import Pairs
    from weatherman_inventory.positions import Holding

__all__ = ["SnapshotRenderer", "decimal_shares", "unrealized"]

_DCTX: Final = Context(prec=28, rounding=ROUND_HALF_EVEN)
_ZERO_D: Final = Decimal(0)
# `"currentPrice":<mark>,"unrealizedPnl":` for every whole-cent mark (0..100 cents).
_MARK_JSON: Final = {
    cents * CENT_MICRO: orjson.dumps(cents * CENT_MICRO / MICRO) + b',"unrealizedPnl":'
    for cents in range(101)
}
_MARKS_KEPT: Final = 256  # marks a token's fragment remembers before it starts again

# A token's fragment parts: (what they depend on, the text up to the current price, the text
# after the unrealised PnL, the whole fragment unmarked, the middle text per mark seen).
_Parts = tuple[tuple[object, ...], bytes, bytes, bytes, dict[int, bytes]]


def decimal_shares(micro: int) -> Decimal:
    """Micro-shares as exact Decimal shares (the contract's quantities)."""
    return Decimal(micro).scaleb(-6)


def unrealized(mark: int, qty: int, cost: int) -> float:
    """(mark - avg) * qty in dollars, as a float: `mark * qty` is micro-USDC times micro-shares
    (10^-12 dollars), so one correctly rounded division gives it."""
    return (mark * qty - cost * MICRO) / 1_000_000_000_000


class SnapshotRenderer:
    """The snapshot of a ledger's `positions` and `pairs` (the manager's own mappings, read
    as they change), with `settlement`'s unsettled amounts and `resolution`'s payouts;
    `redeemable(token_id)` gives a resolved token's redeemable micro-shares."""

    def __init__(
        self,
        positions: Mapping[str, Holding],
        pairs: Mapping[str, Pairs],
        settlement: Settlement,
        resolution: Resolution,
        redeemable: Callable[[str], int],
    ) -> None:
        self._positions = positions
        self._pairs = pairs
        self._settle = settlement
        self._resol = resolution
        self._redeemable = redeemable
        # Changed since last rendered: tokens for the model and for the JSON, the same of
        # conditions' pairs.
        self.dirty_models: set[str] = set()
        self.dirty_json: set[str] = set()
        self.dirty_pair_models: set[str] = set()
        self.dirty_pair_json: set[str] = set()
        self._token_models: dict[str, TokenPosition] = {}
        self._pair_models: dict[str, MintedPairBalance] = {}
        self._avg_cache: dict[str, tuple[int, int, Decimal, float]] = {}
        self._frag_parts: dict[str, _Parts] = {}
        self._token_frags: dict[str, bytes] = {}
        self._pair_frags: dict[str, bytes] = {}
        self._tokens_blob = b""
        self._pairs_blob = b""
        # The snapshot's cash fields as JSON, and the amounts they were written from.
        self._head_money: tuple[int, int, int, int] | None = None
        self._head_json = b""

    def touch(self, token_id: str) -> None:
        """The token's position changed: render it again."""
        self.dirty_models.add(token_id)
        self.dirty_json.add(token_id)

    def touch_many(self, token_ids: list[str]) -> None:
        """`touch` each of the tokens."""
        self.dirty_models.update(token_ids)
        self.dirty_json.update(token_ids)

    def touch_pairs(self, condition_id: str) -> None:
        """The condition's minted pairs changed: render them again."""
        self.dirty_pair_models.add(condition_id)
        self.dirty_pair_json.add(condition_id)

    # -- the contract model -------------------------------------------------------------------

    def _avg(self, token_id: str, cost: int, qty: int) -> tuple[int, int, Decimal, float]:
        """(cost, qty, avg entry price as Decimal dollars per share, the same as float), cached.

        Micro-USDC over micro-shares is dollars per share."""
        cached = self._avg_cache.get(token_id)
        if cached is not None and cached[0] == cost and cached[1] == qty:
            return cached
        avg = _DCTX.divide(Decimal(cost), Decimal(qty)) if qty else _ZERO_D
        cached = (cost, qty, avg, float(avg))
        self._avg_cache[token_id] = cached
        return cached

    def _token_model(self, token_id: str) -> TokenPosition:
        p = self._positions[token_id]
        qty = p.qty
        cost = p.cost_micro
        unsettled = self._settle.unsettled_qty.get(token_id, 0)
        avg = self._avg(token_id, cost, qty)
        mark = p.mark_micro
        if mark is None:
            current, unrealized_pnl = avg[3], 0.0
        else:
            current, unrealized_pnl = mark / MICRO, unrealized(mark, qty, cost)
        payout = self._resol.payout(token_id)
        resolved = (
            {}
            if payout is None
            else {
                "payout": Decimal(payout).scaleb(-6, _DCTX),
                "redeemable_qty": decimal_shares(self._redeemable(token_id)),
            }
        )
        return TokenPosition.model_validate(
            {
                **resolved,
                "token_id": token_id,
                "market_id": p.market_id,
                "outcome": p.outcome,
                "qty": decimal_shares(qty),
                "in_flight_qty": decimal_shares(p.in_flight_qty),
                "accessible_qty": decimal_shares(max(qty - unsettled - p.in_flight_qty, 0)),
                "unsettled_qty": decimal_shares(unsettled),
                "avg_entry_price": avg[2],
                "total_cost": cost / MICRO,
                "current_price": current,
                "unrealized_pnl": unrealized_pnl,
                "realized_pnl": Decimal(p.realized_micro).scaleb(-6, _DCTX),
            }
        )

    def _pair_model(self, cond: str) -> MintedPairBalance:
        pairs = self._pairs[cond]
        return MintedPairBalance.model_validate(
            {
                "conditionId": cond,
                "available": decimal_shares(pairs.available),
                "reserved": decimal_shares(pairs.reserved),
                "totalMinted": decimal_shares(pairs.total_minted),
                "totalSold": decimal_shares(pairs.total_sold),
                "totalMerged": decimal_shares(pairs.total_merged),
            }
        )

    def model(self, cash: int, in_flight: int, adjustments: int, exit_: bool) -> InventoryState:
        """The snapshot as the frozen contract model, with the ledger's money (micro-USDC)
        and exit flag."""
        models = self._token_models
        positions = self._positions
        if self.dirty_models:
            for token_id in self.dirty_models:
                if token_id in positions:
                    models[token_id] = self._token_model(token_id)
            self.dirty_models.clear()
        pair_models = self._pair_models
        if self.dirty_pair_models:
            for cond in self.dirty_pair_models:
                if cond in self._pairs:
                    pair_models[cond] = self._pair_model(cond)
            self.dirty_pair_models.clear()
        unsettled = self._settle.unsettled_usd
        return InventoryState.model_validate(
            {
                "total_usd": cash / MICRO,
                "in_flight_usd": in_flight / MICRO,
                "accessible_usd": (cash - in_flight - unsettled) / MICRO,
                "unsettled_usd": unsettled / MICRO,
                "adjustments_usd": adjustments / MICRO,
                "tokens": {token_id: models[token_id] for token_id in positions},
                "minted_pairs": {cond: pair_models[cond] for cond in self._pairs},
                "exit_triggered": exit_,
            }
        )

    # -- the JSON text ------------------------------------------------------------------------

    def _token_fragment(
        self, token_id: str, p: Holding, key: tuple[object, ...], unsettled: int = 0
    ) -> _Parts:
        """The cached parts of `"<token id>":{...}` (as `model(...).model_dump_json()` writes
        it), rendered again for `key`: the position's fields other than the mark.

        Returns (key, the text up to the current price, the text after the unrealised PnL,
        the whole fragment while the position is marked at its average entry price, and an
        empty table that `json` fills with `<price>,"unrealizedPnl":<pnl>` per mark in
        micro-USDC as marks are seen: at most `_MARKS_KEPT` entries, dropped with these parts).
        """
        qty = p.qty
        cost = p.cost_micro
        avg = self._avg(token_id, cost, qty)[3]
        head = orjson.dumps(
            {
                token_id: {
                    "tokenId": token_id,
                    "marketId": p.market_id,
                    "outcome": p.outcome.value,
                    "qty": qty / MICRO,
                    "inFlightQty": p.in_flight_qty / MICRO,
                    "unsettledQty": unsettled / MICRO,
                    "accessibleQty": max(qty - unsettled - p.in_flight_qty, 0) / MICRO,
                    "avgEntryPrice": avg,
                    "totalCost": cost / MICRO,
                }
            }
        )
        tail = b',"realizedPnl":' + orjson.dumps(p.realized_micro / MICRO)
        if len(key) > 7:  # resolved: (payout, redeemable) follow
            payout, redeemable = cast(tuple[int, int], key[7:])
            tail += b',"payout":' + orjson.dumps(payout / MICRO)
            tail += b',"redeemableQty":' + orjson.dumps(redeemable / MICRO)
        tail += b"}"
        unmarked = b"".join(
            (head[1:-2], b',"currentPrice":', orjson.dumps(avg), b',"unrealizedPnl":0.0', tail)
        )
        by_mark: dict[int, bytes] = {}
        parts = (key, head[1:-2] + b',"currentPrice":', tail, unmarked, by_mark)
        self._frag_parts[token_id] = parts
        return parts

    def _pair_fragment(self, cond: str) -> bytes:
        pairs = self._pairs[cond]
        value = {
            "conditionId": cond,
            "available": pairs.available / MICRO,
            "reserved": pairs.reserved / MICRO,
            "totalMinted": pairs.total_minted / MICRO,
            "totalSold": pairs.total_sold / MICRO,
            "totalMerged": pairs.total_merged / MICRO,
        }
        return orjson.dumps({cond: value})[1:-1]

    def json(self, cash: int, in_flight: int, adjustments: int, exit_: bool) -> str:
        """The snapshot as the exact JSON text strategies get.

        Equal as JSON to `model(...).model_dump_json()` (byte for byte for ordinary values), but
        rendered from cached per-token fragments, re-rendering only tokens changed since the
        last call. A price tick changes two numbers of a token's fragment, which depend only
        on the mark while the other fields stay the same: they are rendered once per mark
        and looked up afterwards (marks are whole cents, so a token has at most 101).
        """
        positions = self._positions
        dirty = self.dirty_json
        if dirty:
            frags = self._token_frags
            frag_parts = self._frag_parts
            join = b"".join
            unsettled_qty = self._settle.unsettled_qty
            resolved = self._resol.token_payouts
            held = positions.get
            for token_id in dirty:
                p = held(token_id)
                if p is None:
                    continue
                qty = p.qty
                cost = p.cost_micro
                unsettled = unsettled_qty.get(token_id, 0) if unsettled_qty else 0
                key: tuple[object, ...] = (
                    p.market_id, p.outcome, qty, p.in_flight_qty, cost, p.realized_micro,
                    unsettled,
                )  # fmt: skip
                if resolved and token_id in resolved:
                    key += (resolved[token_id][1], self._redeemable(token_id))
                parts = frag_parts.get(token_id)
                if parts is None or parts[0] != key:
                    parts = self._token_fragment(token_id, p, key, unsettled)
                mark = p.mark_micro
                if mark is None:
                    frags[token_id] = parts[3]
                    continue
                marks = parts[4]
                middle = marks.get(mark)
                if middle is None:
                    head_json = _MARK_JSON.get(mark)
                    if head_json is None:
                        head_json = orjson.dumps(mark / MICRO) + b',"unrealizedPnl":'
                    middle = head_json + orjson.dumps(unrealized(mark, qty, cost))
                    if len(marks) >= _MARKS_KEPT:
                        marks.clear()
                    marks[mark] = middle
                frags[token_id] = join((parts[1], middle, parts[2]))
            dirty.clear()
            self._tokens_blob = b",".join(map(frags.__getitem__, positions))
        if self.dirty_pair_json:
            pair_frags = self._pair_frags
            for cond in self.dirty_pair_json:
                if cond in self._pairs:
                    pair_frags[cond] = self._pair_fragment(cond)
            self.dirty_pair_json.clear()
            self._pairs_blob = b",".join([pair_frags[cond] for cond in self._pairs])
        unsettled_usd = self._settle.unsettled_usd
        money = (cash, in_flight, unsettled_usd, adjustments)
        if money != self._head_money:  # a price tick moves no cash: the last head stands
            self._head_money = money
            self._head_json = orjson.dumps(
                {
                    "totalUsd": cash / MICRO,
                    "inFlightUsd": in_flight / MICRO,
                    "unsettledUsd": unsettled_usd / MICRO,
                    "accessibleUsd": (cash - in_flight - unsettled_usd) / MICRO,
                    "adjustmentsUsd": adjustments / MICRO,
                }
            )[:-1]
        return b"".join(
            (
                self._head_json,
                b',"tokens":{',
                self._tokens_blob,
                b'},"mintedPairs":{',
                self._pairs_blob,
                b'},"exitTriggered":true}' if exit_ else b'},"exitTriggered":false}',
            )
        ).decode()
