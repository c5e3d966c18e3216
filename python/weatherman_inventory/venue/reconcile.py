"""Reconciliation: the ledger compared with the venue's own account (ledger rules,
"Reconciliation"; venue-facts §3 and §7).

At start-up, and on demand:

1. `catch_up(adapter, account)`: the pages of the venue's trade history go through the
   `PolymarketAdapter`, so a fill the stream missed (it does not replay after a disconnect) is
   booked as a fill with its price and fee, never as an adjustment. The adapter is idempotent:
   legs already booked change nothing.
2. `reconcile(manager, account)`: the typed `Difference`, per token, per order and for cash,
   empty when they agree. Changes nothing.
3. `adopt(manager, difference)`: one correcting event per difference that is not pending
   (`PositionReconciled`, `OrderAdopted`, `OrderDropped`, `CashReconciled`), journaled by the
   manager and each recorded as an anomaly with both values; reconciling again is then empty
   of everything adopted.

What is compared. The venue's balances are what the chain holds: they include the cash that
open buy orders reserve and exclude fills not yet mined. So the ledger's side is its on-chain
amount: a token's quantity, less its provisional buys still MATCHED or RETRYING, plus its
provisional sells still MATCHED or RETRYING; cash (the snapshot's totalUsd, reservations
included) plus those buys' debits, less those sells' net proceeds. A difference that
provisional fills can explain is pending and not adopted: the venue may have mined a fill whose
status reaches the ledger late, or not yet show one the ledger has as MINED (its balance lags
until about MINED), so a difference equal to the effect of some of the token's (or, for cash,
the session's) provisional fills is pending, and names them.

Token balances come from the CONDITIONAL balance-allowance answers only (`VenueAccount`'s
`token_balances`). A token the ledger holds, or a data-API row shows, with no such answer is
unverified: reported, never adopted, since a zero or missing data-API row is not proof of flat.
Orders are compared when the account lists them: an order open in the ledger and not at the
venue is missing (closed by adopting); one open at the venue and unknown to the ledger is
unknown (opened by adopting, for what it has left, under its venue id); one open on both sides
whose side, token, price or quantity left differ is a mismatch, reported for the operator and
not adopted (the venue's order and the ledger's cannot both be right without a fact between).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

from weatherman_inventory.events import (
    CashReconciled,
    Event,
    OrderAdopted,
    OrderDropped,
    OrderStatus,
    PositionReconciled,
    check_event,
    format_shares,
)
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.models import Outcome
from weatherman_inventory.settlement import FillRecord
from weatherman_inventory.venue.account import OpenOrder, VenueAccount
from weatherman_inventory.venue.adapter import Applied, PolymarketAdapter

__all__ = [
    "CashDifference",
    "Difference",
    "OrderDifference",
    "TokenDifference",
    "adopt",
    "catch_up",
    "corrections",
    "reconcile",
    "usd_text",
]

_UNMINED: Final = frozenset({"MATCHED", "RETRYING"})
_OPEN: Final = frozenset({OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED})
_EXACT_SUBSETS: Final = 12
"""Up to this many provisional fills, a difference is pending only if some of them add up to it
exactly; beyond, if it lies within what they can add up to."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TokenDifference(_Model):
    """A token whose on-chain amount in the ledger differs from the venue's balance."""

    token_id: str
    market_id: str | None
    outcome: Outcome
    ledger_micro: int
    """The ledger's on-chain amount, micro-shares."""
    venue_micro: int
    """The venue's balance (CONDITIONAL balance-allowance), micro-shares."""
    pending: bool
    """Provisional fills can explain it: not adopted."""
    explained_by: tuple[str, ...] = ()
    """The provisional fills that explain it (fill ids), when pending."""


