"""One small cursor adapter so append hooks and read models speak to both stores."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

Dialect = Literal["sqlite", "postgresql"]


class Tx:
    """A cursor inside one transaction; SQL is written with ``?`` placeholders."""

    def __init__(self, cursor: Any, dialect: Dialect, schema: str | None = None) -> None:
        self.cursor = cursor
        self.dialect = dialect
        self.schema = schema
        self._converted: dict[str, str] = {}

    def table(self, name: str) -> str:
        if self.dialect == "postgresql" and self.schema:
            return f'"{self.schema}"."{name}"'
        return name

    def sql(self, statement: str) -> str:
        if self.dialect == "sqlite":
            return statement
        converted = self._converted.get(statement)
        if converted is None:
            converted = self._converted[statement] = statement.replace("?", "%s")
        return converted

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        if self.dialect == "postgresql":
            self.cursor.execute(self.sql(statement), params, prepare=bool(params))
        else:
            self.cursor.execute(statement, params)

    def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        self.cursor.executemany(self.sql(statement), rows)

    # Both stores' cursors return plain tuples (see the recorders).
    def fetchall(self) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self.cursor.fetchall()
        return rows

    def fetchone(self) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self.cursor.fetchone()
        return row

    def scalar(self, statement: str, params: Sequence[Any] = ()) -> Any:
        self.execute(statement, params)
        row = self.fetchone()
        return None if row is None else row[0]

    @property
    def blob_type(self) -> str:
        return "BLOB" if self.dialect == "sqlite" else "BYTEA"

    @property
    def bigint_type(self) -> str:
        return "INTEGER" if self.dialect == "sqlite" else "BIGINT"
