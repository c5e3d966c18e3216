"""Resolution and redemption: which markets resolved, what their tokens pay, what is redeeming.

A market resolves to a payout vector (ledger rules, "Resolution and redemption"; venue facts
§6): YES wins `[1, 0]`, NO wins `[0, 1]`, a void market `[1, 1]`, each token then redeeming for
half a dollar. From then on each of its tokens is worth its payout a share, new trading on the
market is refused, and a redemption (submitted, then confirmed with the amount the chain paid,
or failed) turns the held shares into cash.

This module holds that state (`Resolution`) and the arithmetic of a redemption; the manager
checks the calls, journals them and applies what they mean to cash, positions, orders and
minted pairs. Only shares on chain are redeemed: those of fills still `MATCHED` or `RETRYING`
(`offchain_qty`) stay until their status arrives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, NamedTuple

from weatherman_inventory.errors import InvalidInput
from weatherman_inventory.events import MICRO
from weatherman_inventory.settlement import Settlement

__all__ = [
    "OFFCHAIN",
    "REDEMPTION_STATUSES",
    "VENUE_PAYOUTS",
    "RedemptionPlan",
    "Resolution",
    "ResolutionRecord",
    "offchain_qty",
    "payouts_micro",
    "redemption_amount",
]

VENUE_PAYOUTS: Final = {
    (1, 0): (MICRO, 0),
    (0, 1): (0, MICRO),
    (1, 1): (MICRO // 2, MICRO // 2),
}
"""The venue's payout numerators `[YES, NO]` -> what one share of each pays, micro-USDC."""

OFFCHAIN: Final = frozenset({"MATCHED", "RETRYING"})
"""Statuses of a fill whose shares are not on chain yet: a redemption cannot burn them."""

REDEMPTION_STATUSES: Final = ("PENDING", "CONFIRMED", "FAILED")
"""The latest redemption of a condition, as the resolutions table spells it."""

_PAYOUTS_REASON: Final = (
    "the venue's payout numerators [YES, NO] are required: [1, 0] (YES won), [0, 1] (NO won) "
    "or [1, 1] (void, half a dollar a share)"
)


def payouts_micro(field: str, value: object) -> tuple[int, int]:
    """The venue's payout numerators (a list or tuple of two ints) as (YES, NO) micro-USDC a
    share; anything else is refused with `InvalidInput` naming `field`."""
    if isinstance(value, list | tuple) and len(value) == 2:
        yes, no = value
        if type(yes) is int and type(no) is int:
            payouts = VENUE_PAYOUTS.get((yes, no))
            if payouts is not None:
                return payouts
    raise InvalidInput(field, value, _PAYOUTS_REASON)


def redemption_amount(qty_micro: int, payout_micro: int) -> int:
    """What redeeming `qty_micro` shares at `payout_micro` a share pays, micro-USDC, floored
    as the chain computes `balance * numerator / denominator`."""
    return qty_micro * payout_micro // MICRO


def offchain_qty(settle: Settlement, token_id: str) -> int:
    """Micro-shares of the token's buys still `MATCHED` or `RETRYING`: held by the ledger, not
    yet on chain, so not redeemable."""
    history = settle.histories.get(token_id)
    if history is None:
        return 0
    fills = settle.fills
    return sum(
        f.qty
        for f in history.facts
        if f.op == "buy" and f.fill_id is not None and fills[f.fill_id].status in OFFCHAIN
    )


class RedemptionPlan(NamedTuple):
    """What a confirmed redemption does: `burns` (token, micro-shares, what they pay) for each
    held token of the condition, `expected` their sum, `difference` what the chain paid beyond
    it (negative when it paid less), realised on `target` (the token paying the most, YES
    first; None when no token is held, and the difference is then a cash correction)."""

    burns: tuple[tuple[str, int, int], ...]
    expected: int
    difference: int
    target: str | None

    def proceeds(self, token_id: str, amount: int) -> int:
        """What the token's burn realises: its payout, plus the difference on the target."""
        return amount + (self.difference if token_id == self.target else 0)


@dataclass(frozen=True, slots=True)
class ResolutionRecord:
    """One resolved condition as the resolutions table holds it: payouts in micro-USDC a share,
    the latest redemption's status (None: never submitted) and what confirmed redemptions
    paid, micro-USDC."""

    condition_id: str
    yes_payout_micro: int
    no_payout_micro: int
    redemption: str | None
    paid_micro: int


