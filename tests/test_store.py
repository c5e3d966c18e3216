"""The store's contract, run against each backend (a SQLite WAL file, a PostgreSQL schema).

Ports the seed plan's persistence tests (Tasks 3-6 and 11) and exercises every CHECK, UNIQUE and
foreign key of the schema through the store's own operations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support import execute_sql
from weatherman_inventory.errors import (
    DuplicateFill,
    InvalidInput,
    SchemaVersionError,
    SessionExists,
    SessionNotFound,
    StoreError,
)
from weatherman_inventory.journal import _UPSERT_ORDER
from weatherman_inventory.store import _INSERT_FILL, SCHEMA_VERSION, PersistenceLayer
from weatherman_inventory.store.backend import Write
from weatherman_inventory.store.schema import postgres_ddl, statements

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def store(store_target: str) -> Iterator[PersistenceLayer]:
    layer = PersistenceLayer(store_target, mode="paper")
    yield layer
    layer.close()


@pytest.fixture
def session(store: PersistenceLayer) -> PersistenceLayer:
    store.insert_session("sess-1", "paper", "strat-v1", "{}", NOW)
    return store


_TABLES = ("sessions", "markets", "fills", "positions", "orders", "mint_events", "journal")


def _tables(store: PersistenceLayer) -> set[str]:
    return {t for t in (*_TABLES, "resolutions", "writers") if store.has_table(t)}


def _script(target: str, script: str) -> None:
    """Run a SQLite DDL script on the database, in the backend's own spelling."""
    pg = target.startswith("postgresql://")
    execute_sql(target, *statements(postgres_ddl(script) if pg else script))


def _buy(store: PersistenceLayer, local_id: str = "ord-1", **over: Any) -> None:
    args: dict[str, Any] = {
        "local_id": local_id,
        "session_id": "sess-1",
        "market_id": "mkt-1",
        "token_id": "tok-1",
        "side": "buy",
        "qty": 100,
        "limit_px": 65,
        "tif": "GTC",
        "group_id": None,
        "reserved_usd": 65_000_000,
        "reserved_qty": 0,
        "submitted_at": NOW,
    }
    args.update(over)
    store.insert_order(**args)


def _fill(store: PersistenceLayer, fill_id: str, qty: int, **over: Any) -> None:
    args: dict[str, Any] = {
        "fill_id": fill_id,
        "order_id": "ord-1",
        "session_id": "sess-1",
        "fill_market_id": "mkt-1",
        "fill_token_id": "tok-1",
        "fill_side": "buy",
        "fill_qty": qty,
        "fill_price": 650_000,
        "fill_fee": 50,
        "fill_timestamp": NOW,
        "pos_market_id": "mkt-1",
        "pos_token_id": "tok-1",
        "pos_session_id": "sess-1",
        "pos_side": "buy",
        "pos_qty": qty,
        "pos_avg_price": 650_000,
        "pos_realized_pnl": 0,
        "pos_unrealized_pnl": 0,
        "pos_updated_at": NOW,
    }
    args.update(over)
    store.insert_fill_and_position(**args)


# -- Task 3: schema ----------------------------------------------------------------------


def test_initialize_creates_all_tables(store: PersistenceLayer) -> None:
    assert _tables(store) == {*_TABLES, "resolutions", "writers"}
    assert store.schema_version() == SCHEMA_VERSION


def test_initialize_is_idempotent(session: PersistenceLayer) -> None:
    _buy(session)
    session.initialize()
    session.initialize()
    assert [o.local_id for o in session.load_inflight_orders("sess-1")] == ["ord-1"]


@pytest.mark.parametrize("mode", ["live", "paper"])
def test_each_mode_commits_as_durably_as_it_promises(store_target: str, mode: Any) -> None:
    """Live: every commit on disk before it returns; paper: safe from a crash of this process
    (SQLite WAL `synchronous` FULL/NORMAL; PostgreSQL `synchronous_commit` on/off)."""
    with PersistenceLayer(store_target, mode=mode) as store:
        if store.dialect == "sqlite":
            assert store.pragma("journal_mode") == "wal"
            assert store.pragma("synchronous") == (2 if mode == "live" else 1)
            assert store.pragma("foreign_keys") == 1
        else:
            with store.transaction(write=False) as conn:
                setting = conn.execute("SHOW synchronous_commit").fetchone()[0]
                fsync = conn.execute("SHOW fsync").fetchone()[0]
            assert (setting, fsync) == ("on" if mode == "live" else "off", "on")


