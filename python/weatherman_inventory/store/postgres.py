"""The PostgreSQL backend: one psycopg 3 connection, the schema of `schema.py` in PostgreSQL's
types, a session-level advisory lock per session as its writer lock, fenced by the `writers`
table's epoch, which every write transaction checks before it writes.

Why the fence: an advisory lock lives as long as the connection that took it, and a writer whose
host died keeps it until the server notices (keepalives and `tcp_user_timeout` bound that). A
writer whose connection was cut while its process lives must not write after another writer took
the session over: each write transaction first calls `weatherman_fence(session, epoch)`, which
takes a share lock on the session's `writers` row and raises unless the epoch is still the one
this writer claimed. A takeover bumps the epoch under the row's lock, so the two serialise.

psycopg errors become the package's `StoreError` family in one place, `_translate`; no message
carries the connection's password (`redact`).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, Literal

from weatherman_inventory.errors import (
    DuplicateFill,
    InvalidInput,
    SessionLocked,
    StoreError,
)
from weatherman_inventory.store.backend import Connection, Write, write_in, write_in_snapshot
from weatherman_inventory.store.migrations import Dialect, check_version, upgrade
from weatherman_inventory.store.rows import Mode
from weatherman_inventory.store.schema import SCHEMA_VERSION, postgres_ddl
from weatherman_inventory.store.writers import CLAIM_WRITER, RELEASE_WRITER

try:
    import psycopg
    from psycopg import conninfo as _conninfo
except ImportError:  # pragma: no cover - the extra is installed by make
    psycopg = None  # type: ignore[assignment]

__all__ = ["PostgresBackend", "is_postgres_url", "redact"]

_SCHEMES: Final = ("postgresql://", "postgres://")

FENCED: Final = "WMF01"
"""The SQLSTATE `weatherman_fence` raises for a writer whose epoch was taken over."""

_FENCE_DDL: Final = f"""
CREATE OR REPLACE FUNCTION weatherman_fence(sid TEXT, expected BIGINT) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    current_epoch BIGINT;
BEGIN
    SELECT epoch INTO current_epoch FROM writers WHERE session_id = sid FOR SHARE;
    IF current_epoch IS DISTINCT FROM expected THEN
        RAISE EXCEPTION 'session % has another writer (epoch % claimed after this one''s %)',
            sid, current_epoch, expected USING ERRCODE = '{FENCED}';
    END IF;
END $$
"""

_VERSION_DDL: Final = "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)"

# Connection settings a session needs unless its URL says otherwise: notice a dead server or
# peer within about half a minute instead of the kernel's two hours.
_DEFAULTS: Final = {
    "connect_timeout": "10",
    "keepalives": "1",
    "keepalives_idle": "10",
    "keepalives_interval": "5",
    "keepalives_count": "3",
    "tcp_user_timeout": "30000",
    "application_name": "weatherman-inventory",
}


_DUPLICATE_KEY: Final = re.compile(r"Key \(fill_id\)=\((.*)\) already exists\.", re.S)


def is_postgres_url(target: object) -> bool:
    """Whether `target` names a PostgreSQL database (a `postgresql://` or `postgres://` URL)."""
    return isinstance(target, str) and target.startswith(_SCHEMES)


def redact(url: str) -> str:
    """The URL without its password (in the authority or a `password=` parameter)."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        if ":" in userinfo:
            netloc = f"{userinfo.split(':', 1)[0]}:***@{hostport}"
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    query = [(k, "***" if k == "password" else v) for k, v in query]
    return urllib.parse.urlunsplit(
        (parts.scheme, netloc, parts.path, urllib.parse.urlencode(query, safe="/:*"), "")
    )


def _lock_key(schema: str, session_id: str) -> int:
    """The advisory lock key of a session in a schema (advisory locks are per database, and
    one database may hold several stores, one per schema): 64 bits of sha256, signed as
    PostgreSQL's bigint."""
    name = f"weatherman-session\0{schema}\0{session_id}".encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.sha256(name).digest()[:8], "big", signed=True)


def _pg_sql(sql: str, cache: dict[str, str] = {}) -> str:  # noqa: B006 (a deliberate cache)
    """The statement with psycopg's `%s` placeholders for `?` (no statement of this package
    holds a `?` in a literal)."""
    out = cache.get(sql)
    if out is None:
        out = cache[sql] = sql.replace("%", "%%").replace("?", "%s")
    return out


class _Conn:
    """What a transaction hands its block: psycopg's connection taking `?` statements."""

    __slots__ = ("_raw",)

    def __init__(self, raw: Any) -> None:
        self._raw = raw

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Any:
        return self._raw.execute(_pg_sql(sql), parameters)


