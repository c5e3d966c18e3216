"""The InventoryManager: the single authority for a session's capital and positions.

Money is integer micro-USDC throughout (`events.MICRO` per dollar); floats appear only in the
snapshot's float fields, converted at the very end. Every public mutating method checks its
arguments (raising `InvalidInput` before anything changes), builds an `events.*` event and hands it
to `_process`, which applies it and, when a journal is bound, commits it or undoes it. The rules
are `ledger-rules.md`; the notes below say how this module keeps them exactly.

The manager composes rooms that own their state: orders (`orders.OrderBook`), positions and cost
basis (`positions.PositionBook`), minted pairs (`pairs.PairBook`), settlement
(`settlement.Settlement`), resolution (`resolution.Resolution`) and the snapshot
(`rendering.SnapshotRenderer`). It checks each call, dispatches the event to its handler, moves
cash and reservations, records anomalies and journals; an event's undo checkpoint takes from each
room what the event can change of it (`undo.py`).

Every amount and quantity the ledger holds stays below 10^9 (dollars, contracts; `events.MAX_MICRO`
and `events.MAX_QTY`), so the snapshot's numbers have at most 15 significant digits. A fact that
would carry one past it (a position, its cost or realised PnL, cash, in-flight or accessible
USDC, minted pairs, an order's filled quantity) raises `BoundExceeded` before anything changes:
each handler checks what the event would make of them before it touches anything.

Cost basis is kept as `cost_micro` per position. A sale of `q` of `qty` contracts removes
`cost_micro * q / qty` rounded half-even to the micro-USDC (at most half a micro-USDC per sale),
and the whole remaining cost when `q == qty`, so a flat position has cost exactly 0 and

    cash + sum(cost) == baseline + sum(realized)

holds exactly at every step (`baseline` is the initial capital, moved by `load_positions`).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any, Final, Protocol, cast

from weatherman_inventory import adoption
from weatherman_inventory import batch as group_commit
from weatherman_inventory import events as ev
from weatherman_inventory.batch import Batch
from weatherman_inventory.errors import BoundExceeded, DuplicateFill, InvalidInput
from weatherman_inventory.events import (
    MICRO,
    BuyCancelled,
    BuyFilled,
    BuySubmitted,
    CashAdjusted,
    CashReconciled,
    Event,
    ExchangeOrderIdAssigned,
    ExitTriggered,
    FillStatusChanged,
    LoadedPosition,
    MarketResolved,
    MergeConfirmed,
    MergeFailed,
    MergeSubmitted,
    MintConfirmed,
    MintFailed,
    MintSubmitted,
    OrderAdopted,
    OrderDropped,
    OrderRecord,
    OrderStatus,
    PositionReconciled,
    PositionRecord,
    PositionsLoaded,
    PricesUpdated,
    RedemptionConfirmed,
    RedemptionFailed,
    RedemptionSubmitted,
    SellCancelled,
    SellFilled,
    SellSubmitted,
    StaleFillsChecked,
)
from weatherman_inventory.models import InventoryState, Outcome
from weatherman_inventory.orders import ClosedOrder, Order, OrderBook
from weatherman_inventory.pairs import PairBook
from weatherman_inventory.positions import Holding, PositionBook
from weatherman_inventory.rendering import SnapshotRenderer
from weatherman_inventory.resolution import (
    Resolution,
    ResolutionRecord,
    offchain_qty,
    payouts_micro,
)
from weatherman_inventory.settlement import (
    PROVISIONAL,
    TERMINAL,
    Fact,
    FillRecord,
    Position,
    Settlement,
    half_even_div,
    remove_shares,
    removed_cost,
)
from weatherman_inventory.undo import MISSING as _MISSING
from weatherman_inventory.undo import Saved

__all__ = ["Anomaly", "AnomalyKind", "InventoryManager", "Journal", "LimitArg", "QtyArg"]

QtyArg = int | Decimal | str
"""A quantity argument: an int is whole shares, a Decimal or plain decimal text exact shares
with at most 6 decimals."""
LimitArg = int | Decimal | str
"""A limit argument in cents of a dollar: an int 1..100, or an exact decimal (65.5: a 0.001
tick)."""

_log = logging.getLogger("weatherman_inventory")

_CENT: Final = ev.CENT_MICRO
_YES: Final = Outcome.YES
_NO: Final = Outcome.NO
_SUBMITTED: Final = OrderStatus.SUBMITTED
_PARTIAL: Final = OrderStatus.PARTIALLY_FILLED
_FILLED: Final = OrderStatus.FILLED
_CANCELLED: Final = OrderStatus.CANCELLED
# A private context, so the snapshot's Decimals never depend on the caller's thread context.
_MAX_QTY_MICRO: Final = ev.MAX_QTY_MICRO
_MAX_MICRO: Final = ev.MAX_MICRO
_MIN_MICRO: Final = -ev.MAX_MICRO
_MAX_DOLLARS: Final = Decimal(ev.MAX_MICRO).scaleb(-6)
_MAX_SHARES: Final = Decimal(ev.MAX_QTY_MICRO).scaleb(-6)
_shares = ev.format_shares
_MAX_ID: Final = ev.MAX_ID_BYTES


class AnomalyKind(StrEnum):
    """What a well-formed event contradicted (rule 2 of the ledger rules)."""

    UNKNOWN_ORDER = "unknown_order"
    """A fill for an order the ledger never saw submitted."""
    ORDER_MISMATCH = "order_mismatch"
    """A fill naming an order of the other side, or another token than the order's."""
    ORDER_QTY_MISMATCH = "order_qty_mismatch"
    """A fill whose `order_qty` differs from the submitted quantity."""
    OVERFILL = "overfill"
    """A fill beyond an order's remaining quantity (or of a cancelled or filled order)."""
    DUPLICATE_ORDER = "duplicate_order"
    """A second submission under a `local_id` already used: ignored."""
    DUPLICATE_FILL = "duplicate_fill"
    """A fill id seen before: ignored, since applying a fill twice is never right."""
    OVERSELL = "oversell"
    """A sell fill of more than is held: the excess leaves at a zero cost basis."""
    SELL_EXCEEDS_HOLDINGS = "sell_exceeds_holdings"
    """A sell order for more than is accessible: the whole quantity is reserved anyway."""
    UNKNOWN_TOKEN = "unknown_token"
    """A sell of a token the ledger has never seen: a placeholder position is created."""
    TOKEN_MISMATCH = "token_mismatch"
    """A fact naming a token with another market, outcome or condition than the ledger's."""
    CANCEL_UNKNOWN_ORDER = "cancel_unknown_order"
    """A cancel of an order the ledger never saw: nothing released."""
    CANCEL_CLOSED_ORDER = "cancel_closed_order"
    """A cancel of a filled or cancelled order: nothing left to release."""
    CANCEL_MISMATCH = "cancel_mismatch"
    """A cancel whose side, token, limit or remaining quantity disagrees with the order."""
    NO_PENDING_MINT = "no_pending_mint"
    """A mint confirmation or failure with no pending mint for the condition."""
    MINT_AMOUNT_MISMATCH = "mint_amount_mismatch"
    """A mint confirmed or failed for another amount than the oldest pending one reserved."""
    NO_PENDING_MERGE = "no_pending_merge"
    """A merge confirmation or failure with no pending merge for the condition."""
    MERGE_EXCEEDS_AVAILABLE = "merge_exceeds_available"
    """A merge of more pairs than are available: only the available ones are reserved."""
    MERGE_COUNT_MISMATCH = "merge_count_mismatch"
    """A merge confirmed or failed for another pair count than the oldest pending one."""
    MERGE_TOKENS_NOT_HELD = "merge_tokens_not_held"
    """A merge of tokens not held: they leave at a zero cost basis."""
    WITHDRAWAL_EXCEEDS_CASH = "withdrawal_exceeds_cash"
    """A withdrawal of more than the cash the ledger holds: applied (the ledger was wrong)."""
    BUY_AFTER_EXIT = "buy_after_exit"
    """A buy submitted after `trigger_exit()`: applied, since it reached the exchange."""
    MINT_AFTER_EXIT = "mint_after_exit"
    """A mint submitted after `trigger_exit()`: applied, since it reached the chain."""
    INSUFFICIENT_FUNDS = "insufficient_funds"
    """A buy or mint reserving more than is accessible: reserved anyway."""
    POSITION_CACHE_MISMATCH = "position_cache_mismatch"
    """Recovery found the positions table (the fast-start cache) disagreeing with the replay."""
    CACHE_MISMATCH = "cache_mismatch"
    """Recovery found another table (orders, fills, mint events, the sessions row) disagreeing
    with the journal: the table was rebuilt from the journal."""
    EXCHANGE_ID_CONFLICT = "exchange_id_conflict"
    """An exchange order id for an order that already has another, or that another order has:
    ignored, the first assignment is kept."""
    UNKNOWN_FILL = "unknown_fill"
    """A settlement status for a fill id the ledger never booked: nothing changes."""
    REPEATED_STATUS = "repeated_status"
    """A settlement status a fill already has: nothing changes."""
    TERMINAL_STATUS_MOVE = "terminal_status_move"
    """A status moving a fill out of CONFIRMED or FAILED: the latest word wins, as a new fact
    (FAILED after CONFIRMED reverses the fill, CONFIRMED after FAILED applies it again)."""
    RESTATED_PNL = "restated_pnl"
    """A failed fill's restatement changed the realised PnL of other facts on its token."""
    STALE_FILL = "stale_fill"
    """A fill provisional for longer than the configured age, for reconciliation to settle."""
    RECONCILIATION = "reconciliation"
    """The venue's account differed from the ledger and reconciliation adopted the venue's
    value (a token's balance, an open order, cash): the message holds both values."""
    RESOLUTION_CHANGED = "resolution_changed"
    """A market resolved again with other payouts: the latest word wins, its tokens are
    marked again."""
    FILL_AFTER_RESOLUTION = "fill_after_resolution"
    """A fill on a market already resolved: applied, its token marked at its payout."""
    REDEMPTION_UNRESOLVED = "redemption_unresolved"
    """A redemption of a condition the ledger has not seen resolved: nothing is reserved, and
    what it pays is booked as a cash correction."""
    REDEMPTION_ALREADY_PENDING = "redemption_already_pending"
    """A redemption submitted while another of the condition is pending: newly redeemable
    shares are added to the reservation."""
    NO_PENDING_REDEMPTION = "no_pending_redemption"
    """A redemption confirmed or failed with none pending: a confirmation redeems the shares
    on chain now."""
    REDEMPTION_AMOUNT_MISMATCH = "redemption_amount_mismatch"
    """A redemption that paid another amount than shares * payout (floored): applied, the
    difference realised (a redemption through the wrong contract pays 0)."""


@dataclass(frozen=True, slots=True)
class Anomaly:
    """A well-formed event that contradicted the ledger, applied as far as it made sense.

    `event` is None for what no single event caused (a recovery check).
    """

    kind: AnomalyKind
    event: Event | None
    message: str


class Journal(Protocol):
    """What a bound store implements: make `event` durable, reading the manager's new state.

    Called after the event is applied in memory; if it raises, the manager undoes the event.
    """

    def commit(self, event: Event, manager: InventoryManager) -> None: ...


@dataclass(slots=True)
class _Checkpoint:
    """What one event can change, copied before it is applied under a journal."""

    scalars: tuple[int, int, bool, int, int]
    """`InventoryManager._scalars()`: cash, in flight, exit, baseline, adjustments."""
    n_anomalies: int
    added_fill_id: str | None
    saved: list[Saved]
    dirty: list[tuple[set[str], str, bool]]
    settle: tuple[object, ...] | None = None
    resolution: tuple[object, ...] | None = None


_half_even_div = half_even_div
_RESOLUTION_EVENTS: Final = (
    MarketResolved,
    RedemptionSubmitted,
    RedemptionConfirmed,
    RedemptionFailed,
)
# Event classes tested together on the journaled path (a tuple, as `ev.FILL_EVENTS`).
_ID_EVENTS: Final = (ExchangeOrderIdAssigned, OrderAdopted)


