"""What can be wrong with a store itself, each said in one line naming the store.

The drivers' own errors (``sqlite3.DatabaseError``, psycopg's, the library's wrappers
of both) are classified here once, so the command line and the HTTP API say the same
thing about a damaged, read-only or foreign store.
"""

from __future__ import annotations

import sqlite3

import psycopg
from eventsourcing.persistence import PersistenceError


class StoreError(Exception):
    """The store cannot be used as asked; the message names it and says why."""

    problem = "unusable"


class StoreMissing(StoreError):
    """No ledger where the URL points (a misspelled path, a schema never initialised)."""

    problem = "missing"


class NotALedger(StoreError):
    """A file or schema that holds something else than a label-ledger store."""

    problem = "foreign"


class StoreDamaged(StoreError):
    """A store whose file or tables cannot be read as they should."""

    problem = "damaged"


class StoreReadOnly(StoreError):
    """A command that writes, on a store that may only be read."""

    problem = "read-only"

    def __init__(self, message: str, situation: str = "") -> None:
        super().__init__(message)
        self.situation = situation or message
        """What makes the store read-only, without what follows for the command."""


class StoreFormatError(StoreError):
    """A store of another format than this version writes: upgrade it, or upgrade us."""

    problem = "format"


class StoreBusy(StoreError):
    """Another writer held the store's lock for longer than the lock timeout."""

    problem = "busy"


_READ_ONLY_MARKERS = (
    "attempt to write a readonly database",
    "read-only transaction",
    "readonly database",
)
_DAMAGE_MARKERS = (
    "file is not a database",
    "database disk image is malformed",
    "disk i/o error",
    "no such table",
    "does not exist",
    "unable to open database file",
)


def store_error_from(error: BaseException, where: str) -> StoreError | None:
    """The store problem a driver error shows, or None when it shows none."""
    if isinstance(error, StoreError):
        return error
    cause = _driver_error(error)
    if cause is None:
        return None
    text = first_line(cause)
    lowered = text.lower()
    if isinstance(cause, psycopg.errors.InsufficientPrivilege):
        return StoreReadOnly(f"{where}: the PostgreSQL role may not do this: {text}")
    if any(marker in lowered for marker in _READ_ONLY_MARKERS):
        return StoreReadOnly(f"{where} is read-only: this command writes ({text})")
    if "database is locked" in lowered or isinstance(cause, psycopg.errors.LockNotAvailable):
        return StoreBusy(f"{where} is locked by another writer: {text}; retry later")
    if any(marker in lowered for marker in _DAMAGE_MARKERS):
        return StoreDamaged(f"{where} is damaged: {text}; run label-ledger db check")
    if isinstance(cause, sqlite3.DatabaseError) and not isinstance(cause, sqlite3.IntegrityError):
        return StoreDamaged(f"{where}: {text}")
    return None


def _driver_error(error: BaseException) -> BaseException | None:
    """The first SQLite, psycopg or library persistence error in the cause chain."""
    seen: BaseException | None = error
    found: BaseException | None = None
    while seen is not None:
        if isinstance(seen, sqlite3.Error | psycopg.Error):
            return seen
        if isinstance(seen, PersistenceError) and found is None:
            found = seen
        seen = seen.__cause__
    return found


def first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