class Resolution:
    """The resolved markets of one ledger, their tokens and their redemptions."""

    __slots__ = ("cancelled", "markets", "paid", "pending", "status", "token_payouts", "tokens")

    def __init__(self) -> None:
        self.markets: dict[str, tuple[int, int]] = {}
        """condition -> (YES, NO) payout, micro-USDC a share."""
        self.tokens: dict[str, list[str]] = {}
        """condition -> its tokens the ledger knows, in the order it learnt them."""
        self.token_payouts: dict[str, tuple[str, int]] = {}
        """token -> (its condition, what one share pays, micro-USDC)."""
        self.pending: dict[str, dict[str, int]] = {}
        """condition -> micro-shares each token reserves for its pending redemption."""
        self.status: dict[str, str] = {}
        """condition -> its latest redemption's status (`REDEMPTION_STATUSES`)."""
        self.paid: dict[str, int] = {}
        """condition -> micro-USDC its confirmed redemptions paid."""
        self.cancelled: dict[str, str] = {}
        """Local id -> condition of each order a resolution cancelled (the venue's own cancel
        of it is no news)."""

    def save(self) -> tuple[object, ...]:
        """A copy of everything, for `restore` (resolution events are rare and small)."""
        return (
            dict(self.markets),
            {c: list(t) for c, t in self.tokens.items()},
            dict(self.token_payouts),
            {c: dict(r) for c, r in self.pending.items()},
            dict(self.status),
            dict(self.paid),
            dict(self.cancelled),
        )

    def restore(self, saved: tuple[object, ...]) -> None:
        """Put back what `save` copied."""
        (
            self.markets,
            self.tokens,
            self.token_payouts,
            self.pending,
            self.status,
            self.paid,
            self.cancelled,
        ) = saved  # type: ignore[assignment]

    def state(self) -> dict[str, object]:
        """Everything that defines the resolution state, as comparable values."""
        return {
            "markets": dict(self.markets),
            "tokens": {c: tuple(t) for c, t in self.tokens.items()},
            "token_payouts": dict(self.token_payouts),
            "pending": {c: dict(r) for c, r in self.pending.items()},
            "status": dict(self.status),
            "paid": dict(self.paid),
            "cancelled": dict(self.cancelled),
        }

    def resolve(self, condition_id: str, payouts: tuple[int, int]) -> None:
        """Record the condition's payouts (its tokens follow through `add_token`)."""
        self.markets[condition_id] = payouts
        self.tokens.setdefault(condition_id, [])

    def add_token(self, condition_id: str, token_id: str, yes: bool) -> int:
        """A token of a resolved condition; returns what one share of it pays."""
        yes_payout, no_payout = self.markets[condition_id]
        payout = yes_payout if yes else no_payout
        if token_id not in self.token_payouts:
            self.tokens[condition_id].append(token_id)
        self.token_payouts[token_id] = (condition_id, payout)
        return payout

    def payout(self, token_id: str) -> int | None:
        """What one share of the token pays, micro-USDC, or None if its market is unresolved."""
        known = self.token_payouts.get(token_id)
        return None if known is None else known[1]

    def reserved(self, token_id: str) -> int:
        """Micro-shares of the token reserved by its condition's pending redemption."""
        known = self.token_payouts.get(token_id)
        if known is None:
            return 0
        pending = self.pending.get(known[0])
        return 0 if pending is None else pending.get(token_id, 0)

    def record(self, condition_id: str) -> ResolutionRecord | None:
        """The condition as the resolutions table holds it, or None if it never resolved."""
        payouts = self.markets.get(condition_id)
        if payouts is None:
            return None
        return ResolutionRecord(
            condition_id,
            payouts[0],
            payouts[1],
            self.status.get(condition_id),
            self.paid.get(condition_id, 0),
        )

    def plan(
        self, condition_id: str, reserved: Mapping[str, int], held: Mapping[str, int], paid: int
    ) -> RedemptionPlan:
        """The redemption of `reserved` micro-shares of the condition's tokens (at most what
        is `held` of each, a token not held is skipped), which paid `paid` micro-USDC."""
        burns = []
        for token in self.tokens[condition_id]:
            if token in held:
                qty = min(reserved.get(token, 0), held[token])
                payout = self.token_payouts[token][1]
                burns.append((token, qty, redemption_amount(qty, payout)))
        expected = sum(amount for _, _, amount in burns)
        target = max(burns, key=lambda burn: burn[2])[0] if burns else None
        return RedemptionPlan(tuple(burns), expected, paid - expected, target)
