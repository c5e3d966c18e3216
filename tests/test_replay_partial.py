"""Partial and observed replays (`replay_checked`'s `until_seq`, pauses and `on_events`) against
managers recovered from copies of the journal cut after row N, on the Python path and on the
native one (a journal longer than 5000 rows, read natively past its first batch)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.event_streams import INITIAL_CAPITAL, MARKETS, make_stream
from tests.support import CountingDecoder, execute_sql
from weatherman_inventory import journal
from weatherman_inventory.errors import InvalidInput
from weatherman_inventory.journal import (
    EventRun,
    observed_replays,
    open_session,
    replay,
    replay_checked,
)
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.store import PersistenceLayer
from weatherman_inventory.views.replay import state_at
from weatherman_inventory.views.series import collect_series

SID = "partial"
LENGTH = 6000

pytestmark = pytest.mark.usefixtures("quiet_anomalies")


@pytest.fixture(scope="module")
def long_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session of more than 5000 journal rows: fills in parts, duplicates, settlement
    statuses, mints and merges, price ticks, exit."""
    db = tmp_path_factory.mktemp("partial") / "long.sqlite"
    with PersistenceLayer(db, mode="paper") as store:
        manager = open_session(InventoryManager, store, SID, INITIAL_CAPITAL, markets=MARKETS)
        manager.log_anomalies = False
        for event in make_stream(11, LENGTH):
            manager.apply(event)
        assert store.last_seq(SID) > 5000
    return db


def _rows(db: Path) -> list[tuple[int, int, int]]:
    """(seq, duplicate, recorded_at) of every journal row."""
    with PersistenceLayer(db, readonly=True) as store:
        return [
            (seq, dup, at)
            for rows in store.journal_rows(SID)
            for seq, _kind, _payload, dup, at, _hash in rows
        ]


def _recovered_first(db: Path, n: int, tmp: Path) -> InventoryManager:
    """The manager of a copy of the database whose journal is cut after row `n`."""
    copy = tmp / f"first-{n}.sqlite"
    shutil.copyfile(db, copy)
    execute_sql(copy, f"DELETE FROM journal WHERE session_id = '{SID}' AND seq > {n}")
    with PersistenceLayer(copy, readonly=True) as store:
        return replay(InventoryManager, store, SID)


def _state(manager: Any) -> tuple[str, tuple[Any, ...]]:
    return manager.snapshot_json(), manager.anomalies()


