"""The SQLite store: the session's tables, the event journal and the writer lock.

`PersistenceLayer` wraps one `sqlite3` connection. It knows tables and rows, not the ledger's
rules: `journal.py` decides what to write for each event. Every integer column holds an exact
unit (see the README's units table): money in micro-USDC, order limits in cents, fill prices in
micro-USDC per contract, quantities in whole contracts.

sqlite3 errors become the package's `StoreError` family in one place, `Transaction.__exit__`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import sqlite3
import struct
import tempfile
import threading
import urllib.parse
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Final, Literal

from weatherman_inventory.errors import (
    DuplicateFill,
    InvalidInput,
    SchemaVersionError,
    SessionExists,
    SessionLocked,
    SessionNotFound,
    StoreError,
)

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "JOURNAL_GENESIS",
    "SCHEMA_VERSION",
    "FillRow",
    "JournalRow",
    "MarketRow",
    "MintEventRow",
    "Mode",
    "OrderRow",
    "PersistenceLayer",
    "PositionRow",
    "ResolutionRow",
    "SessionRow",
    "Transaction",
    "journal_row_hash",
]

SCHEMA_VERSION: Final = 4
"""The schema this module writes, kept in `PRAGMA user_version` (0: a host database without it;
1: a journal without the hash chain, which opening for writing computes; 2: quantities in whole
contracts and limits in cents, which opening for writing scales to micro-shares and micro-USDC
per share; 3: no resolutions table, which opening for writing creates). Journal rows are never
rewritten: their units are told by each session's first row (`events.JOURNAL_FORMAT`)."""

JOURNAL_GENESIS: Final = bytes(32)
"""The hash before a session's first journal row."""

INT64_MAX: Final = 2**63 - 1
INT64_MIN: Final = -(2**63)

Mode = Literal["paper", "live"]

# The host tables as the seed's host code has them, followed by what this package adds. Every
# statement is idempotent, so `initialize` runs the whole script on every open.
_HOST_DDL: Final = """
CREATE TABLE IF NOT EXISTS sessions (
    id            TEXT PRIMARY KEY,
    mode          TEXT NOT NULL CHECK(mode IN ('paper', 'live')),
    strategy_id   TEXT NOT NULL,
    config_json   TEXT NOT NULL,
    started_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS markets (
    market_id     TEXT PRIMARY KEY,
    condition_id  TEXT NOT NULL,
    question      TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS fills (
    id            INTEGER PRIMARY KEY,
    fill_id       TEXT NOT NULL UNIQUE,
    order_id      TEXT NOT NULL,
    session_id    TEXT NOT NULL REFERENCES sessions(id),
    market_id     TEXT NOT NULL,
    token_id      TEXT NOT NULL,
    side          TEXT NOT NULL CHECK(side IN ('buy', 'sell')),
    qty           INTEGER NOT NULL CHECK(qty > 0),
    price         INTEGER NOT NULL CHECK(price >= 0 AND price <= 1000000),
    fee           INTEGER NOT NULL DEFAULT 0 CHECK(fee >= 0),
    timestamp     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_fills_session ON fills(session_id, id);
CREATE TABLE IF NOT EXISTS positions (
    market_id       TEXT NOT NULL,
    token_id        TEXT NOT NULL,
    session_id      TEXT NOT NULL REFERENCES sessions(id),
    side            TEXT NOT NULL,
    qty             INTEGER NOT NULL CHECK(qty >= 0),
    avg_price       INTEGER NOT NULL DEFAULT 0,
    realized_pnl    INTEGER NOT NULL DEFAULT 0,
    unrealized_pnl  INTEGER NOT NULL DEFAULT 0,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (market_id, token_id, session_id)
);
"""

# Columns added to host tables by version 1: (table, column, declaration).
_ADDED_COLUMNS: Final = (
    (
        "sessions",
        "initial_capital",
        "INTEGER NOT NULL DEFAULT 0 CHECK(initial_capital >= 0)",
    ),
    (
        "sessions",
        "exit_triggered",
        "INTEGER NOT NULL DEFAULT 0 CHECK(exit_triggered IN (0, 1))",
    ),
    ("markets", "yes_token_id", "TEXT"),
    ("markets", "no_token_id", "TEXT"),
    ("positions", "cost_basis", "INTEGER NOT NULL DEFAULT 0 CHECK(cost_basis >= 0)"),
    ("positions", "outcome", "TEXT CHECK(outcome IN ('YES', 'NO'))"),
)

