"""`export`: the Parquet (and CSV) tables read back equal the journal, row for row and field
for field, and the equity series equals a manager fed the journal's first rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from tests import view_session
from tests.event_streams import INITIAL_CAPITAL, MARKETS, make_stream
from tests.support import run_cli
from weatherman_inventory.events import (
    EVENT_TYPES,
    MICRO,
    LoadedPosition,
    SessionOpened,
)
from weatherman_inventory.journal import decode_event, open_session
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.models import Outcome
from weatherman_inventory.store import PersistenceLayer
from weatherman_inventory.views import commands
from weatherman_inventory.views.export import (
    EQUITY_SCHEMA,
    EVENTS_SCHEMA,
    FILLS_SCHEMA,
    FORMATS,
    export_session,
)
from weatherman_inventory.views.fields import Unit, field_units

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ROW_COLUMNS = {"seq", "kind", "recorded_at", "duplicate", "hash"}
_CLASSES: dict[str, Any] = {cls.kind: cls for cls in (*EVENT_TYPES, SessionOpened)}


def _us(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _field(unit: Unit, value: Any) -> Any:
    """A column's value back in the event's own units."""
    if value is None:
        return None
    if unit is Unit.TIME:
        return _us(value)
    if unit is Unit.DURATION:
        return value // timedelta(microseconds=1)
    if unit is Unit.PRICES:
        return tuple((item["token_id"], item["price_micro"]) for item in value)
    if unit is Unit.LOADED:
        return tuple(
            LoadedPosition(
                item["token_id"], item["market_id"], Outcome(item["outcome"]), item["qty_micro"],
                item["cost_micro"], item["realized_micro"],
            )
            for item in value
        )  # fmt: skip
    return value


def _event(row: dict[str, Any]) -> Any:
    """The event an events-table row holds, rebuilt from its columns alone."""
    units = field_units(row["kind"])
    return _CLASSES[row["kind"]](*(_field(unit, row[name]) for name, unit in units.items()))


def _journal(db: Path, session_id: str) -> list[tuple[int, str, bytes, int, int, bytes | None]]:
    with PersistenceLayer(db, readonly=True) as store:
        return [row for rows in store.journal_rows(session_id) for row in rows]


def _decoded(kind: str, payload: bytes) -> Any:
    if kind == SessionOpened.kind:
        return SessionOpened(*json.loads(payload))
    return decode_event(kind, payload)


@pytest.fixture(scope="module")
def stream_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session of every kind of event the streams make: fills in parts, duplicates,
    settlement statuses, stale checks, mints and merges, loaded positions, exit."""
    db = tmp_path_factory.mktemp("export") / "stream.sqlite"
    with PersistenceLayer(db, mode="paper") as store:
        manager = open_session(InventoryManager, store, "s", INITIAL_CAPITAL, markets=MARKETS)
        manager.log_anomalies = False
        for event in make_stream(5, 500):
            manager.apply(event)
    return db


@pytest.fixture(scope="module")
def golden_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("golden") / "golden.sqlite"
    view_session.build(db)
    return db


@pytest.mark.parametrize(("which", "session_id"), [("stream", "s"), ("golden", "golden-s1")])
def test_exported_events_read_back_equal_the_journal(
    which: str, session_id: str, stream_db: Path, golden_db: Path, tmp_path: Path
) -> None:
    db = stream_db if which == "stream" else golden_db
    with PersistenceLayer(db, readonly=True) as store:
        summary = export_session(store, session_id, tmp_path)
    table = pq.read_table(tmp_path / "events.parquet")
    assert table.schema == EVENTS_SCHEMA
    journal = _journal(db, session_id)
    assert summary.files["events"] == (tmp_path / "events.parquet", len(journal))
    rows = table.to_pylist()
    assert len(rows) == len(journal)
    kinds = set()
    for row, (seq, kind, payload, duplicate, recorded_at, digest) in zip(
        rows, journal, strict=True
    ):
        assert (row["seq"], row["kind"], row["duplicate"]) == (seq, kind, bool(duplicate))
        assert _us(row["recorded_at"]) == recorded_at
        assert row["hash"] == digest
        assert _event(row) == _decoded(kind, payload), f"row {seq}"
        # A field of another kind is null, never a zero that reads like a value.
        own = set(field_units(kind)) | _ROW_COLUMNS
        assert [name for name in row if name not in own and row[name] is not None] == []
        kinds.add(kind)
    if which == "stream":
        assert {"buy_filled", "sell_filled", "fill_status", "stale_fills_checked",
                "positions_loaded", "merge_confirmed", "exit_triggered"} <= kinds  # fmt: skip
        assert any(row["duplicate"] for row in rows)


