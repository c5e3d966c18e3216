"""The journal: binds an InventoryManager to a store, recovers it, and verifies a session.

The manager applies each accepted event to its memory and then calls `Journal.commit(event,
manager)`, which writes, in one transaction, the event's journal row and its consequences
(order, fill, position, mint and session rows) read back from the manager's records. If commit
raises, the manager restores its memory, so memory and disk never disagree.

Recovery replays the journal through a fresh manager; the tables other than the journal are a
cache for the host and for operators, and recovery reports where they disagree with the replay.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final, Protocol, TypeVar

import orjson

from weatherman_inventory.errors import DuplicateFill, InvalidInput, StoreError
from weatherman_inventory.events import (
    EVENT_TYPES,
    FROM_FIELDS,
    MICRO,
    BuyCancelled,
    BuyFilled,
    BuySubmitted,
    Event,
    ExitTriggered,
    LoadedPosition,
    MergeConfirmed,
    MergeFailed,
    MergeSubmitted,
    MintConfirmed,
    MintFailed,
    MintSubmitted,
    OrderRecord,
    PositionRecord,
    PositionsLoaded,
    SellCancelled,
    SellFilled,
    SellSubmitted,
    check_id,
)
from weatherman_inventory.manager import AnomalyKind, InventoryManager
from weatherman_inventory.models import Outcome
from weatherman_inventory.store import (
    _INSERT_FILL,
    INT64_MAX,
    INT64_MIN,
    JournalRow,
    PersistenceLayer,
    PositionRow,
)

__all__ = [
    "Journal",
    "JournaledManager",
    "PositionDifference",
    "VerifyReport",
    "decode_event",
    "encode_event",
    "open_session",
    "recover_session",
    "verify_session",
]

TIFS: Final = frozenset({"GTC", "GTD", "FOK"})
"""Times in force the orders table accepts."""


_log = logging.getLogger("weatherman_inventory")


class JournaledManager(Protocol):
    """What the journal needs of a manager (the InventoryManager provides it)."""

    log_anomalies: bool

    def anomalies(self) -> tuple[Any, ...]: ...

    @property
    def exit_triggered(self) -> bool: ...

    @property
    def initial_capital_micro(self) -> int: ...

    def apply(self, event: Any) -> None: ...

    def _replay(self, events: Iterable[Any]) -> None: ...

    def order_record(self, local_id: str) -> OrderRecord | None: ...

    def position_record(self, token_id: str) -> PositionRecord | None: ...

    def token_ids(self) -> tuple[str, ...]: ...

    def record_anomaly(self, kind: AnomalyKind, event: Any, message: str) -> None: ...

    def _bind(self, journal: Any) -> None: ...


M = TypeVar("M", bound=JournaledManager)


# -- the event codec ---------------------------------------------------------------------
# A journal row's payload is the event's fields in declaration order, as a JSON array: no
# field names, so a fill is about 60 bytes, and decoding is one orjson call and a constructor.

_FIELDS: Final = {cls.kind: tuple(f.name for f in dataclasses.fields(cls)) for cls in EVENT_TYPES}
_OUTCOMES: Final = {o.value: o for o in Outcome}
_LOADED_FIELDS: Final = tuple(f.name for f in dataclasses.fields(LoadedPosition))


def encode_event(event: Event) -> bytes:
    """The journal payload of an event (compact JSON array of its fields)."""
    if isinstance(event, PositionsLoaded):
        values: list[Any] = [[[getattr(r, f) for f in _LOADED_FIELDS] for r in event.rows]]
    else:
        values = [getattr(event, f) for f in _FIELDS[event.kind]]
    try:
        return orjson.dumps(values)
    except orjson.JSONEncodeError as exc:
        raise InvalidInput(event.kind, event, f"cannot be journaled: {exc}") from exc


def _unknown_kind(seq: int | None, kind: object) -> StoreError:
    row = "a journal row" if seq is None else f"journal row {seq}"
    return StoreError(f"{row} of unknown kind {kind!r}")


def _invalid_row(seq: int | None, kind: object, exc: Exception) -> StoreError:
    row = "a journal row" if seq is None else f"journal row {seq}"
    return StoreError(
        f"{row} ({kind}) does not hold a valid event: {exc}; the journal is corrupted "
        "and the session cannot be recovered from it"
    )


def _decode_row(seq: int | None, kind: object, payload: object) -> Event:
    """The checked event of one journal row, or a `StoreError` naming the row."""
    decode = FROM_FIELDS.get(kind) if isinstance(kind, str) else None
    if decode is None:
        raise _unknown_kind(seq, kind)
    try:
        return decode(orjson.loads(payload))  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        # ValueError: InvalidInput naming a field, or malformed JSON; TypeError: a payload that
        # is neither bytes nor text.
        raise _invalid_row(seq, kind, exc) from exc


def decode_event(kind: str, payload: bytes) -> Event:
    """The event a journal payload holds, checked: `StoreError` if it holds no valid event."""
    return _decode_row(None, kind, payload)


# -- writing -----------------------------------------------------------------------------

_INSERT_JOURNAL: Final = (
    "INSERT INTO journal (session_id, seq, kind, payload, duplicate, recorded_at) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
# The journal's position upsert leaves `side` and `unrealized_pnl` as the host wrote them; a
# fill row is the store's own statement, so both paths write the same rows.
_UPSERT_POSITION: Final = (
    "INSERT INTO positions (market_id, token_id, session_id, side, qty, avg_price, "
    "realized_pnl, unrealized_pnl, updated_at, cost_basis, outcome) "
    "VALUES (?, ?, ?, 'buy', ?, ?, ?, 0, ?, ?, ?) "
    "ON CONFLICT(market_id, token_id, session_id) DO UPDATE SET "
    "qty = excluded.qty, avg_price = excluded.avg_price, realized_pnl = excluded.realized_pnl, "
    "updated_at = excluded.updated_at, cost_basis = excluded.cost_basis, "
    "outcome = excluded.outcome"
)
_UPSERT_ORDER: Final = (
    "INSERT INTO orders (local_id, session_id, market_id, token_id, side, qty, limit_px, tif, "
    "status, filled_qty, reserved_usd, reserved_qty, submitted_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT(local_id) DO UPDATE SET market_id = excluded.market_id, "
    "token_id = excluded.token_id, side = excluded.side, qty = excluded.qty, "
    "limit_px = excluded.limit_px, tif = excluded.tif, status = excluded.status, "
    "filled_qty = excluded.filled_qty, reserved_usd = excluded.reserved_usd, "
    "reserved_qty = excluded.reserved_qty, updated_at = excluded.updated_at "
    "WHERE orders.session_id = excluded.session_id"
)
_INSERT_MINT: Final = (
    "INSERT INTO mint_events (session_id, condition_id, operation, amount, submitted_at) "
    "VALUES (?, ?, ?, ?, ?)"
)
_RESOLVE_MINT: Final = (
    "UPDATE mint_events SET status = ?, confirmed_at = ? WHERE id = ("
    "SELECT id FROM mint_events WHERE session_id = ? AND condition_id = ? AND operation = ? "
    "AND status = 'PENDING' ORDER BY id LIMIT 1)"
)
_SET_EXIT: Final = "UPDATE sessions SET exit_triggered = ? WHERE id = ?"

# A planned write: (statement, parameters, local id of an order upsert or None).
_Write = tuple[str, tuple[Any, ...], str | None]


def _int64(field: str, value: int) -> int:
    if not INT64_MIN <= value <= INT64_MAX:
        raise InvalidInput(field, value, "does not fit the store's 64-bit integer columns")
    return value


class Journal:
    """Writes a manager's accepted events to one session of a store.

    Holds the session's writer lock for as long as it is open. `commit` is the manager's hook:
    it plans every row from the event and the manager's post-event records, refuses with
    `InvalidInput` what a column cannot hold (before writing anything), then writes the plan
    and the journal row in one transaction.
    """

    def __init__(self, store: PersistenceLayer, session_id: str, last_seq: int) -> None:
        self.store = store
        self.session_id = session_id
        self.seq = last_seq
        self._now_ms = -1
        self._now = ""

    def close(self) -> None:
        """Give up the session's writer lock (the store stays open)."""
        self.store.unlock_session(self.session_id)

    def commit(self, event: Event, manager: JournaledManager) -> None:
        """Journal one event the manager has just applied, with its consequences."""
        payload = encode_event(event)
        recorded_at = time.time_ns() // 1000
        if recorded_at // 1000 != self._now_ms:
            # Formatting a datetime costs more than the rest of a commit's Python: the row
            # timestamps are formatted at most once a millisecond.
            self._now_ms = recorded_at // 1000
            self._now = datetime.fromtimestamp(self._now_ms / 1000, UTC).isoformat()
        now = self._now
        writes, fill_id = self._plan(event, manager, now)
        seq = self.seq + 1
        tx = self.store.transaction()
        tx.fill_id = fill_id
        try:
            with tx as conn:
                conn.execute(
                    _INSERT_JOURNAL,
                    (self.session_id, seq, event.kind, payload, 0, recorded_at),
                )
                for sql, params, local_id in writes:
                    cur = conn.execute(sql, params)
                    if local_id is not None and cur.rowcount == 0:
                        raise InvalidInput(
                            "local_id", local_id, "is an order of another session in this store"
                        )
        except DuplicateFill:
            # The fill is journaled as refused, so replay records the same anomaly the manager
            # records now, and the journal stays the exact sequence of calls.
            with self.store.transaction() as conn:
                conn.execute(
                    _INSERT_JOURNAL,
                    (self.session_id, seq, event.kind, payload, 1, recorded_at),
                )
            self.seq = seq
            raise
        self.seq = seq

    def _plan(
        self, event: Event, manager: JournaledManager, now: str
    ) -> tuple[list[_Write], str | None]:
        sid = self.session_id
        writes: list[_Write] = []
        fill_id: str | None = None
        if isinstance(event, BuyFilled | SellFilled):
            fill_id = event.fill_id
            if fill_id is None:
                fill_id = _synthetic_fill_id(sid, self.seq + 1)
            if isinstance(event, BuyFilled):
                market_id, side = event.market_id, "buy"
            else:
                side = "sell"
                known = manager.position_record(event.token_id) or manager.order_record(
                    event.local_id
                )
                market_id = known.market_id if known is not None else ""
            writes.append(
                (
                    _INSERT_FILL,
                    (
                        fill_id,
                        event.local_id,
                        sid,
                        market_id,
                        event.token_id,
                        side,
                        _int64("fill_qty", event.fill_qty),
                        event.price_micro,
                        _int64("fee_micro", event.fee_micro),
                        now,
                    ),
                    None,
                )
            )
            self._plan_order(writes, manager, event.local_id, now)
            self._plan_position(writes, manager, event.token_id, now)
        elif isinstance(event, BuySubmitted | SellSubmitted):
            if event.tif not in TIFS:
                raise InvalidInput("tif", event.tif, f"the orders table holds {sorted(TIFS)}")
            self._plan_order(writes, manager, event.local_id, now)
            if isinstance(event, SellSubmitted):
                # A sell of a token never seen creates its (placeholder) position.
                self._plan_position(writes, manager, event.token_id, now)
        elif isinstance(event, BuyCancelled | SellCancelled):
            self._plan_order(writes, manager, event.local_id, now)
        elif isinstance(event, MintSubmitted):
            if event.amount_micro <= 0:
                # The ledger takes a $0 mint (it reserves nothing); mint_events.amount > 0 cannot
                # hold one, and a value is refused, never rounded up to fit.
                raise InvalidInput(
                    "amount_usd",
                    0,
                    "mint_events.amount must be more than 0: a $0 mint cannot be journaled",
                )
            amount = _int64("amount_micro", event.amount_micro)
            writes.append((_INSERT_MINT, (sid, event.condition_id, "MINT", amount, now), None))
        elif isinstance(event, MergeSubmitted):
            amount = _int64("pair_count", event.pair_count * MICRO)
            writes.append((_INSERT_MINT, (sid, event.condition_id, "MERGE", amount, now), None))
        elif isinstance(event, MintConfirmed | MergeConfirmed):
            op = "MINT" if isinstance(event, MintConfirmed) else "MERGE"
            writes.append((_RESOLVE_MINT, ("CONFIRMED", now, sid, event.condition_id, op), None))
            self._plan_position(writes, manager, event.yes_token_id, now)
            self._plan_position(writes, manager, event.no_token_id, now)
        elif isinstance(event, MintFailed | MergeFailed):
            op = "MINT" if isinstance(event, MintFailed) else "MERGE"
            writes.append((_RESOLVE_MINT, ("FAILED", now, sid, event.condition_id, op), None))
        elif isinstance(event, ExitTriggered):
            writes.append((_SET_EXIT, (int(manager.exit_triggered), sid), None))
        elif isinstance(event, PositionsLoaded):
            for row in event.rows:
                self._plan_position(writes, manager, row.token_id, now)
        return writes, fill_id

    def _plan_order(
        self, writes: list[_Write], manager: JournaledManager, local_id: str, now: str
    ) -> None:
        record = manager.order_record(local_id)
        if record is None:
            return
        writes.append(
            (
                _UPSERT_ORDER,
                (
                    record.local_id,
                    self.session_id,
                    record.market_id,
                    record.token_id,
                    record.side,
                    _int64("qty", record.qty),
                    record.limit_px,
                    record.tif,
                    record.status.value,
                    _int64("filled_qty", record.filled_qty),
                    _int64("reserved_micro", record.reserved_micro),
                    _int64("reserved_qty", record.reserved_qty),
                    now,
                    now,
                ),
                record.local_id,
            )
        )

    def _plan_position(
        self, writes: list[_Write], manager: JournaledManager, token_id: str, now: str
    ) -> None:
        record = manager.position_record(token_id)
        if record is None:
            return
        qty = _int64("qty", record.qty)
        cost = _int64("cost_micro", record.cost_micro)
        writes.append(
            (
                _UPSERT_POSITION,
                (
                    record.market_id,
                    token_id,
                    self.session_id,
                    qty,
                    cost // qty if qty else 0,
                    _int64("realized_micro", record.realized_micro),
                    now,
                    cost,
                    record.outcome.value,
                ),
                None,
            )
        )