_ORDERS_DDL: Final = """
CREATE TABLE IF NOT EXISTS orders (
    local_id          TEXT PRIMARY KEY,
    exchange_order_id TEXT UNIQUE,
    session_id        TEXT NOT NULL REFERENCES sessions(id),
    market_id         TEXT NOT NULL,
    token_id          TEXT NOT NULL,
    side              TEXT NOT NULL CHECK(side IN ('buy', 'sell')),
    qty               INTEGER NOT NULL CHECK(qty > 0),
    limit_px          INTEGER CHECK(limit_px > 0 AND limit_px <= 1000000),
    tif               TEXT NOT NULL CHECK(tif IN ('GTC', 'GTD', 'FOK')),
    group_id          TEXT,
    status            TEXT NOT NULL DEFAULT 'SUBMITTED'
                      CHECK(status IN ('SUBMITTED', 'PARTIALLY_FILLED', 'FILLED', 'CANCELLED',
                                       'EXPIRED')),
    filled_qty        INTEGER NOT NULL DEFAULT 0 CHECK(filled_qty >= 0),
    reserved_usd      INTEGER NOT NULL DEFAULT 0 CHECK(reserved_usd >= 0),
    reserved_qty      INTEGER NOT NULL DEFAULT 0 CHECK(reserved_qty >= 0),
    submitted_at      TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    CHECK(side = 'sell' OR limit_px IS NOT NULL)
);
"""

_V1_DDL: Final = """
CREATE INDEX IF NOT EXISTS idx_orders_session ON orders(session_id, status);
CREATE INDEX IF NOT EXISTS idx_orders_market ON orders(market_id, status);
CREATE INDEX IF NOT EXISTS idx_orders_exchange ON orders(exchange_order_id)
    WHERE exchange_order_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS mint_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tx_hash       TEXT UNIQUE,
    session_id    TEXT NOT NULL REFERENCES sessions(id),
    condition_id  TEXT NOT NULL,
    operation     TEXT NOT NULL CHECK(operation IN ('MINT', 'MERGE')),
    amount        INTEGER NOT NULL CHECK(amount > 0),
    status        TEXT NOT NULL DEFAULT 'PENDING'
                  CHECK(status IN ('PENDING', 'CONFIRMED', 'FAILED')),
    gas_cost      INTEGER NOT NULL DEFAULT 0 CHECK(gas_cost >= 0),
    submitted_at  TEXT NOT NULL,
    confirmed_at  TEXT
);
CREATE INDEX IF NOT EXISTS idx_mint_session ON mint_events(session_id, status);
CREATE INDEX IF NOT EXISTS idx_mint_tx ON mint_events(tx_hash) WHERE tx_hash IS NOT NULL;

CREATE INDEX IF NOT EXISTS idx_markets_yes ON markets(yes_token_id);
CREATE INDEX IF NOT EXISTS idx_markets_no ON markets(no_token_id);

-- One row per condition a session saw resolved: what a share of each outcome pays (micro-USDC),
-- the latest redemption's status (NULL: none submitted) and what confirmed redemptions paid
-- (micro-USDC). Version 3 had no such table.
CREATE TABLE IF NOT EXISTS resolutions (
    session_id    TEXT NOT NULL REFERENCES sessions(id),
    condition_id  TEXT NOT NULL,
    yes_payout    INTEGER NOT NULL CHECK(yes_payout BETWEEN 0 AND 1000000),
    no_payout     INTEGER NOT NULL CHECK(no_payout BETWEEN 0 AND 1000000),
    redemption    TEXT CHECK(redemption IN ('PENDING', 'CONFIRMED', 'FAILED')),
    paid          INTEGER NOT NULL DEFAULT 0 CHECK(paid >= 0),
    resolved_at   TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (session_id, condition_id)
) WITHOUT ROWID;

-- One row per event the ledger accepted, in order. `payload` is the event's fields as compact
-- JSON (journal.py); `duplicate` marks a fill the store refused as a repeated fill id, which
-- replay records as an anomaly instead of applying. `hash` chains each row to the one before
-- (`journal_row_hash`); version 1 had no such column.
CREATE TABLE IF NOT EXISTS journal (
    session_id   TEXT NOT NULL REFERENCES sessions(id),
    seq          INTEGER NOT NULL CHECK(seq >= 1),
    kind         TEXT NOT NULL,
    payload      BLOB NOT NULL,
    duplicate    INTEGER NOT NULL DEFAULT 0 CHECK(duplicate IN (0, 1)),
    recorded_at  INTEGER NOT NULL,
    hash         BLOB,
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
"""

