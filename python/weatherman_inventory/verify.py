"""Checking a session's tables against its journal, and rebuilding them from it.

The journal is the whole truth of a session; every other table of the session is a cache of
it: the sessions row (capital, mode, exit flag), orders, fills, positions, mint events,
resolutions and the account (`accounts.py`).
`verify_session` replays the journal, checks that it is whole (its sequence 1..N without a
hole, its hash chain, a session_opened first row) and compares every cache with the replay,
field by field, reporting each difference as a `Finding` that names the table, the key and both
values. `rebuild_caches` rewrites the caches from the journal. Recovery (`journal.py`) uses both:
a journal that is not whole is refused, a cache that differs is rebuilt and the difference
recorded as an anomaly.
"""

from __future__ import annotations

import contextlib
import hashlib
import operator
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from weatherman_inventory._native import fills_digest
from weatherman_inventory.accounts import (
    ACCOUNT_FIELDS,
    UPSERT_ACCOUNT,
    account_of,
    expected_account_seq,
    load_account,
)
from weatherman_inventory.errors import JournalInconsistent, StoreError
from weatherman_inventory.events import OrderRecord, SessionOpened, decoders_for
from weatherman_inventory.journal import (
    Journal,
    JournaledManager,
    Replayed,
    _decode_row,
    _duplicate_of,
    _ReplayJournal,
    cyclic_gc_paused,
    replay_checked,
    row_time,
    session_capital,
)
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.store import OrderRow, PersistenceLayer, PositionRow

__all__ = [
    "Finding",
    "PositionDifference",
    "VerifyReport",
    "cache_findings",
    "rebuild_caches",
    "verify_session",
]


@dataclass(frozen=True, slots=True)
class Finding:
    """One place where a table differs from the journal (or the journal from itself).

    `table` and `key` say where (`journal` and `seq 5`, `fills` and a fill id, `orders` and a
    local id, ...), `field` which column, `journal` and `table_value` what each holds.
    """

    table: str
    key: str
    field: str
    journal: Any
    table_value: Any

    @classmethod
    def row(cls, table: str, key: str, journal: object, table_row: object) -> Finding:
        """A row one side holds and the other does not: `journal` and `table_row` are each
        side's row (or value), None where it has none."""
        return cls(table, key, "row", _present(journal), _present(table_row))

    def describe(self) -> str:
        if self.table == "fills" and self.field == "row" and self.table_value is None:
            return f"fill {self.key} is journaled but missing from the fills table"
        if self.table == "fills" and self.field == "row" and self.journal is None:
            return f"fill {self.key} is in the fills table but not in the journal"
        return (
            f"{self.table} {self.key}: {self.field} is {self.journal!r} by the journal, "
            f"{self.table_value!r} in the {self.table} table"
        )

    def error(self, reason: str) -> JournalInconsistent:
        """This finding as the error that refuses a recovery."""
        return JournalInconsistent(
            self.table, self.key, self.journal, self.table_value, f"{self.field}: {reason}"
        )


