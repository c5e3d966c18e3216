"""Group commit (`InventoryManager.batch()`) against real SQLite files.

A batch applies each event at once and writes the block's journal rows in one transaction when
it exits; a failed block or commit restores memory exactly and writes nothing. The same calls
batched and unbatched give the same snapshot, anomalies and journal (apart from each row's
recorded_at and hash), and recover to the same state.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import tempfile
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.event_streams import INITIAL_CAPITAL, MARKETS, make_stream
from tests.support import cache_rows
from weatherman_inventory.errors import InvalidInput, SessionNotFound, StoreError
from weatherman_inventory.events import BuySubmitted, Event
from weatherman_inventory.journal import (
    Journal,
    decode_event,
    open_session,
    recover_session,
    verify_session,
)
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.store import PersistenceLayer

pytestmark = pytest.mark.usefixtures("quiet_anomalies")

SESSION = "batch-session"
MKT, COND, YES, NO = MARKETS[0]


def _open(db: Path) -> tuple[PersistenceLayer, InventoryManager]:
    store = PersistenceLayer(str(db))
    return store, open_session(InventoryManager, store, SESSION, INITIAL_CAPITAL, markets=MARKETS)


def _journal(store: PersistenceLayer) -> list[tuple[int, str, bytes, bool]]:
    """The session's journal without recorded_at and hash."""
    return [(r.seq, r.kind, r.payload, r.duplicate) for r in store.iter_journal(SESSION)]


def _anomalies(manager: InventoryManager) -> list[tuple[object, ...]]:
    return [(a.kind, a.event, a.message) for a in manager.anomalies()]


def _groups(events: list[Event], sizes: list[int]) -> Iterator[list[Event]]:
    """`events` cut into consecutive groups of the given sizes (the last takes the rest)."""
    i = 0
    for size in sizes:
        if i >= len(events):
            return
        yield events[i : i + size]
        i += size
    if i < len(events):
        yield events[i:]


def _state(store: PersistenceLayer, manager: InventoryManager) -> tuple[object, ...]:
    return (
        manager.snapshot_json(),
        _anomalies(manager),
        _journal(store),
        [f.fill_id for f in store.load_fills(SESSION)],
    )


# -- the same calls, batched or not -----------------------------------------------------------


class _AbortError(Exception):
    """Raised inside a batch by the test, as a caller's own error would be."""