def _synthetic_fill_id(session_id: str, seq: int) -> str:
    """The fills table's id of a fill that came without one: unique across sessions, and never
    a Polymarket fill id (those are hex strings or UUIDs)."""
    return f"synthetic:{session_id}:{seq}"


def _duplicate_of(row: JournalRow, event: Event) -> str:
    """The fill id of a fill the store refused as a duplicate."""
    fill_id = getattr(event, "fill_id", None)
    if not isinstance(fill_id, str):
        raise StoreError(f"journal row {row.seq} is marked duplicate but is not a fill with an id")
    return fill_id


class _ReplayJournal:
    """Bound while replaying a fill the store refused as a duplicate: refuses it again, so the
    manager undoes it and records the anomaly it recorded when the fill first arrived."""

    def __init__(self) -> None:
        self.fill_id = ""

    def commit(self, event: Event, manager: JournaledManager) -> None:
        raise DuplicateFill(self.fill_id)


# -- sessions ----------------------------------------------------------------------------


_MARKET_FIELDS: Final = ("market_id", "condition_id", "yes_token_id", "no_token_id")


def open_session(
    cls: Callable[..., M],
    store: PersistenceLayer,
    session_id: str,
    initial_capital_usd: Decimal | int | str,
    *,
    strategy_id: str = "",
    config_json: str = "{}",
    markets: Iterable[tuple[str, str, str, str]] = (),
) -> M:
    """Start a new session and return its manager, bound to the store.

    `markets` are (market_id, condition_id, yes_token_id, no_token_id), registered with the
    session so outcomes are known to readers. Raises `SessionExists` for a known session,
    `SessionLocked` if another process writes it.
    """
    check_id("session_id", session_id)
    markets = list(markets)
    for market in markets:
        for field, value in zip(_MARKET_FIELDS, market, strict=False):
            check_id(field, value)
    manager = cls(initial_capital_usd, track_fill_ids=False)
    capital = manager.initial_capital_micro
    store.lock_session(session_id)
    try:
        for market in markets:
            store.insert_market(*market)
        store.insert_session(
            session_id,
            store.mode,
            strategy_id,
            config_json,
            datetime.now(UTC),
            initial_capital=capital,
        )
    except BaseException:
        store.unlock_session(session_id)
        raise
    manager._bind(Journal(store, session_id, 0))
    return manager


