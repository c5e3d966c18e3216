"""Helpers the test modules share: the CLI in a child process, raw SQL against a database file."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

CACHE_COLUMNS = {
    "fills": "fill_id, order_id, market_id, token_id, side, qty, price, fee FROM fills ORDER BY id",
    "orders": "local_id, exchange_order_id, market_id, token_id, side, qty, limit_px, tif, status, "
    "filled_qty, reserved_usd, reserved_qty FROM orders ORDER BY local_id",
    "positions": "market_id, token_id, qty, avg_price, realized_pnl, cost_basis, outcome "
    "FROM positions ORDER BY market_id, token_id",
    "mint_events": "condition_id, operation, amount, status FROM mint_events ORDER BY id",
    "resolutions": "condition_id, yes_payout, no_payout, redemption, paid FROM resolutions "
    "ORDER BY condition_id",
    "accounts": "session_id, seq, cash, in_flight, unsettled, adjustments, cost, realized, value, "
    "value_frac FROM accounts ORDER BY session_id",
}
"""What a query of each cache table compares: its columns but the timestamps."""


def cache_rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every cache table's rows in a SQLite file, without their timestamps."""
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT {q}").fetchall() for t, q in CACHE_COLUMNS.items()}


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m weatherman_inventory ARGS` in a child process, its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "weatherman_inventory", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def execute_sql(db: Path | str, *statements: str) -> None:
    """Run statements on the database in one transaction, as an operator (or an adversary)
    with the sqlite3 shell or psql would, bypassing the store."""
    if str(db).startswith("postgresql://"):
        from tests.pg import execute_pg  # noqa: PLC0415 (psycopg only where it is needed)

        execute_pg(str(db), *statements)
        return
    conn = sqlite3.connect(db)
    with conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()


class CountingDecoder:
    """The native journal decoder, counting the events it decodes from rows it read itself
    (`monkeypatch.setattr(journal, "_NATIVE_DECODER", CountingDecoder())`)."""

    def __init__(self) -> None:
        from weatherman_inventory.journal import _NATIVE_DECODER  # noqa: PLC0415

        self.native = _NATIVE_DECODER
        self.scanned = 0

    def decode(self, *args: Any) -> Any:
        return self.native.decode(*args)

    def decode_read(self, *args: Any) -> Any:
        result = self.native.decode_read(*args)
        self.scanned += len(result[0])
        return result
