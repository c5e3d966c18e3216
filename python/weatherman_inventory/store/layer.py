"""The session store: the session's tables and the event journal, over one backend.

`PersistenceLayer` knows tables and rows, not the ledger's rules: `journal.py` decides what to
write for each event. It writes its SQL once, with `?` placeholders, in the dialect SQLite and
PostgreSQL both accept; the backend (`sqlite.py` for a file path, `postgres.py` for a
`postgresql://` URL) runs it, holds the writer locks, and turns its driver's errors into the
package's `StoreError` family. Every integer column holds an exact unit (see the README's units
table): money in micro-USDC, prices in micro-USDC per share, quantities in micro-shares.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Final

import orjson

from weatherman_inventory.errors import InvalidInput, SessionExists, SessionNotFound, StoreError
from weatherman_inventory.store.backend import (
    Backend,
    Connection,
    Dialect,
    Write,
    WriteTransaction,
)
from weatherman_inventory.store.postgres import PostgresBackend, is_postgres_url
from weatherman_inventory.store.rows import (
    INT64_MAX,
    JOURNAL_GENESIS,
    FillRow,
    JournalRow,
    MarketRow,
    MintEventRow,
    Mode,
    OrderRow,
    PositionRow,
    ResolutionRow,
    SessionRow,
    check_int,
    journal_row_hash,
)
from weatherman_inventory.store.schema import ORDER_COLUMNS
from weatherman_inventory.store.sqlite import SQLiteBackend
from weatherman_inventory.store.writers import holder

__all__ = ["PersistenceLayer"]


DB_HELP: Final = (
    "the database: a SQLite file, or a postgresql:// URL (the password from PGPASSWORD or a "
    "password file, never the URL)"
)


def missing_database(target: str) -> bool:
    """Whether `target` names a SQLite file that does not exist (a URL is checked by
    connecting)."""
    return not is_postgres_url(target) and not os.path.isfile(target)


class PersistenceLayer:
    """The session store over a SQLite file (a path, or `":memory:"` for tests) or a PostgreSQL
    database (a `postgresql://` URL), with the same schema, journal and promises on both.

    `mode="live"`: every commit durable before the call returns (SQLite `synchronous=FULL`; a
    PostgreSQL server with `fsync` and `synchronous_commit` on, else refused). `mode="paper"`
    may lose the last commits on a power loss or a server crash, never on a crash of this
    process. `readonly=True` opens without writing (for verify and the views) and needs no lock.
    """

    def __init__(
        self, target: str | os.PathLike[str], mode: Mode = "paper", *, readonly: bool = False
    ):
        backend: Backend
        if is_postgres_url(target):
            backend = PostgresBackend(str(target), mode, readonly=readonly)
        else:
            backend = SQLiteBackend(target, mode, readonly=readonly)
        self._backend = backend

    @property
    def mode(self) -> Mode:
        """`"live"` or `"paper"`: how the backend commits (see the class)."""
        return self._backend.mode

    @property
    def readonly(self) -> bool:
        """Whether the store was opened for reading only."""
        return self._backend.readonly

    @property
    def path(self) -> str:
        """The database as messages name it: its path, or its URL without the password."""
        return self._backend.name

    @property
    def dialect(self) -> Dialect:
        """`"sqlite"` or `"postgresql"`."""
        return self._backend.dialect

    # -- lifecycle -----------------------------------------------------------------------

    def transaction(self, *, write: bool = True) -> WriteTransaction:
        """A transaction: `with store.transaction() as conn: conn.execute(sql, params)`, `?`
        placeholders, committed at the end of the block, rolled back by an exception."""
        return self._backend.transaction(write=write)

    def write(self, writes: list[Write], fill_id: str | None = None) -> None:
        """Run `writes` (statement, parameters, and an order upsert's local id or None) in one
        transaction: `DuplicateFill` if `fill_id` is already booked, `InvalidInput` if an
        order's upsert changed no row (an order of another session); nothing written then."""
        self._backend.write(writes, fill_id)

    def snapshot(self) -> AbstractContextManager[None]:
        """Run the reads inside the block on one consistent state of the database; writes
        inside the block are refused."""
        return self._backend.snapshot()

    def close(self) -> None:
        """Release every session lock this store holds and close the connection."""
        self._backend.close()

    def __enter__(self) -> PersistenceLayer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def pragma(self, name: str) -> Any:
        """The value of a read-only SQLite pragma (journal_mode, synchronous, ...)."""
        backend = self._backend
        if not isinstance(backend, SQLiteBackend):
            raise StoreError(f"{self.path} is a PostgreSQL database: it has no pragmas")
        return backend.pragma(name)

    def schema_version(self) -> int:
        """The schema version the database records."""
        return self._backend.schema_version()

    def initialize(self) -> None:
        """Create or upgrade the schema; idempotent (opening for writing does it)."""
        self._backend.initialize()

    # -- the writer lock -----------------------------------------------------------------

    def lock_session(self, session_id: str) -> None:
        """Become the session's only writer, or raise `SessionLocked` if another holds it.

        One claim at a time: a session this store already holds is refused too (it belongs to
        the manager that claimed it), and a refusal leaves every lock as it was. SQLite: a
        `flock` on a file beside the database's real file, named for its identity; PostgreSQL:
        an advisory lock on this store's connection, fenced by the session's writer epoch.
        Either lasts until `unlock_session`, `close` or the end of the process.
        """
        if self.readonly:
            raise StoreError(f"{self.path} is open read-only: it cannot claim a session")
        self._backend.lock_session(session_id, holder())

    def holds_session(self, session_id: str) -> bool:
        """Whether this store holds the session's writer lock."""
        return self._backend.holds_session(session_id)

    def unlock_session(self, session_id: str, *, ended: bool = False) -> None:
        """Give up the writer lock of a session (nothing if not held); `ended` records that
        the session is over, else it stopped cleanly."""
        self._backend.unlock_session(session_id, "ended" if ended else "stopped")

    def session_live(self, session_id: str) -> bool:
        """Whether some writer, here or elsewhere, holds the session's lock now."""
        return self._backend.session_live(session_id)

    # -- sessions and markets ------------------------------------------------------------

    def insert_session(
        self,
        id: str,
        mode: str,
        strategy_id: str,
        config_json: str,
        started_at: datetime,
        *,
        initial_capital: int = 0,
        first_row: tuple[str, bytes, int] | None = None,
    ) -> bytes | None:
        """Record a new session; `initial_capital` in micro-USDC. An existing id raises
        `SessionExists`.

        `first_row` is the session's first journal row, (kind, payload, recorded_at in
        microseconds), written as seq 1 in the same transaction; its hash is returned.
        """
        check_int("initial_capital", initial_capital, 0)
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (id,)).fetchone():
                raise SessionExists(f"session {id!r} already exists in {self.path}")
            conn.execute(
                "INSERT INTO sessions (id, mode, strategy_id, config_json, started_at, "
                "initial_capital) VALUES (?, ?, ?, ?, ?, ?)",
                (id, mode, strategy_id, config_json, started_at.isoformat(), initial_capital),
            )
            if first_row is None:
                return None
            if conn.execute("SELECT 1 FROM journal WHERE session_id = ?", (id,)).fetchone():
                raise SessionExists(f"session {id!r} already has a journal in {self.path}")
            kind, payload, recorded_at = first_row
            digest = journal_row_hash(JOURNAL_GENESIS, id, 1, kind, payload, 0, recorded_at)
            conn.execute(
                "INSERT INTO journal (session_id, seq, kind, payload, duplicate, recorded_at, "
                "hash) VALUES (?, 1, ?, ?, 0, ?, ?)",
                (id, kind, payload, recorded_at, digest),
            )
        return digest

    def load_session(self, session_id: str) -> SessionRow:
        """The session's row, or `SessionNotFound`."""
        with self.transaction(write=False) as conn:
            row = conn.execute(
                "SELECT id, mode, strategy_id, config_json, started_at, initial_capital, "
                "exit_triggered FROM sessions WHERE id = ?",
                (session_id,),
            ).fetchone()
        if row is None:
            raise SessionNotFound(f"no session {session_id!r} in {self.path}")
        return _session_row(row)

    def list_sessions(self) -> list[SessionRow]:
        """Every session, oldest first."""
        with self.transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT id, mode, strategy_id, config_json, started_at, initial_capital, "
                "exit_triggered FROM sessions ORDER BY started_at, id"
            ).fetchall()
        return [_session_row(r) for r in rows]

    def insert_market(
        self,
        market_id: str,
        condition_id: str,
        yes_token_id: str,
        no_token_id: str,
        question: str = "",
    ) -> None:
        """Register a market and its outcome tokens; a repeat with the same values is a no-op,
        one that changes them raises `StoreError`."""
        with self.transaction() as conn:
            _insert_market(conn, market_id, condition_id, yes_token_id, no_token_id, question)

    def load_markets(self) -> list[MarketRow]:
        """Every registered market."""
        with self.transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT market_id, condition_id, question, yes_token_id, no_token_id "
                "FROM markets ORDER BY market_id"
            ).fetchall()
        return [MarketRow(*r) for r in rows]

    # -- orders --------------------------------------------------------------------------

    def insert_order(  # noqa: PLR0917 (the seed's signature)
        self,
        local_id: str,
        session_id: str,
        market_id: str,
        token_id: str,
        side: str,
        qty: int,
        limit_px: int | None,
        tif: str,
        group_id: str | None,
        reserved_usd: int,
        reserved_qty: int,
        submitted_at: datetime,
    ) -> None:
        """Record a submitted order (limit in cents, reserved_usd in micro-USDC)."""
        now = submitted_at.isoformat()
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO orders (local_id, session_id, market_id, token_id, side, qty, "
                "limit_px, tif, group_id, reserved_usd, reserved_qty, submitted_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    local_id,
                    session_id,
                    market_id,
                    token_id,
                    side,
                    qty,
                    limit_px,
                    tif,
                    group_id,
                    reserved_usd,
                    reserved_qty,
                    now,
                    now,
                ),
            )

    def update_order_exchange_id(self, local_id: str, exchange_order_id: str) -> None:
        """Attach the exchange's order id once the exchange acknowledged the order."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE orders SET exchange_order_id = ? WHERE local_id = ?",
                (exchange_order_id, local_id),
            )

    def update_order_fill(
        self, local_id: str, filled_qty: int, status: str, updated_at: datetime
    ) -> None:
        """Set an order's cumulative filled quantity and status."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE orders SET filled_qty = ?, status = ?, updated_at = ? WHERE local_id = ?",
                (filled_qty, status, updated_at.isoformat(), local_id),
            )

    def update_order_status(self, local_id: str, status: str, updated_at: datetime) -> None:
        """Set an order's status."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE orders SET status = ?, updated_at = ? WHERE local_id = ?",
                (status, updated_at.isoformat(), local_id),
            )

    def load_inflight_orders(self, session_id: str) -> list[OrderRow]:
        """The session's open orders (SUBMITTED or PARTIALLY_FILLED), oldest first."""
        with self.transaction(write=False) as conn:
            rows = conn.execute(
                f"SELECT {ORDER_COLUMNS} FROM orders WHERE session_id = ? "
                "AND status IN ('SUBMITTED', 'PARTIALLY_FILLED') ORDER BY submitted_at, local_id",
                (session_id,),
            ).fetchall()
        return list(map(OrderRow._make, rows))

    def load_order(self, local_id: str) -> OrderRow | None:
        """One order by local id."""
        with self.transaction(write=False) as conn:
            row = conn.execute(
                f"SELECT {ORDER_COLUMNS} FROM orders WHERE local_id = ?", (local_id,)
            ).fetchone()
        return None if row is None else OrderRow(*row)

    def load_orders(self, session_id: str) -> list[OrderRow]:
        """Every order of the session, by local id."""
        with self.transaction(write=False) as conn:
            rows = conn.execute(
                f"SELECT {ORDER_COLUMNS} FROM orders WHERE session_id = ? ORDER BY local_id",
                (session_id,),
            ).fetchall()
        return list(map(OrderRow._make, rows))

    # -- mints and merges ----------------------------------------------------------------

    def insert_mint_event(  # noqa: PLR0917 (the seed's signature)
        self,
        tx_hash: str | None,
        session_id: str,
        condition_id: str,
        operation: str,
        amount: int,
        submitted_at: datetime,
    ) -> int:
        """Record a pending mint or merge (amount in micro-USDC); returns its row id."""
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO mint_events (tx_hash, session_id, condition_id, operation, amount, "
                "submitted_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (tx_hash, session_id, condition_id, operation, amount, submitted_at.isoformat()),
            )
            row_id: int = cur.fetchone()[0]
        return row_id

    def update_mint_event_status(
        self, tx_hash: str, status: str, gas_cost: int, confirmed_at: datetime | None
    ) -> None:
        """Resolve a mint or merge by transaction hash (gas_cost in micro-USDC)."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE mint_events SET status = ?, gas_cost = ?, confirmed_at = ? "
                "WHERE tx_hash = ?",
                (
                    status,
                    gas_cost,
                    None if confirmed_at is None else confirmed_at.isoformat(),
                    tx_hash,
                ),
            )

    def load_pending_mints(self, session_id: str) -> list[MintEventRow]:
        """The session's pending mints and merges, oldest first."""
        return self._load_mints(session_id, pending_only=True)

    def load_mint_events(self, session_id: str) -> list[MintEventRow]:
        """Every mint and merge of the session, oldest first."""
        return self._load_mints(session_id, pending_only=False)

    def _load_mints(self, session_id: str, *, pending_only: bool) -> list[MintEventRow]:
        where = " AND status = 'PENDING'" if pending_only else ""
        with self.transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT id, tx_hash, session_id, condition_id, operation, amount, status, "
                f"gas_cost, submitted_at, confirmed_at FROM mint_events WHERE session_id = ?"
                f"{where} ORDER BY id",
                (session_id,),
            ).fetchall()
        return [MintEventRow(*r) for r in rows]

    # -- fills and positions -------------------------------------------------------------

    def insert_fill_and_position(  # noqa: PLR0917 (the seed's signature)
        self,
        fill_id: str,
        order_id: str,
        session_id: str,
        fill_market_id: str,
        fill_token_id: str,
        fill_side: str,
        fill_qty: int,
        fill_price: int,
        fill_fee: int,
        fill_timestamp: datetime,
        pos_market_id: str,
        pos_token_id: str,
        pos_session_id: str,
        pos_side: str,
        pos_qty: int,
        pos_avg_price: int,
        pos_realized_pnl: int,
        pos_unrealized_pnl: int,
        pos_updated_at: datetime,
        *,
        pos_cost_basis: int | None = None,
        pos_outcome: str | None = None,
    ) -> None:
        """Record a fill and its position in one transaction; a repeated fill id raises
        `DuplicateFill` and writes nothing. Prices in micro-USDC per contract, money in
        micro-USDC; the cost basis defaults to avg_price * qty."""
        cost = pos_avg_price * pos_qty if pos_cost_basis is None else pos_cost_basis
        fill = (
            fill_id, order_id, session_id, fill_market_id, fill_token_id, fill_side, fill_qty,
            fill_price, fill_fee, fill_timestamp.isoformat(),
        )  # fmt: skip
        position = (
            pos_market_id, pos_token_id, pos_session_id, pos_side, pos_qty, pos_avg_price,
            pos_realized_pnl, pos_unrealized_pnl, pos_updated_at.isoformat(), cost, pos_outcome,
        )  # fmt: skip
        self.write([(_INSERT_FILL, fill, None), (_UPSERT_POSITION, position, None)], fill_id)

    def upsert_position(  # noqa: PLR0917 (the seed's signature)
        self,
        market_id: str,
        token_id: str,
        session_id: str,
        side: str,
        qty: int,
        avg_price: int,
        realized_pnl: int,
        unrealized_pnl: int,
        updated_at: datetime,
        *,
        cost_basis: int | None = None,
        outcome: str | None = None,
    ) -> None:
        """Insert or replace a token's position row (see `insert_fill_and_position` for units)."""
        cost = avg_price * qty if cost_basis is None else cost_basis
        with self.transaction() as conn:
            conn.execute(
                _UPSERT_POSITION,
                (
                    market_id,
                    token_id,
                    session_id,
                    side,
                    qty,
                    avg_price,
                    realized_pnl,
                    unrealized_pnl,
                    updated_at.isoformat(),
                    cost,
                    outcome,
                ),
            )

    def load_resolutions(self, session_id: str) -> list[ResolutionRow]:
        """The session's resolved conditions, by condition id (none before version 4)."""
        if not self.has_table("resolutions"):
            return []
        with self.transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT session_id, condition_id, yes_payout, no_payout, redemption, paid, "
                "resolved_at, updated_at FROM resolutions WHERE session_id = ? "
                "ORDER BY condition_id",
                (session_id,),
            ).fetchall()
        return [ResolutionRow(*row) for row in rows]

    def load_positions(self, session_id: str) -> list[PositionRow]:
        """The session's position rows, by market and token."""
        with self.transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT market_id, token_id, session_id, side, qty, avg_price, realized_pnl, "
                "unrealized_pnl, cost_basis, outcome, updated_at FROM positions "
                "WHERE session_id = ? ORDER BY market_id, token_id",
                (session_id,),
            ).fetchall()
        return [PositionRow(*r) for r in rows]

    def load_fills(self, session_id: str) -> list[FillRow]:
        """The session's fills, in the order they were recorded."""
        with self.transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT fill_id, order_id, session_id, market_id, token_id, side, qty, price, "
                "fee, timestamp FROM fills WHERE session_id = ? ORDER BY id",
                (session_id,),
            ).fetchall()
        return [FillRow(*r) for r in rows]

    def fill_booked(self, fill_id: str) -> bool:
        """Whether the fills table holds a fill with this id (any session)."""
        with self.transaction(write=False) as conn:
            row = conn.execute("SELECT 1 FROM fills WHERE fill_id = ?", (fill_id,)).fetchone()
        return row is not None

    # -- the journal ---------------------------------------------------------------------

    def last_seq(self, session_id: str) -> int:
        """The sequence number of the session's last journaled event (0 when empty)."""
        with self.transaction(write=False) as conn:
            row = conn.execute(
                "SELECT MAX(seq) FROM journal WHERE session_id = ?", (session_id,)
            ).fetchone()
        return int(row[0] or 0)

    def iter_journal(self, session_id: str, *, batch: int = 4096) -> Iterator[JournalRow]:
        """Stream the session's journal in sequence order, `batch` rows in memory at a time.

        Each batch is its own read, keyed on the last sequence number seen, so a long replay
        holds no read transaction open. Inside `snapshot()` the whole journal is one read on
        that snapshot, streamed by the cursor.
        """
        if self._backend.in_transaction:
            with self.transaction(write=False) as conn:
                cursor = conn.execute(_SELECT_JOURNAL, (session_id, 0, INT64_MAX))
                for seq, kind, payload, duplicate in cursor:
                    yield JournalRow(seq, kind, payload, bool(duplicate))
            return
        after = 0
        while True:
            with self.transaction(write=False) as conn:
                rows = conn.execute(_SELECT_JOURNAL, (session_id, after, batch)).fetchall()
            for seq, kind, payload, duplicate in rows:
                yield JournalRow(seq, kind, payload, bool(duplicate))
            if len(rows) < batch:
                return
            after = rows[-1][0]

    def journal_batches(
        self, session_id: str, *, batch: int = 4096
    ) -> Iterator[list[tuple[int, str, bytes, int]]]:
        """`iter_journal` as lists of plain (seq, kind, payload, duplicate) rows: replay's fast
        path, with no object per row."""
        after = 0
        while True:
            with self.transaction(write=False) as conn:
                rows = conn.execute(_SELECT_JOURNAL, (session_id, after, batch)).fetchall()
            if rows:
                yield rows
            if len(rows) < batch:
                return
            after = rows[-1][0]

    def journal_rows(
        self, session_id: str, *, batch: int = 4096, after: int = 0
    ) -> Iterator[list[tuple[int, str, bytes, int, int, bytes | None]]]:
        """The session's journal after row number `after` as lists of plain (seq, kind,
        payload, duplicate, recorded_at, hash) rows in sequence order, one read per batch
        (inside `snapshot()`, one read)."""
        if self._backend.in_transaction:
            with self.transaction(write=False) as conn:
                yield conn.execute(_SELECT_JOURNAL_FULL, (session_id, after, INT64_MAX)).fetchall()
            return
        while True:
            with self.transaction(write=False) as conn:
                rows = conn.execute(_SELECT_JOURNAL_FULL, (session_id, after, batch)).fetchall()
            if rows:
                yield rows
            if len(rows) < batch:
                return
            after = rows[-1][0]

    def native_uri(self) -> str | None:
        """The URI under which the native readers (`_native.JournalDecoder.scan`,
        `_native.fills_digest`) open this database read-only and see every commit this
        connection sees; None when they cannot (PostgreSQL, in memory, inside a transaction)."""
        return self._backend.native_uri()

    def journal_head(self, session_id: str) -> tuple[int, bytes | None]:
        """The last row's sequence number and hash ((0, JOURNAL_GENESIS) for an empty journal)."""
        with self.transaction(write=False) as conn:
            row = conn.execute(
                "SELECT seq, hash FROM journal WHERE session_id = ? ORDER BY seq DESC LIMIT 1",
                (session_id,),
            ).fetchone()
        return (0, JOURNAL_GENESIS) if row is None else (int(row[0]), row[1])

    def has_table(self, name: str) -> bool:
        """Whether the database has a table of this name."""
        return self._backend.has_table(name)

    def session_row_counts(self, session_id: str) -> dict[str, int]:
        """How many rows of the session each table other than the journal holds."""
        counts = {}
        with self.transaction(write=False) as conn:
            for table in ("fills", "orders", "positions", "mint_events", "resolutions"):
                counts[table] = int(
                    conn.execute(
                        f"SELECT COUNT(*) FROM {table} WHERE session_id = ?", (session_id,)
                    ).fetchone()[0]
                )
        return counts

    def fill_batches(
        self, session_id: str, *, batch: int = 4096
    ) -> Iterator[list[tuple[str, str, str, str, int, int, int]]]:
        """The session's fills as (fill_id, order_id, token_id, side, qty, price, fee) rows in
        the order they were recorded, one read per batch (inside `snapshot()`, one read)."""
        select = (
            "SELECT id, fill_id, order_id, token_id, side, qty, price, fee FROM fills "
            "WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?"
        )
        if self._backend.in_transaction:
            with self.transaction(write=False) as conn:
                yield [r[1:] for r in conn.execute(select, (session_id, -(2**63), INT64_MAX))]
            return
        after = -(2**63)
        while True:
            with self.transaction(write=False) as conn:
                rows = conn.execute(select, (session_id, after, batch)).fetchall()
            if rows:
                yield [r[1:] for r in rows]
            if len(rows) < batch:
                return
            after = rows[-1][0]

    def fill_json_batches(self, session_id: str, *, batch: int = 4096) -> Iterator[list[str]]:
        """The session's fills as JSON arrays `[fill_id, order_id, token_id, side, qty, price,
        fee]`, in the order they were recorded: one read, one short string per row (far
        cheaper to compare than seven columns). SQLite writes them (`json_array`), and a value
        JSON cannot hold (a BLOB) raises `StoreError`; on PostgreSQL orjson writes them."""
        if self.dialect == "sqlite":
            select = (
                "SELECT json_array(fill_id, order_id, token_id, side, qty, price, fee) "
                "FROM fills WHERE session_id = ? ORDER BY id"
            )
            with self.transaction(write=False) as conn:
                cursor = conn.execute(select, (session_id,))
                while rows := cursor.fetchmany(batch):
                    yield [row[0] for row in rows]
            return
        for rows in self.fill_batches(session_id, batch=batch):
            yield [orjson.dumps(row).decode() for row in rows]

    def integrity_check(self) -> str:
        """ "ok" for a sound database, else the backend's findings (SQLite's
        `PRAGMA integrity_check`)."""
        return self._backend.integrity_check()