class OrderDifference(_Model):
    """An order open on one side only, or open on both with different terms."""

    kind: Literal["missing", "unknown", "mismatch"]
    """missing: open in the ledger, not at the venue; unknown: open at the venue, unknown to the
    ledger; mismatch: open on both sides, or closed in the ledger, with different terms."""
    local_id: str | None
    venue_order_id: str | None
    side: str
    """"buy" or "sell"."""
    market_id: str
    token_id: str
    outcome: Outcome | None
    ledger_left_micro: int | None
    """What the ledger's order has left (qty - filled), micro-shares; None: no ledger order."""
    venue_left_micro: int | None
    """What the venue's order has left (original_size - size_matched); None: not at the venue."""
    venue_matched_micro: int | None = None
    """The venue order's size matched (of an unknown order, what adopting counts as filled)."""
    limit_micro: int | None
    """The venue's price, or the ledger's limit when the venue has no order, micro-USDC."""
    detail: str = ""


class CashDifference(_Model):
    """The ledger's on-chain cash differs from the venue's collateral balance."""

    ledger_micro: int
    venue_micro: int
    pending: bool
    explained_by: tuple[str, ...] = ()


class Difference(_Model):
    """What the ledger and the venue's account disagree on; empty when they agree.

    `unverified`: tokens the ledger holds (or a data-API row shows) without a balance answer
    from the venue: not a difference to adopt, but not agreement either.
    """

    tokens: tuple[TokenDifference, ...] = ()
    orders: tuple[OrderDifference, ...] = ()
    cash: CashDifference | None = None
    unverified: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.tokens or self.orders or self.cash or self.unverified)

    @property
    def pending(self) -> bool:
        """Whether anything found is pending (provisional fills explain it)."""
        return any(t.pending for t in self.tokens) or (self.cash is not None and self.cash.pending)


def usd_text(micro: int) -> str:
    """Micro-USDC as dollars with 6 decimals (`984.515000`, `-0.500000`)."""
    sign = "-" if micro < 0 else ""
    whole, rest = divmod(abs(micro), 1_000_000)
    return f"{sign}{whole}.{rest:06d}"


# -- 1. the trades the stream missed --------------------------------------------------------


def catch_up(adapter: PolymarketAdapter, account: VenueAccount) -> list[Applied]:
    """Feed every page of the account's trade history through `adapter`, in order: what the
    stream missed is booked as fills, what the ledger has is skipped. One `Applied` per page."""
    return [adapter.on_trade_page(page) for page in account.trade_pages]


# -- 2. the difference ----------------------------------------------------------------------


def _explained(difference: int, effects: list[tuple[str, int]]) -> tuple[bool, tuple[str, ...]]:
    """Whether some provisional fills' effects add up to `difference` (exactly, for a few;
    within their range, for many), and which."""
    effects = [(f, e) for f, e in effects if e]
    if not effects or not difference:
        return False, ()
    if len(effects) <= _EXACT_SUBSETS:
        for size in range(1, len(effects) + 1):
            for chosen in combinations(effects, size):
                if sum(e for _, e in chosen) == difference:
                    return True, tuple(f for f, _ in chosen)
        return False, ()
    low = sum(e for _, e in effects if e < 0)
    high = sum(e for _, e in effects if e > 0)
    return low <= difference <= high, tuple(f for f, _ in effects)


def _token_effect(rec: FillRecord) -> tuple[int, int]:
    """(what the fill adds to the ledger's on-chain amount, what the venue may differ by)."""
    sign = 1 if rec.side == "buy" else -1
    if rec.status in _UNMINED:
        # Not on chain in the ledger's view: the venue, if it mined it already, holds it.
        return -sign * rec.qty, sign * rec.qty
    # MINED: on chain in the ledger's view; the venue's balance may not show it yet.
    return 0, -sign * rec.qty


def _cash_effect(rec: FillRecord) -> tuple[int, int]:
    moved = -(rec.amount + rec.fee) if rec.side == "buy" else rec.amount - rec.fee
    if rec.status in _UNMINED:
        return -moved, moved
    return 0, -moved


