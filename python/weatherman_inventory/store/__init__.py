"""The session store: the session's tables, the event journal and the writer lock, on SQLite (a
file path) or PostgreSQL (a `postgresql://` URL). See `layer.py`."""

from weatherman_inventory.store.layer import (
    _INSERT_FILL,
    DB_HELP,
    PersistenceLayer,
    missing_database,
)
from weatherman_inventory.store.postgres import is_postgres_url, redact
from weatherman_inventory.store.rows import (
    INT64_MAX,
    INT64_MIN,
    JOURNAL_GENESIS,
    FillRow,
    JournalRow,
    MarketRow,
    MintEventRow,
    Mode,
    OrderRow,
    PositionRow,
    ResolutionRow,
    SessionRow,
    check_int,
    journal_row_hash,
)
from weatherman_inventory.store.schema import SCHEMA_VERSION
from weatherman_inventory.store.sqlite import Transaction

__all__ = [
    "DB_HELP",
    "INT64_MAX",
    "INT64_MIN",
    "JOURNAL_GENESIS",
    "SCHEMA_VERSION",
    "_INSERT_FILL",
    "FillRow",
    "JournalRow",
    "MarketRow",
    "MintEventRow",
    "Mode",
    "OrderRow",
    "PersistenceLayer",
    "PositionRow",
    "ResolutionRow",
    "SessionRow",
    "Transaction",
    "check_int",
    "is_postgres_url",
    "journal_row_hash",
    "missing_database",
    "redact",
]
