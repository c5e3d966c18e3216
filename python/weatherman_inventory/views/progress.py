"""A progress bar with events per second for long replays, on a terminal only.

Off a terminal (a pipe, a file, CI) a replay prints nothing extra, so scripts read the same
output as before.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn
from rich.text import Text

__all__ = ["Advance", "replay_progress"]

Advance = Callable[[int], None]
"""Called with the number of journal rows just replayed."""


class _RateColumn(ProgressColumn):
    """Journal rows replayed per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} events/s")


def _nothing(_rows: int) -> None:
    return None


@contextmanager
def replay_progress(
    label: str, total: int, stream: IO[str] | None = None, *, force: bool = False
) -> Iterator[Advance]:
    """A progress bar for replaying `total` journal rows, on `stream` (stderr by default) when
    it is a terminal (or `force`); the yielded function advances it."""
    stream = sys.stderr if stream is None else stream
    if not (force or stream.isatty()):
        yield _nothing
        return
    console = Console(file=stream, force_terminal=force or None)
    columns = (
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=total)

        def advance(rows: int) -> None:
            bar.advance(task, rows)

        yield advance
