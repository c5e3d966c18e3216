"""`fleet`: the states of a database's sessions (live in another process, stopped, crashed by
SIGKILL, ended, from before writers were recorded), their accounts rows against independent
replays of their journals, the sums per market and per condition, verify and recovery of a
tampered accounts row, the JSON, and a golden terminal table. On SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import orjson
import pytest
from rich.console import Console

from tests import view_session
from tests.event_streams import INITIAL_CAPITAL, MARKETS, make_stream
from tests.support import execute_sql, run_cli
from weatherman_inventory.accounts import Account, load_account, usd_text
from weatherman_inventory.events import MICRO, Event
from weatherman_inventory.journal import open_session, recover_session, replay
from weatherman_inventory.manager import AnomalyKind, InventoryManager
from weatherman_inventory.store import PersistenceLayer
from weatherman_inventory.verify import rebuild_caches, verify_session
from weatherman_inventory.views.commands import run_fleet
from weatherman_inventory.views.fleet import load_fleet

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
CONDITION_OF = {market: cond for market, cond, _yes, _no in MARKETS}
EVENTS = 250


_IDS = ("fill_id", "local_id", "exchange_order_id")


def _stream(session_id: str, seed: int) -> list[Event]:
    """A seeded stream whose fill and order ids are the session's own (the store's ids are
    unique across sessions)."""
    out: list[Event] = []
    for event in make_stream(seed, EVENTS):
        own = {
            name: f"{session_id}:{value}"
            for name in _IDS
            if isinstance(value := getattr(event, name, None), str)
        }
        out.append(dataclasses.replace(event, **own) if own else event)  # type: ignore[arg-type]
    return out


def _trade(store: PersistenceLayer, session_id: str, seed: int) -> InventoryManager:
    manager = open_session(InventoryManager, store, session_id, INITIAL_CAPITAL, markets=MARKETS)
    for event in _stream(session_id, seed):
        manager.apply(event)
    return manager


def child_main() -> None:
    """A writer in its own process: trade a session, say `ready`, hold it until stdin closes."""
    target, session_id, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with PersistenceLayer(target) as store:
        _trade(store, session_id, seed)
        print("ready", flush=True)
        sys.stdin.read()


_CHILD = (
    f"import sys; sys.path.insert(0, {str(ROOT)!r}); import tests.test_fleet as t; t.child_main()"
)


def _writer(target: str, session_id: str, seed: int) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, target, session_id, str(seed)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line == "ready\n", f"the writer of {session_id} did not start: {line!r}"
    return child


def _wait_not_live(target: str, session_id: str) -> None:
    """A killed writer's lock goes with its process (PostgreSQL notices the closed socket a
    moment later)."""
    deadline = time.monotonic() + 20
    with PersistenceLayer(target, readonly=True) as store:
        while store.session_live(session_id):
            assert time.monotonic() < deadline, f"{session_id} is still locked"
            time.sleep(0.05)


@pytest.fixture
def fleet(store_target: str, quiet_anomalies: None) -> Iterator[str]:
    """Six sessions: `live` held by a child process, `crashed` by a child killed with SIGKILL,
    `stopped` and `ended` closed so, `old` without a writers row, `idle` opened and no more."""
    crashed = _writer(store_target, "crashed", 12)
    crashed.kill()
    crashed.communicate()
    assert crashed.returncode == -signal.SIGKILL
    _wait_not_live(store_target, "crashed")
    live = _writer(store_target, "live", 11)
    try:
        with PersistenceLayer(store_target) as store:
            _trade(store, "stopped", 13)
        with PersistenceLayer(store_target) as store:
            _trade(store, "ended", 14).close(ended=True)
            _trade(store, "old", 15)
            open_session(InventoryManager, store, "idle", 2500)
        execute_sql(store_target, "DELETE FROM writers WHERE session_id = 'old'")
        yield store_target
    finally:
        live.communicate(timeout=60)  # closes its stdin: the writer stops


SESSIONS = {
    "crashed": "crashed",
    "live": "live",
    "stopped": "stopped",
    "ended": "ended",
    "old": "stopped",
    "idle": "stopped",
}


def test_each_session_is_live_stopped_crashed_or_ended_as_its_writer_left_it(fleet: str) -> None:
    with PersistenceLayer(fleet, readonly=True) as store:
        got = load_fleet(store)
    assert {s.session_id: s.state for s in got.sessions} == SESSIONS
    assert [got.count(state) for state in ("live", "stopped", "crashed", "ended")] == [1, 3, 1, 1]
    with PersistenceLayer(fleet, readonly=True) as store, store.transaction(write=False) as conn:
        writers = dict(conn.execute("SELECT session_id, state FROM writers").fetchall())
    assert writers == {
        "crashed": "writing",
        "live": "writing",
        "stopped": "stopped",
        "ended": "ended",
        "idle": "stopped",
    }


def _exact(manager: InventoryManager) -> tuple[int, ...]:
    """(cash, in flight, unsettled, adjustments, cost, realised, value at the marks in 10^-12
    dollars) of a replayed manager, from its records and `ledger_state`'s marks."""
    positions = cast(list[tuple[Any, ...]], manager.ledger_state()["positions"])
    marks: dict[str, int | None] = {p[0]: p[7] for p in positions}
    records = manager.position_records()
    value = 0
    for r in records:
        mark = marks[r.token_id]
        value += r.cost_micro * MICRO if mark is None else r.qty_micro * mark
    return (
        manager.cash_micro,
        manager.in_flight_micro,
        manager.unsettled_usd_micro,
        manager.adjustments_micro,
        sum(r.cost_micro for r in records),
        sum(r.realized_micro for r in records),
        value,
    )


