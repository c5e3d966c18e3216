"""Shared test set-up: hypothesis profiles.

`fast` (the default, `make test` and CI) is derandomized, so a CI run is repeatable; `long`
(`make test-long`) draws new examples every run and explores far more interleavings.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

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
