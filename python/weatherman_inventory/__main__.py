"""`python -m weatherman_inventory`: the operator's command line (see cli.py)."""

from __future__ import annotations

from weatherman_inventory.cli import main

raise SystemExit(main())
