"""`history`: golden output of the fixed session, its filters, and its refusals."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from tests import view_session
from tests.support import run_cli
from tests.test_views_show import check_golden
from weatherman_inventory.errors import InvalidInput
from weatherman_inventory.store import PersistenceLayer
from weatherman_inventory.views.commands import run_history
from weatherman_inventory.views.history import HistoryFilter
from weatherman_inventory.views.tables import Table, render_plain, write_plain_blocks


@pytest.fixture(scope="module")
def golden_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("golden") / "golden.sqlite"
    view_session.build(db)
    return db


def _history(db: Path, *args: str) -> list[str]:
    result = run_cli("history", "--db", str(db), "--session", view_session.SESSION, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_history_on_a_terminal_100_columns_wide(golden_db: Path) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=100, color_system=None)
    code = run_history(str(golden_db), view_session.SESSION, HistoryFilter(), console=console)
    assert code == 0
    check_golden("history_terminal.txt", buffer.getvalue())


def test_history_off_a_terminal_is_one_line_per_event(golden_db: Path) -> None:
    result = run_cli("history", "--db", str(golden_db), "--session", view_session.SESSION)
    assert result.returncode == 0, result.stderr
    check_golden("history_plain.txt", result.stdout)
    lines = result.stdout.splitlines()
    assert len(lines) == 2 + 16
    assert lines[5].split() == [
        "4", "2026-03-01", "14:00:04.500Z", "buy_filled", "rain-yes", "order", "b1,",
        "market_id", "mkt-rain,", "outcome", "YES,", "qty", "60", "sh,", "at", "40¢,", "of", "100",
        "sh,", "fill_id", "f1,", "fee", "$0.12,", "status", "MATCHED,", "booked_at", "2026-03-01",
        "14:05:00.000Z",
    ]  # fmt: skip
    assert lines[-1].endswith("fill_id f1, fee $0.00 (refused: duplicate fill)")


def _seqs(lines: list[str]) -> list[int]:
    return [int(line.split()[0]) for line in lines[2:]]


@pytest.mark.parametrize(
    ("args", "seqs"),
    [
        (("--token", "heat-no"), [10, 12, 15]),
        (("--kind", "buy_filled,sell_filled"), [4, 5, 9, 14, 16]),
        (("--kind", "prices_updated", "--token", "heat-yes"), [15]),
        (("--since", "2026-03-01T14:00:18Z"), [13, 14, 15, 16]),
        (("--until", "2026-03-01T14:00:03"), [1, 2, 3]),
        (("--since", "5", "--until", "7"), [5, 6, 7]),
        (("--kind", "buy_filled", "--offset", "1", "--limit", "2"), [5, 14]),
        (("--limit", "0"), []),
        (("--token", "nobody"), []),
    ],
)
def test_history_filters_combine(golden_db: Path, args: tuple[str, ...], seqs: list[int]) -> None:
    lines = _history(golden_db, *args)
    if not seqs:
        assert lines == [f"History of {view_session.SESSION}: no events"]
    else:
        assert _seqs(lines) == seqs


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("--kind", "buy_filed"), "--kind"),
        (("--limit", "-1"), "--limit"),
        (("--offset", "-3"), "--offset"),
        (("--since", "noon"), "--since"),
        (("--until", "2026-13-01"), "--until"),
    ],
)
def test_history_refuses_a_malformed_filter_naming_the_option(
    golden_db: Path, args: tuple[str, ...], field: str
) -> None:
    result = run_cli("history", "--db", str(golden_db), "--session", view_session.SESSION, *args)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {field}=")
    assert result.stdout == ""


def test_history_filter_names_the_unknown_kind() -> None:
    with pytest.raises(InvalidInput) as caught:
        HistoryFilter.from_args(kind="buy_filled,mint")
    assert caught.value.field == "--kind"
    assert caught.value.value == "buy_filled,mint"


def test_history_reads_a_journal_without_session_opened_in_its_own_units(tmp_path: Path) -> None:
    """The 83759e3 fixture's journal wrote whole contracts and cents and has no first row."""
    db = tmp_path / "legacy.sqlite"
    shutil.copyfile(Path(__file__).parent / "fixtures" / "main-83759e3.sqlite", db)
    PersistenceLayer(db).close()  # the schema upgrade, as an operator's first open does
    lines = _history_of(db, "sess-main-83759e3")
    assert len(lines) == 2 + 23
    assert lines[2].split()[3:] == [
        "buy_submitted", "yes-1", "order", "b1,", "market_id", "mkt-1,", "outcome", "YES,", "qty",
        "100", "sh,", "limit", "40¢,", "tif", "GTC",
    ]  # fmt: skip
    assert lines[3].split()[11:] == ["qty", "30", "sh,", "at", "39¢,", "of", "100", "sh,",
                                    "fill_id", "f1,", "fee", "$0.05"]  # fmt: skip


def _history_of(db: Path, session_id: str) -> list[str]:
    result = run_cli("history", "--db", str(db), "--session", session_id)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_history_until_a_microsecond_before_a_row_leaves_the_row_out(golden_db: Path) -> None:
    """Bounds are compared with `recorded_at` in whole microseconds: row 4 is recorded at
    14:00:04.500000."""
    lines = _history(golden_db, "--until", "2026-03-01T14:00:04.499999Z")
    assert _seqs(lines) == [1, 2, 3]
    lines = _history(golden_db, "--since", "2026-03-01T14:00:04.499999Z", "--until", "4")
    assert _seqs(lines) == [4]


def test_plain_blocks_write_what_render_plain_writes_and_only_widen() -> None:
    rows = [("1", "a", "x"), ("22", "bbb", "y"), ("333", "c", "zzzz")]
    table = Table("T", ("n", "name", "note"), numeric=frozenset({"n"}))
    whole = io.StringIO()
    write_plain_blocks(table, rows, whole)
    assert whole.getvalue() == render_plain([Table("T", table.columns, list(rows), table.numeric)])
    blocks = io.StringIO()
    write_plain_blocks(table, rows, blocks, block=2)
    assert blocks.getvalue().splitlines() == [
        "T",
        " n  name  note",
        " 1  a     x",
        "22  bbb   y",
        "333  c     zzzz",
    ]
    empty = io.StringIO()
    write_plain_blocks(table, [], empty)
    assert empty.getvalue() == "T: none\n"
