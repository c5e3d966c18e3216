"""`export`: the journal's events, its fills and the equity after every event, as typed tables
for pandas, polars or DuckDB (Parquet, or CSV).

Every field has a column of its own and one type: money, prices and quantities as integers of
micro-units (`*_micro`, exact), the marked values as exact decimals of 12 places, times as UTC
timestamps to the microsecond. The tables are written a batch at a time, so memory does not
grow with the journal. `EVENTS_SCHEMA`, `FILLS_SCHEMA` and `EQUITY_SCHEMA` are the schemas.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, Protocol

import orjson
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from weatherman_inventory.errors import InvalidInput
from weatherman_inventory.events import MICRO, BuyFilled, LoadedPosition, SellFilled
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.store import PersistenceLayer

from .fields import KINDS, DecodedRow, Unit, decoded_rows, field_units
from .progress import Advance
from .replay import each_event

__all__ = [
    "EQUITY_SCHEMA",
    "EVENTS_SCHEMA",
    "FILLS_SCHEMA",
    "FORMATS",
    "ExportSummary",
    "export_session",
]

FORMATS: Final = ("parquet", "csv")
_BATCH: Final = 65_536
_TIME: Final = pa.timestamp("us", tz="UTC")
_USD12: Final = pa.decimal128(38, 12)
_PRICE_ITEM: Final = pa.struct([("token_id", pa.string()), ("price_micro", pa.int64())])
_LOADED_ITEM: Final = pa.struct(
    [
        ("token_id", pa.string()),
        ("market_id", pa.string()),
        ("outcome", pa.string()),
        ("qty_micro", pa.int64()),
        ("cost_micro", pa.int64()),
        ("realized_micro", pa.int64()),
    ]
)
_ARROW: Final[dict[Unit, pa.DataType]] = {
    Unit.SHARES: pa.int64(),
    Unit.PRICE: pa.int64(),
    Unit.MONEY: pa.int64(),
    Unit.INT: pa.int64(),
    Unit.TIME: _TIME,
    Unit.DURATION: pa.duration("us"),
    Unit.BOOL: pa.bool_(),
    Unit.TEXT: pa.string(),
    Unit.PRICES: pa.list_(_PRICE_ITEM),
    Unit.LOADED: pa.list_(_LOADED_ITEM),
}


def _event_columns() -> dict[str, Unit]:
    """Every field of every kind, in the order kinds and fields are declared; a name two
    kinds declare with different units would make one column of two types."""
    columns: dict[str, Unit] = {}
    for kind in KINDS:
        for name, unit in field_units(kind).items():
            if columns.setdefault(name, unit) != unit:
                raise TypeError(f"field {name} is {columns[name]} and {unit} in {kind}")
    return columns


EVENT_COLUMNS: Final = _event_columns()
"""The events table's field columns and their units (after seq, kind, recorded_at,
duplicate and hash)."""

_EVENT_FIELDS: list[pa.Field[Any]] = [
    pa.field("seq", pa.int64(), nullable=False),
    pa.field("kind", pa.string(), nullable=False),
    pa.field("recorded_at", _TIME, nullable=False),
    pa.field("duplicate", pa.bool_(), nullable=False),
    pa.field("hash", pa.binary()),
    *(pa.field(name, _ARROW[unit]) for name, unit in EVENT_COLUMNS.items()),
]
EVENTS_SCHEMA: Final = pa.schema(_EVENT_FIELDS)
"""One row per journal row: the row's columns, then every event field (null where the row's
kind has no such field)."""

_FILL_FIELDS: list[pa.Field[Any]] = [
    pa.field("seq", pa.int64(), nullable=False),
    pa.field("recorded_at", _TIME, nullable=False),
    pa.field("fill_id", pa.string()),
    pa.field("order_id", pa.string(), nullable=False),
    pa.field("side", pa.string(), nullable=False),
    pa.field("token_id", pa.string(), nullable=False),
    pa.field("market_id", pa.string()),
    pa.field("outcome", pa.string()),
    pa.field("qty_micro", pa.int64(), nullable=False),
    pa.field("price_micro", pa.int64(), nullable=False),
    pa.field("fee_micro", pa.int64(), nullable=False),
    pa.field("status", pa.string()),
    pa.field("duplicate", pa.bool_(), nullable=False),
]
FILLS_SCHEMA: Final = pa.schema(_FILL_FIELDS)
"""One row per journaled fill (a fill the store refused as a duplicate has `duplicate` set):
`order_id` is the order's local id, `market_id` and `outcome` are a buy's (a sell names its
token only), `status` the settlement status it arrived with (null: final)."""

_EQUITY_FIELDS: list[pa.Field[Any]] = [
    pa.field("seq", pa.int64(), nullable=False),
    pa.field("recorded_at", _TIME, nullable=False),
    pa.field("kind", pa.string(), nullable=False),
    pa.field("cash_micro", pa.int64(), nullable=False),
    pa.field("in_flight_micro", pa.int64(), nullable=False),
    pa.field("unsettled_micro", pa.int64(), nullable=False),
    pa.field("accessible_micro", pa.int64(), nullable=False),
    pa.field("cost_micro", pa.int64(), nullable=False),
    pa.field("realized_micro", pa.int64(), nullable=False),
    pa.field("positions_usd", _USD12, nullable=False),
    pa.field("unrealized_usd", _USD12, nullable=False),
    pa.field("equity_usd", _USD12, nullable=False),
]
EQUITY_SCHEMA: Final = pa.schema(_EQUITY_FIELDS)
"""The state after each journal row: cash and its parts (micro-USDC), the positions' cost and
realised PnL (micro-USDC), their marked value (each position at its last mark, an unmarked one
at its cost), the unrealised PnL and equity = cash + marked value, in exact dollars."""


class _Writer(Protocol):
    def write_batch(self, batch: pa.RecordBatch) -> None: ...

    def close(self) -> None: ...


class _Sink:
    """Rows of one table, written `_BATCH` at a time."""

    def __init__(self, writer: _Writer, schema: pa.Schema, convert: Callable[[Any], Any]) -> None:
        self._writer = writer
        self._schema = schema
        self._convert = convert
        self._rows: list[dict[str, Any]] = []
        self.count = 0

    def add(self, row: dict[str, Any]) -> None:
        self._rows.append(row)
        if len(self._rows) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if not self._rows:
            return
        batch = pa.RecordBatch.from_pylist(self._rows, schema=self._schema)
        self._writer.write_batch(self._convert(batch))
        self.count += len(self._rows)
        self._rows = []


def _csv_schema(schema: pa.Schema) -> pa.Schema:
    """CSV has no lists and no bytes: list columns become JSON text, the hash hex text."""
    fields = []
    for f in schema:
        if pa.types.is_list(f.type) or pa.types.is_binary(f.type):
            fields.append(pa.field(f.name, pa.string(), nullable=f.nullable))
        else:
            fields.append(f)
    return pa.schema(fields)


def _to_csv(schema: pa.Schema) -> Callable[[pa.RecordBatch], pa.RecordBatch]:
    target = _csv_schema(schema)

    def convert(batch: pa.RecordBatch) -> pa.RecordBatch:
        arrays: list[Any] = []
        for f, column in zip(schema, batch.columns, strict=True):
            if pa.types.is_list(f.type):
                values = [
                    None if v is None else orjson.dumps(v).decode() for v in column.to_pylist()
                ]
                arrays.append(pa.array(values, pa.string()))
            elif pa.types.is_binary(f.type):
                arrays.append(
                    pa.array(
                        [None if v is None else v.hex() for v in column.to_pylist()], pa.string()
                    )
                )
            else:
                arrays.append(column)
        return pa.RecordBatch.from_arrays(arrays, schema=target)

    return convert


def _same(batch: pa.RecordBatch) -> pa.RecordBatch:
    return batch


def _open_sink(stack: ExitStack, path: Path, schema: pa.Schema, fmt: str) -> _Sink:
    writer: Any
    if fmt == "parquet":
        writer = pq.ParquetWriter(path, schema)
        stack.callback(writer.close)
        return _Sink(writer, schema, _same)
    writer = pa_csv.CSVWriter(path, _csv_schema(schema))
    stack.callback(writer.close)
    return _Sink(writer, schema, _to_csv(schema))


def _field_value(unit: Unit, value: Any) -> Any:
    if value is None:
        return None
    if unit is Unit.PRICES:
        return [{"token_id": token, "price_micro": price} for token, price in value]
    if unit is Unit.LOADED:
        return [
            {
                "token_id": row.token_id,
                "market_id": row.market_id,
                "outcome": str(row.outcome.value),
                "qty_micro": row.qty_micro,
                "cost_micro": row.cost_micro,
                "realized_micro": row.realized_micro,
            }
            for row in value
            if isinstance(row, LoadedPosition)
        ]
    if unit is Unit.TEXT:
        return str(getattr(value, "value", value))
    return value


def event_record(row: DecodedRow) -> dict[str, Any]:
    """The events table's row of a journal row."""
    record: dict[str, Any] = {
        "seq": row.seq,
        "kind": row.kind,
        "recorded_at": row.recorded_at,
        "duplicate": row.duplicate,
        "hash": row.hash,
    }
    for name, unit in field_units(row.kind).items():
        record[name] = _field_value(unit, getattr(row.event, name, None))
    return record


