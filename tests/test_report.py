"""`report`: its charts' data against managers recovered from the journal's first N events, the
page in a real headless Chromium, the bounds that keep it small, and the command line."""

from __future__ import annotations

import html
import logging
import math
import os
import random
import re
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tools.headless import Page, find_chromium

from tests.event_streams import INITIAL_CAPITAL, MARKETS, make_stream
from tests.support import execute_sql, run_cli
from weatherman_inventory.events import MICRO
from weatherman_inventory.journal import open_session, recover_session, replay
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.store import PersistenceLayer
from weatherman_inventory.views.report import build_charts, write_report
from weatherman_inventory.views.series import SessionSeries, collect_series

SID = "sess-report"
STREAM_SEED = 23
STREAM_LENGTH = 1200
ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.usefixtures("quiet_anomalies")


@pytest.fixture(scope="module")
def session_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session of a fixed random stream: fills in parts, provisional fills that settle or
    fail, duplicates, mints and merges, price ticks and anomalies."""
    db = tmp_path_factory.mktemp("report") / "session.sqlite"
    _write_session(db, STREAM_SEED, STREAM_LENGTH)
    return db


def _write_session(db: Path, seed: int, length: int) -> None:
    logger = logging.getLogger("weatherman_inventory")
    level = logger.level
    logger.setLevel(logging.ERROR)  # the stream contradicts the ledger on purpose
    try:
        with PersistenceLayer(db, mode="paper") as store:
            manager = open_session(InventoryManager, store, SID, INITIAL_CAPITAL, markets=MARKETS)
            for event in make_stream(seed, length):
                manager.apply(event)
    finally:
        logger.setLevel(level)


def _series(db: Path, max_points: int) -> SessionSeries:
    with PersistenceLayer(db, readonly=True) as store:
        return collect_series(store, SID, max_points=max_points)


def _first_events(db: Path, n: int, tmp: Path) -> tuple[InventoryManager, Any]:
    """A manager recovered from a copy of the database cut after journal row `n`, and the
    fills table recovery rebuilt for it."""
    copy = tmp / f"first-{n}.sqlite"
    shutil.copyfile(db, copy)
    execute_sql(copy, f"DELETE FROM journal WHERE session_id = '{SID}' AND seq > {n}")
    with PersistenceLayer(copy) as store:
        manager = recover_session(InventoryManager, store, SID)
        fills = store.load_fills(SID)
        store.unlock_session(SID)
    return manager, fills


def _traces(charts: list[Any]) -> dict[tuple[str, str], Any]:
    """(chart title, trace name) -> the trace, as the page gets it."""
    return {(c.title, t["name"]): t for c in charts for t in c.figure["data"]}


def _at(trace: Any, seq: int) -> float:
    """The trace's value at the point of journal row `seq`."""
    return float(trace["y"][trace["customdata"].index(seq)])


def _check_charts_at(charts: list[Any], n: int, manager: InventoryManager, fills: Any) -> None:
    traces = _traces(charts)
    state = manager.snapshot()
    terms = [state.total_usd]
    for token in state.tokens.values():
        terms += (token.total_cost, token.unrealized_pnl)
    assert _at(traces["Equity", "equity"], n) == math.fsum(terms)
    assert _at(traces["Cash and in flight", "cash"], n) == state.total_usd
    assert _at(traces["Cash and in flight", "in flight"], n) == state.in_flight_usd
    for token_id, token in state.tokens.items():
        title = f"Token {token_id}"
        assert _at(traces[title, "mark"], n) == token.current_price
        assert _at(traces[title, "shares"], n) == float(token.qty)
        assert _at(traces[title, "realised"], n) == float(token.realized_pnl)
        assert _at(traces[title, "unrealised"], n) == token.unrealized_pnl
    # Every fill up to row n is in a marker at or before n, no later one.
    booked: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for fill in fills:
        totals = booked[fill.token_id, {"buy": "buys", "sell": "sells"}[fill.side]]
        totals[0] += 1
        totals[1] += fill.qty
        totals[2] += fill.qty * fill.price
    drawn: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for (title, name), trace in traces.items():
        if name in ("buys", "sells"):
            for price, (seq, count, shares) in zip(trace["y"], trace["customdata"], strict=True):
                if seq <= n:
                    sums = drawn[title.removeprefix("Token "), name]
                    sums[0] += count
                    sums[1] += round(shares * MICRO)
                    sums[2] += price * shares * MICRO * MICRO
    assert sorted(drawn) == sorted(booked)
    for key, (count, qty, notional) in booked.items():
        assert drawn[key][:2] == [count, qty]
        assert drawn[key][2] == pytest.approx(notional, rel=1e-9)


