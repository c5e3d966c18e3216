"""verify checks every table against the journal: each tampering is a finding naming the table,
the key and both values, on real SQLite files."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import execute_sql
from weatherman_inventory.journal import open_session
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.store import PersistenceLayer
from weatherman_inventory.verify import Finding, verify_session

SID = "sess-t"
MARKETS = [("mkt-1", "cond-1", "yes-1", "no-1")]


def _session(db: Path) -> None:
    """A session of every kind of row: orders, fills, a mint and a merge, the exit flag."""
    with PersistenceLayer(db, mode="live") as store:
        m = open_session(InventoryManager, store, SID, 1000, markets=MARKETS)  # seq 1
        m.on_order_submitted_buy("b1", "mkt-1", "yes-1", "YES", 100, 40)  # 2
        m.on_fill_buy("b1", "yes-1", "mkt-1", "YES", 30, "0.39", 100, fill_id="f1")  # 3
        m.on_fill_buy("b1", "yes-1", "mkt-1", "YES", 20, "0.40", 100, fill_id="f2")  # 4
        m.on_exchange_order_id("b1", "0xb1")  # 5
        m.on_order_submitted_sell("s1", "yes-1", 10, limit_px=45)  # 6
        m.on_fill_sell("s1", "yes-1", 10, "0.45", 10, fill_id="f3", fee_usd="0.01")  # 7
        m.on_mint_submitted("cond-1", 5)  # 8
        m.on_mint_confirmed("cond-1", 5, "yes-1", "no-1", "mkt-1")  # 9
        m.on_merge_submitted("cond-1", 2)  # 10
        m.trigger_exit()  # 11


def _verify(db: Path) -> tuple[bool, list[Finding], str]:
    with PersistenceLayer(db, readonly=True) as reader:
        report = verify_session(reader, SID)
    return report.ok, list(report.findings), report.render()


# (name, statements, the finding: table, key, field, journal value, table value)
TAMPERINGS: list[tuple[str, tuple[str, ...], tuple[str, str, str, object, object]]] = [
    (
        "fill price +0.10",
        ("UPDATE fills SET price = price + 100000 WHERE fill_id = 'f1'",),
        ("fills", "f1", "price", 390_000, 490_000),
    ),
    (
        "fill fee",
        ("UPDATE fills SET fee = 5 WHERE fill_id = 'f2'",),
        ("fills", "f2", "fee", 0, 5),
    ),
    (
        "fill quantity",
        ("UPDATE fills SET qty = 11000000 WHERE fill_id = 'f3'",),  # micro-shares
        ("fills", "f3", "qty", 10_000_000, 11_000_000),
    ),
    (
        "fill token",
        ("UPDATE fills SET token_id = 'no-1' WHERE fill_id = 'f1'",),
        ("fills", "f1", "token_id", "yes-1", "no-1"),
    ),
    (
        "fill side",
        ("UPDATE fills SET side = 'sell' WHERE fill_id = 'f2'",),
        ("fills", "f2", "side", "buy", "sell"),
    ),
    (
        "order reserved_usd",
        ("UPDATE orders SET reserved_usd = reserved_usd + 1 WHERE local_id = 'b1'",),
        ("orders", "b1", "reserved_usd", 20_000_000, 20_000_001),
    ),
    (
        "order status",
        ("UPDATE orders SET status = 'FILLED' WHERE local_id = 'b1'",),
        ("orders", "b1", "status", "PARTIALLY_FILLED", "FILLED"),
    ),
    (
        "order filled quantity",
        ("UPDATE orders SET filled_qty = 100000000 WHERE local_id = 'b1'",),
        ("orders", "b1", "filled_qty", 50_000_000, 100_000_000),
    ),
    (
        "order exchange id",
        ("UPDATE orders SET exchange_order_id = '0xother' WHERE local_id = 'b1'",),
        ("orders", "b1", "exchange_order_id", "0xb1", "0xother"),
    ),
    (
        "mint amount x100",
        ("UPDATE mint_events SET amount = amount * 100 WHERE operation = 'MINT'",),
        ("mint_events", "#1 (id 1)", "amount", 5_000_000, 500_000_000),
    ),
    (
        "merge status",
        ("UPDATE mint_events SET status = 'CONFIRMED' WHERE operation = 'MERGE'",),
        ("mint_events", "#2 (id 2)", "status", "PENDING", "CONFIRMED"),
    ),
    (
        "initial_capital x2",
        ("UPDATE sessions SET initial_capital = initial_capital * 2",),
        ("sessions", f"session {SID}", "initial_capital", 1_000_000_000, 2_000_000_000),
    ),
    (
        "session mode",
        ("UPDATE sessions SET mode = 'paper'",),
        ("sessions", f"session {SID}", "mode", "live", "paper"),
    ),
    (
        "exit flag cleared",
        ("UPDATE sessions SET exit_triggered = 0",),
        ("sessions", f"session {SID}", "exit_triggered", True, False),
    ),
    (
        "journal row deleted mid-way",
        (f"DELETE FROM journal WHERE session_id = '{SID}' AND seq = 6",),
        ("journal", "seq 6", "seq", 6, 7),
    ),
]


@pytest.mark.parametrize(
    ("statements", "expected"),
    [(s, e) for _, s, e in TAMPERINGS],
    ids=[n for n, _, _ in TAMPERINGS],
)
def test_tampered_table_fails_verify_naming_table_key_and_both_values(
    tmp_path: Path, statements: tuple[str, ...], expected: tuple[str, str, str, object, object]
) -> None:
    db = tmp_path / "t.db"
    _session(db)
    ok, findings, text = _verify(db)
    assert ok, text
    execute_sql(db, *statements)
    ok, findings, text = _verify(db)
    assert not ok, f"verify passed a tampered database:\n{text}"
    table, key, field, journal_value, table_value = expected
    matching = [f for f in findings if (f.table, f.key, f.field) == (table, key, field)]
    assert [(f.journal, f.table_value) for f in matching] == [(journal_value, table_value)], text
    assert matching[0].describe() in text


def test_doubled_initial_capital_column_is_refused_by_verify(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    _session(db)
    execute_sql(db, "UPDATE sessions SET initial_capital = initial_capital * 2")
    ok, findings, text = _verify(db)
    assert not ok
    assert [(f.table, f.field, f.journal, f.table_value) for f in findings] == [
        ("sessions", "initial_capital", 1_000_000_000, 2_000_000_000)
    ]
    assert "FAILED: 1 difference(s)" in text


def test_journal_rows_renumbered_fail_verify_on_the_hash_chain(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    _session(db)
    # Swap rows 3 and 4 (the two buy fills): the sequence stays 1..N without a hole.
    execute_sql(
        db,
        f"UPDATE journal SET seq = 100 WHERE session_id = '{SID}' AND seq = 3",
        f"UPDATE journal SET seq = 3 WHERE session_id = '{SID}' AND seq = 4",
        f"UPDATE journal SET seq = 4 WHERE session_id = '{SID}' AND seq = 100",
    )
    ok, findings, text = _verify(db)
    assert not ok, text
    chain = [f for f in findings if f.table == "journal" and f.field == "hash"]
    assert [f.key for f in chain] == ["seq 3", "seq 4", "seq 5"]
    with PersistenceLayer(db, readonly=True) as reader:
        [(stored,)] = (
            reader.transaction(write=False)
            .__enter__()
            .execute(f"SELECT hash FROM journal WHERE session_id = '{SID}' AND seq = 3")
            .fetchall()
        )
    assert chain[0].table_value == stored.hex()
    assert chain[0].journal != chain[0].table_value


def test_journal_payload_rewritten_fails_verify_on_the_hash_chain(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    _session(db)
    # A decodable, consistent rewrite of a fill price, in the journal and its caches alike.
    execute_sql(
        db,
        f"UPDATE journal SET payload = replace(payload, '390000', '290000') "
        f"WHERE session_id = '{SID}' AND seq = 3",
    )
    ok, findings, text = _verify(db)
    assert not ok, text
    assert ("journal", "seq 3", "hash") in [(f.table, f.key, f.field) for f in findings]


def test_overwritten_host_plans_pages_fail_verify_on_integrity_check(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    _session(db)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("CREATE TABLE host_plans (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        conn.execute("CREATE INDEX idx_host_plans_body ON host_plans(body)")
        conn.executemany(
            "INSERT INTO host_plans (body) VALUES (?)", [(f"plan {i} " * 40,) for i in range(300)]
        )
    [(root,)] = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'host_plans'")
    [(page_size,)] = conn.execute("PRAGMA page_size")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    ok, _, text = _verify(db)
    assert ok, text
    with open(db, "r+b") as f:
        f.seek((root - 1) * page_size + 8)
        f.write(b"\xa5" * 200)
    ok, findings, text = _verify(db)
    assert not ok, text
    [finding] = [f for f in findings if f.table == "database"]
    assert (finding.key, finding.journal) == ("integrity_check", "ok")
    assert finding.table_value != "ok"


@pytest.mark.parametrize(
    "drop",
    [
        lambda db: execute_sql(
            db, f"DELETE FROM fills WHERE fill_id = 'f2' AND session_id = '{SID}'"
        ),
        lambda db: execute_sql(db, "DELETE FROM orders WHERE local_id = 's1'"),
        lambda db: execute_sql(db, "DELETE FROM mint_events WHERE operation = 'MERGE'"),
    ],
    ids=["fill", "order", "merge"],
)
def test_a_missing_cache_row_fails_verify(tmp_path: Path, drop: Callable[[Path], None]) -> None:
    db = tmp_path / "t.db"
    _session(db)
    drop(db)
    ok, findings, _text = _verify(db)
    assert not ok
    assert [f.field for f in findings] == ["row"]
    assert findings[0].table_value is None
    assert findings[0].journal == "present"