_REPLAY_BATCH: Final = 512
"""Journal rows recovery reads, decodes and applies at a time."""


def replay(cls: Callable[..., M], store: PersistenceLayer, session_id: str) -> M:
    """A manager holding exactly the session's journaled state, bound to nothing.

    Streams the journal, so memory holds one batch of rows, not the journal. Rows the store
    refused as duplicate fills go through the manager's own duplicate path.
    """
    session = store.load_session(session_id)
    # What the replay finds again was logged when it happened: record it, do not log it twice.
    manager = cls(
        Decimal(session.initial_capital) / MICRO, track_fill_ids=False, log_anomalies=False
    )
    duplicates = _ReplayJournal()
    decoders = FROM_FIELDS
    loads = orjson.loads
    # The hot loop of recovery: plain rows, the checked decoders, and one call into the manager
    # per batch; no per-row object beyond the event itself. Batches are small enough that the
    # events a batch decodes are still in the CPU cache when the manager applies them: at 512
    # rows recovery runs about a fifth faster than at 4,096.
    for rows in store.journal_batches(session_id, batch=_REPLAY_BATCH):
        events: list[Event] = []
        append = events.append
        for seq, kind, payload, duplicate in rows:
            decode = decoders.get(kind)
            if decode is None:
                raise _unknown_kind(seq, kind)
            try:
                event = decode(loads(payload))
            except (ValueError, TypeError) as exc:  # as in _decode_row
                raise _invalid_row(seq, kind, exc) from exc
            if duplicate:
                manager._replay(events)
                events.clear()
                _replay_row(manager, duplicates, JournalRow(seq, kind, payload, True), event)
            else:
                append(event)
        manager._replay(events)
    return manager


