"""Bulk reads for verification: binary results on PostgreSQL (no hex-decoding of BYTEA)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from infrastructure.store.sql import Tx


def select_all(tx: Tx, statement: str, params: Sequence[Any] = ()) -> list[Any]:
    """Every row of a ``?``-placeholder query; BLOB / BYTEA come back as bytes on both stores."""
    if tx.dialect == "postgresql":
        tx.cursor.execute(tx.sql(statement), params, binary=True)
    else:
        tx.cursor.execute(statement, params)
    return tx.cursor.fetchall()  # type: ignore[no-any-return]
