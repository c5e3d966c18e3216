"""What an undo checkpoint keeps of the ledger's mappings, shared by the manager and its rooms.

A journaled event that fails to commit is undone from a checkpoint taken before it: each room
hands the checkpoint the keys of its mappings the event can change, as `Saved` entries, and the
manager puts them back newest first (`InventoryManager._restore`).
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["MISSING", "Saved"]

MISSING: Final = object()
"""A checkpoint's value for a key its mapping did not hold: putting it back removes the key."""

Saved = tuple[dict[str, Any], str, object]
"""One key of a mapping as a checkpoint keeps it: (the mapping, the key, its value or
`MISSING`)."""