def _replay_row(
    manager: JournaledManager, duplicates: _ReplayJournal, row: JournalRow, event: Event
) -> None:
    if row.duplicate:
        # Bound only for this event: an unbound manager applies without an undo checkpoint.
        duplicates.fill_id = _duplicate_of(row, event)
        manager._bind(duplicates)
        try:
            manager.apply(event)
        finally:
            manager._bind(None)
    else:
        manager.apply(event)


def recover_session(cls: Callable[..., M], store: PersistenceLayer, session_id: str) -> M:
    """Rebuild a session's manager to its last committed event and bind it to the store.

    Takes the writer lock first (`SessionLocked` if another process holds it). Every way the
    positions table differs from the replay is recorded on the manager as a
    `position_cache_mismatch` anomaly.
    """
    check_id("session_id", session_id)
    store.load_session(session_id)
    store.lock_session(session_id)
    try:
        manager = replay(cls, store, session_id)
        replayed_anomalies = len(manager.anomalies())
        manager.log_anomalies = True
        table = {row.token_id: row for row in store.load_positions(session_id)}
        for diff in _position_differences(_replayed_positions(manager), table):
            row = table.get(diff.token_id)
            # The anomaly's event is the fact the cache states: its row as a loaded position.
            cached = () if row is None else (_loaded(row),)
            manager.record_anomaly(
                AnomalyKind.POSITION_CACHE_MISMATCH, PositionsLoaded(cached), diff.describe()
            )
        last_seq = store.last_seq(session_id)
        manager._bind(Journal(store, session_id, last_seq))
    except BaseException:
        store.unlock_session(session_id)
        raise
    _log.info(
        "recovered session %s to journal row %d: %d anomalies replayed, %d cache differences",
        session_id,
        last_seq,
        replayed_anomalies,
        len(manager.anomalies()) - replayed_anomalies,
        extra={"session_id": session_id, "last_seq": last_seq},
    )
    return manager