def _random_ns(rng: random.Random, candidates: list[int], k: int) -> list[int]:
    return sorted(rng.sample(candidates, k))


def test_each_chart_equals_a_manager_recovered_from_the_first_n_events(
    session_db: Path, tmp_path: Path
) -> None:
    series = _series(session_db, max_points=STREAM_LENGTH + 1)
    assert series.bucket == 1
    assert len(series.samples) == series.events == STREAM_LENGTH + 1
    charts = build_charts(series)
    rng = random.Random(os.environ.get("REPORT_TEST_SEED", "7"))
    for n in [*_random_ns(rng, list(range(1, series.events + 1)), 6), series.events]:
        manager, fills = _first_events(session_db, n, tmp_path)
        _check_charts_at(charts, n, manager, fills)


def test_downsampled_charts_equal_recovered_managers_at_their_points(
    session_db: Path, tmp_path: Path
) -> None:
    series = _series(session_db, max_points=50)
    # 1201 rows in buckets of 25: 48 full buckets and the last row.
    assert series.bucket == 25
    assert [s.seq for s in series.samples] == [*range(25, 1201, 25), 1201]
    charts = build_charts(series)
    for trace in charts[0].figure["data"] + charts[1].figure["data"]:
        assert len(trace["x"]) == len(trace["y"]) == 49
    rng = random.Random(11)
    for n in [*_random_ns(rng, [s.seq for s in series.samples], 4), series.events]:
        manager, fills = _first_events(session_db, n, tmp_path)
        _check_charts_at(charts, n, manager, fills)


def test_series_stay_within_their_bounds_however_long_the_journal(session_db: Path) -> None:
    series = _series(session_db, max_points=10)
    assert series.bucket == 121
    assert len(series.samples) == 10
    for markers in [*series.buys.values(), *series.sells.values()]:
        assert len(markers) <= 10
    with PersistenceLayer(session_db, readonly=True) as store:
        few = collect_series(store, SID, max_points=10, max_rows=3)
    assert few.failed_fill_count > 3
    assert len(few.failed_fills) == 3
    assert few.failed_fill_count == len(_series(session_db, 500).failed_fills)


def test_failed_fills_name_the_fill_as_booked(session_db: Path) -> None:
    series = _series(session_db, max_points=500)
    with PersistenceLayer(session_db, readonly=True) as store:
        replayed = replay(InventoryManager, store, SID)
    assert series.failed_fills
    for failed in series.failed_fills:
        record = replayed.fill_record(failed.fill_id)
        if record is None:
            assert (failed.side, failed.token_id, failed.qty_micro) == (None, None, None)
        else:
            assert (failed.side, failed.token_id, failed.qty_micro, failed.price_micro) == (
                record.side,
                record.token_id,
                record.qty,
                record.price,
            )


# -- the page in a browser ------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Iterator[str]:
    """The system Chromium, installed by `make chromium` when missing. Skips only where it
    cannot be installed; under CI it must be there."""
    found = find_chromium()
    if found is None:
        subprocess.run(["make", "-s", "chromium"], cwd=ROOT, check=False, timeout=900)
        found = find_chromium()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing and `make chromium` could not install it")
        pytest.skip("Chromium cannot be installed here (make chromium failed)")
    yield found


_DRAWN_MARKS = """
Array.from(document.querySelectorAll(".js-plotly-plot")).map((gd) => ({
  id: gd.id,
  traces: gd._fullData.map((t) => ({
    name: t.name,
    points: t.x.length,
    drawn: gd.querySelectorAll(".trace" + t.uid + " path.point").length,
  })),
}))
"""


