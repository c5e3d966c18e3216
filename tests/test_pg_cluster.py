"""The tests' own PostgreSQL cluster (tools/pg_cluster.py): started from nothing, reachable on its
Unix socket only, durable settings on, run by an unprivileged user, and gone when stopped."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tools import pg_cluster


def _psql(cluster: pg_cluster.Cluster, sql: str) -> str:
    done = subprocess.run(
        [str(pg_cluster.bindir() / "psql"), cluster.url(), "-Atc", sql],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


def test_a_cluster_starts_durable_on_its_socket_and_is_removed_when_stopped() -> None:
    cluster = pg_cluster.start()
    try:
        settings = _psql(
            cluster,
            "SELECT current_setting('fsync') || ',' || current_setting('synchronous_commit')"
            " || ',' || current_setting('listen_addresses') || ',' || current_database()",
        )
        assert settings == "on,on,,weatherman"
        assert (cluster.socket_dir / ".s.PGSQL.5432").exists()
        owner = cluster.data.stat().st_uid
        assert owner != 0 or os.geteuid() != 0  # never the superuser's own files
        assert _psql(cluster, "SELECT 1 + 1") == "2"
    finally:
        pg_cluster.stop(cluster.root)
    assert not Path(cluster.root).exists()
