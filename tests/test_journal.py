"""A manager bound to a store: every accepted event and its consequences, in one transaction.

Runs on both backends (in memory and a WAL file) with the real InventoryManager.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from weatherman_inventory.errors import InvalidInput, SessionExists, SessionLocked, StoreError
from weatherman_inventory.journal import open_session
from weatherman_inventory.manager import AnomalyKind, InventoryManager
from weatherman_inventory.store import PersistenceLayer

SID = "sess-1"
MARKET = ("mkt-1", "cond-1", "tok-yes", "tok-no")


@pytest.fixture
def store(store_target: str) -> Iterator[PersistenceLayer]:
    layer = PersistenceLayer(store_target, mode="live")
    yield layer
    layer.close()


@pytest.fixture
def manager(store: PersistenceLayer) -> InventoryManager:
    return open_session(InventoryManager, store, SID, "1000", markets=[MARKET])


def _rows(store: PersistenceLayer, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with store.transaction(write=False) as conn:
        return [tuple(r) for r in conn.execute(sql, params).fetchall()]


def _SHARES(column: str) -> str:  # noqa: N802
    return f"CASE WHEN {column} % 1000000 = 0 THEN {column} / 1000000 ELSE {column} / 1e6 END"


_CENTS = "CASE WHEN limit_px IS NULL THEN NULL ELSE limit_px / 10000 END"


def _db_state(store: PersistenceLayer) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a commit can write, without timestamps.

    Quantity columns hold micro-shares and limits micro-USDC per share: they are read back in
    shares and cents here (exactly, for the whole values these tests use; a fractional one
    would show as a float)."""
    return {
        "journal": _rows(store, "SELECT seq, kind, payload, duplicate FROM journal ORDER BY seq"),
        "orders": _rows(
            store,
            "SELECT local_id, side, "
            + _SHARES("qty")
            + ", "
            + _CENTS
            + ", tif, status, "
            + _SHARES("filled_qty")
            + ", reserved_usd, "
            + _SHARES("reserved_qty")
            + " FROM orders ORDER BY local_id",
        ),
        "fills": _rows(
            store, f"SELECT fill_id, order_id, side, {_SHARES('qty')}, price, fee FROM fills"
        ),
        "positions": _rows(
            store,
            f"SELECT token_id, {_SHARES('qty')}, avg_price, realized_pnl, cost_basis, outcome "
            "FROM positions ORDER BY token_id",
        ),
        "mints": _rows(
            store, "SELECT condition_id, operation, amount, status FROM mint_events ORDER BY id"
        ),
        "sessions": _rows(store, "SELECT id, initial_capital, exit_triggered FROM sessions"),
    }


def test_open_session_records_the_session_and_markets(
    store: PersistenceLayer, manager: InventoryManager
) -> None:
    session = store.load_session(SID)
    assert (session.mode, session.initial_capital, session.exit_triggered) == (
        "live",
        1_000_000_000,
        False,
    )
    [market] = store.load_markets()
    assert (market.yes_token_id, market.no_token_id) == ("tok-yes", "tok-no")
    # The manager holds the session: a second claim through the same store is refused as
    # locked, and the holder keeps its lock.
    with pytest.raises(SessionLocked):
        open_session(InventoryManager, store, SID, 5)
    assert store.holds_session(SID)
    # Released, the session is known: SessionExists, and the lock is given back.
    store.unlock_session(SID)
    with pytest.raises(SessionExists):
        open_session(InventoryManager, store, SID, 5)
    assert not store.holds_session(SID)
    with pytest.raises(InvalidInput):
        open_session(InventoryManager, store, "", 5)


