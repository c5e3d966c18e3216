"""A session's account: the ledger's money after its latest event, one `accounts` row a session.

Cash lives in the ledger's memory and its journal; the `accounts` row is a cache of it that
other sessions' readers (`fleet`) can sum in SQL without replaying anyone's journal. The journal
writes it in the transaction of every event after the opening row (`Journal._plan`), `verify`
compares it with the replay, and recovery rewrites it like every other cache. A session without
a row has journaled nothing since it opened: it holds its initial capital alone.

All amounts are exact: micro-USDC, and the positions' value at their marks, which can hold
fractions of a micro-dollar (micro-shares times micro-USDC per share), as micro-USDC rounded
down plus the rest in 10^-12 dollars.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, Protocol

from weatherman_inventory.events import MICRO, SessionOpened

if TYPE_CHECKING:
    from weatherman_inventory.store import PersistenceLayer

__all__ = [
    "ACCOUNT_FIELDS",
    "UPSERT_ACCOUNT",
    "Account",
    "AccountSource",
    "account_of",
    "account_params",
    "expected_account_seq",
    "load_account",
    "usd_text",
]

ACCOUNT_FIELDS: Final = (
    "seq",
    "cash",
    "in_flight",
    "unsettled",
    "adjustments",
    "cost",
    "realized",
    "value",
    "value_frac",
)
"""The columns of an accounts row besides its session id and time, in `Account`'s order."""

UPSERT_ACCOUNT: Final = (
    "INSERT INTO accounts (session_id, seq, cash, in_flight, unsettled, adjustments, cost, "
    "realized, value, value_frac, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT(session_id) DO UPDATE SET seq = excluded.seq, cash = excluded.cash, "
    "in_flight = excluded.in_flight, unsettled = excluded.unsettled, "
    "adjustments = excluded.adjustments, cost = excluded.cost, realized = excluded.realized, "
    "value = excluded.value, value_frac = excluded.value_frac, updated_at = excluded.updated_at"
)

_SELECT_ACCOUNT: Final = f"SELECT {', '.join(ACCOUNT_FIELDS)} FROM accounts WHERE session_id = ?"

# The journal row an accounts row reflects: the last one that applied an event (a fill the store
# refused as a duplicate changed nothing, and the opening row writes no account).
_LAST_APPLIED: Final = (
    "SELECT seq FROM journal WHERE session_id = ? AND duplicate = 0 AND kind <> ? "
    "ORDER BY seq DESC LIMIT 1"
)


class AccountSource(Protocol):
    """What an account is read from (the InventoryManager provides it)."""

    def account_totals(self) -> tuple[int, int, int, int, int, int, int]:
        """(cash, in flight, unsettled, adjustments, cost, realised, value): micro-USDC, the
        value in 10^-12 dollars."""
        ...


@dataclass(frozen=True, slots=True)
class Account:
    """A session's money after journal row `seq`, exact: micro-USDC, and the positions' value
    as `value` micro-USDC plus `value_frac` 10^-12 dollars."""

    seq: int
    cash: int
    """USDC owned, unsettled sale proceeds included (the snapshot's totalUsd); signed."""
    in_flight: int
    """Reserved by open buy orders and pending mints."""
    unsettled: int
    """Proceeds of provisional sales, owned but not yet accessible."""
    adjustments: int
    """The signed sum of cash adjustments."""
    cost: int
    """The positions' cost basis: what the session has at risk in shares."""
    realized: int
    """PnL realised by sales, merges and redemptions, net of fees."""
    value: int
    value_frac: int

    @property
    def value_pico(self) -> int:
        """The positions at their marks, 10^-12 dollars."""
        return self.value * MICRO + self.value_frac

    @property
    def unrealized_pico(self) -> int:
        """Marked value minus cost, 10^-12 dollars."""
        return self.value_pico - self.cost * MICRO

    @property
    def equity_pico(self) -> int:
        """Cash plus the positions at their marks, 10^-12 dollars."""
        return self.cash * MICRO + self.value_pico


def account_of(manager: AccountSource, seq: int) -> Account:
    """The account of a manager's state after journal row `seq`."""
    cash, in_flight, unsettled, adjustments, cost, realized, value = manager.account_totals()
    whole, frac = divmod(value, MICRO)
    return Account(seq, cash, in_flight, unsettled, adjustments, cost, realized, whole, frac)


def account_params(manager: AccountSource, session_id: str, seq: int, now: str) -> tuple[Any, ...]:
    """`UPSERT_ACCOUNT`'s parameters: `account_of` as the row, built without the object (the
    journal writes one with every event)."""
    cash, in_flight, unsettled, adjustments, cost, realized, value = manager.account_totals()
    return (
        session_id, seq, cash, in_flight, unsettled, adjustments, cost, realized,
        value // MICRO, value % MICRO, now,
    )  # fmt: skip


def load_account(store: PersistenceLayer, session_id: str) -> Account | None:
    """The session's accounts row; None if it has none (or the database has no such table)."""
    if not store.has_table("accounts"):
        return None
    with store.transaction(write=False) as conn:
        row = conn.execute(_SELECT_ACCOUNT, (session_id,)).fetchone()
    return None if row is None else Account(*(int(v) for v in row))


def expected_account_seq(store: PersistenceLayer, session_id: str) -> int | None:
    """The journal row the session's accounts row must reflect; None when it must have none."""
    with store.transaction(write=False) as conn:
        row = conn.execute(_LAST_APPLIED, (session_id, SessionOpened.kind)).fetchone()
    return None if row is None else int(row[0])


def usd_text(micro: int = 0, pico: int = 0) -> str:
    """`micro` micro-USDC plus `pico` 10^-12 dollars as an exact decimal string of dollars:
    six decimals, or twelve when the amount holds a fraction of a micro-dollar."""
    total = micro * MICRO + pico
    if total % MICRO == 0:
        return f"{Decimal(total // MICRO).scaleb(-6):f}"
    return f"{Decimal(total).scaleb(-12):f}"
