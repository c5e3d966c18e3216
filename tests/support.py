"""Helpers the test modules share: the CLI in a child process, raw SQL against a database file."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m weatherman_inventory ARGS` in a child process, its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "weatherman_inventory", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def execute_sql(db: Path, *statements: str) -> None:
    """Run statements on the database file in one transaction, as an operator (or an adversary)
    with the sqlite3 shell would, bypassing the store."""
    conn = sqlite3.connect(db)
    with conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()
