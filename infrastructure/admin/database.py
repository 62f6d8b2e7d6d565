"""``db init``, ``db check`` and ``db upgrade``: a store's tables and format, made, checked
and moved forward explicitly."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import msgspec
import psycopg
from psycopg.rows import tuple_row

from infrastructure.access.last_used import create_last_used_table
from infrastructure.admin.inspection import StoreState, inspect_store, require_writable
from infrastructure.admin.layout import STORE_FORMAT, ledger_tables
from infrastructure.admin.meta import create_meta_table, record_format, record_new_store
from infrastructure.composition import (
    check_format,
    create_store,
    missing_message,
    open_store,
    store_session,
)
from infrastructure.projections.tables import PROJECTION, TRACKING
from infrastructure.settings import StoreSettings, store_settings
from infrastructure.store.errors import (
    StoreDamaged,
    StoreFormatError,
    StoreMissing,
    store_error_from,
)
from infrastructure.store.event_table import EVENTS_TABLES
from infrastructure.store.sql import Tx
from infrastructure.store.sqlite_files import connect_read_only, quick_check
from infrastructure.tamper.node_store import NODES_TABLE

Migration = Callable[[Tx], None]
TOKEN_TABLE_OF_FORMAT_1 = "api_tokens"


def to_format_2(tx: Tx) -> None:
    """The store records its format; the token table of format 1 goes (tokens authorise
    from their events since format 2: a row in a table authorised nothing)."""
    create_meta_table(tx)
    tx.execute(f"DROP TABLE IF EXISTS {tx.table(TOKEN_TABLE_OF_FORMAT_1)}")


def to_format_3(tx: Tx) -> None:
    """Tokens' last uses get their side table."""
    create_last_used_table(tx)


MIGRATIONS: dict[int, Migration] = {
    1: to_format_2,
    2: to_format_3,
}
"""From each older format to the next; each is idempotent (safe to run twice)."""


class InitReport(msgspec.Struct, frozen=True, kw_only=True):
    where: str
    created: bool
    created_tables: list[str]
    format: int


class UpgradeReport(msgspec.Struct, frozen=True, kw_only=True):
    where: str
    from_format: int
    to_format: int
    created_tables: list[str]


class CheckReport(msgspec.Struct, frozen=True, kw_only=True):
    """What ``db check`` found; ``problems`` is empty when the store is fit for this version."""

    where: str
    dialect: str
    format: int | None
    expected_format: int
    tables: int
    missing_tables: list[str]
    missing_indexes: list[str]
    integrity: str | None
    events: int | None
    merkle_leaves: int | None
    read_models_at: int | None
    writable: bool
    why_read_only: str
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def init_store(url: str) -> InitReport:
    """Creates the store (schema, tables, format record), or the tables it lacks."""
    settings = store_settings(url, "create")
    with store_session(settings) as connection:
        state = inspect_store(settings, connection)
        if not state.initialised:
            require_writable(state)
            create_store(settings, connection).close()
            return InitReport(
                where=state.where,
                created=True,
                created_tables=[t.name for t in ledger_tables(settings.dialect)],
                format=STORE_FORMAT,
            )
        check_format(state, "write")
        missing = state.missing_tables()
        if missing:
            require_writable(state)
            _recreate_tables(settings)
    return InitReport(where=state.where, created=False, created_tables=missing, format=STORE_FORMAT)


def upgrade_store(url: str) -> UpgradeReport:
    """Brings an older store to this version's format, one idempotent migration at a time."""
    settings = store_settings(url, "create")
    with store_session(settings) as connection:
        state = inspect_store(settings, connection)
        if not state.initialised:
            raise StoreMissing(missing_message(state))
        assert state.format is not None
        if state.format > STORE_FORMAT:
            check_format(state, "write")
        if state.format == STORE_FORMAT:
            return UpgradeReport(
                where=state.where,
                from_format=state.format,
                to_format=STORE_FORMAT,
                created_tables=[],
            )
        require_writable(state)
        missing = [t.name for t in ledger_tables(settings.dialect) if t.name not in state.tables]
        ledger = open_store(settings, catch_up=False)  # creates any table missing
        try:
            with ledger.write() as tx:
                for version in range(state.format, STORE_FORMAT):
                    MIGRATIONS[version](tx)
                record_format(tx, STORE_FORMAT)
        finally:
            ledger.close()
    return UpgradeReport(
        where=state.where,
        from_format=state.format,
        to_format=STORE_FORMAT,
        created_tables=missing,
    )


def _recreate_tables(settings: StoreSettings) -> None:
    ledger = open_store(settings, catch_up=False)
    try:
        with ledger.write() as tx:
            record_new_store(tx, STORE_FORMAT)
    finally:
        ledger.close()


