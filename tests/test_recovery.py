"""Recovery and verify: the journal rebuilds the exact state; the tables are checked against it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.event_streams import INITIAL_CAPITAL, MARKETS, make_stream
from weatherman_inventory.errors import SessionLocked, SessionNotFound
from weatherman_inventory.journal import open_session, recover_session, verify_session
from weatherman_inventory.manager import AnomalyKind, InventoryManager
from weatherman_inventory.store import PersistenceLayer

SID = "sess-r"


pytestmark = pytest.mark.usefixtures("quiet_anomalies")


def _session(db: Path, length: int = 1500, seed: int = 11) -> InventoryManager:
    """A session of `length` stream events written to `db`; returns the in-memory twin."""
    stream = make_stream(seed, length)
    twin = InventoryManager(INITIAL_CAPITAL)
    with PersistenceLayer(db, mode="paper") as store:
        manager = open_session(InventoryManager, store, SID, INITIAL_CAPITAL, markets=MARKETS)
        for event in stream:
            manager.apply(event)
            twin.apply(event)
    return twin


def _ledger(manager: InventoryManager) -> dict[str, object]:
    state = manager.ledger_state()
    del state["fill_ids"], state["anomalies"]
    return state


def test_recovery_rebuilds_the_exact_state(tmp_path: Path) -> None:
    twin = _session(tmp_path / "r.db")
    with PersistenceLayer(tmp_path / "r.db") as store:
        recovered = recover_session(InventoryManager, store, SID)
        assert recovered.snapshot_json() == twin.snapshot_json()
        assert _ledger(recovered) == _ledger(twin)
        assert [(a.kind, a.event) for a in recovered.anomalies()] == [
            (a.kind, a.event) for a in twin.anomalies()
        ]
        # The recovered manager carries on journaling where the journal ended.
        last = store.last_seq(SID)
        recovered.on_order_submitted_sell("after-recovery", "yes-0", 1)
        assert store.last_seq(SID) == last + 1
        assert verify_session(store, SID).ok


def test_recovery_reports_a_stale_positions_cache(tmp_path: Path) -> None:
    _session(tmp_path / "r.db")
    with PersistenceLayer(tmp_path / "r.db") as store:
        [first, *_] = store.load_positions(SID)
        with store.transaction() as conn:
            conn.execute(
                "UPDATE positions SET qty = qty + 7 WHERE token_id = ? AND session_id = ?",
                (first.token_id, SID),
            )
        recovered = recover_session(InventoryManager, store, SID)
        [mismatch] = [
            a for a in recovered.anomalies() if a.kind is AnomalyKind.POSITION_CACHE_MISMATCH
        ]
        assert first.token_id in mismatch.message
        assert f"qty is {first.qty} by the journal, {first.qty + 7}" in mismatch.message
        [row] = mismatch.event.rows  # type: ignore[union-attr]
        assert row.qty_micro == first.qty + 7
        # The replay, not the cache, is the state.
        record = recovered.position_record(first.token_id)
        assert record is not None
        assert record.qty_micro == first.qty


def test_recovery_of_an_unknown_session(tmp_path: Path) -> None:
    with PersistenceLayer(tmp_path / "r.db") as store, pytest.raises(SessionNotFound):
        recover_session(InventoryManager, store, "nobody")


def test_recovery_is_refused_while_another_writer_holds_the_session(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    with PersistenceLayer(db) as writer, PersistenceLayer(db) as other:
        open_session(InventoryManager, writer, SID, 10)
        with pytest.raises(SessionLocked):
            recover_session(InventoryManager, other, SID)
        with pytest.raises(SessionLocked):
            open_session(InventoryManager, other, SID, 10)
        # Another session of the same database has its own lock.
        open_session(InventoryManager, other, "sess-other", 10)
        # (Both may have started in the same millisecond: the order of the list is not asked.)
        assert {s.id for s in other.list_sessions()} == {SID, "sess-other"}


def test_verify_passes_then_reports_each_difference(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    _session(db)
    with PersistenceLayer(db, readonly=True) as reader:
        report = verify_session(reader, SID)
        assert report.ok, report.render()
        assert report.events == 1500
        assert report.fills == len(reader.load_fills(SID)) > 0
    with PersistenceLayer(db) as store:
        positions = store.load_positions(SID)
        fills = store.load_fills(SID)
        with store.transaction() as conn:
            conn.execute(
                "UPDATE positions SET cost_basis = cost_basis + 1 WHERE token_id = ?",
                (positions[0].token_id,),
            )
            conn.execute("DELETE FROM fills WHERE fill_id = ?", (fills[0].fill_id,))
            conn.execute(
                "UPDATE markets SET yes_token_id = no_token_id, no_token_id = yes_token_id "
                "WHERE market_id = 'mkt-1'"
            )
    with PersistenceLayer(db, readonly=True) as reader:
        report = verify_session(reader, SID)
    assert not report.ok
    assert [(d.token_id, d.field) for d in report.differences] == [
        (positions[0].token_id, "cost_basis")
    ]
    assert report.differences[0].table == report.differences[0].journal + 1
    assert f"fill {fills[0].fill_id} is journaled but missing from the fills table" in (
        report.problems
    )
    assert any("in the markets table" in p for p in report.problems)
    assert "FAILED" in report.render()


def test_replays_log_only_what_is_new(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Recovery logs a cache difference and a summary, not the replayed anomalies again; verify's
    position-only replay logs none of the anomalies it meets (they are not the session's)."""
    twin = _session(tmp_path / "r.db")
    assert twin.anomalies(), "the stream must contain contradicting facts for this test"
    logger = logging.getLogger("weatherman_inventory")
    logger.setLevel(logging.INFO)
    with PersistenceLayer(tmp_path / "r.db") as store:
        [first, *_] = store.load_positions(SID)
        with store.transaction() as conn:
            conn.execute(
                "UPDATE positions SET qty = qty + 7 WHERE token_id = ? AND session_id = ?",
                (first.token_id, SID),
            )
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="weatherman_inventory"):
            recovered = recover_session(InventoryManager, store, SID)
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert [r.kind for r in warnings] == ["position_cache_mismatch"]  # type: ignore[attr-defined]
        [summary] = [r for r in caplog.records if r.levelno == logging.INFO]
        assert summary.getMessage().endswith(
            f"{len(twin.anomalies())} anomalies replayed, 1 cache differences"
        )
        assert recovered.log_anomalies
        recovered._bind(None)
        store.unlock_session(SID)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="weatherman_inventory"):
            report = verify_session(store, SID)
        # Recovery rebuilt the stale cache from the journal.
        assert report.ok, report.render()
        assert caplog.records == []
