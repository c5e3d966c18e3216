"""A progress bar with events per second for long replays, on a terminal only.

Off a terminal (a pipe, a file, CI) a replay prints nothing extra, so scripts read the same
output as before.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

__all__ = ["Advance", "replay_progress"]

Advance = Callable[[int], None]
"""Called with the number of journal rows just replayed."""


def _rate_column() -> Any:
    """A column of journal rows replayed per second."""
    from rich.progress import ProgressColumn, Task  # noqa: PLC0415 (a terminal's import)
    from rich.text import Text  # noqa: PLC0415

    class RateColumn(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text("" if speed is None else f"{speed:,.0f} events/s")

    return RateColumn()


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
    # rich is imported when there is a terminal to draw on: scripts start faster without it.
    from rich.console import Console  # noqa: PLC0415
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn  # noqa: PLC0415

    console = Console(file=stream, force_terminal=force or None)
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), _rate_column())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=total)

        def advance(rows: int) -> None:
            bar.advance(task, rows)

        yield advance