def test_unknown_mode_is_refused(store_target: str) -> None:
    with pytest.raises(InvalidInput) as info:
        PersistenceLayer(store_target, mode="fast")  # type: ignore[arg-type]
    assert info.value.field == "mode"


Step = Callable[[PersistenceLayer], object]


def _mint(tx_hash: str | None, op: str = "MINT", amount: int = 5, sess: str = "sess-1") -> Step:
    return lambda s: s.insert_mint_event(tx_hash, sess, "cond-1", op, amount, NOW)


# Each row: steps that succeed, then the one write that a CHECK, UNIQUE or foreign key refuses.
CONSTRAINT_CASES: list[tuple[str, list[Step], Step]] = [
    ("orders.local_id UNIQUE", [_buy], _buy),
    ("orders.side", [], lambda s: _buy(s, side="hold")),
    ("orders.qty > 0", [], lambda s: _buy(s, qty=0)),
    ("orders.limit_px > 0", [], lambda s: _buy(s, limit_px=0)),
    ("orders.limit_px <= 1000000", [], lambda s: _buy(s, limit_px=1_000_001)),
    ("orders: a buy needs a limit", [], lambda s: _buy(s, limit_px=None)),
    ("orders.tif", [], lambda s: _buy(s, tif="IOC")),
    ("orders.status", [_buy], lambda s: s.update_order_status("ord-1", "LOST", NOW)),
    ("orders.filled_qty >= 0", [_buy], lambda s: s.update_order_fill("ord-1", -1, "FILLED", NOW)),
    ("orders.reserved_usd >= 0", [], lambda s: _buy(s, reserved_usd=-1)),
    ("orders.reserved_qty >= 0", [], lambda s: _buy(s, reserved_qty=-1)),
    ("orders.session_id FK", [], lambda s: _buy(s, session_id="nobody")),
    (
        "orders.exchange_order_id UNIQUE",
        [
            lambda s: _buy(s, "a"),
            lambda s: _buy(s, "b"),
            lambda s: s.update_order_exchange_id("a", "x"),
        ],
        lambda s: s.update_order_exchange_id("b", "x"),
    ),
    ("mint_events.operation", [], _mint(None, "BURN")),
    ("mint_events.amount > 0", [], _mint(None, amount=0)),
    (
        "mint_events.status",
        [_mint("0xa")],
        lambda s: s.update_mint_event_status("0xa", "DONE", 0, NOW),
    ),
    (
        "mint_events.gas_cost >= 0",
        [_mint("0xa")],
        lambda s: s.update_mint_event_status("0xa", "CONFIRMED", -1, NOW),
    ),
    ("mint_events.tx_hash UNIQUE", [_mint("0xa")], _mint("0xa", "MERGE")),
    ("mint_events.session_id FK", [], _mint(None, sess="nobody")),
    ("fills.qty > 0", [], lambda s: _fill(s, "f", 0)),
    ("fills.price <= 1_000_000 micro", [], lambda s: _fill(s, "f", 1, fill_price=1_000_001)),
    ("fills.fee >= 0", [], lambda s: _fill(s, "f", 1, fill_fee=-1)),
    ("fills.side", [], lambda s: _fill(s, "f", 1, fill_side="hold")),
    ("positions.qty >= 0", [], lambda s: _fill(s, "f", 1, pos_qty=-1)),
    ("positions.cost_basis >= 0", [], lambda s: _fill(s, "f", 1, pos_cost_basis=-1)),
    ("positions.outcome", [], lambda s: _fill(s, "f", 1, pos_outcome="MAYBE")),
    ("a value beyond 64 bits", [], lambda s: _buy(s, qty=2**64)),
]


