"""The journal is the whole truth: recovery takes everything from it, refuses a journal that
cannot be the whole truth, and rebuilds a cache that disagrees with it."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest

from tests.support import execute_sql, run_cli
from weatherman_inventory.errors import JournalInconsistent, SessionLocked, StoreError
from weatherman_inventory.journal import open_session, recover_session, row_time
from weatherman_inventory.manager import AnomalyKind, InventoryManager
from weatherman_inventory.store import PersistenceLayer
from weatherman_inventory.verify import verify_session

SID = "sess-j"
MARKETS = [("mkt-1", "cond-1", "yes-1", "no-1")]
FIXTURES = Path(__file__).parent / "fixtures"
LEGACY_SID = "sess-main-83759e3"


def _session(db: Path) -> str:
    """A session with cash, six positions' worth of rows and a pending mint; its snapshot."""
    with PersistenceLayer(db, mode="live") as store:
        m = open_session(InventoryManager, store, SID, 1000, markets=MARKETS)
        m.on_order_submitted_buy("b1", "mkt-1", "yes-1", "YES", 100, 40)
        m.on_fill_buy("b1", "yes-1", "mkt-1", "YES", 60, "0.39", 100, fill_id="f1")
        m.on_order_submitted_buy("b2", "mkt-1", "no-1", "NO", 20, 55)
        m.on_fill_buy("b2", "no-1", "mkt-1", "NO", 20, "0.55", 20, fill_id="f2")
        m.on_mint_submitted("cond-1", 4)
        m.on_mint_confirmed("cond-1", 4, "yes-1", "no-1", "mkt-1")
        m.on_order_submitted_sell("s1", "yes-1", 10)
        return m.snapshot_json()


# -- everything recovery needs comes from the journal ---------------------------------------


