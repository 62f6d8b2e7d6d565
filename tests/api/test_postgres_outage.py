"""PostgreSQL going away under a running ``serve``: a TCP proxy between the server and
PostgreSQL is cut (connections closed, new ones refused) or frozen (nothing forwarded).
Health answers within a second throughout; reads and writes fail fast with 503 and
``Retry-After``; once PostgreSQL is back the server recovers by itself."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from infrastructure.composition import open_ledger
from tests.api.http_builders import STAGE_5, bearer, registration
from tests.api.live_server import LiveServer
from tests.api.tcp_proxy import TcpProxy
from tests.builders import issue

pytestmark = pytest.mark.postgres


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[TcpProxy]:
    target = urlparse(postgres_url)
    assert target.hostname is not None
    tcp = TcpProxy(target.hostname, target.port or 5432)
    try:
        yield tcp
    finally:
        tcp.close()


def timed(call: httpx.Client, method: str, path: str, **kwargs: object) -> httpx.Response:
    started = time.monotonic()
    response = call.request(method, path, **kwargs)  # type: ignore[arg-type]
    elapsed = time.monotonic() - started
    assert elapsed < 1, f"{method} {path} took {elapsed:.2f} s"
    return response


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["type"] == "/problems/store-unavailable"
    assert int(response.headers["retry-after"]) > 0


@pytest.mark.parametrize("outage", ["cut", "freeze"])
def test_serve_answers_fast_through_an_outage_and_recovers_by_itself(
    postgres_url: str, proxy: TcpProxy, tmp_path: Path, outage: str
) -> None:
    ledger = open_ledger(postgres_url)
    try:
        admin = bearer(issue(ledger, "dge", "admin"))
    finally:
        ledger.close()
    port = urlparse(postgres_url).port
    proxied = postgres_url.replace(f":{port}/", f":{proxy.port}/", 1)
    server = LiveServer(proxied, tmp_path / "serve.log")
    try:
        with server.client() as http:
            assert http.post("/stages", json=STAGE_5, headers=admin).status_code == 201
            proxy.cut() if outage == "cut" else proxy.freeze()

            # The server notices within a second or two; health never takes longer than 1 s.
            deadline = time.monotonic() + 5
            while timed(http, "GET", "/healthz").json()["store"] != "unreachable":
                assert time.monotonic() < deadline, "the outage was not noticed"
            assert timed(http, "GET", "/readyz").status_code == 503
            assert_unavailable(timed(http, "GET", "/clusters"))
            assert_unavailable(timed(http, "GET", "/stages/5"))
            write = timed(http, "POST", "/clusters", json=registration("polymeris"), headers=admin)
            assert_unavailable(write)

            proxy.restore()
            deadline = time.monotonic() + 20
            while http.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline, "readyz did not recover"
                time.sleep(0.2)
            assert http.get("/stages/5").status_code == 200
            created = http.post("/clusters", json=registration("minalogic"), headers=admin)
            assert created.status_code == 201, created.text
            assert http.get("/clusters").status_code == 200
    finally:
        server.stop()
