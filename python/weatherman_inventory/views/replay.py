"""A session's state at any point of its journal, through the journal's own replay.

Nothing here applies an event: `journal.replay_checked` does, with its checks of the sequence
and the hash chain, into an `InventoryManager`, natively once past its first batch as recovery
does. The views only ask it to stop after a row (`until_seq`, for `--at`) and to pause at rows
(`on_pause`, with the state after that row: a progress bar, or every row for a per-event
series).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from weatherman_inventory.errors import InvalidInput
from weatherman_inventory.events import SessionOpened
from weatherman_inventory.journal import EventRun, Replayed, observed_replays, replay_checked
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.store import PersistenceLayer, SessionRow

from .progress import Advance
from .units import epoch_micros

__all__ = [
    "PROGRESS_ROWS",
    "SessionState",
    "counted_replays",
    "each_event",
    "parse_at",
    "resolve_at",
    "state_at",
]

PROGRESS_ROWS: Final = 512
"""Journal rows between two moves of a progress bar."""


class _Counter:
    """Tells `advance` how many rows were replayed since the last pause."""

    def __init__(self, advance: Advance | None) -> None:
        self.advance = advance
        self.seen = 0

    def __call__(self, seq: int, _recorded_at: int, _manager: Any) -> None:
        # A row before the last one seen: the next replay (a rebuild replays twice).
        rows = seq - self.seen if seq > self.seen else seq
        if self.advance is not None:
            self.advance(rows)
        self.seen = seq


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
    the journal; `advance` is told how many rows were replayed, every `PROGRESS_ROWS`."""
    session = store.load_session(session_id)
    last = store.last_seq(session_id)
    until = last if at is None else resolve_at(store, session_id, at)
    counter = _Counter(advance)
    end: list[int] = []

    def pause(seq: int, recorded_at: int, manager: Any) -> None:
        counter(seq, recorded_at, manager)
        if seq == until:
            end.append(recorded_at)

    replayed = replay_checked(
        InventoryManager,
        store,
        session_id,
        strict=True,
        until_seq=until,
        pause_every=PROGRESS_ROWS,
        pause_at=(until,),
        on_pause=pause,
    )
    recorded_at = end[0] if end else None
    return SessionState(session, replayed.manager, replayed.last_seq, last, recorded_at)


def each_event(
    store: PersistenceLayer,
    session_id: str,
    visit: Callable[[int, int, str, InventoryManager], None],
    advance: Advance | None = None,
    *,
    until_seq: int | None = None,
) -> Replayed:
    """Replay the journal (up to `until_seq`) calling `visit(seq, recorded_at, kind, manager)`
    with the state after each row (the first, `session_opened`, included)."""
    counter = _Counter(advance)
    kinds: dict[int, str] = {}

    def events(run: EventRun) -> None:
        for i, event in enumerate(run.events):
            kinds[run.seq + i] = event.kind

    def pause(seq: int, recorded_at: int, manager: Any) -> None:
        # The one row without an event in a whole journal is its opening row.
        visit(seq, recorded_at, kinds.pop(seq, SessionOpened.kind), manager)
        if seq % PROGRESS_ROWS == 0:
            counter(seq, recorded_at, manager)

    replayed = replay_checked(
        InventoryManager,
        store,
        session_id,
        strict=True,
        until_seq=until_seq,
        pause_every=1,
        on_pause=pause,
        on_events=events,
    )
    return replayed


@contextmanager
def counted_replays(advance: Advance) -> Iterator[None]:
    """Inside, every journal replay (verify, recovery, a cache rebuild) tells `advance` how
    many rows it replayed, every `PROGRESS_ROWS`: a progress bar for a replay that runs deep
    inside another command."""
    with observed_replays(PROGRESS_ROWS, _Counter(advance)):
        yield