@pytest.mark.parametrize(
    ("setup", "write"),
    [(c[1], c[2]) for c in CONSTRAINT_CASES],
    ids=[c[0] for c in CONSTRAINT_CASES],
)
def test_constraint_refuses_the_write(
    session: PersistenceLayer, setup: list[Step], write: Step
) -> None:
    for step in setup:
        step(session)
    before = (
        session.load_orders("sess-1"),
        session.load_mint_events("sess-1"),
        session.load_fills("sess-1"),
        session.load_positions("sess-1"),
    )
    with pytest.raises(StoreError) as info:
        write(session)
    assert not isinstance(info.value, DuplicateFill)
    after = (
        session.load_orders("sess-1"),
        session.load_mint_events("sess-1"),
        session.load_fills("sess-1"),
        session.load_positions("sess-1"),
    )
    assert after == before


def test_sell_may_have_no_limit(session: PersistenceLayer) -> None:
    _buy(session, "s-1", side="sell", limit_px=None, reserved_usd=0, reserved_qty=50)
    [row] = session.load_inflight_orders("sess-1")
    assert (row.side, row.limit_px, row.reserved_qty) == ("sell", None, 50)


def test_mint_event_with_and_without_tx_hash(session: PersistenceLayer) -> None:
    first = session.insert_mint_event(None, "sess-1", "cond-1", "MINT", 50_000, NOW)
    second = session.insert_mint_event("0xabc", "sess-1", "cond-1", "MERGE", 25_000, NOW)
    assert first > 0
    assert second > first
    rows = session.load_pending_mints("sess-1")
    assert [(r.tx_hash, r.operation, r.amount) for r in rows] == [
        (None, "MINT", 50_000),
        ("0xabc", "MERGE", 25_000),
    ]


# -- Task 4: orders ----------------------------------------------------------------------


def test_insert_order(session: PersistenceLayer) -> None:
    _buy(session)
    row = session.load_order("ord-1")
    assert row is not None
    assert (row.status, row.qty, row.reserved_usd, row.limit_px, row.tif) == (
        "SUBMITTED",
        100,
        65_000_000,
        65,
        "GTC",
    )
    assert row.exchange_order_id is None
    assert row.submitted_at == NOW.isoformat()


def test_update_order_exchange_id(session: PersistenceLayer) -> None:
    _buy(session)
    session.update_order_exchange_id("ord-1", "exch-abc")
    row = session.load_order("ord-1")
    assert row is not None
    assert row.exchange_order_id == "exch-abc"


def test_update_order_fill(session: PersistenceLayer) -> None:
    _buy(session)
    session.update_order_fill("ord-1", 50, "PARTIALLY_FILLED", NOW)
    row = session.load_order("ord-1")
    assert row is not None
    assert (row.filled_qty, row.status) == (50, "PARTIALLY_FILLED")
    session.update_order_fill("ord-1", 100, "FILLED", NOW)
    row = session.load_order("ord-1")
    assert row is not None
    assert (row.filled_qty, row.status) == (100, "FILLED")


def test_update_order_status(session: PersistenceLayer) -> None:
    _buy(session)
    session.update_order_status("ord-1", "CANCELLED", NOW)
    row = session.load_order("ord-1")
    assert row is not None
    assert row.status == "CANCELLED"


def test_load_inflight_orders(session: PersistenceLayer) -> None:
    _buy(session, "o1")
    _buy(
        session, "o2", side="sell", qty=50, limit_px=70, tif="FOK", reserved_usd=0, reserved_qty=50
    )
    _buy(session, "o3", qty=200, limit_px=60, reserved_usd=120_000_000)
    _buy(session, "o4")
    session.update_order_status("o3", "FILLED", NOW)
    session.update_order_fill("o4", 10, "PARTIALLY_FILLED", NOW)
    assert sorted(o.local_id for o in session.load_inflight_orders("sess-1")) == ["o1", "o2", "o4"]


# -- Task 5: mint events -----------------------------------------------------------------


def test_insert_mint_event(session: PersistenceLayer) -> None:
    session.insert_mint_event("0xabc", "sess-1", "cond-1", "MINT", 50_000, NOW)
    [row] = session.load_mint_events("sess-1")
    assert (row.status, row.amount, row.gas_cost, row.confirmed_at) == ("PENDING", 50_000, 0, None)


