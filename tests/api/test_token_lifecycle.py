"""A token's life over HTTP, on both stores: it expires when told, a rotated secret
replaces the old one at once, and its last use is known without writing events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from click.testing import CliRunner
from eventsourcing.persistence import StoredEvent
from fastapi.testclient import TestClient

from api.cli.main import cli
from api.http.app import create_app
from domain.access import token_id
from domain.commands import Context, IssueToken, RevokeToken
from domain.errors import CredentialRevoked, TokenAlreadyRevoked
from infrastructure.access.last_used import last_uses
from infrastructure.access.tokens import hash_secret, new_secret
from infrastructure.composition import open_ledger
from infrastructure.ledger import Ledger
from tests.api.http_builders import STAGE_5, bearer
from tests.builders import issue, rotate
from tests.integration.test_event_schema_versions import stored_by_an_earlier_release
from tests.raw_store import RawStore

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


def test_a_rotated_token_answers_to_its_new_secret_only_at_once(
    ledger: Ledger, client: TestClient
) -> None:
    old = issue(ledger, "dge", "admin")
    assert client.get("/events", headers=bearer(old)).status_code == 200
    new = rotate(ledger, "dge")
    assert client.get("/events", headers=bearer(old)).status_code == 401
    assert client.post("/stages", json=STAGE_5, headers=bearer(old)).status_code == 401
    assert client.post("/stages", json=STAGE_5, headers=bearer(new)).status_code == 201
    assert ledger.get_stage(5).version == 1


def test_a_rotation_keeps_the_role_and_the_actor_name(ledger: Ledger) -> None:
    issue(ledger, "ccomptes", "auditor")
    caller = ledger.caller(rotate(ledger, "ccomptes"))
    assert caller is not None
    assert (caller.name, caller.role) == ("ccomptes", "auditor")


def test_a_rotation_by_another_process_stops_the_old_secret_here(store_url: str) -> None:
    serving, cli = open_ledger(store_url), open_ledger(store_url)
    try:
        old = issue(serving, "dge", "admin")
        assert serving.caller(old) is not None
        new = rotate(cli, "dge")
        assert serving.caller(old) is None
        assert serving.caller(new) is not None
    finally:
        cli.close()
        serving.close()


def test_a_command_sent_with_a_secret_rotated_before_its_decision_is_refused(
    ledger: Ledger,
) -> None:
    from tests.builders import stage_4_opening

    caller = ledger.caller(issue(ledger, "dge", "admin"))
    assert caller is not None
    rotate(ledger, "dge")
    with pytest.raises(CredentialRevoked):
        ledger.execute(stage_4_opening(), Context(actor="dge"), caller)


def test_a_revoked_token_cannot_be_rotated_back_to_life(ledger: Ledger) -> None:
    issue(ledger, "dge", "admin")
    ledger.execute(RevokeToken(name="dge"), Context(actor="cli:test"))
    with pytest.raises(TokenAlreadyRevoked):
        rotate(ledger, "dge")


def test_a_rotation_is_redacted_like_an_issuance(
    ledger: Ledger, client: TestClient, auditor: dict[str, str]
) -> None:
    from infrastructure.tamper import inclusion_proof_at
    from infrastructure.tamper.leaf import LeafInputs, leaf_hash_of_inputs

    secrets = [issue(ledger, "dge", "admin")]
    secrets.append(rotate(ledger, "dge"))
    hashes = [hash_secret(secret) for secret in secrets]
    events = client.get("/events", headers=auditor).json()["events"]
    (item,) = [e for e in events if e["type"] == "TokenRotated"]
    assert item["payload"] is None
    assert set(item["data"]) == {"name", "role", "expires_at"}
    inputs = msgspec.convert(
        {k: item[k] for k in LeafInputs.__struct_fields__}, LeafInputs, strict=False
    )
    proven = inclusion_proof_at(ledger, item["position"]).leaf_hash
    assert leaf_hash_of_inputs(inputs).hex() == proven
    bodies = [
        client.get("/events", headers=auditor).content,
        client.get("/events/stream", headers=auditor).content,
    ]
    for body in bodies:
        for token_hash in hashes:
            assert token_hash.encode() not in body


def listed_last_use(store_url: str, name: str) -> str:
    listed = CliRunner().invoke(cli, ["token", "list", "--db", store_url]).stdout
    rows = [line.split("\t") for line in listed.splitlines()[1:]]
    return next(row[4] for row in rows if row[0] == name)


def test_token_list_shows_the_last_use_the_server_recorded(
    ledger: Ledger, store_url: str
) -> None:
    auditor = issue(ledger, "warehouse", "auditor")
    admin = issue(ledger, "dge", "admin")
    issue(ledger, "dashboard", "auditor")
    before = datetime.now(UTC).replace(microsecond=0)
    with TestClient(create_app(ledger)) as client:
        assert client.get("/events", headers=bearer(auditor)).status_code == 200
        assert client.post("/stages", json=STAGE_5, headers=bearer(admin)).status_code == 201
    # The application wrote the uses when it stopped; another process lists them.
    for name in ("warehouse", "dge"):
        used = datetime.fromisoformat(listed_last_use(store_url, name))
        assert before <= used <= datetime.now(UTC)
    assert listed_last_use(store_url, "dashboard") == "never"


def test_a_use_is_noted_in_memory_and_written_only_when_recorded(ledger: Ledger) -> None:
    secret = issue(ledger, "warehouse", "auditor")
    assert ledger.caller(secret) is not None
    with ledger.read() as tx:
        assert last_uses(tx) == {}
    assert ledger.record_token_uses() == 1
    with ledger.read() as tx:
        assert set(last_uses(tx)) == {"warehouse"}


def test_a_tokens_row_is_written_at_most_once_a_minute(ledger: Ledger) -> None:
    secret = issue(ledger, "warehouse", "auditor")
    ledger.caller(secret)
    assert ledger.record_token_uses() == 1
    for _ in range(100):
        ledger.caller(secret)
    assert ledger.record_token_uses() == 0  # within the minute
    ledger.tokens.last_use.write_every = 0.0  # as if the minute had passed
    assert ledger.record_token_uses() == 1


def test_a_use_not_yet_written_is_written_at_shutdown(ledger: Ledger) -> None:
    secret = issue(ledger, "warehouse", "auditor")
    ledger.caller(secret)
    ledger.record_token_uses()
    ledger.caller(secret)
    assert ledger.record_token_uses() == 0
    assert ledger.record_token_uses(everything=True) == 1


def test_an_unknown_or_refused_secret_is_no_use(ledger: Ledger) -> None:
    secret = issue(ledger, "warehouse", "auditor")
    ledger.execute(RevokeToken(name="warehouse"), Context(actor="cli:test"))
    assert ledger.caller(secret) is None
    assert ledger.caller("llt_unknown") is None
    assert ledger.record_token_uses() == 0


def test_a_token_event_that_no_longer_decodes_fails_authentication_closed(
    ledger: Ledger, store_url: str
) -> None:
    secret = issue(ledger, "warehouse", "auditor")
    issue(ledger, "dashboard", "auditor")
    damaging = RawStore(store_url)
    damaging.set_state(2, b"{}")
    damaging.conn.close()
    reopened = open_ledger(store_url, "read")
    try:
        with TestClient(create_app(reopened)) as client:
            response = client.get("/events", headers=bearer(secret))
    finally:
        reopened.close()
    assert response.status_code == 503
    assert response.json()["type"] == "/problems/store-unavailable"
    listed = CliRunner().invoke(cli, ["token", "list", "--db", store_url])
    assert listed.exit_code == 1
    assert "the token event at position 2 cannot be read" in listed.stderr
