"""Every error is an RFC 9457 problem; no request, however malformed, gets a traceback."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.http.problems import problem_catalogue
from infrastructure.ledger import Ledger
from tests.api.http_builders import STAGE_5, labelled

EXTEND = "/clusters/aerospace-valley/label-extensions"
PROBLEM_MEMBERS = {"type", "title", "status", "detail"}


def assert_problem(response: Any, status: int, problem_type: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert set(problem) >= PROBLEM_MEMBERS
    assert (problem["status"], problem["type"]) == (status, f"/problems/{problem_type}")
    assert "Traceback" not in response.text
    return problem


@pytest.fixture
def setup(client: TestClient, admin: dict[str, str]) -> TestClient:
    labelled(client, admin)
    return client


def test_an_unknown_address_is_a_404_problem(client: TestClient) -> None:
    assert_problem(client.get("/nowhere"), 404, "not-found")


def test_an_unparsable_stage_number_is_a_404(client: TestClient) -> None:
    assert_problem(client.get("/stages/abc"), 404, "not-found")


def test_a_wrong_method_is_a_405_problem_with_allow(client: TestClient) -> None:
    response = client.delete("/healthz")
    assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response.headers["allow"]


def test_a_body_declared_over_one_mebibyte_is_a_413(
    setup: TestClient, ledger: Ledger, admin: dict[str, str]
) -> None:
    before = ledger.last_position()
    body = b'{"reason": "' + b"x" * (1 << 20) + b'"}'
    headers = {**admin, "Content-Type": "application/json"}
    assert_problem(setup.post(EXTEND, content=body, headers=headers), 413, "payload-too-large")
    assert ledger.last_position() == before


def test_a_streamed_body_over_one_mebibyte_is_a_413(
    setup: TestClient, admin: dict[str, str]
) -> None:
    """Without Content-Length (chunked), the bytes that arrive are counted."""

    def chunks() -> Iterator[bytes]:
        yield b'{"reason": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    headers = {**admin, "Content-Type": "application/json"}
    assert_problem(setup.post(EXTEND, content=chunks(), headers=headers), 413, "payload-too-large")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_json_is_a_415(
    setup: TestClient, admin: dict[str, str], content_type: str | None
) -> None:
    headers = dict(admin)
    if content_type:
        headers["Content-Type"] = content_type
    response = setup.post(EXTEND, content=b"{}", headers=headers)
    assert_problem(response, 415, "unsupported-media-type")


def test_an_invalid_body_names_each_invalid_field(setup: TestClient, admin: dict[str, str]) -> None:
    body = {"decided_on": "27/03/2024", "valid_until": 2026, "colour": "blue"}
    problem = assert_problem(setup.post(EXTEND, json=body, headers=admin), 422, "invalid-body")
    assert {e["pointer"] for e in problem["errors"]} == {
        "#/decided_on",
        "#/valid_until",
        "#/reason",
        "#/colour",
    }
    assert all(e["detail"] for e in problem["errors"])


def test_a_nested_invalid_field_is_named_by_its_path(
    client: TestClient, admin: dict[str, str]
) -> None:
    body = {**STAGE_5, "criteria": [STAGE_5["criteria"][0], {"code": "", "description": "x"}]}
    problem = assert_problem(client.post("/stages", json=body, headers=admin), 422, "invalid-body")
    assert [e["pointer"] for e in problem["errors"]] == ["#/criteria/1/code"]


@pytest.mark.parametrize("field", ["title", "decided_by"])
def test_control_characters_in_text_are_refused(
    client: TestClient, admin: dict[str, str], field: str
) -> None:
    body = {**STAGE_5, field: "Phase\x00V"}
    problem = assert_problem(client.post("/stages", json=body, headers=admin), 422, "invalid-body")
    assert [e["pointer"] for e in problem["errors"]] == [f"#/{field}"]


@pytest.mark.parametrize("raw", [b"", b"{", b"[1, 2]", b"null", b'{"a": NaN}', b"\xff\xfe"])
def test_malformed_json_is_a_422(setup: TestClient, admin: dict[str, str], raw: bytes) -> None:
    headers = {**admin, "Content-Type": "application/json"}
    problem = assert_problem(setup.post(EXTEND, content=raw, headers=headers), 422, "invalid-body")
    assert problem["errors"][0]["pointer"] == "#"


def test_an_invalid_query_parameter_is_a_422_naming_it(
    setup: TestClient, auditor: dict[str, str]
) -> None:
    problem = assert_problem(
        setup.get("/events?limit=0", headers=auditor), 422, "invalid-parameters"
    )
    assert [e["pointer"] for e in problem["errors"]] == ["query:limit"]


def test_every_problem_type_uri_resolves(client: TestClient) -> None:
    for code, kind in problem_catalogue().items():
        response = client.get(kind.type)
        assert response.status_code == 200, code
        assert response.json()["status"] == kind.status


def test_the_problem_catalogue_is_listed(client: TestClient) -> None:
    codes = {kind["code"] for kind in client.get("/problems").json()}
    assert {"label-already-granted", "stage-not-open", "no-active-label"} <= codes
    assert {"cluster-inactive", "duplicate-slug", "version-mismatch"} <= codes


def test_an_unexpected_error_is_a_500_problem_without_details(app: FastAPI) -> None:
    def explode() -> None:
        msg = "secret internals"
        raise RuntimeError(msg)

    app.add_api_route("/explode", explode)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/explode")
    problem = assert_problem(response, 500, "internal-error")
    assert "secret internals" not in response.text
    assert problem["detail"]


def test_a_client_leaving_before_its_body_arrives_writes_nothing_and_logs_no_error(
    app: FastAPI, ledger: Ledger, admin: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    before = ledger.last_position()
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/clusters/aerospace-valley/membership-reports",
        "raw_path": b"/clusters/aerospace-valley/membership-reports",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"content-length", b"120"),
            *((k.lower().encode(), v.encode()) for k, v in admin.items()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with caplog.at_level(logging.INFO):
        asyncio.run(app(scope, receive, send))
    assert ledger.last_position() == before
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("client left" in r.getMessage() for r in caplog.records)