def test_doubled_initial_capital_column_gives_recovery_no_money(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    snapshot = _session(db)
    execute_sql(db, "UPDATE sessions SET initial_capital = initial_capital * 2")
    with PersistenceLayer(db) as store:
        recovered = recover_session(InventoryManager, store, SID)
        assert recovered.initial_capital_micro == 1_000_000_000
        assert recovered.snapshot_json() == snapshot
        [anomaly] = [a for a in recovered.anomalies() if a.kind is AnomalyKind.CACHE_MISMATCH]
        assert "initial_capital is 1000000000 by the journal, 2000000000" in anomaly.message
        # The cache was rebuilt from the journal.
        assert store.load_session(SID).initial_capital == 1_000_000_000
        assert verify_session(store, SID).ok


def test_exchange_order_id_is_journaled_and_recovered(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    _session(db)
    with PersistenceLayer(db) as store:
        m = recover_session(InventoryManager, store, SID)
        m.on_exchange_order_id("s1", "0xs1")
        m.on_exchange_order_id("s1", "0xanother")  # a conflicting second id: an anomaly
        m.on_exchange_order_id("nope", "0xnope")  # an order never seen: an anomaly
        assert [a.kind for a in m.anomalies()[-2:]] == [
            AnomalyKind.EXCHANGE_ID_CONFLICT,
            AnomalyKind.UNKNOWN_ORDER,
        ]
        order = store.load_order("s1")
        assert order is not None
        assert order.exchange_order_id == "0xs1"
    # The table is a cache: the journal alone brings the id back.
    execute_sql(db, "UPDATE orders SET exchange_order_id = NULL")
    with PersistenceLayer(db) as store:
        recovered = recover_session(InventoryManager, store, SID)
        assert recovered.exchange_order_id("s1") == "0xs1"
        order = store.load_order("s1")
        assert order is not None
        assert order.exchange_order_id == "0xs1"


# -- a journal that cannot be the whole truth is refused ------------------------------------


def test_dropped_journal_table_refuses_recovery(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    _session(db)
    execute_sql(db, "DROP TABLE journal")
    with PersistenceLayer(db) as store:
        with pytest.raises(JournalInconsistent) as info:
            recover_session(InventoryManager, store, SID)
        error = info.value
        assert (error.table, error.key, error.journal_value) == ("journal", "seq 1", None)
        assert error.table_value == "2 fills, 3 orders, 2 positions, 1 mint_events"
        assert "the journal is empty while the other tables hold the session" in str(error)
        # A refusal gives the lock back: the store may claim the session again.
        assert not store.holds_session(SID)
        assert store.load_session(SID).initial_capital == 1_000_000_000


def test_emptied_journal_refuses_recovery(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    _session(db)
    execute_sql(db, f"DELETE FROM journal WHERE session_id = '{SID}'")
    with PersistenceLayer(db) as store, pytest.raises(JournalInconsistent) as info:
        recover_session(InventoryManager, store, SID)
    assert info.value.table == "journal"


def test_journal_row_deleted_mid_way_refuses_recovery(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    _session(db)
    execute_sql(db, f"DELETE FROM journal WHERE session_id = '{SID}' AND seq = 4")
    with PersistenceLayer(db) as store, pytest.raises(JournalInconsistent) as info:
        recover_session(InventoryManager, store, SID)
    error = info.value
    assert (error.table, error.key, error.journal_value, error.table_value) == (
        "journal",
        "seq 4",
        4,
        5,
    )


def test_journal_rows_renumbered_refuse_recovery(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    _session(db)
    execute_sql(
        db,
        f"UPDATE journal SET seq = 100 WHERE session_id = '{SID}' AND seq = 3",
        f"UPDATE journal SET seq = 3 WHERE session_id = '{SID}' AND seq = 5",
        f"UPDATE journal SET seq = 5 WHERE session_id = '{SID}' AND seq = 100",
    )
    with PersistenceLayer(db) as store, pytest.raises(JournalInconsistent) as info:
        recover_session(InventoryManager, store, SID)
    error = info.value
    assert (error.table, error.key) == ("journal", "seq 3")
    assert "hash chain is broken" in str(error)
    assert isinstance(error.journal_value, str)
    assert isinstance(error.table_value, str)
    assert error.journal_value != error.table_value


def test_rewritten_journal_payload_refuses_recovery(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    _session(db)
    execute_sql(
        db,
        f"UPDATE journal SET payload = replace(payload, '390000', '190000') "
        f"WHERE session_id = '{SID}' AND seq = 3",
    )
    with PersistenceLayer(db) as store, pytest.raises(JournalInconsistent) as info:
        recover_session(InventoryManager, store, SID)
    assert (info.value.table, info.value.key) == ("journal", "seq 3")


# -- the head hash and the operator's commands ----------------------------------------------


def test_verify_prints_the_head_hash_and_checks_an_expected_one(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    _session(db)
    with PersistenceLayer(db, readonly=True) as reader:
        report = verify_session(reader, SID)
    assert report.ok
    assert report.head_seq == 8
    assert len(report.head_hash) == 64
    ok = run_cli("verify", "--db", str(db), "--session", SID, "--expect-head", report.head_hash)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert f"journal head: seq 8 hash {report.head_hash}" in ok.stdout
    wrong = "0" * 64
    failed = run_cli("verify", "--db", str(db), "--session", SID, "--expect-head", wrong)
    assert failed.returncode == 1
    assert f"head hash is {report.head_hash!r} by the journal, {wrong!r}" in failed.stdout


def test_rebuild_caches_rewrites_tampered_tables_from_the_journal(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    _session(db)
    execute_sql(
        db,
        "UPDATE fills SET price = price + 100000 WHERE fill_id = 'f1'",
        "UPDATE orders SET reserved_usd = 1 WHERE local_id = 'b1'",
        "UPDATE mint_events SET amount = amount * 100",
        "DELETE FROM positions WHERE token_id = 'no-1'",
    )
    before = run_cli("verify", "--db", str(db), "--session", SID)
    assert before.returncode == 1
    rebuilt = run_cli("rebuild-caches", "--db", str(db), "--session", SID)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "fills f1: price is 390000 by the journal, 490000 in the fills table" in rebuilt.stdout
    assert "orders b1: reserved_usd is 16000000 by the journal, 1 " in rebuilt.stdout
    assert "token no-1: row is 'present' by the journal, None" in rebuilt.stdout
    assert "rebuilt: 4 difference(s) resolved" in rebuilt.stdout
    after = run_cli("verify", "--db", str(db), "--session", SID)
    assert after.returncode == 0, after.stdout
    again = run_cli("rebuild-caches", "--db", str(db), "--session", SID)
    assert "nothing to rebuild" in again.stdout


def test_rebuild_caches_needs_the_writer_lock(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    _session(db)
    with PersistenceLayer(db) as store:
        recover_session(InventoryManager, store, SID)
        refused = run_cli("rebuild-caches", "--db", str(db), "--session", SID)
        assert refused.returncode == 2
        assert "another process" in refused.stderr
        with pytest.raises(SessionLocked):
            store.lock_session(SID)


def test_rebuild_caches_refuses_a_journal_with_a_hole(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    _session(db)
    execute_sql(db, f"DELETE FROM journal WHERE session_id = '{SID}' AND seq = 4")
    refused = run_cli("rebuild-caches", "--db", str(db), "--session", SID)
    assert refused.returncode == 2
    assert "journal seq 4" in refused.stderr


# -- a database written by store version 1 (commit 83759e3) ---------------------------------


def _legacy(tmp_path: Path) -> Path:
    db = tmp_path / "legacy.sqlite"
    shutil.copyfile(FIXTURES / "main-83759e3.sqlite", db)
    return db


def test_version_1_database_upgrades_and_recovers_to_its_snapshot(tmp_path: Path) -> None:
    db = _legacy(tmp_path)
    with pytest.raises(StoreError, match="older than 5"):
        PersistenceLayer(db, readonly=True)
    with PersistenceLayer(db) as store:
        assert store.pragma("user_version") == 5
        recovered = recover_session(InventoryManager, store, LEGACY_SID)
        expected = orjson.loads((FIXTURES / "main-83759e3.snapshot.json").read_bytes())
        # The same numbers, quantities now exact decimal shares (`100.0` where 83759e3 wrote
        # `100`), beside the fields added since, which are zero for that session.
        got = orjson.loads(recovered.snapshot_json())
        assert (got.pop("unsettledUsd"), got.pop("adjustmentsUsd")) == (0, 0)
        for token in got["tokens"].values():
            assert token.pop("unsettledQty") == 0
        assert got == expected
        assert recovered.snapshot_json() == recovered.snapshot().model_dump_json()
        # Quantities were scaled to micro-shares, limits to micro-USDC per share.
        b1 = store.load_order("b1")
        assert b1 is not None
        assert (b1.qty, b1.limit_px, b1.filled_qty) == (100_000_000, 400_000, 100_000_000)
        assert recovered.initial_capital_micro == 1_000_000_000
        assert [a.kind for a in recovered.anomalies()] == []
        # The exchange id that version 1 wrote to the orders table alone is kept.
        order = store.load_order("b3")
        assert order is not None
        assert order.exchange_order_id == "0xexchange-b3"
        with store.transaction(write=False) as conn:
            hashes = conn.execute("SELECT hash FROM journal ORDER BY seq").fetchall()
        assert len(hashes) == 23
        assert all(isinstance(h, bytes) and len(h) == 32 for (h,) in hashes)
        # It carries on journaling, chained to the migrated rows.
        recovered.on_exchange_order_id("b3", "0xexchange-b3")
        recovered.on_order_cancelled_buy("b3", 10, 20)
    with PersistenceLayer(db, readonly=True) as reader:
        report = verify_session(reader, LEGACY_SID)
    assert report.ok, report.render()
    assert report.head_seq == 25
    assert "NOTE the journal has no session_opened row" in report.render()
    assert "come from the sessions row" in report.render()


def test_version_1_database_keeps_its_capital_from_the_sessions_row(tmp_path: Path) -> None:
    db = _legacy(tmp_path)
    with PersistenceLayer(db) as store:
        recovered = recover_session(InventoryManager, store, LEGACY_SID)
        assert recovered.snapshot_json().startswith('{"totalUsd":948.03,')
        recovered._bind(None)
        store.unlock_session(LEGACY_SID)
    result = run_cli("verify", "--db", str(db), "--session", LEGACY_SID)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the initial capital, mode and start time come from the sessions row" in result.stdout


def test_sessions_opened_alike_journal_the_same_first_row(tmp_path: Path) -> None:
    """Two runs of one session write the same journal payloads (the Rust host compares them):
    the start time is the row's recorded_at, which the sessions row copies."""
    payloads = []
    for name in ("a.db", "b.db"):
        with PersistenceLayer(tmp_path / name) as store:
            open_session(InventoryManager, store, SID, "12.5", strategy_id="s", config_json="{}")
            [first] = store.iter_journal(SID)
            payloads.append((first.kind, first.payload))
            with store.transaction(write=False) as conn:
                [(recorded_at,)] = conn.execute("SELECT recorded_at FROM journal").fetchall()
            assert store.load_session(SID).started_at == row_time(recorded_at)
    assert payloads[0] == payloads[1] == ("session_opened", b'[12500000,"paper","s","{}",2]')