_ORDER_COLUMNS: Final = (
    "local_id, exchange_order_id, session_id, market_id, token_id, side, qty, limit_px, tif, "
    "group_id, status, filled_qty, reserved_usd, reserved_qty, submitted_at, updated_at"
)


@dataclass(frozen=True, slots=True)
class SessionRow:
    """A session; `initial_capital` in micro-USDC."""

    id: str
    mode: str
    strategy_id: str
    config_json: str
    started_at: str
    initial_capital: int
    exit_triggered: bool


@dataclass(frozen=True, slots=True)
class MarketRow:
    """A market and the token of each outcome (None where a host database never recorded it)."""

    market_id: str
    condition_id: str
    question: str
    yes_token_id: str | None
    no_token_id: str | None


@dataclass(frozen=True, slots=True)
class OrderRow:
    """An order: `limit_px` in cents (None for a sell without a limit), `reserved_usd` in
    micro-USDC still reserved, `reserved_qty` contracts still reserved."""

    local_id: str
    exchange_order_id: str | None
    session_id: str
    market_id: str
    token_id: str
    side: str
    qty: int
    limit_px: int | None
    tif: str
    group_id: str | None
    status: str
    filled_qty: int
    reserved_usd: int
    reserved_qty: int
    submitted_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class MintEventRow:
    """A mint or merge: `amount` and `gas_cost` in micro-USDC (a merge of n pairs: n * 10^6)."""

    id: int
    tx_hash: str | None
    session_id: str
    condition_id: str
    operation: str
    amount: int
    status: str
    gas_cost: int
    submitted_at: str
    confirmed_at: str | None


@dataclass(frozen=True, slots=True)
class FillRow:
    """A fill: `price` in micro-USDC per contract, `fee` in micro-USDC."""

    fill_id: str
    order_id: str
    session_id: str
    market_id: str
    token_id: str
    side: str
    qty: int
    price: int
    fee: int
    timestamp: str


@dataclass(frozen=True, slots=True)
class PositionRow:
    """A token's position: `cost_basis` and the PnLs in micro-USDC, exact; `avg_price` is
    cost_basis // qty in micro-USDC per contract, for display (0 when flat)."""

    market_id: str
    token_id: str
    session_id: str
    side: str
    qty: int
    avg_price: int
    realized_pnl: int
    unrealized_pnl: int
    cost_basis: int
    outcome: str | None
    updated_at: str


@dataclass(frozen=True, slots=True)
class ResolutionRow:
    """A resolved condition: payouts in micro-USDC a share, the latest redemption's status
    (None: none submitted), `paid` micro-USDC by confirmed redemptions."""

    session_id: str
    condition_id: str
    yes_payout: int
    no_payout: int
    redemption: str | None
    paid: int
    resolved_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class JournalRow:
    """One journaled event: `payload` as journal.py encoded it, `recorded_at` in microseconds
    since the epoch, `hash` the row's link of the chain (None where nothing computed it)."""

    seq: int
    kind: str
    payload: bytes
    duplicate: bool
    recorded_at: int = 0
    hash: bytes | None = None


# session_id length, seq, kind length, payload type and length, duplicate, recorded_at.
_HASH_HEAD: Final = struct.Struct(">IqIBIBq")
_PAYLOAD_BLOB: Final = 0
_PAYLOAD_TEXT: Final = 1
_PAYLOAD_OTHER: Final = 2