@dataclass(frozen=True, slots=True)
class PositionDifference:
    """One field of one token where the positions table and the journal's replay disagree."""

    token_id: str
    field: str
    journal: Any
    table: Any

    def describe(self) -> str:
        return (
            f"token {self.token_id}: {self.field} is {self.journal!r} by the journal, "
            f"{self.table!r} in the positions table"
        )


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of `verify_session`: no differences and no findings mean it passed.

    `head_seq` and `head_hash` are the journal's last row and its hash (hex): an operator who
    keeps the head elsewhere can tell a journal rewritten from some row on.
    """

    session_id: str
    events: int
    fills: int
    positions: int
    differences: tuple[PositionDifference, ...]
    findings: tuple[Finding, ...]
    head_seq: int = 0
    head_hash: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.differences and not self.findings

    @property
    def problems(self) -> tuple[str, ...]:
        """Every finding, described."""
        return tuple(f.describe() for f in self.findings)

    def render(self) -> str:
        """A report for an operator, one finding per line."""
        lines = [
            f"session {self.session_id}: {self.events} journaled events, {self.fills} fills, "
            f"{self.positions} positions",
            f"  journal head: seq {self.head_seq} hash {self.head_hash}",
        ]
        lines += [f"  NOTE {n}" for n in self.notes]
        lines += [f"  DIFF {d.describe()}" for d in self.differences]
        lines += [f"  PROBLEM {p}" for p in self.problems]
        lines.append(
            "OK: every table matches the journal, and the journal is whole"
            if self.ok
            else f"FAILED: {len(self.differences) + len(self.findings)} difference(s)"
        )
        return "\n".join(lines)


LEGACY_NOTE: Final = (
    "the journal has no session_opened row (written by store version 1): the initial capital, "
    "mode and start time come from the sessions row, the only source it has, and so do "
    "exchange order ids"
)


def _present(value: object) -> str | None:
    return None if value is None else "present"


@cyclic_gc_paused()
def verify_session(
    store: PersistenceLayer,
    session_id: str,
    *,
    cls: Callable[..., JournaledManager] | None = None,
    expect_head: str | None = None,
) -> VerifyReport:
    """Check the session's journal and every table of the session against it.

    Reads one consistent snapshot and needs no lock. A journal row that holds no valid event
    raises `StoreError` naming it, as recovery does; everything else is a finding in the
    report. With `expect_head` (hex), a journal head hash other than it is a finding too.
    """
    # Its own read: SQLite can fail the end of a read that met a corrupt page.
    integrity = _integrity(store)
    with store.snapshot():
        return _verify(store, session_id, cls or InventoryManager, expect_head, integrity)


def _verify(
    store: PersistenceLayer,
    session_id: str,
    cls: Callable[..., JournaledManager],
    expect_head: str | None,
    integrity: str,
) -> VerifyReport:
    store.load_session(session_id)
    findings: list[Finding] = []
    if integrity != "ok":
        findings.append(Finding("database", "integrity_check", "result", "ok", integrity))
    if not store.has_table("journal"):
        findings.append(Finding("journal", "table", "table", "present", None))
        return VerifyReport(session_id, 0, 0, 0, (), tuple(findings))
    replayed = replay_checked(cls, store, session_id, strict=False, collect_fills=True)
    findings += replayed.findings
    notes = [] if replayed.opened is not None else [LEGACY_NOTE]
    differences, cache = cache_findings(store, session_id, replayed)
    findings += cache
    head = replayed.head.hex()
    if expect_head is not None and expect_head.lower() != head:
        findings.append(
            Finding("journal", f"seq {replayed.last_seq}", "head hash", head, expect_head)
        )
    return VerifyReport(
        session_id,
        replayed.events,
        replayed.fill_count,
        len(store.load_positions(session_id)),
        tuple(differences),
        tuple(findings),
        replayed.last_seq,
        head,
        tuple(notes),
    )


def _integrity(store: PersistenceLayer) -> str:
    try:
        return store.integrity_check()
    except StoreError as exc:
        return str(exc)


# -- comparing the caches ------------------------------------------------------------------


FillDigest = Callable[[], "tuple[int, bytes] | None"]
"""The fills table's count and digest (`_fill_digest`), when asked."""


def fill_digest_ahead(store: PersistenceLayer, session_id: str) -> FillDigest:
    """The fills table's digest, read natively in a thread beside whatever runs until it is
    asked for (recovery's replay: the native reader releases the interpreter), or read when
    asked where it cannot be read natively. For a store no one else writes meanwhile (the
    caller holds the session's writer lock)."""
    if store.native_uri() is None:
        return lambda: _fill_digest(store, session_id)
    result: list[tuple[int, bytes] | None] = []
    failure: list[BaseException] = []

    def read() -> None:
        try:
            result.append(_fill_digest(store, session_id))
        except BaseException as exc:  # raised again in the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=read, name="fills-digest", daemon=True)
    thread.start()

    def get() -> tuple[int, bytes] | None:
        thread.join()
        if failure:
            raise failure[0]
        return result[0]

    return get