def test_exported_fills_equal_the_fills_table(stream_db: Path, tmp_path: Path) -> None:
    with PersistenceLayer(stream_db, readonly=True) as store:
        export_session(store, "s", tmp_path)
        table_fills = {
            f.fill_id: (f.order_id, f.token_id, f.side, f.qty, f.price, f.fee)
            for f in store.load_fills("s")
        }
    table = pq.read_table(tmp_path / "fills.parquet")
    assert table.schema == FILLS_SCHEMA
    exported = table.to_pylist()
    # The fills table names a fill that came without an id by its journal row.
    booked = {
        r["fill_id"] or f"synthetic:s:{r['seq']}": (
            r["order_id"], r["token_id"], r["side"], r["qty_micro"], r["price_micro"],
            r["fee_micro"],
        )
        for r in exported
        if not r["duplicate"]
    }  # fmt: skip
    assert booked == table_fills
    assert len(booked) >= 50
    # Every journaled fill is a row: the booked ones and those refused as duplicates.
    journal_fills = [r for r in _journal(stream_db, "s") if r[1] in ("buy_filled", "sell_filled")]
    assert [r["seq"] for r in exported] == [r[0] for r in journal_fills]


def test_equity_after_each_row_equals_a_manager_fed_the_rows_before(
    stream_db: Path, tmp_path: Path
) -> None:
    with PersistenceLayer(stream_db, readonly=True) as store:
        export_session(store, "s", tmp_path)
    table = pq.read_table(tmp_path / "equity.parquet")
    assert table.schema == EQUITY_SCHEMA
    equity = table.to_pylist()
    journal = _journal(stream_db, "s")
    assert [row["seq"] for row in equity] == [row[0] for row in journal]
    fed = InventoryManager(INITIAL_CAPITAL, log_anomalies=False)
    for row, (seq, kind, payload, _dup, recorded_at, _hash) in zip(equity, journal, strict=True):
        if seq > 1:
            fed.apply(decode_event(kind, payload))
        cash = fed.cash_micro
        assert _us(row["recorded_at"]) == recorded_at
        assert (row["cash_micro"], row["in_flight_micro"], row["unsettled_micro"]) == (
            cash,
            fed.in_flight_micro,
            fed.unsettled_usd_micro,
        ), f"row {seq}"
        assert row["accessible_micro"] == cash - fed.in_flight_micro - fed.unsettled_usd_micro
        snapshot = fed.snapshot()
        # The snapshot's floats, summed: within a micro-dollar of the exact figures.
        marked = sum(Decimal(str(t.qty)) * Decimal(str(t.current_price))
                     for t in snapshot.tokens.values())  # fmt: skip
        assert abs(row["positions_usd"] - marked) < Decimal("0.000001") * max(
            len(snapshot.tokens), 1
        )
        assert row["equity_usd"] == row["positions_usd"] + Decimal(cash) / MICRO
        assert row["cost_micro"] == sum(p.cost_micro for p in fed.position_records())
        assert row["realized_micro"] == sum(p.realized_micro for p in fed.position_records())


def test_csv_export_holds_the_same_values_as_parquet(golden_db: Path, tmp_path: Path) -> None:
    with PersistenceLayer(golden_db, readonly=True) as store:
        export_session(store, "golden-s1", tmp_path / "pq", "parquet")
        export_session(store, "golden-s1", tmp_path / "csv", "csv")
    for name in ("events", "fills", "equity"):
        parquet = pq.read_table(tmp_path / "pq" / f"{name}.parquet")
        csv = pa_csv.read_csv(
            tmp_path / "csv" / f"{name}.csv",
            # A null is an empty field, an empty string a quoted one.
            convert_options=pa_csv.ConvertOptions(
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
                column_types={
                    f.name: f.type for f in parquet.schema
                    if not (str(f.type).startswith("list") or f.type == "binary")
                }
            ),
        )  # fmt: skip
        assert csv.num_rows == parquet.num_rows
        for f in parquet.schema:
            expected = parquet.column(f.name).to_pylist()
            got = csv.column(f.name).to_pylist()
            if str(f.type).startswith("list"):
                got = [None if v is None else json.loads(v) for v in got]
            elif str(f.type) == "binary":
                expected = [None if v is None else v.hex() for v in expected]
            assert got == expected, f"{name}.{f.name}"


def test_export_from_the_command_line_writes_three_tables(golden_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("export", "--db", str(golden_db), "--session", "golden-s1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"events: 16 rows -> {out / 'events.parquet'}\n"
        f"fills: 5 rows -> {out / 'fills.parquet'}\n"
        f"equity: 16 rows -> {out / 'equity.parquet'}\n"
    )
    last = pq.read_table(out / "equity.parquet").to_pylist()[-1]
    assert last["cash_micro"] == 959_680_000
    # 69.5 at 47¢ + 20 at 61¢ + 20 at 38¢ + 2 unmarked at their cost of $1.10
    assert last["positions_usd"] == Decimal("32.665") + Decimal("12.20") + Decimal(
        "7.60"
    ) + Decimal("1.10")


def test_export_refuses_a_file_as_its_directory(golden_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.write_text("x")
    result = run_cli(
        "export", "--db", str(golden_db), "--session", "golden-s1", "--out", str(target)
    )
    assert result.returncode == 2
    assert result.stderr == f"error: --out='{target}': is a file, not a directory\n"
    assert target.read_text() == "x"


def test_the_command_lines_formats_are_the_exports() -> None:
    assert commands.FORMATS == FORMATS
