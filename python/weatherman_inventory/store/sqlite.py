"""The SQLite backend: one `sqlite3` connection to a database file, WAL mode, a `flock` per
session as its writer lock, and the migrations from every earlier schema version.

The journal's commits (`SQLiteBackend.write`) run on a second connection to the same file, a
native one (`_native.SqliteWriter`) that keeps their statements prepared and runs a commit in
one call; its transactions never stay open, so the two connections never wait on each other.

sqlite3 errors become the package's `StoreError` family in one place, `_translate` (called by
`Transaction.__exit__` and `SQLiteBackend.write`).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import sqlite3
import tempfile
import threading
import urllib.parse
import weakref
from collections.abc import Iterator
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, Literal

from weatherman_inventory._native import SqliteWriter
from weatherman_inventory.errors import (
    DuplicateFill,
    InvalidInput,
    SessionLocked,
    StoreError,
)
from weatherman_inventory.store.backend import (
    Connection,
    Write,
    foreign_order,
    write_in,
    write_in_snapshot,
)
from weatherman_inventory.store.migrations import Dialect, check_version, upgrade
from weatherman_inventory.store.rows import Mode
from weatherman_inventory.store.schema import SCHEMA_VERSION
from weatherman_inventory.store.writers import CLAIM_WRITER, RELEASE_WRITER

__all__ = ["SQLiteBackend", "Transaction"]


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
        try:
            nested = self._conn.in_transaction
        except sqlite3.Error as exc:  # a closed connection
            self._lock.release()
            raise _translate(exc, None) from exc
        if nested:
            # Inside `PersistenceLayer.snapshot()`: read within the outer transaction.
            if self._write:
                self._lock.release()
                raise write_in_snapshot()
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


class SQLiteBackend:
    """One SQLite database file (or `":memory:"` for tests).

    `mode="live"` syncs every commit to disk (`synchronous=FULL`); `mode="paper"` uses
    `synchronous=NORMAL`, which in WAL mode may lose the last commits on power loss but never
    on a process crash. `readonly=True` opens without writing (for verify) and needs no lock.
    """

    dialect: Final[Literal["sqlite"]] = "sqlite"

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
        self._writer: SqliteWriter | None = None
        if readonly:
            check_version(self.path, readonly=self.readonly, version=self._user_version())
        else:
            self.initialize()
            if self._uri is not None:  # a file (in memory, a second connection is another db)
                try:
                    self._writer = SqliteWriter(self.path, "FULL" if mode == "live" else "NORMAL")
                except sqlite3.Error as exc:
                    self._conn.close()
                    raise _translate(exc, None) from exc

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

    @property
    def name(self) -> str:
        """The database's path, as messages name it."""
        return self.path

    # -- lifecycle -----------------------------------------------------------------------

    def transaction(self, *, write: bool = True) -> Transaction:
        """A transaction on this store's connection (write: take the write lock at BEGIN)."""
        return Transaction(self._conn, self._lock, write=write)

    def write(self, writes: list[Write], fill_id: str | None) -> None:
        """`Backend.write`, on the native writer's connection when the store is a file."""
        writer = self._writer
        if writer is None:
            write_in(self.transaction(), writes, fill_id)
            return
        with self._lock:
            try:
                if self._conn.in_transaction:
                    raise write_in_snapshot()
                unchanged = writer.write(writes)
            except (sqlite3.Error, OverflowError) as exc:
                raise _translate(exc, fill_id) from exc
        if unchanged is not None:
            raise foreign_order(unchanged)

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Run the reads inside the block on one consistent state of the database.

        In WAL mode a reader sees the database as of its transaction's first read, whatever a
        writer commits meanwhile; writes inside the block are refused.
        """
        with self.transaction(write=False):
            yield

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    def close(self) -> None:
        """Release every session lock this store holds (its writers stopped) and close the
        connection."""
        for session_id in list(self._session_locks):
            with contextlib.suppress(StoreError):
                self.unlock_session(session_id, "stopped")
        if self._writer is not None:
            with self._lock:
                self._writer.close()
        self._conn.close()
        if self._private_copy is not None:
            self._private_copy()

    def pragma(self, name: str) -> Any:
        """The value of a read-only pragma (journal_mode, synchronous, foreign_keys, ...)."""
        if not name.replace("_", "").isalnum():
            raise InvalidInput("name", name, "a pragma name is letters and underscores")
        with self.transaction(write=False) as conn:
            row = conn.execute(f"PRAGMA {name}").fetchone()
        return None if row is None else row[0]

    def schema_version(self) -> int:
        """The database's `PRAGMA user_version`."""
        return self._user_version()

    def has_table(self, name: str) -> bool:
        """Whether the database has a table of this name."""
        with self.transaction(write=False) as conn:
            row = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
            ).fetchone()
        return row is not None

    def integrity_check(self) -> str:
        """`PRAGMA integrity_check`: "ok" for a sound database, else SQLite's findings."""
        with self.transaction(write=False) as conn:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        return "\n".join(str(r[0]) for r in rows)

    def native_uri(self) -> str | None:
        """The URI under which the native readers open this database read-only and see every
        commit this connection sees; None when they cannot (in memory, or inside a
        transaction)."""
        if self._uri is None or self._conn.in_transaction:
            return None
        return self._uri

    def _user_version(self) -> int:
        with self.transaction(write=False) as conn:
            version: int = conn.execute("PRAGMA user_version").fetchone()[0]
        return version

    def initialize(self) -> None:
        """Create or upgrade the schema; idempotent.

        A host database without this package's tables (user_version 0) gains them and the new
        columns of its own tables; a database from a newer version is refused.
        """
        version = self._user_version()
        check_version(self.path, readonly=self.readonly, version=version)
        with self.transaction() as conn:
            upgrade(conn, version, _SQLITE)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # -- the writer lock -----------------------------------------------------------------

    def lock_session(self, session_id: str, holder: str) -> None:
        """Become the session's only writer, or raise `SessionLocked` if another holds it.

        One claim at a time: a session this store already holds is refused too (it belongs to
        the manager that claimed it), and a refusal leaves every lock as it was. The lock is a
        file `.weatherman-<st_dev>-<st_ino>-<sha256(session)[:16]>.lock` in the directory of
        the database's real file, locked with `flock`: named for the file's identity, so every
        path to one database (a symlink, `./x` and `x`) meets the same lock. It lasts until
        `unlock_session`, `close` or the end of the process. The claim is recorded in the
        `writers` table (`holder` names the writer) with the next epoch.
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
        lock = _SessionLock(lock_path, fd)
        try:
            with self.transaction() as conn:
                conn.execute(CLAIM_WRITER, (session_id, holder, _now()))
        except BaseException:
            lock.release()
            raise
        self._session_locks[session_id] = lock

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

    def unlock_session(self, session_id: str, state: str = "stopped") -> None:
        """Give up the writer lock of a session (nothing if not held), recording in `writers`
        how the writer left (`stopped` or `ended`)."""
        lock = self._session_locks.pop(session_id, None)
        if lock is None:
            return
        try:
            if lock.fd >= 0:
                with self.transaction() as conn:
                    conn.execute(RELEASE_WRITER, (state, _now(), session_id))
        finally:
            lock.release()

    def session_live(self, session_id: str) -> bool:
        """Whether a writer holds the session's lock now (this store or another process)."""
        if session_id in self._session_locks:
            return True
        if self.path == ":memory:":
            return False
        lock_path = self._lock_path(session_id)
        try:
            fd = os.open(lock_path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StoreError(f"cannot open the lock file {lock_path}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _columns(conn: Connection, table: str) -> dict[str, bool]:
    """Column name -> NOT NULL, for one table."""
    return {row[1]: bool(row[3]) for row in conn.execute(f"PRAGMA table_info({table})")}


def _has_unique_index(conn: Connection, table: str, column: str) -> bool:
    for index in conn.execute(f"PRAGMA index_list({table})").fetchall():
        if index[2]:  # unique
            columns = [r[2] for r in conn.execute(f"PRAGMA index_info({index[1]!r})")]
            if columns == [column]:
                return True
    return False


_SQLITE: Final = Dialect(_columns, _has_unique_index, lambda ddl: ddl)
