"""The store, journal and crash modules run every test on both backends: the same tests, as
many on SQLite as on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

from tests.conftest import BACKENDS, BOTH_BACKENDS


def test_the_store_journal_and_crash_tests_run_equally_on_both_backends() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         *BOTH_BACKENDS],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    ids = [line for line in done.stdout.splitlines() if "::" in line]
    per_backend: dict[str, set[str]] = {b: set() for b in BACKENDS}
    for nodeid in ids:
        params = nodeid[nodeid.index("[") + 1 : -1].split("-") if "[" in nodeid else []
        [backend] = [p for p in params if p in BACKENDS]
        per_backend[backend].add(nodeid.replace(backend, "*"))
    counts = Counter({b: len(tests) for b, tests in per_backend.items()})
    assert counts["sqlite"] == counts["postgresql"] > 75, counts
    assert per_backend["sqlite"] == per_backend["postgresql"]
    assert len(ids) == sum(counts.values())