def _money(a: Account) -> tuple[int, ...]:
    return (
        a.cash, a.in_flight, a.unsettled, a.adjustments, a.cost, a.realized, a.value_pico,
    )  # fmt: skip


def test_accounts_and_sums_equal_independent_replays_of_every_session(fleet: str) -> None:
    with PersistenceLayer(fleet, readonly=True) as store:
        got = load_fleet(store)
        replays = {sid: replay(InventoryManager, store, sid) for sid in SESSIONS}
    sums = [0] * 7
    markets: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    holders: dict[str, set[str]] = defaultdict(set)
    for item in got.sessions:
        manager = replays[item.session_id]
        want = _exact(manager)
        assert item.account is not None
        assert _money(item.account) == want, item.session_id
        # The snapshot strategies get says the same (its floats hold these exactly).
        snapshot = manager.snapshot()
        assert Decimal(str(snapshot.total_usd)) == Decimal(want[0]).scaleb(-6)
        assert Decimal(str(snapshot.in_flight_usd)) == Decimal(want[1]).scaleb(-6)
        costs = sum(Decimal(str(t.total_cost)) for t in snapshot.tokens.values())
        assert costs == Decimal(want[4]).scaleb(-6)
        sums = [a + b for a, b in zip(sums, want, strict=True)]
        for r in manager.position_records():
            row = markets[r.market_id]
            row[0 if r.outcome.value == "YES" else 1] += r.qty_micro
            row[2] += r.cost_micro
            row[3] += r.realized_micro
            if r.qty_micro:
                holders[r.market_id].add(item.session_id)
    idle = replays["idle"]
    assert got.sessions[-1].account is not None
    assert (idle.cash_micro, got.sessions[-1].account.cash) == (2_500_000_000, 2_500_000_000)
    assert got.totals.sessions == 6 and got.totals.unaccounted == 0
    assert _money(got.totals.account) == tuple(sums)
    assert sums[4] > 0 and sums[5] != 0 and sums[6] % MICRO != 0
    assert {
        m.market_id: (m.condition_id, m.sessions, m.yes_qty, m.no_qty, m.cost, m.realized)
        for m in got.markets
    } == {
        market: (CONDITION_OF.get(market, ""), len(holders[market]), *row)
        for market, row in markets.items()
    }
    by_condition: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for market, row in markets.items():
        for i in range(4):
            by_condition[CONDITION_OF.get(market, "")][i] += row[i]
    assert {c.condition_id: (c.yes_qty, c.no_qty, c.cost, c.realized) for c in got.conditions} == {
        cond: tuple(row) for cond, row in by_condition.items()
    }


