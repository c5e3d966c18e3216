"""What PostgreSQL adds to the store's promises: one writer per session across hosts, fenced by
the writer's epoch; no acknowledged event lost when the server itself dies; many writers at once;
a server that could lose commits refused for a live session; read-only roles; credentials never
shown. Against real servers: the run's cluster, and for the server kills a cluster of its own."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from decimal import Decimal

import psycopg
import pytest
from tools import pg_cluster

from tests.event_streams import INITIAL_CAPITAL, MARKETS, make_stream
from tests.pg import execute_pg, new_schema
from tests.support import run_cli
from weatherman_inventory.errors import SessionLocked, SessionNotFound, StoreError
from weatherman_inventory.events import Event
from weatherman_inventory.journal import (
    decode_event,
    open_session,
    recover_session,
    replay,
    verify_session,
)
from weatherman_inventory.manager import InventoryManager
from weatherman_inventory.store import PersistenceLayer, redact

pytestmark = pytest.mark.usefixtures("quiet_anomalies")

MARKET = ("mkt-1", "cond-1", "tok-yes", "tok-no")


def _backend_pid(store: PersistenceLayer) -> int:
    with store.transaction(write=False) as conn:
        pid: int = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    return pid


def _buy(manager: InventoryManager, local_id: str) -> None:
    manager.on_order_submitted_buy(local_id, "mkt-1", "tok-yes", "YES", 10, 50)


def _journal_kinds(url: str, session_id: str) -> list[tuple[int, str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT seq, kind FROM journal WHERE session_id = %s ORDER BY seq", (session_id,)
        ).fetchall()
    return [(int(seq), str(kind)) for seq, kind in rows]


# -- one writer per session, fenced ----------------------------------------------------------


def test_a_writer_whose_backend_was_terminated_cannot_commit_after_another_took_over(
    pg_url: str,
) -> None:
    first = PersistenceLayer(pg_url, "live")
    manager = open_session(InventoryManager, first, "s", 100, markets=[MARKET])
    _buy(manager, "before")
    # The server ends the first writer's connection (as it does for a host it lost): its lock
    # goes with it, and a second writer takes the session over.
    execute_pg(pg_url, f"SELECT pg_terminate_backend({_backend_pid(first)})")
    second = PersistenceLayer(pg_url, "live")
    taken = recover_session(InventoryManager, second, "s")
    _buy(taken, "after-takeover")
    # The first writer's process lives on and tries to write: it reconnects, and its epoch
    # is no longer the session's.
    before = manager.snapshot_json()
    with pytest.raises(SessionLocked, match="another writer"):
        _buy(manager, "stale-writer")
    assert manager.snapshot_json() == before
    assert _journal_kinds(pg_url, "s") == [
        (1, "session_opened"),
        (2, "buy_submitted"),
        (3, "buy_submitted"),
    ]
    assert [o.local_id for o in second.load_orders("s")] == ["after-takeover", "before"]
    _buy(taken, "still-the-writer")
    assert verify_session(second, "s").ok
    second.close()
    first.close()


def test_a_reader_whose_connection_died_while_idle_reads_a_snapshot_on_a_new_one(
    pg_url: str,
) -> None:
    """As a transaction does: a snapshot's BEGIN on a connection the server ended while it was
    idle (nothing of it reached the server) is sent again on a new connection."""
    with PersistenceLayer(pg_url, "live") as writer:
        _buy(open_session(InventoryManager, writer, "s", 100, markets=[MARKET]), "o1")
        with PersistenceLayer(pg_url, readonly=True) as reader:
            first = _backend_pid(reader)
            execute_pg(pg_url, f"SELECT pg_terminate_backend({first})")
            with reader.snapshot():
                orders = [o.local_id for o in reader.load_orders("s")]
            assert orders == ["o1"]
            assert _backend_pid(reader) != first


def test_a_writer_that_lost_its_lock_but_not_its_connection_is_fenced_by_its_epoch(
    pg_url: str,
) -> None:
    """Behind a pooler, or after the server dropped the lock, only the epoch stands between
    two writers."""
    first = PersistenceLayer(pg_url, "live")
    manager = open_session(InventoryManager, first, "s", 100, markets=[MARKET])
    with first.transaction(write=False) as conn:
        conn.execute("SELECT pg_advisory_unlock_all()")
    second = PersistenceLayer(pg_url, "live")
    taken = recover_session(InventoryManager, second, "s")
    with pytest.raises(SessionLocked, match=r"epoch 2 claimed after this one's 1"):
        _buy(manager, "stale")
    _buy(taken, "fresh")
    assert [o.local_id for o in second.load_orders("s")] == ["fresh"]
    second.close()
    first.close()


def test_a_second_writer_on_a_taken_session_is_refused_naming_the_holder(pg_url: str) -> None:
    with PersistenceLayer(pg_url, "live") as first:
        open_session(InventoryManager, first, "s", 100)
        with PersistenceLayer(pg_url, "live") as second:
            with pytest.raises(SessionLocked, match=r"open for writing by .*:\d+"):
                recover_session(InventoryManager, second, "s")
            assert second.session_live("s")
    with PersistenceLayer(pg_url, readonly=True) as reader:
        assert not reader.session_live("s")
        with reader.transaction(write=False) as conn:
            row = conn.execute("SELECT epoch, state FROM writers WHERE session_id = 's'")
            assert row.fetchone() == (1, "stopped")


# -- the server dies -------------------------------------------------------------------------


def _writer(url: str, stream: list[Event], write_fd: int) -> None:
    try:
        store = PersistenceLayer(url, "live")
        try:
            manager = recover_session(InventoryManager, store, "s")
        except SessionNotFound:
            manager = open_session(InventoryManager, store, "s", INITIAL_CAPITAL, markets=MARKETS)
        start = store.last_seq("s") - 1
        os.write(write_fd, b"ready\n")
        for i in range(start, len(stream)):
            manager.apply(stream[i])
            os.write(write_fd, b"%d\n" % i)
        os._exit(0)
    except StoreError as exc:
        os.write(write_fd, f"lost {exc}\n".encode())
        os._exit(3)
    except BaseException:
        os.write(write_fd, ("error " + traceback.format_exc()).encode())
        os._exit(1)


@pytest.fixture
def own_cluster() -> Iterator[pg_cluster.Cluster]:
    cluster = pg_cluster.start()
    try:
        yield cluster
    finally:
        pg_cluster.stop(cluster.root, mode="immediate")


@pytest.mark.slow
def test_killing_the_server_mid_session_loses_no_acknowledged_event(
    own_cluster: pg_cluster.Cluster,
) -> None:
    rng = random.Random(7)
    stream = make_stream(rng.randrange(2**32), 6_000, exit_at=None)
    url = own_cluster.url()
    reference = InventoryManager(INITIAL_CAPITAL)
    fed = 0
    for _round in range(3):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _writer(url, stream, write_fd)
        os.close(write_fd)
        out = b""
        while b"ready\n" not in out and b"error" not in out:
            out += os.read(read_fd, 65536)
        assert b"error" not in out, out.decode(errors="replace")
        time.sleep(rng.uniform(0.2, 0.6))
        os.kill(pg_cluster.server_pid(own_cluster), signal.SIGKILL)
        while chunk := os.read(read_fd, 65536):
            out += chunk
        os.close(read_fd)
        _, status = os.waitpid(pid, 0)
        text = out.decode(errors="replace")
        assert "error" not in text, text
        assert os.WEXITSTATUS(status) == 3, text  # the writer saw the server go
        acks = [int(line) for line in text.split() if line.isdigit()]
        assert acks, "the writer acknowledged nothing before the kill"
        acked = acks[-1] + 1
        pg_cluster.restart(own_cluster)
        with PersistenceLayer(url, "live") as store:
            [opened, *rows] = list(store.iter_journal("s"))
            assert opened.kind == "session_opened"
            n = len(rows)
            assert acked <= n <= acked + 1, (acked, n)
            assert [decode_event(r.kind, r.payload) for r in rows[fed:]] == stream[fed:n]
            for event in stream[fed:n]:
                reference.apply(event)
            fed = n
            recovered = recover_session(InventoryManager, store, "s")
            assert recovered.snapshot_json() == reference.snapshot_json()
            assert verify_session(store, "s").ok
    assert fed > 0


# -- many writers ----------------------------------------------------------------------------

_WRITERS = 8
_EVENTS_PER_WRITER = 300


def _desk_stream(session_id: str, seed: int) -> list[Event]:
    """A random stream whose order and fill ids are the session's own: both are unique across
    a store (as client order ids are per venue account, and fill ids per venue)."""
    out = []
    for event in make_stream(seed, _EVENTS_PER_WRITER, exit_at=None):
        changes = {}
        for name in ("local_id", "fill_id"):
            value = getattr(event, name, None)
            if isinstance(value, str):
                changes[name] = f"{session_id}:{value}"
        out.append(dataclasses.replace(event, **changes))  # type: ignore[arg-type]
    return out


def _concurrent_writer(url: str, session_id: str, seed: int, write_fd: int, go_fd: int) -> None:
    try:
        stream = _desk_stream(session_id, seed)
        with PersistenceLayer(url, "live") as store:
            manager = open_session(
                InventoryManager, store, session_id, INITIAL_CAPITAL, markets=MARKETS
            )
            os.write(write_fd, f"open {session_id}\n".encode())
            assert os.read(go_fd, 1) == b"g"  # every writer starts at once
            for i, event in enumerate(stream):
                manager.apply(event)
                os.write(write_fd, f"{session_id} {i}\n".encode())
        os._exit(0)
    except BaseException:
        os.write(write_fd, ("error " + traceback.format_exc()).encode())
        os._exit(1)


@pytest.mark.slow
def test_eight_writers_on_eight_sessions_and_a_refused_ninth_keep_every_event_once(
    pg_server: pg_cluster.Cluster,
) -> None:
    url = new_schema(pg_server)
    read_fd, write_fd = os.pipe()
    go_read, go_write = os.pipe()
    pids = []
    for k in range(_WRITERS):
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            os.close(go_write)
            _concurrent_writer(url, f"desk-{k}", 1000 + k, write_fd, go_read)
        pids.append(pid)
    os.close(write_fd)
    os.close(go_read)
    out = b""
    while out.count(b"open ") < _WRITERS and b"error" not in out:
        out += os.read(read_fd, 65536)
    # Every session has its writer: a second writer on one of them is refused.
    with PersistenceLayer(url, "live") as intruder:
        assert all(intruder.session_live(f"desk-{k}") for k in range(_WRITERS))
        with pytest.raises(SessionLocked):
            recover_session(InventoryManager, intruder, "desk-3")
    os.write(go_write, b"g" * _WRITERS)
    os.close(go_write)
    while chunk := os.read(read_fd, 65536):
        out += chunk
    os.close(read_fd)
    statuses = [os.waitpid(pid, 0)[1] for pid in pids]
    text = out.decode()
    assert "error" not in text, text
    assert all(os.WIFEXITED(s) and os.WEXITSTATUS(s) == 0 for s in statuses)
    acked: dict[str, int] = {}
    for line in text.splitlines():
        session_id, index = line.split()
        if session_id == "open":
            continue
        acked[session_id] = int(index) + 1
    assert acked == {f"desk-{k}": _EVENTS_PER_WRITER for k in range(_WRITERS)}
    with PersistenceLayer(url, readonly=True) as store:
        for k in range(_WRITERS):
            stream = _desk_stream(f"desk-{k}", 1000 + k)
            [_opened, *rows] = list(store.iter_journal(f"desk-{k}"))
            assert [decode_event(r.kind, r.payload) for r in rows] == stream
            reference = InventoryManager(INITIAL_CAPITAL)
            for event in stream:
                reference.apply(event)
            assert replay(InventoryManager, store, f"desk-{k}").snapshot_json() == (
                reference.snapshot_json()
            )
            report = verify_session(store, f"desk-{k}")
            assert report.ok, report.render()
            assert (report.events, report.head_seq) == (_EVENTS_PER_WRITER, _EVENTS_PER_WRITER + 1)


# -- what a live session demands of the server -------------------------------------------------


def test_a_live_session_refuses_a_server_that_could_lose_acknowledged_commits(
    pg_server: pg_cluster.Cluster,
) -> None:
    url = new_schema(pg_server)
    base = pg_server.url()
    execute_pg(base, "CREATE ROLE careless LOGIN SUPERUSER")
    execute_pg(base, "ALTER ROLE careless SET synchronous_commit = off")
    careless = url.replace(f"//{pg_server.user}@", "//careless@")
    with pytest.raises(StoreError, match="synchronous_commit=off"):
        PersistenceLayer(careless, "live")
    PersistenceLayer(careless, "paper").close()  # paper mode promises less, and opens
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET fsync = off")
        conn.execute("SELECT pg_reload_conf()")
        try:
            time.sleep(0.2)
            with pytest.raises(StoreError, match="fsync=off"):
                PersistenceLayer(url, "live")
        finally:
            conn.execute("ALTER SYSTEM RESET fsync")
            conn.execute("SELECT pg_reload_conf()")
    time.sleep(0.2)
    PersistenceLayer(url, "live").close()


# -- read-only roles and credentials ---------------------------------------------------------


def test_read_only_commands_work_with_a_read_only_role(pg_server: pg_cluster.Cluster) -> None:
    url = new_schema(pg_server)
    schema = url.rsplit("search_path%3D", 1)[1]
    with PersistenceLayer(url, "live") as store:
        manager = open_session(InventoryManager, store, "s", 100, markets=[MARKET])
        _buy(manager, "b1")
        manager.on_fill_buy("b1", "tok-yes", "mkt-1", "YES", 4, Decimal("0.5"), 10, fill_id="f1")
    execute_pg(
        pg_server.url(),
        "CREATE ROLE auditor LOGIN",
        f"GRANT USAGE ON SCHEMA {schema} TO auditor",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO auditor",
    )
    auditor = url.replace(f"//{pg_server.user}@", "//auditor@")
    with PersistenceLayer(auditor, readonly=True) as reader:
        assert verify_session(reader, "s").ok
        with pytest.raises(StoreError, match="refused a write"):
            reader.insert_market("m2", "c2", "y2", "n2")
    for args in (("verify", "--session", "s"), ("show", "--session", "s", "--json")):
        done = run_cli(*args[:1], "--db", auditor, *args[1:])
        assert done.returncode == 0, done.stderr
    shown = run_cli("show", "--db", auditor, "--session", "s", "--json")
    state = json.loads(shown.stdout)
    assert (state["tokens"]["tok-yes"]["qty"], state["totalUsd"]) == (4.0, 98.0)
    # It may open the store, which needs no write; claiming a session does.
    with (
        PersistenceLayer(auditor, "paper") as store,
        pytest.raises(StoreError, match="permission denied for table writers"),
    ):
        recover_session(InventoryManager, store, "s")


def test_a_password_in_the_url_never_appears_in_errors_or_names(
    pg_server: pg_cluster.Cluster,
) -> None:
    url = new_schema(pg_server)
    secret = "hunter2-s3cret"
    with_password = url.replace(f"//{pg_server.user}@", f"//{pg_server.user}:{secret}@")
    assert secret not in redact(with_password)
    assert redact("postgresql://u@h/db?password=" + secret) == "postgresql://u@h/db?password=***"
    with PersistenceLayer(with_password) as store:
        assert secret not in store.path
        with pytest.raises(SessionNotFound) as info:
            store.load_session("nobody")
        assert secret not in str(info.value)
    wrong_db = with_password.replace("/weatherman?", "/no_such_database?")
    with pytest.raises(StoreError) as refused:
        PersistenceLayer(wrong_db)
    assert "no_such_database" in str(refused.value)
    assert secret not in str(refused.value)
    done = run_cli("show", "--db", wrong_db, "--session", "s")
    assert done.returncode == 2
    assert "no_such_database" in done.stderr
    assert secret not in done.stderr + done.stdout


def test_tls_is_the_urls_sslmode_and_a_verified_connection_is_encrypted() -> None:
    cluster = pg_cluster.start(tls=True)
    try:
        with PersistenceLayer(cluster.tcp_url("verify-full"), "live") as store:
            open_session(InventoryManager, store, "s", 100)
            with store.transaction(write=False) as conn:
                row = conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                assert row.fetchone() == (True,)
        # The server takes TLS connections only: one without is refused, naming why.
        with pytest.raises(StoreError, match="no encryption"):
            PersistenceLayer(cluster.tcp_url("disable"))
        # A certificate the client cannot verify is refused before anything is sent.
        wrong_root = cluster.tcp_url("verify-full").replace(
            str(cluster.certificate), "/etc/ssl/certs/ca-certificates.crt"
        )
        with pytest.raises(StoreError, match="certificate verify failed"):
            PersistenceLayer(wrong_root)
    finally:
        pg_cluster.stop(cluster.root)


def test_the_cli_names_a_postgresql_database_by_url(pg_server: pg_cluster.Cluster) -> None:
    url = new_schema(pg_server)
    with PersistenceLayer(url) as store:
        open_session(InventoryManager, store, "s", 100, markets=[MARKET])
    done = run_cli("sessions", "--db", url)
    assert done.returncode == 0, done.stderr
    assert "s" in done.stdout.split()
    assert (
        subprocess.run(
            [sys.executable, "-m", "weatherman_inventory", "verify", "--db", url, "--all"],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        ).returncode
        == 0
    )


# -- group commit ----------------------------------------------------------------------------


def test_a_batch_is_one_transaction_on_postgresql_and_a_refused_one_changes_nothing(
    pg_url: str,
) -> None:
    with PersistenceLayer(pg_url, "live") as store:
        manager = open_session(InventoryManager, store, "s", 100, markets=[MARKET])
        _buy(manager, "b1")
        execute_pg(
            pg_url,
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'no fills today'; END $$",
            "CREATE TRIGGER refuse_fills BEFORE INSERT ON fills "
            "FOR EACH ROW EXECUTE FUNCTION refuse()",
        )
        before = manager.snapshot_json(), len(manager.anomalies())

        def tick() -> None:
            with manager.batch():
                manager.on_fill_buy("b1", "tok-yes", "mkt-1", "YES", 4, "0.5", 10, fill_id="f1")
                manager.on_order_submitted_sell("s1", "tok-yes", 2, limit_px=70)
                manager.on_fill_buy("b1", "tok-yes", "mkt-1", "YES", 4, "0.5", 10, fill_id="f1")

        with pytest.raises(StoreError, match="no fills today"):
            tick()
        assert (manager.snapshot_json(), len(manager.anomalies())) == before
        assert _journal_kinds(pg_url, "s") == [(1, "session_opened"), (2, "buy_submitted")]
        execute_pg(pg_url, "DROP TRIGGER refuse_fills ON fills")
        tick()  # applied again, whole: the repeated fill is the unbatched call's anomaly
        assert _journal_kinds(pg_url, "s")[2:] == [
            (3, "buy_filled"),
            (4, "sell_submitted"),
            (5, "buy_filled"),
        ]
        assert [a.kind.value for a in manager.anomalies()] == ["duplicate_fill"]
        snapshot = manager.snapshot_json()
    with PersistenceLayer(pg_url, "live") as store:
        assert recover_session(InventoryManager, store, "s").snapshot_json() == snapshot
        assert verify_session(store, "s").ok


@pytest.mark.usefixtures("quiet_anomalies")
def test_commits_after_a_refused_fill_find_the_statements_psycopg_prepared(pg_url: str) -> None:
    """psycopg prepares a statement on the server after its fifth run, and counts it prepared
    when it sends it; in a pipeline whose fill the store refused (a repeated fill id), the
    statements after the failed one are never parsed. The rollback must forget them, or a later
    commit names one the server does not have ("prepared statement "_pg3_111" does not exist",
    at event ~1,400 of this stream, whose repeated fill ids the store refuses)."""
    stream = make_stream(3, 1_500, exit_at=1_200)
    store = PersistenceLayer(pg_url)
    manager = open_session(InventoryManager, store, "long", INITIAL_CAPITAL, markets=MARKETS)
    for event in stream:
        manager.apply(event)
    assert store.last_seq("long") == len(stream) + 1
    assert verify_session(store, "long").ok
    store.close()