def cache_findings(
    store: PersistenceLayer,
    session_id: str,
    replayed: Replayed,
    *,
    fill_digest: FillDigest | None = None,
) -> tuple[list[PositionDifference], list[Finding]]:
    """Every difference between the session's tables and its replayed journal (`fill_digest`:
    the fills table's digest read ahead, `fill_digest_ahead`)."""
    manager = replayed.manager
    findings = list(_session_findings(store, session_id, replayed))
    findings += _order_findings(store, session_id, manager, legacy=replayed.opened is None)
    digest = fill_digest or (lambda: _fill_digest(store, session_id))
    findings += _fill_findings(store, session_id, replayed, digest)
    findings += _mint_findings(store, session_id, replayed.mints)
    findings += _resolution_findings(store, session_id, manager)
    findings += _account_findings(store, session_id, manager)
    findings += _market_findings(manager, store)
    expected = _replayed_positions(manager)
    table: dict[str, PositionRow] = {}
    extra: list[PositionDifference] = []
    for row in store.load_positions(session_id):
        # One row a token: another under a market the ledger does not name is left over.
        kept = table.get(row.token_id)
        want = expected.get(row.token_id)
        if kept is None:
            table[row.token_id] = row
            continue
        left = row
        if want is not None and row.market_id == want.market_id:
            table[row.token_id], left = row, kept
        extra.append(
            PositionDifference(
                left.token_id, f"row under market {left.market_id!r}", None, "present"
            )
        )
    differences = list(_position_differences(expected, table)) + extra
    return differences, findings


def _session_findings(
    store: PersistenceLayer, session_id: str, replayed: Replayed
) -> Iterator[Finding]:
    row = store.load_session(session_id)
    key = f"session {session_id}"
    opened = replayed.opened
    pairs: list[tuple[str, object, object]] = [
        ("exit_triggered", replayed.manager.exit_triggered, row.exit_triggered)
    ]
    if opened is not None:
        pairs = [
            ("initial_capital", opened.initial_capital_micro, row.initial_capital),
            ("mode", opened.mode, row.mode),
            ("started_at", replayed.started_at, row.started_at),
            ("strategy_id", opened.strategy_id, row.strategy_id),
            ("config_json", opened.config_json, row.config_json),
            *pairs,
        ]
    for name, journal_value, table_value in pairs:
        if journal_value != table_value:
            yield Finding("sessions", key, name, journal_value, table_value)


def _order_findings(
    store: PersistenceLayer, session_id: str, manager: JournaledManager, *, legacy: bool
) -> Iterator[Finding]:
    table = {row.local_id: row for row in store.load_orders(session_id)}
    expected = {}
    for local_id in manager.order_ids():
        record = manager.order_record(local_id)
        assert record is not None
        expected[local_id] = (record, manager.exchange_order_id(local_id))
    for local_id in sorted(expected.keys() | table.keys()):
        want = expected.get(local_id)
        row = table.get(local_id)
        if want is None or row is None:
            yield Finding.row("orders", local_id, want, row)
            continue
        record, exchange_id = want
        if legacy and exchange_id is None:
            # A version-1 journal never held exchange ids: the table is their only source.
            exchange_id = row.exchange_order_id
        table_values = _ROW_COMPARED(row)
        if (*_RECORD_COMPARED(record), exchange_id) == table_values:
            continue
        journal_values = (
            record.side, record.market_id, record.token_id, record.qty_micro, record.limit_micro,
            record.tif, record.status.value, record.filled_qty_micro, record.reserved_micro,
            record.reserved_qty_micro, exchange_id,
        )  # fmt: skip
        for name, journal_value, table_value in zip(
            _ORDER_FIELDS, journal_values, table_values, strict=True
        ):
            if journal_value != table_value:
                yield Finding("orders", local_id, name, journal_value, table_value)


