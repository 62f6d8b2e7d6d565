"""The composition root: opens a ledger with every append hook wired in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from infrastructure.ledger import Ledger
from infrastructure.projections import ProjectionHook, catch_up_projections
from infrastructure.settings import StoreSettingError, StoreSettings, store_settings
from infrastructure.store.hooks import AppendHook
from infrastructure.tamper.merkle_log import merkle_log_hook

# Each feature that writes in the append transaction registers a factory here.
HOOK_FACTORIES: list[Callable[[], AppendHook]] = [
    merkle_log_hook,
    ProjectionHook,
]


class StoreUnavailable(StoreSettingError):
    """The database server cannot be reached."""


def open_ledger(url: str) -> Ledger:
    """Opens the ledger at ``url``, creating its tables on first use."""
    settings = store_settings(url)
    if settings.dialect == "sqlite":
        return _open(settings)
    with postgres_setup_lock(settings):
        return _open(settings)


def _open(settings: StoreSettings) -> Ledger:
    return catch_up_projections(Ledger(settings, [factory() for factory in HOOK_FACTORIES]))


@contextmanager
def postgres_setup_lock(settings: StoreSettings) -> Iterator[None]:
    """Serialises ledger set-up per schema across processes.

    Opening a ledger creates its tables and types if missing; two processes doing
    that at once make PostgreSQL fail with "tuple concurrently updated".
    """
    schema = settings.env["POSTGRES_SCHEMA"]
    with _connect(settings) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"label-ledger:{schema}",))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (f"label-ledger:{schema}",))


def check_postgres_reachable(settings: StoreSettings) -> None:
    with _connect(settings):
        pass


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