def test_buy_lifecycle_partial_fills_are_never_filled_early(
    store: PersistenceLayer, manager: InventoryManager
) -> None:
    manager.on_order_submitted_buy("b1", "mkt-1", "tok-yes", "YES", 100, 65)
    assert _db_state(store)["orders"] == [
        ("b1", "buy", 100, 65, "GTC", "SUBMITTED", 0, 65_000_000, 0)
    ]
    manager.on_fill_buy("b1", "tok-yes", "mkt-1", "YES", 40, "0.6", 100, fill_id="f1")
    state = _db_state(store)
    assert state["orders"] == [("b1", "buy", 100, 65, "GTC", "PARTIALLY_FILLED", 40, 39_000_000, 0)]
    assert state["fills"] == [("f1", "b1", "buy", 40, 600_000, 0)]
    assert state["positions"] == [("tok-yes", 40, 600_000, 0, 24_000_000, "YES")]
    manager.on_fill_buy("b1", "tok-yes", "mkt-1", "YES", 60, "0.651", 100, fee_usd="0.25")
    state = _db_state(store)
    assert state["orders"] == [("b1", "buy", 100, 65, "GTC", "FILLED", 100, 0, 0)]
    assert state["fills"][1][1:] == ("b1", "buy", 60, 651_000, 250_000)
    # A fill without an id is named for its journal row (row 1 opens the session).
    assert state["fills"][1][0] == f"synthetic:{SID}:4"
    # cost 24 + 39.06 = 63.06 dollars; avg_price is cost // qty, for display only.
    assert state["positions"] == [("tok-yes", 100, 630_600, -250_000, 63_060_000, "YES")]
    assert [r[1] for r in state["journal"]] == [
        "session_opened",
        "buy_submitted",
        "buy_filled",
        "buy_filled",
    ]


def test_cancel_releases_the_rest_of_the_reservation(
    store: PersistenceLayer, manager: InventoryManager
) -> None:
    manager.on_order_submitted_buy("b1", "mkt-1", "tok-yes", "YES", 10, 50, tif="FOK")
    manager.on_fill_buy("b1", "tok-yes", "mkt-1", "YES", 4, "0.5", 10, fill_id="f1")
    manager.on_order_cancelled_buy("b1", 6, 50)
    assert _db_state(store)["orders"] == [("b1", "buy", 10, 50, "FOK", "CANCELLED", 4, 0, 0)]


def test_sell_without_limit_and_its_fill(
    store: PersistenceLayer, manager: InventoryManager
) -> None:
    manager.on_order_submitted_buy("b1", "mkt-1", "tok-no", "NO", 10, 40)
    manager.on_fill_buy("b1", "tok-no", "mkt-1", "NO", 10, "0.4", 10, fill_id="f1")
    manager.on_order_submitted_sell("s1", "tok-no", 4)
    assert _db_state(store)["orders"][1] == ("s1", "sell", 4, None, "GTC", "SUBMITTED", 0, 0, 4)
    manager.on_fill_sell("s1", "tok-no", 4, "0.5", 4, fill_id="f2")
    state = _db_state(store)
    assert state["orders"][1] == ("s1", "sell", 4, None, "GTC", "FILLED", 4, 0, 0)
    assert state["fills"][1] == ("f2", "s1", "sell", 4, 500_000, 0)
    # 4 sold at 0.50 against a 0.40 basis: 0.40 realised; 6 left at a 2.40 cost.
    assert state["positions"] == [("tok-no", 6, 400_000, 400_000, 2_400_000, "NO")]
    [fill] = [f for f in store.load_fills(SID) if f.side == "sell"]
    assert fill.market_id == "mkt-1"


def test_mint_and_merge_rows_resolve_oldest_first(
    store: PersistenceLayer, manager: InventoryManager
) -> None:
    manager.on_mint_submitted("cond-1", 30)
    manager.on_mint_submitted("cond-1", 20)
    manager.on_mint_confirmed("cond-1", 30, "tok-yes", "tok-no", "mkt-1")
    manager.on_mint_failed("cond-1", 20)
    manager.on_merge_submitted("cond-1", 10)
    manager.on_merge_confirmed("cond-1", 10, "tok-yes", "tok-no")
    state = _db_state(store)
    assert state["mints"] == [
        ("cond-1", "MINT", 30_000_000, "CONFIRMED"),
        ("cond-1", "MINT", 20_000_000, "FAILED"),
        ("cond-1", "MERGE", 10_000_000, "CONFIRMED"),
    ]
    assert state["positions"] == [
        ("tok-no", 20, 500_000, 0, 10_000_000, "NO"),
        ("tok-yes", 20, 500_000, 0, 10_000_000, "YES"),
    ]
    assert store.load_pending_mints(SID) == []


