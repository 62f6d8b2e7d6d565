"""One log line per request, with its id, on both stores: in process, and from a real
``label-ledger serve`` writing JSON to its log file."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.http.log_format import (
    JsonFormatter,
    LogFormatError,
    TextFormatter,
    chosen_format,
)
from api.http.request_log import JsonLinesRequestLog, LoggingRequestLog
from infrastructure.ledger import Ledger
from tests.api.http_builders import bearer, registration
from tests.api.live_server import EXECUTABLE, LiveServer
from tests.api.test_auth_hygiene import log_in
from tests.builders import issue

HEX_ID = r"[0-9a-f]{32}"


@pytest.fixture
def logged(ledger: Ledger, caplog: pytest.LogCaptureFixture) -> Iterator[TestClient]:
    caplog.set_level(logging.INFO, logger="label_ledger.http")
    with TestClient(create_app(ledger, request_log=LoggingRequestLog())) as client:
        yield client


def lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [r.request for r in caplog.records if hasattr(r, "request")]


def line_of(caplog: pytest.LogCaptureFixture, request_id: str) -> dict[str, Any]:
    found = [line for line in lines(caplog) if line["request_id"] == request_id]
    assert len(found) == 1, lines(caplog)
    return found[0]


def test_a_command_is_logged_with_its_id_actor_and_events(
    logged: TestClient, admin: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    response = logged.post(
        "/clusters",
        json=registration("polymeris"),
        headers={**admin, "X-Request-ID": "deploy-7f3a.1"},
    )
    assert response.status_code == 201
    assert response.headers["x-request-id"] == "deploy-7f3a.1"
    line = line_of(caplog, "deploy-7f3a.1")
    assert line["method"] == "POST"
    assert line["path"] == line["route"] == "/clusters"
    assert line["status"] == 201
    assert line["duration_ms"] > 0
    assert line["actor"] == "dge"
    assert line["event_ids"] == [e["event_id"] for e in response.json()["events"]]


def test_every_answerer_logs_the_request_id(
    logged: TestClient,
    admin: dict[str, str],
    auditor: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    logged.post("/clusters", json=registration("polymeris"), headers=admin)
    asked = {
        "kept-1": ("/clusters/polymeris", {}, 200, "/clusters/{slug}", None),
        "kept-2": ("/clusters/polymeris", {}, 200, "/clusters/{slug}", None),
        "routed": ("/stages", {}, 200, "/stages", None),
        "auditor": ("/events", auditor, 200, "/events", "cour-des-comptes"),
        "no-such": ("/nowhere", {}, 404, "unmatched", None),
    }
    for request_id, (path, headers, status, _, _) in asked.items():
        response = logged.get(path, headers={**headers, "X-Request-ID": request_id})
        assert response.status_code == status
        assert response.headers["x-request-id"] == request_id
    for request_id, (path, _, status, route, actor) in asked.items():
        line = line_of(caplog, request_id)
        assert (line["path"], line["route"], line["status"]) == (path, route, status)
        assert line["actor"] == actor
        assert line["event_ids"] == []


def test_a_page_names_the_auditor_logged_in(
    logged: TestClient, ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    secret = issue(ledger, "cour-des-comptes", "auditor")
    assert log_in(logged, secret) == 303
    assert logged.get("/ui/audit", headers={"X-Request-ID": "page-1"}).status_code == 200
    line = line_of(caplog, "page-1")
    assert (line["route"], line["actor"]) == ("/ui/audit", "cour-des-comptes")
    assert not any(secret in str(line) for line in lines(caplog))


def test_a_problem_carries_the_request_id(
    logged: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = logged.post(
        "/clusters",
        json=registration("polymeris"),
        headers={"X-Request-ID": "refused-1", **bearer("llt_not-a-token")},
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "refused-1"
    line = line_of(caplog, "refused-1")
    assert (line["status"], line["actor"], line["event_ids"]) == (401, None, [])


@pytest.mark.parametrize(
    "sent",
    ["", "has space", "x" * 129, 'quote"d', "é-accent", "new\\nline"],
)
def test_an_unusable_request_id_is_replaced_by_a_new_one(
    logged: TestClient, sent: str, caplog: pytest.LogCaptureFixture
) -> None:
    response = logged.get("/healthz", headers={"X-Request-ID": sent.encode("utf-8")})  # type: ignore[dict-item]
    given = response.headers["x-request-id"]
    assert given != sent
    assert len(given) == 32
    assert int(given, 16) >= 0
    assert line_of(caplog, given)["route"] == "/healthz"


def test_without_a_request_id_each_request_gets_its_own(
    logged: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    ids = {logged.get("/healthz").headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3
    assert {line["request_id"] for line in lines(caplog)} == ids


def test_a_token_is_never_logged(
    logged: TestClient, ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    secret = issue(ledger, "dge", "admin")
    logged.post("/clusters", json=registration("polymeris"), headers=bearer(secret))
    logged.get("/events", headers=bearer(secret))
    logged.get("/events", headers=bearer("llt_wrong-guess"))
    formatted = [
        formatter.format(record)
        for record in caplog.records
        for formatter in (JsonFormatter(), TextFormatter())
    ]
    assert len(lines(caplog)) == 3
    assert not any(secret in text or "llt_wrong-guess" in text for text in formatted)


def test_without_log_requests_nothing_is_logged_but_everything_is_counted(
    ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="label_ledger.http")
    with TestClient(create_app(ledger)) as client:
        assert client.get("/healthz").headers["x-request-id"]
        assert 'route="/healthz"' in client.get("/metrics").text
    assert lines(caplog) == []


def record(**request: Any) -> logging.LogRecord:
    made = logging.LogRecord(
        "label_ledger.http", logging.INFO, __file__, 1, "%s %s %d", ("GET", "/x", 200), None
    )
    made.request = request
    return made


def test_json_lines_hold_every_field() -> None:
    fields = {"method": "GET", "route": "/x", "status": 200, "request_id": "r1", "actor": None}
    line = json.loads(JsonFormatter().format(record(**fields)))
    assert line["level"] == "info"
    assert line["logger"] == "label_ledger.http"
    assert line["message"] == "GET /x 200"
    assert {name: line[name] for name in fields} == fields
    assert line["time"].endswith("+00:00")


def test_direct_json_lines_are_the_json_formatter_s_lines(tmp_path: Path) -> None:
    """``serve`` writes JSON request lines without ``logging``: the same object, same keys
    in the same order, as the JSON formatter gives, one line per request."""
    fields = {
        "method": "POST",
        "path": "/clusters",
        "route": "/clusters",
        "status": 201,
        "duration_ms": 1.5,
        "request_id": "r1",
        "actor": "dge",
        "event_ids": ["cluster:a@1"],
    }
    out = tmp_path / "log"

    async def two_requests() -> None:
        with out.open("wb") as handle:
            request_log = JsonLinesRequestLog(handle.fileno())
            request_log.write(fields)
            request_log.write({**fields, "request_id": "r2"})
            await asyncio.sleep(0)  # the loop's next iteration writes them

    asyncio.run(two_requests())
    written = [json.loads(line) for line in out.read_text().splitlines()]
    made = record(**fields)
    made.args = ("POST", "/clusters", 201)
    expected = json.loads(JsonFormatter().format(made))
    assert [line["request_id"] for line in written] == ["r1", "r2"]
    for line in (written[0], expected):
        del line["time"]
    assert list(written[0].items()) == list(expected.items())


def test_text_lines_read_as_a_sentence_then_the_fields() -> None:
    text = TextFormatter().format(
        record(
            method="GET",
            path="/x",
            status=200,
            route="/x",
            request_id="r1",
            actor=None,
            event_ids=["a@1", "b@1"],
        )
    )
    assert text.split(" ", 1)[1].startswith("INFO    label_ledger.http: GET /x 200 route=/x")
    assert "request_id=r1" in text
    assert "event_ids=a@1,b@1" in text
    assert "actor" not in text


@pytest.mark.parametrize(
    ("env", "terminal", "chosen"),
    [
        ({}, True, "text"),
        ({}, False, "json"),
        ({"LEDGER_LOG_FORMAT": "json"}, True, "json"),
        ({"LEDGER_LOG_FORMAT": "TEXT"}, False, "text"),
    ],
)
def test_the_log_format(env: dict[str, str], terminal: bool, chosen: str) -> None:
    assert chosen_format(env, terminal=terminal) == chosen


def test_an_unknown_log_format_is_named() -> None:
    with pytest.raises(LogFormatError, match="LEDGER_LOG_FORMAT='yaml': say json or text"):
        chosen_format({"LEDGER_LOG_FORMAT": "yaml"})


def test_serve_refuses_an_unknown_log_format(store_url: str) -> None:
    done = subprocess.run(
        [EXECUTABLE, "serve", "--port", "0", "--db", store_url],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={"LEDGER_LOG_FORMAT": "yaml", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "label-ledger: error: LEDGER_LOG_FORMAT='yaml': say json or text "
        "(unset: text on a terminal, JSON otherwise)"
    )


def test_a_live_server_logs_json_lines_with_the_request_id(
    store_url: str, ledger: Ledger, tmp_path: Path
) -> None:
    secret = issue(ledger, "dge", "admin")
    server = LiveServer(store_url, tmp_path / "serve.log")  # a file: not a terminal
    try:
        with server.client() as http:
            response = http.post(
                "/clusters",
                json=registration("polymeris"),
                headers={**bearer(secret), "X-Request-ID": "live-42"},
            )
            assert response.status_code == 201
            assert response.headers["x-request-id"] == "live-42"
            metrics = http.get("/metrics").text
    finally:
        server.stop()
    assert 'label_ledger_http_requests_total{method="POST",route="/clusters",status="201"} 1.0' in (
        metrics
    )
    text = server.log.read_text()
    assert secret not in text
    logged = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert any(line["message"] == "Application startup complete." for line in logged)
    mine = [line for line in logged if line.get("request_id") == "live-42"]
    assert len(mine) == 1
    assert mine[0]["logger"] == "label_ledger.http"
    assert mine[0]["message"] == "POST /clusters 201"
    assert mine[0]["route"] == "/clusters"
    assert mine[0]["actor"] == "dge"
    assert mine[0]["event_ids"] == [e["event_id"] for e in response.json()["events"]]
