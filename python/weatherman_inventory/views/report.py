"""`report`: one self-contained HTML page of a session, with charts drawn by plotly.js.

The page needs no network: plotly.js is inlined, and the figures are JSON in the page. It shows
equity (cash plus every position at its mark) and cash / in flight over the session, each
token's mark with its fills, position and realised / unrealised PnL, and the tables of
anomalies, failed fills and reconciliation differences. Series come from
`series.collect_series`, so the page's size is bounded by the points per series, not by the
journal.
"""

from __future__ import annotations

import argparse
import html
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson
from plotly.offline import get_plotlyjs  # type: ignore[import-untyped]

from weatherman_inventory.errors import InvalidInput
from weatherman_inventory.events import MICRO
from weatherman_inventory.manager import Anomaly
from weatherman_inventory.store import DB_HELP, PersistenceLayer, SessionRow, missing_database
from weatherman_inventory.views.progress import Advance, replay_progress
from weatherman_inventory.views.series import (
    DEFAULT_MAX_POINTS,
    DEFAULT_MAX_ROWS,
    MAX_POINTS_LIMIT,
    FillMarker,
    Sample,
    SessionSeries,
    collect_series,
    utc_text,
)

__all__ = [
    "RECONCILIATION_PREFIX",
    "Chart",
    "build_charts",
    "register",
    "render_html",
    "run",
    "write_report",
]

RECONCILIATION_PREFIX: Final = "reconcil"
"""Anomalies whose kind starts with this are reconciliation differences (the ledger and the
venue's account disagreeing): listed in their own table as well as with the anomalies."""

_MODE: Final = "lines+markers"
_HOVER: Final = "%{x}<br>event %{customdata}<br>%{y}<extra>%{fullData.name}</extra>"


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart of the page: its element id, its title and the plotly figure (`data`, the
    traces, and `layout`, as plotly.js takes them)."""

    id: str
    title: str
    figure: dict[str, Any]


def _x(series: SessionSeries, seqs: Iterable[int], times: Iterable[int]) -> list[Any]:
    """The x axis: UTC times when every sample has one, else journal sequence numbers."""
    if _timed(series):
        return [utc_text(t) for t in times]
    return list(seqs)


def _timed(series: SessionSeries) -> bool:
    return bool(series.samples) and all(s.time_us for s in series.samples)


def _line(
    name: str, samples: Sequence[Sample], series: SessionSeries, y: Callable[[Sample], float]
) -> dict[str, Any]:
    return dict(
        type="scatter",
        name=name,
        mode=_MODE,
        x=_x(series, (s.seq for s in samples), (s.time_us for s in samples)),
        y=[y(s) for s in samples],
        customdata=[s.seq for s in samples],
        hovertemplate=_HOVER,
        marker={"size": 4},
    )


def _of(token_id: str, name: str) -> Callable[[Sample], float]:
    """A token's field at a sample."""

    def value(sample: Sample) -> float:
        return float(getattr(sample.tokens[token_id], name))

    return value


def _fills(
    name: str, markers: Sequence[FillMarker], series: SessionSeries, symbol: str
) -> dict[str, Any]:
    """One marker per bucket with fills, at their average price; `customdata` is (journal row
    of the bucket's sample, fills, shares)."""
    return dict(
        type="scatter",
        name=name,
        mode="markers",
        x=_x(series, (m.seq for m in markers), (m.time_us for m in markers)),
        y=[m.price for m in markers],
        customdata=[(m.seq, m.count, m.qty_micro / MICRO) for m in markers],
        hovertemplate="%{x}<br>event %{customdata[0]}<br>%{customdata[1]} fill(s), "
        "%{customdata[2]} shares at %{y}<extra>%{fullData.name}</extra>",
        marker={"size": 9, "symbol": symbol, "line": {"width": 1}},
    )


