"""The journal: binds an InventoryManager to a store and recovers it from the journal alone.

The manager applies each accepted event to its memory and then calls `Journal.commit(event,
manager)`, which writes, in one transaction, the event's journal row and its consequences
(order, fill, position, mint and session rows) read back from the manager's records. If commit
raises, the manager restores its memory, so memory and disk never disagree. A batch plans the
same rows event by event and writes them in one transaction (`batch.py`).

The journal is the whole truth: its first row (`SessionOpened`) holds the session's capital,
mode and start, each row is chained to the one before by a hash, and every other table is a
cache of it. Recovery replays the journal through a fresh manager, refuses a journal that cannot
be the whole truth (`JournalInconsistent`: a hole or a renumbered row in the sequence, a broken
hash chain, an empty journal beside tables that hold the session), and rebuilds a cache that
differs from the replay, recording each difference as an anomaly (`verify.py` compares).
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import hashlib
import logging
import operator
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, Final, NamedTuple, Protocol, TypeVar

import orjson

from weatherman_inventory._native import (
    JournalDecoder,
    JournalRows,
    journal_chain_mismatch,
    journal_read,
    journal_row_digest,
)
from weatherman_inventory.accounts import UPSERT_ACCOUNT, AccountSource, account_params
from weatherman_inventory.errors import (
    DuplicateFill,
    InvalidInput,
    StoreError,
)
from weatherman_inventory.events import (
    EVENT_TYPES,
    FILL_EVENTS,
    FROM_FIELDS,
    JOURNAL_FORMAT,
    MICRO,
    SESSION_OPENED_FROM_FIELDS,
    BuyCancelled,
    BuyFilled,
    BuySubmitted,
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
    RedemptionConfirmed,
    RedemptionFailed,
    RedemptionSubmitted,
    SellCancelled,
    SellFilled,
    SellSubmitted,
    SessionOpened,
    check_id,
    decoders_for,
    legacy_fields,
    native_decoder_kinds,
)
from weatherman_inventory.manager import AnomalyKind
from weatherman_inventory.models import Outcome
from weatherman_inventory.resolution import ResolutionRecord
from weatherman_inventory.store import (
    _INSERT_FILL,
    JOURNAL_GENESIS,
    PersistenceLayer,
    PositionRow,
    check_int,
    journal_row_hash,
)
from weatherman_inventory.store.backend import Write

if TYPE_CHECKING:
    from weatherman_inventory.verify import VerifyReport

__all__ = [
    "EventRun",
    "Journal",
    "JournaledManager",
    "OnEvents",
    "OnPause",
    "Replayed",
    "decode_event",
    "encode_event",
    "observed_replays",
    "open_session",
    "recover_session",
    "replay_checked",
    "verify_session",
]

TIFS: Final = frozenset({"GTC", "GTD", "FOK"})
"""Times in force the orders table accepts."""


_log = logging.getLogger("weatherman_inventory")


class JournaledManager(AccountSource, Protocol):
    """What the journal needs of a manager (the InventoryManager provides it): what its
    accounts row is read from, and the records below."""

    log_anomalies: bool

    def anomalies(self) -> tuple[Any, ...]: ...

    @property
    def exit_triggered(self) -> bool: ...

    @property
    def initial_capital_micro(self) -> int: ...

    def apply(self, event: Any) -> None: ...

    def _replay(self, events: Iterable[Any]) -> None: ...

    def order_record(self, local_id: str) -> OrderRecord | None: ...

    def order_ids(self) -> tuple[str, ...]: ...

    def exchange_order_id(self, local_id: str) -> str | None: ...

    def position_record(self, token_id: str) -> PositionRecord | None: ...

    def fill_record(self, fill_id: str) -> Any: ...

    def token_ids(self) -> tuple[str, ...]: ...

    def resolution_record(self, condition_id: str) -> ResolutionRecord | None: ...

    def resolved_conditions(self) -> tuple[str, ...]: ...

    def orders_cancelled_at_resolution(self, condition_id: str) -> tuple[str, ...]: ...

    def condition_token_ids(self, condition_id: str) -> tuple[str, ...]: ...

    def record_anomaly(self, kind: AnomalyKind, event: Any, message: str) -> None: ...

    def _bind(self, journal: Any) -> None: ...


M = TypeVar("M", bound=JournaledManager)


# -- the event codec ---------------------------------------------------------------------
# A journal row's payload is the event's fields in declaration order, as a JSON array: no
# field names, so a fill is about 60 bytes, and decoding is one orjson call and a constructor.

_FIELDS: Final = {cls.kind: tuple(f.name for f in dataclasses.fields(cls)) for cls in EVENT_TYPES}


def _reader(names: tuple[str, ...]) -> Callable[[Event], tuple[Any, ...]]:
    """A function giving an event's `names` fields as a tuple, in one C call from two on."""
    if len(names) > 1:
        return operator.attrgetter(*names)
    return lambda event: tuple(getattr(event, name) for name in names)


_VALUES: Final = {kind: _reader(names) for kind, names in _FIELDS.items()}
"""Each kind's field reader: an event's fields in journal order."""
_KIND_BYTES: Final = {kind: kind.encode() for kind in _FIELDS}
"""Each kind as the journal's hash reads it (`journal_row_digest`)."""
_TEXT: Final[dict[OrderStatus | Outcome, str]] = {m: m.value for m in (*OrderStatus, *Outcome)}
"""Each order status and outcome as the tables spell it (a lookup: `.value` is Python code)."""
_OUTCOMES: Final = {o.value: o for o in Outcome}
_LOADED_FIELDS: Final = tuple(f.name for f in dataclasses.fields(LoadedPosition))


def encode_event(event: Event, journal_format: int = JOURNAL_FORMAT) -> bytes:
    """The journal payload of an event (compact JSON array of its fields), in the units of
    `journal_format` (a session keeps the format its first row names)."""
    if journal_format < JOURNAL_FORMAT:
        values: list[Any] | tuple[Any, ...] = legacy_fields(event)
    elif isinstance(event, PositionsLoaded):
        values = [[[getattr(r, f) for f in _LOADED_FIELDS] for r in event.rows]]
    else:
        values = _VALUES[event.kind](event)
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


