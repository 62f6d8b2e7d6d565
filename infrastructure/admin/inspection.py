"""What a store is, found without changing it: there or not, a ledger or not, its format,
its tables and indexes, and whether this process may write it.

A file or schema that cannot be a ledger (not SQLite, truncated, another program's
database, unreadable) is an error here, whatever the command; whether a missing or
older store is one depends on the command, and is decided by the composition root.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec
import psycopg

from infrastructure.admin.layout import META_TABLE, STORE_FORMAT, ledger_tables
from infrastructure.admin.meta import FORMAT_KEY, parse_format
from infrastructure.settings import StoreSettings
from infrastructure.store.errors import (
    NotALedger,
    StoreDamaged,
    StoreError,
    StoreReadOnly,
    store_error_from,
)
from infrastructure.store.event_table import EVENTS_TABLES
from infrastructure.store.sqlite_files import connect_read_only, header_problem


class StoreUnreadable(StoreError):
    """This process may not read the store (file permissions, PostgreSQL grants)."""

    problem = "unreadable"


class StoreState(msgspec.Struct, frozen=True, kw_only=True):
    """A store as found."""

    where: str
    dialect: str
    exists: bool
    """The file, or the PostgreSQL schema, is there."""
    initialised: bool
    """It holds a ledger: its events table or its ``ledger_meta``."""
    format: int | None
    """The recorded format; 1 for a ledger with no ``ledger_meta``; None if not initialised."""
    tables: frozenset[str] = frozenset()
    indexes: frozenset[str] = frozenset()
    writable: bool = True
    why_read_only: str = ""

    def missing_tables(self) -> list[str]:
        return [t.name for t in self._expected() if t.name not in self.tables]

    def missing_indexes(self) -> list[str]:
        return [
            index
            for table in self._expected()
            if table.name in self.tables
            for index in table.indexes(self.dialect)
            if index not in self.indexes
        ]

    def _expected(self) -> Iterable[Any]:
        store_format = min(self.format or STORE_FORMAT, STORE_FORMAT)
        return ledger_tables(self.dialect, store_format)


def inspect_store(
    settings: StoreSettings, connection: psycopg.Connection[Any] | None = None
) -> StoreState:
    """The store ``settings`` point to; PostgreSQL is read on ``connection`` (autocommit)."""
    if settings.dialect == "sqlite":
        return inspect_sqlite(settings)
    assert connection is not None
    try:
        return inspect_postgres(settings, connection)
    except psycopg.Error as error:
        raise store_error_from(error, settings.where) or StoreDamaged(
            f"{settings.where}: {error}"
        ) from None


# --- SQLite --------------------------------------------------------------------------


def inspect_sqlite(settings: StoreSettings) -> StoreState:
    path = settings.path
    if path is None:  # an in-memory database: always new
        return StoreState(
            where=settings.where, dialect="sqlite", exists=False, initialised=False, format=None
        )
    if not path.exists():
        may_create = os.access(path.parent, os.W_OK)
        return StoreState(
            where=str(path),
            dialect="sqlite",
            exists=False,
            initialised=False,
            format=None,
            writable=may_create,
            why_read_only="" if may_create else "its folder is read-only",
        )
    if path.is_dir():
        raise NotALedger(f"{path} is a folder, not a ledger file")
    # The file is read only through SQLite: closing any other descriptor of it would drop
    # every POSIX lock this process holds on it, those of its open ledgers included.
    try:
        connection = connect_read_only(path)
    except PermissionError:
        raise StoreUnreadable(f"cannot read {path}: permission denied") from None
    except sqlite3.Error as error:
        raise _sqlite_problem(path, error) from None
    try:
        return _sqlite_state(path, connection)
    except sqlite3.Error as error:
        raise _sqlite_problem(path, error) from None
    finally:
        connection.close()


def _sqlite_state(path: Path, connection: sqlite3.Connection) -> StoreState:
    rows = connection.execute("SELECT type, name FROM sqlite_master").fetchall()
    tables = frozenset(name for kind, name in rows if kind == "table")
    indexes = frozenset(name for kind, name in rows if kind == "index")
    events = EVENTS_TABLES["sqlite"][0]
    if tables and events not in tables and META_TABLE not in tables:
        shown = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
        msg = f"{path} is not a label-ledger store: a SQLite database of tables {shown}"
        raise NotALedger(msg)
    store_format = None
    if META_TABLE in tables:
        row = connection.execute(
            f"SELECT value FROM {META_TABLE} WHERE key = ?", (FORMAT_KEY,)
        ).fetchone()
        store_format = parse_format(row[0] if row else None, str(path))
    elif events in tables:
        store_format = 1
    writable, why = _sqlite_writable(path)
    return StoreState(
        where=str(path),
        dialect="sqlite",
        exists=True,
        initialised=store_format is not None,
        format=store_format,
        tables=tables,
        indexes=indexes,
        writable=writable,
        why_read_only=why,
    )


def _sqlite_writable(path: Path) -> tuple[bool, str]:
    # Writing needs the file and, for the journal or the write-ahead log, its folder.
    if not os.access(path, os.W_OK):
        return False, "the file is read-only"
    if not os.access(path.parent, os.W_OK):
        return False, "its folder is read-only"
    return True, ""


def _sqlite_problem(path: Path, error: sqlite3.Error) -> StoreError:
    """Why SQLite could not read ``path``, from its header when that says more."""
    text = str(error).strip() or type(error).__name__
    try:
        found = header_problem(path)
    except PermissionError:
        return StoreUnreadable(f"cannot read {path}: permission denied")
    except OSError:
        found = None
    if found == "not a SQLite database":
        return NotALedger(f"{path} is not a label-ledger store: it is not a SQLite database")
    if found is not None:
        return StoreDamaged(f"{path} is damaged: {found}")
    if "file is not a database" in text:
        return NotALedger(f"{path} is not a label-ledger store: it is not a SQLite database")
    if "unable to open database file" in text:
        return StoreUnreadable(f"cannot open {path}: {text}")
    return store_error_from(error, str(path)) or StoreDamaged(f"{path} is damaged: {text}")


# --- PostgreSQL ----------------------------------------------------------------------


def inspect_postgres(settings: StoreSettings, connection: psycopg.Connection[Any]) -> StoreState:
    schema = settings.env["POSTGRES_SCHEMA"]
    where = settings.where
    exists = connection.execute(
        "SELECT has_schema_privilege(oid, 'USAGE') FROM pg_namespace WHERE nspname = %s",
        (schema,),
    ).fetchone()
    if exists is None:
        writable, why = _postgres_may_create(connection, schema)
        return StoreState(
            where=where,
            dialect="postgresql",
            exists=False,
            initialised=False,
            format=None,
            writable=writable,
            why_read_only=why,
        )
    if not exists[0]:
        user = settings.env["POSTGRES_USER"]
        raise StoreUnreadable(f"{where}: role {user} may not use schema {schema}")
    relations = connection.execute(
        "SELECT c.relname, c.relkind FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'i')",
        (schema,),
    ).fetchall()
    tables = frozenset(name for name, kind in relations if kind in {"r", "p"})
    indexes = frozenset(name for name, kind in relations if kind == "i")
    events = EVENTS_TABLES["postgresql"][0]
    store_format = None
    if META_TABLE in tables:
        try:
            row = connection.execute(
                f'SELECT value FROM "{schema}"."{META_TABLE}" WHERE key = %s', (FORMAT_KEY,)
            ).fetchone()
        except psycopg.errors.InsufficientPrivilege:
            user = settings.env["POSTGRES_USER"]
            raise StoreUnreadable(f"{where}: role {user} may not read {META_TABLE}") from None
        store_format = parse_format(row[0] if row else None, where)
    elif events in tables:
        store_format = 1
    if store_format is None:
        writable, why = _postgres_may_create(connection, schema)
    else:
        writable, why = _postgres_may_write(connection, schema, events)
    return StoreState(
        where=where,
        dialect="postgresql",
        exists=True,
        initialised=store_format is not None,
        format=store_format,
        tables=tables,
        indexes=indexes,
        writable=writable,
        why_read_only=why,
    )


def _postgres_may_write(
    connection: psycopg.Connection[Any], schema: str, events: str
) -> tuple[bool, str]:
    row = connection.execute(
        "SELECT pg_is_in_recovery(), current_setting('default_transaction_read_only') = 'on', "
        "has_table_privilege(format('%%I.%%I', %s::text, %s::text), 'INSERT'), current_user",
        (schema, events),
    ).fetchone()
    assert row is not None
    standby, read_only, may_insert, user = row
    if standby:
        return False, "the PostgreSQL server is a read-only standby"
    if read_only:
        return False, "the PostgreSQL session is read-only (default_transaction_read_only)"
    if not may_insert:
        return False, f"role {user} may not write schema {schema}"
    return True, ""


def _postgres_may_create(connection: psycopg.Connection[Any], schema: str) -> tuple[bool, str]:
    row = connection.execute(
        "SELECT pg_is_in_recovery(), current_user, "
        "COALESCE((SELECT has_schema_privilege(oid, 'CREATE') FROM pg_namespace "
        "WHERE nspname = %s), has_database_privilege(current_database(), 'CREATE'))",
        (schema,),
    ).fetchone()
    assert row is not None
    standby, user, may_create = row
    if standby:
        return False, "the PostgreSQL server is a read-only standby"
    if not may_create:
        return False, f"role {user} may not create tables in schema {schema}"
    return True, ""


def require_writable(state: StoreState) -> None:
    if not state.writable:
        situation = f"{state.where}: {state.why_read_only}"
        if not state.initialised:
            raise StoreReadOnly(f"cannot create a ledger at {situation}", situation)
        raise StoreReadOnly(f"{situation}: this command writes (read commands work)", situation)
