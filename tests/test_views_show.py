"""`show`: golden output of a fixed session (on a 100-column terminal, off a terminal, and
`--json`), and `show --at N` against a manager fed the journal's first rows."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from tests import view_session
from tests.event_streams import INITIAL_CAPITAL, MARKETS, make_stream
from tests.support import run_cli
from weatherman_inventory.errors import InvalidInput
from weatherman_inventory.journal import decode_event, open_session
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.models import TokenPosition
from weatherman_inventory.store import PersistenceLayer
from weatherman_inventory.views.commands import run_show
from weatherman_inventory.views.replay import parse_at, state_at
from weatherman_inventory.views.show import ANOMALIES_SHOWN, show_tables
from weatherman_inventory.views.tables import Table

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
"""`UPDATE_GOLDEN=1 pytest tests/test_views_*.py` rewrites the golden files from the output."""


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text)
    assert text == path.read_text(), f"{name} differs from the golden file"


def terminal() -> tuple[Console, io.StringIO]:
    """A 100-column terminal, without colour so that the golden files read as text."""
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, width=100, color_system=None), buffer


@pytest.fixture(scope="module")
def golden_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("golden") / "golden.sqlite"
    view_session.build(db)
    return db


def test_show_on_a_terminal_100_columns_wide(golden_db: Path) -> None:
    console, buffer = terminal()
    assert run_show(str(golden_db), view_session.SESSION, None, False, console=console) == 0
    check_golden("show_terminal.txt", buffer.getvalue())


def test_show_off_a_terminal_is_plain_text(golden_db: Path) -> None:
    result = run_cli("show", "--db", str(golden_db), "--session", view_session.SESSION)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    check_golden("show_plain.txt", result.stdout)
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "session golden-s1 (paper) at journal row 16 of 16, recorded 2026-03-01 14:00:22.500Z"
    )
    # cash: 1000 - 24.12 - 15.6 + 15.25 - 20 + 5.25 - 1.10 = 959.68
    assert "$1,000.00  $959.68      $3.05      $0.00     $956.63        $5.25  no" in lines


def test_show_at_a_row_on_a_terminal(golden_db: Path) -> None:
    console, buffer = terminal()
    assert run_show(str(golden_db), view_session.SESSION, "4", False, console=console) == 0
    check_golden("show_at_4_terminal.txt", buffer.getvalue())


def test_show_json_is_the_contracts_inventory_state(golden_db: Path) -> None:
    result = run_cli("show", "--db", str(golden_db), "--session", view_session.SESSION, "--json")
    assert result.returncode == 0, result.stderr
    check_golden("show.json", result.stdout)
    state = json.loads(result.stdout)
    assert state["totalUsd"] == 959.68
    assert state["inFlightUsd"] == 3.05
    assert state["tokens"]["rain-yes"]["qty"] == 69.5
    assert state["mintedPairs"]["cond-heat"]["available"] == 20


def test_show_at_a_time_is_the_last_row_recorded_by_then(golden_db: Path) -> None:
    # Row 4 is recorded at 14:00:04.500, row 5 at 14:00:06.000.
    by_time = run_cli(
        "show", "--db", str(golden_db), "--session", view_session.SESSION,
        "--at", "2026-03-01T14:00:05.999Z", "--json",
    )  # fmt: skip
    by_seq = run_cli(
        "show", "--db", str(golden_db), "--session", view_session.SESSION, "--at", "4", "--json"
    )
    assert by_time.returncode == by_seq.returncode == 0, by_time.stderr
    assert by_time.stdout == by_seq.stdout
    # f1 (60 shares at 40¢) is MATCHED, not yet CONFIRMED: held but not sellable.
    assert json.loads(by_seq.stdout)["tokens"]["rain-yes"]["unsettledQty"] == 60


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("0", "error: --at=0: the session's journal holds rows 1..16\n"),
        ("17", "error: --at=17: the session's journal holds rows 1..16\n"),
        ("yesterday", "error: --at='yesterday': a journal sequence number or an ISO 8601 time"),
        ("2026-03-01T13:59:59Z", "error: --at='2026-03-01T13:59:59+00:00': the session's"),
    ],
)
def test_show_at_outside_the_journal_is_refused_naming_it(
    golden_db: Path, at: str, message: str
) -> None:
    result = run_cli("show", "--db", str(golden_db), "--session", view_session.SESSION, "--at", at)
    assert result.returncode == 2
    assert result.stderr.startswith(message)
    assert result.stdout == ""


def test_show_of_an_unknown_session_exits_2(golden_db: Path) -> None:
    result = run_cli("show", "--db", str(golden_db), "--session", "nope")
    assert result.returncode == 2
    assert "no session 'nope'" in result.stderr


def test_parse_at_reads_a_time_without_offset_as_utc() -> None:
    assert parse_at("2026-03-01T14:00:05") == parse_at("2026-03-01T14:00:05+00:00")
    assert parse_at(" 12 ") == 12
    with pytest.raises(InvalidInput) as caught:
        parse_at("14h")
    assert caught.value.field == "--at"


# -- show --at N against a manager fed the journal's first rows --------------------------------

_STREAM_LENGTH = 400


@pytest.fixture(scope="module")
def stream_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("stream") / "stream.sqlite"
    with PersistenceLayer(db, mode="paper") as store:
        manager = open_session(InventoryManager, store, "s", INITIAL_CAPITAL, markets=MARKETS)
        manager.log_anomalies = False
        for event in make_stream(11, _STREAM_LENGTH):
            manager.apply(event)
    return db


def _fed(store: PersistenceLayer, rows: int) -> InventoryManager:
    """A manager fed the journal's rows 2..`rows` one by one, decoded independently of the
    replay (row 1 opens the session); a duplicate fill is refused by the manager's own set of
    fill ids, as a session without a store refuses it."""
    manager = InventoryManager(INITIAL_CAPITAL, log_anomalies=False)
    for seq, kind, payload, _duplicate, _at, _hash in store.journal_rows(
        "s", batch=10_000
    ).__next__():
        if 1 < seq <= rows:
            manager.apply(decode_event(kind, payload))
    return manager


def _ledger(manager: InventoryManager) -> dict[str, object]:
    state = manager.ledger_state()
    del state["fill_ids"]
    state["anomalies"] = [(a.kind, a.event) for a in manager.anomalies()]
    return state


def test_the_stream_journals_one_row_per_event(stream_db: Path) -> None:
    with PersistenceLayer(stream_db, readonly=True) as store:
        assert store.last_seq("s") == _STREAM_LENGTH + 1


@given(st.data())
def test_show_at_n_equals_a_manager_fed_the_first_n_rows(
    stream_db: Path, data: st.DataObject
) -> None:
    n = data.draw(st.integers(1, _STREAM_LENGTH + 1), label="rows")
    with PersistenceLayer(stream_db, readonly=True) as store:
        state = state_at(store, "s", n)
        fed = _fed(store, n)
    assert state.seq == n
    assert _ledger(state.manager) == _ledger(fed)
    assert state.manager.snapshot_json() == fed.snapshot_json()


def test_show_lists_the_last_anomalies_of_a_session_that_holds_hundreds(stream_db: Path) -> None:
    with PersistenceLayer(stream_db, readonly=True) as store:
        state = state_at(store, "s")
    recorded = state.manager.anomalies()
    assert len(recorded) > ANOMALIES_SHOWN
    tables = show_tables(state)
    [anomalies] = [t for t in tables if isinstance(t, Table) and t.title.startswith("Anomalies")]
    assert anomalies.title == (
        f"Anomalies (the last {ANOMALIES_SHOWN} of {len(recorded)}; `history` lists the events)"
    )
    assert [row[1] for row in anomalies.rows] == [a.message for a in recorded[-ANOMALIES_SHOWN:]]
    totals = tables[1]
    assert isinstance(totals, str)
    assert totals.endswith(f"open orders, {len(recorded)} anomalies")


class _Redeemable(TokenPosition):
    """A token position as the contract carries it once resolution adds `redeemableQty`."""

    redeemable_qty: Decimal


def test_the_redeemable_column_appears_once_the_contract_carries_it(
    golden_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with PersistenceLayer(golden_db, readonly=True) as store:
        state = state_at(store, view_session.SESSION)
    [positions] = [t for t in show_tables(state) if isinstance(t, Table) and t.title == "Positions"]
    assert "redeemable" not in positions.columns
    snapshot = state.manager.snapshot()
    tokens = {
        token_id: _Redeemable(
            **token.model_dump(), redeemable_qty=Decimal("69.5" if token_id == "rain-yes" else "0")
        )
        for token_id, token in snapshot.tokens.items()
    }
    with_redeemable = snapshot.model_copy(update={"tokens": tokens})
    monkeypatch.setattr(state.manager, "snapshot", lambda: with_redeemable)
    [positions] = [t for t in show_tables(state) if isinstance(t, Table) and t.title == "Positions"]
    assert positions.columns[-1] == "redeemable"
    assert [(row[0], row[-1]) for row in positions.rows] == [
        ("rain-yes", "69.5"), ("heat-yes", "0"), ("heat-no", "0"), ("rain-no", "0"),
    ]  # fmt: skip


def test_show_lists_the_redeemable_shares_of_a_resolved_market(tmp_path: Path) -> None:
    db = tmp_path / "resolved.sqlite"
    with PersistenceLayer(db) as store:
        manager = open_session(InventoryManager, store, "r", Decimal(100))
        manager.on_fill_buy("o1", "yes-1", "cond-1", "YES", 10, Decimal("0.40"), 10, fill_id="f1")
        manager.on_fill_buy("o2", "no-1", "cond-1", "NO", 4, Decimal("0.55"), 4, fill_id="f2")
        manager.on_market_resolved("cond-1", [1, 1])
    out = run_cli("show", "--db", str(db), "--session", "r")
    assert out.returncode == 0, out.stderr
    header = next(line for line in out.stdout.splitlines() if "token" in line and "mark" in line)
    assert "redeemable" in header
    yes = next(line for line in out.stdout.splitlines() if line.lstrip().startswith("yes-1"))
    no = next(line for line in out.stdout.splitlines() if line.lstrip().startswith("no-1"))
    # A void market: each share redeems for half a dollar, marked at 50 cents.
    assert yes.split()[-1] == "10" and no.split()[-1] == "4", (yes, no)
    assert "50¢" in yes.split() and "50¢" in no.split()


@pytest.mark.slow
def test_show_of_the_host_session_with_seed_7_matches_its_golden_files(tmp_path: Path) -> None:
    """The reference host's session is deterministic for a seed (its ids, fills, resolutions and
    redemptions); only the time the last row was recorded differs from run to run."""
    host = next(
        (p for p in (os.environ.get("WEATHERMAN_HOST_BIN"), "target/debug/weatherman-host") if p
         and Path(p).is_file()),
        None,
    )  # fmt: skip
    if host is None:
        pytest.skip("no weatherman-host build (cargo builds it in `make test`)")
    db = tmp_path / "host.sqlite"
    run = subprocess.run(
        [host, "--ticks", "60", "--seed", "7", "--db", str(db), "--strategy", "rust",
         "--session", "host-s7", "--venv", str(Path(sys.executable).parent.parent), "--quiet"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    plain = run_cli("show", "--db", str(db), "--session", "host-s7")
    assert plain.returncode == 0, plain.stderr
    first, rest = plain.stdout.split("\n", 1)
    assert re.fullmatch(
        r"session host-s7 \(paper\) at journal row (\d+) of \1, recorded \S+ \S+Z", first
    ), first
    check_golden("show_host_s7.txt", rest)
    as_json = run_cli("show", "--db", str(db), "--session", "host-s7", "--json")
    assert as_json.returncode == 0, as_json.stderr
    check_golden("show_host_s7.json", as_json.stdout)
    # A void market among the three: its token is marked at its payout, 50 cents.
    tokens = json.loads(as_json.stdout)["tokens"]
    assert sorted(t["payout"] for t in tokens.values()) == [0, 0, 0.5]