def _decode_row(
    seq: int | None,
    kind: object,
    payload: object,
    decoders: dict[str, Callable[[object], Event]] = FROM_FIELDS,
) -> Event:
    """The checked event of one journal row (in the units `decoders` read), or a `StoreError`
    naming the row."""
    decode = decoders.get(kind) if isinstance(kind, str) else None
    if decode is None:
        raise _unknown_kind(seq, kind)
    try:
        return decode(orjson.loads(payload))  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        # ValueError: InvalidInput naming a field, or malformed JSON; TypeError: a payload that
        # is neither bytes nor text.
        raise _invalid_row(seq, kind, exc) from exc


def decode_event(kind: str, payload: bytes, journal_format: int = JOURNAL_FORMAT) -> Event:
    """The event a journal payload holds, checked: `StoreError` if it holds no valid event.

    `journal_format` is the units of the row's session (`events.JOURNAL_FORMAT`; 1 for a
    session opened in whole contracts and cents)."""
    return _decode_row(None, kind, payload, decoders_for(journal_format))


# -- writing -----------------------------------------------------------------------------

_INSERT_JOURNAL: Final = (
    "INSERT INTO journal (session_id, seq, kind, payload, duplicate, recorded_at, hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
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
_DELETE_POSITION: Final = (
    "DELETE FROM positions WHERE market_id = ? AND token_id = ? AND session_id = ?"
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
_UPSERT_RESOLUTION: Final = (
    "INSERT INTO resolutions (session_id, condition_id, yes_payout, no_payout, redemption, paid, "
    "resolved_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT(session_id, condition_id) DO UPDATE SET yes_payout = excluded.yes_payout, "
    "no_payout = excluded.no_payout, redemption = excluded.redemption, paid = excluded.paid, "
    "updated_at = excluded.updated_at"
)
_SET_EXCHANGE_ID: Final = (
    "UPDATE orders SET exchange_order_id = ?, updated_at = ? WHERE local_id = ? AND session_id = ?"
)


class _PlannedRow(NamedTuple):
    """A journal row and the table writes of its event, ready to be written."""

    seq: int
    kind: str
    payload: bytes
    duplicate: int
    recorded_at: int
    digest: bytes
    writes: list[Write]
    fill_id: str | None

    def journal_values(self) -> tuple[Any, ...]:
        """The journal row's columns after the session id."""
        return self[:6]


# Rows a batch writes at most once, with their last values: statement -> the columns that
# name the row (positions of its parameters).
_KEYED: Final = {
    _UPSERT_ORDER: (0,),
    _UPSERT_POSITION: (0, 1, 2),
    _UPSERT_RESOLUTION: (0, 1),
    UPSERT_ACCOUNT: (0,),
}
# A statement that deletes such a row (same key): a later write of it goes after the delete.
_DELETES: Final = {_DELETE_POSITION: _UPSERT_POSITION}
_PARAMETERS_PER_INSERT: Final = 50
"""A multi-row insert binds at most this many values: drivers cache the parsing of such
statements (psycopg parses a longer one again at every call, which costs more than it saves)."""


def _grouped(rows: tuple[_PlannedRow, ...]) -> list[Write]:
    """The table writes of several rows, in fewer statements and the same final tables.

    An upserted row (order, position, resolution, account) is written once, where it was first
    written, with the values of its last write: a statement that updates such a row in between
    (an exchange id) then finds it there, and the columns it sets are not the upsert's; one that
    deletes it (a position moved to another market) ends that run, and a later write of the
    row starts another after it. The
    fills are inserted together where the first one was, in order. Every other write keeps
    its place."""
    writes: list[Write] = []
    slot: dict[tuple[str, tuple[Any, ...]], int] = {}
    fills: list[tuple[Any, ...]] = []
    fills_at = -1
    for row in rows:
        for write in row.writes:
            sql, params, _local_id = write
            key_columns = _KEYED.get(sql)
            if key_columns is not None:
                key = (sql, tuple(params[i] for i in key_columns))
                at = slot.get(key)
                if at is None:
                    slot[key] = len(writes)
                    writes.append(write)
                else:
                    writes[at] = write
            elif sql in _DELETES:
                slot.pop((_DELETES[sql], tuple(params)), None)
                writes.append(write)
            elif sql is _INSERT_FILL:
                if fills_at < 0:
                    fills_at = len(writes)
                    writes.append(write)
                fills.append(params)
            else:
                writes.append(write)
    if len(fills) > 1:
        writes[fills_at : fills_at + 1] = [
            (_insert_many(_INSERT_FILL, len(chunk)), sum(chunk, ()), None)
            for chunk in _chunks(fills)
        ]
    return writes


def _chunks(rows: list[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    size = max(1, _PARAMETERS_PER_INSERT // len(rows[0]))
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


@functools.cache
def _insert_many(insert: str, count: int) -> str:
    """`insert` (an INSERT ... VALUES (?, ...) statement) with `count` rows of values."""
    head, _, values = insert.partition(" VALUES ")
    return f"{head} VALUES {', '.join([values] * count)}"


class Journal:
    """Writes a manager's accepted events to one session of a store.

    Holds the session's writer lock for as long as it is open. `commit` is the manager's hook:
    it plans every row from the event and the manager's post-event records, refuses with
    `InvalidInput` what a column cannot hold (before writing anything), then writes the plan
    and the journal row in one transaction. Inside a batch (`batch.py`) the manager calls `plan`
    instead, for each event as it is applied, and `write_planned` once at the end: the same rows,
    numbered and chained in order, in one transaction; `seq` and `head` move only once it
    commits.
    """

    def __init__(
        self,
        store: PersistenceLayer,
        session_id: str,
        last_seq: int,
        head: bytes = JOURNAL_GENESIS,
        journal_format: int = JOURNAL_FORMAT,
    ) -> None:
        self.store = store
        self.journal_format = journal_format
        """The units of the session's rows, as its first row names them."""
        self.session_id = session_id
        self._sid_bytes = session_id.encode("utf-8", "surrogatepass")
        self.seq = last_seq
        self.head = head
        """The hash of the last row written (the chain's head)."""
        self._now_ms = -1
        self._now = ""
        self._pending: list[_PlannedRow] = []
        self.position_markets: dict[str, set[str]] = {}
        """Each token's markets its positions rows may be under (a superset: a plan may be
        rolled back). The table's key holds the market, so a position the ledger moves to
        another market (a placeholder identified, a loaded row) would leave its old row behind:
        each write of the token deletes its rows under the others."""

    def fill_booked(self, fill_id: str) -> bool:
        """Whether the store's fills table holds `fill_id` (a fill booked before), or a planned
        row inserts it."""
        return any(row.fill_id == fill_id for row in self._pending) or self.store.fill_booked(
            fill_id
        )

    def close(self, *, ended: bool = False) -> None:
        """Give up the session's writer lock (the store stays open); `ended` records that the
        session is over, else that it stopped and may be recovered."""
        self.store.unlock_session(self.session_id, ended=ended)

    def commit(self, event: Event, manager: JournaledManager) -> None:
        """Journal one event the manager has just applied, with its consequences."""
        row = self._planned_row(event, manager, self.seq + 1, self.head)
        try:
            self._write((row,))
        except DuplicateFill:
            # The fill is journaled as refused, so replay records the same anomaly the manager
            # records now, and the journal stays the exact sequence of calls.
            digest = self._digest(self.head, row.seq, row.kind, row.payload, 1, row.recorded_at)
            self._write((row._replace(duplicate=1, digest=digest, writes=[], fill_id=None),))
            raise

    # -- group commit: plan rows now, write them together later -------------------------------

    def plan(self, event: Event, manager: JournaledManager, *, duplicate: bool = False) -> None:
        """Plan the journal row and table writes of an event the manager has just applied, as
        `commit` would write them, numbered and chained after the rows already planned; nothing
        is written until `write_planned`. Raises (planning nothing) what `commit` would refuse
        before writing. `duplicate`: a fill the store holds, refused and not applied: its row
        alone, marked duplicate."""
        pending = self._pending
        last = pending[-1] if pending else None
        seq, head = (self.seq, self.head) if last is None else (last.seq, last.digest)
        pending.append(self._planned_row(event, manager, seq + 1, head, duplicate=duplicate))

    def planned(self) -> int:
        """How many rows are planned and not yet written."""
        return len(self._pending)

    def drop_planned(self, keep: int = 0) -> None:
        """Forget the planned rows after the first `keep`."""
        del self._pending[keep:]

    def write_planned(self) -> None:
        """Write every planned row and its table writes in one transaction; `seq` and `head`
        advance only once it commits. The plan is dropped whether or not it commits: a failed
        transaction (`DuplicateFill` for a repeated fill id) wrote nothing."""
        rows = tuple(self._pending)
        self._pending.clear()
        if rows:
            self._write(rows)

    def _planned_row(
        self,
        event: Event,
        manager: JournaledManager,
        seq: int,
        head: bytes,
        *,
        duplicate: bool = False,
    ) -> _PlannedRow:
        payload = encode_event(event, self.journal_format)
        recorded_at = time.time_ns() // 1000
        if recorded_at // 1000 != self._now_ms:
            # Formatting a datetime costs more than the rest of a commit's Python: the row
            # timestamps are formatted at most once a millisecond.
            self._now_ms = recorded_at // 1000
            self._now = datetime.fromtimestamp(self._now_ms / 1000, UTC).isoformat()
        if duplicate:
            writes: list[Write] = []
            fill_id = None
        else:
            writes, fill_id = self._plan(event, manager, self._now, seq)
        flag = int(duplicate)
        kind = event.kind
        digest = self._digest(head, seq, kind, payload, flag, recorded_at)
        return _PlannedRow(seq, kind, payload, flag, recorded_at, digest, writes, fill_id)

    def _digest(  # noqa: PLR0917 (a journal row's columns, in order)
        self, head: bytes, seq: int, kind: str, payload: bytes, duplicate: int, recorded_at: int
    ) -> bytes:
        """`journal_row_hash` of this session's row, in one native call."""
        sid = self._sid_bytes
        return journal_row_digest(
            head, sid, seq, _KIND_BYTES[kind], payload, bool(duplicate), recorded_at
        )

    def _write(self, rows: tuple[_PlannedRow, ...]) -> None:
        """Write `rows` in one transaction, then move `seq` and `head` to the last one.

        Several rows (a batch) are written grouped (`_grouped`): the journal rows and the fill
        rows each as multi-row inserts, and each order, position and resolution row once, with
        its last values: the same tables as one commit per event, in far fewer statements."""
        sid = self.session_id
        if len(rows) == 1:
            [row] = rows
            writes = [(_INSERT_JOURNAL, (sid, *row.journal_values()), None), *row.writes]
            fill_id = row.fill_id
        else:
            writes = [
                (_insert_many(_INSERT_JOURNAL, len(chunk)), sum(chunk, ()), None)
                for chunk in _chunks([(sid, *row.journal_values()) for row in rows])
            ]
            writes += _grouped(rows)
            fill_id = next((row.fill_id for row in rows if row.fill_id is not None), None)
        self.store.write(writes, fill_id)
        last = rows[-1]
        self.seq = last.seq
        self.head = last.digest

    def _plan(
        self, event: Event, manager: JournaledManager, now: str, seq: int | None = None
    ) -> tuple[list[Write], str | None]:
        """The table writes of `event` (the journal's row `seq`, default the next one) and the
        fill id it inserts, if any."""
        sid = self.session_id
        journal_seq = self.seq + 1 if seq is None else seq
        writes: list[Write] = []
        fill_id: str | None = None
        if isinstance(event, FILL_EVENTS):
            fill_id = event.fill_id
            if fill_id is None:
                fill_id = _synthetic_fill_id(sid, journal_seq)
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
                        event.fill_qty_micro,
                        event.price_micro,
                        event.fee_micro,
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
            amount = check_int("amount_micro", event.amount_micro)
            writes.append((_INSERT_MINT, (sid, event.condition_id, "MINT", amount, now), None))
        elif isinstance(event, MergeSubmitted):
            # $1 a pair: the amount in micro-USDC is the pair count in micro-shares.
            amount = check_int("pair_count_micro", event.pair_count_micro)
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
        elif isinstance(event, FillStatusChanged):
            rec = manager.fill_record(event.fill_id)
            if rec is not None:
                self._plan_order(writes, manager, rec.local_id, now)
                self._plan_position(writes, manager, rec.token_id, now)
        elif isinstance(event, PositionReconciled):
            self._plan_position(writes, manager, event.token_id, now)
        elif isinstance(event, OrderAdopted | OrderDropped):
            self._plan_order(writes, manager, event.local_id, now)
            record = manager.order_record(event.local_id)
            if record is not None and record.side == "sell":
                self._plan_position(writes, manager, record.token_id, now)
            if (
                isinstance(event, OrderAdopted)
                and manager.exchange_order_id(event.local_id) == event.exchange_order_id
            ):
                params = (event.exchange_order_id, now, event.local_id, sid)
                writes.append((_SET_EXCHANGE_ID, params, None))
        elif isinstance(event, MarketResolved):
            for local_id in manager.orders_cancelled_at_resolution(event.condition_id):
                self._plan_order(writes, manager, local_id, now)
            self._plan_resolution(writes, manager, event.condition_id, now)
        elif isinstance(event, RedemptionSubmitted | RedemptionConfirmed | RedemptionFailed):
            if isinstance(event, RedemptionConfirmed):
                for token_id in manager.condition_token_ids(event.condition_id):
                    self._plan_position(writes, manager, token_id, now)
            self._plan_resolution(writes, manager, event.condition_id, now)
        elif (
            isinstance(event, ExchangeOrderIdAssigned)
            and manager.exchange_order_id(event.local_id) == event.exchange_order_id
        ):
            # Only an id the ledger took: a conflicting one is an anomaly, not a row.
            params = (event.exchange_order_id, now, event.local_id, sid)
            writes.append((_SET_EXCHANGE_ID, params, None))
        writes.append((UPSERT_ACCOUNT, account_params(manager, sid, journal_seq, now), None))
        return writes, fill_id

    def _plan_order(
        self, writes: list[Write], manager: JournaledManager, local_id: str, now: str
    ) -> None:
        record = manager.order_record(local_id)
        if record is None:
            return
        qty, filled = record.qty_micro, record.filled_qty_micro
        reserved, reserved_qty = record.reserved_micro, record.reserved_qty_micro
        writes.append(
            (
                _UPSERT_ORDER,
                (
                    local_id,
                    self.session_id,
                    record.market_id,
                    record.token_id,
                    record.side,
                    qty,
                    record.limit_micro,
                    record.tif,
                    _TEXT[record.status],
                    filled,
                    reserved,
                    reserved_qty,
                    now,
                    now,
                ),
                local_id,
            )
        )

    def _plan_resolution(
        self, writes: list[Write], manager: JournaledManager, condition_id: str, now: str
    ) -> None:
        record = manager.resolution_record(condition_id)
        if record is None:
            return  # a redemption of a condition the ledger has not seen resolved: no row
        params = (
            self.session_id,
            condition_id,
            record.yes_payout_micro,
            record.no_payout_micro,
            record.redemption,
            check_int("paid_micro", record.paid_micro),
            now,
            now,
        )
        writes.append((_UPSERT_RESOLUTION, params, None))

    def _plan_position(
        self, writes: list[Write], manager: JournaledManager, token_id: str, now: str
    ) -> None:
        record = manager.position_record(token_id)
        if record is None:
            return
        markets = self.position_markets.get(token_id)
        if markets is None:
            self.position_markets[token_id] = {record.market_id}
        elif record.market_id not in markets or len(markets) > 1:
            for market_id in sorted(markets - {record.market_id}):
                writes.append((_DELETE_POSITION, (market_id, token_id, self.session_id), None))
            markets.add(record.market_id)
        qty, cost, realized = record.qty_micro, record.cost_micro, record.realized_micro
        writes.append(
            (
                _UPSERT_POSITION,
                (
                    record.market_id,
                    token_id,
                    self.session_id,
                    qty,
                    cost * MICRO // qty if qty else 0,  # micro-USDC per share
                    realized,
                    now,
                    cost,
                    _TEXT[record.outcome],
                ),
                None,
            )
        )


def _synthetic_fill_id(session_id: str, seq: int) -> str:
    """The fills table's id of a fill that came without one: unique across sessions, and never
    a Polymarket fill id (those are hex strings or UUIDs)."""
    return f"synthetic:{session_id}:{seq}"


def _duplicate_of(seq: int, event: Event) -> str:
    """The fill id of a fill the store refused as a duplicate."""
    fill_id = getattr(event, "fill_id", None)
    if not isinstance(fill_id, str):
        raise StoreError(f"journal row {seq} is marked duplicate but is not a fill with an id")
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

    The sessions row and the journal's first row, `SessionOpened`, are one transaction.
    `markets` are (market_id, condition_id, yes_token_id, no_token_id), registered with the
    session so outcomes are known to readers. Raises `SessionExists` for a known session,
    `SessionLocked` if another process writes it or this store has handed it out already; a
    refusal leaves the session's lock as it was.
    """
    check_id("session_id", session_id)
    for name, value in (("strategy_id", strategy_id), ("config_json", config_json)):
        if not isinstance(value, str):
            raise InvalidInput(name, value, "a string is required")
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
        recorded_at = time.time_ns() // 1000
        started = datetime.fromtimestamp((recorded_at // 1000) / 1000, UTC)
        opened = SessionOpened(capital, store.mode, strategy_id, config_json)
        head = store.insert_session(
            session_id,
            store.mode,
            strategy_id,
            config_json,
            started,
            initial_capital=capital,
            first_row=(opened.kind, _encode_opened(opened), recorded_at),
        )
        assert head is not None
    except BaseException:
        store.unlock_session(session_id)
        raise
    manager._bind(Journal(store, session_id, 1, head))
    return manager


def row_time(recorded_at: int) -> str:
    """A journal row's time (microseconds since the epoch) as the tables spell it: ISO 8601 to
    the millisecond, UTC, as `Journal.commit` formats it."""
    return datetime.fromtimestamp((recorded_at // 1000) / 1000, UTC).isoformat()


def _encode_opened(opened: SessionOpened) -> bytes:
    return orjson.dumps([getattr(opened, f.name) for f in dataclasses.fields(opened)])


def session_capital(
    store: PersistenceLayer, session_id: str, opened: SessionOpened | None
) -> Decimal:
    """The session's initial capital in dollars: from its journal's `SessionOpened`, or, for a
    journal written before it existed, from the sessions row (the only source it has)."""
    if opened is not None:
        return Decimal(opened.initial_capital_micro) / MICRO
    return Decimal(store.load_session(session_id).initial_capital) / MICRO


_REPLAY_BATCH: Final = 512
"""Journal rows recovery reads, decodes and applies at a time."""

JournalRowTuple = tuple[int, str, bytes, int, int, bytes | None]
"""A journal row as `PersistenceLayer.journal_rows` gives it: (seq, kind, payload, duplicate,
recorded_at, hash)."""


@dataclass(slots=True)
class Replayed:
    """A replayed journal: the manager (bound to nothing) and what the cache checks need.

    `fill_digest` is the sha256 over the journal's accepted fills as the fills table holds them,
    each as the JSON array of its row followed by a comma (`fills` lists them when collected),
    `mints` the mint_events rows the journal implies, `findings` what a lenient replay found
    wrong with the journal itself.
    """

    manager: Any
    opened: SessionOpened | None
    started_at: str = ""
    """The session's start as the sessions row spells it: the `session_opened` row's time."""
    events: int = 0
    last_seq: int = 0
    head: bytes = JOURNAL_GENESIS
    fill_count: int = 0
    fill_digest: bytes = b""
    fills: list[tuple[str, str, str, str, int, int, int]] | None = None
    mints: list[list[Any]] = dataclasses.field(default_factory=list)
    findings: list[Any] = dataclasses.field(default_factory=list)


def replay(cls: Callable[..., M], store: PersistenceLayer, session_id: str) -> M:
    """A manager holding exactly the session's journaled state, bound to nothing.

    Refuses with `JournalInconsistent` a journal that is not whole (see `replay_checked`).
    """
    manager: M = replay_checked(cls, store, session_id, strict=True).manager
    return manager


_FILL_KINDS: Final = frozenset({BuyFilled.kind, SellFilled.kind})
_MINT_KINDS: Final = frozenset(
    {
        MintSubmitted.kind,
        MergeSubmitted.kind,
        MintConfirmed.kind,
        MergeConfirmed.kind,
        MintFailed.kind,
        MergeFailed.kind,
    }
)


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off for the block (and as it was after it).

    A replay allocates an object or more per event and builds no cycles; the collector would
    run every few hundred allocations and, ever more often, walk the whole growing ledger
    (a fifth of a long recovery's time). Memory is freed by reference counts meanwhile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@cyclic_gc_paused()
def replay_checked(
    cls: Callable[..., M],
    store: PersistenceLayer,
    session_id: str,
    *,
    strict: bool,
    collect_fills: bool = False,
    until_seq: int | None = None,
    pause_every: int | None = None,
    pause_at: Iterable[int] = (),
    on_pause: OnPause | None = None,
    on_events: OnEvents | None = None,
) -> Replayed:
    """Replay the session's journal, checking that it is whole on the way.

    Streams the journal, so memory holds one batch of rows, not the journal. Checks every row's
    sequence number (1..N without a hole) and hash (chained from the row before), and that only
    the first row is a `SessionOpened`; a journal with no rows is whole only if no other table
    holds the session. `strict` raises `JournalInconsistent` at the first such fault (recovery);
    otherwise each becomes a `verify.Finding` and the replay goes on (verify). A row that holds
    no valid event raises `StoreError` naming it in both modes. Rows the store refused as
    duplicate fills go through the manager's own duplicate path.

    A partial or observed replay, on the native path as on the Python one:
    - `until_seq`: stop after that row (the result holds the state after it);
    - `on_pause(seq, recorded_at, manager)`: called with the state after each row whose number
      is a multiple of `pause_every` and after each row of `pause_at` (the manager is the
      replay's own: read it, do not change it);
    - `on_events(run)`: each `EventRun` of rows' events, in journal order, before they are
      applied.
    Without `on_pause`, the pauses of an enclosing `observed_replays` apply.
    """
    from weatherman_inventory.verify import Finding  # noqa: PLC0415 (verify imports this module)

    if until_seq is not None and (type(until_seq) is not int or until_seq < 0):
        raise InvalidInput("until_seq", until_seq, "a journal row number (0 or more) is required")
    if pause_every is not None and (type(pause_every) is not int or pause_every < 1):
        raise InvalidInput("pause_every", pause_every, "a positive integer is required")
    if on_pause is None and (observed := _OBSERVED.get()) is not None:
        pause_every, on_pause = observed
        pause_at = ()
    pauses = _Pauses(pause_every, pause_at, on_pause)
    result = Replayed(None, None)
    findings: list[Finding] = result.findings

    def fault(finding: Finding, reason: str) -> None:
        if strict:
            raise finding.error(reason)
        findings.append(finding)

    batches = store.journal_rows(session_id, batch=_REPLAY_BATCH)
    first = next(batches, [])
    manager: Any = None
    if first and first[0][0] == 1 and first[0][1] == SessionOpened.kind:
        seq, kind, payload, _dup, recorded_at, _hash = first[0]
        try:
            result.opened = SESSION_OPENED_FROM_FIELDS(orjson.loads(payload))
        except (ValueError, TypeError) as exc:
            raise _invalid_row(seq, kind, exc) from exc
        result.started_at = row_time(recorded_at)
    # What the replay finds again was logged when it happened: record it, do not log it twice.
    manager = cls(
        session_capital(store, session_id, result.opened),
        track_fill_ids=False,
        log_anomalies=False,
    )
    result.manager = manager
    if not first:
        counts = store.session_row_counts(session_id)
        held = ", ".join(f"{n} {table}" for table, n in counts.items() if n)
        if held:
            fault(
                Finding("journal", "seq 1", "row", None, held),
                "the journal is empty while the other tables hold the session",
            )
        return result
    # A session's units are told by its first row: one opened before the format field (or a
    # version-1 journal without a first row) wrote whole contracts and cents.
    fmt = 1 if result.opened is None else result.opened.journal_format
    replay = _Replay(
        result,
        session_id,
        fault,
        Finding,
        decoders_for(fmt),
        collect_fills=collect_fills,
        until=until_seq,
        pauses=pauses,
        on_events=on_events,
    )
    # The native decoder takes the current format, and `fills` are collected in Python.
    native = fmt >= JOURNAL_FORMAT and not collect_fills
    replay.rows(first, native=native)
    uri = store.native_uri() if native and len(first) == _REPLAY_BATCH else None
    if uri is not None and not replay.done:
        # The rest is read natively; what the native reader cannot read, with `journal_rows`.
        unread = replay.scan(uri)
        after = replay.expected - 1
        batches = (
            store.journal_rows(session_id, batch=_REPLAY_BATCH, after=after) if unread else iter(())
        )
    for rows in batches:
        if replay.done:
            break
        replay.rows(rows, native=native)
    result.events = replay.n_events
    result.fill_count = replay.n_fills
    result.fill_digest = replay.fill_digest.digest()
    result.head = replay.previous
    result.last_seq = replay.expected - 1
    return result


_SCAN_BATCH: Final = 4096
"""Journal rows a native read (`journal_read`) takes at a time."""

OnPause = Callable[[int, int, Any], None]
"""`on_pause(seq, recorded_at, manager)`: the replay's manager holds the state after row `seq`,
recorded at `recorded_at` (microseconds since the epoch)."""


@dataclass(frozen=True, slots=True)
class EventRun:
    """Events a replay is about to apply: `events[i]` is journal row `seq + i`'s. `duplicate`:
    a fill the store refused as a duplicate (alone in its run), which the manager refuses
    again."""

    seq: int
    events: list[Event]
    duplicate: bool
    recorded: Callable[[int], int]
    """`recorded(i)`: when row `seq + i` was recorded (microseconds since the epoch)."""


OnEvents = Callable[[EventRun], None]

_NEVER: Final = 1 << 63
"""A pause no journal row reaches."""

_OBSERVED: ContextVar[tuple[int, OnPause] | None] = ContextVar("observed_replays", default=None)


@contextmanager
def observed_replays(every: int, on_pause: OnPause) -> Iterator[None]:
    """Inside: every `replay_checked` not given its own `on_pause` calls `on_pause` after each
    `every`-th row (a progress bar for verify, recovery or a cache rebuild, whose replays run
    deep inside them)."""
    if type(every) is not int or every < 1:
        raise InvalidInput("every", every, "a positive integer is required")
    token = _OBSERVED.set((every, on_pause))
    try:
        yield
    finally:
        _OBSERVED.reset(token)


class _Pauses:
    """When a replay pauses: after every `every`-th row and after each row of `at`."""

    def __init__(self, every: int | None, at: Iterable[int], on_pause: OnPause | None) -> None:
        self.on_pause = on_pause
        self.every = every if on_pause is not None else None
        self.at = sorted(set(at)) if on_pause is not None else []
        self._next_at = 0
        self.next = self.after(0)

    def after(self, seq: int) -> int:
        """The first row after `seq` to pause at (`_NEVER` if none)."""
        nxt = _NEVER if self.every is None else (seq // self.every + 1) * self.every
        at = self.at
        i = self._next_at
        while i < len(at) and at[i] <= seq:
            i += 1
        self._next_at = i
        return min(nxt, at[i]) if i < len(at) else nxt


class _Replay:
    """The state of `replay_checked` once the first rows are read: what the next row must be
    (`expected`, chained to `previous`), the fills digest, and the manager the events go to.

    Rows are decoded a run at a time by the native decoder (`rows`, or `scan`, whose rows are
    read and chained natively in a thread) and applied a batch at a time; the rows it leaves
    (the first row, mints, duplicates, faults, values outside the common case) go through
    `row`, one at a time.
    """

    def __init__(
        self,
        result: Replayed,
        session_id: str,
        fault: Callable[[Any, str], None],
        finding: Callable[..., Any],
        decoders: dict[str, Callable[[object], Event]],
        *,
        collect_fills: bool,
        until: int | None,
        pauses: _Pauses,
        on_events: OnEvents | None,
    ) -> None:
        self.result = result
        self.manager: Any = result.manager
        self.session_id = session_id
        self.fault = fault
        self.finding = finding
        self.decoders = decoders
        self.fills = result.fills = [] if collect_fills else None
        self.opened_kind = SessionOpened.kind if result.opened is not None else None
        self.duplicates = _ReplayJournal()
        self.fill_digest = hashlib.sha256()
        self.expected = 1
        self.previous = JOURNAL_GENESIS
        self.n_events = 0
        self.n_fills = 0
        self.until = until
        self.pauses = pauses
        self.on_events = on_events
        self.pending: list[Event] = []
        """Events queued for the manager, applied a batch at a time and at each pause."""

    @property
    def done(self) -> bool:
        """Whether the replay reached `until`."""
        return self.until is not None and self.expected > self.until

    def rows(self, rows: list[JournalRowTuple], *, native: bool) -> None:
        """Check and apply a batch of rows as `PersistenceLayer.journal_rows` gives them."""
        until = self.until
        if until is not None and rows and rows[-1][0] > until:
            rows = [row for row in rows if row[0] <= until]
        # The chain is checked natively a batch at a time: `bad` is the next row whose stored
        # hash the native check could not confirm; that row is hashed again, in Python.
        bad = journal_chain_mismatch(self.previous, self.session_id, rows, 0)
        at = 0
        while at < len(rows):
            if native and at < bad:
                decoded, fill_text, fill_count, stop = _NATIVE_DECODER.decode(
                    rows, at, bad, self.expected, self.session_id
                )
                if stop > at:
                    self._run(self.expected, decoded, partial(_row_time, rows, at))
                    self._decoded(stop - at, fill_text, fill_count, rows[stop - 1][5])
                    at = stop
                    continue
            row = rows[at]
            if self.row(row, hash_checked=at != bad):
                bad = journal_chain_mismatch(self.previous, self.session_id, rows, at + 1)
            if row[0] >= self.pauses.next:
                self._pause(row[0], row[4])
            at += 1
        self._flush()

    def _run(self, seq: int, events: list[Event], recorded: Callable[[int], int]) -> None:
        """Queue the events of rows `seq`, `seq + 1`, ..., pausing after each pause's row."""
        if self.on_events is not None and events:
            self.on_events(EventRun(seq, events, False, recorded))
        last = seq + len(events) - 1
        start = 0
        while self.pauses.next <= last:
            cut = self.pauses.next - seq + 1
            self.pending += events[start:cut]
            start = cut
            self._pause(seq + cut - 1, recorded(cut - 1))
        self.pending += events[start:] if start else events

    def _pause(self, seq: int, recorded_at: int) -> None:
        self._flush()
        pauses = self.pauses
        assert pauses.on_pause is not None
        pauses.on_pause(seq, recorded_at, self.manager)
        pauses.next = pauses.after(seq)

    def _flush(self) -> None:
        if self.pending:
            self.manager._replay(self.pending)
            self.pending = []

    def scan(self, uri: str) -> bool:
        """Read, check and apply the rest of the journal natively from the database at `uri`:
        a thread reads the next rows (`journal_read` releases the interpreter) while these are
        decoded and applied.

        Returns False at the journal's end, True if the native reader cannot read the rest
        (the caller reads it with `journal_rows`)."""
        with ThreadPoolExecutor(1, thread_name_prefix="journal-read") as pool:
            ahead = self._read(pool, uri, self.expected - 1, self.previous)
            while ahead is not None:
                try:
                    rows = ahead.result()
                except ValueError:
                    return True
                last = rows.last()
                ahead = None if rows.end or last is None else self._read(pool, uri, *last)
                self._apply(rows)
        return False

    def _read(
        self, pool: ThreadPoolExecutor, uri: str, after: int, previous: bytes
    ) -> Future[JournalRows] | None:
        """The rows after `after` (at most a batch, none past `until`), read in `pool`."""
        limit = _SCAN_BATCH if self.until is None else min(_SCAN_BATCH, self.until - after)
        if limit <= 0:
            return None
        return pool.submit(journal_read, uri, self.session_id, after, limit, previous)

    def _apply(self, rows: JournalRows) -> None:
        """Check, decode and apply read rows, natively up to each row it leaves to `row`."""
        at = 0
        while at < len(rows):
            decoded, fill_text, fill_count, last, head, stop, recorded = (
                _NATIVE_DECODER.decode_read(rows, at, self.expected, self.session_id, self.previous)
            )
            if decoded:
                self._run(self.expected, decoded, partial(_recorded_at, recorded))
            self._decoded(last - self.expected + 1, fill_text, fill_count, head)
            if stop is None:
                break
            row = rows.row(stop)
            confirmed = journal_chain_mismatch(self.previous, self.session_id, [row], 0)
            self.row(row, hash_checked=confirmed == 1)
            if row[0] >= self.pauses.next:
                self._pause(row[0], row[4])
            at = stop + 1
        self._flush()

    def _decoded(self, count: int, fill_text: bytes, fill_count: int, head: object) -> None:
        self.n_events += count
        self.expected += count
        self.previous = head  # type: ignore[assignment]  # confirmed bytes
        if fill_count:
            self.fill_digest.update(fill_text)
            self.n_fills += fill_count

    def row(self, row: JournalRowTuple, *, hash_checked: bool) -> bool:
        """Check and apply (or queue in `pending`) one row in Python; True if the chain check
        must start again after it (its hash was checked here, or it was left out)."""
        seq, kind, payload, duplicate, recorded_at, _stored_hash = row
        if seq != self.expected:
            self.fault(
                self.finding("journal", f"seq {self.expected}", "seq", self.expected, seq),
                "the sequence has a hole or a renumbered row",
            )
        self.expected = seq + 1
        if kind == self.opened_kind and seq == 1:
            return self._chain(row, hash_checked)
        decode = self.decoders.get(kind)
        if decode is None:
            if kind == SessionOpened.kind:
                self.fault(
                    self.finding("journal", f"seq {seq}", "kind", "not session_opened", kind),
                    "only the first row opens the session",
                )
                # The row is left out of the chain: the next is checked against the one
                # before it.
                return True
            raise _unknown_kind(seq, kind)
        try:
            event = decode(orjson.loads(payload))
        except (ValueError, TypeError) as exc:  # as in _decode_row
            raise _invalid_row(seq, kind, exc) from exc
        again = self._chain(row, hash_checked)
        self.n_events += 1
        if kind in _FILL_KINDS and not duplicate:
            fill = _fill_row(self.session_id, seq, event)  # type: ignore[arg-type]
            # Each fill's JSON array followed by a comma, as `verify` hashes the table.
            self.fill_digest.update(orjson.dumps(fill))
            self.fill_digest.update(b",")
            self.n_fills += 1
            if self.fills is not None:
                self.fills.append(fill)
        elif kind in _MINT_KINDS:
            _track_mint(self.result.mints, event)
        if self.on_events is not None:
            at = recorded_at
            self.on_events(EventRun(seq, [event], bool(duplicate), lambda _i: at))
        if duplicate:
            self._flush()
            self.duplicates.fill_id = _duplicate_of(seq, event)
            self.manager._bind(self.duplicates)
            try:
                self.manager.apply(event)
            finally:
                self.manager._bind(None)
        else:
            self.pending.append(event)
        return again

    def _chain(self, row: JournalRowTuple, hash_checked: bool) -> bool:
        """Move the chain past `row`: its stored hash, confirmed natively (`hash_checked`) or
        checked here; True if it was checked here."""
        seq, kind, payload, duplicate, recorded_at, stored_hash = row
        if hash_checked:
            self.previous = stored_hash  # type: ignore[assignment]  # confirmed bytes
            return False
        self.previous = _check_row_hash(
            self.fault, self.previous, self.session_id, seq, kind, payload, duplicate,
            recorded_at, stored_hash,
        )  # fmt: skip
        return True


def _row_time(rows: list[JournalRowTuple], at: int, i: int) -> int:
    """Row `at + i`'s `recorded_at`."""
    return rows[at + i][4]


def _recorded_at(recorded: bytes, i: int) -> int:
    """Row `i`'s time in a native decode's `recorded` (8 bytes little-endian a row)."""
    return int.from_bytes(recorded[8 * i : 8 * i + 8], "little", signed=True)


def _check_row_hash(  # noqa: PLR0917 (a journal row's columns, in order)
    fault: Callable[[Any, str], None],
    previous: bytes,
    session_id: str,
    seq: int,
    kind: str,
    payload: object,
    duplicate: int,
    recorded_at: int,
    stored_hash: object,
) -> bytes:
    """Check one row's stored hash with `journal_row_hash` (a row the native check did not
    confirm) and return the chain's hash after it: the stored one, or the computed one if the
    row holds none."""
    from weatherman_inventory.verify import Finding  # noqa: PLC0415 (verify imports this module)

    digest = journal_row_hash(previous, session_id, seq, kind, payload, duplicate, recorded_at)
    if digest != stored_hash:
        fault(
            Finding("journal", f"seq {seq}", "hash", digest.hex(), _hex(stored_hash)),
            "the hash chain is broken",
        )
    return stored_hash if isinstance(stored_hash, bytes) else digest


def _hex(value: object) -> str | None:
    return value.hex() if isinstance(value, bytes) else None if value is None else repr(value)


def _fill_row(
    session_id: str, seq: int, event: BuyFilled | SellFilled
) -> tuple[str, str, str, str, int, int, int]:
    """The fills table's (fill_id, order_id, token_id, side, qty, price, fee) of a fill."""
    return (
        event.fill_id or _synthetic_fill_id(session_id, seq),
        event.local_id,
        event.token_id,
        "buy" if isinstance(event, BuyFilled) else "sell",
        event.fill_qty_micro,
        event.price_micro,
        event.fee_micro,
    )


def _native_decoder() -> JournalDecoder:
    """The native decoder of the current format, with each fill's fills-table row as
    `_fill_row` builds it; mints are left to the Python loop, which tracks their rows."""
    kinds = native_decoder_kinds()
    for kind in _MINT_KINDS:
        del kinds[kind]
    for cls, side in ((BuyFilled, "buy"), (SellFilled, "sell")):
        declared = kinds[cls.kind]
        if not isinstance(declared, tuple):
            del kinds[cls.kind]  # no native path: the Python loop digests its fills
            continue
        slots = [name for name, _test in declared[1]]
        row = (
            slots.index(name)
            for name in ("fill_id", "local_id", "token_id", "fill_qty_micro", "price_micro")
        )
        kinds[cls.kind] = (*declared[:3], (side, *row, slots.index("fee_micro")))
    return JournalDecoder(kinds, orjson.loads, _synthetic_fill_id)


_NATIVE_DECODER: Final = _native_decoder()


def _track_mint(mints: list[list[Any]], event: Event) -> None:
    """The mint_events rows as `Journal._plan` writes them: (condition, operation, amount,
    status), a confirmation or failure resolving the oldest pending row of its kind."""
    if isinstance(event, MintSubmitted):
        if event.amount_micro > 0:
            mints.append([event.condition_id, "MINT", event.amount_micro, "PENDING"])
    elif isinstance(event, MergeSubmitted):
        mints.append([event.condition_id, "MERGE", event.pair_count_micro, "PENDING"])
    elif isinstance(event, MintConfirmed | MergeConfirmed | MintFailed | MergeFailed):
        op = "MINT" if isinstance(event, MintConfirmed | MintFailed) else "MERGE"
        status = "CONFIRMED" if isinstance(event, MintConfirmed | MergeConfirmed) else "FAILED"
        for row in mints:
            if row[0] == event.condition_id and row[1] == op and row[3] == "PENDING":
                row[3] = status
                break


@cyclic_gc_paused()
def recover_session(cls: Callable[..., M], store: PersistenceLayer, session_id: str) -> M:
    """Rebuild a session's manager to its last committed event and bind it to the store.

    Takes the writer lock first (`SessionLocked` if another process holds it, or this store
    has handed the session out already). Refuses with `JournalInconsistent` a journal that
    cannot be the whole truth. Every way a cache table differs from the replay is recorded on
    the manager as an anomaly (`position_cache_mismatch`, `cache_mismatch`) and the caches are
    rebuilt from the journal. A refusal leaves the lock as it was.
    """
    from weatherman_inventory import verify  # noqa: PLC0415 (verify imports this module)

    check_id("session_id", session_id)
    store.load_session(session_id)
    store.lock_session(session_id)
    try:
        # The fills table's digest is read beside the replay (on the machine's other core).
        fill_digest = verify.fill_digest_ahead(store, session_id)
        replayed = replay_checked(cls, store, session_id, strict=True)
        manager: M = replayed.manager
        replayed_anomalies = len(manager.anomalies())
        manager.log_anomalies = True
        differences, findings = verify.cache_findings(
            store, session_id, replayed, fill_digest=fill_digest
        )
        table = {row.token_id: row for row in store.load_positions(session_id)}
        for diff in differences:
            row = table.get(diff.token_id)
            # The anomaly's event is the fact the cache states: its row as a loaded position.
            cached = () if row is None else (_loaded(row),)
            manager.record_anomaly(
                AnomalyKind.POSITION_CACHE_MISMATCH, PositionsLoaded(cached), diff.describe()
            )
        # A database from before version 5 holds no accounts rows: recovery writes the
        # session's, which is no anomaly. A row that differs from the journal is one.
        absent = [f for f in findings if f.table == "accounts" and f.table_value is None]
        stale = [f for f in findings if f.table != "markets" and f not in absent]
        for finding in stale:
            manager.record_anomaly(AnomalyKind.CACHE_MISMATCH, None, finding.describe())
        if differences or stale or absent:
            verify.rebuild_caches(store, session_id, cls=cls)
        fmt = 1 if replayed.opened is None else replayed.opened.journal_format
        journal = Journal(store, session_id, replayed.last_seq, replayed.head, fmt)
        # The table now holds each token's one row, under the market the replay says.
        for token_id in manager.token_ids():
            record = manager.position_record(token_id)
            if record is not None:
                journal.position_markets[token_id] = {record.market_id}
        manager._bind(journal)
    except BaseException:
        store.unlock_session(session_id)
        raise
    last_seq = replayed.last_seq
    _log.info(
        "recovered session %s to journal row %d: %d anomalies replayed, %d cache differences",
        session_id,
        last_seq,
        replayed_anomalies,
        len(manager.anomalies()) - replayed_anomalies,
        extra={"session_id": session_id, "last_seq": last_seq},
    )
    return manager


def _loaded(row: PositionRow) -> LoadedPosition:
    outcome = _OUTCOMES.get(row.outcome or "", Outcome.YES)
    return LoadedPosition(
        row.token_id, row.market_id, outcome, row.qty, row.cost_basis, row.realized_pnl
    )


def verify_session(
    store: PersistenceLayer,
    session_id: str,
    *,
    cls: Callable[..., JournaledManager] | None = None,
    expect_head: str | None = None,
) -> VerifyReport:
    """`verify.verify_session`: the session's journal and every table checked against it."""
    from weatherman_inventory import verify  # noqa: PLC0415 (verify imports this module)

    return verify.verify_session(store, session_id, cls=cls, expect_head=expect_head)
