"""``/healthz`` says the process serves (with its version); ``/readyz`` says whether it can
serve the ledger as it should: store answering, read models and tree at the ledger's
position. Both answer within a second, on both stores."""

from __future__ import annotations

import time
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from infrastructure.composition import open_ledger
from infrastructure.ledger import Ledger
from tests.api.http_builders import labelled
from tests.api.tcp_proxy import TcpProxy
from tests.api.test_damaged_store import garble_table_root
from tests.raw_store import RawStore


@pytest.fixture
def labelled_client(client: TestClient, admin: dict[str, str]) -> TestClient:
    labelled(client, admin)
    return client


def failing_checks(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/not-ready"
    return {error["pointer"].removeprefix("check:"): error["detail"] for error in problem["errors"]}


def test_healthz_names_the_version_and_the_position(
    labelled_client: TestClient, ledger: Ledger
) -> None:
    body = labelled_client.get("/healthz").json()
    assert body == {
        "status": "ok",
        "version": version("label-ledger"),
        "position": ledger.last_position(),
        "store": "reachable",
        "integrity": None,
    }


def test_readyz_is_200_with_every_check_passed(labelled_client: TestClient, ledger: Ledger) -> None:
    response = labelled_client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["position"] == ledger.last_position()
    assert [(c["name"], c["ok"]) for c in body["checks"]] == [
        ("store", True),
        ("read-models", True),
        ("tree", True),
        ("integrity", True),
    ]


def test_readyz_is_503_while_the_read_models_are_behind(
    labelled_client: TestClient, ledger: Ledger, raw: RawStore
) -> None:
    last = ledger.last_position()
    raw.run(f"UPDATE {raw.prefix}projection_tracking SET position = ?", (last - 2,))
    checks = failing_checks(labelled_client.get("/readyz"))
    assert checks == {
        "read-models": f"the read models are at position {last - 2} but the ledger is at "
        f"position {last}; nothing was skipped: run `label-ledger rebuild`"
    }
    assert labelled_client.get("/healthz").status_code == 200  # the process still serves


def test_readyz_is_503_while_the_tree_lacks_leaves(
    labelled_client: TestClient, ledger: Ledger, raw: RawStore
) -> None:
    last = ledger.last_position()
    raw.run(f"DELETE FROM {raw.nodes} WHERE level = 0 AND idx = ?", (last - 1,))
    checks = failing_checks(labelled_client.get("/readyz"))
    assert checks == {
        "tree": f"the Merkle tree holds {last - 1} leaves but the log {last} events: "
        "run label-ledger verify"
    }


def test_readyz_is_503_on_an_unreadable_sqlite_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ledger.db"
    open_ledger(url).close()
    garble_table_root(tmp_path / "ledger.db", "merkle_nodes")
    ledger = open_ledger(url, "write")
    try:
        with TestClient(create_app(ledger)) as client:
            checks = failing_checks(client.get("/readyz"))
            assert list(checks) == ["store"]
            assert checks["store"].startswith("the store failed: ")
            body = client.get("/healthz").json()
            assert (body["status"], body["store"], body["position"]) == (
                "failing",
                "unreachable",
                None,
            )
    finally:
        ledger.close()


@pytest.mark.postgres
@pytest.mark.parametrize("outage", ["cut", "freeze"])
def test_readyz_is_503_within_a_second_while_postgresql_does_not_answer(
    postgres_url: str, outage: str
) -> None:
    target = urlparse(postgres_url)
    assert target.hostname is not None
    proxy = TcpProxy(target.hostname, target.port or 5432)
    ledger = open_ledger(postgres_url.replace(f":{target.port}/", f":{proxy.port}/", 1))
    try:
        with TestClient(create_app(ledger)) as client:
            assert client.get("/readyz").status_code == 200
            proxy.cut() if outage == "cut" else proxy.freeze()
            started = time.monotonic()
            checks = failing_checks(client.get("/readyz"))
            assert time.monotonic() - started < 1
            assert list(checks) == ["store"]
            started = time.monotonic()
            body = client.get("/healthz").json()
            assert time.monotonic() - started < 1
            assert (body["status"], body["store"], body["position"]) == (
                "failing",
                "unreachable",
                None,
            )
            proxy.restore()
            deadline = time.monotonic() + 15
            while client.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline, "readyz did not recover"
                time.sleep(0.2)
    finally:
        proxy.restore()
        ledger.close()
        proxy.close()
