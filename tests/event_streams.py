"""Deterministic random event streams for the journal, recovery and crash tests.

A stream is mostly what a session sees (orders submitted, filled in parts, cancelled; mints and
merges submitted then confirmed or failed; price updates), mixed with facts that contradict the
ledger (fills of unknown orders, overfills, oversells, cancels of closed orders, confirmations
with nothing pending) and fill ids delivered twice. Every event is well-formed, so the ledger
accepts each one, applying it or recording an anomaly.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field

from weatherman_inventory.events import (
    BuyCancelled,
    BuyFilled,
    BuySubmitted,
    Event,
    ExitTriggered,
    FillStatusChanged,
    LoadedPosition,
    MergeConfirmed,
    MergeFailed,
    MergeSubmitted,
    MintConfirmed,
    MintFailed,
    MintSubmitted,
    PositionsLoaded,
    PricesUpdated,
    SellCancelled,
    SellFilled,
    SellSubmitted,
    StaleFillsChecked,
)
from weatherman_inventory.models import Outcome

MARKETS = [(f"mkt-{i}", f"cond-{i}", f"yes-{i}", f"no-{i}") for i in range(3)]
"""(market_id, condition_id, yes_token_id, no_token_id) of the streams' markets."""

INITIAL_CAPITAL = 10_000
"""Dollars each stream's session starts with."""


@dataclass
class _Order:
    local_id: str
    market_id: str
    token_id: str
    outcome: Outcome
    qty: int
    limit_px: int | None
    filled: int = 0


@dataclass
class _State:
    rng: random.Random
    buys: list[_Order] = field(default_factory=list)
    sells: list[_Order] = field(default_factory=list)
    held: dict[str, int] = field(default_factory=dict)
    mints: list[tuple[str, int]] = field(default_factory=list)
    merges: list[tuple[str, int]] = field(default_factory=list)
    fill_ids: list[str] = field(default_factory=list)
    status_rng: random.Random = field(default_factory=random.Random)
    final_fills: set[str] = field(default_factory=set)
    orders: int = 0
    fills: int = 0
    exit: bool = False


def _token(rng: random.Random) -> tuple[str, str, str, Outcome]:
    market_id, condition_id, yes, no = rng.choice(MARKETS)
    if rng.random() < 0.5:
        return market_id, condition_id, yes, Outcome.YES
    return market_id, condition_id, no, Outcome.NO


def _outcome_of(token_id: str) -> tuple[str, Outcome]:
    for market_id, _, yes, no in MARKETS:
        if token_id == yes:
            return market_id, Outcome.YES
        if token_id == no:
            return market_id, Outcome.NO
    raise KeyError(token_id)


U = 1_000_000
"""Micro-shares per share."""


def _shares(rng: random.Random, low: int, high: int) -> int:
    """Micro-shares: mostly whole shares, sometimes 6-decimal ones (a dollar-sized taker)."""
    if rng.random() < 0.7:
        return rng.randint(low, high) * U
    return rng.randint(low * U, high * U)


def _limit(rng: random.Random) -> int:
    """A limit in micro-USDC per share: a cent tick, sometimes a 0.001 one."""
    if rng.random() < 0.7:
        return rng.randint(1, 99) * 10_000
    return rng.randint(1, 999) * 1_000


def _price_micro(rng: random.Random, limit_micro: int | None) -> int:
    """A fill price on Polymarket's ticks (0.01, sometimes 0.001), at or below a buy limit."""
    top = (limit_micro or 990_000) // 1_000
    return rng.randint(1, max(top, 1)) * 1_000


def _next_fill_id(s: _State) -> str | None:
    s.fills += 1
    if s.fill_ids and s.rng.random() < 0.04:
        return s.rng.choice(s.fill_ids)  # delivered twice
    if s.rng.random() < 0.1:
        return None
    fill_id = f"fill-{s.fills}"
    s.fill_ids.append(fill_id)
    return fill_id


