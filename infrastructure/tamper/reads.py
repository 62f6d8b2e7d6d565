"""Reads of the tamper-evidence code: plain tuples, binary results on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from psycopg.rows import tuple_row

from infrastructure.store.sql import Tx


def select_all(tx: Tx, statement: str, params: Sequence[Any] = ()) -> list[Any]:
    """Every row of a ``?``-placeholder query; BLOB / BYTEA come back as bytes on both stores."""
    if tx.dialect == "postgresql":
        tx.cursor.execute(tx.sql(statement), params, binary=True)
        return tx.cursor.fetchall()  # type: ignore[no-any-return]
    tx.execute(statement, params)
    return tx.fetchall()


def select_streamed(
    tx: Tx, statement: str, params: Sequence[Any] = (), page: int = 10_000
) -> Iterator[Any]:
    """The rows of a query ``page`` at a time, never all at once (a server-side cursor on
    PostgreSQL, which needs the transaction ``tx`` is in)."""
    if tx.dialect == "postgresql":
        connection = tx.cursor.connection
        named = connection.cursor(name="label_ledger_streamed", binary=True, row_factory=tuple_row)
        with named as cursor:
            cursor.itersize = page
            cursor.execute(tx.sql(statement), params)
            yield from cursor
        return
    tx.execute(statement, params)
    while rows := tx.cursor.fetchmany(page):
        yield from rows


# psycopg adapts a list parameter element by element, in Python, by default as a text
# array: ~50 ms for 10,000 (bigint, bigint, bytea) rows, ~12 ms in binary. A short list
# of integers is cheapest as a ready array literal (0.05 against 0.14 ms for 2 x 64).


def bigint_array(values: Iterable[int]) -> str:
    """A PostgreSQL array literal of integers, for a ``?::bigint[]`` parameter."""
    return "{" + ",".join([str(int(value)) for value in values]) + "}"
