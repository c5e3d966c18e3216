"""Crash safety: a writer killed with SIGKILL at random instants loses nothing it acknowledged.

A forked child applies a long random event stream to a database (a SQLite file, a PostgreSQL
schema) through a bound manager
and writes the index of each event to a pipe once its call has returned. The parent kills it
at a random instant, then checks the database: the backend's integrity check passes; the journal is
the stream's first n events with acked <= n <= acked + 1; recovery gives exactly the snapshot
and anomalies of a fresh in-memory manager fed those n events; every fill is in the fills table
once; verify passes. The next child recovers the session and carries on from event n.
"""

from __future__ import annotations

import os
import random
import signal
import time
import traceback

import pytest

from tests.event_streams import INITIAL_CAPITAL, MARKETS, make_stream
from weatherman_inventory.errors import SessionNotFound
from weatherman_inventory.events import BuyFilled, Event, SellFilled
from weatherman_inventory.journal import (
    decode_event,
    open_session,
    recover_session,
    verify_session,
)
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.store import Mode, PersistenceLayer

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("quiet_anomalies")]

SESSION = "crash-session"
KILLS_PER_MODE = 50
STREAM_LENGTH = 40_000


def _child(db: str, mode: Mode, stream: list[Event], write_fd: int) -> None:
    """Open or recover the session, then apply the stream from where the journal ends."""
    try:
        store = PersistenceLayer(db, mode=mode)
        try:
            store.load_session(SESSION)
            manager = recover_session(InventoryManager, store, SESSION)
        except SessionNotFound:
            manager = open_session(
                InventoryManager, store, SESSION, INITIAL_CAPITAL, markets=MARKETS
            )
        start = store.last_seq(SESSION) - 1  # row 1 opens the session; row i + 2 is stream[i]
        os.write(write_fd, b"ready\n")
        for i in range(start, len(stream)):
            manager.apply(stream[i])
            os.write(write_fd, b"%d\n" % i)
        os.write(write_fd, b"done\n")
        os._exit(0)
    except BaseException:
        os.write(write_fd, ("error " + traceback.format_exc()).encode())
        os._exit(1)


def _read_until_ready(fd: int) -> bytes:
    data = b""
    while b"ready\n" not in data and b"error" not in data:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    return data


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _ledger(manager: InventoryManager) -> dict[str, object]:
    """The ledger's state without the anomalies (compared above) and the fill-id set (kept in
    memory by the reference only)."""
    state = manager.ledger_state()
    del state["anomalies"], state["fill_ids"]
    return state


def _expected_fill_ids(stream: list[Event], n: int) -> list[str]:
    """The fills table a correct store holds after stream[:n]: each fill id once, in order."""
    seen: set[str] = set()
    ids = []
    for seq, event in enumerate(stream[:n], start=2):
        if isinstance(event, BuyFilled | SellFilled):
            fill_id = event.fill_id or f"synthetic:{SESSION}:{seq}"
            if fill_id not in seen:
                seen.add(fill_id)
                ids.append(fill_id)
    return ids


@pytest.mark.parametrize("mode", ["live", "paper"])
def test_sigkill_at_random_instants_loses_nothing(store_target: str, mode: Mode) -> None:
    rng = random.Random(20260101 + (mode == "live"))
    stream = make_stream(rng.randrange(2**32), STREAM_LENGTH, exit_at=5_000)
    db = store_target
    kills_wanted = KILLS_PER_MODE
    reference = InventoryManager(INITIAL_CAPITAL)
    fed = 0
    kills = 0
    growth = []
    while kills < kills_wanted:
        assert fed < len(stream), "the stream ran out before enough kills: lengthen it"
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _child(db, mode, stream, write_fd)
        os.close(write_fd)
        try:
            out = _read_until_ready(read_fd)
            assert b"error" not in out, out.decode(errors="replace")
            time.sleep(rng.uniform(0.0, 0.03))
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            out += _read_all(read_fd)
        finally:
            os.close(read_fd)
        text = out.decode(errors="replace")
        assert "error" not in text, text
        if "done" in text:
            continue  # finished before the kill: the next child has nothing left to do
        assert os.WIFSIGNALED(status)
        assert os.WTERMSIG(status) == signal.SIGKILL
        kills += 1
        acks = [int(line) for line in text.split() if line.isdigit()]
        acked = acks[-1] + 1 if acks else fed

        with PersistenceLayer(db, mode=mode) as store:
            assert store.integrity_check() == "ok"
            [opened, *rows] = list(store.iter_journal(SESSION))
            assert opened.kind == "session_opened"
            n = len(rows)
            assert acked <= n <= acked + 1, (acked, n)
            assert [r.seq for r in rows] == list(range(2, n + 2))
            assert [decode_event(r.kind, r.payload) for r in rows[fed:]] == stream[fed:n]
            for event in stream[fed:n]:
                reference.apply(event)
            growth.append(n - fed)
            fed = n

            recovered = recover_session(InventoryManager, store, SESSION)
            assert recovered.snapshot_json() == reference.snapshot_json()
            # The duplicate-fill message differs by design (journal vs memory dedupe); the
            # anomaly's kind and event must be the same.
            assert [(a.kind, a.event) for a in recovered.anomalies()] == [
                (a.kind, a.event) for a in reference.anomalies()
            ]
            assert _ledger(recovered) == _ledger(reference)
            assert [f.fill_id for f in store.load_fills(SESSION)] == _expected_fill_ids(stream, n)
            report = verify_session(store, SESSION)
            assert report.ok, report.render()
    assert kills >= kills_wanted
    # The kills landed across the run, not all before the first event.
    assert sum(1 for g in growth if g > 0) >= kills_wanted // 2
