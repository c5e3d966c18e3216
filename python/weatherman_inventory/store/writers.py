"""The `writers` table's statements, shared by both backends: a claim takes the next epoch, a
release records how the writer left."""

from __future__ import annotations

import os
import socket
from typing import Final

__all__ = ["CLAIM_WRITER", "RELEASE_WRITER", "holder"]

CLAIM_WRITER: Final = (
    "INSERT INTO writers (session_id, epoch, holder, state, claimed_at) "
    "VALUES (?, 1, ?, 'writing', ?) "
    "ON CONFLICT(session_id) DO UPDATE SET epoch = writers.epoch + 1, holder = excluded.holder, "
    "state = 'writing', claimed_at = excluded.claimed_at, released_at = NULL "
    "RETURNING epoch"
)
RELEASE_WRITER: Final = (
    "UPDATE writers SET state = ?, released_at = ? WHERE session_id = ? AND state = 'writing'"
)


def holder() -> str:
    """This process as the writers table names it: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"
