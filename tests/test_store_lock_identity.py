"""One writer per session whatever the path: the lock follows the database file, not its name,
and a store hands a session to one manager at a time, in real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from weatherman_inventory.errors import SessionLocked
from weatherman_inventory.journal import open_session, recover_session
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.store import PersistenceLayer

SID = "sess-lock"

# Tries to recover the session (or to take its lock on an empty database); prints the outcome.
# With "hold", keeps the session until stdin closes.
CHILD = """
import sys
from weatherman_inventory.errors import SessionLocked
from weatherman_inventory.journal import recover_session
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.store import PersistenceLayer
store = PersistenceLayer(sys.argv[1])
try:
    recover_session(InventoryManager, store, sys.argv[2])
except SessionLocked as exc:
    print("locked:", exc, flush=True)
    raise SystemExit(3)
print("acquired", flush=True)
if sys.argv[3] == "hold":
    sys.stdin.read()
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


def _try(db: str, *, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Another process recovers the session through `db` (relative to `cwd`)."""
    return subprocess.run(
        [sys.executable, "-c", CHILD, db, SID, "once"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=cwd,
        env=_env(),
    )


@contextmanager
def _holder(db: str, *, cwd: Path | None = None) -> Iterator[None]:
    """Another process holds the session through `db` while the block runs."""
    holder = subprocess.Popen(
        [sys.executable, "-c", CHILD, db, SID, "hold"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env=_env(),
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "acquired"
        yield
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=60)
        assert holder.stdout is not None
        holder.stdout.close()


def _db(tmp_path: Path) -> Path:
    db = tmp_path / "s.db"
    with PersistenceLayer(db) as store:
        manager = open_session(InventoryManager, store, SID, 100)
        manager.on_order_submitted_buy("b1", "m1", "t1", "YES", 10, 40)
    return db


def test_a_symlink_to_the_database_does_not_bypass_the_writer_lock(tmp_path: Path) -> None:
    db = _db(tmp_path)
    link = tmp_path / "elsewhere" / "link.db"
    link.parent.mkdir()
    link.symlink_to(db)
    with _holder(str(db)):
        refused = _try(str(link))
        assert refused.returncode == 3, refused.stdout + refused.stderr
        assert SID in refused.stdout
    with _holder(str(link)):
        assert _try(str(db)).returncode == 3
    assert _try(str(link)).stdout.strip() == "acquired"


def test_a_hard_link_to_the_database_does_not_bypass_the_writer_lock(tmp_path: Path) -> None:
    db = _db(tmp_path)
    other = tmp_path / "other-name.db"
    os.link(db, other)
    with _holder(str(db)):
        refused = _try(str(other))
        assert refused.returncode == 3, refused.stdout + refused.stderr


def test_dot_slash_and_plain_names_meet_the_same_lock(tmp_path: Path) -> None:
    _db(tmp_path)
    sub = tmp_path / "sub"
    sub.mkdir()
    with _holder("s.db", cwd=tmp_path):
        assert _try("./s.db", cwd=tmp_path).returncode == 3
        assert _try("../s.db", cwd=sub).returncode == 3


def test_a_failed_open_of_a_recovered_session_keeps_the_recovery_lock(tmp_path: Path) -> None:
    db = _db(tmp_path)
    with PersistenceLayer(db) as store:
        recovered = recover_session(InventoryManager, store, SID)
        with pytest.raises(SessionLocked):
            open_session(InventoryManager, store, SID, 100)
        # The recovered manager is still the only writer: another process is refused.
        assert _try(str(db)).returncode == 3
        recovered.on_order_submitted_buy("b2", "m1", "t1", "YES", 1, 40)


def test_a_second_recover_on_one_store_is_refused(tmp_path: Path) -> None:
    db = _db(tmp_path)
    with PersistenceLayer(db) as store:
        first = recover_session(InventoryManager, store, SID)
        with pytest.raises(SessionLocked, match="one manager at a time"):
            recover_session(InventoryManager, store, SID)
        assert _try(str(db)).returncode == 3
        first.on_order_submitted_buy("b2", "m1", "t1", "YES", 1, 40)
        assert store.last_seq(SID) == 3


def test_a_refused_claim_leaves_another_process_holding_the_session(tmp_path: Path) -> None:
    db = _db(tmp_path)
    with _holder(str(db)), PersistenceLayer(db) as store:
        for claim in (
            lambda: recover_session(InventoryManager, store, SID),
            lambda: open_session(InventoryManager, store, SID, 100),
            lambda: store.lock_session(SID),
        ):
            with pytest.raises(SessionLocked):
                claim()
            assert not store.holds_session(SID)
            assert _try(str(db)).returncode == 3