def test_update_mint_event_status(session: PersistenceLayer) -> None:
    session.insert_mint_event("0xabc", "sess-1", "cond-1", "MINT", 50_000, NOW)
    session.update_mint_event_status("0xabc", "CONFIRMED", 1_500_000, NOW)
    [row] = session.load_mint_events("sess-1")
    assert (row.status, row.gas_cost, row.confirmed_at) == ("CONFIRMED", 1_500_000, NOW.isoformat())


def test_load_pending_mints(session: PersistenceLayer) -> None:
    session.insert_mint_event("0xabc", "sess-1", "cond-1", "MINT", 50_000, NOW)
    session.insert_mint_event("0xdef", "sess-1", "cond-1", "MERGE", 25_000, NOW)
    session.insert_mint_event("0x123", "sess-1", "cond-2", "MINT", 30_000, NOW)
    session.update_mint_event_status("0x123", "CONFIRMED", 0, NOW)
    assert [r.tx_hash for r in session.load_pending_mints("sess-1")] == ["0xabc", "0xdef"]


# -- Task 6: fill and position in one transaction ----------------------------------------


def test_insert_fill_and_position_atomic(session: PersistenceLayer) -> None:
    _fill(session, "fill-1", 100, pos_outcome="YES")
    [fill] = session.load_fills("sess-1")
    assert (fill.fill_id, fill.qty, fill.price, fill.fee) == ("fill-1", 100, 650_000, 50)
    [pos] = session.load_positions("sess-1")
    assert (pos.qty, pos.avg_price, pos.cost_basis, pos.outcome) == (
        100,
        650_000,
        65_000_000,
        "YES",
    )


def test_duplicate_fill_fails_and_writes_nothing(session: PersistenceLayer) -> None:
    _fill(session, "fill-1", 100)
    with pytest.raises(DuplicateFill) as info:
        _fill(session, "fill-1", 100, pos_qty=200, pos_avg_price=660_000)
    assert info.value.fill_id == "fill-1"
    assert len(session.load_fills("sess-1")) == 1
    [pos] = session.load_positions("sess-1")
    assert (pos.qty, pos.avg_price) == (100, 650_000)


def test_failed_position_write_rolls_back_the_fill(session: PersistenceLayer) -> None:
    with pytest.raises(StoreError):
        _fill(session, "fill-1", 100, pos_session_id="nobody")
    assert session.load_fills("sess-1") == []


# -- a commit's statements: all or nothing -----------------------------------------------------


def _fill_row(fill_id: str, qty: object = 100) -> tuple[object, ...]:
    return (fill_id, "ord-1", "sess-1", "mkt-1", "tok-1", "buy", qty, 650_000, 0, NOW.isoformat())


def _order_row(session_id: str) -> tuple[object, ...]:
    return (
        "ord-1", session_id, "mkt-1", "tok-1", "buy", 100, 650_000, "GTC", "SUBMITTED", 0,
        65_000_000, 0, NOW.isoformat(), NOW.isoformat(),
    )  # fmt: skip


_FILL_1 = (_INSERT_FILL, _fill_row("fill-1"), None)


@pytest.mark.parametrize(
    ("writes", "refusal"),
    [
        ([_FILL_1, (_INSERT_FILL, _fill_row("fill-2", 2**63), None)], StoreError),  # > 64 bits
        ([_FILL_1, (_INSERT_FILL, _fill_row("fill-2", [100]), None)], StoreError),  # no such type
        ([_FILL_1, (_INSERT_FILL, _fill_row("fill-2")[:-1], None)], StoreError),  # one short
        ([_FILL_1, (_UPSERT_ORDER, _order_row("sess-2"), "ord-1")], InvalidInput),  # not ours
        ([(_UPSERT_ORDER, _order_row("sess-1"), "ord-1"), _FILL_1], DuplicateFill),  # booked
    ],
    ids=["overflow", "type", "count", "foreign-order", "duplicate-fill"],
)
def test_a_commit_that_one_statement_refuses_writes_none_of_them(
    session: PersistenceLayer, writes: list[Write], refusal: type[Exception]
) -> None:
    """`PersistenceLayer.write`, the journal's commit: every statement or none."""
    session.insert_session("sess-2", "paper", "strat-v1", "{}", NOW)
    _buy(session, reserved_usd=1)
    if refusal is DuplicateFill:
        session.write([_FILL_1], "fill-1")
    before = (session.load_fills("sess-1"), session.load_orders("sess-1"))
    with pytest.raises(refusal) as info:
        session.write(writes, "fill-1")
    if isinstance(info.value, DuplicateFill):
        assert info.value.fill_id == "fill-1"
    if isinstance(info.value, InvalidInput):
        assert (info.value.field, info.value.value) == ("local_id", "ord-1")
    assert (session.load_fills("sess-1"), session.load_orders("sess-1")) == before
    session.write([(_INSERT_FILL, _fill_row("fill-3"), None)], "fill-3")  # the store goes on
    assert session.load_fills("sess-1")[-1].fill_id == "fill-3"


