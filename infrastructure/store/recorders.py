"""Application recorders for SQLite and PostgreSQL with one append path.

An append runs inside the writer's transaction, which serialises writers; it assigns
dense ledger positions (1, 2, 3, ... with no gaps, so that position N is Merkle leaf
N-1), inserts the events in one statement and runs every registered append hook
(Merkle leaves, inline read models, snapshots) before the writer commits.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from eventsourcing.persistence import IntegrityError, InterfaceError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import (
    SQLITE3_DEFAULT_LOCK_TIMEOUT,
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
)
from psycopg.rows import tuple_row

from domain.events import LedgerEvent
from infrastructure.store.bulk import Column, insert_rows
from infrastructure.store.event_table import events_table
from infrastructure.store.hooks import AppendedEvent, AppendHook
from infrastructure.store.sql import Tx

STATEMENT_CACHE_SIZE = 128


def event_columns(position: str) -> list[Column]:
    """The events table's columns, its position column named per store."""
    return [
        (position, "bigint"),
        ("originator_id", "text"),
        ("originator_version", "bigint"),
        ("topic", "text"),
        ("state", "bytea"),
    ]


class LedgerRecorder:
    """The parts of the append path that do not depend on the store."""

    hooks: list[AppendHook]
    events_table_name: str
    # False for a store opened as it is (read-only, or by a role without DDL rights).
    creates_tables = True

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int]:
        # The library's save() would bypass the ledger's rules, positions and hooks.
        msg = "events are appended by Ledger.execute only"
        raise NotImplementedError(msg)

    def append_in(
        self,
        tx: Tx,
        base: int,
        stored_events: Sequence[StoredEvent],
        events: Sequence[LedgerEvent | None],
    ) -> list[int]:
        """Inserts events after position ``base`` in one statement, then runs every hook.

        The caller holds the write lock (:meth:`lock_for_append`) and read ``base`` as
        the ledger's last position in the same transaction, so positions stay dense.
        ``events`` are the decoded events when the caller holds them (else None).
        """
        positions = list(range(base + 1, base + 1 + len(stored_events)))
        self._insert_rows(tx, positions, stored_events)
        appended = [
            AppendedEvent(p, str(s.originator_id), s.originator_version, s.topic, s.state, e)
            for p, s, e in zip(positions, stored_events, events, strict=True)
        ]
        for hook in self.hooks:
            hook.on_append(tx, appended)
        return positions

    def lock_for_append(self, tx: Tx) -> None:
        """Serialises writers before the last position is read (SQLite: BEGIN IMMEDIATE)."""

    def add_hook(self, hook: AppendHook) -> None:
        if self.creates_tables:
            with self.write_transaction() as tx:
                hook.create_tables(tx)
        self.hooks.append(hook)

    def write_transaction(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def statement_read(self) -> Any:
        """A Tx for reads whose every statement stands alone: a context manager.

        On PostgreSQL a pooled connection in autocommit mode, each statement reading its
        own snapshot, with no BEGIN and ROLLBACK round trips; on SQLite the read
        transaction (no round trips to save).
        """
        return self.read_transaction()

    def read_transaction(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def events_table(self, tx: Tx) -> str:
        return tx.table(self.events_table_name)

    def _insert_rows(self, tx: Tx, positions: list[int], stored: Sequence[StoredEvent]) -> None:
        table, position = events_table(tx)
        insert_rows(
            tx,
            table,
            event_columns(position),
            [
                (p, s.originator_id, s.originator_version, s.topic, s.state)
                for p, s in zip(positions, stored, strict=True)
            ],
        )


def plain_cursor(connection: sqlite3.Connection) -> sqlite3.Cursor:
    """A cursor returning tuples: the library's connections build ``sqlite3.Row`` objects."""
    cursor = connection.cursor()
    cursor.row_factory = None
    return cursor


def statement_caching_connection(pool: SQLiteConnectionPool) -> SQLiteConnection:
    """The library's connection, with a real statement cache.

    eventsourcing 9.5 opens connections with ``cached_statements=True``, a cache of ONE
    compiled statement, so every other query is compiled again each time it runs
    (~6 µs a query here). Otherwise this is the library's own set-up: autocommit,
    WAL on a file, ``sqlite3.Row`` rows for the library's own queries.
    """
    try:
        connection = sqlite3.connect(
            database=pool.db_name,
            uri=True,
            check_same_thread=False,
            isolation_level=None,
            cached_statements=STATEMENT_CACHE_SIZE,
            timeout=pool.lock_timeout or SQLITE3_DEFAULT_LOCK_TIMEOUT,
        )
    except (sqlite3.Error, TypeError) as error:
        raise InterfaceError(error) from error
    if not pool.is_sqlite_memory_mode and not pool.is_journal_mode_wal:
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
        if mode.lower() != "wal":
            connection.execute("PRAGMA journal_mode=WAL")
            pool.journal_mode_was_changed_to_wal = True
        pool.is_journal_mode_wal = True
    connection.row_factory = sqlite3.Row
    return SQLiteConnection(sqlite_conn=connection, max_age=pool.max_age)


class LedgerSQLiteRecorder(LedgerRecorder, SQLiteApplicationRecorder):
    # The library's pool keeps 5 connections and closes any extra one after use; a
    # server with dozens of worker threads then opens a file connection per request.
    POOL_SIZE = 48

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hooks = []
        pool = self.datastore.pool
        pool.pool_size = max(pool.pool_size, self.POOL_SIZE)
        pool.max_overflow = max(pool.max_overflow, self.POOL_SIZE)
        pool._create_connection = functools.partial(  # type: ignore[method-assign]
            statement_caching_connection, pool
        )

    @contextmanager
    def write_transaction(self) -> Iterator[Tx]:
        with self.datastore.get_connection(commit=True) as conn:
            raw: sqlite3.Connection = conn._sqlite_conn
            cursor = plain_cursor(raw)
            try:
                # IMMEDIATE takes the write lock before reading the last position.
                cursor.execute("BEGIN IMMEDIATE")
                yield Tx(cursor, "sqlite")
                raw.commit()
            except sqlite3.IntegrityError as error:
                raw.rollback()
                raise IntegrityError(error) from error
            except BaseException:
                raw.rollback()
                raise
            finally:
                cursor.close()

    @contextmanager
    def read_transaction(self) -> Iterator[Tx]:
        with self.datastore.get_connection(commit=False) as conn:
            raw: sqlite3.Connection = conn._sqlite_conn
            cursor = plain_cursor(raw)
            try:
                cursor.execute("BEGIN")
                yield Tx(cursor, "sqlite")
            finally:
                raw.rollback()
                cursor.close()



class LedgerPostgresRecorder(LedgerRecorder, PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hooks = []

    @property
    def schema(self) -> str:
        return str(self.datastore.schema)

    @contextmanager
    def write_transaction(self) -> Iterator[Tx]:
        with self.datastore.get_connection() as conn:
            try:
                with conn.transaction(), conn.cursor(row_factory=tuple_row) as cursor:
                    yield Tx(cursor, "postgresql", self.schema)
            except psycopg.errors.IntegrityError as error:
                raise IntegrityError(error) from error

    @contextmanager
    def read_transaction(self) -> Iterator[Tx]:
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(force_rollback=True),
            conn.cursor(row_factory=tuple_row) as cursor,
        ):
            yield Tx(cursor, "postgresql", self.schema)

    @contextmanager
    def statement_read(self) -> Iterator[Tx]:
        with (
            self.datastore.get_connection() as conn,
            conn.cursor(row_factory=tuple_row) as cursor,
        ):
            yield Tx(cursor, "postgresql", self.schema)

    def lock_for_append(self, tx: Tx) -> None:
        tx.execute(f"SET LOCAL lock_timeout = '{self.datastore.lock_timeout}s'")
        # EXCLUSIVE still lets readers in, but serialises writers, so that
        # positions are assigned and committed in the same order.
        tx.execute(f"LOCK TABLE {self.events_table(tx)} IN EXCLUSIVE MODE")

