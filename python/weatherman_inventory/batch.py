"""Group commit: the events of one `InventoryManager.batch()` block, applied as they come and
made durable together.

Each event inside the block is checked and applied to the manager's memory at once (what the
block reads next sees it) and its journal row planned (`Journal.plan`); the checkpoint taken
before it is kept here. When the block exits, every planned row is written in one store
transaction. If the block raises, or the transaction fails, the checkpoints are restored newest
first, which puts memory back exactly as it was before the block, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from weatherman_inventory.events import Event


class PlanningJournal(Protocol):
    """What a journal bound to a manager that runs batches implements (`journal.Journal`)."""

    def plan(self, event: Event, manager: Any) -> None:
        """Plan `event`'s rows after those planned, raising (planning nothing) what a commit
        would refuse before writing."""

    def drop_planned(self, keep: int = 0) -> None:
        """Forget the planned rows after the first `keep`."""

    def write_planned(self) -> None:
        """Write every planned row in one transaction, or nothing (and raise)."""


class Batch:
    """The events applied inside one outermost `batch()` block, with the checkpoint taken
    before each (one journal row is planned per event when a journal is bound)."""

    __slots__ = ("checkpoints", "events", "n_anomalies")

    def __init__(self, n_anomalies: int) -> None:
        self.events: list[Event] = []
        self.checkpoints: list[Any] = []
        self.n_anomalies = n_anomalies
        """How many anomalies the manager held when the block began (those recorded since are
        logged once the batch is durable)."""

    def add(self, event: Event, checkpoint: object) -> None:
        """`event` was applied (and its row planned) after `checkpoint` was taken."""
        self.events.append(event)
        self.checkpoints.append(checkpoint)

    def mark(self) -> int:
        """Where a nested block begins: `undo(mark)` takes back only what it applied."""
        return len(self.events)

    def undo(
        self, restore: Callable[[Any], None], journal: PlanningJournal | None, mark: int = 0
    ) -> list[Event]:
        """Restore the checkpoints of the events after `mark`, newest first, forget their
        planned rows, and return those events in the order they were applied."""
        for checkpoint in reversed(self.checkpoints[mark:]):
            restore(checkpoint)
        if journal is not None:
            journal.drop_planned(mark)
        undone = self.events[mark:]
        del self.events[mark:], self.checkpoints[mark:]
        return undone
