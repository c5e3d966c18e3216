"""The operator's views of a session: its state at any journal row (`show`), its journal
(`history`), typed tables of it (`views.export`, which loads pyarrow, so it is imported on its
own), the sessions of a database, and progress bars for long replays."""

from __future__ import annotations

from weatherman_inventory.views.history import HistoryFilter, history_rows, history_table
from weatherman_inventory.views.replay import SessionState, each_event, parse_at, state_at
from weatherman_inventory.views.sessions import HostPlan, host_plans, list_sessions
from weatherman_inventory.views.show import show_json, show_tables

__all__ = [
    "HistoryFilter",
    "HostPlan",
    "SessionState",
    "each_event",
    "history_rows",
    "history_table",
    "host_plans",
    "list_sessions",
    "parse_at",
    "show_json",
    "show_tables",
    "state_at",
]