def _figure(
    traces: list[dict[str, Any]], title: str, timed: bool, rows: Sequence[str] = ()
) -> dict[str, Any]:
    """A figure of `traces`; with `rows` (subplot titles), stacked plots sharing the x axis,
    trace `i` drawn on the plot its `yaxis` names. No template: plotly.js's own defaults, since
    copying a template into every figure is most of the time building them."""
    axis_title = "time (UTC)" if timed else "journal row"
    layout: dict[str, Any] = {
        "template": {},
        "title": {"text": title},
        "height": 360 if not rows else 240 * len(rows),
        "margin": {"l": 60, "r": 20, "t": 60, "b": 40},
        "legend": {"orientation": "h", "x": 1, "xanchor": "right", "y": 1.0, "yanchor": "bottom"},
        "hovermode": "closest",
        "xaxis": {"title": {"text": axis_title}},
    }
    if rows:
        gap = 0.06
        height = (1 - gap * (len(rows) - 1)) / len(rows)
        annotations = []
        for i, text in enumerate(rows, 1):
            top = 1 - (i - 1) * (height + gap)
            suffix = "" if i == 1 else str(i)
            layout[f"xaxis{suffix}"] = {
                "anchor": f"y{suffix}",
                "showticklabels": i == len(rows),
                **({"title": {"text": axis_title}} if i == len(rows) else {}),
                **({} if i == len(rows) else {"matches": f"x{len(rows)}"}),
            }
            layout[f"yaxis{suffix}"] = {"anchor": f"x{suffix}", "domain": [top - height, top]}
            annotations.append(
                {"text": text, "x": 0.5, "y": top, "xref": "paper", "yref": "paper",
                 "xanchor": "center", "yanchor": "bottom", "showarrow": False}
            )  # fmt: skip
        layout["annotations"] = annotations
    return {"data": traces, "layout": layout}


def _on(trace: dict[str, Any], row: int) -> dict[str, Any]:
    """The trace, drawn on the plot of row `row` (1: the top one)."""
    if row > 1:
        trace.update(xaxis=f"x{row}", yaxis=f"y{row}")
    return trace


def build_charts(series: SessionSeries) -> list[Chart]:
    """The page's charts, in page order: equity, cash and in flight, then one per token (its
    mark with buys and sells, its position, its realised and unrealised PnL).
    Line traces have one point per sample (a token's, per sample holding the token); fill
    traces one per bucket with fills."""
    samples = series.samples
    timed = _timed(series)
    charts: list[Chart] = []
    fig = _figure(
        [_line("equity", samples, series, lambda s: s.equity)],
        "Equity: cash plus positions at their marks ($)",
        timed,
    )
    charts.append(Chart("chart-equity", "Equity", fig))
    fig = _figure(
        [
            _line("cash", samples, series, lambda s: s.cash),
            _line("in flight", samples, series, lambda s: s.in_flight),
        ],
        "Cash and cash in flight ($)",
        timed,
    )
    charts.append(Chart("chart-cash", "Cash and in flight", fig))
    for n, token_id in enumerate(series.token_ids()):
        held = [s for s in samples if token_id in s.tokens]
        traces = [_line("mark", held, series, _of(token_id, "mark"))]
        for name, side, symbol in (
            ("buys", series.buys, "triangle-up"),
            ("sells", series.sells, "triangle-down"),
        ):
            markers = side.get(token_id, [])
            if markers:
                traces.append(_fills(name, markers, series, symbol))
        traces += [
            _on(_line("shares", held, series, _of(token_id, "qty")), 2),
            _on(_line("realised", held, series, _of(token_id, "realized_pnl")), 3),
            _on(_line("unrealised", held, series, _of(token_id, "unrealized_pnl")), 3),
        ]
        rows = ("mark and fills ($/share)", "position (shares)", "PnL ($)")
        fig = _figure(traces, f"Token {token_id}", timed, rows)
        charts.append(Chart(f"chart-token-{n}", f"Token {token_id}", fig))
    return charts


def _usd(micro: int) -> str:
    """micro-USDC as exact dollars: `$60.00`, `-$0.620001`."""
    whole, frac = divmod(abs(micro), MICRO)
    cents = f"{frac:06d}".rstrip("0").ljust(2, "0")
    return f"{'-' if micro < 0 else ''}${whole:,}.{cents}"


def _shares(micro: int) -> str:
    whole, frac = divmod(abs(micro), MICRO)
    tail = f"{frac:06d}".rstrip("0")
    return f"{'-' if micro < 0 else ''}{whole:,}{'.' + tail if tail else ''}"


