"""Minted YES+NO pairs: each condition's pair counts, the mints and merges pending on it, and the
tokens it was minted as.

A condition's pairs are minted for $1 each and merged back for $1 each; in between a pair is
*available*, *reserved* by a pending merge, or *sold* (the ledger holds fewer of one of its
tokens than pairs it counts). `PairBook` owns that state and keeps its one rule,
`available + reserved <= min(qty YES, qty NO)` (`enforce_cap`). The manager moves the cash and
the positions, checks the bounds and records the anomalies; the book tells it what it found.
All counts are micro-shares (pairs), a pending mint's reservation micro-USDC.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Final

from weatherman_inventory._native import SlotMaker
from weatherman_inventory.undo import MISSING, Saved

if TYPE_CHECKING:
    from weatherman_inventory.positions import Holding

__all__ = ["PairBook", "Pairs"]


class Pairs:
    """Minted YES+NO pairs of one condition; `available + reserved + sold + merged == minted`."""

    __slots__ = (
        "available",
        "condition_id",
        "reserved",
        "total_merged",
        "total_minted",
        "total_sold",
    )

    def __init__(self, condition_id: str) -> None:
        self.condition_id = condition_id
        self.available = 0
        self.reserved = 0
        self.total_minted = 0
        self.total_sold = 0
        self.total_merged = 0

    def copy(self) -> Pairs:
        return _COPY_PAIRS(self)


_COPY_PAIRS: Final[Callable[[Pairs], Pairs]] = SlotMaker(Pairs, Pairs.__slots__).copy


class PairBook:
    """Every condition's minted pairs over the ledger's `positions` (read, never changed);
    `touched(condition_id)` is told of each condition whose pairs changed."""

    __slots__ = (
        "_positions",
        "_touched",
        "cond_tokens",
        "pairs",
        "pending_merges",
        "pending_mints",
        "token_conds",
    )

    def __init__(self, positions: Mapping[str, Holding], touched: Callable[[str], None]) -> None:
        self._positions = positions
        self._touched = touched
        self.pairs: dict[str, Pairs] = {}
        self.pending_mints: dict[str, deque[int]] = {}
        """Micro-USDC each pending mint reserves, oldest first."""
        self.pending_merges: dict[str, deque[tuple[int, int]]] = {}
        """(pairs requested, pairs reserved) of each pending merge, oldest first."""
        self.cond_tokens: dict[str, tuple[str, str]] = {}
        """(YES token, NO token) of each condition, as its first mint named them."""
        self.token_conds: dict[str, tuple[str, ...]] = {}
        """The conditions minted with each token."""

    # -- checkpoints and comparison ---------------------------------------------------------------

    def save(self, condition_id: str) -> list[Saved]:
        """What an event on the condition can change, for a checkpoint to put back (the
        mapping, the key, its value or `MISSING`)."""
        pairs = self.pairs.get(condition_id)
        saved: list[Saved] = [
            (self.pairs, condition_id, MISSING if pairs is None else pairs.copy())
        ]
        for queues in (self.pending_mints, self.pending_merges):
            queue = queues.get(condition_id)
            saved.append((queues, condition_id, MISSING if queue is None else deque(queue)))
        saved.append((self.cond_tokens, condition_id, self.cond_tokens.get(condition_id, MISSING)))
        return saved

    def save_token(self, token_id: str) -> Saved:
        """The token's conditions, for a checkpoint to put back."""
        return (self.token_conds, token_id, self.token_conds.get(token_id, MISSING))

    def state(self) -> dict[str, object]:
        """The book as plain comparable values (`InventoryManager.ledger_state`)."""
        return {
            "pairs": [
                (c, p.available, p.reserved, p.total_minted, p.total_sold, p.total_merged)
                for c, p in self.pairs.items()
            ],
            "pending_mints": {c: tuple(q) for c, q in self.pending_mints.items() if q},
            "pending_merges": {c: tuple(q) for c, q in self.pending_merges.items() if q},
            "cond_tokens": dict(self.cond_tokens),
            "token_conds": dict(self.token_conds),
        }

    # -- mints ------------------------------------------------------------------------------------

    def submit_mint(self, condition_id: str, amount_micro: int) -> None:
        """A mint of `amount_micro` is pending (its reservation)."""
        self.pending_mints.setdefault(condition_id, deque()).append(amount_micro)

    def oldest_mint(self, condition_id: str) -> int:
        """What the condition's oldest pending mint reserves (0 if none)."""
        queue = self.pending_mints.get(condition_id)
        return queue[0] if queue else 0

    def pop_mint(self, condition_id: str) -> int | None:
        """The condition's oldest pending mint's reservation, released; None if none."""
        queue = self.pending_mints.get(condition_id)
        return queue.popleft() if queue else None

    def total_minted(self, condition_id: str) -> int:
        pairs = self.pairs.get(condition_id)
        return 0 if pairs is None else pairs.total_minted

    def name_tokens(self, condition_id: str, tokens: tuple[str, str]) -> tuple[str, str] | None:
        """Record (YES, NO) as the condition's tokens at its first mint; the tokens recorded
        before if a later mint names others (kept: the first mint's hold), else None."""
        recorded = self.cond_tokens.get(condition_id)
        if recorded is None:
            self.cond_tokens[condition_id] = tokens
            for token in tokens:
                conds = self.token_conds.get(token, ())
                if condition_id not in conds:
                    self.token_conds[token] = (*conds, condition_id)
            return None
        return None if recorded == tokens else recorded

    def minted(self, condition_id: str, count: int) -> None:
        """`count` pairs minted (their tokens already booked), then the cap kept."""
        pairs = self.pairs.get(condition_id)
        if pairs is None:
            pairs = self.pairs[condition_id] = Pairs(condition_id)
        pairs.available += count
        pairs.total_minted += count
        self._touched(condition_id)
        self.enforce_cap(condition_id)

    # -- merges -----------------------------------------------------------------------------------

    def submit_merge(self, condition_id: str, count: int) -> tuple[int, int]:
        """A merge of `count` pairs is pending: it reserves what is available of them.
        Returns (reserved, available before)."""
        pairs = self.pairs.get(condition_id)
        available = 0 if pairs is None else pairs.available
        reserve = min(count, available)
        if pairs is not None and reserve:
            pairs.available -= reserve
            pairs.reserved += reserve
            self._touched(condition_id)
        self.pending_merges.setdefault(condition_id, deque()).append((count, reserve))
        return reserve, available

    def pop_merge(self, condition_id: str) -> tuple[int, int] | None:
        """The oldest pending merge's (pairs requested, pairs reserved); None if none."""
        queue = self.pending_merges.get(condition_id)
        return queue.popleft() if queue else None

    def merged(self, condition_id: str, count: int, reserved: int) -> None:
        """`count` pairs merged by a merge that had reserved `reserved`: its reservation is
        used first, then available pairs; what it did not use is available again."""
        pairs = self.pairs.get(condition_id)
        if pairs is None:
            return
        consumed = min(count, reserved)
        pairs.reserved -= reserved
        pairs.available += reserved - consumed
        extra = min(count - consumed, pairs.available)
        pairs.available -= extra
        pairs.total_merged += consumed + extra
        self._touched(condition_id)

    def merge_failed(self, condition_id: str, reserved: int) -> None:
        """A failed merge's reservation is available again, then the cap kept."""
        pairs = self.pairs.get(condition_id)
        if pairs is not None and reserved:
            pairs.reserved -= reserved
            pairs.available += reserved
            self._touched(condition_id)
        self.enforce_cap(condition_id)

    # -- the cap ----------------------------------------------------------------------------------

    def enforce_cap(self, condition_id: str, *, closing: bool = False) -> None:
        """Keep `available + reserved <= min(qty_yes, qty_no)`: the excess counts as sold.

        `available` gives first, then `reserved`, shrinking the newest pending merges first.
        `closing` (a confirmed redemption) takes the cap to zero: every pair closes.
        """
        pairs = self.pairs.get(condition_id)
        tokens = self.cond_tokens.get(condition_id)
        if pairs is None or tokens is None:
            return
        yes = self._positions.get(tokens[0])
        no = self._positions.get(tokens[1])
        cap = 0 if closing else min(0 if yes is None else yes.qty, 0 if no is None else no.qty)
        excess = pairs.available + pairs.reserved - cap
        if excess <= 0:
            return
        take = min(excess, pairs.available)
        pairs.available -= take
        rest = excess - take
        if rest:
            pairs.reserved -= rest
            queue = self.pending_merges.get(condition_id, deque())
            for i in range(len(queue) - 1, -1, -1):
                requested, reserved = queue[i]
                cut = min(reserved, rest)
                if cut:
                    queue[i] = (requested, reserved - cut)
                    rest -= cut
                    if not rest:
                        break
        pairs.total_sold += excess
        self._touched(condition_id)

    def enforce_caps_of(self, token_id: str) -> None:
        """`enforce_cap` of every condition minted with the token (its quantity changed)."""
        for condition_id in self.token_conds.get(token_id, ()):
            self.enforce_cap(condition_id)
