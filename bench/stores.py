"""Fresh, throw-away databases for one run: SQLite files, or PostgreSQL schemas."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import psycopg

POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_reachable(server: str = POSTGRES_SERVER) -> bool:
    try:
        with psycopg.connect(server, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


class Space:
    """Where a run makes its databases; each name gets a new, empty one."""

    def __init__(self, kind: str, workdir: Path, server: str = POSTGRES_SERVER) -> None:
        self.kind = kind
        self.workdir = workdir
        self.server = server
        self.tag = secrets.token_hex(4)
        self.schemas: list[str] = []

    def ledger_url(self, name: str) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.workdir / f'{name}.db'}"
        return f"{self.server}?schema={self.schema(name)}"

    def library_env(self, name: str) -> dict[str, str]:
        """The environment of an eventsourcing 9.5.6 application with its defaults."""
        if self.kind == "sqlite":
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.workdir / f"{name}.db"),
            }
        server = urlparse(self.server)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": server.path.lstrip("/"),
            "POSTGRES_HOST": server.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(server.port or 5432),
            "POSTGRES_USER": server.username or "postgres",
            "POSTGRES_PASSWORD": server.password or "",
            "POSTGRES_SCHEMA": self.schema(name),
        }

    def schema(self, name: str) -> str:
        """A fresh schema (created on first use, dropped at the end of the run)."""
        schema = f"bench_{self.tag}_{name}"
        if schema not in self.schemas:
            with psycopg.connect(self.server, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{schema}"')
            self.schemas.append(schema)
        return schema

    def drop(self) -> None:
        if not self.schemas:
            return
        with psycopg.connect(self.server, autocommit=True) as conn:
            for schema in self.schemas:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        self.schemas.clear()


@contextmanager
def space(kind: str, workdir: Path) -> Iterator[Space]:
    made = Space(kind, workdir)
    try:
        yield made
    finally:
        made.drop()
