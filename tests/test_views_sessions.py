"""`sessions` with the host's plan, `verify` of every session, and the progress bar of long
replays on a terminal (and its silence off one)."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests import view_session
from tests.event_streams import INITIAL_CAPITAL, MARKETS, make_stream
from tests.support import execute_sql, run_cli
from weatherman_inventory.journal import open_session
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.store import PersistenceLayer
from weatherman_inventory.views.progress import replay_progress

ROOT = Path(__file__).resolve().parent.parent

# The host's own tables, as rust_shim/src/bin/host/plan_store.rs creates them.
_HOST_DDL = (
    "CREATE TABLE host_sessions (session_id TEXT PRIMARY KEY, seed INTEGER NOT NULL, "
    "markets INTEGER NOT NULL, ticks INTEGER NOT NULL, exit_tick INTEGER NOT NULL, "
    "strategies TEXT NOT NULL, capital_usd INTEGER NOT NULL)",
    "CREATE TABLE host_plans (session_id TEXT NOT NULL, tick INTEGER NOT NULL, "
    "phase INTEGER NOT NULL, steps TEXT NOT NULL, PRIMARY KEY (session_id, tick, phase)) "
    "WITHOUT ROWID",
)


def _two_sessions(db: Path) -> None:
    view_session.build(db)
    with PersistenceLayer(db, mode="live") as store:
        manager = open_session(InventoryManager, store, "s2", "250.5")
        manager.on_order_submitted_buy("s2-b1", "m1", "t1", "YES", 10, 40)


def test_sessions_shows_the_hosts_seed_markets_ticks_and_strategies(tmp_path: Path) -> None:
    db = tmp_path / "two.sqlite"
    _two_sessions(db)
    plans = [
        f"INSERT INTO host_plans VALUES ('golden-s1', {tick}, {phase}, '[]')"
        for tick in range(1, 8)
        for phase in (0, 1)
        if (tick, phase) != (7, 1)
    ]
    execute_sql(
        db,
        *_HOST_DDL,
        "INSERT INTO host_sessions VALUES ('golden-s1', 42, 2, 300, 225, 'rust,python', 1000)",
        *plans,
    )
    result = run_cli("sessions", "--db", str(db))
    assert result.returncode == 0, result.stderr
    [header, golden, other] = result.stdout.splitlines()
    assert header.split() == [
        "session", "mode", "capital", "$", "events", "exit", "started", "seed", "markets",
        "ticks", "strategies",
    ]  # fmt: skip
    # Tick 7 has planned its market phase only: six ticks done of 300.
    assert golden.split() == [
        "golden-s1", "paper", "1000.000000", "16", "no", "2026-03-01T14:00:00+00:00", "42", "2",
        "6/300", "rust,python",
    ]  # fmt: skip
    assert other.split()[:5] == ["s2", "live", "250.500000", "2", "no"]
    assert other.split()[-4:] == ["-", "-", "-", "-"]


def _host_binary() -> Path | None:
    named = os.environ.get("WEATHERMAN_HOST_BIN")
    for candidate in (named, ROOT / "target" / "debug" / "weatherman-host"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


@pytest.mark.slow
def test_sessions_and_verify_all_on_a_real_host_session(tmp_path: Path) -> None:
    host = _host_binary()
    if host is None:
        pytest.skip("no weatherman-host build (cargo builds it in `make test`)")
    db = tmp_path / "host.sqlite"
    run = subprocess.run(
        [str(host), "--ticks", "12", "--seed", "7", "--db", str(db), "--strategy", "rust",
         "--session", "host-s7", "--venv", str(Path(sys.executable).parent.parent), "--quiet"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    result = run_cli("sessions", "--db", str(db))
    assert result.returncode == 0, result.stderr
    row = result.stdout.splitlines()[1].split()
    assert row[0] == "host-s7"
    assert row[-4:] == ["7", "3", "12/12", "rust"]
    verified = run_cli("verify", "--db", str(db))
    assert verified.returncode == 0, verified.stdout
    assert verified.stdout.endswith("1 session(s) verified, 0 failed\n")


def test_verify_without_a_session_checks_every_session_and_names_the_failed(
    tmp_path: Path,
) -> None:
    db = tmp_path / "two.sqlite"
    _two_sessions(db)
    result = run_cli("verify", "--db", str(db), "--all")
    assert result.returncode == 0, result.stdout
    assert "session golden-s1: 15 journaled events" in result.stdout
    assert "session s2: 1 journaled events" in result.stdout
    assert result.stdout.endswith("2 session(s) verified, 0 failed\n")
    execute_sql(db, "UPDATE positions SET qty = 1 WHERE session_id = 'golden-s1'")
    result = run_cli("verify", "--db", str(db))
    assert result.returncode == 1
    assert result.stdout.endswith("2 session(s) verified, 1 failed: golden-s1\n")


def test_verify_all_with_a_session_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "two.sqlite"
    _two_sessions(db)
    result = run_cli("verify", "--db", str(db), "--all", "--session", "s2")
    assert result.returncode == 2
    assert result.stderr == "error: --all and --session exclude each other\n"


def test_progress_is_silent_off_a_terminal() -> None:
    stream = io.StringIO()
    with replay_progress("replaying", 10, stream) as advance:
        advance(10)
    assert stream.getvalue() == ""


def _on_a_terminal(*args: str) -> tuple[int, str, str]:
    """Run the CLI with its stderr on a pseudo-terminal: (exit status, stdout, what the
    terminal showed)."""
    main, child = pty.openpty()
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "weatherman_inventory", *args], stdout=out, stderr=child
        )
        os.close(child)
        shown = b""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(main, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                shown += chunk
            elif process.poll() is not None:
                break
        process.wait(timeout=60)
        os.close(main)
        out.seek(0)
        return process.returncode, out.read(), shown.decode(errors="replace")


@pytest.fixture(scope="module")
def long_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("long") / "long.sqlite"
    with PersistenceLayer(db, mode="paper") as store:
        manager = open_session(InventoryManager, store, "s", INITIAL_CAPITAL, markets=MARKETS)
        manager.log_anomalies = False
        for event in make_stream(3, 3_000):
            manager.apply(event)
    return db


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "label", "total", "printed"),
    [
        (("verify", "--session", "s"), "verifying s", 3001, "OK: every table matches"),
        (("show", "--session", "s", "--at", "2500"), "replaying", 3001, "at journal row 2500"),
        (("rebuild-caches", "--session", "s"), "rebuilding", 6002, "nothing to rebuild"),
    ],
)
def test_a_long_replay_shows_events_per_second_on_a_terminal(
    long_db: Path, args: tuple[str, ...], label: str, total: int, printed: str
) -> None:
    code, stdout, shown = _on_a_terminal(args[0], "--db", str(long_db), *args[1:])
    assert code == 0, stdout
    assert label in shown
    assert "events/s" in shown
    assert f"/{total}" in shown
    # What the command prints goes to stdout, unchanged by the bar.
    assert printed in stdout


@pytest.mark.slow
def test_a_long_report_shows_events_per_second_on_a_terminal(long_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    code, stdout, shown = _on_a_terminal(
        "report", "--db", str(long_db), "--session", "s", "--out", str(out)
    )
    assert code == 0, stdout
    assert "replaying" in shown
    assert "events/s" in shown
    assert "/3001" in shown
    # The page's path is all stdout holds, and the page is whole.
    assert stdout == f"{out}\n"
    assert out.read_text().endswith("</html>\n")