def _identity(
    token_id: str, manager: InventoryManager, account: VenueAccount
) -> tuple[str | None, Outcome]:
    """The token's market and outcome: the ledger's, else the venue's orders and data-API rows
    (None and YES: the placeholder of a token whose market nobody named)."""
    record = manager.position_record(token_id)
    if record is not None and record.market_id:
        return record.market_id, record.outcome
    for order in account.open_orders or ():
        if order.asset_id == token_id and order.outcome.strip().upper() in {"YES", "NO"}:
            return order.market, Outcome(order.outcome.strip().upper())
    for row in account.positions:
        if row.asset == token_id and row.conditionId and row.outcome_value is not None:
            return row.conditionId, row.outcome_value
    return None, Outcome.YES


def _tokens(
    manager: InventoryManager, account: VenueAccount, provisional: list[FillRecord]
) -> tuple[list[TokenDifference], list[str]]:
    held = {r.token_id: r.qty_micro for r in manager.position_records()}
    adjust: dict[str, int] = {}
    effects: dict[str, list[tuple[str, int]]] = {}
    for rec in provisional:
        on_chain, effect = _token_effect(rec)
        adjust[rec.token_id] = adjust.get(rec.token_id, 0) + on_chain
        effects.setdefault(rec.token_id, []).append((rec.fill_id, effect))
    advisory = {row.asset for row in account.positions if row.size}
    tokens = list(held)
    seen = set(tokens)
    for token in (*account.token_balances, *sorted(advisory)):
        if token not in seen:
            seen.add(token)
            tokens.append(token)
    found: list[TokenDifference] = []
    unverified: list[str] = []
    for token in tokens:
        ledger = held.get(token, 0) + adjust.get(token, 0)
        venue = account.token_balances.get(token)
        if venue is None:
            if ledger or token in advisory or token in effects:
                unverified.append(token)
            continue
        if venue == ledger:
            continue
        pending, fills = _explained(venue - ledger, effects.get(token, []))
        market_id, outcome = _identity(token, manager, account)
        found.append(
            TokenDifference(
                token_id=token,
                market_id=market_id,
                outcome=outcome,
                ledger_micro=ledger,
                venue_micro=venue,
                pending=pending,
                explained_by=fills,
            )
        )
    return found, unverified


def _orders(manager: InventoryManager, orders: Iterable[OpenOrder]) -> list[OrderDifference]:
    venue = {o.id: o for o in orders}
    found: list[OrderDifference] = []
    known: set[str] = set()
    for local_id in manager.order_ids():
        record = manager.order_record(local_id)
        assert record is not None
        venue_id = manager.exchange_order_id(local_id)
        if venue_id is not None:
            known.add(venue_id)
        known.add(local_id)
        left = max(record.qty_micro - record.filled_qty_micro, 0)
        order = venue.get(venue_id) if venue_id is not None else None
        if record.status not in _OPEN:
            if order is not None:
                found.append(
                    _mismatch(
                        local_id, record.side, order, None,
                        f"{record.status.value} in the ledger, open at the venue",
                    )
                )  # fmt: skip
            continue
        if order is None:
            found.append(
                OrderDifference(
                    kind="missing",
                    local_id=local_id,
                    venue_order_id=venue_id,
                    side=record.side,
                    market_id=record.market_id,
                    token_id=record.token_id,
                    outcome=None,
                    ledger_left_micro=left,
                    venue_left_micro=None,
                    limit_micro=record.limit_micro,
                    detail="not open at the venue"
                    if venue_id is not None
                    else "the venue never named it (no venue order id)",
                )
            )
            continue
        terms = []
        if record.side != order.side.lower():
            terms.append(f"side {order.side}, the ledger's {record.side}")
        if record.token_id != order.asset_id:
            terms.append(f"token {order.asset_id}, the ledger's {record.token_id}")
        if record.limit_micro is not None and record.limit_micro != order.price:
            terms.append(
                f"price {usd_text(order.price)}, the ledger's {usd_text(record.limit_micro)}"
            )
        if left != order.left_micro:
            terms.append(
                f"{format_shares(order.left_micro)} left, the ledger's {format_shares(left)}"
            )
        if terms:
            found.append(_mismatch(local_id, record.side, order, left, "; ".join(terms)))
    for order in venue.values():
        if order.id in known:
            continue
        label = order.outcome.strip().upper()
        found.append(
            OrderDifference(
                kind="unknown",
                local_id=None,
                venue_order_id=order.id,
                side=order.side.lower(),
                market_id=order.market,
                token_id=order.asset_id,
                outcome=Outcome(label) if label in {"YES", "NO"} else None,
                ledger_left_micro=None,
                venue_left_micro=order.left_micro,
                venue_matched_micro=order.size_matched,
                limit_micro=order.price,
                detail=f"{order.status.status} at the venue, unknown to the ledger",
            )
        )
    return found


