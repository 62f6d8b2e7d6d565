"""The recorders of a store opened as it is: no table created, and for reads, no write possible.

``settings.store_settings`` picks one per opening mode: ``create`` uses the recorders
themselves; ``write`` the ``Existing*`` ones, which create nothing (so a role with only
DML rights can write); ``read`` the ``ReadOnly*`` ones, whose connections the database
itself keeps from writing: SQLite files are opened ``mode=ro``, PostgreSQL sessions are
``default_transaction_read_only``.
"""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path
from typing import Any

from eventsourcing.persistence import InterfaceError
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import (
    SQLITE3_DEFAULT_LOCK_TIMEOUT,
    SQLiteConnection,
    SQLiteConnectionPool,
)

from infrastructure.store.postgres_sessions import session_options
from infrastructure.store.recorders import (
    STATEMENT_CACHE_SIZE,
    LedgerPostgresRecorder,
    LedgerSQLiteRecorder,
)
from infrastructure.store.sqlite_files import connect_read_only

READ_ONLY_SESSION = "-c default_transaction_read_only=on"


class ExistingSQLiteRecorder(LedgerSQLiteRecorder):
    creates_tables = False


class ExistingPostgresRecorder(LedgerPostgresRecorder):
    creates_tables = False


class ReadOnlySQLiteRecorder(ExistingSQLiteRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pool = self.datastore.pool
        pool._create_connection = functools.partial(  # type: ignore[method-assign]
            _read_only_connection, pool
        )


class ReadOnlyPostgresRecorder(ExistingPostgresRecorder):
    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        # Before the library's constructor opens the pool's first connections.
        assert isinstance(datastore.pool.kwargs, dict)
        datastore.pool.kwargs["options"] = session_options(datastore.pool.kwargs, READ_ONLY_SESSION)
        super().__init__(datastore, **kwargs)


def _read_only_connection(pool: SQLiteConnectionPool) -> SQLiteConnection:
    try:
        connection = connect_read_only(
            Path(pool.db_name).absolute(),
            timeout=pool.lock_timeout or SQLITE3_DEFAULT_LOCK_TIMEOUT,
            cached_statements=STATEMENT_CACHE_SIZE,
        )
    except sqlite3.Error as error:
        raise InterfaceError(error) from error
    connection.row_factory = sqlite3.Row
    return SQLiteConnection(sqlite_conn=connection, max_age=pool.max_age)
