"""`history`: the journal's events, one line each, in dollars, shares and cents."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from weatherman_inventory.errors import InvalidInput
from weatherman_inventory.events import LoadedPosition
from weatherman_inventory.store import PersistenceLayer

from .fields import KINDS, DecodedRow, Unit, decoded_rows, event_tokens, field_units
from .replay import parse_at
from .tables import Table
from .units import cents, dollars, epoch_micros, shares, utc_time

__all__ = ["HistoryFilter", "describe", "history_lines", "history_rows", "history_table"]


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    """Which rows `history` lists: naming `token`, of one of `kinds`, from `since` to `until`
    (a sequence number or a time, both ends included), then `offset` rows skipped and at
    most `limit` listed."""

    token: str | None = None
    kinds: frozenset[str] | None = None
    since: int | datetime | None = None
    until: int | datetime | None = None
    limit: int | None = None
    offset: int = 0

    @classmethod
    def from_args(
        cls,
        *,
        token: str | None = None,
        kind: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> HistoryFilter:
        """From the command line's spelling; `InvalidInput` names the option at fault."""
        kinds = None
        if kind is not None:
            kinds = frozenset(k.strip() for k in kind.split(",") if k.strip())
            unknown = sorted(kinds - set(KINDS))
            if unknown or not kinds:
                raise InvalidInput("--kind", kind, f"kinds are {', '.join(KINDS)}")
        if limit is not None and limit < 0:
            raise InvalidInput("--limit", limit, "must be 0 or more")
        if offset < 0:
            raise InvalidInput("--offset", offset, "must be 0 or more")
        return cls(
            token,
            kinds,
            None if since is None else _bound("--since", since),
            None if until is None else _bound("--until", until),
            limit,
            offset,
        )

    def admits(self, row: DecodedRow) -> bool:
        if self.kinds is not None and row.kind not in self.kinds:
            return False
        if self.since is not None and not _after(row, self.since):
            return False
        if self.until is not None and not _after_or_at(self.until, row):
            return False
        return self.token is None or self.token in event_tokens(row.event)


def _bound(option: str, value: str) -> int | datetime:
    try:
        return parse_at(value)
    except InvalidInput as exc:
        raise InvalidInput(option, value, exc.reason) from None


def _after(row: DecodedRow, since: int | datetime) -> bool:
    if isinstance(since, int):
        return row.seq >= since
    return row.recorded_at >= epoch_micros(since)


def _after_or_at(until: int | datetime, row: DecodedRow) -> bool:
    if isinstance(until, int):
        return row.seq <= until
    return row.recorded_at <= epoch_micros(until)


def _value(unit: Unit, value: Any) -> str:
    if unit is Unit.SHARES:
        return f"{shares(value)} sh"
    if unit is Unit.PRICE:
        return cents(value)
    if unit is Unit.MONEY:
        return dollars(value)
    if unit is Unit.TIME:
        return utc_time(value)
    if unit is Unit.DURATION:
        return f"{Decimal(value) / 1_000_000:f} s"
    if unit is Unit.PRICES:
        return ", ".join(f"{token} {cents(price)}" for token, price in value)
    if unit is Unit.LOADED:
        return "; ".join(
            f"{row.token_id} {shares(row.qty_micro)} sh cost {dollars(row.cost_micro)}"
            for row in value
            if isinstance(row, LoadedPosition)
        )
    if unit is Unit.BOOL:
        return "yes" if value else "no"
    return str(getattr(value, "value", value))


_LABELS: Final = {
    "local_id": "order",
    "fill_qty_micro": "qty",
    "order_qty_micro": "of",
    "price_micro": "at",
    "initial_capital_micro": "capital",
    "strategy_id": "strategy",
    "config_json": "config",
    "journal_format": "format",
}


def _label(name: str) -> str:
    if name in _LABELS:
        return _LABELS[name]
    for suffix in ("_micro", "_us"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


_SHOWN_ELSEWHERE = frozenset({"token_id"})


def describe(row: DecodedRow) -> str:
    """The event's fields as `name value` pairs in readable units (the token is a column of
    its own; empty fields are left out)."""
    parts = []
    for name, unit in field_units(row.kind).items():
        if name in _SHOWN_ELSEWHERE:
            continue
        value = getattr(row.event, name, None)
        if value is None or value in ("", ()):
            continue
        parts.append(f"{_label(name)} {_value(unit, value)}")
    text = ", ".join(parts)
    return f"{text} (refused: duplicate fill)" if row.duplicate else text


def history_rows(
    store: PersistenceLayer, session_id: str, selection: HistoryFilter
) -> Iterator[DecodedRow]:
    """The journal rows the filter admits, in order, `offset` and `limit` applied."""
    store.load_session(session_id)
    skipped = 0
    listed = 0
    if selection.limit == 0:
        return
    for row in decoded_rows(store, session_id):
        if not selection.admits(row):
            continue
        if skipped < selection.offset:
            skipped += 1
            continue
        yield row
        listed += 1
        if selection.limit is not None and listed >= selection.limit:
            return


def history_lines(rows: Iterable[DecodedRow]) -> Iterator[tuple[str, str, str, str, str]]:
    """One line per row: sequence number, time (UTC), kind, token, the event's fields."""
    for row in rows:
        yield (
            str(row.seq),
            utc_time(row.recorded_at),
            row.kind,
            getattr(row.event, "token_id", None) or "",
            describe(row),
        )


def history_table(title: str, rows: Iterable[DecodedRow] = ()) -> Table:
    """The history as a table (`rows` listed in it; none: its columns only)."""
    table = Table(
        title, ("seq", "time (UTC)", "kind", "token", "details"), numeric=frozenset({"seq"})
    )
    table.empty = "no events"
    table.rows.extend(history_lines(rows))
    return table
