"""`verify` and `sessions` on a database on read-only media, in real processes.

The tests run as root, which ignores file modes, so the medium is a real read-only bind mount.
The database's last commits are only in its `-wal`: a writer committed them and was killed
with SIGKILL, so nothing checkpointed them into the main file. SQLite reads a WAL through its
`-shm` index: with the `-shm` on the medium it reads in place; without it (SQLite cannot
create it there) the store reads a private copy of the database and its WAL.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support import run_cli
from weatherman_inventory.store import PersistenceLayer

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="a read-only bind mount needs root (the test suite runs as root)"
)

_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from weatherman_inventory.journal import open_session
    from weatherman_inventory.manager import InventoryManager
    from weatherman_inventory.store import PersistenceLayer

    store = PersistenceLayer(sys.argv[1], mode="live")
    manager = open_session(InventoryManager, store, "s1", "250.5")
    manager.on_order_submitted_buy("b1", "m1", "t1", "YES", 10, 40)
    manager.on_fill_buy("b1", "t1", "m1", "YES", 10, "0.4", 10, fill_id="f1")
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def _killed_writer(db: Path) -> None:
    """Commit a session into `db` in a child process that is then killed: no checkpoint."""
    result = subprocess.run(
        [sys.executable, "-c", _WRITER, str(db)], capture_output=True, text=True, check=False
    )
    assert result.returncode == -signal.SIGKILL, result.stderr


def _sessions_in_the_main_file(db: Path, scratch: Path) -> list[str]:
    """The sessions a reader of the main file alone (no -wal) would see."""
    alone = scratch / "alone.db"
    shutil.copyfile(db, alone)
    conn = sqlite3.connect(alone)
    try:
        return [row[0] for row in conn.execute("SELECT id FROM sessions")]
    except sqlite3.OperationalError as exc:
        assert "no such table" in str(exc)
        return []
    finally:
        conn.close()


@contextmanager
def _read_only_mount(source: Path, target: Path) -> Iterator[Path]:
    target.mkdir()
    subprocess.run(["mount", "--bind", str(source), str(target)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(target)], check=True)
        yield target
    finally:
        subprocess.run(["umount", str(target)], check=True)


def _private_copies() -> set[str]:
    return {
        name
        for name in os.listdir(tempfile.gettempdir())
        if name.startswith("weatherman-readonly-")
    }


def _assert_the_cli_reads_every_commit(ro: Path) -> None:
    db = str(ro / "s.db")
    before = sorted(os.listdir(ro))
    with pytest.raises(OSError, match="Read-only file system"):
        (ro / "probe").touch()

    verify = run_cli("verify", "--db", db, "--session", "s1")
    assert verify.returncode == 0, verify.stderr
    [summary, head, verdict] = verify.stdout.splitlines()
    assert summary.startswith("session s1: 2 journaled events, 1 fills"), summary
    assert head.startswith("  journal head: seq 3 hash "), head
    assert verdict == "OK: every table matches the journal, and the journal is whole"
    sessions = run_cli("sessions", "--db", db)
    assert sessions.returncode == 0, sessions.stderr
    [_, row] = sessions.stdout.splitlines()
    assert row.split()[:5] == ["s1", "live", "250.500000", "3", "no"]

    copies = _private_copies()
    with PersistenceLayer(db, readonly=True) as store:
        assert [s.id for s in store.list_sessions()] == ["s1"]
        assert store.last_seq("s1") == 3
    assert _private_copies() == copies  # a private copy, if any, is gone with the store
    assert sorted(os.listdir(ro)) == before


@pytest.mark.parametrize("shm", ["shm present", "shm absent"])
def test_verify_and_sessions_read_the_wal_of_a_database_on_read_only_media(
    tmp_path: Path, shm: str
) -> None:
    source = tmp_path / "medium"
    source.mkdir()
    _killed_writer(source / "s.db")
    assert (source / "s.db-wal").stat().st_size > 0
    assert _sessions_in_the_main_file(source / "s.db", tmp_path) == []  # only the WAL has it
    if shm == "shm absent":
        (source / "s.db-shm").unlink()
    else:
        assert (source / "s.db-shm").exists()
    with _read_only_mount(source, tmp_path / "ro") as ro:
        _assert_the_cli_reads_every_commit(ro)
    assert _sessions_in_the_main_file(source / "s.db", tmp_path) == []  # nothing checkpointed


def test_sessions_reads_a_checkpointed_database_on_read_only_media(tmp_path: Path) -> None:
    """No -wal and no -shm (a writer closed cleanly): read as the immutable file it is."""
    source = tmp_path / "medium"
    source.mkdir()
    _killed_writer(source / "s.db")
    with PersistenceLayer(source / "s.db") as store:  # opens, checkpoints and removes the WAL
        assert store.last_seq("s1") == 3
    assert sorted(p.name for p in source.iterdir() if p.name.startswith("s.db-")) == []
    assert _sessions_in_the_main_file(source / "s.db", tmp_path) == ["s1"]
    with _read_only_mount(source, tmp_path / "ro") as ro:
        _assert_the_cli_reads_every_commit(ro)
