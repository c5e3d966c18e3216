"""The schema, one text for both backends: SQLite's DDL, which `postgres_ddl` turns into
PostgreSQL's (64-bit integers, bytea, identity columns, byte-order text), so the two stores hold
the same tables, columns and checks.

Version history, kept in SQLite's `PRAGMA user_version` and in PostgreSQL's `schema_version`
table: 0, a host database without this package's tables; 1, a journal without the hash chain;
2, quantities in whole contracts and limits in cents; 3, no resolutions table; 4, no writers
or accounts table. A PostgreSQL store starts at the current version.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "ADDED_COLUMNS",
    "HOST_DDL",
    "ORDERS_DDL",
    "ORDER_COLUMNS",
    "SCHEMA_VERSION",
    "V1_DDL",
    "V5_DDL",
    "postgres_ddl",
    "statements",
]

SCHEMA_VERSION: Final = 5
"""The schema this package writes."""

# The host tables as the seed's host code has them, followed by what this package adds. Every
# statement is idempotent, so `initialize` runs the whole script on every open.
HOST_DDL: Final = """
CREATE TABLE IF NOT EXISTS sessions (
    id            TEXT PRIMARY KEY,
    mode          TEXT NOT NULL CHECK(mode IN ('paper', 'live')),
    strategy_id   TEXT NOT NULL,
    config_json   TEXT NOT NULL,
    started_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS markets (
    market_id     TEXT PRIMARY KEY,
    condition_id  TEXT NOT NULL,
    question      TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS fills (
    id            INTEGER PRIMARY KEY,
    fill_id       TEXT NOT NULL UNIQUE,
    order_id      TEXT NOT NULL,
    session_id    TEXT NOT NULL REFERENCES sessions(id),
    market_id     TEXT NOT NULL,
    token_id      TEXT NOT NULL,
    side          TEXT NOT NULL CHECK(side IN ('buy', 'sell')),
    qty           INTEGER NOT NULL CHECK(qty > 0),
    price         INTEGER NOT NULL CHECK(price >= 0 AND price <= 1000000),
    fee           INTEGER NOT NULL DEFAULT 0 CHECK(fee >= 0),
    timestamp     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_fills_session ON fills(session_id, id);
CREATE TABLE IF NOT EXISTS positions (
    market_id       TEXT NOT NULL,
    token_id        TEXT NOT NULL,
    session_id      TEXT NOT NULL REFERENCES sessions(id),
    side            TEXT NOT NULL,
    qty             INTEGER NOT NULL CHECK(qty >= 0),
    avg_price       INTEGER NOT NULL DEFAULT 0,
    realized_pnl    INTEGER NOT NULL DEFAULT 0,
    unrealized_pnl  INTEGER NOT NULL DEFAULT 0,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (market_id, token_id, session_id)
);
"""

# Columns added to host tables by version 1: (table, column, declaration).
ADDED_COLUMNS: Final = (
    (
        "sessions",
        "initial_capital",
        "INTEGER NOT NULL DEFAULT 0 CHECK(initial_capital >= 0)",
    ),
    (
        "sessions",
        "exit_triggered",
        "INTEGER NOT NULL DEFAULT 0 CHECK(exit_triggered IN (0, 1))",
    ),
    ("markets", "yes_token_id", "TEXT"),
    ("markets", "no_token_id", "TEXT"),
    ("positions", "cost_basis", "INTEGER NOT NULL DEFAULT 0 CHECK(cost_basis >= 0)"),
    ("positions", "outcome", "TEXT CHECK(outcome IN ('YES', 'NO'))"),
)

ORDERS_DDL: Final = """
CREATE TABLE IF NOT EXISTS orders (
    local_id          TEXT PRIMARY KEY,
    exchange_order_id TEXT UNIQUE,
    session_id        TEXT NOT NULL REFERENCES sessions(id),
    market_id         TEXT NOT NULL,
    token_id          TEXT NOT NULL,
    side              TEXT NOT NULL CHECK(side IN ('buy', 'sell')),
    qty               INTEGER NOT NULL CHECK(qty > 0),
    limit_px          INTEGER CHECK(limit_px > 0 AND limit_px <= 1000000),
    tif               TEXT NOT NULL CHECK(tif IN ('GTC', 'GTD', 'FOK')),
    group_id          TEXT,
    status            TEXT NOT NULL DEFAULT 'SUBMITTED'
                      CHECK(status IN ('SUBMITTED', 'PARTIALLY_FILLED', 'FILLED', 'CANCELLED',
                                       'EXPIRED')),
    filled_qty        INTEGER NOT NULL DEFAULT 0 CHECK(filled_qty >= 0),
    reserved_usd      INTEGER NOT NULL DEFAULT 0 CHECK(reserved_usd >= 0),
    reserved_qty      INTEGER NOT NULL DEFAULT 0 CHECK(reserved_qty >= 0),
    submitted_at      TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    CHECK(side = 'sell' OR limit_px IS NOT NULL)
);
"""

V1_DDL: Final = """
CREATE INDEX IF NOT EXISTS idx_orders_session ON orders(session_id, status);
CREATE INDEX IF NOT EXISTS idx_orders_market ON orders(market_id, status);
CREATE INDEX IF NOT EXISTS idx_orders_exchange ON orders(exchange_order_id)
    WHERE exchange_order_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS mint_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tx_hash       TEXT UNIQUE,
    session_id    TEXT NOT NULL REFERENCES sessions(id),
    condition_id  TEXT NOT NULL,
    operation     TEXT NOT NULL CHECK(operation IN ('MINT', 'MERGE')),
    amount        INTEGER NOT NULL CHECK(amount > 0),
    status        TEXT NOT NULL DEFAULT 'PENDING'
                  CHECK(status IN ('PENDING', 'CONFIRMED', 'FAILED')),
    gas_cost      INTEGER NOT NULL DEFAULT 0 CHECK(gas_cost >= 0),
    submitted_at  TEXT NOT NULL,
    confirmed_at  TEXT
);
CREATE INDEX IF NOT EXISTS idx_mint_session ON mint_events(session_id, status);
CREATE INDEX IF NOT EXISTS idx_mint_tx ON mint_events(tx_hash) WHERE tx_hash IS NOT NULL;

CREATE INDEX IF NOT EXISTS idx_markets_yes ON markets(yes_token_id);
CREATE INDEX IF NOT EXISTS idx_markets_no ON markets(no_token_id);

-- One row per condition a session saw resolved: what a share of each outcome pays (micro-USDC),
-- the latest redemption's status (NULL: none submitted) and what confirmed redemptions paid
-- (micro-USDC). Version 3 had no such table.
CREATE TABLE IF NOT EXISTS resolutions (
    session_id    TEXT NOT NULL REFERENCES sessions(id),
    condition_id  TEXT NOT NULL,
    yes_payout    INTEGER NOT NULL CHECK(yes_payout BETWEEN 0 AND 1000000),
    no_payout     INTEGER NOT NULL CHECK(no_payout BETWEEN 0 AND 1000000),
    redemption    TEXT CHECK(redemption IN ('PENDING', 'CONFIRMED', 'FAILED')),
    paid          INTEGER NOT NULL DEFAULT 0 CHECK(paid >= 0),
    resolved_at   TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (session_id, condition_id)
) WITHOUT ROWID;

-- One row per event the ledger accepted, in order. `payload` is the event's fields as compact
-- JSON (journal.py); `duplicate` marks a fill the store refused as a repeated fill id, which
-- replay records as an anomaly instead of applying. `hash` chains each row to the one before
-- (`journal_row_hash`); version 1 had no such column.
CREATE TABLE IF NOT EXISTS journal (
    session_id   TEXT NOT NULL REFERENCES sessions(id),
    seq          INTEGER NOT NULL CHECK(seq >= 1),
    kind         TEXT NOT NULL,
    payload      BLOB NOT NULL,
    duplicate    INTEGER NOT NULL DEFAULT 0 CHECK(duplicate IN (0, 1)),
    recorded_at  INTEGER NOT NULL,
    hash         BLOB,
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
"""

ORDER_COLUMNS: Final = (
    "local_id, exchange_order_id, session_id, market_id, token_id, side, qty, limit_px, tif, "
    "group_id, status, filled_qty, reserved_usd, reserved_qty, submitted_at, updated_at"
)

# One row per session a writer ever claimed: the claim's epoch, which every PostgreSQL write
# transaction checks (a writer whose claim was taken over cannot commit), who holds or held it,
# and how the last writer left (`writing` until it stops: a session `writing` whose writer lock
# nobody holds has crashed). Version 4 had no such table.
V5_DDL: Final = """
CREATE TABLE IF NOT EXISTS writers (
    session_id   TEXT PRIMARY KEY,
    epoch        INTEGER NOT NULL CHECK(epoch >= 1),
    holder       TEXT NOT NULL,
    state        TEXT NOT NULL CHECK(state IN ('writing', 'stopped', 'ended')),
    claimed_at   TEXT NOT NULL,
    released_at  TEXT
);

-- One row per session, the ledger's money after the session's latest event (written with each
-- journaled event after the opening row; a session without a row holds its initial capital
-- alone): cash (signed, the snapshot's totalUsd), in flight, unsettled and the signed sum of
-- cash adjustments, and over its positions the cost basis, the realised PnL and the value at
-- the marks (an unmarked position at its cost) in micro-USDC rounded down, `value_frac` the
-- rest in 10^-12 dollars. `seq` is the journal row it reflects. Version 4 had no such table.
CREATE TABLE IF NOT EXISTS accounts (
    session_id   TEXT PRIMARY KEY REFERENCES sessions(id),
    seq          INTEGER NOT NULL CHECK(seq >= 1),
    cash         INTEGER NOT NULL,
    in_flight    INTEGER NOT NULL CHECK(in_flight >= 0),
    unsettled    INTEGER NOT NULL CHECK(unsettled >= 0),
    adjustments  INTEGER NOT NULL,
    cost         INTEGER NOT NULL CHECK(cost >= 0),
    realized     INTEGER NOT NULL,
    value        INTEGER NOT NULL CHECK(value >= 0),
    value_frac   INTEGER NOT NULL CHECK(value_frac BETWEEN 0 AND 999999),
    updated_at   TEXT NOT NULL
) WITHOUT ROWID;
"""

_PG_TYPES: Final = (
    (
        re.compile(r"\bINTEGER PRIMARY KEY( AUTOINCREMENT)?"),
        "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    ),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
    (re.compile(r"\bBLOB\b"), "BYTEA"),
    (re.compile(r"\bTEXT\b"), 'TEXT COLLATE "C"'),
    (re.compile(r"\)\s*WITHOUT ROWID"), ")"),
)


def postgres_ddl(sql: str) -> str:
    """SQLite DDL as PostgreSQL's: every INTEGER a BIGINT (SQLite's integers are 64-bit), BLOB
    a BYTEA, an integer primary key an identity column, and text compared byte by byte as
    SQLite compares it (`COLLATE "C"`), so both order rows alike."""
    for pattern, replacement in _PG_TYPES:
        sql = pattern.sub(replacement, sql)
    return sql


def statements(script: str) -> list[str]:
    """Split a DDL script into statements (no statement here holds a ';' in a literal)."""
    lines = [line for line in script.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