def _event(s: _State) -> Event:
    rng = s.rng
    roll = rng.random()
    if roll < 0.16 and not s.exit:
        s.orders += 1
        market_id, _, token_id, outcome = _token(rng)
        order = _Order(
            f"b-{s.orders}", market_id, token_id, outcome, _shares(rng, 1, 60), _limit(rng)
        )
        s.buys.append(order)
        return BuySubmitted(
            order.local_id,
            market_id,
            token_id,
            outcome,
            order.qty,
            order.limit_px or 1,
            rng.choice(["GTC", "GTC", "FOK", "GTD"]),
        )
    if roll < 0.40 and s.buys:
        order = rng.choice(s.buys)
        left = order.qty - order.filled
        qty = rng.randint(1, max(left, 1)) if rng.random() < 0.9 else left + _shares(rng, 1, 5)
        order.filled += qty
        if order.filled >= order.qty:
            s.buys.remove(order)
        s.held[order.token_id] = s.held.get(order.token_id, 0) + qty
        return BuyFilled(
            order.local_id,
            order.token_id,
            order.market_id,
            order.outcome,
            qty,
            _price_micro(rng, order.limit_px),
            order.qty,
            _next_fill_id(s),
            rng.choice([0, 0, 0, 1_000, 12_345]),
        )
    if roll < 0.50:
        held = [t for t, q in s.held.items() if q > 0]
        if held:
            s.orders += 1
            token_id = rng.choice(held)
            market_id, outcome = _outcome_of(token_id)
            qty = rng.randint(1, s.held[token_id] + (3 * U if rng.random() < 0.1 else 0))
            limit = rng.choice([None, _limit(rng)])
            order = _Order(f"s-{s.orders}", market_id, token_id, outcome, qty, limit)
            s.sells.append(order)
            return SellSubmitted(order.local_id, token_id, qty, limit, "GTC")
    if roll < 0.62 and s.sells:
        order = rng.choice(s.sells)
        left = order.qty - order.filled
        qty = rng.randint(1, max(left, 1)) if rng.random() < 0.92 else left + 2 * U
        order.filled += qty
        if order.filled >= order.qty:
            s.sells.remove(order)
        s.held[order.token_id] = max(s.held.get(order.token_id, 0) - qty, 0)
        return SellFilled(
            order.local_id,
            order.token_id,
            qty,
            _price_micro(rng, None),
            order.qty,
            _next_fill_id(s),
            rng.choice([0, 0, 500]),
        )
    if roll < 0.68 and (s.buys or s.sells):
        pool = s.buys if s.buys and (not s.sells or rng.random() < 0.5) else s.sells
        order = rng.choice(pool)
        pool.remove(order)
        left = order.qty - order.filled
        if rng.random() < 0.1:
            left += U  # the exchange's remaining quantity disagrees
        if pool is s.buys:
            return BuyCancelled(order.local_id, left, order.limit_px or 1)
        return SellCancelled(order.local_id, order.token_id, left)
    if roll < 0.73 and not s.exit:
        _, condition_id, _, _ = rng.choice(MARKETS)
        pairs = _shares(rng, 1, 40)
        s.mints.append((condition_id, pairs))
        return MintSubmitted(condition_id, pairs)  # $1 a pair
    if roll < 0.78 and s.mints:
        condition_id, pairs = s.mints.pop(0)
        market_id, _, yes, no = next(m for m in MARKETS if m[1] == condition_id)
        if rng.random() < 0.8:
            s.held[yes] = s.held.get(yes, 0) + pairs
            s.held[no] = s.held.get(no, 0) + pairs
            return MintConfirmed(condition_id, pairs, yes, no, market_id)
        return MintFailed(condition_id, pairs)
    if roll < 0.82:
        _, condition_id, _, _ = rng.choice(MARKETS)
        pairs = _shares(rng, 1, 30)
        s.merges.append((condition_id, pairs))
        return MergeSubmitted(condition_id, pairs)
    if roll < 0.86 and s.merges:
        condition_id, pairs = s.merges.pop(0)
        _, _, yes, no = next(m for m in MARKETS if m[1] == condition_id)
        if rng.random() < 0.7:
            s.held[yes] = max(s.held.get(yes, 0) - pairs, 0)
            s.held[no] = max(s.held.get(no, 0) - pairs, 0)
            return MergeConfirmed(condition_id, pairs, yes, no)
        return MergeFailed(condition_id, pairs)
    if roll < 0.87:
        # A contradiction: a fill of an order nobody submitted.
        market_id, _, token_id, outcome = _token(rng)
        s.held[token_id] = s.held.get(token_id, 0) + 3 * U
        return BuyFilled(
            f"ghost-{s.fills}", token_id, market_id, outcome, 3 * U, 500_000, 3 * U,
            _next_fill_id(s), 0, rng.choice([None, None, "MATCHED", "CONFIRMED"]),
        )  # fmt: skip
    held = sorted(t for t, q in s.held.items() if q > 0)
    return PricesUpdated(
        tuple((t, rng.randint(0, 1000) * 1_000) for t in held[: rng.randint(0, 4)])
    )


def make_stream(
    seed: int, length: int, *, exit_at: int | None = None, with_loaded_positions: bool = True
) -> list[Event]:
    """`length` events, the same for the same seed; exit is triggered at index `exit_at`
    (default: three quarters in), after which no buys or mints are submitted."""
    exit_index = length * 3 // 4 if exit_at is None else exit_at
    s = _State(random.Random(seed))
    events: list[Event] = []
    if with_loaded_positions:
        market_id, _, yes, _ = MARKETS[0]
        events.append(
            PositionsLoaded((LoadedPosition(yes, market_id, Outcome.YES, 20 * U, 9_000_000, 0),))
        )
        s.held[yes] = 20 * U
    s.status_rng = random.Random(seed + 1)
    while len(events) < length:
        if len(events) == exit_index:
            s.exit = True
            events.append(ExitTriggered())
        else:
            events.append(_settlement(s, _event(s)))
            status = _status_event(s)
            if status is not None and len(events) < length:
                events.append(status)
    return events


_START_US = 1_700_000_000_000_000


def _settlement(s: _State, event: Event) -> Event:
    """Make about a third of the fills with an id provisional (a status and a booking time),
    drawing from the status generator so the rest of the stream stays as it was."""
    if not isinstance(event, BuyFilled | SellFilled) or event.fill_id is None:
        return event
    if event.status is None and s.status_rng.random() < 0.35:
        booked = _START_US + s.fills * 60_000_000
        return dataclasses.replace(event, status="MATCHED", booked_at_us=booked)
    if event.status is None and event.fill_id not in s.fill_ids[:-1]:
        s.final_fills.add(event.fill_id)
    return event


def _status_event(s: _State) -> Event | None:
    """Now and then a settlement status for an earlier fill (or an unknown one), or a check
    for stale provisional fills."""
    rng = s.status_rng
    roll = rng.random()
    if roll < 0.12 and s.fill_ids:
        fill_id = rng.choice(s.fill_ids[-30:]) if rng.random() < 0.97 else "fill-unknown"
        status = rng.choice(["MINED", "RETRYING", "CONFIRMED", "CONFIRMED", "FAILED", "FAILED"])
        return FillStatusChanged(fill_id, status, fill_id in s.final_fills)
    if roll < 0.125:
        return StaleFillsChecked(_START_US + s.fills * 60_000_000, 86_400_000_000)
    return None
