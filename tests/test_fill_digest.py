"""The fills cache is compared with the replay by a digest of SQLite's JSON of each row: what
SQLite and orjson spell alike passes at once, anything else is compared row by row, so an odd id
is never a false difference and an odd cell never a crash or a missed one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from weatherman_inventory.journal import open_session, recover_session, replay_checked
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.store import PersistenceLayer
from weatherman_inventory.verify import _fill_digest, verify_session

SID = "sess-fills"
ODD_IDS = ['f"quote', "f\\back", "f\tab", "f\x00nul", "fé", "f☃", "f\U0001f600", "f'single"]


def _session(db: Path, fill_ids: list[str]) -> None:
    with PersistenceLayer(db, mode="paper") as store:
        m = open_session(InventoryManager, store, SID, 1000)
        m.on_order_submitted_buy("b1", "mkt-1", "yes-1", "YES", 100, 40)
        for fill_id in fill_ids:
            m.on_fill_buy("b1", "yes-1", "mkt-1", "YES", 1, "0.39", 100, fill_id=fill_id)


def test_plain_fills_digest_equals_the_replays(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    _session(db, [f"f{i}" for i in range(10)])
    with PersistenceLayer(db, readonly=True) as store:
        replayed = replay_checked(InventoryManager, store, SID, strict=True)
        assert replayed.fill_count == 10
        assert _fill_digest(store, SID) == (10, replayed.fill_digest)


@pytest.mark.parametrize("fill_id", ODD_IDS)
def test_fill_id_escaped_otherwise_by_sqlite_recovers_without_anomalies(
    tmp_path: Path, fill_id: str
) -> None:
    db = tmp_path / "t.db"
    _session(db, ["f0", fill_id, "f2"])
    with PersistenceLayer(db, mode="paper") as store:
        manager = recover_session(InventoryManager, store, SID)
        assert manager.anomalies() == ()
        assert verify_session(store, SID).ok


@pytest.mark.parametrize(
    ("statement", "field", "journal", "table"),
    [
        (
            "UPDATE fills SET order_id = CAST('b1' AS BLOB) WHERE fill_id = 'f1'",
            "order_id",
            "b1",
            b"b1",
        ),
        ("UPDATE fills SET price = 390000.5 WHERE fill_id = 'f1'", "price", 390_000, 390_000.5),
        ("UPDATE fills SET fill_id = 'f1' || char(0) WHERE fill_id = 'f1'", "row", None, "present"),
    ],
    ids=["blob order id", "real price", "nul suffix"],
)
def test_odd_cell_in_fills_table_is_found_not_a_crash(
    tmp_path: Path, statement: str, field: str, journal: object, table: object
) -> None:
    db = tmp_path / "t.db"
    _session(db, ["f0", "f1", "f2"])
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(statement)
    conn.close()
    with PersistenceLayer(db, readonly=True) as store:
        report = verify_session(store, SID)
    fills = [(f.field, f.journal, f.table_value) for f in report.findings if f.table == "fills"]
    assert (field, journal, table) in fills, fills