_ORDER_FIELDS: Final = (
    "side", "market_id", "token_id", "qty", "limit_px", "tif", "status", "filled_qty",
    "reserved_usd", "reserved_qty", "exchange_order_id",
)  # fmt: skip
"""The orders table's columns `_order_findings` compares, in its order."""
_ROW_COMPARED: Final = operator.itemgetter(*(OrderRow._fields.index(f) for f in _ORDER_FIELDS))
_RECORD_COMPARED: Final = operator.itemgetter(
    *(OrderRecord._fields.index(f) for f in ("side", "market_id", "token_id", "qty_micro",
      "limit_micro", "tif", "status", "filled_qty_micro", "reserved_micro",
      "reserved_qty_micro"))
)  # fmt: skip
"""An order's compared columns (the exchange id aside) read from its record and from its row
in one call each: an order status equals its table spelling."""


_FILL_FIELDS: Final = ("order_id", "token_id", "side", "qty", "price", "fee")


def _fill_findings(
    store: PersistenceLayer, session_id: str, replayed: Replayed, digest: FillDigest
) -> Iterator[Finding]:
    if digest() == (replayed.fill_count, replayed.fill_digest):
        return
    journal = replayed.fills
    if journal is None:
        journal = replay_checked(
            InventoryManager, store, session_id, strict=False, collect_fills=True
        ).fills
        assert journal is not None
    table = [row for batch in store.fill_batches(session_id) for row in batch]
    in_journal = {f[0]: f for f in journal}
    in_table = {f[0]: f for f in table}
    for fill_id in [f[0] for f in journal]:
        if fill_id not in in_table:
            yield Finding("fills", fill_id, "row", "present", None)
    for fill_id in [f[0] for f in table]:
        if fill_id not in in_journal:
            yield Finding("fills", fill_id, "row", None, "present")
    for fill_id, want in in_journal.items():
        got = in_table.get(fill_id)
        if got is None:
            continue
        for name, journal_value, table_value in zip(_FILL_FIELDS, want[1:], got[1:], strict=True):
            if journal_value != table_value:
                yield Finding("fills", fill_id, name, journal_value, table_value)
    common = [f[0] for f in journal if f[0] in in_table]
    table_order = [f[0] for f in table if f[0] in in_journal]
    for at, (want_id, got_id) in enumerate(zip(common, table_order, strict=True)):
        if want_id != got_id:
            yield Finding("fills", f"#{at + 1}", "fill_id", want_id, got_id)
            break


def _fill_digest(store: PersistenceLayer, session_id: str) -> tuple[int, bytes] | None:
    """The number of the session's fills and the sha256 of their rows as `Replayed.fill_digest`
    spells them (each row's JSON array followed by a comma), or None if a row holds a value JSON
    cannot (the exact comparison then tells what it is).

    SQLite writes the JSON and orjson the replay's: both write plain ids and integers alike; an
    id either escapes otherwise gives another digest, and the exact comparison that follows
    finds the rows equal. Equal digests mean equal rows: the JSON of a row is unambiguous."""
    uri = store.native_uri()
    if uri is not None:
        with contextlib.suppress(ValueError):  # not readable natively: read it below
            native = fills_digest(uri, session_id)
            return None if native is None else (native[0], native[1])
    digest = hashlib.sha256()
    count = 0
    try:
        for batch in store.fill_json_batches(session_id):
            digest.update(",".join(batch).encode("utf-8", "surrogatepass"))
            digest.update(b",")
            count += len(batch)
    except StoreError:
        return None
    return count, digest.digest()


def _mint_findings(
    store: PersistenceLayer, session_id: str, mints: list[list[Any]]
) -> Iterator[Finding]:
    rows = store.load_mint_events(session_id)
    for at in range(max(len(mints), len(rows))):
        key = f"#{at + 1}"
        want = mints[at] if at < len(mints) else None
        row = rows[at] if at < len(rows) else None
        if want is None or row is None:
            yield Finding.row(
                "mint_events", key if row is None else f"{key} (id {row.id})", want, row
            )
            continue
        got = (row.condition_id, row.operation, row.amount, row.status)
        for name, journal_value, table_value in zip(
            ("condition_id", "operation", "amount", "status"), want, got, strict=True
        ):
            if journal_value != table_value:
                yield Finding(
                    "mint_events", f"{key} (id {row.id})", name, journal_value, table_value
                )