def test_fleet_json_holds_exact_decimal_strings(fleet: str) -> None:
    result = run_cli("fleet", "--db", fleet, "--json")
    assert result.returncode == 0, result.stderr
    out = orjson.loads(result.stdout)
    with PersistenceLayer(fleet, readonly=True) as store:
        got = load_fleet(store)
        live = replay(InventoryManager, store, "live")
    by_id = {s["session_id"]: s for s in out["sessions"]}
    assert {sid: s["state"] for sid, s in by_id.items()} == SESSIONS
    assert [s["session_id"] for s in out["sessions"]] == [s.session_id for s in got.sessions]
    entry = by_id["live"]
    assert Decimal(entry["cash_usd"]) == Decimal(live.cash_micro).scaleb(-6)
    assert Decimal(entry["in_flight_usd"]) == Decimal(live.in_flight_micro).scaleb(-6)
    assert entry["journal_seq"] == EVENTS + 1  # its opening row, then one row an event
    idle = by_id["idle"]
    assert (idle["journal_seq"], idle["cash_usd"], idle["equity_usd"]) == (
        None, "2500.000000", "2500.000000"
    )  # fmt: skip
    totals = out["totals"]
    assert (totals["sessions"], totals["live"], totals["crashed"], totals["ended"]) == (6, 1, 1, 1)
    assert Decimal(totals["cash_usd"]) == sum(Decimal(s["cash_usd"]) for s in by_id.values())
    assert Decimal(totals["equity_usd"]) == sum(Decimal(s["equity_usd"]) for s in by_id.values())
    assert Decimal(totals["equity_usd"]) == Decimal(totals["cash_usd"]) + Decimal(
        totals["value_usd"]
    )
    assert Decimal(totals["unrealized_pnl_usd"]) == Decimal(totals["value_usd"]) - Decimal(
        totals["exposure_usd"]
    )
    assert Decimal(totals["exposure_usd"]) == sum(
        Decimal(m["exposure_usd"]) for m in out["markets"]
    )
    assert sum(Decimal(c["yes_qty"]) for c in out["conditions"]) == sum(
        Decimal(m["yes_qty"]) for m in out["markets"]
    )


def test_tampered_accounts_row_is_found_by_verify_and_rebuilt_by_recovery(
    store_target: str, quiet_anomalies: None
) -> None:
    with PersistenceLayer(store_target) as store:
        _trade(store, "s1", 21)
    with PersistenceLayer(store_target, readonly=True) as store:
        assert verify_session(store, "s1").ok
        before = load_account(store, "s1")
    assert before is not None
    execute_sql(store_target, "UPDATE accounts SET cash = cash + 1, value_frac = 7")
    with PersistenceLayer(store_target, readonly=True) as store:
        report = verify_session(store, "s1")
    assert [(f.table, f.key, f.field, f.journal, f.table_value) for f in report.findings] == [
        ("accounts", "session s1", "cash", before.cash, before.cash + 1),
        ("accounts", "session s1", "value_frac", before.value_frac, 7),
    ]
    with PersistenceLayer(store_target) as store:
        manager = recover_session(InventoryManager, store, "s1")
        recorded = [a for a in manager.anomalies() if a.kind == AnomalyKind.CACHE_MISMATCH]
        assert [a.message for a in recorded] == [f.describe() for f in report.findings]
        assert load_account(store, "s1") == before
    with PersistenceLayer(store_target, readonly=True) as store:
        assert verify_session(store, "s1").ok


def test_deleted_accounts_row_is_a_finding_and_rebuild_caches_writes_it(
    store_target: str, quiet_anomalies: None
) -> None:
    with PersistenceLayer(store_target) as store:
        _trade(store, "s1", 22)
        before = load_account(store, "s1")
    execute_sql(store_target, "DELETE FROM accounts")
    with PersistenceLayer(store_target, readonly=True) as store:
        report = verify_session(store, "s1")
        assert [(f.table, f.field, f.journal, f.table_value) for f in report.findings] == [
            ("accounts", "row", "present", None)
        ]
        assert load_fleet(store).totals.unaccounted == 1
    with PersistenceLayer(store_target) as store:
        store.lock_session("s1")
        assert rebuild_caches(store, "s1") == [
            "PROBLEM accounts session s1: row is 'present' by the journal, None in the accounts "
            "table"
        ]
        assert load_account(store, "s1") == before


def test_accounts_row_of_a_session_without_events_is_a_finding(store_target: str) -> None:
    with PersistenceLayer(store_target) as store:
        open_session(InventoryManager, store, "s1", 100)
    execute_sql(
        store_target,
        "INSERT INTO accounts VALUES ('s1', 1, 5, 0, 0, 0, 0, 0, 0, 0, 'x')",
    )
    with PersistenceLayer(store_target, readonly=True) as store:
        report = verify_session(store, "s1")
    assert [(f.table, f.field, f.journal, f.table_value) for f in report.findings] == [
        ("accounts", "row", None, "present")
    ]


