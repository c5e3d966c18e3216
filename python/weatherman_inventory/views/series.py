"""A session's journal replayed into bounded time series: what the report draws.

The journal is replayed by recovery's own replay (`journal.replay_checked`, natively past its
first batch), which pauses at the end of each bucket
of `ceil(events / max_points)` journal rows (and at the last row) for a sample, so every series
holds at most `max_points` points however long the journal is. Fills are summed per token, side
and bucket into one marker at their average price as the replay hands them over; failed fills
keep the first `max_rows` rows and a count. Memory holds one batch of rows, the samples and the
manager (whose own state is recovery's).

The replay is verify's, lenient: a journal whose sequence or hash chain is broken is drawn as
recorded (`verify` is what reports it); a row that holds no valid event is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from weatherman_inventory.errors import InvalidInput
from weatherman_inventory.events import MICRO, BuyFilled, FillStatusChanged, SellFilled, check_id
from weatherman_inventory.journal import EventRun, replay_checked
from weatherman_inventory.manager import Anomaly, InventoryManager
from weatherman_inventory.store import PersistenceLayer

from .progress import Advance

__all__ = [
    "DEFAULT_MAX_POINTS",
    "DEFAULT_MAX_ROWS",
    "MAX_POINTS_LIMIT",
    "FailedFill",
    "FillMarker",
    "Sample",
    "SessionSeries",
    "TokenPoint",
    "collect_series",
    "utc_text",
]

DEFAULT_MAX_POINTS: Final = 500
"""Points per series when the caller does not say: enough to read a session's shape."""
DEFAULT_MAX_ROWS: Final = 500
"""Rows a table keeps; the rest are counted (`history` and `export` list them all)."""
MAX_POINTS_LIMIT: Final = 100_000
_FAILED: Final = "FAILED"


@dataclass(frozen=True, slots=True)
class TokenPoint:
    """A token's position at a sample, in the snapshot's units: shares and dollars."""

    qty: float
    mark: float
    """The price the ledger marks the token at (its average entry price until a mark)."""
    total_cost: float
    realized_pnl: float
    unrealized_pnl: float


@dataclass(frozen=True, slots=True)
class Sample:
    """The session's state after journal row `seq` (recorded at `time_us`, microseconds since
    the epoch, 0 where the row has no time)."""

    seq: int
    time_us: int
    cash: float
    in_flight: float
    equity: float
    tokens: dict[str, TokenPoint]


@dataclass(slots=True)
class FillMarker:
    """The fills of one token and side inside one bucket: `qty_micro` micro-shares for
    `notional` (micro-shares times micro-USDC per share), drawn at the bucket's sample."""

    seq: int
    time_us: int
    count: int = 0
    qty_micro: int = 0
    notional: int = 0

    @property
    def price(self) -> float:
        """Average price of the bucket's fills, dollars per share."""
        return self.notional / self.qty_micro / MICRO if self.qty_micro else 0.0


@dataclass(frozen=True, slots=True)
class FailedFill:
    """A `FAILED` settlement status: the journal row, and the fill as the ledger booked it
    (None where the ledger keeps no record of it: an unknown fill id, or a fill booked final)."""

    seq: int
    time_us: int
    fill_id: str
    side: str | None
    token_id: str | None
    qty_micro: int | None
    price_micro: int | None


@dataclass(slots=True)
class SessionSeries:
    """Everything the report draws, each list bounded by `max_points` or `max_rows`."""

    session_id: str
    events: int
    bucket: int
    """Journal rows per sample (1: every row is a point)."""
    samples: list[Sample] = field(default_factory=list)
    buys: dict[str, list[FillMarker]] = field(default_factory=dict)
    sells: dict[str, list[FillMarker]] = field(default_factory=dict)
    failed_fills: list[FailedFill] = field(default_factory=list)
    failed_fill_count: int = 0
    anomalies: tuple[Anomaly, ...] = ()
    final: InventoryManager | None = None

    def token_ids(self) -> list[str]:
        """Every token any sample holds, in the order the ledger first saw them."""
        seen: dict[str, None] = {}
        for sample in self.samples:
            for token_id in sample.tokens:
                seen.setdefault(token_id, None)
        return list(seen)


def _sample(manager: InventoryManager, seq: int, time_us: int) -> Sample:
    """The manager's state as a sample. Equity is the snapshot's `totalUsd` plus each token's
    cost and unrealised PnL, summed with `math.fsum` (correctly rounded, so in any order)."""
    state = manager.snapshot()
    tokens = {
        token_id: TokenPoint(
            float(token.qty),
            token.current_price,
            token.total_cost,
            float(token.realized_pnl),
            token.unrealized_pnl,
        )
        for token_id, token in state.tokens.items()
    }
    terms = [state.total_usd]
    for token in state.tokens.values():
        terms += (token.total_cost, token.unrealized_pnl)
    return Sample(seq, time_us, state.total_usd, state.in_flight_usd, math.fsum(terms), tokens)