# -- Task 11: positions ------------------------------------------------------------------


def test_load_positions(session: PersistenceLayer) -> None:
    session.upsert_position("mkt-1", "tok-1", "sess-1", "buy", 100, 6500, 300, 0, NOW)
    session.upsert_position("mkt-1", "tok-2", "sess-1", "buy", 50, 4000, 0, 100, NOW, outcome="NO")
    positions = session.load_positions("sess-1")
    assert [(p.token_id, p.qty, p.cost_basis, p.realized_pnl, p.outcome) for p in positions] == [
        ("tok-1", 100, 650_000, 300, None),
        ("tok-2", 50, 200_000, 0, "NO"),
    ]
    session.upsert_position("mkt-1", "tok-1", "sess-1", "buy", 0, 0, 900, 0, NOW, cost_basis=0)
    assert session.load_positions("sess-1")[0].qty == 0


# -- sessions and markets ----------------------------------------------------------------


def test_session_round_trip(store: PersistenceLayer) -> None:
    store.insert_session("s", "live", "strat", '{"a":1}', NOW, initial_capital=1_000_000_000)
    row = store.load_session("s")
    assert (row.mode, row.initial_capital, row.exit_triggered) == ("live", 1_000_000_000, False)
    with pytest.raises(SessionExists):
        store.insert_session("s", "live", "strat", "{}", NOW)
    with pytest.raises(SessionNotFound):
        store.load_session("other")
    with pytest.raises(StoreError):
        store.insert_session("t", "demo", "strat", "{}", NOW)


def test_market_registration(store: PersistenceLayer) -> None:
    store.insert_market("m1", "c1", "y1", "n1", "Will it rain?")
    store.insert_market("m1", "c1", "y1", "n1", "Will it rain?")
    [row] = store.load_markets()
    assert (row.condition_id, row.yes_token_id, row.no_token_id) == ("c1", "y1", "n1")
    with pytest.raises(StoreError, match="registered as condition"):
        store.insert_market("m1", "c1", "n1", "y1")
    with pytest.raises(InvalidInput) as info:
        store.insert_market("m2", "c2", "t", "t")
    assert info.value.field == "no_token_id"
    with pytest.raises(InvalidInput):
        store.insert_market("m2", "", "y", "n")


# -- upgrade and versions ----------------------------------------------------------------

SEED_HOST_DDL = """
CREATE TABLE sessions (id TEXT PRIMARY KEY, mode TEXT NOT NULL, strategy_id TEXT NOT NULL,
    config_json TEXT NOT NULL, started_at TEXT NOT NULL);
CREATE TABLE markets (market_id TEXT PRIMARY KEY, condition_id TEXT NOT NULL,
    question TEXT NOT NULL DEFAULT '');
CREATE TABLE fills (id INTEGER PRIMARY KEY, fill_id TEXT NOT NULL UNIQUE, order_id TEXT NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions(id), market_id TEXT NOT NULL,
    token_id TEXT NOT NULL, side TEXT NOT NULL, qty INTEGER NOT NULL, price INTEGER NOT NULL,
    fee INTEGER NOT NULL DEFAULT 0, timestamp TEXT NOT NULL);
CREATE TABLE positions (market_id TEXT NOT NULL, token_id TEXT NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions(id), side TEXT NOT NULL, qty INTEGER NOT NULL,
    avg_price INTEGER NOT NULL, realized_pnl INTEGER NOT NULL, unrealized_pnl INTEGER NOT NULL,
    updated_at TEXT NOT NULL, PRIMARY KEY (market_id, token_id, session_id));
INSERT INTO sessions VALUES ('old', 'paper', 'strat', '{}', '2025-12-01T00:00:00+00:00');
INSERT INTO markets VALUES ('m1', 'c1', 'Rain?');
INSERT INTO positions VALUES ('m1', 't1', 'old', 'buy', 10, 500000, 0, 0, '2025-12-01');
"""


