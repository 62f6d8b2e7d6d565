"""Fixtures of the HTTP API tests: an app over the ``ledger`` fixture (both stores) and tokens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.http.app import create_app
from infrastructure.ledger import Ledger
from tests.api.http_builders import bearer
from tests.builders import issue
from tests.raw_store import RawStore


@pytest.fixture
def app(ledger: Ledger) -> FastAPI:
    return create_app(ledger)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def admin(ledger: Ledger) -> dict[str, str]:
    """Headers of an admin token named ``dge`` (the State's services)."""
    return bearer(issue(ledger, "dge", "admin"))


@pytest.fixture
def auditor(ledger: Ledger) -> dict[str, str]:
    """Headers of an auditor token named ``cour-des-comptes``."""
    return bearer(issue(ledger, "cour-des-comptes", "auditor"))


@pytest.fixture
def raw(store_url: str, ledger: Ledger) -> Iterator[RawStore]:
    """The ledger's store, for writing behind the server's back."""
    del ledger  # the store exists
    store = RawStore(store_url)
    try:
        yield store
    finally:
        store.close()
