"""The tests' PostgreSQL: one throw-away cluster for the whole run (tools/pg_cluster.py), and a
schema of its own for each test, named in the URL (`options=-c search_path=...`), so each test
starts from an empty store as it does with a new SQLite file."""

from __future__ import annotations

import itertools
import urllib.parse
from collections.abc import Iterator

import psycopg
import pytest
from tools import pg_cluster

_schemas = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pg_cluster.Cluster]:
    """The run's cluster, started on first use and removed at the end."""
    cluster = pg_cluster.start()
    try:
        yield cluster
    finally:
        pg_cluster.stop(cluster.root)


def schema_url(base: str, schema: str) -> str:
    """`base` with its search_path set to `schema`."""
    options = urllib.parse.quote(f"-c search_path={schema}")
    return f"{base}&options={options}" if "?" in base else f"{base}?options={options}"


def new_schema(cluster: pg_cluster.Cluster) -> str:
    """A URL of the cluster's database whose search_path is a new, empty schema."""
    schema = f"t{next(_schemas)}"
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return schema_url(cluster.url(), schema)


@pytest.fixture
def pg_url(pg_server: pg_cluster.Cluster) -> str:
    """A URL of an empty store of its own on the run's cluster."""
    return new_schema(pg_server)


def execute_pg(url: str, *statements: str) -> None:
    """Run statements in one transaction on the store at `url`, bypassing it (as an operator
    with psql would)."""
    with psycopg.connect(url) as conn, conn.transaction():
        for statement in statements:
            conn.execute(statement.encode())
