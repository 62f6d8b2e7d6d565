"""The composition root: opens a ledger with every append hook wired in, in one mode.

A store is looked at before it is opened (``admin.inspection``), so that what cannot be
opened is one line naming the store: missing (a misspelled path), not a ledger,
damaged, of another format, read-only for a command that writes. Only ``create`` may
make a store, and only when none is there; every other opening creates nothing.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import psycopg

from infrastructure.admin.inspection import StoreState, inspect_store, require_writable
from infrastructure.admin.layout import READABLE_FORMATS, STORE_FORMAT
from infrastructure.admin.meta import record_new_store
from infrastructure.ledger import Ledger
from infrastructure.projections import ProjectionHook, catch_up_projections
from infrastructure.settings import StoreMode, StoreSettingError, StoreSettings, store_settings
from infrastructure.store.errors import (
    StoreDamaged,
    StoreFormatError,
    StoreMissing,
    store_error_from,
)
from infrastructure.store.hooks import AppendHook
from infrastructure.tamper.merkle_log import merkle_log_hook

# Each feature that writes in the append transaction registers a factory here.
HOOK_FACTORIES: list[Callable[[], AppendHook]] = [
    merkle_log_hook,
    ProjectionHook,
]


class StoreUnavailable(StoreSettingError):
    """The database server cannot be reached."""


def open_ledger(url: str, mode: StoreMode = "create") -> Ledger:
    """Opens the ledger at ``url``: ``read`` only reads, ``write`` needs an existing store,
    ``create`` makes the store (file or schema, tables, format record) when there is none."""
    settings = store_settings(url, mode)
    with store_session(settings) as connection:
        state = inspect_store(settings, connection)
        if not state.initialised:
            if mode != "create":
                raise StoreMissing(missing_message(state))
            require_writable(state)
            return create_store(settings, connection)
        check_format(state, mode)
        check_complete(state)
        if mode == "read":
            return open_store(settings, catch_up=False)
        require_writable(state)
        return open_store(settings.with_mode("write"))


def create_store(settings: StoreSettings, connection: psycopg.Connection[Any] | None) -> Ledger:
    """Creates the schema (PostgreSQL), every table, and records the format."""
    if connection is not None:
        schema = settings.env["POSTGRES_SCHEMA"]
        connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    ledger = open_store(settings.with_mode("create"))
    try:
        with ledger.write() as tx:
            record_new_store(tx, STORE_FORMAT)
    except BaseException:
        ledger.close()
        raise
    return ledger


def open_store(settings: StoreSettings, *, catch_up: bool = True) -> Ledger:
    try:
        ledger = Ledger(settings, [factory() for factory in HOOK_FACTORIES])
    except Exception as error:
        problem = store_error_from(error, settings.where)
        if problem is None:
            raise
        raise problem from None
    try:
        return catch_up_projections(ledger) if catch_up else ledger
    except BaseException:
        ledger.close()
        raise


def check_format(state: StoreState, mode: StoreMode) -> None:
    """A newer format is never opened; an older one only to be read, until upgraded."""
    store_format = state.format
    assert store_format is not None
    if store_format > STORE_FORMAT:
        msg = (
            f"{state.where} is in store format {store_format}, written by a newer "
            f"label-ledger; this version knows formats up to {STORE_FORMAT}"
        )
        raise StoreFormatError(msg)
    if store_format < STORE_FORMAT and (mode != "read" or store_format not in READABLE_FORMATS):
        msg = (
            f"{state.where} is in store format {store_format}; this version writes format "
            f"{STORE_FORMAT}: run label-ledger db upgrade (read commands work meanwhile)"
        )
        raise StoreFormatError(msg)


def check_complete(state: StoreState) -> None:
    missing = state.missing_tables()
    if missing:
        msg = (
            f"{state.where} lacks the ledger tables {', '.join(missing)}: run label-ledger db check"
        )
        raise StoreDamaged(msg)


def missing_message(state: StoreState) -> str:
    if state.dialect == "postgresql":
        return f"no ledger in {state.where}; label-ledger db init (or seed) creates one"
    if state.exists:
        return (
            f"{state.where} holds no ledger (an empty database); label-ledger db init creates one"
        )
    return (
        f"no ledger at {state.where} (is --db or LEDGER_DATABASE_URL misspelled?); "
        "label-ledger db init (or seed) creates one"
    )


@contextmanager
def store_session(settings: StoreSettings) -> Iterator[psycopg.Connection[Any] | None]:
    """A connection to inspect (and set up) a PostgreSQL store; None for SQLite.

    Opening to write serialises set-up per schema across processes: creating the
    same tables and types at once makes PostgreSQL fail with "tuple concurrently updated".
    """
    if settings.dialect == "sqlite":
        with _creation_lock(settings):
            yield None
        return
    with _connect(settings) as connection:
        locked = nullcontext() if settings.read_only else _setup_lock(connection, settings)
        with locked:
            yield connection


@contextmanager
def _creation_lock(settings: StoreSettings) -> Iterator[None]:
    """Serialises the creation of a SQLite store across processes: another opener must not
    see its tables before its format is recorded. An exclusive ``flock`` on the store's
    folder: never on the file itself, since closing any descriptor of a SQLite file drops
    every POSIX lock this process holds on it, SQLite's own included."""
    if settings.mode != "create" or settings.path is None or str(settings.path) == ":memory:":
        yield
        return
    try:
        descriptor = os.open(Path(settings.path).absolute().parent, os.O_RDONLY)
    except OSError:
        yield  # the inspection names what keeps the store from being created
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


@contextmanager
def _setup_lock(connection: psycopg.Connection[Any], settings: StoreSettings) -> Iterator[None]:
    key = f"label-ledger:{settings.env['POSTGRES_SCHEMA']}"
    connection.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
    try:
        yield
    finally:
        connection.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))


def _connect(settings: StoreSettings) -> psycopg.Connection[Any]:
    env = settings.env
    try:
        return psycopg.connect(
            host=env["POSTGRES_HOST"],
            port=int(env["POSTGRES_PORT"]),
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"] or None,
            dbname=env["POSTGRES_DBNAME"],
            connect_timeout=5,
            autocommit=True,
        )
    except psycopg.OperationalError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else "no answer"
        msg = f"cannot reach PostgreSQL at {settings.display}: {first_line}"
        raise StoreUnavailable(msg) from None