def journal_row_hash(  # noqa: PLR0917 (a journal row's columns, in order)
    previous: bytes,
    session_id: str,
    seq: int,
    kind: str,
    payload: object,
    duplicate: int,
    recorded_at: int,
) -> bytes:
    """sha256 of the previous row's hash (`JOURNAL_GENESIS` before seq 1) and the row.

    The encoding is unambiguous: fixed-width integers, each variable field preceded by its
    length, and the payload's SQLite type, so no two different rows encode alike.
    """
    if isinstance(payload, bytes):
        tag, body = _PAYLOAD_BLOB, payload
    elif isinstance(payload, str):
        tag, body = _PAYLOAD_TEXT, payload.encode("utf-8", "surrogatepass")
    else:
        tag, body = _PAYLOAD_OTHER, repr(payload).encode()
    sid = session_id.encode("utf-8", "surrogatepass")
    kind_bytes = (
        kind.encode("utf-8", "surrogatepass") if isinstance(kind, str) else repr(kind).encode()
    )
    head = _HASH_HEAD.pack(
        len(sid), seq, len(kind_bytes), tag, len(body), 1 if duplicate else 0, recorded_at
    )
    return hashlib.sha256(b"".join((previous, head, sid, kind_bytes, body))).digest()


class Transaction:
    """One SQLite transaction; the single place where sqlite3 errors become `StoreError`s.

    `BEGIN IMMEDIATE` takes the write lock up front, so a transaction never fails half way on
    a lock upgrade. Errors of this package raised inside the block (an `InvalidInput` refusing
    a value) roll back and pass through unchanged. Set `fill_id` before inserting a fill so a
    repeated fill id surfaces as `DuplicateFill` naming it.
    """

    __slots__ = ("_conn", "_lock", "_nested", "_write", "fill_id")

    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock, *, write: bool) -> None:
        self._conn = conn
        self._lock = lock
        self._write = write
        self._nested = False
        self.fill_id: str | None = None

    def __enter__(self) -> sqlite3.Connection:
        self._lock.acquire()
        if self._conn.in_transaction:
            # Inside `PersistenceLayer.snapshot()`: read within the outer transaction.
            if self._write:
                self._lock.release()
                raise StoreError("a write cannot run inside a read snapshot")
            self._nested = True
            return self._conn
        try:
            self._conn.execute("BEGIN IMMEDIATE" if self._write else "BEGIN")
        except BaseException as exc:
            self._lock.release()
            raise _translate(exc, None) from exc
        return self._conn

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._nested:
                if isinstance(exc, sqlite3.Error | OverflowError):
                    raise _translate(exc, self.fill_id) from exc
                return
            if exc is None:
                try:
                    self._conn.execute("COMMIT")
                except sqlite3.Error as commit_exc:
                    self._rollback()
                    raise _translate(commit_exc, None) from commit_exc
                return
            self._rollback()
            if isinstance(exc, sqlite3.Error | OverflowError):
                raise _translate(exc, self.fill_id) from exc
        finally:
            self._lock.release()

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            # A failed rollback leaves nothing more to undo: SQLite has already ended the
            # transaction, so its error would only hide the one that matters.
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")


def _translate(exc: BaseException, fill_id: str | None) -> BaseException:
    if isinstance(exc, sqlite3.IntegrityError):
        message = str(exc)
        if fill_id is not None and "fills.fill_id" in message:
            return DuplicateFill(fill_id)
        return StoreError(f"constraint failed: {message}")
    if isinstance(exc, OverflowError):
        return StoreError(f"an integer does not fit a 64-bit column: {exc}")
    if isinstance(exc, sqlite3.OperationalError):
        return StoreError(f"database operation failed: {exc}")
    if isinstance(exc, sqlite3.Error):
        return StoreError(f"database error: {exc}")
    return exc


class _SessionLock:
    """An exclusive `flock` on a file beside the database, one per session.

    The OS drops the lock when the process dies, so a crashed writer never leaves a stale lock.
    """

    __slots__ = ("fd", "path")

    def __init__(self, path: str, fd: int) -> None:
        self.path = path
        self.fd = fd

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _file_uri(path: str, query: str) -> str:
    """An SQLite URI for a file path (`?`, `#` and `%` in the path escaped)."""
    return f"file:{urllib.parse.quote(path)}?{query}"