def _resolution_findings(
    store: PersistenceLayer, session_id: str, manager: JournaledManager
) -> Iterator[Finding]:
    table = {row.condition_id: row for row in store.load_resolutions(session_id)}
    expected = {c: manager.resolution_record(c) for c in manager.resolved_conditions()}
    for cond in sorted(expected.keys() | table.keys()):
        want = expected.get(cond)
        row = table.get(cond)
        if want is None or row is None:
            yield Finding.row("resolutions", cond, want, row)
            continue
        for name, journal_value, table_value in (
            ("yes_payout", want.yes_payout_micro, row.yes_payout),
            ("no_payout", want.no_payout_micro, row.no_payout),
            ("redemption", want.redemption, row.redemption),
            ("paid", want.paid_micro, row.paid),
        ):
            if journal_value != table_value:
                yield Finding("resolutions", cond, name, journal_value, table_value)


def _account_findings(
    store: PersistenceLayer, session_id: str, manager: JournaledManager
) -> Iterator[Finding]:
    if not store.has_table("accounts"):
        return
    seq = expected_account_seq(store, session_id)
    row = load_account(store, session_id)
    key = f"session {session_id}"
    if seq is None or row is None:
        if (seq, row) != (None, None):
            yield Finding.row("accounts", key, seq, row)
        return
    want = account_of(manager, seq)
    for name in ACCOUNT_FIELDS:
        journal_value, table_value = getattr(want, name), getattr(row, name)
        if journal_value != table_value:
            yield Finding("accounts", key, name, journal_value, table_value)


def _market_findings(manager: JournaledManager, store: PersistenceLayer) -> Iterator[Finding]:
    outcome_of: dict[str, str] = {}
    for market in store.load_markets():
        if market.yes_token_id is not None:
            outcome_of[market.yes_token_id] = "YES"
        if market.no_token_id is not None:
            outcome_of[market.no_token_id] = "NO"
    for token_id in manager.token_ids():
        record = manager.position_record(token_id)
        assert record is not None
        registered = outcome_of.get(record.token_id)
        if registered is not None and registered != record.outcome.value:
            yield Finding(
                "markets", f"token {record.token_id}", "outcome", record.outcome.value, registered
            )


@dataclass(slots=True)
class _Position:
    market_id: str
    outcome: str
    qty: int = 0
    cost: int = 0
    realized: int = 0


def _replayed_positions(manager: JournaledManager) -> dict[str, _Position]:
    positions = {}
    for token_id in manager.token_ids():
        r = manager.position_record(token_id)
        assert r is not None
        positions[token_id] = _Position(
            r.market_id, r.outcome.value, r.qty_micro, r.cost_micro, r.realized_micro
        )
    return positions


def _position_differences(
    expected: dict[str, _Position], table: dict[str, PositionRow]
) -> Iterator[PositionDifference]:
    for token_id in sorted(expected.keys() | table.keys()):
        want = expected.get(token_id)
        row = table.get(token_id)
        if want is None:
            yield PositionDifference(token_id, "row", None, "present")
            continue
        if row is None:
            yield PositionDifference(token_id, "row", "present", None)
            continue
        for name, journal_value, table_value in (
            ("market_id", want.market_id, row.market_id),
            ("outcome", want.outcome, row.outcome),
            ("qty", want.qty, row.qty),
            ("cost_basis", want.cost, row.cost_basis),
            ("realized_pnl", want.realized, row.realized_pnl),
        ):
            if journal_value != table_value:
                yield PositionDifference(token_id, name, journal_value, table_value)


# -- rebuilding the caches -----------------------------------------------------------------


class _RebuildJournal(Journal):
    """Writes each replayed event's consequences, as `Journal.commit` wrote them, and no
    journal row: the rows come out as the original commits wrote them, timestamps included."""

    def __init__(self, store: PersistenceLayer, session_id: str, conn: Any) -> None:
        super().__init__(store, session_id, 0)
        self.conn = conn
        self.now = ""
        self.account: tuple[Any, ...] | None = None
        """The last event's accounts row, written once at the end (`flush`)."""

    def commit(self, event: Any, manager: JournaledManager) -> None:
        writes, _ = self._plan(event, manager, self.now)
        for sql, params, _local_id in writes:
            if sql is UPSERT_ACCOUNT:
                self.account = params
            else:
                self.conn.execute(sql, params)

    def flush(self) -> None:
        if self.account is not None:
            self.conn.execute(UPSERT_ACCOUNT, self.account)


