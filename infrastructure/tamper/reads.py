"""Bulk reads for verification: plain tuples, and binary results on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import closing
from typing import Any

from infrastructure.store.sql import Tx


def select_all(tx: Tx, statement: str, params: Sequence[Any] = ()) -> list[Any]:
    """Every row of a ``?``-placeholder query; BLOB / BYTEA come back as bytes on both stores."""
    if tx.dialect == "postgresql":
        tx.cursor.execute(tx.sql(statement), params, binary=True)
        return tx.cursor.fetchall()  # type: ignore[no-any-return]
    # The pool's connections make sqlite3.Row objects; a bare cursor of the same
    # transaction makes tuples, which halves the cost of reading a node row.
    with closing(tx.cursor.connection.cursor()) as cursor:
        cursor.row_factory = None
        cursor.execute(statement, params)
        return cursor.fetchall()