_SELECT_JOURNAL_FULL: Final = (
    "SELECT seq, kind, payload, duplicate, recorded_at, hash FROM journal "
    "WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?"
)
_SELECT_JOURNAL: Final = (
    "SELECT seq, kind, payload, duplicate FROM journal WHERE session_id = ? AND seq > ? "
    "ORDER BY seq LIMIT ?"
)

# The fill insert is shared by the seed's operation and the journal, so both write the same row.
_INSERT_FILL: Final = (
    "INSERT INTO fills (fill_id, order_id, session_id, market_id, token_id, side, qty, price, "
    "fee, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPSERT_POSITION: Final = (
    "INSERT INTO positions (market_id, token_id, session_id, side, qty, avg_price, "
    "realized_pnl, unrealized_pnl, updated_at, cost_basis, outcome) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT(market_id, token_id, session_id) DO UPDATE SET "
    "side = excluded.side, qty = excluded.qty, avg_price = excluded.avg_price, "
    "realized_pnl = excluded.realized_pnl, unrealized_pnl = excluded.unrealized_pnl, "
    "updated_at = excluded.updated_at, cost_basis = excluded.cost_basis, "
    "outcome = excluded.outcome"
)


def _insert_market(  # noqa: PLR0917
    conn: Connection,
    market_id: str,
    condition_id: str,
    yes_token_id: str,
    no_token_id: str,
    question: str,
) -> None:
    for field, value in (
        ("market_id", market_id),
        ("condition_id", condition_id),
        ("yes_token_id", yes_token_id),
        ("no_token_id", no_token_id),
    ):
        if not isinstance(value, str) or not value:
            raise InvalidInput(field, value, "a non-empty string is required")
    if yes_token_id == no_token_id:
        raise InvalidInput("no_token_id", no_token_id, "must differ from yes_token_id")
    # Sessions on other connections may register the same market at once: the insert yields
    # to a row already there, which is then compared.
    inserted = conn.execute(
        "INSERT INTO markets (market_id, condition_id, question, yes_token_id, no_token_id) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT(market_id) DO NOTHING",
        (market_id, condition_id, question, yes_token_id, no_token_id),
    ).rowcount
    if inserted:
        return
    row = conn.execute(
        "SELECT condition_id, yes_token_id, no_token_id FROM markets WHERE market_id = ?",
        (market_id,),
    ).fetchone()
    if row[1] is None and row[2] is None and row[0] == condition_id:
        # A host row from before version 1: fill in the tokens it never recorded.
        conn.execute(
            "UPDATE markets SET yes_token_id = ?, no_token_id = ? WHERE market_id = ?",
            (yes_token_id, no_token_id, market_id),
        )
    elif tuple(row) != (condition_id, yes_token_id, no_token_id):
        raise StoreError(
            f"market {market_id!r} is registered as condition {row[0]!r} with tokens "
            f"YES={row[1]!r} NO={row[2]!r}, not {condition_id!r} {yes_token_id!r} "
            f"{no_token_id!r}"
        )


def _session_row(row: Any) -> SessionRow:
    return SessionRow(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]))
