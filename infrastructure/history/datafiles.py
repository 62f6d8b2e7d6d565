"""Reading the history's data files: CSV and TOML rows, each with where it came from.

A row is a mapping of column to value, and its ``Origin`` (file and row number) is
carried along so that any error about it names the file, the row and the field.
CSV rows are numbered by the line they end on (the header is line 1); TOML
entries by their place in their array of tables, with the line of their header.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from collections.abc import Container, Iterator
from importlib import resources
from typing import Any

import msgspec

from domain.errors import LedgerError

DATA_PACKAGE = "infrastructure.history.data"


class Origin(msgspec.Struct, frozen=True):
    """Where a row of data is: its file and row (for TOML, its entry and header line)."""

    file: str
    row: int
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}, row {self.row}"
        return where if self.line is None else f"{where} (line {self.line})"


class SeedDataError(LedgerError):
    """A data file of the history has a row that cannot be read or does not validate."""

    code = "seed-data-error"
    title = "Bad seed data"

    def __init__(self, origin: Origin, field: str | None, detail: str) -> None:
        self.origin = origin
        self.detail = detail
        at = "" if field is None else f", field {field!r}"
        super().__init__(f"{origin}{at}: {detail}", field=field)


class Row(msgspec.Struct, frozen=True):
    origin: Origin
    values: dict[str, Any]


def read_text(name: str) -> str:
    try:
        return resources.files(DATA_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SeedDataError(Origin(name, 0), None, f"cannot read the file: {error}") from None


def csv_rows(
    name: str, text: str | None = None, columns: Container[str] | None = None
) -> Iterator[Row]:
    """The rows of a CSV file (``text``: its content, when not read from the package).

    Cells are stripped; an empty cell is left out of the row, so that the field takes
    its default (or is reported missing). ``columns``: the only columns allowed.
    """
    reader = csv.DictReader(io.StringIO(read_text(name) if text is None else text))
    header = [h.strip() for h in reader.fieldnames or []]
    if len(set(header)) != len(header) or not all(header):
        raise SeedDataError(Origin(name, 1), None, f"bad header {header!r}")
    unknown = [h for h in header if columns is not None and h not in columns]
    if unknown:
        raise SeedDataError(Origin(name, 1), unknown[0], "unknown column")
    for record in reader:
        origin = Origin(name, reader.line_num)
        if None in record:
            raise SeedDataError(origin, None, "more cells than the header has columns")
        missing = [column for column, cell in record.items() if cell is None]
        if missing:
            raise SeedDataError(origin, missing[0], "fewer cells than the header has columns")
        yield Row(origin, {k.strip(): v.strip() for k, v in record.items() if v and v.strip()})


TABLE_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_.-]+)\s*\]\]")


def toml_rows(name: str, table: str, text: str | None = None) -> Iterator[Row]:
    """The entries of the array of tables ``[[table]]`` in a TOML file."""
    content = read_text(name) if text is None else text
    try:
        document = tomllib.loads(content)
    except tomllib.TOMLDecodeError as error:
        raise SeedDataError(Origin(name, 0), None, f"not valid TOML: {error}") from None
    entries = document.get(table, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise SeedDataError(Origin(name, 0), table, f"expected an array of tables [[{table}]]")
    lines = [
        number
        for number, text_line in enumerate(content.splitlines(), start=1)
        if (match := TABLE_HEADER.match(text_line)) and match.group(1) == table
    ]
    for index, entry in enumerate(entries, start=1):
        line = lines[index - 1] if index <= len(lines) else None
        yield Row(Origin(name, index, line), dict(entry))


def split_list(cell: Any, separator: str) -> list[Any]:
    """A list cell: a TOML list as is, or a CSV cell split on ``separator``."""
    if isinstance(cell, list):
        return cell
    return [item.strip() for item in str(cell).split(separator) if item.strip()]


def field_of(error: msgspec.ValidationError) -> str | None:
    """The field a msgspec validation error is about (``$.reported.count`` -> reported.count)."""
    message = str(error)
    at = re.search(r"- at `\$\.?([^`]*)`", message)
    if at:
        return at.group(1) or None
    named = re.search(r"field `([^`]+)`", message)
    return named.group(1) if named else None


def detail_of(error: msgspec.ValidationError) -> str:
    return re.sub(r"\s*- at `[^`]*`$", "", str(error))

