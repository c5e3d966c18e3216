"""Settlement: the status of each provisional fill, and what `FAILED` needs to restate a token.

A fill may arrive provisional (`MATCHED`, `MINED`, `RETRYING`) and later be `CONFIRMED` or
`FAILED` (ledger rules, "Settlement statuses"). A failed fill never happened: its token is
restated as the fold of the facts that remain, in order, from the position it had just before
its oldest provisional fill. So for each token with a provisional fill this module keeps that
starting position and every position fact since (`Fact`), and drops them when no fill of the
token is provisional any more: memory holds only the facts since each token's oldest
provisional fill.

The position arithmetic is the pure functions below (`add_shares`, `remove_shares`,
`load_position`), which the manager's own fill path uses too, so a fold is the same arithmetic
the facts were first applied with. This module holds state and folds; the manager checks,
journals and applies what a status means to cash and orders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, NamedTuple

__all__ = [
    "PROVISIONAL",
    "TERMINAL",
    "Fact",
    "FillRecord",
    "Position",
    "Settlement",
    "add_shares",
    "half_even_div",
    "load_position",
    "remove_shares",
    "removed_cost",
]

PROVISIONAL: Final = frozenset({"MATCHED", "MINED", "RETRYING"})
"""Statuses a fill is not final in."""
TERMINAL: Final = frozenset({"CONFIRMED", "FAILED"})
"""Statuses a fill ends in."""


class Position(NamedTuple):
    """A token's quantity (micro-shares), cost basis and realised PnL (micro-USDC)."""

    qty: int
    cost: int
    realized: int