@given(
    seed=st.integers(0, 2**32 - 1),
    length=st.integers(1, 160),
    sizes=st.lists(st.integers(1, 25), max_size=40),
    aborts=st.lists(st.booleans(), max_size=40),
    peeks=st.lists(st.integers(0, 24), max_size=40),
)
def test_random_batch_groupings_give_the_unbatched_snapshot_anomalies_and_journal(
    seed: int, length: int, sizes: list[int], aborts: list[bool], peeks: list[int]
) -> None:
    """Batch k is first aborted (after all its events, with a snapshot taken after event
    `peeks[k]`) when `aborts[k]`, which must leave everything as it was, then applied."""
    stream = make_stream(seed, length, exit_at=length * 2 // 3)
    with tempfile.TemporaryDirectory() as tmp:
        plain_store, plain = _open(Path(tmp) / "plain.db")
        batched_store, batched = _open(Path(tmp) / "batched.db")
        with plain_store, batched_store:
            for event in stream:
                plain.apply(event)
            for k, group in enumerate(_groups(stream, sizes)):
                peek = peeks[k] if k < len(peeks) else -1
                if k < len(aborts) and aborts[k]:
                    before = _state(batched_store, batched), batched.ledger_state()
                    with pytest.raises(_AbortError), batched.batch():
                        for i, event in enumerate(group):
                            batched.apply(event)
                            if i == peek:
                                batched.snapshot_json()
                                batched.snapshot()
                        raise _AbortError
                    assert (_state(batched_store, batched), batched.ledger_state()) == before
                with batched.batch():
                    for i, event in enumerate(group):
                        batched.apply(event)
                        if i == peek:
                            batched.snapshot_json()
            assert _state(batched_store, batched) == _state(plain_store, plain)
            batched_store.unlock_session(SESSION)
            recovered = recover_session(InventoryManager, batched_store, SESSION)
            assert recovered.snapshot_json() == plain.snapshot_json()
            # A stream's contradictions can leave a finding (a token sold before the ledger saw
            # its market): the same one either way.
            report = verify_session(batched_store, SESSION)
            plain_report = verify_session(plain_store, SESSION)
            assert (report.differences, report.findings) == (
                plain_report.differences,
                plain_report.findings,
            )


def test_a_batched_session_recovers_to_the_unbatched_snapshot(tmp_path: Path) -> None:
    stream = make_stream(7, 400, exit_at=300)
    plain_store, plain = _open(tmp_path / "plain.db")
    batched_store, batched = _open(tmp_path / "batched.db")
    for event in stream:
        plain.apply(event)
    for group in _groups(stream, [1, 2, 10, 50, 7, 100, 30, 200]):
        with batched.batch():
            for event in group:
                batched.apply(event)
    plain_store.close()
    batched_store.close()
    # A batch writes its rows grouped (multi-row inserts, each order or position once): the
    # tables come out as one commit per event leaves them, timestamps aside.
    assert cache_rows(tmp_path / "batched.db") == cache_rows(tmp_path / "plain.db")
    with (
        PersistenceLayer(str(tmp_path / "plain.db")) as a,
        PersistenceLayer(str(tmp_path / "batched.db")) as b,
    ):
        from_plain = recover_session(InventoryManager, a, SESSION)
        from_batched = recover_session(InventoryManager, b, SESSION)
        assert from_batched.snapshot_json() == from_plain.snapshot_json()
        assert _anomalies(from_batched) == _anomalies(from_plain)
        journal_b = _journal(b)
        assert journal_b == _journal(a)
        assert len(journal_b) == 401
        assert verify_session(b, SESSION).ok


# -- what a batch sees and keeps ---------------------------------------------------------------


def test_events_inside_a_batch_are_visible_at_once_and_durable_only_at_its_end(
    tmp_path: Path,
) -> None:
    store, manager = _open(tmp_path / "s.db")
    with manager.batch():
        manager.on_order_submitted_buy("b1", MKT, YES, "YES", 10, 40)
        assert manager.snapshot().in_flight_usd == 4.0
        manager.on_fill_buy("b1", YES, MKT, "YES", 10, "0.40", 10, fill_id="f1")
        assert manager.position_record(YES) is not None
        assert manager.fill_status("f1") == "CONFIRMED"  # a planned fill counts as booked
        assert store.last_seq(SESSION) == 1
    assert store.last_seq(SESSION) == 3
    assert [r.kind for r in store.iter_journal(SESSION)][1:] == ["buy_submitted", "buy_filled"]
    assert [f.fill_id for f in store.load_fills(SESSION)] == ["f1"]


def test_invalid_input_inside_a_batch_changes_nothing_and_the_batch_goes_on(
    tmp_path: Path,
) -> None:
    store, manager = _open(tmp_path / "s.db")
    with manager.batch():
        manager.on_order_submitted_buy("b1", MKT, YES, "YES", 10, 40)
        before = manager.snapshot_json()
        with pytest.raises(InvalidInput) as info:
            manager.on_order_submitted_buy("b2", MKT, YES, "YES", -1, 40)
        assert info.value.field == "qty"
        # A value the ledger takes but a column cannot hold: refused when planned.
        with pytest.raises(InvalidInput) as info:
            manager.on_order_submitted_buy("b3", MKT, YES, "YES", 10, 40, tif="IOC")
        assert manager.snapshot_json() == before
        manager.on_order_submitted_buy("b4", MKT, YES, "YES", 5, 20)
    assert [r.seq for r in store.iter_journal(SESSION)] == [1, 2, 3]
    assert manager.order_ids() == ("b1", "b4")


def test_an_error_raised_inside_the_block_restores_memory_and_writes_nothing(
    tmp_path: Path,
) -> None:
    store, manager = _open(tmp_path / "s.db")
    manager.on_order_submitted_buy("b0", MKT, YES, "YES", 10, 40)
    before = manager.snapshot_json(), _anomalies(manager), manager.ledger_state()
    with pytest.raises(RuntimeError, match="strategy gave up"), manager.batch():
        manager.on_fill_buy("b0", YES, MKT, "YES", 10, "0.40", 10, fill_id="f1")
        manager.on_order_submitted_sell("s1", YES, 4, limit_px=60)
        manager.on_order_submitted_buy("b0", MKT, YES, "YES", 1, 1)  # a duplicate order
        raise RuntimeError("strategy gave up")
    assert (manager.snapshot_json(), _anomalies(manager), manager.ledger_state()) == before
    assert store.last_seq(SESSION) == 2
    assert store.load_fills(SESSION) == []
    # The caller applies the batch again: it goes through as if the first never happened.
    with manager.batch():
        manager.on_fill_buy("b0", YES, MKT, "YES", 10, "0.40", 10, fill_id="f1")
    assert store.last_seq(SESSION) == 3
    assert verify_session(store, SESSION).ok


def test_a_nested_batch_joins_the_outer_one_and_an_error_leaving_it_undoes_only_its_events(
    tmp_path: Path,
) -> None:
    store, manager = _open(tmp_path / "s.db")
    with manager.batch():
        manager.on_order_submitted_buy("b1", MKT, YES, "YES", 10, 40)
        after_b1 = manager.snapshot_json()
        with pytest.raises(KeyError), manager.batch():
            manager.on_order_submitted_buy("b2", MKT, YES, "YES", 10, 30)
            raise KeyError("inner")
        assert manager.snapshot_json() == after_b1
        with manager.batch():
            manager.on_order_submitted_buy("b3", MKT, NO, "NO", 10, 50)
        assert store.last_seq(SESSION) == 1  # the inner block's exit wrote nothing
    rows = list(store.iter_journal(SESSION))
    assert [r.seq for r in rows] == [1, 2, 3]
    events = [decode_event(r.kind, r.payload) for r in rows[1:]]
    assert [e.local_id for e in events if isinstance(e, BuySubmitted)] == ["b1", "b3"]
    assert verify_session(store, SESSION).ok


def test_a_batch_on_an_unbound_manager_restores_memory_on_an_exception() -> None:
    manager = InventoryManager(1_000)
    manager.on_order_submitted_buy("b1", MKT, YES, "YES", 10, 40)
    manager.on_fill_buy("b1", YES, MKT, "YES", 5, "0.40", 10, fill_id="f1")
    before = manager.snapshot_json(), _anomalies(manager), manager.ledger_state()
    with pytest.raises(ValueError, match="abort"), manager.batch():
        manager.on_fill_buy("b1", YES, MKT, "YES", 5, "0.40", 10, fill_id="f2")
        manager.on_fill_buy("b1", YES, MKT, "YES", 5, "0.40", 10, fill_id="f1")  # duplicate
        manager.update_prices({YES: 55})
        manager.trigger_exit()
        raise ValueError("abort")
    assert (manager.snapshot_json(), _anomalies(manager), manager.ledger_state()) == before
    with manager.batch():
        manager.on_fill_buy("b1", YES, MKT, "YES", 5, "0.40", 10, fill_id="f2")
    record = manager.position_record(YES)
    assert record is not None
    assert record.qty_micro == 10_000_000


# -- a failed commit ----------------------------------------------------------------------------


def test_a_commit_refused_by_the_store_restores_memory_exactly_and_writes_nothing(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.db"
    store, manager = _open(db)
    stream = make_stream(11, 60, exit_at=50)
    for event in stream[:20]:
        manager.apply(event)
    before = (manager.snapshot_json(), _anomalies(manager), manager.ledger_state())
    tables = _tables(db)
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TRIGGER refuse_seq_30 BEFORE INSERT ON journal WHEN NEW.seq = 30 "
            "BEGIN SELECT RAISE(ABORT, 'row 30 refused'); END"
        )
    with pytest.raises(StoreError, match="row 30 refused"), manager.batch():
        for event in stream[20:40]:
            manager.apply(event)
    assert (manager.snapshot_json(), _anomalies(manager), manager.ledger_state()) == before
    assert _tables(db) == tables
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER refuse_seq_30")
    # Applied again, the batch gives what the same events give without a batch.
    with manager.batch():
        for event in stream[20:40]:
            manager.apply(event)
    for event in stream[40:]:
        manager.apply(event)
    reference = InventoryManager(INITIAL_CAPITAL)
    for event in stream:
        reference.apply(event)
    assert manager.snapshot_json() == reference.snapshot_json()
    assert [r.seq for r in store.iter_journal(SESSION)] == list(range(1, 62))
    store.unlock_session(SESSION)
    recovered = recover_session(InventoryManager, store, SESSION)
    assert recovered.snapshot_json() == manager.snapshot_json()
    assert verify_session(store, SESSION).ok


def test_a_commit_on_a_closed_connection_restores_memory_and_raises(tmp_path: Path) -> None:
    store, manager = _open(tmp_path / "s.db")
    manager.on_order_submitted_buy("b1", MKT, YES, "YES", 10, 40)
    before = manager.snapshot_json(), _anomalies(manager)
    with pytest.raises(StoreError, match="closed"), manager.batch():
        manager.on_fill_buy("b1", YES, MKT, "YES", 10, "0.40", 10, fill_id="f1")
        manager.on_order_submitted_sell("s1", YES, 10, limit_px=70)
        store.close()
    assert (manager.snapshot_json(), _anomalies(manager)) == before
    with PersistenceLayer(str(tmp_path / "s.db")) as other:
        assert other.last_seq(SESSION) == 2


def _tables(db: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(db) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("journal", "fills", "orders", "positions", "mint_events", "sessions")
        }


# -- repeated fill ids ----------------------------------------------------------------------------


def _duplicate_calls(m: InventoryManager, *, batched: bool) -> None:
    """A fill id booked before the batch and one repeated inside it, among other calls."""
    m.on_order_submitted_buy("b1", MKT, YES, "YES", 30, 40)
    m.on_fill_buy("b1", YES, MKT, "YES", 10, "0.40", 30, fill_id="f1")
    with m.batch() if batched else contextlib.nullcontext():
        m.on_fill_buy("b1", YES, MKT, "YES", 10, "0.40", 30, fill_id="f2")
        m.on_fill_buy("b1", YES, MKT, "YES", 10, "0.40", 30, fill_id="f1")
        m.on_order_submitted_sell("s1", YES, 15, limit_px=60)
        m.on_fill_sell("s1", YES, 5, "0.60", 15, fill_id="f3")
        m.on_fill_sell("s1", YES, 5, "0.60", 15, fill_id="f3")
        m.update_prices({YES: 52})


def test_a_repeated_fill_id_in_a_batch_gives_what_unbatched_calls_give(tmp_path: Path) -> None:
    calls = _duplicate_calls
    plain_store, plain = _open(tmp_path / "plain.db")
    batched_store, batched = _open(tmp_path / "batched.db")
    calls(plain, batched=False)
    calls(batched, batched=True)
    assert _state(batched_store, batched) == _state(plain_store, plain)
    assert [r.duplicate for r in batched_store.iter_journal(SESSION)] == [
        False, False, False, False, True, False, False, True, False,
    ]  # fmt: skip
    assert [a.kind.value for a in batched.anomalies()] == ["duplicate_fill", "duplicate_fill"]
    batched_store.unlock_session(SESSION)
    recovered = recover_session(InventoryManager, batched_store, SESSION)
    assert recovered.snapshot_json() == plain.snapshot_json()
    assert verify_session(batched_store, SESSION).ok


def test_a_fill_id_the_store_refuses_after_the_second_pass_checked_it_is_applied_one_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain_store, plain = _open(tmp_path / "plain.db")
    batched_store, batched = _open(tmp_path / "batched.db")
    _duplicate_calls(plain, batched=False)
    # As if another session booked the ids between the second pass's look-up and its write.
    monkeypatch.setattr(Journal, "fill_booked", lambda _self, _fill_id: False)
    _duplicate_calls(batched, batched=True)
    monkeypatch.undo()
    assert _state(batched_store, batched) == _state(plain_store, plain)
    assert verify_session(batched_store, SESSION).ok


# -- a crash during batches ---------------------------------------------------------------------

CRASH_STREAM = 6_000
CRASH_KILLS = 12


def _crash_child(db: str, stream: list[Event], seed: int, write_fd: int) -> None:
    """Recover or open the session, then apply the stream from where the journal ends in
    batches of random sizes, printing each batch's end before it starts and after it commits."""
    try:
        store = PersistenceLayer(db)
        try:
            store.load_session(SESSION)
            manager = recover_session(InventoryManager, store, SESSION)
        except SessionNotFound:
            manager = open_session(
                InventoryManager, store, SESSION, INITIAL_CAPITAL, markets=MARKETS
            )
        i = store.last_seq(SESSION) - 1
        rng = random.Random(seed)
        os.write(write_fd, b"ready %d\n" % i)
        while i < len(stream):
            end = min(i + rng.randint(1, 40), len(stream))
            os.write(write_fd, b"boundary %d\n" % end)
            with manager.batch():
                for event in stream[i:end]:
                    manager.apply(event)
            os.write(write_fd, b"acked %d\n" % end)
            i = end
        os.write(write_fd, b"done\n")
        os._exit(0)
    except BaseException:
        os.write(write_fd, ("error " + traceback.format_exc()).encode())
        os._exit(1)


def _read(fd: int, until: bytes | None) -> bytes:
    data = b""
    while until is None or (until not in data and b"error" not in data):
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    return data


@pytest.mark.slow
def test_sigkill_during_batches_leaves_whole_batches_only(tmp_path: Path) -> None:
    rng = random.Random(20261202)
    stream = make_stream(rng.randrange(2**32), CRASH_STREAM, exit_at=4_000)
    db = str(tmp_path / "crash.db")
    reference = InventoryManager(INITIAL_CAPITAL)
    fed = 0
    kills = 0
    while kills < CRASH_KILLS:
        assert fed < len(stream), "the stream ran out before enough kills: lengthen it"
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _crash_child(db, stream, rng.randrange(2**32), write_fd)
        os.close(write_fd)
        try:
            out = _read(read_fd, b"ready")
            assert b"error" not in out, out.decode(errors="replace")
            time.sleep(rng.uniform(0.0, 0.05))
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            out += _read(read_fd, None)
        finally:
            os.close(read_fd)
        text = out.decode(errors="replace")
        assert "error" not in text, text
        if "done" in text:
            continue
        assert os.WIFSIGNALED(status)
        assert os.WTERMSIG(status) == signal.SIGKILL
        kills += 1
        lines = [line.split() for line in text.splitlines()]
        start = next(int(w[1]) for w in lines if w[0] == "ready")
        boundaries = {start} | {int(w[1]) for w in lines if w[0] == "boundary"}
        acked = max([start] + [int(w[1]) for w in lines if w[0] == "acked"])
        with PersistenceLayer(db) as store:
            assert store.integrity_check() == "ok"
            n = store.last_seq(SESSION) - 1
            assert n in boundaries, (n, sorted(boundaries))
            # Every acknowledged batch, and at most the one being committed when killed.
            assert acked <= n <= min([b for b in boundaries if b > acked] or [acked])
            for event in stream[fed:n]:
                reference.apply(event)
            fed = n
            recovered = recover_session(InventoryManager, store, SESSION)
            assert recovered.snapshot_json() == reference.snapshot_json()
            assert [(a.kind, a.event) for a in recovered.anomalies()] == [
                (a.kind, a.event) for a in reference.anomalies()
            ]
            assert verify_session(store, SESSION).ok


def test_a_snapshot_taken_inside_a_failed_batch_does_not_outlive_it(tmp_path: Path) -> None:
    store, manager = _open(tmp_path / "s.db")
    manager.on_order_submitted_buy("b1", MKT, YES, "YES", 10, 40)
    before = manager.snapshot_json()
    before_model = manager.snapshot()
    with pytest.raises(RuntimeError), manager.batch():
        manager.on_fill_buy("b1", YES, MKT, "YES", 10, "0.40", 10, fill_id="f1")
        manager.update_prices({YES: 55})
        manager.on_mint_submitted(COND, 5)
        manager.on_mint_confirmed(COND, 5, YES, NO, MKT)
        inside = manager.snapshot_json()
        assert inside != before
        assert manager.snapshot() != before_model
        raise RuntimeError("abort")
    assert manager.snapshot_json() == before
    assert manager.snapshot() == before_model
    assert store.last_seq(SESSION) == 2