def test_initialize_upgrades_a_seed_host_database(store_target: str) -> None:
    path = store_target
    _script(path, SEED_HOST_DDL)
    with PersistenceLayer(path) as store:
        assert {"orders", "mint_events", "journal"} <= _tables(store)
        assert store.schema_version() == SCHEMA_VERSION
        old = store.load_session("old")
        assert (old.initial_capital, old.exit_triggered) == (0, False)
        [pos] = store.load_positions("old")
        assert (pos.qty, pos.cost_basis, pos.outcome) == (
            10_000_000,
            0,
            None,
        )  # scaled to micro-shares
        store.insert_market("m1", "c1", "y1", "n1")
        assert store.load_markets()[0].yes_token_id == "y1"
        store.insert_session("new", "paper", "strat", "{}", NOW)
        _buy(store, session_id="new")
    with PersistenceLayer(path) as again:
        assert again.load_order("ord-1") is not None


def test_initialize_relaxes_a_seed_orders_table(store_target: str) -> None:
    path = store_target
    _script(
        path,
        SEED_HOST_DDL
        + """
            CREATE TABLE orders (local_id TEXT PRIMARY KEY, exchange_order_id TEXT UNIQUE,
              session_id TEXT NOT NULL REFERENCES sessions(id), market_id TEXT NOT NULL,
              token_id TEXT NOT NULL, side TEXT NOT NULL CHECK(side IN ('buy', 'sell')),
              qty INTEGER NOT NULL CHECK(qty > 0),
              limit_px INTEGER NOT NULL CHECK(limit_px > 0 AND limit_px <= 100),
              tif TEXT NOT NULL, group_id TEXT, status TEXT NOT NULL DEFAULT 'SUBMITTED',
              filled_qty INTEGER NOT NULL DEFAULT 0, reserved_usd INTEGER NOT NULL DEFAULT 0,
              reserved_qty INTEGER NOT NULL DEFAULT 0, submitted_at TEXT NOT NULL,
              updated_at TEXT NOT NULL);
            INSERT INTO orders (local_id, session_id, market_id, token_id, side, qty, limit_px,
              tif, submitted_at, updated_at)
              VALUES ('kept', 'old', 'm1', 't1', 'buy', 5, 40, 'GTC', 'x', 'x');
            """,
    )
    with PersistenceLayer(path) as store:
        kept = store.load_order("kept")
        assert kept is not None
        assert (kept.qty, kept.limit_px) == (
            5_000_000,
            400_000,
        )  # micro-shares, micro-USDC per share
        _buy(store, "s1", session_id="old", side="sell", limit_px=None, reserved_usd=0)
        assert store.load_order("s1") is not None
        assert store.integrity_check() == "ok"


def test_a_newer_database_is_refused(store_target: str) -> None:
    path = store_target
    PersistenceLayer(path).close()
    if path.startswith("postgresql://"):
        execute_sql(path, f"UPDATE schema_version SET version = {SCHEMA_VERSION + 1}")
    else:
        execute_sql(path, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaVersionError, match="newer than this package"):
        PersistenceLayer(path)
    with pytest.raises(SchemaVersionError):
        PersistenceLayer(path, readonly=True)


def test_readonly_store_reads_and_refuses_writes(store_target: str) -> None:
    path = store_target
    with PersistenceLayer(path) as writer:
        writer.insert_session("s", "paper", "strat", "{}", NOW)
    with PersistenceLayer(path, readonly=True) as reader:
        assert reader.load_session("s").id == "s"
        with pytest.raises(StoreError):
            reader.insert_session("t", "paper", "strat", "{}", NOW)


def test_readonly_store_refuses_an_old_database(store_target: str) -> None:
    path = store_target
    _script(path, SEED_HOST_DDL)
    with pytest.raises(StoreError, match="older than"):
        PersistenceLayer(path, readonly=True)
