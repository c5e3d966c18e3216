"""What the ledger does with the venue's truth once reconciliation adopts it.

Reconciliation (`venue/reconcile.py`) compares the ledger with the venue's account and, when
asked to adopt, journals one correcting event per difference (ledger rules, "Reconciliation").
This module applies those events to an `InventoryManager`; the manager checks, journals and
dispatches them here. Every one is recorded as a `RECONCILIATION` anomaly carrying the ledger's
and the venue's value, and each keeps the invariant

    total_usd + sum(total_cost) == capital_baseline + adjustments + sum(realized_pnl)

- `PositionReconciled`: the token's quantity moves by `venue - ledger` (both on-chain amounts).
  Shares added come at a zero cost basis (nothing paid for them that the ledger knows of);
  shares removed take their average cost out, realised as a loss. It is a position fact like a
  fill, so a later FAILED restatement of the token folds it in its place.
- `OrderAdopted`: a venue order unknown to the ledger opens as the venue has it: its original
  size, its size matched as filled (those fills reached the ledger, if at all, as fills of an
  unknown order), reserving what it has left as a submission of that much would (a buy
  `left * limit`, a sell the shares), under its venue id.
- `OrderDropped`: an order the venue does not hold open is closed and releases what it reserved.
- `CashReconciled`: cash moves by `venue - ledger`, counted in the adjustments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from weatherman_inventory.events import (
    MICRO,
    BuySubmitted,
    CashReconciled,
    OrderAdopted,
    OrderDropped,
    OrderStatus,
    PositionReconciled,
    SellSubmitted,
    format_shares,
)
from weatherman_inventory.orders import Order
from weatherman_inventory.settlement import Fact

if TYPE_CHECKING:
    from weatherman_inventory.manager import InventoryManager

__all__ = ["cash_reconciled", "order_adopted", "order_dropped", "position_reconciled"]


def _usd(micro: int) -> str:
    sign = "-" if micro < 0 else ""
    whole, rest = divmod(abs(micro), MICRO)
    return f"{sign}${whole}.{rest:06d}"


def position_reconciled(m: InventoryManager, e: PositionReconciled) -> None:
    from weatherman_inventory.manager import AnomalyKind, _qty_bound  # noqa: PLC0415 (cycle)

    delta = e.delta_micro
    p = m._positions.get(e.token_id)
    if p is not None:
        _qty_bound(f"tokens[{e.token_id!r}].qty", p.qty + max(delta, 0))
    else:
        _qty_bound(f"tokens[{e.token_id!r}].qty", max(delta, 0))
        p = m._positions.new(e.token_id, e.market_id or "", e.outcome)
    if e.market_id is not None and (p.market_id != e.market_id or p.outcome is not e.outcome):
        m._identify(p, e.market_id, e.outcome, e)
    removed = 0
    if delta > 0:
        p.qty += delta
        fact = Fact("buy", delta, 0, 0)
    else:
        removed = p.remove(-delta)
        p.realized_micro -= removed
        fact = Fact("sell", -delta, 0, 0)
    m._touch(e.token_id)
    if delta and e.token_id in m._settle.histories:
        m._settle.record(e.token_id, fact)
    m._anomaly(
        AnomalyKind.RECONCILIATION,
        e,
        f"token {e.token_id!r}: the venue holds {format_shares(e.venue_qty_micro)} shares, the "
        f"ledger {format_shares(e.ledger_qty_micro)} on chain: "
        + (
            f"{format_shares(delta)} added at a zero cost basis"
            if delta >= 0
            else f"{format_shares(-delta)} removed, their cost {_usd(removed)} realised"
        ),
    )
    if delta < 0:
        m._pairs.enforce_caps_of(e.token_id)


def order_adopted(m: InventoryManager, e: OrderAdopted) -> None:
    from weatherman_inventory.manager import AnomalyKind  # noqa: PLC0415 (cycle)

    if e.local_id in m._orders:
        m._anomaly(
            AnomalyKind.DUPLICATE_ORDER,
            e,
            f"order {e.local_id!r} was already submitted: the venue's open order "
            f"{e.exchange_order_id!r} is not adopted again",
        )
        return
    owner = m._orders.local_ids.get(e.exchange_order_id)
    if owner is not None:
        m._anomaly(
            AnomalyKind.EXCHANGE_ID_CONFLICT,
            e,
            f"venue order {e.exchange_order_id!r} is already order {owner!r}: not adopted",
        )
        return
    left = e.qty_micro - e.filled_qty_micro
    if left <= 0:
        m._anomaly(
            AnomalyKind.OVERFILL,
            e,
            f"venue order {e.exchange_order_id!r} has nothing left "
            f"({format_shares(e.filled_qty_micro)} of {format_shares(e.qty_micro)} matched): "
            "not adopted",
        )
        return
    if e.side == "buy":
        m._on_buy_submitted(
            BuySubmitted(e.local_id, e.market_id, e.token_id, e.outcome, left, e.limit_micro)
        )
    else:
        if e.token_id not in m._positions:
            m._positions.new(e.token_id, e.market_id, e.outcome)
        m._on_sell_submitted(SellSubmitted(e.local_id, e.token_id, left, e.limit_micro))
    order = m._orders[e.local_id]
    assert type(order) is Order  # just opened
    order.qty = e.qty_micro
    if e.filled_qty_micro:
        order.filled_qty = e.filled_qty_micro
        order.status = OrderStatus.PARTIALLY_FILLED
    m._orders.assign(e.local_id, e.exchange_order_id)
    m._anomaly(
        AnomalyKind.RECONCILIATION,
        e,
        f"venue order {e.exchange_order_id!r} ({e.side} {format_shares(e.qty_micro)} "
        f"{e.token_id!r} @ {_usd(e.limit_micro)}, {format_shares(e.filled_qty_micro)} matched) "
        f"is open at the venue, unknown to the ledger: opened as order {e.local_id!r} with "
        f"{format_shares(left)} left",
    )


def order_dropped(m: InventoryManager, e: OrderDropped) -> None:
    from weatherman_inventory.manager import AnomalyKind  # noqa: PLC0415 (cycle)

    order = m._orders.get(e.local_id)
    if type(order) is not Order or order.status not in {
        OrderStatus.SUBMITTED,
        OrderStatus.PARTIALLY_FILLED,
    }:
        m._anomaly(
            AnomalyKind.CANCEL_CLOSED_ORDER,
            e,
            f"order {e.local_id!r} is not open in the ledger: nothing to close",
        )
        return
    reserved = order.reserved_micro
    reserved_qty = order.reserved_qty
    m._in_flight -= reserved
    order.reserved_micro = 0
    m._release_qty(order, reserved_qty)
    order.status = OrderStatus.CANCELLED
    m._orders.close(e.local_id, order)
    m._anomaly(
        AnomalyKind.RECONCILIATION,
        e,
        f"order {e.local_id!r} (venue {e.exchange_order_id!r}) is open in the ledger with "
        f"{format_shares(e.remaining_qty_micro)} left, not open at the venue: closed, "
        + (
            f"{_usd(reserved)} released"
            if order.side == "buy"
            else f"{format_shares(reserved_qty)} shares released"
        ),
    )


def cash_reconciled(m: InventoryManager, e: CashReconciled) -> None:
    from weatherman_inventory.manager import AnomalyKind, _money_bound  # noqa: PLC0415 (cycle)

    delta = e.delta_micro
    _money_bound("total_usd", m._cash + delta)
    _money_bound("adjustments_usd", m._adjustments + delta)
    m._cash += delta
    m._adjustments += delta
    m._anomaly(
        AnomalyKind.RECONCILIATION,
        e,
        f"cash: the venue holds {_usd(e.venue_micro)}, the ledger {_usd(e.ledger_micro)} on "
        f"chain: {_usd(delta)} adjusted",
    )
