"""Tables of numbers: drawn under every chart, written as CSV, compared by the tests.

Cells keep their raw values (a share is 0.2353, not "23.5 %"); the templates format them
by the column's kind and keep the raw value in ``data-value``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from typing import Literal

import msgspec

ColumnKind = Literal["text", "count", "share", "date"]
Cell = str | int | float | date | None


class Column(msgspec.Struct, frozen=True):
    name: str
    kind: ColumnKind = "text"


class Row(msgspec.Struct, frozen=True, kw_only=True):
    cells: tuple[Cell, ...]
    href: str | None = None  # the first cell links here


class Table(msgspec.Struct, frozen=True, kw_only=True):
    caption: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]


def table(caption: str, columns: Sequence[Column], rows: Sequence[Row]) -> Table:
    return Table(caption=caption, columns=tuple(columns), rows=tuple(rows))


def csv_text(t: Table) -> str:
    """The table as CSV: a header of column names, then raw values (empty for none)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(c.name for c in t.columns)
    writer.writerows(tuple(_raw(c) for c in row.cells) for row in t.rows)
    return out.getvalue()


def _raw(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)