def _fill_record(row: DecodedRow) -> dict[str, Any] | None:
    event = row.event
    if not isinstance(event, BuyFilled | SellFilled):
        return None
    buy = isinstance(event, BuyFilled)
    return {
        "seq": row.seq,
        "recorded_at": row.recorded_at,
        "fill_id": event.fill_id,
        "order_id": event.local_id,
        "side": "buy" if buy else "sell",
        "token_id": event.token_id,
        "market_id": event.market_id if isinstance(event, BuyFilled) else None,
        "outcome": event.outcome.value if isinstance(event, BuyFilled) else None,
        "qty_micro": event.fill_qty_micro,
        "price_micro": event.price_micro,
        "fee_micro": event.fee_micro,
        "status": event.status,
        "duplicate": row.duplicate,
    }


_D12: Final = Decimal(10) ** -12


def equity_record(
    seq: int, recorded_at: int, kind: str, manager: InventoryManager
) -> dict[str, Any]:
    """The equity table's row: the manager's state after journal row `seq`."""
    cash = manager.cash_micro
    in_flight = manager.in_flight_micro
    unsettled = manager.unsettled_usd_micro
    cost = 0
    realized = 0
    # micro-USDC times micro-shares: 10^-12 dollars, exact.
    value = 0
    # The positions' marks are read in place: a copy per event (ledger_state) would make a
    # long journal's export quadratic in its positions and orders.
    for p in manager._positions.values():
        cost += p.cost_micro
        realized += p.realized_micro
        value += p.cost_micro * MICRO if p.mark_micro is None else p.qty * p.mark_micro
    positions = Decimal(value).scaleb(-12)
    return {
        "seq": seq,
        "recorded_at": recorded_at,
        "kind": kind,
        "cash_micro": cash,
        "in_flight_micro": in_flight,
        "unsettled_micro": unsettled,
        "accessible_micro": cash - in_flight - unsettled,
        "cost_micro": cost,
        "realized_micro": realized,
        "positions_usd": positions,
        "unrealized_usd": (positions - Decimal(cost).scaleb(-6)).quantize(_D12),
        "equity_usd": (positions + Decimal(cash).scaleb(-6)).quantize(_D12),
    }


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What `export_session` wrote: each table's file and row count."""

    files: dict[str, tuple[Path, int]]

    def render(self) -> str:
        return "".join(
            f"{name}: {rows} rows -> {path}\n" for name, (path, rows) in self.files.items()
        )