def _mismatch(
    local_id: str, side: str, order: OpenOrder, left: int | None, detail: str
) -> OrderDifference:
    return OrderDifference(
        kind="mismatch",
        local_id=local_id,
        venue_order_id=order.id,
        side=side,
        market_id=order.market,
        token_id=order.asset_id,
        outcome=None,
        ledger_left_micro=left,
        venue_left_micro=order.left_micro,
        limit_micro=order.price,
        detail=detail,
    )


def reconcile(manager: InventoryManager, account: VenueAccount) -> Difference:
    """The ledger's disagreement with the venue's `account`; changes nothing.

    Feed the trade history first (`catch_up`): a fill the stream missed is a fill, not a
    difference to adopt.
    """
    provisional = list(manager.provisional_fills())
    tokens, unverified = _tokens(manager, account, provisional)
    orders = [] if account.open_orders is None else _orders(manager, account.open_orders)
    cash = None
    if account.collateral_micro is not None:
        ledger = manager.cash_micro
        effects = []
        for rec in provisional:
            on_chain, effect = _cash_effect(rec)
            ledger += on_chain
            effects.append((rec.fill_id, effect))
        venue = account.collateral_micro
        if venue != ledger:
            pending, fills = _explained(venue - ledger, effects)
            cash = CashDifference(
                ledger_micro=ledger, venue_micro=venue, pending=pending, explained_by=fills
            )
    return Difference(
        tokens=tuple(tokens), orders=tuple(orders), cash=cash, unverified=tuple(unverified)
    )


# -- 3. adopting the venue's truth ----------------------------------------------------------


def corrections(manager: InventoryManager, difference: Difference) -> list[Event]:
    """The correcting events `adopt` applies, in order: orders closed, orders opened, token
    balances, cash. Pending differences, mismatches and unverified tokens have none."""
    events: list[Event] = []
    for o in difference.orders:
        if o.kind == "missing" and o.local_id is not None:
            events.append(OrderDropped(o.local_id, o.venue_order_id, o.ledger_left_micro or 0))
    for o in difference.orders:
        if o.kind == "unknown" and o.venue_order_id is not None and o.venue_left_micro:
            assert o.limit_micro is not None
            market_id, outcome = o.market_id, o.outcome
            if outcome is None:
                record = manager.position_record(o.token_id)
                outcome = record.outcome if record is not None else Outcome.YES
            matched = o.venue_matched_micro or 0
            events.append(
                OrderAdopted(
                    o.venue_order_id, o.venue_order_id, o.side, market_id, o.token_id, outcome,
                    o.venue_left_micro + matched, o.limit_micro, matched,
                )
            )  # fmt: skip
    events.extend(
        PositionReconciled(t.token_id, t.market_id, t.outcome, t.ledger_micro, t.venue_micro)
        for t in difference.tokens
        if not t.pending
    )
    cash = difference.cash
    if cash is not None and not cash.pending:
        events.append(CashReconciled(cash.ledger_micro, cash.venue_micro))
    return events


def adopt(manager: InventoryManager, difference: Difference) -> list[Event]:
    """Adopt the venue's truth: one correcting event per difference that is neither pending, a
    mismatch nor unverified, each journaled (when the manager is bound to a store) and recorded
    as an anomaly with both values. `difference` must be the manager's current one
    (`reconcile` just before). Returns the events applied."""
    events = corrections(manager, difference)
    for event in events:
        check_event(event)  # every one, before the first is applied
    for event in events:
        manager.apply(event)
    return events
