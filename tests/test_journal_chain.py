"""The native hash-chain check agrees with `store.journal_row_hash`, and recovery built on it
refuses every broken link, wherever in the journal it lies."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support import execute_sql
from weatherman_inventory._native import journal_chain_mismatch, journal_row_digest
from weatherman_inventory.errors import JournalInconsistent
from weatherman_inventory.journal import open_session, recover_session
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.store import JOURNAL_GENESIS, PersistenceLayer, journal_row_hash
from weatherman_inventory.verify import verify_session

INT64 = st.integers(-(2**63), 2**63 - 1)
# Text as SQLite may hand it back, lone surrogates included (the native check leaves those to
# `journal_row_hash`).
TEXT = st.text(max_size=12)
PAYLOAD = st.one_of(st.binary(max_size=40), TEXT, st.none(), st.integers(), st.floats())
ROW = st.tuples(
    INT64, st.one_of(TEXT, st.none()), PAYLOAD, st.one_of(st.integers(0, 2), st.booleans()), INT64
)

Row = tuple[int, str, bytes, int, int, bytes | None]


def _natively_encoded(row: tuple[object, ...], session_id: str) -> bool:
    """Whether the native check encodes `row` itself rather than leaving it to Python."""

    def utf8(value: object) -> bool:
        if not isinstance(value, str):
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True

    _seq, kind, payload = row[0], row[1], row[2]
    return utf8(session_id) and utf8(kind) and (isinstance(payload, bytes) or utf8(payload))


@given(
    session_id=TEXT,
    previous=st.one_of(st.just(JOURNAL_GENESIS), st.binary(min_size=32, max_size=32)),
    rows=st.lists(ROW, max_size=8),
    broken=st.sets(st.integers(0, 7)),
    start=st.integers(0, 9),
)
def test_native_chain_check_finds_the_first_row_journal_row_hash_rejects(
    session_id: str,
    previous: bytes,
    rows: list[tuple[int, object, object, int, int]],
    broken: set[int],
    start: int,
) -> None:
    chained: list[Row] = []
    digest = previous
    for at, (seq, kind, payload, duplicate, recorded_at) in enumerate(rows):
        digest = journal_row_hash(digest, session_id, seq, kind, payload, duplicate, recorded_at)  # type: ignore[arg-type]
        stored = bytes([digest[0] ^ 1]) + digest[1:] if at in broken else digest
        chained.append((seq, kind, payload, duplicate, recorded_at, stored))  # type: ignore[arg-type]
    # What Python finds: the first row from `start` whose stored hash is not its row's hash
    # chained to the stored hash before it.
    origin = previous if start == 0 else _link(chained, start, previous)
    link = origin
    expected = len(chained)
    for at in range(start, len(chained)):
        seq, kind, payload, duplicate, recorded_at, stored_hash = chained[at]
        if (
            journal_row_hash(link, session_id, seq, kind, payload, duplicate, recorded_at)
            != stored_hash
        ):
            expected = at
            break
        assert isinstance(stored_hash, bytes)
        link = stored_hash
    found = journal_chain_mismatch(origin, session_id, chained, start)
    if found == expected:
        return
    # Otherwise the native check stopped early at a row it leaves to `journal_row_hash`.
    assert start <= found < expected, (found, expected)
    assert not _natively_encoded(chained[found], session_id)


def _link(chained: list[Row], start: int, previous: bytes) -> bytes:
    """The hash the row at `start` chains to: the stored hash of the row before it."""
    stored = chained[start - 1][5] if 0 < start <= len(chained) else previous
    return stored if stored is not None else previous


def test_native_chain_check_confirms_the_rows_journal_row_hash_wrote() -> None:
    rows: list[Row] = []
    digest = JOURNAL_GENESIS
    for seq in range(1, 6):
        payload = f'["t{seq}",{seq}]'.encode()
        digest = journal_row_hash(digest, "sess-1", seq, "buy_filled", payload, seq % 2, seq * 7)
        rows.append((seq, "buy_filled", payload, seq % 2, seq * 7, digest))
    assert journal_chain_mismatch(JOURNAL_GENESIS, "sess-1", rows, 0) == 5
    assert journal_chain_mismatch(rows[1][5] or b"", "sess-1", rows, 2) == 5
    # One bit of the fourth row's payload and the chain breaks there, not before.
    seq, kind, payload, duplicate, recorded_at, stored = rows[3]
    rows[3] = (seq, kind, payload[:-1] + b"}", duplicate, recorded_at, stored)
    assert journal_chain_mismatch(JOURNAL_GENESIS, "sess-1", rows, 0) == 3
    # A stored hash of the wrong length, or none, is a mismatch too.
    rows[1] = (*rows[1][:5], (rows[1][5] or b"")[:31])
    assert journal_chain_mismatch(JOURNAL_GENESIS, "sess-1", rows, 0) == 1
    rows[0] = (*rows[0][:5], None)
    assert journal_chain_mismatch(JOURNAL_GENESIS, "sess-1", rows, 0) == 0


@given(
    previous=st.binary(min_size=32, max_size=32),
    session_id=st.text(st.characters(blacklist_categories=["Cs"]), max_size=12),
    seq=INT64,
    kind=st.text(st.characters(blacklist_categories=["Cs"]), max_size=12),
    payload=st.binary(max_size=80),
    duplicate=st.booleans(),
    recorded_at=INT64,
)
def test_native_row_digest_is_journal_row_hash(  # noqa: PLR0917 (a journal row's columns)
    previous: bytes,
    session_id: str,
    seq: int,
    kind: str,
    payload: bytes,
    duplicate: bool,
    recorded_at: int,
) -> None:
    """The journal's commit hashes each row natively: the same bytes as the definition."""
    native = journal_row_digest(
        previous, session_id.encode(), seq, kind.encode(), payload, duplicate, recorded_at
    )
    assert native == journal_row_hash(
        previous, session_id, seq, kind, payload, int(duplicate), recorded_at
    )