def _table(caption: str, head: Sequence[str], rows: Iterable[Sequence[object]], total: int) -> str:
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    shown = body.count("<tr>")
    more = (
        f'<p class="more">{total - shown} more not shown: <code>history</code> and '
        f"<code>export</code> list every event.</p>"
        if total > shown
        else ""
    )
    if not total:
        return f'<h2>{html.escape(caption)}</h2><p class="none">None.</p>'
    heads = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return (
        f"<h2>{html.escape(caption)} ({total})</h2>"
        f"<table><thead><tr>{heads}</tr></thead><tbody>{body}</tbody></table>{more}"
    )


def _anomaly_rows(anomalies: Sequence[Anomaly], limit: int) -> list[tuple[object, ...]]:
    return [
        (n, a.kind.value, "" if a.event is None else a.event.kind, a.message)
        for n, a in enumerate(anomalies[:limit], 1)
    ]


def _summary(row: SessionRow, series: SessionSeries) -> str:
    manager = series.final
    assert manager is not None
    unsettled = manager.unsettled_usd_micro
    cash = manager.cash_micro
    in_flight = manager.in_flight_micro
    last = series.samples[-1] if series.samples else None
    facts: list[tuple[str, str]] = [
        ("session", row.id),
        ("mode", row.mode),
        ("strategy", row.strategy_id),
        ("started", row.started_at),
        ("journal rows", f"{series.events:,}"),
        ("rows per point", f"{series.bucket:,}"),
        ("initial capital", _usd(manager.initial_capital_micro)),
        ("cash", _usd(cash)),
        ("in flight", _usd(in_flight)),
        ("unsettled", _usd(unsettled)),
        ("accessible", _usd(cash - in_flight - unsettled)),
        ("cash adjustments", _usd(manager.adjustments_micro)),
        ("equity", "" if last is None else f"${last.equity:,.6f}"),
        ("exit triggered", "yes" if manager.exit_triggered else "no"),
    ]
    cells = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in facts
    )
    return f'<table class="summary"><tbody>{cells}</tbody></table>'


def _positions(series: SessionSeries) -> str:
    manager = series.final
    assert manager is not None
    state = manager.snapshot()
    rows = []
    for record in manager.position_records():
        token = state.tokens[record.token_id]
        rows.append(
            (
                record.token_id,
                record.market_id,
                record.outcome.value,
                _shares(record.qty_micro),
                f"{token.avg_entry_price}",
                f"{token.current_price}",
                _usd(record.cost_micro),
                _usd(record.realized_micro),
                f"{token.unrealized_pnl:.6f}",
            )
        )
    head = ("token", "market", "outcome", "shares", "average", "mark", "cost", "realised",
            "unrealised $")  # fmt: skip
    return _table("Positions at the end", head, rows, len(rows))