def half_even_div(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half-even (both >= 0, denominator > 0)."""
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient & 1):
        quotient += 1
    return quotient


def add_shares(p: Position, qty: int, cost: int, fee: int) -> Position:
    """`qty` shares bought for `cost` micro-USDC plus `fee` (a refund when negative)."""
    return Position(p.qty + qty, p.cost + cost, p.realized - fee)


def removed_cost(held: int, cost: int, qty: int) -> int:
    """The cost basis a removal of `qty` of `held` shares takes out: `cost * qty / held` rounded
    half-even (at most half a micro-USDC), all of it at or past what is held (the excess leaves
    at a zero cost basis), so a flat position has cost exactly 0."""
    if qty >= held:
        return cost
    return half_even_div(cost * qty, held)


def remove_shares(p: Position, qty: int, proceeds: int, fee: int) -> tuple[Position, int]:
    """`qty` shares sold for `proceeds` less `fee`. Returns the new position and the cost
    removed (`removed_cost`)."""
    removed = removed_cost(p.qty, p.cost, qty)
    return (
        Position(max(p.qty - qty, 0), p.cost - removed, p.realized + proceeds - fee - removed),
        removed,
    )


def load_position(p: Position, loaded: Position) -> tuple[Position, int]:
    """A position replaced by `loaded` (the fast-start cache): returns it and how far the
    invariant's baseline moves, the loaded cost less realised PnL net of the replaced."""
    return loaded, (loaded.cost - loaded.realized) - (p.cost - p.realized)


class Fact(NamedTuple):
    """One fact that moved a token's position, as the fold replays it.

    `op` "buy" (`qty` added for `amount` plus `fee`), "sell" (`qty` removed for `amount` less
    `fee`) or "load" (`loaded` replaces the position). `fill_id` names a provisional fill (the
    only facts a restatement takes out); None for everything else.
    """

    op: str
    qty: int
    amount: int
    fee: int
    fill_id: str | None = None
    loaded: Position | None = None


def step(p: Position, fact: Fact) -> tuple[Position, int, int]:
    """Apply one fact: the new position, its realised PnL change and the baseline move."""
    if fact.op == "buy":
        new = add_shares(p, fact.qty, fact.amount, fact.fee)
        return new, new.realized - p.realized, 0
    if fact.op == "sell":
        new, _ = remove_shares(p, fact.qty, fact.amount, fact.fee)
        return new, new.realized - p.realized, 0
    assert fact.loaded is not None
    new, shift = load_position(p, fact.loaded)
    return new, 0, shift


def fold(start: Position, facts: list[Fact]) -> tuple[Position, list[int], int]:
    """The position after `facts` from `start`, each fact's realised PnL change, and the total
    baseline move."""
    p = start
    deltas = []
    shift = 0
    for fact in facts:
        p, delta, moved = step(p, fact)
        deltas.append(delta)
        shift += moved
    return p, deltas, shift


@dataclass(slots=True)
class FillRecord:
    """A fill that carried a settlement status: what its status events need.

    `amount` is its cash leg (micro-USDC, truncated as the chain moves it); `counted` whether
    the fill was counted against its order's filled quantity when it was booked.
    """

    fill_id: str
    side: str
    local_id: str
    token_id: str
    qty: int
    price: int
    amount: int
    fee: int
    status: str
    booked_at_us: int | None
    counted: bool
    reported_stale: bool = False

    @property
    def provisional(self) -> bool:
        return self.status in PROVISIONAL


@dataclass(slots=True)
class TokenHistory:
    """A token's position just before its oldest provisional fill, and every fact since."""

    start: Position
    facts: list[Fact] = field(default_factory=list)


def _copy_record(rec: FillRecord) -> FillRecord:
    return FillRecord(*(getattr(rec, n) for n in FillRecord.__slots__))


def _copy_history(history: TokenHistory | None) -> TokenHistory | None:
    return None if history is None else TokenHistory(history.start, list(history.facts))


class Restatement(NamedTuple):
    """What taking a failed fill out of its token's history gives: the position now, the
    realised PnL the other facts gained or lost by it, and the baseline move it implies."""

    position: Position
    others_delta: int
    baseline_delta: int


class Settlement:
    """The settlement state of one ledger: each status-carrying fill, each provisional token's
    history, and the unsettled amounts the snapshot shows."""

    __slots__ = ("fills", "histories", "unsettled_qty", "unsettled_usd")

    def __init__(self) -> None:
        self.fills: dict[str, FillRecord] = {}
        """Every fill booked with a status, by fill id (terminal ones stay, so that a later
        status moving one out of its terminal status has what it needs)."""
        self.histories: dict[str, TokenHistory] = {}
        """token -> its history, only while one of its fills is provisional."""
        self.unsettled_qty: dict[str, int] = {}
        """token -> micro-shares of its provisional buys (held, not yet sellable)."""
        self.unsettled_usd = 0
        """micro-USDC of provisional sales' net proceeds (owned, not yet accessible)."""

    def save(self, fill_ids: list[str], tokens: list[str]) -> tuple[object, ...]:
        """What an event naming `fill_ids` and `tokens` can change here, copied, for `restore`."""
        fills = [(f, self.fills.get(f)) for f in fill_ids]
        return (
            [(f, None if r is None else _copy_record(r)) for f, r in fills],
            [(t, _copy_history(self.histories.get(t))) for t in tokens],
            [(t, self.unsettled_qty.get(t)) for t in tokens],
            self.unsettled_usd,
        )

    def restore(self, saved: tuple[object, ...]) -> None:
        """Put back what `save` copied."""
        fills, histories, unsettled, usd = saved
        for f, rec in fills:  # type: ignore[attr-defined]
            if rec is None:
                self.fills.pop(f, None)
            else:
                self.fills[f] = rec
        for t, history in histories:  # type: ignore[attr-defined]
            if history is None:
                self.histories.pop(t, None)
            else:
                self.histories[t] = history
        for t, qty in unsettled:  # type: ignore[attr-defined]
            if qty is None:
                self.unsettled_qty.pop(t, None)
            else:
                self.unsettled_qty[t] = qty
        self.unsettled_usd = usd  # type: ignore[assignment]

    def state(self) -> dict[str, object]:
        """Everything that defines the settlement state, as comparable values."""
        return {
            "fills": {k: _copy_record(r) for k, r in self.fills.items()},
            "histories": {k: (h.start, tuple(h.facts)) for k, h in self.histories.items()},
            "unsettled_qty": {k: v for k, v in self.unsettled_qty.items() if v},
            "unsettled_usd": self.unsettled_usd,
        }

    # -- Facts in -------------------------------------------------------------------------

    def record(self, token_id: str, fact: Fact) -> None:
        """A position fact on a token with a provisional fill (the caller checks `histories`)."""
        self.histories[token_id].facts.append(fact)

    def book(self, rec: FillRecord, before: Position) -> None:
        """A provisional fill applied; `before` is its token's position just before it."""
        self.fills[rec.fill_id] = rec
        history = self.histories.get(rec.token_id)
        if history is None:
            history = self.histories[rec.token_id] = TokenHistory(before)
        op = "buy" if rec.side == "buy" else "sell"
        history.facts.append(Fact(op, rec.qty, rec.amount, rec.fee, rec.fill_id))
        self._count(rec, 1)

    def _count(self, rec: FillRecord, sign: int) -> None:
        """Add (1) or take out (-1) what a provisional fill leaves unsettled."""
        if rec.side == "buy":
            left = self.unsettled_qty.get(rec.token_id, 0) + sign * rec.qty
            if left:
                self.unsettled_qty[rec.token_id] = left
            else:
                self.unsettled_qty.pop(rec.token_id, None)
        else:
            self.unsettled_usd += sign * max(rec.amount - rec.fee, 0)

    def move(self, rec: FillRecord, status: str) -> None:
        """A provisional fill moves to another provisional status."""
        rec.status = status

    def settle(self, rec: FillRecord) -> None:
        """A provisional fill confirmed: it stays in its token's history (earlier facts may
        still be restated) until no older provisional fill remains."""
        rec.status = "CONFIRMED"
        self._count(rec, -1)
        self._trim(rec.token_id)

    def restate(self, rec: FillRecord) -> Restatement:
        """A provisional fill failed: its token's position as the fold of the facts that
        remain. The caller applies the result; the fill leaves the history."""
        history = self.histories[rec.token_id]
        _, old_deltas, old_shift = fold(history.start, history.facts)
        index = next(i for i, f in enumerate(history.facts) if f.fill_id == rec.fill_id)
        del history.facts[index]
        new, new_deltas, new_shift = fold(history.start, history.facts)
        others = sum(new_deltas) - (sum(old_deltas) - old_deltas[index])
        rec.status = "FAILED"
        self._count(rec, -1)
        self._trim(rec.token_id)
        return Restatement(new, others, new_shift - old_shift)

    def _trim(self, token_id: str) -> None:
        """Start the token's history at its oldest provisional fill (drop it if none is)."""
        history = self.histories[token_id]
        facts = history.facts
        fills = self.fills
        first = next(
            (
                i
                for i, f in enumerate(facts)
                if f.fill_id is not None and fills[f.fill_id].provisional
            ),
            None,
        )
        if first is None:
            del self.histories[token_id]
            return
        if first:
            history.start, _, _ = fold(history.start, facts[:first])
            del facts[:first]

    def provisional(self) -> list[FillRecord]:
        """Fills still provisional, in the order they were booked."""
        return [rec for rec in self.fills.values() if rec.provisional]
