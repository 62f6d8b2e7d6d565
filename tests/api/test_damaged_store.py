"""Over HTTP a damaged or read-only store is a 503 problem, never a 500; ``serve`` on a store
that may only be read starts and refuses writes."""

from __future__ import annotations

import random
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from infrastructure.composition import open_ledger
from infrastructure.ledger import Ledger
from infrastructure.settings import store_settings
from tests.api.http_builders import STAGE_5, registration
from tests.api.live_server import LiveServer
from tests.builders import issue
from tests.conftest import POSTGRES_URL, postgres_admin_connection

PAGE = 4096


def assert_store_problem(response: httpx.Response, detail: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/store-unavailable"
    assert problem["detail"] == detail


@pytest.fixture
def read_only_client(store_url: str, ledger: Ledger, admin: dict[str, str]) -> Iterator[TestClient]:
    """The API over the ledger opened as read commands open it (the admin token is issued)."""
    del ledger, admin
    reader = open_ledger(store_url, "read")
    try:
        with TestClient(create_app(reader)) as client:
            yield client
    finally:
        reader.close()


def test_a_read_only_store_refuses_writes_with_a_503_and_answers_reads(
    read_only_client: TestClient, admin: dict[str, str]
) -> None:
    write = read_only_client.post("/stages", json=STAGE_5, headers=admin)
    assert_store_problem(write, "this server's ledger is read-only: writes are refused")
    assert "retry-after" not in write.headers
    assert read_only_client.get("/clusters").status_code == 200
    assert read_only_client.get("/healthz").status_code == 200


def garble_table_root(path: Path, table: str) -> None:
    """Writes random bytes over ``table``'s root page: every read of the table fails."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (root,) = connection.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()
    with path.open("r+b") as handle:
        handle.seek((root - 1) * PAGE)
        handle.write(random.Random(4).randbytes(PAGE))


def test_a_damaged_sqlite_store_answers_503_problems_where_it_is_damaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEDGER_SIGNING_KEY", raising=False)
    url = f"sqlite:///{tmp_path}/ledger.db"
    writer = open_ledger(url)
    secret = issue(writer, "dge", "admin")
    writer.close()
    garble_table_root(tmp_path / "ledger.db", "merkle_nodes")
    ledger = open_ledger(url, "write")
    headers = {"Authorization": f"Bearer {secret}"}
    try:
        with TestClient(create_app(ledger)) as client:
            damaged = "the ledger's database is damaged; its operator must repair it"
            assert_store_problem(
                client.post("/clusters", json=registration("aerospace-valley"), headers=headers),
                damaged,
            )
            verification = client.get("/ledger/verification", headers=headers)
            assert verification.status_code == 200  # a finding, with where it starts
            assert verification.json()["problem"]["kind"] == "store-damaged"
            # Found by a verification, the damage now refuses every write before it starts.
            refused = client.post("/clusters", json=registration("polymeris"), headers=headers)
            assert refused.status_code == 503
            assert refused.json()["type"] == "/problems/ledger-inconsistent"
            assert client.get("/clusters").status_code == 200
    finally:
        ledger.close()


@pytest.mark.postgres
def test_a_damaged_postgresql_store_answers_503_problems(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEDGER_SIGNING_KEY", raising=False)
    ledger = open_ledger(postgres_url)
    try:
        secret = issue(ledger, "dge", "admin")
        headers = {"Authorization": f"Bearer {secret}"}
        with TestClient(create_app(ledger)) as client:
            schema = store_settings(postgres_url).env["POSTGRES_SCHEMA"]
            with postgres_admin_connection() as conn:
                conn.execute(f'DROP TABLE "{schema}".merkle_nodes')
            damaged = "the ledger's database is damaged; its operator must repair it"
            assert_store_problem(client.get("/ledger/verification", headers=headers), damaged)
            assert_store_problem(
                client.post("/clusters", json=registration("aerospace-valley"), headers=headers),
                damaged,
            )
    finally:
        ledger.close()


@pytest.mark.postgres
def test_serve_with_a_role_that_may_only_read_starts_and_refuses_writes(
    postgres_url: str, tmp_path: Path
) -> None:
    ledger = open_ledger(postgres_url)
    try:
        secret = issue(ledger, "dge", "admin")
    finally:
        ledger.close()
    schema = store_settings(postgres_url).env["POSTGRES_SCHEMA"]
    role = f"reader_{uuid.uuid4().hex[:12]}"
    with postgres_admin_connection() as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        conn.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"')
    base = POSTGRES_URL.replace("postgresql://postgres@", f"postgresql://{role}@")
    server = LiveServer(f"{base}?schema={schema}", tmp_path / "serve.log")
    try:
        with server.client() as http:
            write = http.post(
                "/stages", json=STAGE_5, headers={"Authorization": f"Bearer {secret}"}
            )
            assert http.get("/clusters").status_code == 200
    finally:
        server.stop()
        with postgres_admin_connection() as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')
    assert_store_problem(write, "this server's ledger is read-only: writes are refused")
    log = server.log.read_text()
    assert f"role {role} may not write schema {schema}" in log
    assert "serving it read-only (writes answer 503)" in log
    assert "Traceback" not in log