_SESSION_TABLES: Final = (
    "fills",
    "orders",
    "positions",
    "mint_events",
    "resolutions",
    "accounts",
)


def rebuild_caches(
    store: PersistenceLayer, session_id: str, *, cls: Callable[..., JournaledManager] | None = None
) -> list[str]:
    """Rewrite every cache table of the session from its journal, in one transaction.

    The caller holds the session's writer lock. The journal must be whole (else
    `JournalInconsistent`, and nothing changes). Returns what changed, one line per finding
    that the rebuild resolved. A version-1 journal's exchange order ids, which only the
    orders table holds, are kept.
    """
    if not store.holds_session(session_id):
        raise StoreError(f"rebuilding the caches of {session_id!r} needs its writer lock")
    make = cls or InventoryManager
    replayed = replay_checked(make, store, session_id, strict=True, collect_fills=True)
    differences, findings = cache_findings(store, session_id, replayed)
    changes = [f"DIFF {d.describe()}" for d in differences]
    changes += [f"PROBLEM {f.describe()}" for f in findings if f.table != "markets"]
    if not changes:
        return []
    legacy = replayed.opened is None
    kept_ids = (
        [(o.exchange_order_id, o.local_id) for o in store.load_orders(session_id)] if legacy else []
    )
    with store.transaction() as conn:
        for table in _SESSION_TABLES:
            conn.execute(f"DELETE FROM {table} WHERE session_id = ?", (session_id,))
        _replay_into(make, store, session_id, conn, replayed.opened)
        if replayed.opened is not None:
            o = replayed.opened
            conn.execute(
                "UPDATE sessions SET initial_capital = ?, mode = ?, started_at = ?, "
                "strategy_id = ?, config_json = ? WHERE id = ?",
                (o.initial_capital_micro, o.mode, replayed.started_at, o.strategy_id, o.config_json,
                 session_id),
            )  # fmt: skip
        conn.execute(
            "UPDATE sessions SET exit_triggered = ? WHERE id = ?",
            (int(replayed.manager.exit_triggered), session_id),
        )
        for exchange_id, local_id in kept_ids:
            if exchange_id is not None:
                conn.execute(
                    "UPDATE orders SET exchange_order_id = ? WHERE local_id = ? "
                    "AND session_id = ? AND exchange_order_id IS NULL",
                    (exchange_id, local_id, session_id),
                )
    return changes


def _replay_into(
    cls: Callable[..., JournaledManager],
    store: PersistenceLayer,
    session_id: str,
    conn: Any,
    opened: SessionOpened | None,
) -> None:
    capital = session_capital(store, session_id, opened)
    manager = cls(capital, track_fill_ids=False, log_anomalies=False)
    writer = _RebuildJournal(store, session_id, conn)
    duplicates = _ReplayJournal()
    decoders = decoders_for(1 if opened is None else opened.journal_format)
    for rows in store.journal_rows(session_id):
        for seq, kind, payload, duplicate, recorded_at, _hash in rows:
            if kind == SessionOpened.kind:
                continue
            event = _decode_row(seq, kind, payload, decoders)
            writer.seq = seq - 1
            writer.now = row_time(recorded_at)
            if duplicate:
                duplicates.fill_id = _duplicate_of(seq, event)
                manager._bind(duplicates)
            else:
                manager._bind(writer)
            manager.apply(event)
    manager._bind(None)
    writer.flush()


def rebuild_summary(changes: list[str]) -> str:
    """The rebuild's report for an operator."""
    if not changes:
        return "nothing to rebuild: every cache table matches the journal"
    return "\n".join([*changes, f"rebuilt: {len(changes)} difference(s) resolved"])
