"""What `PersistenceLayer` needs of a database: the one interface SQLite and PostgreSQL implement.

The layer writes its SQL once, in the dialect both accept, with `?` placeholders; a backend runs
it in transactions, owns the connection, the writer lock of each session, the schema's creation
and upgrade, and the single place where its driver's errors become this package's `StoreError`s.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Literal, Protocol

from weatherman_inventory.errors import InvalidInput, StoreError

if TYPE_CHECKING:
    from weatherman_inventory.store.rows import Mode

__all__ = [
    "Backend",
    "Connection",
    "Cursor",
    "Dialect",
    "Write",
    "WriteTransaction",
    "foreign_order",
    "write_in",
    "write_in_snapshot",
]

Dialect = Literal["sqlite", "postgresql"]

Write = tuple[str, tuple[Any, ...], str | None]
"""A planned write: a statement, its parameters, and for an order's upsert the order's local id
(the upsert must change a row: else the local id is an order of another session); None for any
other statement."""


class Cursor(Protocol):
    """The result of one statement."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchmany(self, size: int = ...) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What a transaction hands its block: statements with `?` placeholders."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor: ...


class WriteTransaction(AbstractContextManager[Any], Protocol):
    """A transaction; set `fill_id` before inserting a fill so that a repeated fill id surfaces
    as `DuplicateFill` naming it."""

    fill_id: str | None


class Backend(Protocol):
    """One database, opened for writing or read-only."""

    @property
    def dialect(self) -> Dialect: ...

    @property
    def name(self) -> str:
        """How messages name the database (a path, or a URL without its password)."""
        ...

    @property
    def mode(self) -> Mode: ...

    @property
    def readonly(self) -> bool: ...

    def transaction(self, *, write: bool = True) -> WriteTransaction:
        """A transaction (write: the database's write lock taken at its start, and on
        PostgreSQL the writer epoch of every session this backend holds checked)."""
        ...

    def write(self, writes: list[Write], fill_id: str | None) -> None:
        """Run `writes` in one write transaction, as `write_in` does (a backend may run them
        faster, never differently): `DuplicateFill` if `fill_id` is a fill id the store holds,
        `InvalidInput` (`foreign_order`) if an order's upsert changed no row; nothing written
        then."""
        ...

    @property
    def in_transaction(self) -> bool: ...

    def snapshot(self) -> AbstractContextManager[None]:
        """Reads inside the block see one consistent state of the database."""
        ...

    def close(self) -> None: ...

    def initialize(self) -> None:
        """Create or upgrade the schema (refusing a newer one); read-only: check it."""
        ...

    def schema_version(self) -> int: ...

    def has_table(self, name: str) -> bool: ...

    def lock_session(self, session_id: str, holder: str) -> None:
        """Become the session's only writer, or `SessionLocked`."""
        ...

    def holds_session(self, session_id: str) -> bool: ...

    def unlock_session(self, session_id: str, state: str) -> None:
        """Give the writer lock up, recording how the writer left (`stopped`, `ended`)."""
        ...

    def session_live(self, session_id: str) -> bool:
        """Whether some writer holds the session's lock now."""
        ...

    def integrity_check(self) -> str: ...

    def native_uri(self) -> str | None: ...


def foreign_order(local_id: str) -> InvalidInput:
    """The refusal of an order's upsert that changed no row: the local id names an order of
    another session (local ids are unique across a store)."""
    return InvalidInput("local_id", local_id, "is an order of another session in this store")


def write_in_snapshot() -> StoreError:
    """The refusal of a write inside `Backend.snapshot()`'s block."""
    return StoreError("a write cannot run inside a read snapshot")


def write_in(transaction: WriteTransaction, writes: list[Write], fill_id: str | None) -> None:
    """`Backend.write` through one of the backend's transactions."""
    # Named before its fill row is inserted, so a repeated id raises DuplicateFill.
    transaction.fill_id = fill_id
    with transaction as conn:
        upserts = []
        for sql, params, local_id in writes:
            cur = conn.execute(sql, params)
            if local_id is not None:
                upserts.append((local_id, cur))
        # Read after every statement is sent: on PostgreSQL a result read waits for the
        # server, so the statements answer in one round trip.
        for local_id, cur in upserts:
            if cur.rowcount == 0:
                raise foreign_order(local_id)