class _Result:
    """The result of a statement inside a write transaction: reading it sends what is queued
    and waits for the answers."""

    __slots__ = ("_index", "_owner")

    def __init__(self, owner: _Pipelined, index: int) -> None:
        self._owner = owner
        self._index = index

    def _cursor(self) -> Any:
        self._owner.sync()
        return self._owner.cursors[self._index]

    @property
    def rowcount(self) -> int:
        count: int = self._cursor().rowcount
        return count

    def fetchone(self) -> Any:
        return self._cursor().fetchone()

    def fetchall(self) -> list[Any]:
        rows: list[Any] = self._cursor().fetchall()
        return rows

    def fetchmany(self, size: int = 1) -> list[Any]:
        rows: list[Any] = self._cursor().fetchmany(size)
        return rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor())


class _Pipelined:
    """A write transaction's statements in psycopg's pipeline mode: BEGIN, the fence, the
    statements and COMMIT go out together and the server answers them in one round trip (two
    when a result is read before the commit), instead of one round trip each.

    Every statement is kept until the first answer arrives: if that answer is a connection that
    died while idle (a restarted server, a terminated backend), nothing was applied, and the
    transaction is sent again on a new connection."""

    __slots__ = ("_backend", "_log", "_mode", "_pipeline", "_raw", "answered", "cursors", "pending")

    def __init__(self, backend: PostgresBackend) -> None:
        self._backend = backend
        self._log: list[tuple[str, Sequence[Any]]] = []
        self.cursors: list[Any] = []
        self.pending = False
        self.answered = False
        backend._again_if_lost(self._start, self._abandon)

    def _start(self) -> None:
        raw = self._raw = self._backend._connection()
        self._mode = raw.pipeline()
        self._pipeline = self._mode.__enter__()
        raw.execute("BEGIN")
        for session_id, epoch in self._backend._epochs.items():
            raw.execute("SELECT weatherman_fence(%s, %s)", (session_id, epoch))
        self.cursors = [raw.execute(sql, params) for sql, params in self._log]
        self.pending = True

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> _Result:
        statement = _pg_sql(sql)
        if not self.answered:
            self._log.append((statement, parameters))
        self.cursors.append(self._raw.execute(statement, parameters))
        self.pending = True
        return _Result(self, len(self.cursors) - 1)

    def sync(self) -> None:
        if not self.pending:
            return
        if self.answered:
            self._pipeline.sync()
        else:
            # The pipeline of the moment: a restart makes a new one.
            self._backend._again_if_lost(self._sync_pipeline, self._restart)
        self.pending = False
        self.answered = True
        self._log.clear()

    def commit(self) -> None:
        """Queue COMMIT behind what is pending and wait for the answers. Until a first answer
        shows the connection alive, the statements go first on their own, so that a
        connection lost before them is retried and never taken for a commit in doubt."""
        if not self.answered:
            self.sync()
        self._raw.execute("COMMIT")
        self._mode.__exit__(None, None, None)

    def _sync_pipeline(self) -> None:
        self._pipeline.sync()

    def _restart(self) -> None:
        self._abandon()
        self._start()

    def _abandon(self) -> None:
        with contextlib.suppress(Exception):
            self._mode.__exit__(None, None, None)

    def abort(self) -> None:
        """Leave pipeline mode after a failure (the caller rolls back)."""
        with contextlib.suppress(Exception):
            self._mode.__exit__(RuntimeError, RuntimeError(), None)