def _connect_readonly(uri: str) -> sqlite3.Connection:
    return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)


def _check_int(field: str, value: int, low: int = 0, high: int = INT64_MAX) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field, value, "an int is required")
    if not low <= value <= high:
        raise InvalidInput(field, value, f"must be in {low}..{high}")
    return value


class PersistenceLayer:
    """The session store over one SQLite database file (or `":memory:"` for tests).

    `mode="live"` syncs every commit to disk (`synchronous=FULL`); `mode="paper"` uses
    `synchronous=NORMAL`, which in WAL mode may lose the last commits on power loss but never
    on a process crash. `readonly=True` opens without writing (for verify) and needs no lock.
    """

    def __init__(
        self, path: str | os.PathLike[str], mode: Mode = "paper", *, readonly: bool = False
    ):
        if mode not in ("paper", "live"):
            raise InvalidInput("mode", mode, "must be 'paper' or 'live'")
        self.path = os.fspath(path)
        self.mode: Mode = mode
        self.readonly = readonly
        self._lock = threading.RLock()
        self._session_locks: dict[str, _SessionLock] = {}
        self._private_copy: weakref.finalize[..., Any] | None = None
        self._uri: str | None = None
        try:
            if readonly:
                if self.path == ":memory:":
                    raise InvalidInput("path", self.path, "a read-only store needs a file")
                if not os.path.isfile(self.path):
                    raise StoreError(f"no database at {self.path}")
                self._conn = self._open_readonly()
            else:
                self._conn = sqlite3.connect(
                    self.path, isolation_level=None, check_same_thread=False
                )
                if self.path not in ("", ":memory:") and not self.path.startswith("file:"):
                    self._uri = _file_uri(os.path.abspath(self.path), "mode=ro")
            self._conn.execute("PRAGMA busy_timeout = 5000")
            self._conn.execute("PRAGMA foreign_keys = ON")
            if not readonly:
                self._conn.execute("PRAGMA journal_mode = WAL")
                sync = "FULL" if mode == "live" else "NORMAL"
                self._conn.execute(f"PRAGMA synchronous = {sync}")
        except sqlite3.Error as exc:
            raise _translate(exc, None) from exc
        if readonly:
            self._check_version(self._user_version())
        else:
            self.initialize()

    def _open_readonly(self) -> sqlite3.Connection:
        """A read-only connection that sees every commit, also on read-only media.

        SQLite reads a WAL database through its `-shm` index, which it creates when absent;
        on a read-only medium it cannot, and the open fails. The database and its `-wal` are
        then read from a private copy (removed by `close`). A database with no `-wal` on a
        read-only medium is opened `immutable`, which would ignore a WAL if there were one.
        """
        self._uri = _file_uri(self.path, "mode=ro")
        conn = _connect_readonly(self._uri)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError:
            conn.close()
            directory = os.path.dirname(os.path.abspath(self.path))
            if os.access(directory, os.W_OK):
                raise  # SQLite could have created the -shm: a failure of another kind
        wal = self.path + "-wal"
        if not os.path.exists(wal) and os.statvfs(directory).f_flag & os.ST_RDONLY:
            self._uri = _file_uri(self.path, "mode=ro&immutable=1")
            return _connect_readonly(self._uri)
        private = tempfile.mkdtemp(prefix="weatherman-readonly-")
        self._private_copy = weakref.finalize(self, shutil.rmtree, private, True)
        copy = os.path.join(private, os.path.basename(self.path))
        try:
            shutil.copyfile(self.path, copy)
            if os.path.exists(wal):
                shutil.copyfile(wal, copy + "-wal")
        except OSError as exc:
            raise StoreError(f"cannot copy {self.path} to read it: {exc}") from exc
        self._uri = _file_uri(copy, "mode=ro")
        return _connect_readonly(self._uri)

    # -- lifecycle -----------------------------------------------------------------------

    def transaction(self, *, write: bool = True) -> Transaction:
        """A transaction on this store's connection (write: take the write lock at BEGIN)."""
        return Transaction(self._conn, self._lock, write=write)

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Run the reads inside the block on one consistent state of the database.

        In WAL mode a reader sees the database as of its transaction's first read, whatever a
        writer commits meanwhile; writes inside the block are refused.
        """
        with self.transaction(write=False):
            yield

    def close(self) -> None:
        """Release every session lock this store holds and close the connection."""
        for lock in self._session_locks.values():
            lock.release()
        self._session_locks.clear()
        self._conn.close()
        if self._private_copy is not None:
            self._private_copy()

    def __enter__(self) -> PersistenceLayer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def pragma(self, name: str) -> Any:
        """The value of a read-only pragma (journal_mode, synchronous, foreign_keys, ...)."""
        if not name.replace("_", "").isalnum():
            raise InvalidInput("name", name, "a pragma name is letters and underscores")
        with self.transaction(write=False) as conn:
            row = conn.execute(f"PRAGMA {name}").fetchone()
        return None if row is None else row[0]

    def _user_version(self) -> int:
        with self.transaction(write=False) as conn:
            version: int = conn.execute("PRAGMA user_version").fetchone()[0]
        return version

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"{self.path} has schema version {version}, newer than this package's "
                f"{SCHEMA_VERSION}: upgrade weatherman-inventory to open it"
            )
        if self.readonly and version < SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}, older than {SCHEMA_VERSION}: "
                "open it once for writing to upgrade it"
            )

    def initialize(self) -> None:
        """Create or upgrade the schema; idempotent.

        A host database without this package's tables (user_version 0) gains them and the new
        columns of its own tables; a database from a newer version is refused.
        """
        version = self._user_version()
        self._check_version(version)
        with self.transaction() as conn:
            for statement in _statements(_HOST_DDL):
                conn.execute(statement)
            for table, column, decl in _ADDED_COLUMNS:
                if column not in _columns(conn, table):
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
            _create_or_upgrade_orders(conn)
            if not _has_unique_index(conn, "fills", "fill_id"):
                # A host fills table without UNIQUE(fill_id): every fill must be recorded once.
                conn.execute("CREATE UNIQUE INDEX idx_fills_fill_id ON fills(fill_id)")
            for statement in _statements(_V1_DDL):
                conn.execute(statement)
            if "hash" not in _columns(conn, "journal"):
                conn.execute("ALTER TABLE journal ADD COLUMN hash BLOB")
            if version < 2:
                _chain_journal(conn)
            if version < 3:
                _scale_to_micro(conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # -- the writer lock -----------------------------------------------------------------

    def lock_session(self, session_id: str) -> None:
        """Become the session's only writer, or raise `SessionLocked` if another holds it.

        One claim at a time: a session this store already holds is refused too (it belongs to
        the manager that claimed it), and a refusal leaves every lock as it was. The lock is a
        file `.weatherman-<st_dev>-<st_ino>-<sha256(session)[:16]>.lock` in the directory of
        the database's real file, locked with `flock`: named for the file's identity, so every
        path to one database (a symlink, `./x` and `x`) meets the same lock. It lasts until
        `unlock_session`, `close` or the end of the process.
        """
        if session_id in self._session_locks:
            raise SessionLocked(
                f"session {session_id!r} in {self.path} is already claimed through this store: "
                "one manager at a time"
            )
        if self.path == ":memory:":
            # An in-memory database belongs to this connection alone.
            self._session_locks[session_id] = _SessionLock(":memory:", -1)
            return
        lock_path = self._lock_path(session_id)
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot open the lock file {lock_path}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SessionLocked(
                f"session {session_id!r} in {self.path} is open for writing in another process "
                f"(lock file {lock_path})"
            ) from None
        self._session_locks[session_id] = _SessionLock(lock_path, fd)

    def _lock_path(self, session_id: str) -> str:
        real = os.path.realpath(self.path)
        try:
            st = os.stat(real)
        except OSError as exc:
            raise StoreError(f"cannot stat the database {real}: {exc}") from exc
        digest = hashlib.sha256(session_id.encode()).hexdigest()[:16]
        name = f".weatherman-{st.st_dev:x}-{st.st_ino:x}-{digest}.lock"
        return os.path.join(os.path.dirname(real), name)

    def holds_session(self, session_id: str) -> bool:
        """Whether this store holds the session's writer lock."""
        return session_id in self._session_locks

    def unlock_session(self, session_id: str) -> None:
        """Give up the writer lock of a session (nothing if not held)."""
        lock = self._session_locks.pop(session_id, None)
        if lock is not None:
            lock.release()

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
        _check_int("initial_capital", initial_capital)
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
                f"SELECT {_ORDER_COLUMNS} FROM orders WHERE session_id = ? "
                "AND status IN ('SUBMITTED', 'PARTIALLY_FILLED') ORDER BY submitted_at, local_id",
                (session_id,),
            ).fetchall()
        return [OrderRow(*r) for r in rows]

    def load_order(self, local_id: str) -> OrderRow | None:
        """One order by local id."""
        with self.transaction(write=False) as conn:
            row = conn.execute(
                f"SELECT {_ORDER_COLUMNS} FROM orders WHERE local_id = ?", (local_id,)
            ).fetchone()
        return None if row is None else OrderRow(*row)

    def load_orders(self, session_id: str) -> list[OrderRow]:
        """Every order of the session, by local id."""
        with self.transaction(write=False) as conn:
            rows = conn.execute(
                f"SELECT {_ORDER_COLUMNS} FROM orders WHERE session_id = ? ORDER BY local_id",
                (session_id,),
            ).fetchall()
        return [OrderRow(*r) for r in rows]

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
                "submitted_at) VALUES (?, ?, ?, ?, ?, ?)",
                (tx_hash, session_id, condition_id, operation, amount, submitted_at.isoformat()),
            )
            row_id = cur.lastrowid
        assert row_id is not None
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
        tx = self.transaction()
        tx.fill_id = fill_id
        with tx as conn:
            conn.execute(
                _INSERT_FILL,
                (
                    fill_id,
                    order_id,
                    session_id,
                    fill_market_id,
                    fill_token_id,
                    fill_side,
                    fill_qty,
                    fill_price,
                    fill_fee,
                    fill_timestamp.isoformat(),
                ),
            )
            conn.execute(
                _UPSERT_POSITION,
                (
                    pos_market_id,
                    pos_token_id,
                    pos_session_id,
                    pos_side,
                    pos_qty,
                    pos_avg_price,
                    pos_realized_pnl,
                    pos_unrealized_pnl,
                    pos_updated_at.isoformat(),
                    cost,
                    pos_outcome,
                ),
            )

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
        """The session's position rows, in insertion order."""
        with self.transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT market_id, token_id, session_id, side, qty, avg_price, realized_pnl, "
                "unrealized_pnl, cost_basis, outcome, updated_at FROM positions "
                "WHERE session_id = ? ORDER BY rowid",
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
        if self._conn.in_transaction:
            with self.transaction(write=False) as conn:
                cursor = conn.execute(_SELECT_JOURNAL, (session_id, 0, -1))
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
        if self._conn.in_transaction:
            with self.transaction(write=False) as conn:
                yield conn.execute(_SELECT_JOURNAL_FULL, (session_id, after, -1)).fetchall()
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
        connection sees; None when they cannot (in memory, or inside a transaction)."""
        if self._uri is None or self._conn.in_transaction:
            return None
        return self._uri

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
        with self.transaction(write=False) as conn:
            row = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
            ).fetchone()
        return row is not None

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
        if self._conn.in_transaction:
            with self.transaction(write=False) as conn:
                yield [r[1:] for r in conn.execute(select, (session_id, -(2**63), -1))]
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
        """The session's fills as SQLite's `json_array(fill_id, order_id, token_id, side, qty,
        price, fee)` texts, in the order they were recorded: one read, one short string per row
        (far cheaper to compare than seven columns). A value JSON cannot hold (a BLOB) raises
        `StoreError`."""
        select = (
            "SELECT json_array(fill_id, order_id, token_id, side, qty, price, fee) FROM fills "
            "WHERE session_id = ? ORDER BY id"
        )
        with self.transaction(write=False) as conn:
            cursor = conn.execute(select, (session_id,))
            while rows := cursor.fetchmany(batch):
                yield [row[0] for row in rows]

    def integrity_check(self) -> str:
        """`PRAGMA integrity_check`: "ok" for a sound database, else SQLite's findings."""
        with self.transaction(write=False) as conn:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        return "\n".join(str(r[0]) for r in rows)


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
    conn: sqlite3.Connection,
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
    row = conn.execute(
        "SELECT condition_id, yes_token_id, no_token_id FROM markets WHERE market_id = ?",
        (market_id,),
    ).fetchone()
    if row is None:
        conn.execute(
            "INSERT INTO markets (market_id, condition_id, question, yes_token_id, no_token_id) "
            "VALUES (?, ?, ?, ?, ?)",
            (market_id, condition_id, question, yes_token_id, no_token_id),
        )
    elif row[1] is None and row[2] is None and row[0] == condition_id:
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