def test_accounts_row_after_a_duplicate_fill_reflects_the_row_before_it(tmp_path: Path) -> None:
    db = tmp_path / "dup.sqlite"
    view_session.build(db)  # its last row is a fill the store refused as a duplicate
    with PersistenceLayer(db, readonly=True) as store:
        account = load_account(store, view_session.SESSION)
        assert store.last_seq(view_session.SESSION) == 16
        assert verify_session(store, view_session.SESSION).ok
    assert account is not None
    # As `show` of that session says: cash $959.68, realised $3.052, unrealised $4.943.
    assert (account.seq, account.cash, account.realized, account.unrealized_pico) == (
        15, 959_680_000, 3_052_000, 4_943_000 * MICRO
    )  # fmt: skip


def test_value_of_a_fraction_of_a_share_keeps_its_fraction_of_a_micro_dollar(
    store_target: str,
) -> None:
    with PersistenceLayer(store_target) as store:
        m = open_session(InventoryManager, store, "s1", 10, markets=MARKETS[:1])
        _, _, yes, _ = MARKETS[0]
        m.on_order_submitted_buy("b1", "mkt-0", yes, "YES", "0.000003", 40)
        m.on_fill_buy("b1", yes, "mkt-0", "YES", "0.000003", "0.4", "0.000003", fill_id="f1")
        m.update_prices({yes: "45.5"})
        account = load_account(store, "s1")
        fleet = load_fleet(store)
    assert account is not None
    # 0.000003 shares at 45.5 cents: 1.365 micro-dollars, bought for the ledger's 1.
    record = m.position_record(yes)
    assert record is not None and record.cost_micro == 1
    assert (account.cost, account.value, account.value_frac) == (1, 1, 365_000)
    assert account.value_pico == 3 * 455_000
    assert fleet.totals.account.unrealized_pico == 1_365_000 - 1_000_000
    assert usd_text(pico=fleet.totals.account.unrealized_pico) == "0.000000365000"


