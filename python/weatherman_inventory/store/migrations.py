"""The schema's upgrades, one sequence for both backends: each step idempotent, gated on the
version the database records, written in SQL both accept. A backend supplies how to read a
table's columns and unique indexes and how its DDL is spelt (`Dialect`).

SQLite databases have every version behind them (a seed host's tables at 0, journals without a
hash chain at 1, whole contracts at 2, no resolutions at 3, no writers at 4); a PostgreSQL store
is created at the current version, or from a host's tables as SQLite's version 0 is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from weatherman_inventory.errors import SchemaVersionError, StoreError
from weatherman_inventory.store.backend import Connection
from weatherman_inventory.store.rows import JOURNAL_GENESIS, journal_row_hash
from weatherman_inventory.store.schema import (
    ADDED_COLUMNS,
    HOST_DDL,
    ORDER_COLUMNS,
    ORDERS_DDL,
    SCHEMA_VERSION,
    V1_DDL,
    V5_DDL,
    statements,
)

__all__ = ["Dialect", "check_version", "upgrade"]


@dataclass(frozen=True)
class Dialect:
    """What the upgrades need of a backend."""

    columns: Callable[[Connection, str], dict[str, bool]]
    """Column name -> NOT NULL, for one table (empty: no such table)."""
    has_unique_index: Callable[[Connection, str, str], bool]
    """Whether a unique index covers exactly this one column of the table."""
    ddl: Callable[[str], str]
    """The backend's spelling of SQLite's DDL."""


def check_version(name: str, version: int, *, readonly: bool) -> None:
    """Refuse a database at `version` this package cannot open: a newer one, or (`readonly`,
    so it cannot be upgraded) an older one. `name` is how messages name the database."""
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{name} has schema version {version}, newer than this package's "
            f"{SCHEMA_VERSION}: upgrade weatherman-inventory to open it"
        )
    if readonly and version < SCHEMA_VERSION:
        raise StoreError(
            f"{name} has schema version {version}, older than {SCHEMA_VERSION}: "
            "open it once for writing to create or upgrade it"
        )


def upgrade(conn: Connection, version: int, dialect: Dialect) -> None:
    """Bring a database at `version` (0 for one without this package's tables) to the current
    schema, inside the caller's transaction."""
    ddl = dialect.ddl
    for statement in statements(ddl(HOST_DDL)):
        conn.execute(statement)
    for table, column, decl in ADDED_COLUMNS:
        if column not in dialect.columns(conn, table):
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {ddl(decl)}")
    _create_or_upgrade_orders(conn, dialect)
    if not dialect.has_unique_index(conn, "fills", "fill_id"):
        # A host fills table without UNIQUE(fill_id): every fill must be recorded once.
        conn.execute("CREATE UNIQUE INDEX idx_fills_fill_id ON fills(fill_id)")
    for statement in statements(ddl(V1_DDL)):
        conn.execute(statement)
    if "hash" not in dialect.columns(conn, "journal"):
        conn.execute(f"ALTER TABLE journal ADD COLUMN hash {ddl('BLOB')}")
    if version < 2:
        _chain_journal(conn)
    if version < 3:
        _scale_to_micro(conn, dialect)
    for statement in statements(ddl(V5_DDL)):
        conn.execute(statement)


def _scale_to_micro(conn: Connection, dialect: Dialect) -> None:
    """Version 3's units: every quantity column in micro-shares (whole contracts * 10^6), order
    limits in micro-USDC per share (cents * 10^4). Money columns are micro-USDC already, and a
    position's `avg_price` (micro-USDC per contract) is the same number per share.

    The orders table is copied into its new definition (its CHECK on `limit_px` changes, which
    SQLite cannot alter in place), scaling as it goes.
    """
    scaled = (
        ORDER_COLUMNS.replace("qty, limit_px", "qty * 1000000, limit_px * 10000")
        .replace("filled_qty", "filled_qty * 1000000")
        .replace("reserved_qty", "reserved_qty * 1000000")
    )
    conn.execute("ALTER TABLE orders RENAME TO orders_v2")
    conn.execute(dialect.ddl(ORDERS_DDL))
    conn.execute(f"INSERT INTO orders ({ORDER_COLUMNS}) SELECT {scaled} FROM orders_v2")
    conn.execute("DROP TABLE orders_v2")
    for index in ("idx_orders_session", "idx_orders_market", "idx_orders_exchange"):
        conn.execute(f"DROP INDEX IF EXISTS {index}")
    for statement in statements(dialect.ddl(V1_DDL)):
        if "idx_orders" in statement:
            conn.execute(statement)
    conn.execute("UPDATE positions SET qty = qty * 1000000")
    conn.execute("UPDATE fills SET qty = qty * 1000000")


def _chain_journal(conn: Connection) -> None:
    """Compute the hash chain of every session's journal in sequence order (the migration from
    a version without it)."""
    previous: dict[str, bytes] = {}
    after: tuple[str, int] = ("", 0)
    while True:
        rows = conn.execute(
            "SELECT session_id, seq, kind, payload, duplicate, recorded_at FROM journal "
            "WHERE (session_id, seq) > (?, ?) ORDER BY session_id, seq LIMIT 4096",
            after,
        ).fetchall()
        for session_id, seq, kind, payload, duplicate, recorded_at in rows:
            digest = journal_row_hash(
                previous.get(session_id, JOURNAL_GENESIS),
                session_id,
                seq,
                kind,
                payload,
                duplicate,
                recorded_at,
            )
            previous[session_id] = digest
            conn.execute(
                "UPDATE journal SET hash = ? WHERE session_id = ? AND seq = ?",
                (digest, session_id, seq),
            )
        if len(rows) < 4096:
            return
        after = (rows[-1][0], rows[-1][1])


def _create_or_upgrade_orders(conn: Connection, dialect: Dialect) -> None:
    """Create the orders table, or rebuild a seed-era one whose limit_px is NOT NULL.

    SQLite cannot relax a column constraint in place, so the table is copied into the new
    definition inside the caller's transaction (SQLite's documented 12-step procedure).
    """
    columns = dialect.columns(conn, "orders")
    if not columns:
        conn.execute(dialect.ddl(ORDERS_DDL))
        return
    if not columns.get("limit_px", False):
        return
    conn.execute("ALTER TABLE orders RENAME TO orders_v0")
    conn.execute(dialect.ddl(ORDERS_DDL))
    conn.execute(f"INSERT INTO orders ({ORDER_COLUMNS}) SELECT {ORDER_COLUMNS} FROM orders_v0")
    conn.execute("DROP TABLE orders_v0")
    for index in ("idx_orders_session", "idx_orders_market", "idx_orders_exchange"):
        conn.execute(f"DROP INDEX IF EXISTS {index}")