def _check_points(name: str, value: object) -> int:
    if type(value) is not int or not 1 <= value <= MAX_POINTS_LIMIT:
        raise InvalidInput(name, value, f"an integer 1..{MAX_POINTS_LIMIT} is required")
    return value


def collect_series(
    store: PersistenceLayer,
    session_id: str,
    *,
    max_points: int = DEFAULT_MAX_POINTS,
    max_rows: int = DEFAULT_MAX_ROWS,
    advance: Advance | None = None,
) -> SessionSeries:
    """Replay the session's journal into series of at most `max_points` points each; `advance`
    is told how many rows were replayed, every few thousand.

    Raises `InvalidInput` for a bad argument, `SessionNotFound` for an unknown session,
    `StoreError` for a journal row that holds no valid event.
    """
    check_id("session_id", session_id)
    _check_points("max_points", max_points)
    _check_points("max_rows", max_rows)
    store.load_session(session_id)
    # Rows a live session writes after the count is taken are the next report's.
    last = store.last_seq(session_id)
    bucket = max(1, -(-last // max_points))
    series = SessionSeries(session_id, last, bucket)
    pending_failed: list[tuple[int, int, str]] = []
    # Markers of the bucket in progress, whose time is its sample's: at most two per token.
    open_markers: list[FillMarker] = []
    buys = series.buys
    sells = series.sells
    samples = series.samples

    def events(run: EventRun) -> None:
        if run.duplicate:
            return  # refused again on replay: no fill, no marker
        seq = run.seq
        for i, event in enumerate(run.events):
            tp = type(event)
            if tp is BuyFilled or tp is SellFilled:
                fill: BuyFilled | SellFilled = event  # type: ignore[assignment]
                markers = (buys if tp is BuyFilled else sells).setdefault(fill.token_id, [])
                at = min(-(-(seq + i) // bucket) * bucket, last)  # the bucket's sample
                if not markers or markers[-1].seq != at:
                    markers.append(FillMarker(at, 0))
                    open_markers.append(markers[-1])
                marker = markers[-1]
                marker.count += 1
                marker.qty_micro += fill.fill_qty_micro
                marker.notional += fill.fill_qty_micro * fill.price_micro
            elif tp is FillStatusChanged:
                status: FillStatusChanged = event  # type: ignore[assignment]
                if status.status == _FAILED:
                    series.failed_fill_count += 1
                    if len(pending_failed) + len(series.failed_fills) < max_rows:
                        pending_failed.append((seq + i, run.recorded(i), status.fill_id))

    done = [0]

    def pause(seq: int, recorded_at: int, manager: Any) -> None:
        # A sample at most `max_points` times: the progress bar moves with them.
        if advance is not None:
            advance(seq - done[0])
            done[0] = seq
        # `events` hands over a run of rows before the replay pauses inside it: what belongs to
        # a later row waits for that row's pause.
        later = [marker for marker in open_markers if marker.seq > seq]
        for marker in open_markers:
            if marker.seq <= seq:
                marker.time_us = recorded_at
        open_markers[:] = later
        _resolve_failed(manager, seq, pending_failed, series.failed_fills)
        samples.append(_sample(manager, seq, recorded_at))

    replayed = replay_checked(
        InventoryManager,
        store,
        session_id,
        strict=False,
        until_seq=last,
        pause_every=bucket,
        pause_at=(last,),
        on_pause=pause,
        on_events=events,
    )
    manager: InventoryManager = replayed.manager
    series.anomalies = manager.anomalies()
    series.final = manager
    return series


def _resolve_failed(
    manager: InventoryManager,
    upto: int,
    pending: list[tuple[int, int, str]],
    out: list[FailedFill],
) -> None:
    """Move the failed fills of rows up to `upto` from `pending` to `out`, each as the ledger
    (after row `upto`) books it."""
    later = [item for item in pending if item[0] > upto]
    for seq, time_us, fill_id in pending:
        if seq > upto:
            continue
        rec = manager.fill_record(fill_id)
        if rec is None:
            out.append(FailedFill(seq, time_us or 0, fill_id, None, None, None, None))
        else:
            out.append(
                FailedFill(seq, time_us or 0, fill_id, rec.side, rec.token_id, rec.qty, rec.price)
            )
    pending[:] = later


def utc_text(time_us: int) -> str:
    """Microseconds since the epoch as `2026-12-01 23:59:59.123456` (UTC), as plotly reads
    dates."""
    return (
        datetime.fromtimestamp(time_us // MICRO, UTC)
        .replace(microsecond=time_us % MICRO)
        .strftime("%Y-%m-%d %H:%M:%S.%f")
    )
