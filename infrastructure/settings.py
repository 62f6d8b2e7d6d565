"""Turns the store setting (a database URL) and an opening mode into the library's environment."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, unquote, urlparse

import msgspec

DEFAULT_DATABASE_URL = "sqlite:///./label-ledger.db"
DATABASE_URL_VARIABLE = "LEDGER_DATABASE_URL"
STATEMENT_TIMEOUT_VARIABLE = "LEDGER_STATEMENT_TIMEOUT"
"""Seconds a PostgreSQL statement may run (0 or unset: no limit; ``serve``: 5 by default)."""
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

StoreMode = Literal["read", "write", "create"]
"""How a store is opened.

``read``: read-only (SQLite ``mode=ro``, PostgreSQL read-only sessions), nothing created;
``write``: an existing store, read-write, no table created (a role with only DML rights
can write); ``create``: the tables (and the PostgreSQL schema) are created when missing.
"""

_RECORDERS = {
    ("sqlite", "create"): "infrastructure.store.recorders:LedgerSQLiteRecorder",
    ("sqlite", "write"): "infrastructure.store.modes:ExistingSQLiteRecorder",
    ("sqlite", "read"): "infrastructure.store.modes:ReadOnlySQLiteRecorder",
    ("postgresql", "create"): "infrastructure.store.recorders:LedgerPostgresRecorder",
    ("postgresql", "write"): "infrastructure.store.modes:ExistingPostgresRecorder",
    ("postgresql", "read"): "infrastructure.store.modes:ReadOnlyPostgresRecorder",
}


class StoreSettingError(ValueError):
    """The database URL cannot be used."""


class StoreSettings(msgspec.Struct, frozen=True):
    url: str
    dialect: str
    env: dict[str, str]
    mode: StoreMode = "create"

    @property
    def display(self) -> str:
        """The URL without any password, for messages."""
        parsed = urlparse(self.url)
        if parsed.password:
            return self.url.replace(f":{parsed.password}@", ":***@")
        return self.url

    @property
    def path(self) -> Path | None:
        """The SQLite file (absolute), or None for PostgreSQL and in-memory databases."""
        name = self.env.get("SQLITE_DBNAME")
        if not name or name == ":memory:" or name.startswith("file:"):
            return None
        return Path(name).expanduser().absolute()

    @property
    def where(self) -> str:
        """What messages name: the SQLite file, or the PostgreSQL URL and schema."""
        if self.path is not None:
            return str(self.path)
        schema = self.env.get("POSTGRES_SCHEMA")
        if not schema or "schema=" in self.url:
            return self.display
        return f"{self.display} (schema {schema})"

    @property
    def read_only(self) -> bool:
        return self.mode == "read"

    def with_mode(self, mode: StoreMode) -> StoreSettings:
        return store_settings(self.url, mode)


def resolve_database_url(cli_value: str | None) -> str:
    return cli_value or os.environ.get(DATABASE_URL_VARIABLE) or DEFAULT_DATABASE_URL


def store_settings(url: str, mode: StoreMode = "create") -> StoreSettings:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        return StoreSettings(url, "sqlite", _sqlite_env(parsed.path, url, mode), mode)
    if parsed.scheme in {"postgresql", "postgres"}:
        return StoreSettings(url, "postgresql", _postgres_env(url, mode), mode)
    msg = f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://USER@HOST:PORT/DB"
    raise StoreSettingError(msg)


def _common_env(dialect: str, mode: StoreMode) -> dict[str, str]:
    return {
        "ORIGINATOR_ID_TYPE": "text",
        "CREATE_TABLE": "y" if mode == "create" else "n",
        "APPLICATION_RECORDER_TOPIC": _RECORDERS[dialect, mode],
    }


def _sqlite_env(path: str, url: str, mode: StoreMode) -> dict[str, str]:
    # sqlite:///relative/path and sqlite:////absolute/path, as SQLAlchemy spells them.
    if not path or path == "/":
        msg = f"database URL {url!r} names no file"
        raise StoreSettingError(msg)
    file_path = path[1:] if path.startswith("/") else path
    if file_path != ":memory:" and mode == "create":
        parent = Path(file_path).expanduser().resolve().parent
        if not parent.is_dir():
            msg = f"cannot create the database: folder {parent} does not exist"
            raise StoreSettingError(msg)
    return {
        **_common_env("sqlite", mode),
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": file_path,
        "SQLITE_LOCK_TIMEOUT": "30",
    }


def statement_timeout() -> str:
    raw = os.environ.get(STATEMENT_TIMEOUT_VARIABLE, "").strip() or "0"
    seconds_setting(STATEMENT_TIMEOUT_VARIABLE, raw, "give seconds (0: no limit)")
    return raw


def seconds_setting(variable: str, raw: str, expected: str) -> float:
    """A variable's number of seconds (finite, not negative); StoreSettingError saying
    what is ``expected`` if it is not one."""
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        msg = f"{variable}={raw!r}: {expected}"
        raise StoreSettingError(msg)
    return seconds


def _postgres_env(url: str, mode: StoreMode) -> dict[str, str]:
    parsed = urlparse(url)
    dbname = parsed.path.lstrip("/")
    if not dbname or not parsed.hostname:
        msg = f"database URL {url!r} needs a host and a database name"
        raise StoreSettingError(msg)
    schema = parse_qs(parsed.query).get("schema", ["public"])[0]
    if not _SCHEMA_NAME.match(schema):
        msg = f"invalid schema name {schema!r}"
        raise StoreSettingError(msg)
    return {
        **_common_env("postgresql", mode),
        "PERSISTENCE_MODULE": "infrastructure.store.postgres_sessions:LedgerPostgresFactory",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": parsed.hostname,
        "POSTGRES_PORT": str(parsed.port or 5432),
        "POSTGRES_USER": unquote(parsed.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parsed.password or ""),
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_STATEMENT_TIMEOUT": statement_timeout(),
        "POSTGRES_LOCK_TIMEOUT": "30",
        "POSTGRES_POOL_SIZE": "5",
        "POSTGRES_MAX_OVERFLOW": "20",
    }