# -- verification ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PositionDifference:
    """One field of one token where the positions table and the journal's replay disagree."""

    token_id: str
    field: str
    journal: Any
    table: Any

    def describe(self) -> str:
        return (
            f"token {self.token_id}: {self.field} is {self.journal!r} by the journal, "
            f"{self.table!r} in the positions table"
        )


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of `verify_session`: empty `differences` and `problems` mean it passed."""

    session_id: str
    events: int
    fills: int
    positions: int
    differences: tuple[PositionDifference, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.differences and not self.problems

    def render(self) -> str:
        """A report for an operator, one finding per line."""
        lines = [
            f"session {self.session_id}: {self.events} journaled events, {self.fills} fills, "
            f"{self.positions} positions",
        ]
        lines += [f"  DIFF {d.describe()}" for d in self.differences]
        lines += [f"  PROBLEM {p}" for p in self.problems]
        lines.append(
            "OK: the positions table matches the fill replay"
            if self.ok
            else f"FAILED: {len(self.differences) + len(self.problems)} difference(s)"
        )
        return "\n".join(lines)


@dataclass(slots=True)
class _Position:
    market_id: str
    outcome: str
    qty: int = 0
    cost: int = 0
    realized: int = 0


def _replayed_positions(manager: JournaledManager) -> dict[str, _Position]:
    positions = {}
    for token_id in manager.token_ids():
        r = manager.position_record(token_id)
        assert r is not None
        positions[token_id] = _Position(
            r.market_id, r.outcome.value, r.qty, r.cost_micro, r.realized_micro
        )
    return positions


def _loaded(row: PositionRow) -> LoadedPosition:
    outcome = _OUTCOMES.get(row.outcome or "", Outcome.YES)
    return LoadedPosition(
        row.token_id, row.market_id, outcome, row.qty, row.cost_basis, row.realized_pnl
    )


def _position_differences(
    expected: dict[str, _Position], table: dict[str, PositionRow], *, flat_is_absent: bool = False
) -> Iterator[PositionDifference]:
    """Every field where the table differs from `expected`.

    With `flat_is_absent`, a flat row (no contracts, cost or realised PnL) matches a missing
    one: a sell order of a token never seen creates such a placeholder, and a fill replay does
    not see orders.
    """
    for token_id in sorted(expected.keys() | table.keys()):
        want = expected.get(token_id)
        row = table.get(token_id)
        if want is None:
            assert row is not None
            if not (flat_is_absent and row.qty == row.cost_basis == row.realized_pnl == 0):
                yield PositionDifference(token_id, "row", None, "present")
            continue
        if row is None:
            if not (flat_is_absent and want.qty == want.cost == want.realized == 0):
                yield PositionDifference(token_id, "row", "present", None)
            continue
        for field, journal_value, table_value in (
            ("market_id", want.market_id, row.market_id),
            ("outcome", want.outcome, row.outcome),
            ("qty", want.qty, row.qty),
            ("cost_basis", want.cost, row.cost_basis),
            ("realized_pnl", want.realized, row.realized_pnl),
        ):
            if journal_value != table_value:
                yield PositionDifference(token_id, field, journal_value, table_value)


def verify_session(
    store: PersistenceLayer,
    session_id: str,
    *,
    cls: Callable[..., JournaledManager] | None = None,
) -> VerifyReport:
    """Fill-replay verification: rebuild positions from the journal and compare the tables.

    Positions come from the journal's fills, mints, merges and loaded positions alone, through
    the ledger's own arithmetic (exact micro-USDC); they must equal the positions table. Every
    fill the journal accepted must be in the fills table exactly once, and the table must hold
    no other fill of the session. Needs no lock: verify reads a consistent snapshot. A journal
    row that holds no valid event raises `StoreError` naming it, as recovery does.
    """
    with store.snapshot():
        return _verify(store, session_id, cls or InventoryManager)


def _verify(
    store: PersistenceLayer, session_id: str, cls: Callable[..., JournaledManager]
) -> VerifyReport:
    session = store.load_session(session_id)
    # A position-only replay finds orders it never saw: its anomalies are not the session's.
    manager = cls(
        Decimal(session.initial_capital) / MICRO, track_fill_ids=False, log_anomalies=False
    )
    duplicates = _ReplayJournal()
    events = 0
    journal_fills: list[str] = []
    for row in store.iter_journal(session_id):
        events += 1
        # Every row is decoded, so verify refuses a corrupted journal as recovery does.
        event = _decode_row(row.seq, row.kind, row.payload)
        if row.kind not in _POSITION_KINDS:
            continue
        if not row.duplicate and isinstance(event, BuyFilled | SellFilled):
            journal_fills.append(event.fill_id or _synthetic_fill_id(session_id, row.seq))
        _replay_row(manager, duplicates, row, event)
    table = {row.token_id: row for row in store.load_positions(session_id)}
    replayed = _replayed_positions(manager)
    differences = tuple(_position_differences(replayed, table, flat_is_absent=True))
    problems = list(_fill_problems(journal_fills, store, session_id))
    problems += _market_problems(manager, store)
    return VerifyReport(
        session_id, events, len(journal_fills), len(table), differences, tuple(problems)
    )


_POSITION_KINDS: Final = frozenset(
    {
        BuyFilled.kind,
        SellFilled.kind,
        MintConfirmed.kind,
        MergeConfirmed.kind,
        PositionsLoaded.kind,
    }
)


def _fill_problems(journal: list[str], store: PersistenceLayer, session_id: str) -> Iterator[str]:
    table = [f.fill_id for f in store.load_fills(session_id)]
    if table == journal:
        return
    in_table = set(table)
    in_journal = set(journal)
    for fill_id in journal:
        if fill_id not in in_table:
            yield f"fill {fill_id} is journaled but missing from the fills table"
    for fill_id in table:
        if fill_id not in in_journal:
            yield f"fill {fill_id} is in the fills table but not in the journal"
    if len(in_table) != len(table):
        yield "the fills table holds a fill id more than once"
    if len(in_journal) == len(journal) and in_table == in_journal and len(table) == len(journal):
        yield "the fills table holds the journal's fills in another order"


def _market_problems(manager: JournaledManager, store: PersistenceLayer) -> Iterator[str]:
    outcome_of: dict[str, str] = {}
    for market in store.load_markets():
        if market.yes_token_id is not None:
            outcome_of[market.yes_token_id] = "YES"
        if market.no_token_id is not None:
            outcome_of[market.no_token_id] = "NO"
    for token_id in manager.token_ids():
        record = manager.position_record(token_id)
        assert record is not None
        registered = outcome_of.get(record.token_id)
        if registered is not None and registered != record.outcome.value:
            yield (
                f"token {record.token_id} is {record.outcome.value} in the journal but "
                f"{registered} in the markets table"
            )
