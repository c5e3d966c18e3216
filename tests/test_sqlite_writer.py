"""The SQLite backend's native writer (`_native.SqliteWriter`): a store on a file commits the
journal through it, and it writes what the `sqlite3` connection writes, refuses what that
refuses, commits as durably, and waits for another writer as that waits (the GIL given back)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.event_streams import INITIAL_CAPITAL, MARKETS, make_stream
from tests.support import cache_rows
from weatherman_inventory.errors import StoreError
from weatherman_inventory.journal import open_session, verify_session
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.store import PersistenceLayer
from weatherman_inventory.store.sqlite import SQLiteBackend

SESSION = "writer-session"
MKT, COND, YES, NO = MARKETS[0]


def _backend(store: PersistenceLayer) -> SQLiteBackend:
    backend = store._backend
    assert isinstance(backend, SQLiteBackend)
    return backend


def _writer(store: PersistenceLayer) -> Any:
    return _backend(store)._writer


@pytest.mark.parametrize(("mode", "synchronous"), [("live", 2), ("paper", 1)])
def test_a_file_store_commits_through_a_native_writer_as_durably_as_its_mode(
    tmp_path: Path, mode: Any, synchronous: int
) -> None:
    with PersistenceLayer(tmp_path / "s.db", mode=mode) as store:
        writer = _writer(store)
        assert writer is not None
        assert writer.pragma("synchronous") == synchronous
        assert writer.pragma("foreign_keys") == 1
        assert writer.pragma("journal_mode") == "wal"
        assert writer.pragma("busy_timeout") == 5000
        with pytest.raises(ValueError, match="letters and underscores"):
            writer.pragma("synchronous = OFF")


def test_a_store_in_memory_has_no_second_connection_and_commits_on_its_own() -> None:
    with PersistenceLayer(":memory:") as store:
        assert _writer(store) is None
        manager = open_session(InventoryManager, store, SESSION, 1_000)
        manager.on_order_submitted_buy("b1", MKT, YES, "YES", 10, 40)
        manager.on_fill_buy("b1", YES, MKT, "YES", 4, "0.40", 10, fill_id="f1")
        assert [f.fill_id for f in store.load_fills(SESSION)] == ["f1"]
        assert store.last_seq(SESSION) == 3


def _rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """The journal without its times and hashes, and every cache table without timestamps."""
    with sqlite3.connect(db) as conn:
        journal = conn.execute("SELECT seq, kind, payload, duplicate FROM journal ORDER BY seq")
        return {"journal": journal.fetchall(), **cache_rows(db)}


@pytest.mark.usefixtures("quiet_anomalies")
@pytest.mark.parametrize("seed", [3, 11])
def test_the_native_writer_writes_what_the_sqlite3_connection_writes(
    tmp_path: Path, seed: int
) -> None:
    """The same stream (fills delivered twice, so refused duplicates too), half of it in
    batches, through the native writer and through the `sqlite3` connection."""
    stream = make_stream(seed, 600)
    results = []
    for name, native in (("native.db", True), ("sqlite3.db", False)):
        store = PersistenceLayer(tmp_path / name)
        if not native:
            _writer(store).close()
            _backend(store)._writer = None
        manager = open_session(InventoryManager, store, SESSION, INITIAL_CAPITAL, markets=MARKETS)
        for event in stream[:300]:
            manager.apply(event)
        for start in range(300, len(stream), 7):
            with manager.batch():
                for event in stream[start : start + 7]:
                    manager.apply(event)
        assert verify_session(store, SESSION).ok
        results.append((manager.snapshot_json(), [a.kind for a in manager.anomalies()]))
        store.close()
    native_rows, python_rows = _rows(tmp_path / "native.db"), _rows(tmp_path / "sqlite3.db")
    assert native_rows == python_rows
    assert len(native_rows["journal"]) > 600  # the session's opening rows, and every event
    assert any(duplicate for *_, duplicate in native_rows["journal"])
    assert results[0] == results[1]


def test_a_commit_waits_for_another_connections_write_lock_and_lets_python_run_meanwhile(
    tmp_path: Path,
) -> None:
    """Another connection holds the write lock and gives it up from a Python thread: the
    commit waits for it (busy timeout) with the GIL given back, else that thread could never
    commit and the wait would end in "database is locked" after five seconds."""
    db = tmp_path / "s.db"
    store = PersistenceLayer(db)
    manager = open_session(InventoryManager, store, SESSION, 1_000)
    manager.on_order_submitted_buy("b1", MKT, YES, "YES", 10, 40)
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    released: list[bool] = []

    def release() -> None:
        time.sleep(0.3)
        released.append(True)
        other.execute("COMMIT")

    holder = threading.Thread(target=release)
    holder.start()
    manager.on_fill_buy("b1", YES, MKT, "YES", 4, "0.40", 10, fill_id="f1")
    holder.join()
    assert released == [True]
    assert [f.fill_id for f in store.load_fills(SESSION)] == ["f1"]
    other.close()
    store.close()


def test_two_sessions_commit_from_two_threads_on_one_store(tmp_path: Path) -> None:
    store = PersistenceLayer(tmp_path / "s.db")
    managers = [open_session(InventoryManager, store, f"s{i}", 10_000) for i in range(2)]
    failures: list[BaseException] = []

    def trade(i: int) -> None:
        try:
            manager = managers[i]
            manager.on_order_submitted_buy(f"b{i}", MKT, YES, "YES", 1_000, 40)
            for n in range(150):
                manager.on_fill_buy(f"b{i}", YES, MKT, "YES", 1, "0.40", 1_000, fill_id=f"{i}-{n}")
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=trade, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    for i in range(2):
        assert len(store.load_fills(f"s{i}")) == 150
        assert verify_session(store, f"s{i}").ok
    store.close()


def test_a_write_inside_a_read_snapshot_or_after_close_is_refused_and_changes_nothing(
    tmp_path: Path,
) -> None:
    store = PersistenceLayer(tmp_path / "s.db")
    manager = open_session(InventoryManager, store, SESSION, 1_000)
    manager.on_order_submitted_buy("b1", MKT, YES, "YES", 10, 40)
    before = manager.snapshot_json()
    with store.snapshot(), pytest.raises(StoreError, match="read snapshot"):
        manager.on_fill_buy("b1", YES, MKT, "YES", 4, "0.40", 10, fill_id="f1")
    assert manager.snapshot_json() == before
    assert store.load_fills(SESSION) == []
    store.close()
    with pytest.raises(StoreError, match="closed"):
        manager.on_fill_buy("b1", YES, MKT, "YES", 4, "0.40", 10, fill_id="f1")
    assert manager.snapshot_json() == before
    with PersistenceLayer(tmp_path / "s.db", readonly=True) as reader:
        assert reader.load_fills(SESSION) == []
        assert reader.last_seq(SESSION) == 2