# --- check ---------------------------------------------------------------------------


def check_store(url: str, *, integrity: bool = True) -> CheckReport:
    """Looks at the store read-only and lists what keeps this version from using it."""
    settings = store_settings(url, "read")
    with store_session(settings) as connection:
        state = inspect_store(settings, connection)
        problems = _format_problems(state)
        counts: dict[str, int | None] = {"events": None, "leaves": None, "tracked": None}
        found_integrity = None
        if state.initialised:
            with _raw_read(settings, connection) as tx:
                # Integrity first: counting rows of a damaged file would fail on its pages.
                if integrity and tx.dialect == "sqlite":
                    found_integrity = quick_check(tx.cursor.connection)
                if found_integrity in (None, "ok"):
                    counts = _counts(tx, state)
                if found_integrity == "ok":
                    problems += _retyped_events(tx, state)
    problems += _count_problems(counts)
    if found_integrity not in (None, "ok"):
        problems.append(f"SQLite's integrity check fails: {found_integrity}")
    return CheckReport(
        where=state.where,
        dialect=state.dialect,
        format=state.format,
        expected_format=STORE_FORMAT,
        tables=len(state.tables),
        missing_tables=state.missing_tables() if state.initialised else [],
        missing_indexes=state.missing_indexes() if state.initialised else [],
        integrity=found_integrity,
        events=counts["events"],
        merkle_leaves=counts["leaves"],
        read_models_at=counts["tracked"],
        writable=state.writable,
        why_read_only=state.why_read_only,
        problems=problems,
    )


def _format_problems(state: StoreState) -> list[str]:
    if not state.initialised:
        return [missing_message(state)]
    problems = []
    try:
        check_format(state, "write")
    except StoreFormatError as error:
        problems.append(str(error))
    missing = state.missing_tables()
    if missing:
        problems.append(f"missing tables: {', '.join(missing)} (label-ledger db init creates them)")
    indexes = state.missing_indexes()
    if indexes:
        problems.append(f"missing indexes: {', '.join(indexes)}")
    return problems


def _counts(tx: Tx, state: StoreState) -> dict[str, int | None]:
    events, position = EVENTS_TABLES[state.dialect]
    counts: dict[str, int | None] = {"events": None, "leaves": None, "tracked": None}
    if events in state.tables:
        counts["events"] = int(
            tx.scalar(f"SELECT COALESCE(MAX({position}), 0) FROM {tx.table(events)}")
        )
    if NODES_TABLE in state.tables:
        counts["leaves"] = int(
            tx.scalar(
                f"SELECT COALESCE(MAX(idx) + 1, 0) FROM {tx.table(NODES_TABLE)} WHERE level = 0"
            )
        )
    if TRACKING in state.tables:
        tracked = tx.scalar(
            f"SELECT position FROM {tx.table(TRACKING)} WHERE name = ?", (PROJECTION,)
        )
        counts["tracked"] = None if tracked is None else int(tracked)
    return counts


def _count_problems(counts: dict[str, int | None]) -> list[str]:
    events, leaves, tracked = counts["events"], counts["leaves"], counts["tracked"]
    problems = []
    if events is not None and leaves is not None and leaves != events:
        problems.append(
            f"the Merkle tree has {leaves} leaves for {events} events: run label-ledger verify"
        )
    if events is not None and tracked is not None and tracked != events:
        problems.append(
            f"the read models are at position {tracked}, the events at {events}: "
            "run label-ledger rebuild"
        )
    return problems


def _retyped_events(tx: Tx, state: StoreState) -> list[str]:
    """SQLite keeps any value in any column: an event's payload must still be bytes."""
    events, position = EVENTS_TABLES["sqlite"]
    if events not in state.tables:
        return []
    found = tx.scalar(f"SELECT MIN({position}) FROM {events} WHERE typeof(state) != 'blob'")
    if found is None:
        return []
    return [f"the event at position {found} is not stored as bytes: run label-ledger verify"]


@contextmanager
def _raw_read(settings: StoreSettings, connection: psycopg.Connection[Any] | None) -> Iterator[Tx]:
    """A Tx on the inspection's own connection: the store is checked, not opened."""
    if connection is not None:
        with connection.cursor(row_factory=tuple_row) as cursor:
            yield Tx(cursor, "postgresql", settings.env["POSTGRES_SCHEMA"])
        return
    assert settings.path is not None
    sqlite = connect_read_only(settings.path)
    try:
        yield Tx(sqlite.cursor(), "sqlite")
    except sqlite3.DatabaseError as error:
        raise store_error_from(error, settings.where) or StoreDamaged(
            f"{settings.where} is damaged: {error}"
        ) from None
    finally:
        sqlite.close()