_STYLE: Final = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; max-width: 1200px; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
td { font-variant-numeric: tabular-nums; }
.chart { margin: 12px 0; border: 1px solid #eee; }
.more, .none { color: #666; font-size: 13px; }
"""

_DRAW: Final = """
const charts = JSON.parse(document.getElementById("charts").textContent);
Promise.all(charts.map((c) => Plotly.newPlot(c.id, c.figure.data, c.figure.layout,
  {displaylogo: false, responsive: true}))).then(
  () => { document.body.dataset.chartsDrawn = String(charts.length); },
  (err) => { console.error("chart failed:", err); });
"""


def render_html(row: SessionRow, series: SessionSeries, charts: Sequence[Chart]) -> str:
    """The page: the summary, the charts and the tables, plotly.js inlined."""
    failed = [
        (
            f.seq,
            "" if not f.time_us else utc_text(f.time_us),
            f.fill_id,
            f.side or "",
            f.token_id or "(no record: unknown or booked final)",
            "" if f.qty_micro is None else _shares(f.qty_micro),
            "" if f.price_micro is None else _usd(f.price_micro),
        )
        for f in series.failed_fills
    ]
    anomalies = series.anomalies
    reconciliation = [a for a in anomalies if a.kind.value.startswith(RECONCILIATION_PREFIX)]
    rows_kept = DEFAULT_MAX_ROWS
    figures = ",".join(
        f'{{"id":{json.dumps(c.id)},"figure":{orjson.dumps(c.figure).decode()}}}' for c in charts
    )
    # JSON inside a script element: "</script" or "<!--" in an id would end or hide the rest.
    # "<" appears only inside JSON strings, where \u003c is the same character.
    figures = f"[{figures}]".replace("<", "\\u003c")
    divs = "".join(
        f'<div class="chart" id="{html.escape(c.id)}" aria-label="{html.escape(c.title)}"></div>'
        for c in charts
    )
    title = f"Session {row.id}"
    return "".join(
        (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
            f"<title>{html.escape(title)}: report</title>",
            '<link rel="icon" href="data:,">',
            f"<style>{_STYLE}</style>",
            f"<script>{get_plotlyjs()}</script></head><body>",
            f"<h1>{html.escape(title)}</h1>",
            _summary(row, series),
            divs,
            _positions(series),
            _table(
                "Anomalies",
                ("#", "kind", "event", "message"),
                _anomaly_rows(anomalies, rows_kept),
                len(anomalies),
            ),
            _table(
                "Failed fills",
                ("journal row", "time (UTC)", "fill", "side", "token", "shares", "price"),
                failed,
                series.failed_fill_count,
            ),
            _table(
                "Reconciliation differences",
                ("#", "kind", "event", "message"),
                _anomaly_rows(reconciliation, rows_kept),
                len(reconciliation),
            ),
            f'<script type="application/json" id="charts">{figures}</script>',
            f"<script>{_DRAW}</script></body></html>\n",
        )
    )


def write_report(
    store: PersistenceLayer,
    session_id: str,
    out: str | os.PathLike[str],
    *,
    max_points: int = DEFAULT_MAX_POINTS,
    advance: Advance | None = None,
) -> SessionSeries:
    """Write the session's report to `out` (through a temporary file, so a reader never sees
    half a page) and return the series it draws; `advance` is told the rows replayed."""
    series = collect_series(store, session_id, max_points=max_points, advance=advance)
    row = store.load_session(session_id)
    page = render_html(row, series, build_charts(series))
    path = Path(out)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return series


def register(commands: Any) -> None:
    """Add `report` to the CLI's subcommands."""
    parser = commands.add_parser(
        "report",
        help="write a session's report: one HTML page with charts and tables",
        description=(
            "Replay the session's journal and write one self-contained HTML page (no network "
            "needed to open it): equity and cash / in flight over the session, each token's "
            "mark with its fills, position and realised / unrealised PnL, and the tables of "
            "anomalies, failed fills and reconciliation differences. Long sessions are "
            "downsampled to at most --points points per series."
        ),
        epilog=(
            "example: python -m weatherman_inventory report --db var/weatherman-demo.sqlite "
            "--session demo-s42 --out report.html"
        ),
    )
    parser.add_argument("--db", required=True, help=DB_HELP)
    parser.add_argument("--session", required=True, help="session id")
    parser.add_argument("--out", required=True, help="the HTML file to write")
    parser.add_argument(
        "--points",
        type=int,
        default=DEFAULT_MAX_POINTS,
        help=f"most points per series (default {DEFAULT_MAX_POINTS})",
    )


def run(args: argparse.Namespace) -> int:
    """`report`: write the page and print its path."""
    if missing_database(args.db):
        raise InvalidInput("--db", args.db, "no such file")
    if not os.path.isdir(os.path.dirname(os.path.abspath(args.out))):
        raise InvalidInput("--out", args.out, "its directory does not exist")
    if not 1 <= args.points <= MAX_POINTS_LIMIT:
        raise InvalidInput("--points", args.points, f"an integer 1..{MAX_POINTS_LIMIT} is required")
    with PersistenceLayer(args.db, readonly=True) as store:
        total = store.last_seq(args.session)
        with replay_progress("replaying", total) as advance:
            write_report(store, args.session, args.out, max_points=args.points, advance=advance)
    print(os.path.abspath(args.out))
    return 0
