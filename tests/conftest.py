"""Fixtures shared by the whole suite: one ledger per test, on each store."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
import psycopg
import pytest

from infrastructure.composition import open_ledger
from infrastructure.ledger import Ledger

if TYPE_CHECKING:
    from infrastructure.history.seeding import SeedReport

POSTGRES_URL = os.environ.get(
    "LEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def postgres_admin_connection() -> psycopg.Connection:
    try:
        return psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is mandatory in CI and unreachable: {error}")
        pytest.skip(f"PostgreSQL unreachable (set CI=1 to make this fail): {error}")


@contextmanager
def fresh_postgres_schema() -> Iterator[str]:
    """The URL of a fresh, empty schema on the real server, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with postgres_admin_connection() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{POSTGRES_URL}?schema={schema}"
    finally:
        with postgres_admin_connection() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextmanager
def fresh_store(kind: str, folder: Path) -> Iterator[str]:
    """An empty ledger's URL on the given store: a file in ``folder``, or a new schema."""
    if kind == "sqlite":
        yield f"sqlite:///{folder}/ledger.db"
        return
    with fresh_postgres_schema() as url:
        yield url


STORES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_postgres_schema() as url:
        yield url


class Seeded(msgspec.Struct, frozen=True):
    url: str
    ledger: Ledger
    report: SeedReport


@pytest.fixture(scope="module", params=STORES)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    """The sourced history, seeded once per test module on each store."""
    # Imported here: the suite (and its pure tests) loads even while the seed does not.
    from infrastructure.history.seeding import seed_history

    with fresh_store(request.param, tmp_path_factory.mktemp("seed")) as url:
        ledger = open_ledger(url)
        try:
            yield Seeded(url, ledger, seed_history(ledger))
        finally:
            ledger.close()


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    """A database URL for an empty ledger, once per store."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/ledger.db"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def ledger(store_url: str) -> Iterator[Ledger]:
    app = open_ledger(store_url)
    try:
        yield app
    finally:
        app.close()
