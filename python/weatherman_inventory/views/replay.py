"""A session's state at any point of its journal, through the journal's own replay.

Nothing here applies an event: `journal.replay_checked` does, with its checks of the sequence
and the hash chain, into an `InventoryManager`. The views only narrow what it reads: the
journal up to a sequence number (`--at`), in smaller batches (a progress bar, or one event at a
time for a per-event series), through `_JournalWindow`, a read-only view of the store.

`replay_checked` applies each batch it read before it asks for the next, so when the window's
generator resumes after handing out a batch, the manager holds the state after that batch's
last row; the window calls `after` then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from weatherman_inventory.errors import InvalidInput
from weatherman_inventory.journal import Replayed, replay_checked
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.store import PersistenceLayer, SessionRow

from .progress import Advance
from .units import epoch_micros

__all__ = [
    "JournalRow",
    "SessionState",
    "counting_store",
    "each_event",
    "parse_at",
    "resolve_at",
    "state_at",
]

JournalRow = tuple[int, str, bytes, int, int, bytes | None]
"""A journal row as the store hands it out: (seq, kind, payload, duplicate, recorded_at,
hash)."""

_BATCH: Final = 512


class _JournalWindow:
    """The store as `replay_checked` reads it, its journal cut after `until_seq`, handed out
    `batch` rows at a time; `after(rows, manager)` runs once the manager applied them."""

    def __init__(
        self,
        store: PersistenceLayer,
        until_seq: int | None,
        batch: int,
        after: Callable[[list[JournalRow]], None],
    ) -> None:
        self._store = store
        self._until = until_seq
        self._batch = batch
        self._after = after

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def native_uri(self) -> None:
        """None: the native reader would read past the window; rows come from `journal_rows`."""
        return None

    def journal_rows(self, session_id: str, *, batch: int = _BATCH) -> Iterator[list[JournalRow]]:
        until = self._until
        size = self._batch
        for rows in self._store.journal_rows(session_id, batch=max(batch, size)):
            for start in range(0, len(rows), size):
                chunk = rows[start : start + size]
                cut = until is not None and chunk[-1][0] > until
                if cut:
                    chunk = [row for row in chunk if row[0] <= until]  # type: ignore[operator]
                if chunk:
                    yield chunk
                    self._after(chunk)
                if cut:
                    return


def _replay(
    store: PersistenceLayer,
    session_id: str,
    until_seq: int | None,
    batch: int,
    after: Callable[[list[JournalRow], InventoryManager], None],
) -> Replayed:
    made: list[InventoryManager] = []

    def make(*args: Any, **kwargs: Any) -> InventoryManager:
        manager = InventoryManager(*args, **kwargs)
        made.append(manager)
        return manager

    def applied(rows: list[JournalRow]) -> None:
        after(rows, made[0])

    window = _JournalWindow(store, until_seq, batch, applied)
    return replay_checked(make, window, session_id, strict=True)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class SessionState:
    """A session as it was after journal row `seq` (recorded at `recorded_at`, microseconds
    since the epoch; None for an empty journal): `manager` holds exactly that state."""

    session: SessionRow
    manager: InventoryManager
    seq: int
    last_seq: int
    recorded_at: int | None


def parse_at(value: str) -> int | datetime:
    """`--at`: a journal sequence number (digits) or an ISO 8601 time (UTC when it names no
    offset); anything else is `InvalidInput` naming `--at`."""
    text = value.strip()
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            "--at", value, "a journal sequence number or an ISO 8601 time is required"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def resolve_at(store: PersistenceLayer, session_id: str, at: int | datetime) -> int:
    """The last journal row at `at`: the sequence number itself (1..last) or the last row
    recorded at or before the time. `InvalidInput` when no row fits."""
    last = store.last_seq(session_id)
    if isinstance(at, int):
        if not 1 <= at <= last:
            raise InvalidInput("--at", at, f"the session's journal holds rows 1..{last}")
        return at
    micros = epoch_micros(at)
    with store.transaction(write=False) as conn:
        row = conn.execute(
            "SELECT MAX(seq) FROM journal WHERE session_id = ? AND recorded_at <= ?",
            (session_id, micros),
        ).fetchone()
    if row is None or row[0] is None:
        raise InvalidInput("--at", at.isoformat(), "the session's journal starts after it")
    return int(row[0])


def state_at(
    store: PersistenceLayer,
    session_id: str,
    at: int | datetime | None = None,
    advance: Advance | None = None,
) -> SessionState:
    """The session after the journal row `at` names (its last row when None), replayed from
    the journal; `advance` is told how many rows each batch replayed."""
    session = store.load_session(session_id)
    last = store.last_seq(session_id)
    until = None if at is None else resolve_at(store, session_id, at)
    seen: list[JournalRow] = []

    def after(rows: list[JournalRow], _manager: InventoryManager) -> None:
        seen[:] = rows[-1:]
        if advance is not None:
            advance(len(rows))

    replayed = _replay(store, session_id, until, _BATCH, after)
    recorded_at = seen[0][4] if seen else None
    return SessionState(session, replayed.manager, replayed.last_seq, last, recorded_at)


def each_event(
    store: PersistenceLayer,
    session_id: str,
    visit: Callable[[JournalRow, InventoryManager], None],
    advance: Advance | None = None,
    *,
    until_seq: int | None = None,
) -> Replayed:
    """Replay the journal (up to `until_seq`) one row at a time, calling `visit(row, manager)`
    with the state after each row (the first, `session_opened`, included)."""

    def after(rows: list[JournalRow], manager: InventoryManager) -> None:
        for row in rows:
            visit(row, manager)
        if advance is not None:
            advance(len(rows))

    return _replay(store, session_id, until_seq, 1, after)


def counting_store(store: PersistenceLayer, advance: Advance) -> PersistenceLayer:
    """`store`, its journal read in batches of at most 512 rows with `advance` told each
    batch's size: a progress bar for any replay (verify, recovery, a cache rebuild) without a
    change to the replay."""

    def counted(rows: list[JournalRow]) -> None:
        advance(len(rows))

    return _JournalWindow(store, None, _BATCH, counted)  # type: ignore[return-value]