SID = "sess-chain"


def _long_session(db: Path, fills: int) -> None:
    store = PersistenceLayer(db, mode="paper")
    manager = open_session(InventoryManager, store, SID, 10_000_000)
    manager.on_order_submitted_buy("o1", "m1", "t1", "YES", 1000, 50)
    for i in range(fills):
        manager.on_fill_buy("o1", "t1", "m1", "YES", 1, "0.50", 1000, fill_id=f"f{i}")
    store.close()


@pytest.mark.parametrize("seq", [2, 512, 513, 900, 1002])
def test_hash_tampered_in_a_later_batch_is_refused_by_recovery(tmp_path: Path, seq: int) -> None:
    db = tmp_path / "t.db"
    _long_session(db, 1000)
    execute_sql(
        db, f"UPDATE journal SET hash = zeroblob(32) WHERE session_id = '{SID}' AND seq = {seq}"
    )
    store = PersistenceLayer(db, mode="paper")
    with pytest.raises(JournalInconsistent, match=f"journal seq {seq}: .*hash chain is broken"):
        recover_session(InventoryManager, store, SID)
    report = verify_session(store, SID)
    chain = [f.key for f in report.findings if f.field == "hash"]
    # The zeroed row and the row chained to its stored hash (none after the last row).
    assert chain == [f"seq {seq}"] + ([f"seq {seq + 1}"] if seq < 1002 else [])
    store.close()


def test_text_payload_chained_over_its_text_recovers(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    _long_session(db, 600)
    # A row whose payload SQLite holds as TEXT and whose hash was computed over that text is a
    # sound row: the native check leaves it to `journal_row_hash`, which confirms it.
    conn = sqlite3.connect(db)
    with conn:
        rows = conn.execute(
            "SELECT seq, kind, payload, duplicate, recorded_at FROM journal "
            "WHERE session_id = ? ORDER BY seq",
            (SID,),
        ).fetchall()
        previous = JOURNAL_GENESIS
        for seq, kind, blob, duplicate, recorded_at in rows:
            payload = blob.decode() if seq == 300 else blob
            previous = journal_row_hash(previous, SID, seq, kind, payload, duplicate, recorded_at)
            conn.execute(
                "UPDATE journal SET payload = ?, hash = ? WHERE session_id = ? AND seq = ?",
                (payload, previous, SID, seq),
            )
    conn.close()
    store = PersistenceLayer(db, mode="paper")
    manager = recover_session(InventoryManager, store, SID)
    assert manager.anomalies() == ()
    record = manager.position_record("t1")
    assert record is not None
    assert record.qty_micro == 600 * 10**6
    store.close()