def _scale_to_micro(conn: sqlite3.Connection) -> None:
    """Version 3's units: every quantity column in micro-shares (whole contracts * 10^6), order
    limits in micro-USDC per share (cents * 10^4). Money columns are micro-USDC already, and a
    position's `avg_price` (micro-USDC per contract) is the same number per share.

    The orders table is copied into its new definition (its CHECK on `limit_px` changes, which
    SQLite cannot alter in place), scaling as it goes.
    """
    scaled = (
        _ORDER_COLUMNS.replace("qty, limit_px", "qty * 1000000, limit_px * 10000")
        .replace("filled_qty", "filled_qty * 1000000")
        .replace("reserved_qty", "reserved_qty * 1000000")
    )
    conn.execute("ALTER TABLE orders RENAME TO orders_v2")
    conn.execute(_ORDERS_DDL)
    conn.execute(f"INSERT INTO orders ({_ORDER_COLUMNS}) SELECT {scaled} FROM orders_v2")
    conn.execute("DROP TABLE orders_v2")
    for index in ("idx_orders_session", "idx_orders_market", "idx_orders_exchange"):
        conn.execute(f"DROP INDEX IF EXISTS {index}")
    for statement in _statements(_V1_DDL):
        if "idx_orders" in statement:
            conn.execute(statement)
    conn.execute("UPDATE positions SET qty = qty * 1000000")
    conn.execute("UPDATE fills SET qty = qty * 1000000")


