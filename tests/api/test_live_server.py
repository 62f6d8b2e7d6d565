"""Against a real ``label-ledger serve`` process, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from infrastructure.composition import open_ledger
from tests.api.http_builders import (
    EXTENSION,
    GRANT_5,
    MEMBERSHIP,
    STAGE_5,
    bearer,
    registration,
)
from tests.api.live_server import LiveServer, run_cli
from tests.builders import issue

Start = Callable[[], LiveServer]


class Tokens:
    """An admin and an auditor token, issued before the server starts."""

    def __init__(self, store_url: str) -> None:
        ledger = open_ledger(store_url)
        try:
            self.admin_secret = issue(ledger, "dge", "admin")
            auditor_secret = issue(ledger, "ccomptes", "auditor")
        finally:
            ledger.close()
        self.admin = bearer(self.admin_secret)
        self.auditor = bearer(auditor_secret)


@pytest.fixture
def tokens(store_url: str) -> Tokens:
    return Tokens(store_url)


@pytest.fixture
def start(store_url: str, tmp_path: Path) -> Iterator[Start]:
    """Starts servers on the store; every one is stopped (terminate, then kill) at the end."""
    servers: list[LiveServer] = []

    def launch() -> LiveServer:
        servers.append(LiveServer(store_url, tmp_path / "serve.log"))
        return servers[-1]

    yield launch
    for server in servers:
        server.stop()


@pytest.fixture
def server(start: Start, tokens: Tokens) -> LiveServer:
    return start()


def labelled(server: LiveServer, tokens: Tokens) -> None:
    with server.client() as http:
        for path, body in [
            ("/stages", STAGE_5),
            ("/clusters", registration("aerospace-valley")),
            ("/clusters/aerospace-valley/label-grants", GRANT_5),
        ]:
            assert http.post(path, json=body, headers=tokens.admin).status_code == 201


def position(server: LiveServer) -> int:
    with server.client() as http:
        return int(http.get("/healthz").json()["position"])


def test_a_grant_is_read_back_with_its_etag_and_in_the_stage_history(
    server: LiveServer, tokens: Tokens
) -> None:
    labelled(server, tokens)
    with server.client() as http:
        cluster = http.get("/clusters/aerospace-valley")
        assert cluster.json()["status"] == "labelled"
        assert cluster.headers["etag"] == '"2"'
        stage = http.get("/stages/5").json()
        assert [e["slug"] for e in stage["granted"]] == ["aerospace-valley"]


def test_writes_refuse_anonymous_and_auditor_callers_and_append_nothing(
    server: LiveServer, tokens: Tokens
) -> None:
    before = position(server)
    with server.client() as http:
        anonymous = http.post("/stages", json=STAGE_5)
        auditor = http.post("/stages", json=STAGE_5, headers=tokens.auditor)
    assert (anonymous.status_code, auditor.status_code) == (401, 403)
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert position(server) == before


def test_an_idempotent_write_is_replayed_after_a_restart(
    start: Start, tokens: Tokens
) -> None:
    first_server = start()
    labelled(first_server, tokens)
    headers = {**tokens.admin, "Idempotency-Key": "membership-2023"}
    path = "/clusters/aerospace-valley/membership-reports"
    with first_server.client() as http:
        first = http.post(path, json=MEMBERSHIP, headers=headers)
    assert first.status_code == 201
    first_server.stop()
    second_server = start()
    with second_server.client() as http:
        again = http.post(path, json=MEMBERSHIP, headers=headers)
        reused = http.post(path, json={**MEMBERSHIP, "as_of": "2024-12-31"}, headers=headers)
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["etag"] == first.headers["etag"]
    assert reused.status_code == 422
    assert position(second_server) == first.json()["position"]


def test_a_stale_if_match_is_a_412_and_appends_nothing(
    server: LiveServer, tokens: Tokens
) -> None:
    labelled(server, tokens)
    before = position(server)
    with server.client() as http:
        response = http.post(
            "/clusters/aerospace-valley/label-extensions",
            json=EXTENSION,
            headers={**tokens.admin, "If-Match": '"1"'},
        )
    assert response.status_code == 412
    assert response.headers["content-type"] == "application/problem+json"
    assert position(server) == before


def test_errors_are_problems_over_the_wire(server: LiveServer, tokens: Tokens) -> None:
    labelled(server, tokens)
    json_body = {**tokens.admin, "Content-Type": "application/json"}
    grant = "/clusters/aerospace-valley/label-grants"
    with server.client() as http:
        answers = {
            409: http.post(grant, json=GRANT_5, headers=tokens.admin),
            404: http.get("/nowhere"),
            405: http.delete("/healthz"),
            413: http.post("/stages", content=b"x" * (2 << 20), headers=json_body),
            415: http.post("/stages", content=b"{}", headers={**tokens.admin,
                                                              "Content-Type": "text/csv"}),
            422: http.post("/stages", content=b"{", headers=json_body),
            400: http.post("/stages", json=STAGE_5, headers={**tokens.admin, "If-Match": "1"}),
        }
    for status, response in answers.items():
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == status


def test_the_feed_pages_through_the_seeded_ledger(
    store_url: str, start: Start, tokens: Tokens
) -> None:
    run_cli("seed", "--db", store_url)
    server = start()
    seen: list[int] = []
    with server.client() as http:
        url: str | None = "/events?limit=250"
        while url is not None:
            response = http.get(url, headers=tokens.auditor)
            seen += [e["position"] for e in response.json()["events"]]
            link = response.headers.get("link")
            url = link[1 : link.index(">")] if link else None
    assert seen == list(range(1, position(server) + 1))
    assert len(seen) > 400


def test_the_server_never_logs_tokens(server: LiveServer, tokens: Tokens) -> None:
    labelled(server, tokens)
    with server.client() as http:
        http.get("/events", headers=tokens.admin)
        http.get("/events", headers=bearer("llt_wrong-guess"))
    server.stop()
    log = server.log.read_text()
    assert "POST /clusters/aerospace-valley/label-grants" in log
    assert tokens.admin_secret not in log
    assert "llt_wrong-guess" not in log