def export_session(
    store: PersistenceLayer,
    session_id: str,
    out: str | os.PathLike[str],
    fmt: str = "parquet",
    advance: Advance | None = None,
) -> ExportSummary:
    """Write `events`, `fills` and `equity` of the session into the directory `out` (made if
    missing) as `<table>.parquet` or `<table>.csv`."""
    if fmt not in FORMATS:
        raise InvalidInput("--format", fmt, f"one of {', '.join(FORMATS)} is required")
    store.load_session(session_id)
    directory = Path(out)
    if directory.exists() and not directory.is_dir():
        raise InvalidInput("--out", str(directory), "is a file, not a directory")
    directory.mkdir(parents=True, exist_ok=True)
    paths = {name: directory / f"{name}.{fmt}" for name in ("events", "fills", "equity")}
    # The journal only grows: every row up to its last one now is final, so the three tables
    # agree without holding one read open (which would hold the journal in memory).
    last = store.last_seq(session_id)
    with ExitStack() as stack:
        events = _open_sink(stack, paths["events"], EVENTS_SCHEMA, fmt)
        fills = _open_sink(stack, paths["fills"], FILLS_SCHEMA, fmt)
        equity = _open_sink(stack, paths["equity"], EQUITY_SCHEMA, fmt)
        for decoded in decoded_rows(store, session_id, last):
            events.add(event_record(decoded))
            fill = _fill_record(decoded)
            if fill is not None:
                fills.add(fill)

        def visit(seq: int, recorded_at: int, kind: str, manager: InventoryManager) -> None:
            equity.add(equity_record(seq, recorded_at, kind, manager))

        each_event(store, session_id, visit, advance, until_seq=last)
        for sink in (events, fills, equity):
            sink.flush()
    return ExportSummary(
        {
            name: (paths[name], sink.count)
            for name, sink in (("events", events), ("fills", fills), ("equity", equity))
        }
    )
