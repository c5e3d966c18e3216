"""`python -m weatherman_inventory`: verify's report and exit status, in a real process."""

from __future__ import annotations

from pathlib import Path

from tests.support import run_cli
from weatherman_inventory.journal import open_session
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.store import PersistenceLayer


def _db(tmp_path: Path) -> Path:
    db = tmp_path / "cli.db"
    with PersistenceLayer(db, mode="live") as store:
        manager = open_session(InventoryManager, store, "s1", "250.5")
        manager.on_order_submitted_buy("b1", "m1", "t1", "YES", 10, 40)
        manager.on_fill_buy("b1", "t1", "m1", "YES", 10, "0.4", 10, fill_id="f1")
    return db


def test_verify_ok_exits_0(tmp_path: Path) -> None:
    result = run_cli("verify", "--db", str(_db(tmp_path)), "--session", "s1")
    assert result.returncode == 0, result.stderr
    assert "session s1: 2 journaled events, 1 fills, 1 positions" in result.stdout
    assert "OK: every table matches the journal, and the journal is whole" in result.stdout


def test_verify_difference_exits_1(tmp_path: Path) -> None:
    db = _db(tmp_path)
    with PersistenceLayer(db) as store, store.transaction() as conn:
        conn.execute("UPDATE positions SET qty = 9000000")  # micro-shares
    result = run_cli("verify", "--db", str(db), "--session", "s1")
    assert result.returncode == 1
    assert (
        "DIFF token t1: qty is 10000000 by the journal, 9000000 in the positions table"
        in result.stdout
    )
    assert "FAILED: 1 difference(s)" in result.stdout


def test_verify_of_an_unknown_session_exits_2(tmp_path: Path) -> None:
    result = run_cli("verify", "--db", str(_db(tmp_path)), "--session", "nope")
    assert result.returncode == 2
    assert "no session 'nope'" in result.stderr


def test_verify_of_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = run_cli("verify", "--db", str(tmp_path / "absent.db"), "--session", "s1")
    assert result.returncode == 2
    assert result.stderr == f"error: no database at {tmp_path / 'absent.db'}\n"
    assert not (tmp_path / "absent.db").exists()


def test_verify_of_a_postgresql_url_is_not_refused_as_a_missing_file(pg_url: str) -> None:
    with PersistenceLayer(pg_url, mode="live") as store:
        manager = open_session(InventoryManager, store, "s1", "250.5")
        manager.on_order_submitted_buy("b1", "m1", "t1", "YES", 10, 40)
    result = run_cli("verify", "--db", pg_url, "--session", "s1")
    assert result.returncode == 0, result.stderr
    assert "session s1: 1 journaled events, 0 fills, 0 positions" in result.stdout
    assert "OK: every table matches the journal, and the journal is whole" in result.stdout


def test_sessions_lists_each_session(tmp_path: Path) -> None:
    result = run_cli("sessions", "--db", str(_db(tmp_path)))
    assert result.returncode == 0, result.stderr
    [header, row] = result.stdout.splitlines()
    assert header.split()[:2] == ["session", "mode"]
    # Three journal rows: the session's opening, the buy and its fill.
    assert row.split()[:5] == ["s1", "live", "250.500000", "3", "no"]
