"""One writer per session: a second process is refused while the first holds the session."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from weatherman_inventory.errors import SessionLocked
from weatherman_inventory.store import PersistenceLayer

# Tries to take the lock, prints the outcome; with "hold", keeps it until stdin closes.
CHILD = """
import sys
from weatherman_inventory.errors import SessionLocked
from weatherman_inventory.store import PersistenceLayer
store = PersistenceLayer(sys.argv[1], mode="live")
try:
    store.lock_session(sys.argv[2])
except SessionLocked as exc:
    print("locked:", exc, flush=True)
    raise SystemExit(3)
print("acquired", flush=True)
if sys.argv[3] == "hold":
    sys.stdin.read()
"""


def _try(db: Path, session: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, str(db), session, "once"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_second_process_is_refused_while_the_first_holds_the_session(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with PersistenceLayer(db, mode="live") as store:
        store.lock_session("sess-1")
        refused = _try(db, "sess-1")
        assert refused.returncode == 3, refused.stderr
        assert "sess-1" in refused.stdout
        assert "another process" in refused.stdout
        # Another session of the same database is free.
        assert _try(db, "sess-2").stdout.strip() == "acquired"
        store.unlock_session("sess-1")
        assert _try(db, "sess-1").stdout.strip() == "acquired"


def test_the_lock_is_released_when_the_holder_is_killed(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    PersistenceLayer(db).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), "sess-1", "hold"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "acquired"
        with PersistenceLayer(db) as store:
            with pytest.raises(SessionLocked):
                store.lock_session("sess-1")
            os.kill(holder.pid, signal.SIGKILL)
            holder.wait(timeout=30)
            store.lock_session("sess-1")
            assert _try(db, "sess-1").returncode == 3
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        assert holder.stdin is not None
        holder.stdin.close()
        assert holder.stdout is not None
        holder.stdout.close()


def test_a_second_store_in_the_same_process_is_refused_too(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with PersistenceLayer(db) as first, PersistenceLayer(db) as second:
        first.lock_session("sess-1")
        with pytest.raises(SessionLocked):
            first.lock_session("sess-1")  # one claim at a time, even for its holder
        with pytest.raises(SessionLocked):
            second.lock_session("sess-1")
        first.close()
        second.lock_session("sess-1")
