"""Positions: each token's holding, its cost basis and realised PnL, and the sums over them.

`PositionBook` is the ledger's map of token ids to holdings, in the order the ledger first saw
the tokens. A holding's cost basis leaves with the shares that leave it, in proportion
(`removed_cost`, half-even to the micro-USDC), so a flat position has a cost of exactly 0. The
book keeps the sums the accounts row needs (cost, realised PnL, value at the marks), adding up
again only the tokens changed since (`changed`). Amounts in micro-USDC, quantities in
micro-shares, marks in micro-USDC a share.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from weatherman_inventory._native import SlotMaker
from weatherman_inventory.events import MICRO, PositionRecord
from weatherman_inventory.models import Outcome
from weatherman_inventory.settlement import removed_cost
from weatherman_inventory.undo import MISSING, Saved

__all__ = ["Holding", "PositionBook"]


class Holding:
    """A token's mutable state. `mark_micro` None means "marked at the average entry price"."""

    __slots__ = (
        "cost_micro",
        "in_flight_qty",
        "mark_micro",
        "market_id",
        "outcome",
        "qty",
        "realized_micro",
        "token_id",
    )

    def __init__(self, token_id: str, market_id: str, outcome: Outcome) -> None:
        self.token_id = token_id
        self.market_id = market_id
        self.outcome = outcome
        self.qty = 0
        self.in_flight_qty = 0
        self.cost_micro = 0
        self.realized_micro = 0
        self.mark_micro: int | None = None

    def copy(self) -> Holding:
        return _COPY_HOLDING(self)

    def record(self) -> PositionRecord:
        """The holding as the positions table holds it."""
        return PositionRecord(
            self.token_id, self.market_id, self.outcome, self.qty, self.cost_micro,
            self.realized_micro,
        )  # fmt: skip

    def removed_cost(self, qty: int) -> int:
        """The cost basis a removal of `qty` micro-shares would take out (`removed_cost`)."""
        return removed_cost(self.qty, self.cost_micro, qty)

    def remove(self, qty: int) -> int:
        """Take `qty` micro-shares out (at most what is held); return the cost removed."""
        held = self.qty
        removed = removed_cost(held, self.cost_micro, qty)
        self.qty = held - qty if qty < held else 0
        self.cost_micro -= removed
        return removed


_COPY_HOLDING: Final[Callable[[Holding], Holding]] = SlotMaker(Holding, Holding.__slots__).copy


class PositionBook(dict[str, Holding]):
    """Every token's holding, by token id, in the order the ledger first saw the tokens."""

    __slots__ = ("_parts", "_totals", "changed")

    def __init__(self) -> None:
        super().__init__()
        self.changed: set[str] = set()
        """Tokens whose holding changed since `totals` last added them up."""
        self._parts: dict[str, tuple[int, int, int]] = {}
        self._totals = (0, 0, 0)

    def new(self, token_id: str, market_id: str, outcome: Outcome) -> Holding:
        """A new, empty holding of the token, kept."""
        p = self[token_id] = Holding(token_id, market_id, outcome)
        return p

    def save(self, token_id: str) -> Saved:
        """The token's holding, for a checkpoint to put back."""
        p = self.get(token_id)
        return (self, token_id, MISSING if p is None else p.copy())

    def totals(self) -> tuple[int, int, int]:
        """Over every holding: (cost basis in micro-USDC, realised PnL in micro-USDC, value at
        the marks in 10^-12 dollars, an unmarked holding at its cost), exact. Only the tokens
        in `changed` are added up again."""
        changed = self.changed
        if not changed:
            return self._totals
        cost, realized, value = self._totals
        parts = self._parts
        for token_id in changed:
            old = parts.pop(token_id, None)
            if old is not None:
                cost -= old[0]
                realized -= old[1]
                value -= old[2]
            p = self.get(token_id)
            if p is None:
                continue
            c = p.cost_micro
            mark = p.mark_micro
            new = (c, p.realized_micro, c * MICRO if mark is None else p.qty * mark)
            parts[token_id] = new
            cost += c
            realized += new[1]
            value += new[2]
        changed.clear()
        self._totals = (cost, realized, value)
        return self._totals
