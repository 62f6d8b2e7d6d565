"""A payload edited behind a running server: once a verification of the server finds it,
``/healthz`` and ``/readyz`` say so, writes answer 503 ``ledger-inconsistent``, reads carry
``Ledger-Integrity``, and only a verification that passes again lets writes in."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from infrastructure.composition import open_ledger
from tests.api.http_builders import GRANT_5, STAGE_5, bearer, labelled, registration
from tests.api.live_server import EXECUTABLE, LiveServer
from tests.builders import issue
from tests.raw_store import RawStore

EDITED = b"Prime Minister"  # stage 5's opening and its grants are decided by the PM


def edited_position(raw: RawStore) -> int:
    """The first event that names the Prime Minister (token issuances come before it)."""
    position = 1
    while EDITED not in raw.state(position):
        position += 1
    return position


def finding(position: int) -> str:
    return f"failed; position={position}; kind=payload-altered"


def assert_refused(response: httpx.Response, position: int) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/ledger-inconsistent"
    assert problem["detail"].startswith(
        f"the ledger was found inconsistent at position {position} (payload-altered): "
    )
    assert problem["detail"].endswith(
        "writes are refused until its operator restores the store and a full verification passes"
    )
    assert response.headers["ledger-integrity"] == finding(position)


def test_a_payload_edited_under_the_app_is_flagged_everywhere_until_verified_whole(
    client: TestClient, admin: dict[str, str], auditor: dict[str, str], raw: RawStore
) -> None:
    labelled(client, admin)
    at = edited_position(raw)
    original = raw.state(at)
    assert client.get("/clusters/aerospace-valley").status_code == 200  # kept for the shortcut
    raw.flip_byte(at, EDITED)

    report = client.get("/ledger/verification", headers=auditor).json()
    assert (report["ok"], report["problem"]["position"]) == (False, at)

    health = client.get("/healthz")
    assert health.status_code == 200  # the process serves: a restart would repair nothing
    body = health.json()
    assert body["status"] == "failing"
    assert (body["integrity"]["position"], body["integrity"]["kind"]) == (at, "payload-altered")
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert [e["pointer"] for e in ready.json()["errors"]] == ["check:integrity"]

    assert_refused(client.post("/clusters", json=registration("minalogic"), headers=admin), at)
    assert_refused(client.post("/clusters", json=registration("minalogic")), at)  # before auth
    for path in ("/clusters/aerospace-valley", "/clusters/aerospace-valley", "/stages/5"):
        read = client.get(path)
        assert read.status_code == 200
        assert read.headers["ledger-integrity"] == finding(at)

    # The kept report is not a verification of the restored store: an admin asks for one.
    raw.set_state(at, original)
    assert client.post("/ledger/verification", headers=auditor).status_code == 403
    assert client.post("/ledger/verification", headers=admin).json()["ok"] is True
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/readyz").status_code == 200
    assert "ledger-integrity" not in client.get("/clusters/aerospace-valley").headers
    created = client.post("/clusters", json=registration("minalogic"), headers=admin)
    assert created.status_code == 201, created.text


def test_an_edited_read_model_is_flagged_too(
    client: TestClient, admin: dict[str, str], raw: RawStore
) -> None:
    labelled(client, admin)
    table = f"{raw.prefix}stage_states"
    raw.run(f"DELETE FROM {table}")
    assert client.post("/ledger/verification", headers=admin).json()["ok"] is False
    body = client.get("/healthz").json()
    assert body["status"] == "failing"
    assert body["integrity"]["kind"] == "read-model-differs"
    refused = client.post("/clusters", json=registration("minalogic"), headers=admin)
    assert refused.json()["type"] == "/problems/ledger-inconsistent"


def wait_for(check: object, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_a_forged_event_under_a_running_server_is_found_by_its_periodic_verification(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = open_ledger(store_url)
    try:
        admin = bearer(issue(ledger, "dge", "admin"))
    finally:
        ledger.close()
    monkeypatch.setenv("LEDGER_VERIFY_EVERY", "0.5")
    server = LiveServer(store_url, tmp_path / "serve.log")
    raw = RawStore(store_url)
    try:
        with server.client() as http:
            for path, body in [
                ("/stages", STAGE_5),
                ("/clusters", registration("aerospace-valley")),
                ("/clusters/aerospace-valley/label-grants", GRANT_5),
            ]:
                assert http.post(path, json=body, headers=admin).status_code == 201
            assert http.get("/healthz").json()["status"] == "ok"
            at = edited_position(raw)
            original = raw.state(at)
            raw.flip_byte(at, EDITED)

            wait_for(lambda: http.get("/healthz").json()["status"] == "failing", "not found")
            assert http.get("/healthz").json()["integrity"]["kind"] == "payload-altered"
            assert http.get("/readyz").status_code == 503
            refused = http.post("/clusters", json=registration("minalogic"), headers=admin)
            assert_refused(refused, at)
            read = http.get("/clusters/aerospace-valley")
            assert read.headers["ledger-integrity"] == finding(at)
            rebuild = subprocess_run(EXECUTABLE, "rebuild", "--db", store_url)
            assert rebuild.returncode != 0
            assert "payload-altered" in rebuild.stderr

            raw.set_state(at, original)
            wait_for(lambda: http.get("/healthz").json()["status"] == "ok", "not cleared")
            created = http.post("/clusters", json=registration("minalogic"), headers=admin)
            assert created.status_code == 201, created.text
    finally:
        raw.close()
        server.stop()
    assert "ledger inconsistent, writes refused" in server.log.read_text()


def subprocess_run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