def test_exit_is_recorded(store: PersistenceLayer, manager: InventoryManager) -> None:
    manager.trigger_exit()
    assert store.load_session(SID).exit_triggered is True


def test_duplicate_fill_is_journaled_as_refused_and_applied_once(
    store: PersistenceLayer, manager: InventoryManager
) -> None:
    manager.on_order_submitted_buy("b1", "mkt-1", "tok-yes", "YES", 10, 50)
    manager.on_fill_buy("b1", "tok-yes", "mkt-1", "YES", 5, "0.5", 10, fill_id="f1")
    snapshot = manager.snapshot_json()
    manager.on_fill_buy("b1", "tok-yes", "mkt-1", "YES", 5, "0.5", 10, fill_id="f1")
    assert manager.snapshot_json() == snapshot
    assert [a.kind for a in manager.anomalies()] == [AnomalyKind.DUPLICATE_FILL]
    state = _db_state(store)
    assert [f[0] for f in state["fills"]] == ["f1"]
    assert [(r[1], r[3]) for r in state["journal"]] == [
        ("session_opened", 0),
        ("buy_submitted", 0),
        ("buy_filled", 0),
        ("buy_filled", 1),
    ]
    assert state["orders"][0][5:7] == ("PARTIALLY_FILLED", 5)


# Each row: a call the manager must refuse with InvalidInput, before memory or disk change.
BAD_CALLS: list[tuple[str, Callable[[InventoryManager], None]]] = [
    ("qty 0", lambda m: m.on_order_submitted_buy("b9", "mkt-1", "tok-yes", "YES", 0, 50)),
    ("limit 101", lambda m: m.on_order_submitted_buy("b9", "mkt-1", "tok-yes", "YES", 1, 101)),
    (
        "bad tif",
        lambda m: m.on_order_submitted_buy("b9", "mkt-1", "tok-yes", "YES", 1, 5, tif="IOC"),
    ),
    ("bad outcome", lambda m: m.on_order_submitted_buy("b9", "mkt-1", "tok-yes", "MAYBE", 1, 5)),
    ("price > 1", lambda m: m.on_fill_buy("b1", "tok-yes", "mkt-1", "YES", 1, "1.01", 10)),
    ("nan price", lambda m: m.on_fill_buy("b1", "tok-yes", "mkt-1", "YES", 1, float("nan"), 10)),
    ("sub-micro price", lambda m: m.on_fill_sell("s1", "tok-yes", 1, "0.1234567", 1)),
    ("bool qty", lambda m: m.on_fill_sell("s1", "tok-yes", True, "0.5", 1)),
    ("negative fee", lambda m: m.on_fill_sell("s1", "tok-yes", 1, "0.5", 1, fee_usd="-1")),
    ("empty id", lambda m: m.on_order_cancelled_sell("", "tok-yes", 1)),
    ("zero mint", lambda m: m.on_mint_submitted("cond-1", 0)),
    ("same tokens", lambda m: m.on_mint_confirmed("cond-1", 1, "tok-yes", "tok-yes", "mkt-1")),
    ("merge beyond the store", lambda m: m.on_merge_submitted("cond-1", 2**53 - 1)),
]


@pytest.mark.parametrize("call", [c[1] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS])
def test_malformed_input_reaches_neither_memory_nor_disk(
    store: PersistenceLayer, manager: InventoryManager, call: Callable[[InventoryManager], None]
) -> None:
    manager.on_order_submitted_buy("b1", "mkt-1", "tok-yes", "YES", 10, 50)
    manager.on_fill_buy("b1", "tok-yes", "mkt-1", "YES", 5, "0.5", 10, fill_id="f1")
    before = (manager.snapshot_json(), manager.ledger_state(), _db_state(store))
    with pytest.raises(InvalidInput):
        call(manager)
    assert (manager.snapshot_json(), manager.ledger_state(), _db_state(store)) == before


