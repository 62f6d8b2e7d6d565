"""A token's life over HTTP, on both stores: it expires when told, a rotated secret
replaces the old one at once, and its last use is known without writing events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from eventsourcing.persistence import StoredEvent
from fastapi.testclient import TestClient

from domain.access import token_id
from domain.commands import Context, IssueToken
from domain.errors import CredentialRevoked
from infrastructure.access.tokens import hash_secret, new_secret
from infrastructure.ledger import Ledger
from tests.api.http_builders import STAGE_5, bearer
from tests.integration.test_event_schema_versions import stored_by_an_earlier_release

NOW = datetime.now(UTC)


def issue_expiring(ledger: Ledger, name: str, expires_at: datetime, role: str = "admin") -> str:
    secret = new_secret()
    command = IssueToken(
        name=name,
        role=role,  # type: ignore[arg-type]
        token_hash=hash_secret(secret),
        expires_at=expires_at,
    )
    ledger.execute(command, Context(actor="cli:test"))
    return secret


def later(ledger: Ledger, by: timedelta) -> None:
    """Moves the registry's clock on (expiry is checked against it)."""
    ledger.tokens.clock = lambda: datetime.now(UTC) + by


def test_a_token_works_until_its_expiry_then_is_a_401(ledger: Ledger, client: TestClient) -> None:
    secret = issue_expiring(ledger, "warehouse", NOW + timedelta(hours=1), role="auditor")
    assert client.get("/events", headers=bearer(secret)).status_code == 200
    later(ledger, timedelta(hours=2))
    response = client.get("/events", headers=bearer(secret))
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_an_expired_admin_token_writes_nothing(ledger: Ledger, client: TestClient) -> None:
    secret = issue_expiring(ledger, "dge", NOW + timedelta(hours=1))
    later(ledger, timedelta(hours=2))
    before = ledger.last_position()
    response = client.post("/stages", json=STAGE_5, headers=bearer(secret))
    assert response.status_code == 401
    assert ledger.last_position() == before


def test_a_token_expiring_between_authentication_and_decision_is_refused(
    ledger: Ledger,
) -> None:
    from tests.builders import stage_4_opening

    secret = issue_expiring(ledger, "dge", NOW + timedelta(hours=1))
    caller = ledger.caller(secret)
    assert caller is not None
    later(ledger, timedelta(hours=2))
    with pytest.raises(CredentialRevoked, match="revoked or expired"):
        ledger.execute(stage_4_opening(), Context(actor="dge"), caller)


def test_a_token_issued_before_expiries_existed_never_expires(
    ledger: Ledger, client: TestClient
) -> None:
    secret = new_secret()
    payload = msgspec.json.encode(
        {
            "originator_id": token_id("ccomptes"),
            "originator_version": 1,
            "timestamp": datetime(2025, 1, 1, tzinfo=UTC),
            "actor": "cli:root",
            "effective_on": "2025-01-01",
            "name": "ccomptes",
            "role": "auditor",
            "token_hash": hash_secret(secret),
        }
    )
    stored_by_an_earlier_release(
        ledger,
        StoredEvent(token_id("ccomptes"), 1, "label-ledger/TokenIssued/v1", payload),
    )
    later(ledger, timedelta(days=36500))
    assert client.get("/events", headers=bearer(secret)).status_code == 200