def test_closing_a_manager_as_ended_records_it_and_frees_the_session(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite"
    with PersistenceLayer(db) as store:
        m = open_session(InventoryManager, store, "s1", 10)
        m.close(ended=True)
        assert not store.holds_session("s1")
        m.trigger_exit()  # memory only from now on
        assert store.last_seq("s1") == 1
        m2 = open_session(InventoryManager, store, "s2", 10)
        m2.close()
    expected = [
        ("s1", "ended"),
        ("s2", "stopped"),
    ]
    with PersistenceLayer(db, readonly=True) as store:
        assert [(s.session_id, s.state) for s in load_fleet(store).sessions] == expected


def test_upgraded_session_without_accounts_row_is_left_out_until_recovered(
    tmp_path: Path,
) -> None:
    db = tmp_path / "legacy.sqlite"
    shutil.copyfile(FIXTURES / "main-83759e3.sqlite", db)
    PersistenceLayer(db).close()  # the upgrade to version 5: no accounts rows yet
    with PersistenceLayer(db, readonly=True) as store:
        before = load_fleet(store)
    [session] = before.sessions
    assert (session.account, before.totals.unaccounted, before.totals.sessions) == (None, 1, 0)
    result = run_cli("fleet", "--db", str(db))
    assert "1 session(s) without an accounts row" in result.stdout
    assert (
        result.stdout.splitlines()[5].split()
        == ["sess-main-83759e3", "live", "stopped"] + ["?"] * 8
    )
    with PersistenceLayer(db) as store:
        recovered = recover_session(InventoryManager, store, session.session_id)
        assert recovered.anomalies() == ()
    with PersistenceLayer(db, readonly=True) as store:
        after = load_fleet(store)
    account = after.sessions[0].account
    assert account is not None
    assert (account.cash, after.totals.unaccounted) == (recovered.cash_micro, 0)


def _golden_db(db: Path) -> PersistenceLayer:
    """golden-s1 stopped, and three more sessions with fixed values: ended, crashed, and one
    whose writer lock the returned store holds (live)."""
    view_session.build(db)
    with view_session.fixed_clock(), PersistenceLayer(db) as store:
        a = open_session(InventoryManager, store, "golden-s2", "500", markets=view_session.MARKETS)
        a.on_order_submitted_buy("a1", "mkt-heat", "heat-yes", "YES", 30, 20)
        a.on_fill_buy("a1", "heat-yes", "mkt-heat", "YES", "12.5", "0.2", 20, fill_id="a-f1")
        a.update_prices({"heat-yes": 26})
        a.close(ended=True)
        b = open_session(InventoryManager, store, "golden-s3", "250", markets=view_session.MARKETS)
        b.on_order_submitted_buy("c1", "mkt-rain", "rain-no", "NO", 10, 55)
        b.on_fill_buy("c1", "rain-no", "mkt-rain", "NO", 10, "0.55", 55, fill_id="c-f1")
        b.on_order_submitted_sell("c2", "rain-no", 4, limit_px=60)
        b.on_fill_sell("c2", "rain-no", 4, "0.6", 60, fill_id="c-f2")
        b.update_prices({"rain-no": 58})
        open_session(InventoryManager, store, "golden-s4", "100")
    # golden-s3's writer died without releasing its claim.
    execute_sql(db, "UPDATE writers SET state = 'writing' WHERE session_id = 'golden-s3'")
    holder = PersistenceLayer(db)
    holder.lock_session("golden-s4")
    return holder


def test_fleet_golden_terminal_table(tmp_path: Path) -> None:
    db = tmp_path / "golden.sqlite"
    holder = _golden_db(db)
    try:
        buffer = io.StringIO()
        console = Console(file=buffer, force_terminal=True, width=120, color_system=None)
        assert run_fleet(str(db), False, console=console) == 0
        plain = run_cli("fleet", "--db", str(db))
        assert plain.returncode == 0, plain.stderr
    finally:
        holder.close()
    for name, text in (
        ("fleet_terminal.txt", buffer.getvalue()),
        ("fleet_plain.txt", plain.stdout),
    ):
        path = GOLDEN / name
        if UPDATE:
            path.write_text(text)
        assert text == path.read_text(), f"{name} differs from the golden file"


# -- the positions the sums read -------------------------------------------------------------


def _placeholder_identified(store: PersistenceLayer) -> InventoryManager:
    """A sell of a token never seen (a placeholder position, market '') and then a buy fill
    naming the token's market."""
    m = open_session(InventoryManager, store, "s1", 100, markets=MARKETS[:1])
    m.on_order_submitted_sell("s-1", "yes-0", 5, limit_px=50)
    m.on_order_submitted_buy("b-1", "mkt-0", "yes-0", "YES", 10, 40)
    m.on_fill_buy("b-1", "yes-0", "mkt-0", "YES", 10, "0.4", 10, fill_id="f1")
    return m


def test_identified_placeholder_position_leaves_no_row_under_the_empty_market(
    store_target: str, quiet_anomalies: None
) -> None:
    with PersistenceLayer(store_target) as store:
        _placeholder_identified(store)
        rows = [(r.market_id, r.token_id, r.qty) for r in store.load_positions("s1")]
        fleet = load_fleet(store)
    assert rows == [("mkt-0", "yes-0", 10_000_000)]
    assert [(m.market_id, m.yes_qty, m.cost) for m in fleet.markets] == [
        ("mkt-0", 10_000_000, 4_000_000)
    ]


def test_left_over_position_row_under_another_market_is_found_and_removed_by_recovery(
    store_target: str, quiet_anomalies: None
) -> None:
    with PersistenceLayer(store_target) as store:
        _placeholder_identified(store)
    execute_sql(
        store_target,
        "INSERT INTO positions (market_id, token_id, session_id, side, qty, realized_pnl, "
        "updated_at, cost_basis, outcome) VALUES ('', 'yes-0', 's1', 'buy', 0, 1000000, 'x', 0, "
        "'YES')",
    )
    with PersistenceLayer(store_target, readonly=True) as store:
        report = verify_session(store, "s1")
    assert [d.describe() for d in report.differences] == [
        "token yes-0: row under market '' is None by the journal, 'present' in the positions table"
    ]
    with PersistenceLayer(store_target) as store:
        manager = recover_session(InventoryManager, store, "s1")
        assert [a.kind for a in manager.anomalies()][-1] == AnomalyKind.POSITION_CACHE_MISMATCH
        assert [(r.market_id, r.token_id) for r in store.load_positions("s1")] == [
            ("mkt-0", "yes-0")
        ]
        # A recovered session knows the row's market: a later write leaves no second row.
        manager.on_fill_buy("b-1", "yes-0", "mkt-0", "YES", 1, "0.4", 10, fill_id="f2")
        assert len(store.load_positions("s1")) == 1
