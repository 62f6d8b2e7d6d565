"""Bearer tokens and roles: admins write, auditors read everything, anyone reads public."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.commands import Context, RevokeToken
from infrastructure.access.tokens import hash_secret
from infrastructure.ledger import Ledger
from tests.api.http_builders import EXTENSION, bearer, labelled, write_endpoints
from tests.builders import issue

AUDITOR_ONLY = [
    "/clusters/aerospace-valley/history",
    "/events",
]


@pytest.fixture
def setup(client: TestClient, admin: dict[str, str]) -> TestClient:
    labelled(client, admin)
    return client


@pytest.mark.parametrize(("path", "body"), write_endpoints(), ids=lambda v: str(v)[:40])
def test_every_write_refuses_anonymous_and_auditor_callers_and_appends_nothing(
    setup: TestClient, ledger: Ledger, auditor: dict[str, str], path: str, body: dict[str, Any]
) -> None:
    before = ledger.last_position()
    anonymous = setup.post(path, json=body)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert anonymous.json()["type"] == "/problems/unauthorized"
    as_auditor = setup.post(path, json=body, headers=auditor)
    assert as_auditor.status_code == 403
    assert as_auditor.json()["type"] == "/problems/forbidden"
    assert ledger.last_position() == before


def test_authentication_comes_before_reading_the_body(setup: TestClient) -> None:
    response = setup.post(
        "/clusters/aerospace-valley/label-extensions",
        content=b"not json",
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "authorization",
    ["Bearer llt_not-a-token", "Basic ZGdlOnNlY3JldA==", "Bearer", "llt_bare"],
)
def test_an_unknown_token_or_scheme_is_a_401(setup: TestClient, authorization: str) -> None:
    response = setup.post(
        "/clusters/aerospace-valley/label-extensions",
        json=EXTENSION,
        headers={"Authorization": authorization},
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_an_unknown_token_is_told_apart_from_a_missing_one(setup: TestClient) -> None:
    response = setup.get("/events", headers=bearer("llt_not-a-token"))
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_a_revoked_token_stops_working_at_once(setup: TestClient, ledger: Ledger) -> None:
    headers = bearer(issue(ledger, "region-occitanie", "admin"))
    assert setup.get("/events", headers=headers).status_code == 200
    ledger.execute(RevokeToken(name="region-occitanie"), Context(actor="cli:test"))
    assert setup.get("/events", headers=headers).status_code == 401
    assert setup.post(
        "/clusters/aerospace-valley/label-extensions", json=EXTENSION, headers=headers
    ).status_code == 401


@pytest.mark.parametrize("path", AUDITOR_ONLY)
def test_auditor_endpoints_refuse_anonymous_callers(setup: TestClient, path: str) -> None:
    response = setup.get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", AUDITOR_ONLY)
def test_auditors_and_admins_read_auditor_endpoints(
    setup: TestClient, auditor: dict[str, str], admin: dict[str, str], path: str
) -> None:
    assert setup.get(path, headers=auditor).status_code == 200
    assert setup.get(path, headers=admin).status_code == 200


def test_issuing_and_revoking_tokens_are_attributed_events(
    setup: TestClient, ledger: Ledger
) -> None:
    issue(ledger, "region-bretagne", "auditor", actor="cli:alice")
    ledger.execute(RevokeToken(name="region-bretagne"), Context(actor="cli:bob"))
    entries = ledger.positioned_events("token:region-bretagne")
    assert [(type(e.event).__name__, e.event.actor) for e in entries] == [
        ("TokenIssued", "cli:alice"),
        ("TokenRevoked", "cli:bob"),
    ]


def test_the_ledger_keeps_only_the_hash_of_a_token(setup: TestClient, ledger: Ledger) -> None:
    secret = issue(ledger, "region-grand-est", "admin")
    everything = b"".join(
        str(entry.event).encode() for entry in ledger.events_after(0, 10_000)
    )
    assert secret.encode() not in everything
    assert hash_secret(secret).encode() in everything