@pytest.mark.parametrize("path", ["native", "python"])
def test_a_replay_paused_at_random_rows_equals_the_journal_cut_there(
    long_db: Path, tmp_path: Path, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = CountingDecoder()
    monkeypatch.setattr(journal, "_NATIVE_DECODER", counting)
    rows = _rows(long_db)
    last = rows[-1][0]
    rng = random.Random(7 if path == "native" else 8)
    # Rows in the first batch, at a batch's edge, in native runs, and the last row.
    picks = sorted({1, 2, 511, 512, 513, 4608, last, *rng.sample(range(3, last), 5)})
    seen: dict[int, tuple[int, tuple[str, tuple[Any, ...]]]] = {}

    def pause(seq: int, recorded_at: int, manager: Any) -> None:
        if seq in picks:
            seen[seq] = (recorded_at, _state(manager))

    with PersistenceLayer(long_db, readonly=True) as store:
        replayed = replay_checked(
            InventoryManager,
            store,
            SID,
            strict=True,
            collect_fills=path == "python",
            pause_every=1000,
            pause_at=picks,
            on_pause=pause,
        )
    assert (counting.scanned > 4000) is (path == "native")
    assert sorted(seen) == picks
    recorded = {seq: at for seq, _dup, at in rows}
    for n in picks:
        at, state = seen[n]
        assert at == recorded[n]
        assert state == _state(_recovered_first(long_db, n, tmp_path))
    assert _state(replayed.manager) == seen[last][1]


@pytest.mark.parametrize("path", ["native", "python"])
def test_pauses_come_after_every_nth_row_and_each_row_asked_for(long_db: Path, path: str) -> None:
    calls: list[int] = []
    with PersistenceLayer(long_db, readonly=True) as store:
        last = store.last_seq(SID)
        replay_checked(
            InventoryManager,
            store,
            SID,
            strict=True,
            collect_fills=path == "python",
            pause_every=700,
            pause_at=(3, 700, 4099, last + 10),
            on_pause=lambda seq, _at, _m: calls.append(seq),
        )
    assert calls == sorted({3, 4099, *range(700, last + 1, 700)})


@pytest.mark.parametrize("path", ["native", "python"])
def test_until_seq_on_a_long_journal_stops_after_that_row(
    long_db: Path, tmp_path: Path, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = CountingDecoder()
    monkeypatch.setattr(journal, "_NATIVE_DECODER", counting)
    rng = random.Random(3)
    last = _rows(long_db)[-1][0]
    for n in (1, 512, 4096 + 512, rng.randrange(600, last), last - 1):
        before = counting.scanned
        with PersistenceLayer(long_db, readonly=True) as store:
            replayed = replay_checked(
                InventoryManager,
                store,
                SID,
                strict=True,
                collect_fills=path == "python",
                until_seq=n,
            )
        scanned = counting.scanned - before
        assert replayed.last_seq == n
        assert _state(replayed.manager) == _state(_recovered_first(long_db, n, tmp_path))
        # The native scan reads past the first batch, and never past the cut.
        if path == "native" and n > 512:
            assert (n - 512) // 2 < scanned <= n - 512
        else:
            assert scanned == 0


def test_on_events_hands_over_every_row_once_in_order_duplicates_alone(long_db: Path) -> None:
    rows = _rows(long_db)
    runs: list[EventRun] = []
    with PersistenceLayer(long_db, readonly=True) as store:
        replay_checked(InventoryManager, store, SID, strict=True, on_events=runs.append)
    got = [
        (run.seq + i, int(run.duplicate), run.recorded(i))
        for run in runs
        for i in range(len(run.events))
    ]
    # Every row but the opening one holds an event.
    assert got == rows[1:]
    assert all(len(run.events) == 1 for run in runs if run.duplicate)
    assert any(run.duplicate for run in runs)


def test_observed_replays_pause_the_replays_inside(long_db: Path) -> None:
    calls: list[int] = []
    with (
        PersistenceLayer(long_db, readonly=True) as store,
        observed_replays(2048, lambda seq, _at, _m: calls.append(seq)),
    ):
        last = store.last_seq(SID)
        replay(InventoryManager, store, SID)
    assert calls == list(range(2048, last + 1, 2048))


@pytest.mark.parametrize(
    ("name", "value"),
    [("pause_every", 0), ("pause_every", "10"), ("until_seq", -1), ("until_seq", 2.0)],
)
def test_a_bad_pause_or_cut_is_refused_naming_it(long_db: Path, name: str, value: object) -> None:
    with PersistenceLayer(long_db, readonly=True) as store, pytest.raises(InvalidInput) as err:
        replay_checked(InventoryManager, store, SID, strict=True, **{name: value})  # type: ignore[arg-type]
    assert (err.value.field, err.value.value) == (name, value)


def test_show_at_and_the_report_read_a_long_journal_natively(
    long_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The views once replayed through a wrapper of the store that forced the Python reader.
    counting = CountingDecoder()
    monkeypatch.setattr(journal, "_NATIVE_DECODER", counting)
    rows = _rows(long_db)
    n = rows[-1][0] - 100
    with PersistenceLayer(long_db, readonly=True) as store:
        state = state_at(store, SID, n)
        shown = counting.scanned
        series = collect_series(store, SID, max_points=50)
    assert (state.seq, state.recorded_at) == (n, rows[n - 1][2])
    assert _state(state.manager) == _state(_recovered_first(long_db, n, tmp_path))
    assert shown > 4000
    assert counting.scanned - shown > 4000
    assert series.final is not None
    assert _state(series.final) == _state(_recovered_first(long_db, rows[-1][0], tmp_path))
