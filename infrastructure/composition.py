"""The composition root: opens a ledger with every append hook wired in."""

from __future__ import annotations

from collections.abc import Callable

import psycopg

from infrastructure.access import AccessHook
from infrastructure.ledger import Ledger
from infrastructure.projections import ProjectionHook, catch_up_projections
from infrastructure.settings import StoreSettingError, StoreSettings, store_settings
from infrastructure.store.hooks import AppendHook
from infrastructure.tamper.merkle_log import merkle_log_hook

# Each feature that writes in the append transaction registers a factory here.
HOOK_FACTORIES: list[Callable[[], AppendHook]] = [
    AccessHook,
    merkle_log_hook,
    ProjectionHook,
]


class StoreUnavailable(StoreSettingError):
    """The database server cannot be reached."""


def open_ledger(url: str) -> Ledger:
    """Opens the ledger at ``url``, creating its tables on first use."""
    settings = store_settings(url)
    if settings.dialect == "postgresql":
        check_postgres_reachable(settings)
    return catch_up_projections(Ledger(settings, [factory() for factory in HOOK_FACTORIES]))


def check_postgres_reachable(settings: StoreSettings) -> None:
    env = settings.env
    try:
        with psycopg.connect(
            host=env["POSTGRES_HOST"],
            port=int(env["POSTGRES_PORT"]),
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"] or None,
            dbname=env["POSTGRES_DBNAME"],
            connect_timeout=5,
        ):
            pass
    except psycopg.OperationalError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else "no answer"
        msg = f"cannot reach PostgreSQL at {settings.display}: {first_line}"
        raise StoreUnavailable(msg) from None
