"""Shared test set-up: hypothesis profiles, the PostgreSQL fixtures (tests/pg.py), and `backend`:
a test taking `store_target` runs once on a SQLite file and once on a PostgreSQL schema.

`fast` (the default, `make test` and CI) is derandomized, so a CI run is repeatable; `long`
(`make test-long`) draws new examples every run and explores far more interleavings.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.pg import new_schema, pg_server, pg_url

__all__ = ["pg_server", "pg_url"]

settings.register_profile(
    "fast",
    derandomize=True,
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    max_examples=2000,
    stateful_step_count=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))


@pytest.fixture
def quiet_anomalies() -> Iterator[None]:
    """Silence the ledger's anomaly warnings: streams built to contradict the ledger hold
    thousands of them on purpose, and they are not news there."""
    logger = logging.getLogger("weatherman_inventory")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a test's store lives: a new SQLite file, or a new schema on the run's PostgreSQL
    cluster."""
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    cluster = request.getfixturevalue("pg_server")
    return new_schema(cluster)


# The modules whose every test must run on both backends, the same tests on each.
BOTH_BACKENDS = ("tests/test_store.py", "tests/test_journal.py", "tests/test_crash.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse a run in which a test of `BOTH_BACKENDS` does not take `store_target`: it would
    run on one backend only."""
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        if path in BOTH_BACKENDS and "store_target" not in getattr(item, "fixturenames", ()):
            raise pytest.UsageError(f"{item.nodeid} runs on one backend only: take store_target")