class Transaction:
    """One PostgreSQL transaction (READ COMMITTED for writes, pipelined; REPEATABLE READ READ
    ONLY for a snapshot); the single place where psycopg errors become `StoreError`s."""

    __slots__ = ("_backend", "_nested", "_pipelined", "_write", "fill_id")

    def __init__(self, backend: PostgresBackend, *, write: bool) -> None:
        self._backend = backend
        self._write = write
        self._nested = False
        self._pipelined: _Pipelined | None = None
        self.fill_id: str | None = None

    def __enter__(self) -> _Conn | _Pipelined:
        backend = self._backend
        backend._lock.acquire()
        if backend._in_snapshot:
            if self._write:
                backend._lock.release()
                raise write_in_snapshot()
            self._nested = True
            return backend._wrapped
        try:
            if self._write:
                self._pipelined = _Pipelined(backend)
                return self._pipelined
            backend._again_if_lost(lambda: backend._connection().execute("BEGIN READ ONLY"))
        except BaseException as exc:
            self._rollback()
            backend._lock.release()
            raise backend._translate(exc, None) from exc
        return backend._wrapped

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        backend = self._backend
        try:
            if self._nested:
                if exc is not None and _is_driver_error(exc):
                    raise backend._translate(exc, self.fill_id) from exc
                return
            pipelined = self._pipelined
            if exc is None:
                try:
                    if pipelined is not None:
                        pipelined.commit()
                    else:
                        backend._raw.execute("COMMIT")
                except BaseException as commit_exc:
                    if pipelined is not None:
                        pipelined.abort()
                    self._rollback()
                    answered = pipelined is None or pipelined.answered
                    raise backend._translate(
                        commit_exc, self.fill_id, committing=answered
                    ) from commit_exc
                return
            if pipelined is not None:
                pipelined.abort()
            self._rollback()
            if _is_driver_error(exc):
                raise backend._translate(exc, self.fill_id) from exc
        finally:
            backend._lock.release()

    def _rollback(self) -> None:
        raw = self._backend._raw
        if raw is None or raw.closed:
            return
        with contextlib.suppress(Exception):
            # The connection's rollback, not a ROLLBACK statement: it also forgets the
            # statements psycopg prepared and deallocates them on the server. psycopg counts a
            # statement as prepared when it sends it, and one sent in a pipeline after the failed
            # statement was never parsed: a later transaction would name it ("prepared
            # statement "_pg3_16" does not exist").
            raw.rollback()


def _is_driver_error(exc: BaseException) -> bool:
    return isinstance(exc, psycopg.Error | OverflowError)


