"""Turns the one store setting (a database URL) into the library's environment."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import msgspec

DEFAULT_DATABASE_URL = "sqlite:///./label-ledger.db"
DATABASE_URL_VARIABLE = "LEDGER_DATABASE_URL"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class StoreSettingError(ValueError):
    """The database URL cannot be used."""


class StoreSettings(msgspec.Struct, frozen=True):
    url: str
    dialect: str
    env: dict[str, str]

    @property
    def display(self) -> str:
        """The URL without any password, for messages."""
        parsed = urlparse(self.url)
        if parsed.password:
            return self.url.replace(f":{parsed.password}@", ":***@")
        return self.url


def resolve_database_url(cli_value: str | None) -> str:
    return cli_value or os.environ.get(DATABASE_URL_VARIABLE) or DEFAULT_DATABASE_URL


def store_settings(url: str) -> StoreSettings:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        return StoreSettings(url, "sqlite", _sqlite_env(parsed.path, url))
    if parsed.scheme in {"postgresql", "postgres"}:
        return StoreSettings(url, "postgresql", _postgres_env(url))
    msg = f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://USER@HOST:PORT/DB"
    raise StoreSettingError(msg)


def _common_env() -> dict[str, str]:
    return {
        "ORIGINATOR_ID_TYPE": "text",
        "CREATE_TABLE": "y",
    }


def _sqlite_env(path: str, url: str) -> dict[str, str]:
    # sqlite:///relative/path and sqlite:////absolute/path, as SQLAlchemy spells them.
    if not path or path == "/":
        msg = f"database URL {url!r} names no file"
        raise StoreSettingError(msg)
    file_path = path[1:] if path.startswith("/") else path
    if file_path != ":memory:":
        parent = Path(file_path).expanduser().resolve().parent
        if not parent.is_dir():
            msg = f"cannot create the database: folder {parent} does not exist"
            raise StoreSettingError(msg)
    return {
        **_common_env(),
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": file_path,
        "SQLITE_LOCK_TIMEOUT": "30",
        "APPLICATION_RECORDER_TOPIC": "infrastructure.store.recorders:LedgerSQLiteRecorder",
    }


def _postgres_env(url: str) -> dict[str, str]:
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
        **_common_env(),
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": parsed.hostname,
        "POSTGRES_PORT": str(parsed.port or 5432),
        "POSTGRES_USER": unquote(parsed.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parsed.password or ""),
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_LOCK_TIMEOUT": "30",
        "POSTGRES_POOL_SIZE": "5",
        "POSTGRES_MAX_OVERFLOW": "20",
        "APPLICATION_RECORDER_TOPIC": "infrastructure.store.recorders:LedgerPostgresRecorder",
    }
