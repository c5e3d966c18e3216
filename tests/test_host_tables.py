"""The reference host's own tables (`host_tables.py`) on both backends: what the Rust host writes
and reads to resume a session, the same on a SQLite file and a PostgreSQL schema."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest

from weatherman_inventory.errors import InvalidInput
from weatherman_inventory.host_tables import HostTables
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.store import PersistenceLayer
from weatherman_inventory.views.sessions import list_sessions

# The seed u64::MAX as the host stores it: the signed 64-bit integer with the same bits.
SEED_ALL_BITS = -1


def test_opening_creates_no_host_table_and_reads_find_nothing(store_target: str) -> None:
    with HostTables(store_target) as tables:
        assert [tables.has_table(t) for t in ("host_sessions", "host_plans", "host_steps")] == [
            False,
            False,
            False,
        ]
        assert tables.load_session("s") is None
        assert tables.latest_session() is None
        assert tables.plans("s") == []
        assert tables.steps_sent("s") == []
        assert tables.reconciled("s") == []
        assert tables.ledger_session("s") is None
        assert tables.journal_opening_events("s") == 0
        assert not tables.has_table("host_sessions")


def test_sessions_round_trip_and_the_latest_is_the_last_started(store_target: str) -> None:
    with HostTables(store_target) as tables:
        tables.create_tables()
        tables.create_tables()
        tables.insert_session("zz-first", SEED_ALL_BITS, 3, 300, 270, "rust,python", 1000)
        tables.insert_session("aa-second", 7, 1, 40, 36, "all", 5)
        assert tables.latest_session() == "aa-second"
        assert tables.load_session("zz-first") == (
            "zz-first",
            SEED_ALL_BITS,
            3,
            300,
            270,
            "rust,python",
            1000,
        )
        tables.set_ticks("zz-first", 600)
        assert tables.load_session("zz-first") == (
            "zz-first",
            SEED_ALL_BITS,
            3,
            600,
            270,
            "rust,python",
            1000,
        )
        assert tables.load_session("absent") is None
    # Another connection sees the same committed rows.
    with HostTables(store_target) as again:
        assert again.latest_session() == "aa-second"
        assert again.load_session("aa-second") == ("aa-second", 7, 1, 40, 36, "all", 5)


def test_plans_and_steps_come_back_in_tick_and_phase_order(store_target: str) -> None:
    with HostTables(store_target) as tables:
        tables.create_tables()
        tables.insert_session("s", 1, 1, 10, 9, "rust", 100)
        tables.insert_session("other", 1, 1, 10, 9, "rust", 100)
        tables.save_plan("s", 2, 0, '[{"b":2}]')
        tables.save_plan("s", 1, 1, '[{"a":1}]')
        tables.save_plan("s", 1, 0, "[]")
        tables.save_plan("other", 1, 0, '["x"]')
        tables.log_steps("s", 2, 0, 0, [0, 1, 3], 9)
        tables.log_steps("s", 1, 1, 0, [0], 4)
        # A phase applied again from its step 1 (a resumed phase) replaces what it sent from
        # there on, at its new position, and keeps the steps before.
        tables.log_steps("s", 2, 0, 1, [1, 2], 8)
        tables.log_steps("other", 1, 0, 0, [0], 1)
        assert tables.plans("s") == [(1, 0, "[]"), (1, 1, '[{"a":1}]'), (2, 0, '[{"b":2}]')]
        assert tables.steps_sent("s") == [(1, 1, 0, 4), (2, 0, 0, 9), (2, 0, 1, 8), (2, 0, 2, 8)]
        assert tables.plans("other") == [(1, 0, '["x"]')]


def test_reconciled_is_made_on_first_use_and_replaced_per_tick(store_target: str) -> None:
    with HostTables(store_target) as tables:
        tables.create_tables()
        assert not tables.has_table("host_reconciled")
        assert tables.reconciled("s") == []
        tables.save_reconciled("s", 20, "[1]", -250_000)
        tables.save_reconciled("s", 10, "[]", 0)
        tables.save_reconciled("s", 20, "[2]", 125)
        assert tables.has_table("host_reconciled")
        assert tables.reconciled("s") == [(10, "[]", 0), (20, "[2]", 125)]
        assert tables.reconciled("t") == []


@pytest.mark.parametrize(
    ("call", "field", "value"),
    [
        (lambda t: t.insert_session("s", 2**64 - 1, 1, 1, 1, "rust", 1), "seed", 2**64 - 1),
        (lambda t: t.insert_session("s", 1, 0, 1, 1, "rust", 1), "markets", 0),
        (lambda t: t.insert_session("s", 1, 1, -1, 1, "rust", 1), "ticks", -1),
        (lambda t: t.insert_session("", 1, 1, 1, 1, "rust", 1), "session_id", ""),
        (lambda t: t.insert_session("s", 1, 1, 1, 1, "rust", True), "capital_usd", True),
        (lambda t: t.save_plan("s", 1, 2, "[]"), "phase", 2),
        (lambda t: t.save_plan("s", 1, 0, b"[]"), "steps", b"[]"),
        (lambda t: t.log_steps("s", 1, 0, 0, [-1], 0), "idx", -1),
        (lambda t: t.log_steps("s", 1, 0, 0, [0], 2**63), "seq_before", 2**63),
        (lambda t: t.log_steps("s", 1, 0, 0, (0,), 0), "sent", (0,)),
        (lambda t: t.save_reconciled("s", 1, "[]", 1.5), "cash_delta", 1.5),
        (lambda t: t.set_ticks("s", "9"), "ticks", "9"),
    ],
)
def test_malformed_arguments_are_refused_naming_them_and_write_nothing(
    store_target: str, call: Any, field: str, value: object
) -> None:
    with HostTables(store_target) as tables:
        tables.create_tables()
        tables.insert_session("kept", 1, 1, 5, 4, "rust", 1)
        with pytest.raises(InvalidInput) as refused:
            call(tables)
        assert (refused.value.field, refused.value.value) == (field, value)
        assert tables.latest_session() == "kept"
        assert tables.load_session("kept") == ("kept", 1, 1, 5, 4, "rust", 1)
        assert tables.plans("s") == []
        assert tables.steps_sent("s") == []
        assert not tables.has_table("host_reconciled")


def test_ledger_session_and_its_opening_event_are_read_from_the_ledgers_tables(
    store_target: str,
) -> None:
    with PersistenceLayer(store_target) as store:
        InventoryManager.open(
            store, "led", Decimal(250), strategy_id="weatherman-host:rust", config_json="{}"
        )
    with HostTables(store_target) as tables:
        assert tables.ledger_session("led") == ("paper", "weatherman-host:rust")
        assert tables.journal_opening_events("led") == 1
        assert tables.ledger_session("absent") is None
        tables.create_tables()
        tables.insert_session("led", 3, 2, 30, 27, "rust", 250)
        tables.save_plan("led", 1, 1, "[]")
    # The operator's `sessions` view reads the host's row on either backend.
    with PersistenceLayer(store_target, readonly=True) as store:
        (listing,) = list_sessions(store)
    assert listing.session.id == "led"
    assert listing.host is not None
    assert (listing.host.seed, listing.host.ticks, listing.host.ticks_done) == (3, 30, 1)


def test_several_hosts_creating_the_tables_at_once_all_succeed(store_target: str) -> None:
    # PostgreSQL's CREATE TABLE IF NOT EXISTS fails in all but one of several transactions
    # creating the same table at once unless they are serialised.
    opened = [HostTables(store_target) for _ in range(4)]
    start = threading.Barrier(len(opened))
    failures: list[BaseException] = []

    def create(tables: HostTables, n: int) -> None:
        start.wait()
        try:
            tables.create_tables()
            tables.insert_session(f"host-{n}", n, 1, 10, 9, "rust", 10)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=create, args=(t, n)) for n, t in enumerate(opened)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for tables in opened:
        tables.close()
    assert failures == []
    with HostTables(store_target) as tables:
        assert sorted(tables.load_session(f"host-{n}") is not None for n in range(4)) == [True] * 4