class PostgresBackend:
    """A PostgreSQL database named by a `postgresql://` URL.

    `mode="live"` refuses a server that could lose an acknowledged commit (`fsync` or
    `synchronous_commit` off); `mode="paper"` turns `synchronous_commit` off for its own
    connection, which may lose the last commits if the server crashes, never if this process
    does (as SQLite's paper mode). `readonly=True` opens a read-only connection and creates
    nothing: a role with SELECT rights is enough.

    Credentials: libpq's own sources (`PGPASSWORD`, a password file, a client certificate) are
    the ones to use; a password in the URL works but is never shown (`name` is redacted). TLS is
    the URL's `sslmode` (and `sslrootcert`, ...).
    """

    dialect: Final[Literal["postgresql"]] = "postgresql"

    def __init__(self, url: str, mode: Mode = "paper", *, readonly: bool = False) -> None:
        if psycopg is None:  # pragma: no cover
            raise StoreError("PostgreSQL needs psycopg: install weatherman-inventory[postgres]")
        if mode not in ("paper", "live"):
            raise InvalidInput("mode", mode, "must be 'paper' or 'live'")
        self._name = redact(url)
        self.mode: Mode = mode
        self.readonly = readonly
        self._lock = threading.RLock()
        self._epochs: dict[str, int] = {}
        self._in_snapshot = False
        self._raw: Any = None
        self._wrapped = _Conn(None)
        self._schema = ""
        try:
            params = _conninfo.conninfo_to_dict(url)
        except psycopg.Error as exc:
            raise InvalidInput("url", self.name, f"not a PostgreSQL URL: {exc}") from None
        self._secret = str(params.get("password") or "")
        for key, value in _DEFAULTS.items():
            params.setdefault(key, value)
        self._params = params
        raw = self._connection()
        try:
            if readonly:
                check_version(self.name, readonly=self.readonly, version=self.schema_version())
            else:
                self.initialize()
        except BaseException:
            raw.close()
            raise

    @property
    def name(self) -> str:
        """The URL without its password."""
        return self._name

    # -- the connection ------------------------------------------------------------------

    def _connection(self) -> Any:
        """The open connection; a new one when the last was lost (its session locks are taken
        again where free; the fence refuses a writer whose session was taken over)."""
        raw = self._raw
        if raw is not None and not raw.closed and not raw.broken:
            return raw
        try:
            raw = psycopg.connect(_conninfo.make_conninfo("", **self._params), autocommit=True)
            if self.readonly:
                raw.execute("SET default_transaction_read_only = on")
            elif self.mode == "live":
                self._check_durable(raw)
            else:
                raw.execute("SET synchronous_commit = off")
            row = raw.execute("SELECT current_schema()").fetchone()
            schema = None if row is None else row[0]
        except psycopg.Error as exc:
            raise self._translate(exc, None) from None
        if schema is None:
            raw.close()
            raise StoreError(f"{self.name}: the search_path names no schema that exists")
        self._schema = str(schema)
        self._raw = raw
        self._wrapped = _Conn(raw)
        for session_id in self._epochs:
            raw.execute("SELECT pg_try_advisory_lock(%s)", (self._key(session_id),))
        return raw

    def _key(self, session_id: str) -> int:
        return _lock_key(self._schema, session_id)

    def _lost(self) -> bool:
        raw = self._raw
        return raw is None or raw.closed or raw.broken

    def _again_if_lost(
        self, attempt: Callable[[], object], reset: Callable[[], object] = lambda: None
    ) -> None:
        """`attempt()`, and once more after `reset()` if it failed because the connection had
        died while idle (a restarted server, a terminated backend): then nothing of it reached
        the server, and `_connection()` opens a new one."""
        try:
            attempt()
        except psycopg.OperationalError:
            if not self._lost():
                raise
            reset()
            attempt()

    def _check_durable(self, raw: Any) -> None:
        fsync = raw.execute("SHOW fsync").fetchone()[0]
        sync = raw.execute("SHOW synchronous_commit").fetchone()[0]
        if fsync != "on" or sync == "off":
            raw.close()
            raise StoreError(
                f"{self.name}: a live session needs a server that keeps every commit it "
                f"acknowledges, and this one has fsync={fsync}, synchronous_commit={sync}: "
                "turn both on, or run the session in paper mode"
            )

    def _translate(
        self, exc: BaseException, fill_id: str | None, *, committing: bool = False
    ) -> BaseException:
        """The package's error for a driver error, its message without the password."""
        if not _is_driver_error(exc):
            return exc
        message = str(exc).strip()
        if self._secret:
            message = message.replace(self._secret, "***")
        sqlstate = getattr(exc, "sqlstate", None)
        if sqlstate == FENCED:
            return SessionLocked(f"{self.name}: {message}")
        if isinstance(exc, psycopg.errors.UniqueViolation):
            diag = getattr(exc, "diag", None)
            constraint = getattr(diag, "constraint_name", "") or ""
            if fill_id is not None and "fill_id" in constraint:
                # A pipelined transaction reports the failing row late: the server names it.
                detail = getattr(diag, "message_detail", "") or ""
                named = _DUPLICATE_KEY.match(detail)
                return DuplicateFill(fill_id if named is None else named.group(1))
            return StoreError(f"constraint failed: {message}")
        if isinstance(exc, psycopg.IntegrityError):
            return StoreError(f"constraint failed: {message}")
        if isinstance(exc, OverflowError | psycopg.errors.NumericValueOutOfRange):
            return StoreError(f"an integer does not fit a 64-bit column: {message}")
        if isinstance(
            exc, psycopg.errors.ReadOnlySqlTransaction | psycopg.errors.InsufficientPrivilege
        ):
            return StoreError(f"{self.name} refused a write: {message}")
        if isinstance(exc, psycopg.OperationalError):
            lost = self._lost()
            if lost and committing:
                return StoreError(
                    f"lost the connection to {self.name} while committing: the transaction may "
                    f"or may not have committed; recover the session ({message})"
                )
            if lost:
                return StoreError(f"lost the connection to {self.name}: {message}")
            return StoreError(f"database operation failed: {message}")
        return StoreError(f"database error: {message}")

    # -- lifecycle -----------------------------------------------------------------------

    def transaction(self, *, write: bool = True) -> Transaction:
        """A transaction (write: the writer epoch of every session held checked first)."""
        return Transaction(self, write=write)

    def write(self, writes: list[Write], fill_id: str | None) -> None:
        """`Backend.write`: the statements sent together, their answers read at the end."""
        write_in(self.transaction(), writes, fill_id)

    @property
    def in_transaction(self) -> bool:
        return self._in_snapshot

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Run the reads inside the block on one consistent state of the database (a
        REPEATABLE READ, READ ONLY transaction); writes inside the block are refused."""
        with self._lock:
            if self._in_snapshot:
                yield
                return
            try:
                self._again_if_lost(
                    lambda: self._connection().execute(
                        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                    )
                )
            except psycopg.Error as exc:
                raise self._translate(exc, None) from exc
            self._in_snapshot = True
            try:
                yield
            finally:
                self._in_snapshot = False
                Transaction(self, write=False)._rollback()

    def close(self) -> None:
        """Release every session lock this store holds (its writers stopped) and close the
        connection."""
        for session_id in list(self._epochs):
            with contextlib.suppress(StoreError):
                self.unlock_session(session_id, "stopped")
        if self._raw is not None:
            self._raw.close()

    # -- the schema ----------------------------------------------------------------------

    def schema_version(self) -> int:
        """The version the `schema_version` table records (0: none)."""
        with self.transaction(write=False) as conn:
            exists = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
            if not exists[0]:
                return 0
            row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def initialize(self) -> None:
        """Create the schema, or upgrade it; idempotent, and serialised between processes
        opening one database at once (a transaction-level advisory lock)."""
        version = self.schema_version()
        check_version(self.name, readonly=self.readonly, version=version)
        if version == SCHEMA_VERSION:
            return
        with self.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(?)", (self._key("\0schema"),))
            conn.execute(_VERSION_DDL)
            row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
            version = int(row[0] or 0)
            check_version(self.name, readonly=self.readonly, version=version)
            if version == SCHEMA_VERSION:
                return
            upgrade(conn, version, _POSTGRES)
            conn.execute(_FENCE_DDL)
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))

    def has_table(self, name: str) -> bool:
        """Whether the database has a table of this name in the current schema."""
        with self.transaction(write=False) as conn:
            row = conn.execute(
                "SELECT 1 FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_name = ?",
                (name,),
            ).fetchone()
        return row is not None

    def integrity_check(self) -> str:
        """ "ok": PostgreSQL has no whole-database check to run here (its data checksums, when
        the cluster has them, are checked on every read); verify's journal chain is the check."""
        return "ok"

    def native_uri(self) -> str | None:
        """None: the native readers read SQLite files only."""
        return None

    # -- the writer lock -----------------------------------------------------------------

    def lock_session(self, session_id: str, holder: str) -> None:
        """Become the session's only writer, or raise `SessionLocked` if another holds it.

        A session-level advisory lock on this connection (released by the server when the
        connection ends), and the next epoch in `writers`, which every write transaction of
        this store checks from then on.
        """
        if session_id in self._epochs:
            raise SessionLocked(
                f"session {session_id!r} in {self.name} is already claimed through this store: "
                "one manager at a time"
            )
        key = self._key(session_id)
        with self._lock:
            try:
                raw = self._connection()
                got = raw.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]
            except psycopg.Error as exc:
                raise self._translate(exc, None) from exc
            if not got:
                raise SessionLocked(
                    f"session {session_id!r} in {self.name} is open for writing by "
                    f"{self._holder_of(session_id)}"
                )
            try:
                with self.transaction() as conn:
                    row = conn.execute(CLAIM_WRITER, (session_id, holder, _now())).fetchone()
            except BaseException:
                with contextlib.suppress(psycopg.Error):
                    raw.execute("SELECT pg_advisory_unlock(%s)", (key,))
                raise
            self._epochs[session_id] = int(row[0])

    def _holder_of(self, session_id: str) -> str:
        with self.transaction(write=False) as conn:
            row = conn.execute(
                "SELECT holder FROM writers WHERE session_id = ?", (session_id,)
            ).fetchone()
        return "another connection" if row is None else f"{row[0]} (another connection)"

    def holds_session(self, session_id: str) -> bool:
        """Whether this store holds the session's writer lock."""
        return session_id in self._epochs

    def unlock_session(self, session_id: str, state: str = "stopped") -> None:
        """Give up the writer lock of a session (nothing if not held), recording how the writer
        left (`stopped` or `ended`) unless another writer has taken the session over."""
        epoch = self._epochs.get(session_id)
        if epoch is None:
            return
        try:
            with self._lock:
                raw = self._connection()
                raw.execute(
                    _pg_sql(RELEASE_WRITER + " AND epoch = ?"),
                    (state, _now(), session_id, epoch),
                )
                raw.execute("SELECT pg_advisory_unlock(%s)", (self._key(session_id),))
        except psycopg.Error as exc:
            raise self._translate(exc, None) from exc
        finally:
            del self._epochs[session_id]

    def session_live(self, session_id: str) -> bool:
        """Whether some connection holds the session's advisory lock now."""
        if session_id in self._epochs:
            return True
        key = self._key(session_id)
        with self.transaction(write=False) as conn:
            row = conn.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND classid::bigint = ? AND objid::bigint = ? AND objsubid = 1)",
                ((key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF),
            ).fetchone()
        return bool(row[0])


def _columns(conn: Connection, table: str) -> dict[str, bool]:
    """Column name -> NOT NULL, for one table of the current schema."""
    rows = conn.execute(
        "SELECT column_name, is_nullable FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = ?",
        (table,),
    ).fetchall()
    return {name: nullable == "NO" for name, nullable in rows}


def _has_unique_index(conn: Connection, table: str, column: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM pg_index i JOIN pg_attribute a "
        "ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
        "WHERE i.indrelid = to_regclass(?) AND i.indisunique AND i.indnkeyatts = 1 "
        "AND a.attname = ?",
        (table, column),
    ).fetchone()
    return row is not None


_POSTGRES: Final = Dialect(_columns, _has_unique_index, postgres_ddl)


def _now() -> str:
    return datetime.now(UTC).isoformat()