def _qty_bound(field: str, qty: int) -> None:
    """Refuse a quantity (micro-shares) the event would carry past `MAX_QTY_MICRO` (named in
    shares)."""
    if qty > _MAX_QTY_MICRO:
        raise BoundExceeded(field, Decimal(qty).scaleb(-6), _MAX_SHARES)


def _money_bound(field: str, micro: int) -> None:
    """Refuse an amount the event would carry past `MAX_MICRO` in magnitude (named in dollars)."""
    if not -_MAX_MICRO <= micro <= _MAX_MICRO:
        raise BoundExceeded(field, Decimal(micro).scaleb(-6), _MAX_DOLLARS)


def _halves(pairs_micro: int) -> tuple[int, int]:
    """The $0.50 of each pair given to YES and NO, micro-USDC: an odd micro-USDC goes to YES,
    so the two always sum to the $1 a pair moves."""
    no = pairs_micro // 2
    return pairs_micro - no, no


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _time_us(field: str, value: object) -> int:
    """An aware datetime as microseconds since the epoch."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidInput(field, value, "an aware datetime is required")
    return ev.check_time_us(field, _micros(value - _EPOCH))


def _usd(micro: int) -> str:
    """micro-USDC as dollars for messages, exact: `$60.00`, `-$0.620001`."""
    whole, frac = divmod(abs(micro), MICRO)
    cents = f"{frac:06d}".rstrip("0").ljust(2, "0")
    return f"{'-' if micro < 0 else ''}${whole}.{cents}"


class InventoryManager:
    """Capital, reservations and positions of one session, exact in micro-USDC.

    Arguments are checked before anything changes: a malformed one raises `InvalidInput` naming
    it. Well-formed events that contradict the ledger (a fill for an unknown order, a sell of more
    than is held, ...) are facts from the exchange or the chain: they are applied as far as they
    make sense and recorded as an `Anomaly` (see `anomalies()`, also logged as warnings on the
    `weatherman_inventory` logger), never refused.

    A sell of a token the ledger has never seen credits the cash and realises the proceeds at a
    zero cost basis, and creates the position with `market_id=""` and outcome YES as a placeholder
    that the next fact naming the token's market (a buy fill, a mint) corrects.

    With `track_fill_ids=False` the manager keeps no set of fill ids (a bound store's UNIQUE
    fill_id deduplicates instead, and replay does not grow memory with the journal). With
    `log_anomalies=False` anomalies are recorded but not logged.

    Settlement (`settlement.py`): a fill booked with a status is provisional until
    `on_fill_status` confirms or fails it. `clock` (aware datetimes) stamps provisional fills,
    and `check_stale_fills(now)` reports those provisional for longer than
    `provisional_max_age`.
    """

    def __init__(
        self,
        initial_capital_usd: object,
        *,
        track_fill_ids: bool = True,
        log_anomalies: bool = True,
        provisional_max_age: timedelta = timedelta(days=1),
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if not isinstance(track_fill_ids, bool):
            raise InvalidInput("track_fill_ids", track_fill_ids, "a bool is required")
        if not isinstance(log_anomalies, bool):
            raise InvalidInput("log_anomalies", log_anomalies, "a bool is required")
        if not isinstance(provisional_max_age, timedelta) or provisional_max_age < timedelta(0):
            raise InvalidInput(
                "provisional_max_age", provisional_max_age, "a timedelta >= 0 is required"
            )
        if clock is not None and not callable(clock):
            raise InvalidInput("clock", clock, "a callable returning an aware datetime is required")
        self._max_age_us = _micros(provisional_max_age)
        self._clock = clock
        self._settle = Settlement()
        self._resol = Resolution()
        self.log_anomalies = log_anomalies
        """Whether anomalies are logged as they are recorded (replays of a journal set it off,
        since what they find again was logged when it happened)."""
        initial = ev.money_micro("initial_capital_usd", initial_capital_usd)
        self._initial = initial
        self._baseline = initial
        self._cash = initial
        self._in_flight = 0
        self._adjustments = 0
        self._exit = False
        self._orders = OrderBook()
        """The orders' room: every order by local id, closed ones interned, the venue's ids."""
        self._positions = PositionBook()
        """The positions' room: each token's holding and cost basis, and their sums."""
        self._anomalies: list[Anomaly] = []
        self._fill_ids: set[str] | None = set() if track_fill_ids else None
        self._journal: Journal | None = None
        self._batch: Batch | None = None
        self._pairs = PairBook(self._positions, self._touch_pairs)
        """The minted pairs' room: each condition's pairs, pending mints and merges, tokens."""
        self._view = SnapshotRenderer(
            self._positions, self._pairs.pairs, self._settle, self._resol, self.redeemable_qty_micro
        )
        """The snapshot's room: its caches, and what changed since it was last rendered."""
        self._handlers: dict[type, Callable[[Any], None]] = {
            BuySubmitted: self._on_buy_submitted,
            SellSubmitted: self._on_sell_submitted,
            BuyFilled: self._on_buy_filled,
            SellFilled: self._on_sell_filled,
            BuyCancelled: self._on_buy_cancelled,
            SellCancelled: self._on_sell_cancelled,
            MintSubmitted: self._on_mint_submitted,
            MintConfirmed: self._on_mint_confirmed,
            MintFailed: self._on_mint_failed,
            MergeSubmitted: self._on_merge_submitted,
            MergeConfirmed: self._on_merge_confirmed,
            MergeFailed: self._on_merge_failed,
            PricesUpdated: self._on_prices_updated,
            ExitTriggered: self._on_exit_triggered,
            PositionsLoaded: self._on_positions_loaded,
            ExchangeOrderIdAssigned: self._on_exchange_order_id,
            FillStatusChanged: self._on_fill_status,
            StaleFillsChecked: self._on_stale_fills_checked,
            CashAdjusted: self._on_cash_adjusted,
            PositionReconciled: lambda e: adoption.position_reconciled(self, e),
            OrderAdopted: lambda e: adoption.order_adopted(self, e),
            OrderDropped: lambda e: adoption.order_dropped(self, e),
            CashReconciled: lambda e: adoption.cash_reconciled(self, e),
            MarketResolved: self._on_market_resolved,
            RedemptionSubmitted: self._on_redemption_submitted,
            RedemptionConfirmed: self._on_redemption_confirmed,
            RedemptionFailed: self._on_redemption_failed,
        }

    # -- Durable sessions (the store and journal live in `journal.py`) -------------------------

    @classmethod
    def open(
        cls, store: Any, session_id: str, initial_capital_usd: object, **kwargs: Any
    ) -> InventoryManager:
        """A new session in `store`, every accepted event journaled before it counts."""
        journal = importlib.import_module("weatherman_inventory.journal")
        return cast(
            InventoryManager,
            journal.open_session(cls, store, session_id, initial_capital_usd, **kwargs),
        )

    @classmethod
    def recover(cls, store: Any, session_id: str) -> InventoryManager:
        """The session's state after its last committed event, rebuilt from `store`."""
        journal = importlib.import_module("weatherman_inventory.journal")
        return cast(InventoryManager, journal.recover_session(cls, store, session_id))

    def _bind(self, journal: Journal | None) -> None:
        """Journal every event from now on through `journal` (None: memory only)."""
        self._journal = journal

    def batch(self) -> AbstractContextManager[None]:
        """Group commit: the events of the block are durable together when it exits, or none.

        Each event inside is checked and applied at once (the snapshot and checks inside the
        block see it); one that raises `InvalidInput` changes nothing and the block goes on.
        On exit every event's journal row and table writes go to the store in one transaction.
        If the block raises, or that transaction fails, memory is restored exactly as it was
        before the block, nothing is written, and the error is raised. A fill id the store
        already holds gives exactly what the same calls give without a batch (`batch.py`).
        A nested `batch()` joins the outer one (an error leaving it undoes its own events).
        """
        return group_commit.run(self)

    def close(self, *, ended: bool = False) -> None:
        """Stop journaling: give up the session's writer lock (`ended`: the session is over,
        else it stopped and may be recovered) and keep the state in memory only."""
        journal = self._journal
        self._journal = None
        close = getattr(journal, "close", None)
        if close is not None:
            close(ended=ended)

    # -- Read accessors -----------------------------------------------------------------------

    @property
    def initial_capital_micro(self) -> int:
        """The capital the session started with, micro-USDC."""
        return self._initial

    @property
    def capital_baseline_micro(self) -> int:
        """The invariant's baseline, micro-USDC: the initial capital, moved by `load_positions`.

        `cash + sum(cost) == capital_baseline + adjustments + sum(realized)` holds exactly at
        every step.
        """
        return self._baseline

    @property
    def adjustments_micro(self) -> int:
        """The signed sum of cash adjustments, micro-USDC (the snapshot's adjustmentsUsd).

        `cash + sum(cost) == capital_baseline + adjustments + sum(realized)` holds exactly.
        """
        return self._adjustments

    @property
    def cash_micro(self) -> int:
        """USDC owned (the snapshot's totalUsd), micro-USDC."""
        return self._cash

    @property
    def in_flight_micro(self) -> int:
        """USDC reserved by open buy orders and pending mints, micro-USDC."""
        return self._in_flight

    @property
    def exit_triggered(self) -> bool:
        """Whether `trigger_exit()` was called: buys and mints are refused by `can_*` since."""
        return self._exit

    @property
    def track_fill_ids(self) -> bool:
        """Whether this manager deduplicates fills by fill id in memory."""
        return self._fill_ids is not None

    def order_record(self, local_id: str) -> OrderRecord | None:
        """The order as the orders table holds it, or None if never submitted."""
        order = self._orders.get(local_id)
        return None if order is None else order.record(local_id)

    def exchange_order_id(self, local_id: str) -> str | None:
        """The exchange's id of an order, once `on_exchange_order_id` named it."""
        return self._orders.exchange_ids.get(local_id)

    def local_id_of(self, exchange_order_id: str) -> str | None:
        """The local id of the order the exchange knows as `exchange_order_id`, if named."""
        return self._orders.local_ids.get(exchange_order_id)

    def position_record(self, token_id: str) -> PositionRecord | None:
        """The token's position as the positions table holds it, or None if never seen."""
        p = self._positions.get(token_id)
        return None if p is None else p.record()

    def position_records(self) -> tuple[PositionRecord, ...]:
        """Every token's position, in the order the ledger first saw the tokens."""
        return tuple(p.record() for p in self._positions.values())

    def account_totals(self) -> tuple[int, int, int, int, int, int, int]:
        """The accounts row's money in one call: cash, in flight, unsettled sale proceeds and
        the sum of cash adjustments in micro-USDC, then `position_totals()`."""
        cost, realized, value = self.position_totals()
        return (
            self._cash, self._in_flight, self._settle.unsettled_usd, self._adjustments,
            cost, realized, value,
        )  # fmt: skip

    def position_totals(self) -> tuple[int, int, int]:
        """Over every position: (cost basis in micro-USDC, realised PnL in micro-USDC, value
        at the marks in 10^-12 dollars, an unmarked position at its cost), exact.

        The journal writes them with every event: only the tokens changed since the last call
        are summed again (`PositionBook.totals`)."""
        return self._positions.totals()

    def order_ids(self) -> tuple[str, ...]:
        """Every order's local id, in submission order."""
        return tuple(self._orders)

    def token_ids(self) -> tuple[str, ...]:
        """Every token with a position, in the order the ledger first saw them."""
        return tuple(self._positions)

    def pending_mint_reservations(self, condition_id: str) -> tuple[int, ...]:
        """Micro-USDC reserved by each pending mint of the condition, oldest first."""
        return tuple(self._pairs.pending_mints.get(condition_id, ()))

    def pending_merge_reservations(self, condition_id: str) -> tuple[tuple[int, int], ...]:
        """(pairs requested, pairs reserved) of each pending merge, oldest first."""
        return tuple(self._pairs.pending_merges.get(condition_id, ()))

    def condition_tokens(self, condition_id: str) -> tuple[str, str] | None:
        """(YES token, NO token) of a condition, as its first mint named them."""
        return self._pairs.cond_tokens.get(condition_id)

    def anomalies(self) -> tuple[Anomaly, ...]:
        """Every anomaly recorded so far, oldest first."""
        return tuple(self._anomalies)

    def record_anomaly(self, kind: AnomalyKind | str, event: Event | None, message: str) -> None:
        """Record (and log) an anomaly found outside the ledger's own events, e.g. by recovery.

        Not journaled: whoever finds it again records it again.
        """
        try:
            checked_kind = AnomalyKind(kind)
        except ValueError:
            raise InvalidInput("kind", kind, "an AnomalyKind is required") from None
        if event is not None:
            ev.check_event(event)
        if not isinstance(message, str):
            raise InvalidInput("message", message, "a string is required")
        n = len(self._anomalies)
        self._anomalies.append(Anomaly(checked_kind, event, message))
        self._log_anomalies(n)

    def ledger_state(self) -> dict[str, object]:
        """Everything that defines the ledger (no caches), as plain comparable values.

        Two managers with equal `ledger_state()` answer every call alike; tests and recovery
        checks compare it.
        """
        return {
            "initial": self._initial,
            "baseline": self._baseline,
            "adjustments": self._adjustments,
            "cash": self._cash,
            "in_flight": self._in_flight,
            "exit": self._exit,
            **self._orders.state(),
            "positions": [
                (
                    p.token_id,
                    p.market_id,
                    p.outcome,
                    p.qty,
                    p.in_flight_qty,
                    p.cost_micro,
                    p.realized_micro,
                    p.mark_micro,
                )
                for p in self._positions.values()
            ],
            **self._pairs.state(),
            "anomalies": list(self._anomalies),
            "fill_ids": None if self._fill_ids is None else frozenset(self._fill_ids),
            "settlement": self._settle.state(),
            "resolution": self._resol.state(),
        }

    # -- Risk checks --------------------------------------------------------------------------

    def can_buy(
        self, qty: object, limit_px: object, *, market_id: object = None, token_id: object = None
    ) -> bool:
        """Whether a buy of `qty` shares at `limit_px` cents (above 0, at most 100, an int or
        an exact decimal) fits the accessible USDC, its reservation rounded up; False on a
        resolved market (`market_id` or `token_id`, when given, name it)."""
        q = ev.check_qty("qty", qty)
        limit = ev.check_limit("limit_px", limit_px)
        if self._resolved("market_id", market_id) or self._resolved("token_id", token_id):
            return False
        accessible = self._cash - self._in_flight - self._settle.unsettled_usd
        return not self._exit and ev.reserve_micro(q, limit) <= accessible

    def can_sell(self, token_id: object, qty: object) -> bool:
        """Whether `qty` settled shares of the token are held and not reserved by open sells
        (shares of provisional buys are not sellable yet)."""
        token = ev.check_id("token_id", token_id)
        q = ev.check_qty("qty", qty)
        p = self._positions.get(token)
        unsettled = self._settle.unsettled_qty.get(token, 0)
        if token in self._resol.token_payouts:
            return False  # its market resolved: shares are redeemed, not sold
        return p is not None and p.qty - p.in_flight_qty - unsettled >= q

    def can_mint(self, amount_usd: object, *, condition_id: object = None) -> bool:
        """Whether minting `amount_usd` dollars of pairs fits the accessible USDC; False in a
        resolved market (`condition_id`, when given, names it)."""
        amount = ev.money_micro("amount_usd", amount_usd)
        if self._resolved("condition_id", condition_id):
            return False
        return not self._exit and amount <= (
            self._cash - self._in_flight - self._settle.unsettled_usd
        )

    def _resolved(self, field: str, market: object) -> bool:
        """Whether `market` (None: not given) names a resolved condition or one of its tokens."""
        if market is None:
            return False
        key = ev.check_id(field, market)
        return key in self._resol.markets or key in self._resol.token_payouts

    # -- Facts in -----------------------------------------------------------------------------

    def update_prices(self, prices: Mapping[str, object]) -> None:
        """Mark held tokens at `prices` (token id -> cents, 0..100, an int or an exact decimal
        with at most 4 decimals); other tokens are ignored.

        Only tokens whose mark changes go into the event (most ticks move one market).
        """
        if not isinstance(prices, Mapping):
            ev.check_prices(prices)  # raises, naming the argument
        held = self._positions.get  # a bound method once, not an attribute lookup a token
        changed = []
        for token_id, cents in prices.items():
            p = held(token_id) if type(token_id) is str else None
            if p is not None and type(cents) is int and 0 <= cents <= 100:
                # The common case: a held token, whose id passed the id check when its position
                # opened (equal text), and whole cents.
                checked = cents * _CENT
                if p.mark_micro != checked:
                    changed.append((token_id, checked))
                continue
            if (
                p is None
                and type(token_id) is str
                and 0 < len(token_id) <= _MAX_ID
                and token_id.isascii()
                and type(cents) is int
                and 0 <= cents <= 100
            ):
                continue  # a valid mark of a token not held: ignored
            # Not the common case: the full check accepts decimals and int subclasses, or
            # raises.
            checked = ev.check_prices({token_id: cents})[token_id]
            if p is not None and p.mark_micro != checked:
                changed.append((token_id, checked))
        if changed and self._resol.token_payouts:
            # A resolved token stays marked at its payout.
            changed = [c for c in changed if c[0] not in self._resol.token_payouts]
        if changed:
            self._process(PricesUpdated(tuple(changed)))

    def on_cash_adjustment(self, kind: str, amount_usd: object, reason: str) -> None:
        """Cash that moves without a token, journaled with its `reason`.

        `kind` "DEPOSIT", "WITHDRAWAL" or "REBATE" with `amount_usd` >= 0 dollars (the kind
        gives the sign), or "CORRECTION" with a signed amount. A withdrawal beyond the cash the
        ledger holds is applied and recorded as an anomaly: it can only mean the ledger was
        wrong.
        """
        self._process(ev.cash_adjusted(kind, amount_usd, reason))

    def trigger_exit(self) -> None:
        """Stop new risk: `can_buy` and `can_mint` answer False from now on."""
        if not self._exit:
            self._process(ExitTriggered())

    def on_order_submitted_buy(  # noqa: PLR0917 (the session's call)
        self,
        local_id: str,
        market_id: str,
        token_id: str,
        outcome: Outcome | str,
        qty: QtyArg,
        limit_px: LimitArg,
        *,
        tif: str = "GTC",
    ) -> None:
        """A buy order sent: reserves `qty * limit_px` cents of USDC under `local_id`."""
        self._process(ev.buy_submitted(local_id, market_id, token_id, outcome, qty, limit_px, tif))

    def on_order_submitted_sell(
        self,
        local_id: str,
        token_id: str,
        qty: QtyArg,
        *,
        limit_px: LimitArg | None = None,
        tif: str = "GTC",
    ) -> None:
        """A sell order sent: reserves `qty` contracts of the token under `local_id`."""
        self._process(ev.sell_submitted(local_id, token_id, qty, limit_px, tif))

    def on_fill_buy(  # noqa: PLR0917 (the session's call)
        self,
        local_id: str,
        token_id: str,
        market_id: str,
        outcome: Outcome | str,
        fill_qty: QtyArg,
        fill_price: object,
        order_qty: QtyArg,
        *,
        fill_id: str | None = None,
        fee_usd: object = 0,
        status: str | None = None,
    ) -> None:
        """A buy fill of `fill_qty` shares at `fill_price` dollars: releases `fill_qty * limit`
        (rounded up) of the order's reservation and debits `fill_qty * fill_price` (truncated to
        the micro-USDC) plus `fee_usd`. `status` is the fill's settlement status ("MATCHED",
        "MINED", "RETRYING", "CONFIRMED"; None: final), journaled with it and with the time the
        manager's clock gives; a fill with a status needs a `fill_id`."""
        booked = None if status is None else self._booked_at(fill_id)
        self._process(
            ev.buy_filled(
                local_id, token_id, market_id, outcome, fill_qty, fill_price, order_qty,
                fill_id, fee_usd, status, booked,
            )
        )  # fmt: skip

    def on_fill_sell(
        self,
        local_id: str,
        token_id: str,
        fill_qty: QtyArg,
        fill_price: object,
        order_qty: QtyArg,
        *,
        fill_id: str | None = None,
        fee_usd: object = 0,
        status: str | None = None,
    ) -> None:
        """A sell fill of `fill_qty` shares at `fill_price` dollars: credits the proceeds
        (truncated to the micro-USDC) less `fee_usd` and realises them against the cost basis
        removed. `status` as for `on_fill_buy`."""
        booked = None if status is None else self._booked_at(fill_id)
        self._process(
            ev.sell_filled(
                local_id, token_id, fill_qty, fill_price, order_qty, fill_id, fee_usd, status,
                booked,
            )
        )  # fmt: skip

    def _booked_at(self, fill_id: object) -> int:
        """The time a fill with a status is booked at, microseconds since the epoch."""
        if fill_id is None:
            raise InvalidInput("fill_id", None, "a fill with a settlement status needs a fill id")
        clock = self._clock
        return _time_us("clock()", datetime.now(UTC) if clock is None else clock())

    def on_fill_status(self, fill_id: str, status: str) -> None:
        """A fill's settlement status moved on ("MATCHED", "MINED", "RETRYING", "CONFIRMED",
        "FAILED"): CONFIRMED settles a provisional fill, FAILED restates its token as if the
        fill had never happened (ledger rules, "Settlement statuses")."""
        checked_id = ev.check_id("fill_id", fill_id)
        checked = ev.check_settlement_status("status", status)
        booked_final = checked_id not in self._settle.fills and self._booked_final(checked_id)
        self._process(ev.fill_status_changed(checked_id, checked, booked_final))

    def check_stale_fills(self, now: datetime) -> None:
        """Report, once each, the fills provisional for longer than `provisional_max_age` at
        `now` (an aware datetime); journaled, so replay reports the same."""
        self._process(ev.stale_fills_checked(_time_us("now", now), self._max_age_us))

    def fill_status(self, fill_id: str) -> str | None:
        """The latest settlement status of a fill the ledger booked ("CONFIRMED" for one booked
        without a status), None for a fill id it never booked."""
        checked_id = ev.check_id("fill_id", fill_id)
        rec = self._settle.fills.get(checked_id)
        if rec is not None:
            return rec.status
        return "CONFIRMED" if self._booked_final(checked_id) else None

    def _booked_final(self, fill_id: str) -> bool:
        """Whether `fill_id` names a fill booked without a status: the fill ids this manager
        tracks, or the bound journal's fills table."""
        if self._fill_ids is not None:
            return fill_id in self._fill_ids
        lookup = getattr(self._journal, "fill_booked", None)
        return bool(lookup(fill_id)) if lookup is not None else False

    def fill_record(self, fill_id: str) -> FillRecord | None:
        """What the ledger keeps of a fill booked with a status (a copy), or None."""
        rec = self._settle.fills.get(fill_id)
        return None if rec is None else FillRecord(*(getattr(rec, n) for n in FillRecord.__slots__))

    def provisional_fills(self) -> tuple[FillRecord, ...]:
        """Copies of the fills still provisional (MATCHED, MINED, RETRYING), oldest first."""
        return tuple(
            FillRecord(*(getattr(rec, n) for n in FillRecord.__slots__))
            for rec in self._settle.provisional()
        )

    @property
    def unsettled_usd_micro(self) -> int:
        """Net proceeds of provisional sales, micro-USDC: owned, not yet accessible."""
        return self._settle.unsettled_usd

    def unsettled_qty_micro(self, token_id: str) -> int:
        """Micro-shares of the token's provisional buys: held, not yet sellable."""
        return self._settle.unsettled_qty.get(token_id, 0)

    @property
    def provisional_max_age(self) -> timedelta:
        """How long a fill may stay provisional before `check_stale_fills` reports it."""
        return timedelta(microseconds=self._max_age_us)

    def on_order_cancelled_buy(
        self, local_id: str, remaining_qty: QtyArg, limit_px: LimitArg
    ) -> None:
        """A buy order cancelled or rejected: releases whatever the order still reserves."""
        self._process(ev.buy_cancelled(local_id, remaining_qty, limit_px))

    def on_order_cancelled_sell(self, local_id: str, token_id: str, remaining_qty: QtyArg) -> None:
        """A sell order cancelled or rejected: releases whatever the order still reserves."""
        self._process(ev.sell_cancelled(local_id, token_id, remaining_qty))

    def on_exchange_order_id(self, local_id: str, exchange_order_id: str) -> None:
        """The exchange acknowledged order `local_id` as `exchange_order_id`: journaled, and
        the orders table's `exchange_order_id` follows from it."""
        self._process(ev.exchange_order_id_assigned(local_id, exchange_order_id))

    def on_mint_submitted(self, condition_id: str, amount_usd: object) -> None:
        """A mint sent to the chain: reserves `amount_usd` dollars under the condition."""
        self._process(ev.mint_submitted(condition_id, amount_usd))

    def on_mint_confirmed(
        self,
        condition_id: str,
        pair_count: QtyArg,
        yes_token_id: str,
        no_token_id: str,
        market_id: str,
    ) -> None:
        """A mint confirmed: $1 per pair paid, `pair_count` YES and NO tokens at $0.50 each."""
        self._process(
            ev.mint_confirmed(condition_id, pair_count, yes_token_id, no_token_id, market_id)
        )

    def on_mint_failed(self, condition_id: str, amount_usd: object) -> None:
        """A mint failed: releases the oldest pending mint's reservation of the condition."""
        self._process(ev.mint_failed(condition_id, amount_usd))

    def on_merge_submitted(self, condition_id: str, pair_count: QtyArg) -> None:
        """A merge sent: reserves `min(pair_count, available)` minted pairs."""
        self._process(ev.merge_submitted(condition_id, pair_count))

    def on_merge_confirmed(
        self, condition_id: str, pair_count: QtyArg, yes_token_id: str, no_token_id: str
    ) -> None:
        """A merge confirmed: $1 per pair credited, booked as sales of YES and NO at $0.50."""
        self._process(ev.merge_confirmed(condition_id, pair_count, yes_token_id, no_token_id))

    def on_merge_failed(self, condition_id: str, pair_count: QtyArg) -> None:
        """A merge failed: the oldest pending merge's reserved pairs become available again."""
        self._process(ev.merge_failed(condition_id, pair_count))

    # -- Resolution and redemption (the state lives in `resolution.py`) -----------------------

    def on_market_resolved(self, condition_id: str, payouts: object) -> None:
        """The market resolved: `payouts` are the venue's numerators `[YES, NO]`, `[1, 0]`,
        `[0, 1]` or `[1, 1]` (void: half a dollar a share). Its tokens are marked at their
        payout, its open orders cancelled, and new trading on it refused by `can_*`."""
        cond = ev.check_id("condition_id", condition_id)
        yes, no = payouts_micro("payouts", payouts)
        self._process(ev.market_resolved(cond, yes, no))

    def on_redemption_submitted(self, condition_id: str) -> None:
        """A redemption sent to the chain: reserves the condition's redeemable shares."""
        self._process(ev.redemption_submitted(condition_id))

    def on_redemption_confirmed(self, condition_id: str, paid_usd: object) -> None:
        """A redemption mined, paying `paid_usd` dollars (the observed balance change): the
        reserved shares leave at their payout and the condition's minted pairs close."""
        self._process(ev.redemption_confirmed(condition_id, paid_usd))

    def on_redemption_failed(self, condition_id: str) -> None:
        """A redemption failed on chain: its reserved shares become redeemable again."""
        self._process(ev.redemption_failed(condition_id))

    def market_payouts(self, condition_id: str) -> tuple[int, int] | None:
        """(YES, NO) payout of a resolved condition, micro-USDC a share, or None."""
        return self._resol.markets.get(condition_id)

    def resolution_record(self, condition_id: str) -> ResolutionRecord | None:
        """The condition as the resolutions table holds it, or None if it never resolved."""
        return self._resol.record(condition_id)

    def resolved_conditions(self) -> tuple[str, ...]:
        """Every resolved condition, in the order they resolved."""
        return tuple(self._resol.markets)

    def payout_micro(self, token_id: str) -> int | None:
        """What one share of the token redeems for, micro-USDC, or None if unresolved."""
        return self._resol.payout(token_id)

    def redemption_pending(self, condition_id: str) -> dict[str, int] | None:
        """Micro-shares each token reserves for the condition's pending redemption, or None."""
        pending = self._resol.pending.get(condition_id)
        return None if pending is None else dict(pending)

    def condition_token_ids(self, condition_id: str) -> tuple[str, ...]:
        """The resolved condition's tokens the ledger knows (none if unresolved)."""
        return tuple(self._resol.tokens.get(condition_id, ()))

    def orders_cancelled_at_resolution(self, condition_id: str) -> tuple[str, ...]:
        """Local ids of the orders the condition's resolution cancelled."""
        return tuple(o for o, c in self._resol.cancelled.items() if c == condition_id)

    def redeemable_qty_micro(self, token_id: str) -> int:
        """Micro-shares of the token a redemption can burn now: on chain (no fill of them
        `MATCHED` or `RETRYING`), not reserved by a pending redemption; 0 if unresolved."""
        p = self._positions.get(token_id)
        if p is None or token_id not in self._resol.token_payouts:
            return 0
        held = p.qty - offchain_qty(self._settle, token_id) - self._resol.reserved(token_id)
        return max(held, 0)

    def load_positions(self, rows: Iterable[ev.LoadedRow | LoadedPosition]) -> None:
        """Replace the named tokens' positions (the fast-start cache); cash is unchanged.

        Rows are `(token_id, market_id, outcome, qty, avg_entry_price, realized_pnl)` or
        `LoadedPosition`s; `avg_entry_price * qty` must be whole micro-USDC. The invariant's
        baseline moves by the loaded cost less the loaded realised PnL (net of the replaced).
        """
        self._process(ev.positions_loaded(rows))

    def apply(self, event: Event) -> None:
        """Apply an event built elsewhere (recovery replays the journal through here)."""
        self._process(ev.check_event(event))

    def _replay(self, events: Iterable[Event]) -> None:
        """Apply journaled events, already checked by `events.FROM_FIELDS`, in order (recovery).

        The handlers `apply` runs, without checking each event a second time: the journal's
        decoders check every field on the way in. Only for a manager bound to nothing.
        """
        if self._journal is not None:
            raise RuntimeError("_replay is for a manager bound to no journal")
        handlers = self._handlers
        anomalies = self._anomalies
        n = len(anomalies)
        for event in events:
            handlers[type(event)](event)
        if len(anomalies) != n:
            self._log_anomalies(n)

    # -- The journal hook ---------------------------------------------------------------------

    def _process(self, event: Event) -> None:
        """Apply `event`; with a journal bound, commit it too (or plan it, inside a batch) or
        leave the manager untouched."""
        journal = self._journal
        anomalies = self._anomalies
        group = self._batch
        if group is not None:
            group_commit.apply(self, group, event)
            return
        if journal is None:
            n = len(anomalies)
            self._handlers[type(event)](event)
            if len(anomalies) != n:
                self._log_anomalies(n)
            return
        checkpoint = self._checkpoint(event)
        try:
            self._handlers[type(event)](event)
            journal.commit(event, self)
        except DuplicateFill as exc:
            self._restore(checkpoint)
            self._refuse_duplicate(event, exc.fill_id)
        except BaseException:
            self._restore(checkpoint)
            raise
        if len(anomalies) != checkpoint.n_anomalies:
            self._log_anomalies(checkpoint.n_anomalies)

    def _refuse_duplicate(self, event: Event, fill_id: str) -> None:
        """Record a fill the store refused for its repeated id (the event is not applied)."""
        self._anomaly(
            AnomalyKind.DUPLICATE_FILL,
            event,
            f"fill {fill_id!r} is already in the journal: ignored",
        )

    def _touched(self, event: Event) -> tuple[list[str], list[str], list[str]]:
        """The order ids, token ids and condition ids `event` can change."""
        orders = self._orders
        token_conds = self._pairs.token_conds
        if isinstance(event, BuySubmitted):
            return [event.local_id], [], []
        if isinstance(event, SellSubmitted):
            return [event.local_id], [event.token_id], []
        if isinstance(event, BuyFilled):
            return [event.local_id], [event.token_id], []
        if isinstance(event, SellFilled):
            tokens = [event.token_id]
            order = orders.get(event.local_id)
            if order is not None and order.token_id != event.token_id:
                tokens.append(order.token_id)
            return [event.local_id], tokens, list(token_conds.get(event.token_id, ()))
        if isinstance(event, BuyCancelled | SellCancelled):
            order = orders.get(event.local_id)
            return [event.local_id], [] if order is None else [order.token_id], []
        if isinstance(event, MintSubmitted | MintFailed | MergeSubmitted | MergeFailed):
            return [], [], [event.condition_id]
        if isinstance(event, MintConfirmed | MergeConfirmed):
            tokens = [event.yes_token_id, event.no_token_id]
            conds = [event.condition_id]
            for token in tokens:
                conds.extend(token_conds.get(token, ()))
            return [], tokens, conds
        if isinstance(event, PricesUpdated):
            return [], [token for token, _ in event.prices], []
        if isinstance(event, PositionsLoaded):
            tokens = [row.token_id for row in event.rows]
            return [], tokens, [c for t in tokens for c in token_conds.get(t, ())]
        if isinstance(event, PositionReconciled):
            return [], [event.token_id], list(token_conds.get(event.token_id, ()))
        if isinstance(event, OrderAdopted):
            return [event.local_id], [event.token_id], []
        if isinstance(event, OrderDropped):
            order = orders.get(event.local_id)
            return [event.local_id], [] if order is None else [order.token_id], []
        if isinstance(event, FillStatusChanged):
            rec = self._settle.fills.get(event.fill_id)
            if rec is None:
                return [], [], []
            order = orders.get(rec.local_id)
            tokens = [rec.token_id]
            if order is not None and order.token_id != rec.token_id:
                tokens.append(order.token_id)
            return [rec.local_id], tokens, list(token_conds.get(rec.token_id, ()))
        if isinstance(event, _RESOLUTION_EVENTS):
            cond = event.condition_id
            tokens = [token for token, _ in self._condition_tokens(cond)]
            conds = [cond, *(c for t in tokens for c in token_conds.get(t, ()))]
            if isinstance(event, MarketResolved):
                return self._open_orders_of(cond, set(tokens)), tokens, conds
            return [], tokens, conds
        return [], [], []

    def _checkpoint(self, event: Event) -> _Checkpoint:
        """Copies of what `event` can change: the touched objects only, so a bound fill stays
        cheap."""
        kind = type(event)
        if (kind is BuyFilled or kind is SellFilled) and event.status is None:  # type: ignore[union-attr]
            checkpoint = self._fill_checkpoint(event)  # type: ignore[arg-type]
            if checkpoint is not None:
                return checkpoint
        return self._full_checkpoint(event)

    def _full_checkpoint(self, event: Event) -> _Checkpoint:
        """`_checkpoint` of any event: copies of the objects `_touched` names, and the
        settlement and resolution state the event can change."""
        order_ids, tokens, conds = self._touched(event)
        saved: list[Saved] = []
        dirty: list[tuple[set[str], str, bool]] = []
        for local_id in order_ids:
            saved.append(self._orders.save(local_id))
        view = self._view
        pairs = self._pairs
        dirty_model, dirty_json = view.dirty_models, view.dirty_json
        for token in tokens:
            saved.append(self._positions.save(token))
            saved.append(pairs.save_token(token))
            dirty.append((dirty_model, token, token in dirty_model))
            dirty.append((dirty_json, token, token in dirty_json))
        for cond in conds:
            saved.extend(pairs.save(cond))
            for flags in (view.dirty_pair_models, view.dirty_pair_json):
                dirty.append((flags, cond, cond in flags))
        if isinstance(event, _ID_EVENTS):
            saved.extend(self._orders.save_ids(event.local_id, event.exchange_order_id))
        settle = self._settle
        saved_settle = None
        if isinstance(event, StaleFillsChecked):
            saved_settle = settle.save([r.fill_id for r in settle.provisional()], [])
        elif isinstance(event, FillStatusChanged) or getattr(event, "status", None) is not None:
            saved_settle = settle.save([event.fill_id] if event.fill_id else [], tokens)  # type: ignore[union-attr]
        elif settle.histories and any(t in settle.histories for t in tokens):
            saved_settle = settle.save([], tokens)
        resol = self._resol
        saved_resol = (
            resol.save()
            if isinstance(event, _RESOLUTION_EVENTS)
            or (resol.markets and isinstance(event, ev.FILL_EVENTS))
            else None
        )
        added_fill_id = None
        fill_id = getattr(event, "fill_id", None)
        if fill_id is not None and self._fill_ids is not None and fill_id not in self._fill_ids:
            added_fill_id = fill_id
        return _Checkpoint(
            self._scalars(),
            len(self._anomalies),
            added_fill_id,
            saved,
            dirty,
            saved_settle,
            saved_resol,
        )

    def _fill_checkpoint(self, event: BuyFilled | SellFilled) -> _Checkpoint | None:
        """`_checkpoint` of a fill with no settlement status, the same copies in its common
        case: of the fill's order and token only (a sell of its order's token, no minted pairs
        on it), with no settlement history on the token and no market resolved. None otherwise.
        """
        local_id, token = event.local_id, event.token_id
        order = self._orders.get(local_id)
        if (
            token in self._settle.histories
            or self._resol.markets
            or (
                type(event) is SellFilled
                and (
                    token in self._pairs.token_conds
                    or (order is not None and order.token_id != token)
                )
            )
        ):
            return None
        dirty_model, dirty_json = self._view.dirty_models, self._view.dirty_json
        fill_id = event.fill_id
        fill_ids = self._fill_ids
        return _Checkpoint(
            self._scalars(),
            len(self._anomalies),
            fill_id if fill_id is not None and fill_ids is not None and fill_id not in fill_ids
            else None,
            [
                self._orders.save(local_id),
                self._positions.save(token),
                self._pairs.save_token(token),
            ],
            [(dirty_model, token, token in dirty_model), (dirty_json, token, token in dirty_json)],
        )  # fmt: skip

    def _scalars(self) -> tuple[int, int, bool, int, int]:
        """The ledger's scalars a checkpoint keeps: cash, in flight, exit, baseline, adjustments."""
        return self._cash, self._in_flight, self._exit, self._baseline, self._adjustments

    def _restore(self, cp: _Checkpoint) -> None:
        """Put back everything `_checkpoint` copied."""
        self._cash, self._in_flight, self._exit, self._baseline, self._adjustments = cp.scalars
        del self._anomalies[cp.n_anomalies :]
        if cp.added_fill_id is not None and self._fill_ids is not None:
            self._fill_ids.discard(cp.added_fill_id)
        for mapping, key, value in reversed(cp.saved):
            if value is _MISSING:
                mapping.pop(key, None)
            else:
                mapping[key] = value
        if cp.settle is not None:
            self._settle.restore(cp.settle)
        if cp.resolution is not None:
            self._resol.restore(cp.resolution)
        for flags, key, was_set in cp.dirty:
            if was_set:
                flags.add(key)
            else:
                flags.discard(key)
        # The totals may have been summed after the event (its journal's commit reads them).
        self._positions.changed.update(k for m, k, _v in cp.saved if m is self._positions)

    # -- Anomalies ----------------------------------------------------------------------------

    def _anomaly(self, kind: AnomalyKind, event: Event, message: str) -> None:
        self._anomalies.append(Anomaly(kind, event, message))

    def _log_anomalies(self, start: int) -> None:
        """Log the anomalies recorded since `start`, with their event's fields as `extra=`."""
        if not self.log_anomalies:
            return
        for anomaly in self._anomalies[start:]:
            event = anomaly.event
            fields: dict[str, object] = {"kind": anomaly.kind.value}
            if event is not None:
                fields["event_kind"] = event.kind
                for name in type(event).__slots__:
                    value = getattr(event, name)
                    fields[name] = value.value if isinstance(value, Enum) else value
            _log.warning(
                "inventory anomaly %s: %s", anomaly.kind.value, anomaly.message, extra=fields
            )

    # -- Applying events (everything here is already checked) ---------------------------------

    def _identify(self, p: Holding, market_id: str, outcome: Outcome, event: Event) -> None:
        """Correct a placeholder from a fact naming the token's market; report a contradiction."""
        if p.market_id == market_id and p.outcome is outcome:
            return
        if p.market_id == "":
            p.market_id = market_id
            p.outcome = outcome
        else:
            self._anomaly(
                AnomalyKind.TOKEN_MISMATCH,
                event,
                f"token {p.token_id!r} is {p.outcome.value} of market {p.market_id!r} in the "
                f"ledger, but this event says {outcome.value} of {market_id!r}: "
                "the ledger's is kept",
            )

    def _touch(self, token_id: str) -> None:
        self._view.touch(token_id)
        self._positions.changed.add(token_id)

    def _touch_pairs(self, condition_id: str) -> None:
        self._view.touch_pairs(condition_id)

    def _on_buy_submitted(self, e: BuySubmitted) -> None:
        if e.local_id in self._orders:
            self._anomaly(
                AnomalyKind.DUPLICATE_ORDER,
                e,
                f"order {e.local_id!r} was already submitted: this submission is ignored",
            )
            return
        reserve = ev.reserve_micro(e.qty_micro, e.limit_micro)
        in_flight = self._in_flight + reserve
        _money_bound("in_flight_usd", in_flight)
        _money_bound("accessible_usd", self._cash - in_flight)
        if self._exit:
            self._anomaly(
                AnomalyKind.BUY_AFTER_EXIT,
                e,
                f"buy {e.local_id!r} submitted after exit was triggered: {_usd(reserve)} reserved",
            )
        accessible = self._cash - self._in_flight
        if reserve > accessible:
            self._anomaly(
                AnomalyKind.INSUFFICIENT_FUNDS,
                e,
                f"buy {e.local_id!r} reserves {_usd(reserve)} with {_usd(accessible)} accessible",
            )
        self._orders[e.local_id] = Order(
            "buy", e.market_id, e.token_id, e.qty_micro, e.limit_micro, e.tif, reserve, 0
        )
        self._in_flight += reserve

    def _on_sell_submitted(self, e: SellSubmitted) -> None:
        if e.local_id in self._orders:
            self._anomaly(
                AnomalyKind.DUPLICATE_ORDER,
                e,
                f"order {e.local_id!r} was already submitted: this submission is ignored",
            )
            return
        p = self._positions.get(e.token_id)
        _qty_bound(
            f"tokens[{e.token_id!r}].in_flight_qty",
            e.qty_micro + (0 if p is None else p.in_flight_qty),
        )
        if p is None:
            self._anomaly(
                AnomalyKind.UNKNOWN_TOKEN,
                e,
                f"sell {e.local_id!r} of token {e.token_id!r} the ledger has never seen: "
                f"{_shares(e.qty_micro)} reserved on a placeholder position",
            )
            p = self._positions.new(e.token_id, "", _YES)
        elif e.qty_micro > p.qty - p.in_flight_qty:
            self._anomaly(
                AnomalyKind.SELL_EXCEEDS_HOLDINGS,
                e,
                f"sell {e.local_id!r} of {_shares(e.qty_micro)} {e.token_id!r} with "
                f"{_shares(max(p.qty - p.in_flight_qty, 0))} accessible: "
                f"all {_shares(e.qty_micro)} reserved",
            )
        p.in_flight_qty += e.qty_micro
        self._touch(e.token_id)
        self._orders[e.local_id] = Order(
            "sell", p.market_id, e.token_id, e.qty_micro, e.limit_micro, e.tif, 0, e.qty_micro
        )

    def _seen_fill(self, e: BuyFilled | SellFilled) -> bool:
        """True if the fill id was seen before: the fill is then ignored, as an anomaly.

        The handler records a new id once the fill has passed its bound checks.
        """
        fill_ids = self._fill_ids
        if e.fill_id is None or fill_ids is None or e.fill_id not in fill_ids:
            return False
        self._anomaly(
            AnomalyKind.DUPLICATE_FILL, e, f"fill {e.fill_id!r} was applied before: ignored"
        )
        return True

    def _check_buy_fill(
        self, e: BuyFilled, order: Order | ClosedOrder | None, p: Holding | None
    ) -> None:
        """Raise `BoundExceeded` if the buy fill would carry an amount past its bound."""
        tag = f"tokens[{e.token_id!r}]"
        cost = e.fill_qty_micro * e.price_micro // MICRO
        if p is not None:
            _qty_bound(f"{tag}.qty", p.qty + e.fill_qty_micro)
            _money_bound(f"{tag}.total_cost", p.cost_micro + cost)
            _money_bound(f"{tag}.realized_pnl", p.realized_micro - e.fee_micro)
        release = 0
        if order is not None and order.side == "buy":
            _qty_bound(f"orders[{e.local_id!r}].filled_qty", order.filled_qty + e.fill_qty_micro)
            if type(order) is Order:
                assert order.limit_micro is not None  # every buy order has a limit
                release = min(
                    ev.reserve_micro(e.fill_qty_micro, order.limit_micro), order.reserved_micro
                )
                status = order.status
                if (status is _SUBMITTED or status is _PARTIAL) and (
                    order.filled_qty + e.fill_qty_micro >= order.qty
                ):
                    release = order.reserved_micro  # the fill closes it: all of it is released
        cash = self._cash - cost - e.fee_micro
        _money_bound("total_usd", cash)
        _money_bound("accessible_usd", cash - (self._in_flight - release))

    def _check_sell_fill(
        self, e: SellFilled, order: Order | ClosedOrder | None, p: Holding | None
    ) -> None:
        """Raise `BoundExceeded` if the sell fill would carry an amount past its bound."""
        proceeds = e.fill_qty_micro * e.price_micro // MICRO
        if p is not None:
            realized = p.realized_micro + proceeds - p.removed_cost(e.fill_qty_micro) - e.fee_micro
            _money_bound(f"tokens[{e.token_id!r}].realized_pnl", realized)
        if order is not None and order.side == "sell":
            _qty_bound(f"orders[{e.local_id!r}].filled_qty", order.filled_qty + e.fill_qty_micro)
        cash = self._cash + proceeds - e.fee_micro
        _money_bound("total_usd", cash)
        _money_bound("accessible_usd", cash - self._in_flight)

    def _fill_order(self, order: Order | ClosedOrder, e: BuyFilled | SellFilled) -> None:
        """Count the fill against its order and release its share of the reservation."""
        status = order.status
        fill_qty = e.fill_qty_micro
        open_qty = order.qty - order.filled_qty if status is _SUBMITTED or status is _PARTIAL else 0
        if fill_qty > open_qty:
            self._anomaly(
                AnomalyKind.OVERFILL,
                e,
                f"fill of {_shares(fill_qty)} for order {e.local_id!r} ({status.value}) with "
                f"{_shares(max(open_qty, 0))} left: applied, nothing more released",
            )
        if order.qty != e.order_qty_micro:
            self._anomaly(
                AnomalyKind.ORDER_QTY_MISMATCH,
                e,
                f"fill says order {e.local_id!r} is for {_shares(e.order_qty_micro)}, "
                f"the ledger has {_shares(order.qty)}",
            )
        if isinstance(order, ClosedOrder):
            # Closed: it reserves nothing, so the fill is only counted.
            filled = order.filled_qty + fill_qty
            self._orders.keep_closed(e.local_id, order._replace(filled_qty=filled))
            return
        order.filled_qty += fill_qty
        if order.side == "buy":
            assert order.limit_micro is not None  # every buy order has a limit
            release = min(ev.reserve_micro(fill_qty, order.limit_micro), order.reserved_micro)
            order.reserved_micro -= release
            self._in_flight -= release
        else:
            self._release_qty(order, min(fill_qty, order.reserved_qty))
        if status is _SUBMITTED or status is _PARTIAL:
            if order.filled_qty >= order.qty:
                order.status = _FILLED
                self._in_flight -= order.reserved_micro
                order.reserved_micro = 0
                self._release_qty(order, order.reserved_qty)
                self._orders.close(e.local_id, order)
            else:
                order.status = _PARTIAL

    def _release_qty(self, order: Order, qty: int) -> None:
        if qty:
            order.reserved_qty -= qty
            p = self._positions[order.token_id]
            p.in_flight_qty -= qty
            self._touch(order.token_id)

    def _match_order(self, e: BuyFilled | SellFilled, side: str) -> None:
        """Find the fill's order and count the fill against it, or record why not."""
        order = self._orders.get(e.local_id)
        if order is None:
            self._anomaly(
                AnomalyKind.UNKNOWN_ORDER,
                e,
                f"{side} fill of {_shares(e.fill_qty_micro)} {e.token_id!r} for order "
                f"{e.local_id!r} the ledger never saw submitted: position and cash updated, "
                "no reservation released",
            )
        elif order.side != side:
            self._anomaly(
                AnomalyKind.ORDER_MISMATCH,
                e,
                f"{side} fill for {order.side} order {e.local_id!r}: position and cash updated, "
                "the order is left as it was",
            )
        else:
            if order.token_id != e.token_id:
                self._anomaly(
                    AnomalyKind.ORDER_MISMATCH,
                    e,
                    f"fill of {e.token_id!r} for order {e.local_id!r} of {order.token_id!r}: "
                    "the fill's token is updated, the order's reservation released",
                )
            self._fill_order(order, e)

    def _on_buy_filled(self, e: BuyFilled) -> None:
        fill_id = e.fill_id
        if fill_id is not None and self._seen_fill(e):
            return
        token_id = e.token_id
        fill_qty = e.fill_qty_micro
        cost = fill_qty * e.price_micro // MICRO  # the cash leg: truncated, as the chain moves it
        fee = e.fee_micro
        order = self._orders.get(e.local_id)
        p = self._positions.get(token_id)  # the order's side of the fill creates no position
        # The common case: a fill within what a known open buy order has left.
        common = (
            order
            if type(order) is Order  # open (a closed order is a ClosedOrder), and known
            and order.side == "buy"
            and order.token_id == token_id
            and order.qty == e.order_qty_micro
            and (order.status is _SUBMITTED or order.status is _PARTIAL)
            and order.filled_qty + fill_qty <= order.qty
            else None
        )
        # Bounds: a cheap test that passes for every ordinary fill, the exact check otherwise.
        debit = cost + fee
        if (
            self._cash - self._in_flight - debit < _MIN_MICRO
            or (
                p is not None
                and (p.qty + fill_qty > _MAX_QTY_MICRO or p.realized_micro - fee < _MIN_MICRO)
            )
            or (
                common is None
                and order is not None
                and order.filled_qty + fill_qty > _MAX_QTY_MICRO
            )
        ):
            self._check_buy_fill(e, order, p)
        if fill_id is not None and self._fill_ids is not None:
            self._fill_ids.add(fill_id)
        if common is not None:
            order = common
            # The common case, inlined: a fill within what a known open buy order has left. It
            # releases its share of the reservation rounded up, never more than is left, and
            # the fill that closes the order releases all the rest.
            assert order.limit_micro is not None
            order.filled_qty += fill_qty
            if order.filled_qty == order.qty:
                release = order.reserved_micro
                order.status = _FILLED
            else:
                release = -(-fill_qty * order.limit_micro // MICRO)
                if release > order.reserved_micro:  # noqa: PLR1730 (the hot path: no call)
                    release = order.reserved_micro
                order.status = _PARTIAL
            order.reserved_micro -= release
            self._in_flight -= release
            if order.status is _FILLED:
                self._orders.close(e.local_id, order)
        else:
            self._match_order(e, "buy")
        if p is None:
            p = self._positions.new(token_id, e.market_id, e.outcome)
        elif p.market_id != e.market_id or p.outcome is not e.outcome:
            self._identify(p, e.market_id, e.outcome, e)
        p.qty += fill_qty
        p.cost_micro += cost
        p.realized_micro -= fee
        self._cash -= debit
        self._view.touch(token_id)
        self._positions.changed.add(token_id)
        if e.status is not None or (self._settle.histories and token_id in self._settle.histories):
            before = Position(p.qty - fill_qty, p.cost_micro - cost, p.realized_micro + fee)
            self._settle_fill(e, "buy", cost, before)
        if self._resol.markets:
            self._after_resolved_fill(e, e.market_id)

    def _on_sell_filled(self, e: SellFilled) -> None:
        fill_id = e.fill_id
        if fill_id is not None and self._seen_fill(e):
            return
        token_id = e.token_id
        fill_qty = e.fill_qty_micro
        proceeds = fill_qty * e.price_micro // MICRO
        fee = e.fee_micro
        order = self._orders.get(e.local_id)
        p = self._positions.get(token_id)
        # The common case: a fill within what a known open sell order has left.
        common = (
            order
            if type(order) is Order  # open (a closed order is a ClosedOrder), and known
            and p is not None
            and order.side == "sell"
            and order.token_id == token_id
            and order.qty == e.order_qty_micro
            and (order.status is _SUBMITTED or order.status is _PARTIAL)
            and order.filled_qty + fill_qty <= order.qty
            and order.reserved_qty >= fill_qty  # less only after a failed fill's restatement
            else None
        )
        # Bounds: a cheap test that passes for every ordinary fill, the exact check otherwise.
        net = proceeds - fee
        cash_after = self._cash + net
        if (
            cash_after > _MAX_MICRO
            or cash_after - self._in_flight < _MIN_MICRO
            or (
                p is not None
                and (
                    p.realized_micro + proceeds > _MAX_MICRO
                    or p.realized_micro - p.cost_micro - fee < _MIN_MICRO
                )
            )
            or (
                common is None
                and order is not None
                and order.filled_qty + fill_qty > _MAX_QTY_MICRO
            )
        ):
            self._check_sell_fill(e, order, p)
        if fill_id is not None and self._fill_ids is not None:
            self._fill_ids.add(fill_id)
        if common is not None and p is not None:
            order = common
            # The common case, inlined: a fill within what a known open sell order has left,
            # which it still reserves on this token (its reservation is qty - filled).
            order.reserved_qty -= fill_qty
            p.in_flight_qty -= fill_qty
            order.filled_qty += fill_qty
            if order.filled_qty == order.qty:
                order.status = _FILLED
                self._orders.close(e.local_id, order)
            else:
                order.status = _PARTIAL
        else:
            self._match_order(e, "sell")
            p = self._positions.get(token_id)
        if p is None:
            self._anomaly(
                AnomalyKind.UNKNOWN_TOKEN,
                e,
                f"sell fill of {_shares(e.fill_qty_micro)} {token_id!r}, "
                "a token the ledger has never seen: proceeds realised at a zero cost basis "
                "on a placeholder position",
            )
            p = self._positions.new(token_id, "", _YES)
        elif fill_qty > p.qty:
            self._anomaly(
                AnomalyKind.OVERSELL,
                e,
                f"sell fill of {_shares(fill_qty)} {token_id!r} with {_shares(p.qty)} "
                f"held: the excess {_shares(fill_qty - p.qty)} leaves at a zero cost basis",
            )
        held = p.qty
        # `_remove`, inlined (the hot path: no call).
        removed = removed_cost(held, p.cost_micro, fill_qty)
        p.qty = held - fill_qty if fill_qty < held else 0
        p.cost_micro -= removed
        p.realized_micro += net - removed
        self._cash = cash_after
        self._view.touch(token_id)
        self._positions.changed.add(token_id)
        if e.status is not None or (self._settle.histories and token_id in self._settle.histories):
            before = Position(held, p.cost_micro + removed, p.realized_micro - net + removed)
            self._settle_fill(e, "sell", proceeds, before)
        if token_id in self._pairs.token_conds:
            self._pairs.enforce_caps_of(token_id)
        if self._resol.markets:
            self._after_resolved_fill(e, None)

    # -- Settlement (the state lives in `settlement.py`) ----------------------------------------

    def _settle_fill(
        self, e: BuyFilled | SellFilled, side: str, amount: int, before: Position
    ) -> None:
        """Keep a fill with a status, or a fill on a token whose history is kept."""
        settle = self._settle
        op = "buy" if side == "buy" else "sell"
        fill_id = e.fill_id
        if e.status is not None and fill_id is not None:
            order = self._orders.get(e.local_id)
            rec = FillRecord(
                fill_id, side, e.local_id, e.token_id, e.fill_qty_micro, e.price_micro, amount,
                e.fee_micro, e.status, e.booked_at_us, order is not None and order.side == side,
            )  # fmt: skip
            if rec.provisional:
                settle.book(rec, before)
                return
            settle.fills[fill_id] = rec  # confirmed on arrival: final, kept for later statuses
        if e.token_id in settle.histories:
            settle.record(e.token_id, Fact(op, e.fill_qty_micro, amount, e.fee_micro))

    def _on_fill_status(self, e: FillStatusChanged) -> None:
        settle = self._settle
        rec = settle.fills.get(e.fill_id)
        if rec is None:
            if not e.booked_final:
                self._anomaly(
                    AnomalyKind.UNKNOWN_FILL,
                    e,
                    f"status {e.status} for fill {e.fill_id!r} the ledger never booked: ignored",
                )
            elif e.status == "CONFIRMED":
                self._anomaly(
                    AnomalyKind.REPEATED_STATUS,
                    e,
                    f"fill {e.fill_id!r} was booked final (CONFIRMED): nothing changes",
                )
            else:
                self._anomaly(
                    AnomalyKind.TERMINAL_STATUS_MOVE,
                    e,
                    f"status {e.status} for fill {e.fill_id!r}, booked final without a status: "
                    "the ledger keeps no details of final fills, nothing is reversed",
                )
            return
        old = rec.status
        if e.status == old:
            self._anomaly(
                AnomalyKind.REPEATED_STATUS,
                e,
                f"fill {e.fill_id!r} is already {old}: nothing changes",
            )
            return
        if old in TERMINAL:
            if e.status in PROVISIONAL:
                self._anomaly(
                    AnomalyKind.TERMINAL_STATUS_MOVE,
                    e,
                    f"status {e.status} for fill {e.fill_id!r}, already {old}: it stays {old}",
                )
                return
            self._anomaly(
                AnomalyKind.TERMINAL_STATUS_MOVE,
                e,
                f"fill {e.fill_id!r} moves from {old} to {e.status}: "
                + ("reversed at its own price, cash and fee returned" if e.status == "FAILED"
                   else "applied again")
                + ", as a new fact",
            )  # fmt: skip
            if e.status == "FAILED":
                self._reverse(rec)
            else:
                self._apply_again(rec)
            return
        if e.status == "CONFIRMED":
            settle.settle(rec)
        elif e.status == "FAILED":
            self._fail(rec, e)
        else:
            settle.move(rec, e.status)
        self._touch(rec.token_id)

    def _fail(self, rec: FillRecord, e: FillStatusChanged) -> None:
        """A provisional fill failed: restate its token as the fold of the remaining facts,
        return its cash leg and fee, and take it out of its order's filled quantity."""
        cash = self._cash + (rec.amount + rec.fee if rec.side == "buy" else rec.fee - rec.amount)
        _money_bound("total_usd", cash)
        p = self._positions[rec.token_id]
        restated = self._settle.restate(rec)
        position = restated.position
        p.qty, p.cost_micro, p.realized_micro = position
        self._baseline += restated.baseline_delta
        self._cash = cash
        if restated.others_delta:
            self._anomaly(
                AnomalyKind.RESTATED_PNL,
                e,
                f"failed fill {rec.fill_id!r} restates {rec.token_id!r}: the realised PnL of the "
                f"other facts since changes by {_usd(restated.others_delta)}, to a total of "
                f"{_usd(position.realized)}",
            )
        self._unfill(rec)
        self._after_restatement(rec.token_id)

    def _reverse(self, rec: FillRecord) -> None:
        """FAILED after CONFIRMED: the fill's shares back out at its own price, its cash leg
        and fee returned, as a new fact at the end of the history."""
        p = self._positions[rec.token_id]
        before = Position(p.qty, p.cost_micro, p.realized_micro)
        if rec.side == "buy":
            fact = Fact("sell", rec.qty, rec.amount, -rec.fee)
            after, _ = remove_shares(before, rec.qty, rec.amount, -rec.fee)
            cash = self._cash + rec.amount + rec.fee
        else:
            fact = Fact("buy", rec.qty, rec.amount, -rec.fee)
            after = Position(p.qty + rec.qty, p.cost_micro + rec.amount, p.realized_micro + rec.fee)
            cash = self._cash - rec.amount + rec.fee
        _money_bound("total_usd", cash)
        _qty_bound(f"tokens[{rec.token_id!r}].qty", after.qty)
        p.qty, p.cost_micro, p.realized_micro = after
        self._cash = cash
        if rec.token_id in self._settle.histories:
            self._settle.record(rec.token_id, fact)
        rec.status = "FAILED"
        self._unfill(rec)
        self._after_restatement(rec.token_id)

    def _apply_again(self, rec: FillRecord) -> None:
        """CONFIRMED after FAILED: the fill is applied again, final, as a new fact."""
        p = self._positions[rec.token_id]
        order = self._orders.get(rec.local_id)
        order_qty = order.qty if order is not None else rec.qty
        price = rec.price
        if rec.side == "buy":
            self._on_buy_filled(
                BuyFilled(rec.local_id, rec.token_id, p.market_id, p.outcome, rec.qty, price,
                          order_qty, None, rec.fee)
            )  # fmt: skip
        else:
            self._on_sell_filled(
                SellFilled(rec.local_id, rec.token_id, rec.qty, price, order_qty, None, rec.fee)
            )
        rec.status = "CONFIRMED"

    def _unfill(self, rec: FillRecord) -> None:
        """Take a failed fill out of its order's filled quantity. Its reservation stays
        released (whether the order rests again is the venue's next fact)."""
        if not rec.counted:
            return
        order = self._orders.get(rec.local_id)
        if order is None or order.side != rec.side:
            return
        filled = max(order.filled_qty - rec.qty, 0)
        if isinstance(order, ClosedOrder):
            if order.status is _FILLED and filled < order.qty:
                reopened = Order(
                    order.side, order.market_id, order.token_id, order.qty, order.limit_micro,
                    order.tif, 0, 0,
                )  # fmt: skip
                reopened.filled_qty = filled
                reopened.status = _PARTIAL if filled else _SUBMITTED
                self._orders[rec.local_id] = reopened
            else:
                self._orders.keep_closed(rec.local_id, order._replace(filled_qty=filled))
            return
        order.filled_qty = filled
        if order.status is _PARTIAL and not filled:
            order.status = _SUBMITTED

    def _after_restatement(self, token_id: str) -> None:
        self._touch(token_id)
        self._pairs.enforce_caps_of(token_id)

    def _on_stale_fills_checked(self, e: StaleFillsChecked) -> None:
        for rec in self._settle.provisional():
            booked = rec.booked_at_us
            if rec.reported_stale or booked is None or e.now_us - booked <= e.max_age_us:
                continue
            rec.reported_stale = True
            age = timedelta(microseconds=e.now_us - booked)
            self._anomaly(
                AnomalyKind.STALE_FILL,
                e,
                f"{rec.side} fill {rec.fill_id!r} of {_shares(rec.qty)} {rec.token_id!r} is still "
                f"{rec.status} after {age}: for reconciliation to settle",
            )

    def _on_buy_cancelled(self, e: BuyCancelled) -> None:
        self._cancel(e, "buy", None, e.remaining_qty_micro, e.limit_micro)

    def _on_sell_cancelled(self, e: SellCancelled) -> None:
        self._cancel(e, "sell", e.token_id, e.remaining_qty_micro, None)

    def _cancel(
        self,
        e: BuyCancelled | SellCancelled,
        side: str,
        token_id: str | None,
        remaining_qty: int,
        limit_px: int | None,
    ) -> None:
        """Release whatever the order still reserves, whatever the cancel says it had left."""
        order = self._orders.get(e.local_id)
        if order is None:
            self._anomaly(
                AnomalyKind.CANCEL_UNKNOWN_ORDER,
                e,
                f"cancel of order {e.local_id!r} the ledger never saw submitted: nothing released",
            )
            return
        if isinstance(order, ClosedOrder) or order.status is _FILLED or order.status is _CANCELLED:
            if e.local_id in self._resol.cancelled:
                return  # the venue's own cancel of an order its market's resolution closed
            self._anomaly(
                AnomalyKind.CANCEL_CLOSED_ORDER,
                e,
                f"cancel of order {e.local_id!r}, already {order.status.value}: nothing released",
            )
            return
        differences = []
        if order.side != side:
            differences.append(f"a {side} cancel for a {order.side} order")
        if token_id is not None and token_id != order.token_id:
            differences.append(f"token {token_id!r}, the order's is {order.token_id!r}")
        if limit_px is not None and limit_px != order.limit_micro:
            differences.append(
                f"limit {_usd(limit_px)}, the order's is {_usd(order.limit_micro or 0)} a share"
            )
        left = max(order.qty - order.filled_qty, 0)
        if remaining_qty != left:
            differences.append(
                f"remaining {_shares(remaining_qty)}, the ledger has {_shares(left)}"
            )
        if differences:
            self._anomaly(
                AnomalyKind.CANCEL_MISMATCH,
                e,
                f"cancel of order {e.local_id!r}: " + "; ".join(differences)
                + ": what the order reserved is released",
            )  # fmt: skip
        self._in_flight -= order.reserved_micro
        order.reserved_micro = 0
        self._release_qty(order, order.reserved_qty)
        order.status = _CANCELLED
        self._orders.close(e.local_id, order)

    def _on_mint_submitted(self, e: MintSubmitted) -> None:
        in_flight = self._in_flight + e.amount_micro
        _money_bound("in_flight_usd", in_flight)
        _money_bound("accessible_usd", self._cash - in_flight)
        if self._exit:
            self._anomaly(
                AnomalyKind.MINT_AFTER_EXIT,
                e,
                f"mint of {_usd(e.amount_micro)} in {e.condition_id!r} submitted after exit was "
                "triggered: reserved",
            )
        accessible = self._cash - self._in_flight
        if e.amount_micro > accessible:
            self._anomaly(
                AnomalyKind.INSUFFICIENT_FUNDS,
                e,
                f"mint in {e.condition_id!r} reserves {_usd(e.amount_micro)} with "
                f"{_usd(accessible)} accessible",
            )
        self._pairs.submit_mint(e.condition_id, e.amount_micro)
        self._in_flight += e.amount_micro

    def _pop_pending_mint(self, e: MintConfirmed | MintFailed, amount_micro: int) -> None:
        """Release the condition's oldest pending mint reservation (never another's)."""
        reserved = self._pairs.pop_mint(e.condition_id)
        if reserved is None:
            self._anomaly(
                AnomalyKind.NO_PENDING_MINT,
                e,
                f"{e.kind} in {e.condition_id!r} with no pending mint: nothing released",
            )
            return
        self._in_flight -= reserved
        if reserved != amount_micro:
            self._anomaly(
                AnomalyKind.MINT_AMOUNT_MISMATCH,
                e,
                f"{e.kind} of {_usd(amount_micro)} in {e.condition_id!r}, the oldest pending "
                f"mint reserved {_usd(reserved)}: its reservation is released",
            )

    def _check_mint_confirmed(self, e: MintConfirmed) -> None:
        """Raise `BoundExceeded` if the mint would carry an amount past its bound."""
        n = e.pair_count_micro
        released = self._pairs.oldest_mint(e.condition_id)
        cash = self._cash - n
        _money_bound("total_usd", cash)
        _money_bound("accessible_usd", cash - (self._in_flight - released))
        for token, half in zip((e.yes_token_id, e.no_token_id), _halves(n), strict=True):
            p = self._positions.get(token)
            if p is not None:
                _qty_bound(f"tokens[{token!r}].qty", p.qty + n)
                _money_bound(f"tokens[{token!r}].total_cost", p.cost_micro + half)
        _qty_bound(
            f"minted_pairs[{e.condition_id!r}].total_minted",
            n + self._pairs.total_minted(e.condition_id),
        )

    def _on_mint_confirmed(self, e: MintConfirmed) -> None:
        self._check_mint_confirmed(e)
        n = e.pair_count_micro
        cond = e.condition_id
        self._pop_pending_mint(e, n)  # $1 a pair: n micro-shares of pairs cost n micro-USDC
        self._cash -= n
        tokens = (e.yes_token_id, e.no_token_id)
        recorded = self._pairs.name_tokens(cond, tokens)
        if recorded is not None:
            self._anomaly(
                AnomalyKind.TOKEN_MISMATCH,
                e,
                f"condition {cond!r} was minted as YES {recorded[0]!r} / NO {recorded[1]!r}, "
                f"this mint says {tokens[0]!r} / {tokens[1]!r}: positions follow the event, the "
                "pair cap the first mint",
            )
        halves = _halves(n)
        for token, outcome, half in (
            (e.yes_token_id, _YES, halves[0]),
            (e.no_token_id, _NO, halves[1]),
        ):
            p = self._positions.get(token)
            if p is None:
                p = self._positions.new(token, e.market_id, outcome)
            else:
                self._identify(p, e.market_id, outcome, e)
            p.qty += n
            p.cost_micro += half
            self._touch(token)
            if token in self._settle.histories:
                self._settle.record(token, Fact("buy", n, half, 0))
        self._pairs.minted(cond, n)

    def _on_mint_failed(self, e: MintFailed) -> None:
        self._pop_pending_mint(e, e.amount_micro)

    def _on_merge_submitted(self, e: MergeSubmitted) -> None:
        reserve, available = self._pairs.submit_merge(e.condition_id, e.pair_count_micro)
        if reserve < e.pair_count_micro:
            self._anomaly(
                AnomalyKind.MERGE_EXCEEDS_AVAILABLE,
                e,
                f"merge of {_shares(e.pair_count_micro)} pairs in {e.condition_id!r} with "
                f"{_shares(available)} available: {_shares(reserve)} reserved",
            )

    def _pop_pending_merge(self, e: MergeConfirmed | MergeFailed) -> int:
        """The oldest pending merge's reserved pair count (0 with no pending merge)."""
        pending = self._pairs.pop_merge(e.condition_id)
        if pending is None:
            self._anomaly(
                AnomalyKind.NO_PENDING_MERGE,
                e,
                f"{e.kind} of {_shares(e.pair_count_micro)} pairs in {e.condition_id!r} "
                "with no pending merge",
            )
            return 0
        requested, reserved = pending
        if requested != e.pair_count_micro:
            self._anomaly(
                AnomalyKind.MERGE_COUNT_MISMATCH,
                e,
                f"{e.kind} of {_shares(e.pair_count_micro)} pairs in {e.condition_id!r}, "
                f"the oldest pending merge asked for {_shares(requested)}",
            )
        return reserved

    def _check_merge_confirmed(self, e: MergeConfirmed) -> None:
        """Raise `BoundExceeded` if the merge would carry an amount past its bound."""
        n = e.pair_count_micro
        _money_bound("total_usd", self._cash + n)
        for token, half in zip((e.yes_token_id, e.no_token_id), _halves(n), strict=True):
            p = self._positions.get(token)
            if p is not None:
                realized = p.realized_micro + half - p.removed_cost(n)
                _money_bound(f"tokens[{token!r}].realized_pnl", realized)

    def _on_merge_confirmed(self, e: MergeConfirmed) -> None:
        self._check_merge_confirmed(e)
        n = e.pair_count_micro
        cond = e.condition_id
        self._pairs.merged(cond, n, self._pop_pending_merge(e))
        recorded = self._pairs.cond_tokens.get(cond)
        if recorded is not None and recorded != (e.yes_token_id, e.no_token_id):
            self._anomaly(
                AnomalyKind.TOKEN_MISMATCH,
                e,
                f"condition {cond!r} was minted as YES {recorded[0]!r} / NO {recorded[1]!r}, "
                f"this merge says {e.yes_token_id!r} / {e.no_token_id!r}: the event's are booked",
            )
        self._cash += n
        short = []
        halves = _halves(n)
        for token, outcome, half in (
            (e.yes_token_id, _YES, halves[0]),
            (e.no_token_id, _NO, halves[1]),
        ):
            p = self._positions.get(token)
            if p is None:
                p = self._positions.new(token, "", outcome)
            elif p.market_id == "":
                p.outcome = outcome
            if n > p.qty:
                short.append(f"{token!r} ({_shares(p.qty)} held)")
            removed = p.remove(n)
            p.realized_micro += half - removed
            self._touch(token)
            if token in self._settle.histories:
                self._settle.record(token, Fact("sell", n, half, 0))
        if short:
            self._anomaly(
                AnomalyKind.MERGE_TOKENS_NOT_HELD,
                e,
                f"merge of {_shares(n)} pairs in {cond!r} beyond the tokens held: "
                + ", ".join(short) + "; the missing tokens leave at a zero cost basis",
            )  # fmt: skip
        self._pairs.enforce_cap(cond)
        for token in (e.yes_token_id, e.no_token_id):
            self._pairs.enforce_caps_of(token)

    def _on_merge_failed(self, e: MergeFailed) -> None:
        self._pairs.merge_failed(e.condition_id, self._pop_pending_merge(e))

    def _on_prices_updated(self, e: PricesUpdated) -> None:
        held = self._positions.get
        touched = []
        for token_id, mark in e.prices:
            p = held(token_id)
            if p is not None:
                p.mark_micro = mark
                touched.append(token_id)
        self._view.touch_many(touched)
        self._positions.changed.update(touched)

    def _on_cash_adjusted(self, e: CashAdjusted) -> None:
        delta = e.signed_micro
        _money_bound("total_usd", self._cash + delta)
        _money_bound("adjustments_usd", self._adjustments + delta)
        if e.adjustment == "WITHDRAWAL" and e.amount_micro > self._cash:
            self._anomaly(
                AnomalyKind.WITHDRAWAL_EXCEEDS_CASH,
                e,
                f"withdrawal of {_usd(e.amount_micro)} ({e.reason!r}) with {_usd(self._cash)} "
                "held: applied, cash goes below zero",
            )
        self._cash += delta
        self._adjustments += delta

    def _on_exit_triggered(self, e: ExitTriggered) -> None:
        self._exit = True

    def _on_exchange_order_id(self, e: ExchangeOrderIdAssigned) -> None:
        if e.local_id not in self._orders:
            self._anomaly(
                AnomalyKind.UNKNOWN_ORDER,
                e,
                f"exchange id {e.exchange_order_id!r} for order {e.local_id!r} the ledger never "
                "saw submitted: not recorded",
            )
            return
        known = self._orders.exchange_ids.get(e.local_id)
        owner = self._orders.local_ids.get(e.exchange_order_id)
        if known == e.exchange_order_id:
            return
        if known is not None or owner is not None:
            held = (
                f"order {e.local_id!r} is already {known!r}"
                if known is not None
                else f"{e.exchange_order_id!r} is already order {owner!r}"
            )
            self._anomaly(
                AnomalyKind.EXCHANGE_ID_CONFLICT,
                e,
                f"exchange id {e.exchange_order_id!r} for order {e.local_id!r}: {held}; ignored",
            )
            return
        self._orders.assign(e.local_id, e.exchange_order_id)

    def _on_positions_loaded(self, e: PositionsLoaded) -> None:
        for row in e.rows:
            p = self._positions.get(row.token_id)
            if p is None:
                p = self._positions.new(row.token_id, row.market_id, row.outcome)
            else:
                # Open sell orders keep their reservation on the token.
                self._baseline -= p.cost_micro - p.realized_micro
                p.market_id = row.market_id
                p.outcome = row.outcome
            p.qty = row.qty_micro
            p.cost_micro = row.cost_micro
            p.realized_micro = row.realized_micro
            p.mark_micro = self._resol.payout(row.token_id)  # None: at its entry price
            if row.token_id in self._settle.histories:
                loaded = Position(row.qty_micro, row.cost_micro, row.realized_micro)
                self._settle.record(row.token_id, Fact("load", 0, 0, 0, None, loaded))
            self._baseline += row.cost_micro - row.realized_micro
            self._touch(row.token_id)
        for row in e.rows:
            self._pairs.enforce_caps_of(row.token_id)

    # -- Resolution and redemption ---------------------------------------------------------------

    def _condition_tokens(self, cond: str) -> list[tuple[str, Outcome]]:
        """The condition's tokens the ledger knows, with their outcome: as its mint named them,
        as a resolution found them, and every position whose market id is the condition's."""
        found: dict[str, Outcome] = {}
        pair = self._pairs.cond_tokens.get(cond)
        if pair is not None:
            found[pair[0]] = _YES
            found[pair[1]] = _NO
        positions = self._positions
        for token in self._resol.tokens.get(cond, ()):
            p = positions.get(token)
            if p is not None:
                found.setdefault(token, p.outcome)
        for p in positions.values():
            if p.market_id == cond:
                found.setdefault(p.token_id, p.outcome)
        return list(found.items())

    def _open_orders_of(self, cond: str, tokens: set[str]) -> list[str]:
        """Local ids of the open orders on the condition's market or tokens."""
        return [
            local_id
            for local_id, order in self._orders.items()
            if type(order) is Order and (order.market_id == cond or order.token_id in tokens)
        ]

    def _on_market_resolved(self, e: MarketResolved) -> None:
        resol = self._resol
        cond = e.condition_id
        payouts = (e.yes_payout_micro, e.no_payout_micro)
        known = resol.markets.get(cond)
        if known == payouts:
            return  # the same resolution resent
        if known is not None:
            self._anomaly(
                AnomalyKind.RESOLUTION_CHANGED,
                e,
                f"condition {cond!r} resolved again, YES/NO paying {_usd(payouts[0])}/"
                f"{_usd(payouts[1])} a share instead of {_usd(known[0])}/{_usd(known[1])}: "
                "the latest word wins, its tokens are marked again",
            )
        tokens = self._condition_tokens(cond)
        resol.resolve(cond, payouts)
        for token, outcome in tokens:
            payout = resol.add_token(cond, token, outcome is _YES)
            p = self._positions.get(token)
            if p is not None:
                p.mark_micro = payout
                self._touch(token)
        for local_id in self._open_orders_of(cond, {token for token, _ in tokens}):
            order = self._orders[local_id]
            assert type(order) is Order
            self._in_flight -= order.reserved_micro
            order.reserved_micro = 0
            self._release_qty(order, order.reserved_qty)
            order.status = _CANCELLED
            resol.cancelled[local_id] = cond
            self._orders.close(local_id, order)

    def _after_resolved_fill(self, e: BuyFilled | SellFilled, market_id: str | None) -> None:
        """A fill on a resolved market: applied, recorded, its token marked at its payout."""
        resol = self._resol
        token = e.token_id
        known = resol.token_payouts.get(token)
        cond = known[0] if known is not None else market_id
        if cond is None or cond not in resol.markets:
            return
        p = self._positions[token]
        payout = resol.add_token(cond, token, p.outcome is _YES)
        p.mark_micro = payout
        self._touch(token)
        self._anomaly(
            AnomalyKind.FILL_AFTER_RESOLUTION,
            e,
            f"{e.kind} of {_shares(e.fill_qty_micro)} {token!r} after condition {cond!r} "
            f"resolved: applied, marked at its payout {_usd(payout)} a share",
        )

    def _on_redemption_submitted(self, e: RedemptionSubmitted) -> None:
        resol = self._resol
        cond = e.condition_id
        if cond not in resol.markets:
            self._anomaly(
                AnomalyKind.REDEMPTION_UNRESOLVED,
                e,
                f"redemption of condition {cond!r}, which the ledger has not seen resolved: "
                "nothing reserved",
            )
            resol.pending.setdefault(cond, {})
            resol.status[cond] = "PENDING"
            return
        pending = resol.pending.get(cond)
        if pending is not None:
            self._anomaly(
                AnomalyKind.REDEMPTION_ALREADY_PENDING,
                e,
                f"redemption of condition {cond!r} submitted while another is pending: "
                "shares redeemable since are reserved too",
            )
        reserve = {t: self.redeemable_qty_micro(t) for t in resol.tokens[cond]}
        pending = resol.pending.setdefault(cond, {})
        for token, qty in reserve.items():
            if qty:
                pending[token] = pending.get(token, 0) + qty
                self._touch(token)
        resol.status[cond] = "PENDING"

    def _on_redemption_failed(self, e: RedemptionFailed) -> None:
        resol = self._resol
        cond = e.condition_id
        pending = resol.pending.pop(cond, None)
        if pending is None:
            self._anomaly(
                AnomalyKind.NO_PENDING_REDEMPTION,
                e,
                f"redemption of condition {cond!r} failed with none pending: nothing released",
            )
        for token in pending or ():
            self._touch(token)
        resol.status[cond] = "FAILED"

    def _on_redemption_confirmed(self, e: RedemptionConfirmed) -> None:
        resol = self._resol
        cond = e.condition_id
        paid = e.paid_micro
        _money_bound("total_usd", self._cash + paid)
        _money_bound("accessible_usd", self._cash + paid - self._in_flight)
        if cond not in resol.markets:
            _money_bound("adjustments_usd", self._adjustments + paid)
            self._anomaly(
                AnomalyKind.REDEMPTION_UNRESOLVED,
                e,
                f"redemption of condition {cond!r}, which the ledger has not seen resolved, "
                f"paid {_usd(paid)}: booked as a cash correction, no shares removed",
            )
            resol.pending.pop(cond, None)
            resol.status[cond] = "CONFIRMED"
            self._cash += paid
            self._adjustments += paid
            return
        pending = resol.pending.pop(cond, None)
        if pending is None:
            self._anomaly(
                AnomalyKind.NO_PENDING_REDEMPTION,
                e,
                f"redemption of condition {cond!r} confirmed with none pending: the shares on "
                "chain are redeemed",
            )
            pending = {t: self.redeemable_qty_micro(t) for t in resol.tokens[cond]}
        positions = self._positions
        held = {t: positions[t].qty for t in resol.tokens[cond] if t in positions}
        plan = resol.plan(cond, pending, held, paid)
        difference, target = plan.difference, plan.target
        if difference and target is None:
            _money_bound("adjustments_usd", self._adjustments + difference)
        for token, qty, amount in plan.burns:
            p = positions[token]
            _money_bound(
                f"tokens[{token!r}].realized_pnl",
                p.realized_micro
                + plan.proceeds(token, amount)
                - removed_cost(p.qty, p.cost_micro, qty),
            )
        if difference:
            where = f"realised on {target!r}" if target is not None else "a cash correction"
            self._anomaly(
                AnomalyKind.REDEMPTION_AMOUNT_MISMATCH,
                e,
                f"redemption of condition {cond!r} paid {_usd(paid)}, shares * payout is "
                f"{_usd(plan.expected)}: the difference {_usd(difference)} is {where}",
            )
        settle = self._settle
        for token, qty, amount in plan.burns:
            p = positions[token]
            proceeds = plan.proceeds(token, amount)
            removed = p.remove(qty)
            p.realized_micro += proceeds - removed
            if token in settle.histories:
                settle.record(token, Fact("sell", qty, proceeds, 0))
            self._touch(token)
        if difference and target is None:
            self._adjustments += difference
        self._cash += paid
        resol.status[cond] = "CONFIRMED"
        resol.paid[cond] = resol.paid.get(cond, 0) + paid
        self._pairs.enforce_cap(cond, closing=True)
        for token, _, _ in plan.burns:  # pairs of other conditions naming these tokens
            self._pairs.enforce_caps_of(token)

    # -- Snapshots out ------------------------------------------------------------------------

    def snapshot(self) -> InventoryState:
        """The state strategies see this tick, as the frozen contract model."""
        return self._view.model(self._cash, self._in_flight, self._adjustments, self._exit)

    def snapshot_json(self) -> str:
        """The snapshot as the exact JSON text strategies get: equal as JSON to
        `snapshot().model_dump_json()` (byte for byte for ordinary values), re-rendering only
        the tokens changed since the last call (`rendering.SnapshotRenderer.json`)."""
        return self._view.json(self._cash, self._in_flight, self._adjustments, self._exit)