@pytest.mark.parametrize("max_points", [40, 1500])
def test_the_page_loads_offline_and_draws_every_point(
    session_db: Path, tmp_path: Path, chromium: str, max_points: int
) -> None:
    out = tmp_path / "report.html"
    with PersistenceLayer(session_db, readonly=True) as store:
        series = write_report(store, SID, out, max_points=max_points)
    charts = build_charts(series)
    expected = {c.id: [(t["name"], len(t["x"])) for t in c.figure["data"]] for c in charts}
    with Page(width=1280, height=900, chromium=chromium) as page:
        page.open(out)
        assert page.wait_until("document.body.dataset.chartsDrawn") == str(len(charts))
        drawn = page.evaluate(_DRAWN_MARKS)
        assert page.problems() == []
        assert page.requests() == [out.resolve().as_uri()]
    assert [d["id"] for d in drawn] == list(expected)
    for chart in drawn:
        assert [(t["name"], t["points"]) for t in chart["traces"]] == expected[chart["id"]]
        for trace in chart["traces"]:
            assert trace["drawn"] == trace["points"], (chart["id"], trace["name"])
    samples = len(series.samples)
    assert samples == -(-(STREAM_LENGTH + 1) // series.bucket) <= max_points
    assert dict(expected["chart-equity"]) == {"equity": samples}
    assert dict(expected["chart-cash"]) == {"cash": samples, "in flight": samples}


def test_a_page_with_a_script_error_is_caught(tmp_path: Path, chromium: str) -> None:
    page_path = tmp_path / "broken.html"
    page_path.write_text(
        '<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>'
        '<img src="missing.png"><script>console.error("boom"); undefinedCall();</script>'
        "</body></html>"
    )
    with Page(chromium=chromium) as page:
        page.open(page_path)
        problems = page.problems()
    assert any("console error: boom" in p for p in problems)
    assert any("undefinedCall" in p for p in problems)
    assert any(p.startswith("request failed: net::ERR_FILE_NOT_FOUND") for p in problems)


# -- the command line -----------------------------------------------------------------------


def test_cli_report_writes_the_page_and_prints_its_path(session_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = run_cli("report", "--db", str(session_db), "--session", SID, "--out", str(out))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"{out.resolve()}\n"
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "<script src" not in page and "https://" not in page.split("<script>")[0]
    assert f"<h1>Session {SID}</h1>" in page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--session", "nope"), "session"),
        (("--session", SID, "--points", "0"), "--points"),
        (("--session", SID, "--points", "100001"), "--points"),
        (("--session", SID, "--out", "no-such-dir/r.html"), "--out='no-such-dir/r.html'"),
    ],
)
def test_cli_report_refuses_bad_input_and_writes_nothing(
    session_db: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    out = tmp_path / "r.html"
    result = run_cli("report", "--db", str(session_db), "--out", str(out), *args)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert not out.exists()


def test_cli_report_names_a_missing_database(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    missing = tmp_path / "none.sqlite"
    result = run_cli("report", "--db", str(missing), "--session", SID, "--out", str(out))
    assert result.returncode == 2
    assert "--db" in result.stderr and str(missing) in result.stderr
    assert not out.exists() and not missing.exists()


def test_report_of_the_83759e3_fixture_without_a_session_opened_row(tmp_path: Path) -> None:
    db = tmp_path / "fixture.sqlite"
    shutil.copyfile(ROOT / "tests" / "fixtures" / "main-83759e3.sqlite", db)
    with PersistenceLayer(db):
        pass  # upgrades the schema, as any writer does
    with PersistenceLayer(db, readonly=True) as store:
        series = write_report(store, "sess-main-83759e3", tmp_path / "r.html")
        twin = replay(InventoryManager, store, "sess-main-83759e3")
    assert series.events == 23 and len(series.samples) == 23
    assert series.samples[-1].cash == 948.03
    assert series.samples[-1].equity == pytest.approx(1004.18, abs=1e-9)
    assert series.final is not None
    assert series.final.ledger_state() == twin.ledger_state()


def _charts_json(page: str) -> str:
    start = page.index('<script type="application/json" id="charts">')
    return page[start : page.index("</script>", start)]


def test_the_charts_do_not_grow_with_the_journal(tmp_path: Path) -> None:
    """However long the journal, each trace holds at most --points points and the charts'
    JSON at most ~100 bytes a point (a time, a value, a journal row)."""
    for length in (1200, 9600):
        db = tmp_path / f"s{length}.sqlite"
        _write_session(db, 5, length)
        page = tmp_path / f"r{length}.html"
        with PersistenceLayer(db, readonly=True) as store:
            series = write_report(store, SID, page, max_points=60)
        traces = [t for c in build_charts(series) for t in c.figure["data"]]
        assert max(len(t["x"]) for t in traces) <= 60
        assert len(_charts_json(page.read_text())) < 100 * 60 * len(traces)


HOSTILE = '</script><script>document.title="owned"</script><!--'


def test_ids_with_markup_stay_text_in_the_page(tmp_path: Path) -> None:
    db = tmp_path / "hostile.sqlite"
    with PersistenceLayer(db, mode="paper") as store:
        manager = open_session(InventoryManager, store, SID, 100)
        manager.on_order_submitted_buy("b-1", "mkt<b>", HOSTILE, "YES", 10, 40)
        manager.on_fill_buy(
            "b-1", HOSTILE, "mkt<b>", "YES", 10, "0.40", 10, fill_id="f<1>", status="MATCHED"
        )
        manager.on_fill_status("f<1>", "FAILED")
    out = tmp_path / "r.html"
    with PersistenceLayer(db, readonly=True) as store:
        series = write_report(store, SID, out)
    page = out.read_text()
    # The page's own three scripts end where they should, and nothing else does.
    assert page.count("</script>") == 3
    assert HOSTILE not in page
    assert html.escape(HOSTILE) in page  # the positions and failed fills tables
    charts = build_charts(series)
    assert [c.title for c in charts] == ["Equity", "Cash and in flight", f"Token {HOSTILE}"]
    assert series.failed_fill_count == 1
    assert series.failed_fills[0].token_id == HOSTILE


def test_rows_without_a_time_put_the_journal_row_on_the_x_axis(
    session_db: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "untimed.sqlite"
    shutil.copyfile(session_db, copy)
    execute_sql(copy, f"UPDATE journal SET recorded_at = 0 WHERE session_id = '{SID}' AND seq = 13")
    timed_series = _series(session_db, max_points=100)
    assert timed_series.bucket == 13  # row 13 is the first point
    timed = build_charts(timed_series)
    untimed = build_charts(_series(copy, max_points=100))
    equity = untimed[0].figure
    assert equity["data"][0]["x"] == equity["data"][0]["customdata"]
    assert equity["layout"]["xaxis"]["title"]["text"] == "journal row"
    first_time = timed[0].figure["data"][0]["x"][0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", first_time)
    assert equity["data"][0]["y"] == timed[0].figure["data"][0]["y"]


def test_a_failed_fill_handed_over_in_a_long_run_is_booked_as_of_its_own_row(
    tmp_path: Path,
) -> None:
    # Past its first batch the journal is replayed natively and handed to the series a run of
    # rows at a time, before the replay pauses inside the run: a status of a later row was
    # resolved at an earlier sample, before its fill was booked (token None).
    db = tmp_path / "late.sqlite"
    with PersistenceLayer(db, mode="paper") as store:
        manager = open_session(InventoryManager, store, SID, 100)
        manager.on_order_submitted_buy("b-1", "mkt", "tok", "YES", 20, 40)
        manager.on_fill_buy("b-1", "tok", "mkt", "YES", 10, "0.40", 20, fill_id="f0")
        for i in range(800):
            manager.update_prices({"tok": 30 + i % 20})
        manager.on_fill_buy(
            "b-1", "tok", "mkt", "YES", 10, "0.40", 20, fill_id="f1", status="MATCHED"
        )
        for i in range(100):
            manager.update_prices({"tok": 30 + i % 20})
        manager.on_fill_status("f1", "FAILED")
        for i in range(100):
            manager.update_prices({"tok": 30 + i % 20})
    with PersistenceLayer(db, readonly=True) as store:
        times = {seq: at for rows in store.journal_rows(SID) for seq, *_, at, _h in rows}
        series = collect_series(store, SID, max_points=10)
    assert (series.events, series.bucket) == (1005, 101)
    (failed,) = series.failed_fills
    assert (failed.seq, failed.time_us) == (905, times[905])
    assert (failed.token_id, failed.qty_micro, failed.price_micro) == ("tok", 10 * MICRO, 400_000)
    # Each fill's marker is drawn at its bucket's sample, at that row's time.
    markers = series.buys["tok"]
    assert [(m.seq, m.time_us, m.count) for m in markers] == [
        (101, times[101], 1),
        (808, times[808], 1),
    ]
    assert [s.seq for s in series.samples] == [*range(101, 1005, 101), 1005]
