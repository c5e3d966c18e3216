"""The project's errors: one base class, a few kinds, each keeping what went wrong.

Every error the package raises on purpose is an `InventoryError`. Input errors also subclass
`ValueError` and name the argument and the value, so a caller can log or show them as they are.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BoundExceeded",
    "DuplicateFill",
    "InvalidInput",
    "InventoryError",
    "JournalInconsistent",
    "SchemaVersionError",
    "SessionExists",
    "SessionLocked",
    "SessionNotFound",
    "StoreError",
]


class InventoryError(Exception):
    """Base class of every error this package raises on purpose."""


class InvalidInput(InventoryError, ValueError):  # noqa: N818 (the names are the API)
    """A malformed argument: refused before anything changed.

    `field` is the argument's name as the caller spelled it, `value` what was passed, `reason`
    what is required.
    """

    def __init__(self, field: str, value: Any, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}={_shown(value)}: {reason}")


class BoundExceeded(InvalidInput):
    """A well-formed fact that would carry a ledger amount past its bound: refused, unapplied.

    Every amount and quantity the ledger holds stays below 10^9 (dollars, shares), so that it
    has at most 15 significant digits and travels exactly as a JSON number. `field` names the
    amount as the snapshot spells it (`tokens['t1'].qty`, `total_usd`), `value` is what the fact
    would make it, `bound` the largest magnitude allowed, in the same unit.
    """

    def __init__(self, field: str, value: Any, bound: Any) -> None:
        self.bound = bound
        super().__init__(field, value, f"past the ledger's bound of {bound}: the event is refused")


_SHOWN_CHARS = 120


def _shown(value: Any) -> str:
    """`repr(value)`, cut in the middle when longer than a message can usefully carry."""
    text = repr(value)
    if len(text) <= _SHOWN_CHARS:
        return text
    half = _SHOWN_CHARS // 2
    return f"{text[:half]}...{text[-half:]} ({len(text)} characters)"


class StoreError(InventoryError):
    """The SQLite store failed or refused a write; the manager's memory is unchanged."""


class SchemaVersionError(StoreError):
    """The database was written by a newer version of this package."""


class JournalInconsistent(StoreError):  # noqa: N818 (the names are the API)
    """The journal cannot be the whole truth of a session: nothing was recovered from it.

    A gap or a renumbered row in its sequence, a broken hash chain, or a journal missing or
    empty while the other tables hold the session. `table` and `key` name where (the journal
    and a sequence number, or the table that holds what the journal lacks), `journal_value`
    and `table_value` what each holds there.
    """

    def __init__(
        self, table: str, key: object, journal_value: object, table_value: object, reason: str
    ) -> None:
        self.table = table
        self.key = key
        self.journal_value = journal_value
        self.table_value = table_value
        self.reason = reason
        super().__init__(
            f"{table} {key}: the journal holds {journal_value!r}, the table {table_value!r}: "
            f"{reason}"
        )


class SessionLocked(StoreError):  # noqa: N818 (the names are the API)
    """Another process holds the session open for writing."""


class SessionNotFound(StoreError, LookupError):  # noqa: N818 (the names are the API)
    """No such session in the database."""


class SessionExists(StoreError):  # noqa: N818 (the names are the API)
    """The session is already in the database: recover it instead of opening it anew."""


class DuplicateFill(StoreError):  # noqa: N818 (the names are the API)
    """The store already holds a fill with this id: applying it twice is never right."""

    def __init__(self, fill_id: str) -> None:
        self.fill_id = fill_id
        super().__init__(f"fill_id={fill_id!r} is already recorded")
