"""A store too damaged to read, turned into a finding with a position.

Verification reads every row; on a damaged file the driver fails mid-read (SQLite:
"database disk image is malformed", text that is not UTF-8, a table gone), or a row
holds a value of the wrong type. Each becomes a ``store-damaged`` finding (or
``not-a-ledger`` when the ledger's tables are missing), at the first position that
cannot be read, found by reading the events one by one from where the run got to.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import msgspec
import psycopg

from infrastructure.tamper.diagnosis import Problem
from infrastructure.tamper.event_rows import event_table

if TYPE_CHECKING:
    from infrastructure.ledger import Ledger

STORE_DAMAGED = "store-damaged"
NOT_A_LEDGER = "not-a-ledger"
DATABASE_ERRORS = (
    sqlite3.DatabaseError,
    psycopg.DataError,
    psycopg.IntegrityError,
    psycopg.InternalError,
    psycopg.ProgrammingError,
)
DAMAGE_ERRORS = (
    *DATABASE_ERRORS,
    TypeError,
    ValueError,
    LookupError,
    AttributeError,
    msgspec.DecodeError,
)
_PROBE = 10_000


def unreadable(ledger: Ledger, verified: int, error: Exception) -> Problem:
    reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
    if "no such table" in reason or "does not exist" in reason:
        return Problem(
            position=0,
            kind=NOT_A_LEDGER,
            detail=f"not a ledger (or one missing its tables): {reason}",
        )
    position = _first_unreadable(ledger, verified) if isinstance(error, DATABASE_ERRORS) else None
    at = verified + 1 if position is None else position
    return Problem(
        position=at,
        kind=STORE_DAMAGED,
        detail=f"the store cannot be read at or after position {at}: {reason}",
    )


def _first_unreadable(ledger: Ledger, verified: int) -> int | None:
    """The first event row past ``verified`` that the driver cannot read, if one is."""
    if ledger.settings.dialect != "sqlite":
        return None
    try:
        with ledger.read() as tx:
            events = event_table(tx)
            for position in range(verified + 1, verified + 1 + _PROBE):
                try:
                    if not events.rows(tx, position - 1, position):
                        return None
                except sqlite3.DatabaseError:
                    return position
    except sqlite3.DatabaseError:
        return None
    return None