def test_a_zero_dollar_mint_is_refused_by_the_bound_manager_naming_the_argument(
    store: PersistenceLayer, manager: InventoryManager
) -> None:
    before = (manager.snapshot_json(), manager.ledger_state(), _db_state(store))
    with pytest.raises(InvalidInput) as info:
        manager.on_mint_submitted("cond-1", 0)
    assert (info.value.field, info.value.value) == ("amount_usd", 0)
    assert (manager.snapshot_json(), manager.ledger_state(), _db_state(store)) == before


def test_an_order_id_of_another_session_is_refused(
    store: PersistenceLayer, manager: InventoryManager
) -> None:
    manager.on_order_submitted_buy("b1", "mkt-1", "tok-yes", "YES", 10, 50)
    other = open_session(InventoryManager, store, "sess-2", 100)
    before = (other.ledger_state(), _db_state(store))
    with pytest.raises(InvalidInput) as info:
        other.on_order_submitted_buy("b1", "mkt-1", "tok-yes", "YES", 1, 50)
    assert info.value.field == "local_id"
    assert (other.ledger_state(), _db_state(store)) == before


def test_a_failed_write_leaves_memory_untouched(
    store: PersistenceLayer, manager: InventoryManager
) -> None:
    manager.on_order_submitted_buy("b1", "mkt-1", "tok-yes", "YES", 10, 50)
    with store.transaction() as conn:
        if store.dialect == "sqlite":
            conn.execute(
                "CREATE TRIGGER refuse_fills BEFORE INSERT ON fills "
                "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
            )
        else:
            conn.execute(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'disk says no'; END $$"
            )
            conn.execute(
                "CREATE TRIGGER refuse_fills BEFORE INSERT ON fills "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
    before = (manager.snapshot_json(), manager.ledger_state(), _db_state(store))
    with pytest.raises(StoreError, match="disk says no"):
        manager.on_fill_buy("b1", "tok-yes", "mkt-1", "YES", 5, "0.5", 10, fill_id="f1")
    assert (manager.snapshot_json(), manager.ledger_state(), _db_state(store)) == before
    with store.transaction() as conn:
        conn.execute(
            "DROP TRIGGER refuse_fills" + ("" if store.dialect == "sqlite" else " ON fills")
        )
    manager.on_fill_buy("b1", "tok-yes", "mkt-1", "YES", 5, "0.5", 10, fill_id="f1")
    assert [f.fill_id for f in store.load_fills(SID)] == ["f1"]


def _reader(target: str) -> Any:
    """A connection of another client, in autocommit until it says BEGIN."""
    if target.startswith("postgresql://"):
        import psycopg  # noqa: PLC0415

        return psycopg.connect(target, autocommit=True)
    return sqlite3.connect(target, isolation_level=None)


def test_commit_is_one_transaction(store_target: str) -> None:
    """A reader never sees a fill without its journal row, order and position."""
    db = store_target
    with PersistenceLayer(db) as store:
        manager = open_session(InventoryManager, store, SID, 100)
        manager.on_order_submitted_buy("b1", "mkt-1", "tok-yes", "YES", 10, 50)
        reader = _reader(db)
        reader.execute(
            "BEGIN" if store.dialect == "sqlite" else "BEGIN ISOLATION LEVEL REPEATABLE READ"
        )
        # session_opened and buy_submitted
        assert reader.execute("SELECT COUNT(*) FROM journal").fetchone() == (2,)
        manager.on_fill_buy("b1", "tok-yes", "mkt-1", "YES", 5, "0.5", 10, fill_id="f1")
        # The reader's snapshot predates the fill: none of its rows are visible.
        assert reader.execute("SELECT COUNT(*) FROM fills").fetchone() == (0,)
        assert reader.execute("SELECT COUNT(*) FROM positions").fetchone() == (0,)
        reader.execute("COMMIT")
        assert reader.execute("SELECT COUNT(*) FROM journal").fetchone() == (3,)
        assert reader.execute("SELECT COUNT(*) FROM fills").fetchone() == (1,)
        assert reader.execute("SELECT filled_qty FROM orders").fetchone() == (5_000_000,)
        reader.close()
