"""Tables for the terminal: rich tables on a terminal, aligned plain text otherwise.

A view builds `Table`s of strings (already in the units a person reads) and hands them to
`render`; the same tables give both outputs, so what a script reads off a pipe and what an
operator sees on a terminal hold the same values.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Final

if TYPE_CHECKING:  # rich is imported when a terminal needs it: scripts start faster without
    from rich.console import Console

__all__ = ["Table", "console_for", "render", "render_plain", "write_plain_blocks"]


@dataclass(slots=True)
class Table:
    """A titled table: `numeric` columns are right-aligned. A table without rows is shown as
    its title and `empty` (e.g. "none")."""

    title: str
    columns: Sequence[str]
    rows: list[Sequence[str]] = field(default_factory=list)
    numeric: frozenset[str] = frozenset()
    empty: str = "none"


def console_for(stream: IO[str] | None = None, *, width: int | None = None) -> Console | None:
    """A rich console when `stream` (stdout by default) is a terminal, None otherwise."""
    stream = sys.stdout if stream is None else stream
    if not stream.isatty():
        return None
    from rich.console import Console  # noqa: PLC0415 (see the import above)

    return Console(file=stream, width=width, highlight=False)


_GAP: Final = "  "


def render_plain(tables: Sequence[Table | str]) -> str:
    """The tables as aligned plain text (a `str` item is a line of its own)."""
    out: list[str] = []
    for item in tables:
        if isinstance(item, str):
            out.append(item)
            continue
        if not item.rows:
            out.append(f"{item.title}: {item.empty}")
            out.append("")
            continue
        out.append(item.title)
        widths = [len(c) for c in item.columns]
        for row in item.rows:
            widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

        def line(cells: Sequence[str], table: Table = item, sizes: list[int] = widths) -> str:
            parts = [
                cell.rjust(w) if name in table.numeric else cell.ljust(w)
                for name, cell, w in zip(table.columns, cells, sizes, strict=True)
            ]
            return _GAP.join(parts).rstrip()

        out.append(line(list(item.columns)))
        out.extend(line(row) for row in item.rows)
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _plain_line(
    cells: Sequence[str], columns: Sequence[str], numeric: frozenset[str], widths: list[int]
) -> str:
    parts = [
        cell.rjust(w) if name in numeric else cell.ljust(w)
        for name, cell, w in zip(columns, cells, widths, strict=True)
    ]
    return _GAP.join(parts).rstrip()


def write_plain_blocks(
    table: Table, rows: Iterable[Sequence[str]], stream: IO[str], *, block: int = 1000
) -> None:
    """`table` with `rows` as `render_plain` writes it, holding `block` rows at a time: each
    block is aligned to the widest cells seen so far (columns only widen), so a table of a
    million rows is written in the memory of a thousand."""
    widths = [len(c) for c in table.columns]
    buffer: list[Sequence[str]] = []
    started = False

    def flush() -> None:
        nonlocal widths, started
        for row in buffer:
            widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
        if not started:
            stream.write(f"{table.title}\n")
            stream.write(_plain_line(table.columns, table.columns, table.numeric, widths) + "\n")
            started = True
        for row in buffer:
            stream.write(_plain_line(row, table.columns, table.numeric, widths) + "\n")
        buffer.clear()

    for row in rows:
        buffer.append(row)
        if len(buffer) >= block:
            flush()
    if buffer:
        flush()
    if not started:
        stream.write(f"{table.title}: {table.empty}\n")


def render(tables: Sequence[Table | str], console: Console | None, stream: IO[str]) -> None:
    """Print the tables: through `console` as rich tables, or as plain text on `stream`."""
    if console is None:
        stream.write(render_plain(tables))
        return
    from rich import box  # noqa: PLC0415 (a terminal's import, as above)
    from rich.table import Table as RichTable  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    for item in tables:
        if isinstance(item, str):
            console.print(Text(item))
            continue
        if not item.rows:
            console.print(Text.assemble((item.title, "bold"), f": {item.empty}"))
            console.print()
            continue
        table = RichTable(
            title=Text(item.title),
            title_justify="left",
            title_style="bold",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            collapse_padding=True,
        )
        for name in item.columns:
            if name in item.numeric:
                table.add_column(name, justify="right", no_wrap=True)
            else:
                # An id is folded onto a second line rather than cut: it must stay whole.
                table.add_column(name, overflow="fold")
        for row in item.rows:
            table.add_row(*(Text(cell) for cell in row))
        console.print(table)
        console.print()