def _chain_journal(conn: sqlite3.Connection) -> None:
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


def _session_row(row: Any) -> SessionRow:
    return SessionRow(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]))


def _statements(script: str) -> list[str]:
    """Split a DDL script into statements (no statement here holds a ';' in a literal)."""
    lines = [line for line in script.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _columns(conn: sqlite3.Connection, table: str) -> dict[str, bool]:
    """Column name -> NOT NULL, for one table."""
    return {row[1]: bool(row[3]) for row in conn.execute(f"PRAGMA table_info({table})")}


def _has_unique_index(conn: sqlite3.Connection, table: str, column: str) -> bool:
    for index in conn.execute(f"PRAGMA index_list({table})").fetchall():
        if index[2]:  # unique
            columns = [r[2] for r in conn.execute(f"PRAGMA index_info({index[1]!r})")]
            if columns == [column]:
                return True
    return False


def _create_or_upgrade_orders(conn: sqlite3.Connection) -> None:
    """Create the orders table, or rebuild a seed-era one whose limit_px is NOT NULL.

    SQLite cannot relax a column constraint in place, so the table is copied into the new
    definition inside the caller's transaction (SQLite's documented 12-step procedure).
    """
    columns = _columns(conn, "orders")
    if not columns:
        conn.execute(_ORDERS_DDL)
        return
    if not columns.get("limit_px", False):
        return
    conn.execute("ALTER TABLE orders RENAME TO orders_v0")
    conn.execute(_ORDERS_DDL)
    conn.execute(f"INSERT INTO orders ({_ORDER_COLUMNS}) SELECT {_ORDER_COLUMNS} FROM orders_v0")
    conn.execute("DROP TABLE orders_v0")
    for index in ("idx_orders_session", "idx_orders_market", "idx_orders_exchange"):
        conn.execute(f"DROP INDEX IF EXISTS {index}")
