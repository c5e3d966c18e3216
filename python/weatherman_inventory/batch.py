"""Group commit: the events of one `InventoryManager.batch()` block, applied as they come and
made durable together.

Each event inside the block is checked and applied to the manager's memory at once (what the
block reads next sees it) and its journal row planned (`Journal.plan`); the checkpoint taken
before it is kept here. When the block exits, every planned row is written in one store
transaction. If the block raises, or the transaction fails, the checkpoints are restored newest
first, which puts memory back exactly as it was before the block, and nothing is written.

A fill id the store already holds fails the transaction (`DuplicateFill`, from its UNIQUE
constraint: a bound manager tracks no fill ids). The batch is then restored and its events
applied again in one batch that asks the store, fill by fill, whether it holds the id, and
journals each one it holds as refused (the row marked duplicate, the `duplicate_fill` anomaly)
without applying it: exactly what the same calls give one at a time, still in one
transaction. Should the store refuse a fill id even then (another session of the store booked it
meanwhile), the events are applied one at a time, each its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol, cast

from weatherman_inventory.errors import DuplicateFill
from weatherman_inventory.events import BuyFilled, Event, SellFilled

if TYPE_CHECKING:
    from weatherman_inventory.manager import InventoryManager


class PlanningJournal(Protocol):
    """What a journal bound to a manager that runs batches implements (`journal.Journal`)."""

    def plan(self, event: Event, manager: Any, *, duplicate: bool = False) -> None:
        """Plan `event`'s rows after those planned, raising (planning nothing) what a commit
        would refuse before writing; `duplicate`: its row marked as a refused fill, alone."""

    def fill_booked(self, fill_id: str) -> bool:
        """Whether the store holds `fill_id`, or a planned row inserts it."""

    def drop_planned(self, keep: int = 0) -> None:
        """Forget the planned rows after the first `keep`."""

    def write_planned(self) -> None:
        """Write every planned row in one transaction, or nothing (and raise)."""


class Batch:
    """The events applied inside one outermost `batch()` block, with the checkpoint taken
    before each (one journal row is planned per event when a journal is bound)."""

    __slots__ = ("checkpoints", "events", "n_anomalies", "refuse_booked")

    def __init__(self, n_anomalies: int, *, refuse_booked: bool = False) -> None:
        self.events: list[Event] = []
        self.checkpoints: list[Any] = []
        self.n_anomalies = n_anomalies
        """How many anomalies the manager held when the block began (those recorded since are
        logged once the batch is durable)."""
        self.refuse_booked = refuse_booked
        """Whether a fill whose id the store holds is refused as it arrives (the second pass
        of a batch the store refused for a repeated fill id)."""

    def mark(self) -> int:
        """Where a nested block begins: `undo(mark)` takes back only what it applied."""
        return len(self.events)

    def undo(
        self, restore: Callable[[Any], None], journal: PlanningJournal | None, mark: int = 0
    ) -> list[Event]:
        """Restore the checkpoints of the events after `mark`, newest first, mark what they
        touched for the snapshot to render again, forget their planned rows, and return those
        events in the order they were applied."""
        undone_checkpoints = self.checkpoints[mark:]
        for checkpoint in reversed(undone_checkpoints):
            restore(checkpoint)
        # A snapshot taken inside the block rendered state that is now undone: what the events
        # touched is rendered again at the next snapshot.
        for checkpoint in undone_checkpoints:
            for flags, key, _was_set in checkpoint.dirty:
                flags.add(key)
        if journal is not None:
            journal.drop_planned(mark)
        undone = self.events[mark:]
        del self.events[mark:], self.checkpoints[mark:]
        return undone


def _journal(m: InventoryManager) -> PlanningJournal | None:
    return cast(PlanningJournal | None, m._journal)


def apply(m: InventoryManager, group: Batch, event: Event) -> None:
    """Apply `event` inside `group` and plan its journal row, or change nothing and raise."""
    journal = _journal(m)
    checkpoint = m._checkpoint(event)
    try:
        fill_id = event.fill_id if isinstance(event, BuyFilled | SellFilled) else None
        if (
            group.refuse_booked
            and journal is not None
            and fill_id is not None
            and journal.fill_booked(fill_id)
        ):
            m._refuse_duplicate(event, fill_id)
            journal.plan(event, m, duplicate=True)
        else:
            m._handlers[type(event)](event)
            if journal is not None:
                journal.plan(event, m)
    except BaseException:
        m._restore(checkpoint)
        raise
    group.events.append(event)
    group.checkpoints.append(checkpoint)


@contextmanager
def run(m: InventoryManager) -> Iterator[None]:
    """`InventoryManager.batch()`."""
    outer = m._batch
    if outer is not None:
        mark = outer.mark()
        try:
            yield
        except BaseException:
            outer.undo(m._restore, _journal(m), mark)
            raise
        return
    group = m._batch = Batch(len(m._anomalies))
    try:
        yield
    except BaseException:
        m._batch = None
        group.undo(m._restore, _journal(m))
        raise
    m._batch = None
    _commit(m, group)


def _commit(m: InventoryManager, group: Batch) -> None:
    """Write `group`'s planned rows; on `DuplicateFill`, apply its events again (above)."""
    journal = _journal(m)
    if journal is not None:
        try:
            journal.write_planned()
        except DuplicateFill:
            events = group.undo(m._restore, journal)
            if group.refuse_booked:
                for event in events:
                    m._process(event)
                return
            again = m._batch = Batch(len(m._anomalies), refuse_booked=True)
            try:
                for event in events:
                    apply(m, again, event)
            except BaseException:
                again.undo(m._restore, journal)
                raise
            finally:
                m._batch = None
            _commit(m, again)
            return
        except BaseException:
            group.undo(m._restore, journal)
            raise
    m._log_anomalies(group.n_anomalies)
