"""The store's rows, as plain values, and the journal's hash chain: what every backend reads and
writes alike. Every integer is an exact unit (see the README's units table): money in micro-USDC,
prices in micro-USDC per share, quantities in micro-shares."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import Any, Final, Literal, NamedTuple

from weatherman_inventory.errors import InvalidInput

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "JOURNAL_GENESIS",
    "FillRow",
    "JournalRow",
    "MarketRow",
    "MintEventRow",
    "Mode",
    "OrderRow",
    "PositionRow",
    "ResolutionRow",
    "SessionRow",
    "check_int",
    "journal_row_hash",
]

JOURNAL_GENESIS: Final = bytes(32)
"""The hash before a session's first journal row."""

INT64_MAX: Final = 2**63 - 1
INT64_MIN: Final = -(2**63)

Mode = Literal["paper", "live"]


def check_int(field: str, value: Any, low: int = INT64_MIN, high: int = INT64_MAX) -> int:
    """`value` if it is an int (not a bool) in `low..high`, a column's bounds by default; else
    `InvalidInput` naming `field`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field, value, "an int is required")
    if not low <= value <= high:
        raise InvalidInput(field, value, f"must be in {low}..{high}")
    return value


@dataclass(frozen=True, slots=True)
class SessionRow:
    """A session; `initial_capital` in micro-USDC."""

    id: str
    mode: str
    strategy_id: str
    config_json: str
    started_at: str
    initial_capital: int
    exit_triggered: bool


@dataclass(frozen=True, slots=True)
class MarketRow:
    """A market and the token of each outcome (None where a host database never recorded it)."""

    market_id: str
    condition_id: str
    question: str
    yes_token_id: str | None
    no_token_id: str | None


class OrderRow(NamedTuple):
    """An order: `limit_px` in cents (None for a sell without a limit), `reserved_usd` in
    micro-USDC still reserved, `reserved_qty` contracts still reserved. A named tuple: verify
    and recovery read every order of a session."""

    local_id: str
    exchange_order_id: str | None
    session_id: str
    market_id: str
    token_id: str
    side: str
    qty: int
    limit_px: int | None
    tif: str
    group_id: str | None
    status: str
    filled_qty: int
    reserved_usd: int
    reserved_qty: int
    submitted_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class MintEventRow:
    """A mint or merge: `amount` and `gas_cost` in micro-USDC (a merge of n pairs: n * 10^6)."""

    id: int
    tx_hash: str | None
    session_id: str
    condition_id: str
    operation: str
    amount: int
    status: str
    gas_cost: int
    submitted_at: str
    confirmed_at: str | None


@dataclass(frozen=True, slots=True)
class FillRow:
    """A fill: `price` in micro-USDC per contract, `fee` in micro-USDC."""

    fill_id: str
    order_id: str
    session_id: str
    market_id: str
    token_id: str
    side: str
    qty: int
    price: int
    fee: int
    timestamp: str


@dataclass(frozen=True, slots=True)
class PositionRow:
    """A token's position: `cost_basis` and the PnLs in micro-USDC, exact; `avg_price` is
    cost_basis // qty in micro-USDC per contract, for display (0 when flat)."""

    market_id: str
    token_id: str
    session_id: str
    side: str
    qty: int
    avg_price: int
    realized_pnl: int
    unrealized_pnl: int
    cost_basis: int
    outcome: str | None
    updated_at: str


@dataclass(frozen=True, slots=True)
class ResolutionRow:
    """A resolved condition: payouts in micro-USDC a share, the latest redemption's status
    (None: none submitted), `paid` micro-USDC by confirmed redemptions."""

    session_id: str
    condition_id: str
    yes_payout: int
    no_payout: int
    redemption: str | None
    paid: int
    resolved_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class JournalRow:
    """One journaled event: `payload` as journal.py encoded it, `recorded_at` in microseconds
    since the epoch, `hash` the row's link of the chain (None where nothing computed it)."""

    seq: int
    kind: str
    payload: bytes
    duplicate: bool
    recorded_at: int = 0
    hash: bytes | None = None


# session_id length, seq, kind length, payload type and length, duplicate, recorded_at.
_HASH_HEAD: Final = struct.Struct(">IqIBIBq")
_PAYLOAD_BLOB: Final = 0
_PAYLOAD_TEXT: Final = 1
_PAYLOAD_OTHER: Final = 2


def journal_row_hash(  # noqa: PLR0917 (a journal row's columns, in order)
    previous: bytes,
    session_id: str,
    seq: int,
    kind: str,
    payload: object,
    duplicate: int,
    recorded_at: int,
) -> bytes:
    """sha256 of the previous row's hash (`JOURNAL_GENESIS` before seq 1) and the row.

    The encoding is unambiguous: fixed-width integers, each variable field preceded by its
    length, and the payload's SQLite type, so no two different rows encode alike.
    """
    if isinstance(payload, bytes):
        tag, body = _PAYLOAD_BLOB, payload
    elif isinstance(payload, str):
        tag, body = _PAYLOAD_TEXT, payload.encode("utf-8", "surrogatepass")
    else:
        tag, body = _PAYLOAD_OTHER, repr(payload).encode()
    sid = session_id.encode("utf-8", "surrogatepass")
    kind_bytes = (
        kind.encode("utf-8", "surrogatepass") if isinstance(kind, str) else repr(kind).encode()
    )
    head = _HASH_HEAD.pack(
        len(sid), seq, len(kind_bytes), tag, len(body), 1 if duplicate else 0, recorded_at
    )
    return hashlib.sha256(b"".join((previous, head, sid, kind_bytes, body))).digest()
