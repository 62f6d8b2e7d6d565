"""``label-ledger token``: a token is shown once, only its hash is kept, errors are one line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.cli.main import cli
from api.http.app import create_app
from domain.commands import Context, IssueToken
from infrastructure.composition import open_ledger
from tests.api.http_builders import bearer


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def create(runner: CliRunner, store_url: str, *args: str) -> str:
    result = runner.invoke(cli, ["token", "create", *args, "--db", store_url])
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()[-1]


def test_create_prints_the_token_as_the_last_line_and_it_works(
    runner: CliRunner, store_url: str
) -> None:
    token = create(runner, store_url, "--role", "admin", "--name", "dge")
    assert token.startswith("llt_")
    ledger = open_ledger(store_url)
    try:
        with TestClient(create_app(ledger)) as client:
            assert client.get("/events", headers=bearer(token)).status_code == 200
        issued = ledger.positioned_events("token:dge")[0].event
        assert issued.actor.startswith("cli:")
    finally:
        ledger.close()


def test_the_actor_can_be_named(runner: CliRunner, store_url: str) -> None:
    create(runner, store_url, "--role", "auditor", "--name", "ccomptes", "--actor", "alice")
    ledger = open_ledger(store_url)
    try:
        assert ledger.positioned_events("token:ccomptes")[0].event.actor == "alice"
    finally:
        ledger.close()


def test_a_revoked_token_is_refused(runner: CliRunner, store_url: str) -> None:
    token = create(runner, store_url, "--role", "admin", "--name", "dge")
    result = runner.invoke(cli, ["token", "revoke", "dge", "--db", store_url])
    assert result.exit_code == 0, result.output
    ledger = open_ledger(store_url)
    try:
        with TestClient(create_app(ledger)) as client:
            assert client.get("/events", headers=bearer(token)).status_code == 401
    finally:
        ledger.close()


def test_list_shows_names_roles_and_states_never_secrets(
    runner: CliRunner, store_url: str
) -> None:
    token = create(runner, store_url, "--role", "admin", "--name", "dge")
    create(runner, store_url, "--role", "auditor", "--name", "ccomptes")
    runner.invoke(cli, ["token", "revoke", "ccomptes", "--db", store_url])
    result = runner.invoke(cli, ["token", "list", "--db", store_url])
    assert result.stdout.splitlines() == [
        "name\trole\tstate\texpires\tlast used",
        "ccomptes\tauditor\trevoked\tnever\tnever",
        "dge\tadmin\tactive\tnever\tnever",
    ]
    assert token not in result.output


def test_a_token_created_to_expire_in_90_days_lists_its_expiry(
    runner: CliRunner, store_url: str
) -> None:
    before = datetime.now(UTC)
    create(runner, store_url, "--role", "auditor", "--name", "warehouse", "--expires-in", "90d")
    result = runner.invoke(cli, ["token", "list", "--db", store_url])
    name, role, state, expires, _ = result.stdout.splitlines()[1].split("\t")
    assert (name, role, state) == ("warehouse", "auditor", "active")
    expected = before + timedelta(days=90)
    assert abs(datetime.fromisoformat(expires) - expected) < timedelta(minutes=5)


def test_a_token_past_its_expiry_lists_as_expired(runner: CliRunner, store_url: str) -> None:
    ledger = open_ledger(store_url)
    try:
        ledger.writer.clock = lambda: datetime.now(UTC) - timedelta(days=2)
        ledger.execute(
            IssueToken(
                name="dashboard",
                role="auditor",
                token_hash="c" * 64,
                expires_at=datetime.now(UTC) - timedelta(days=1),
            ),
            Context(actor="cli:test"),
        )
    finally:
        ledger.close()
    result = runner.invoke(cli, ["token", "list", "--db", store_url])
    assert result.stdout.splitlines()[1].split("\t")[:3] == ["dashboard", "auditor", "expired"]


@pytest.mark.parametrize("duration", ["90", "90 days", "-1d", "0d", "3651d", "1y", ""])
def test_a_bad_duration_is_one_line_and_creates_nothing(
    runner: CliRunner, store_url: str, duration: str
) -> None:
    create(runner, store_url, "--role", "admin", "--name", "dge")
    args = ["--role", "auditor", "--name", "warehouse", "--expires-in", duration]
    result = runner.invoke(cli, ["token", "create", *args, "--db", store_url])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "--expires-in" in result.stderr
    listed = runner.invoke(cli, ["token", "list", "--db", store_url]).stdout
    assert "warehouse" not in listed


def test_rotate_prints_a_new_secret_and_the_old_one_stops(
    runner: CliRunner, store_url: str
) -> None:
    old = create(runner, store_url, "--role", "auditor", "--name", "warehouse")
    result = runner.invoke(cli, ["token", "rotate", "warehouse", "--db", store_url])
    assert result.exit_code == 0, result.output
    new = result.stdout.splitlines()[-1]
    assert new.startswith("llt_")
    assert new != old
    assert "old secret no longer works" in result.stderr
    ledger = open_ledger(store_url)
    try:
        with TestClient(create_app(ledger)) as client:
            assert client.get("/events", headers=bearer(old)).status_code == 401
            assert client.get("/events", headers=bearer(new)).status_code == 200
    finally:
        ledger.close()
    listed = runner.invoke(cli, ["token", "list", "--db", store_url]).stdout
    assert listed.splitlines()[1].split("\t")[:4] == ["warehouse", "auditor", "active", "never"]


def test_rotate_can_set_a_new_role_and_expiry(runner: CliRunner, store_url: str) -> None:
    create(runner, store_url, "--role", "admin", "--name", "dge")
    args = ["dge", "--role", "auditor", "--expires-in", "12h", "--db", store_url]
    assert runner.invoke(cli, ["token", "rotate", *args]).exit_code == 0
    listed = runner.invoke(cli, ["token", "list", "--db", store_url]).stdout
    name, role, state, expires, _ = listed.splitlines()[1].split("\t")
    assert (name, role, state) == ("dge", "auditor", "active")
    expected = datetime.now(UTC) + timedelta(hours=12)
    assert abs(datetime.fromisoformat(expires) - expected) < timedelta(minutes=5)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "--role", "admin", "--name", "dge"], "already exists"),
        (["create", "--role", "admin", "--name", "has space"], "invalid token name"),
        (["revoke", "nobody"], "no token named 'nobody'"),
        (["rotate", "nobody"], "no token named 'nobody'"),
        (["rotate", "dge", "--expires-in", "soon"], "--expires-in"),
    ],
)
def test_a_refused_token_command_is_one_line_on_stderr(
    runner: CliRunner, store_url: str, args: list[str], message: str
) -> None:
    create(runner, store_url, "--role", "admin", "--name", "dge")
    result = runner.invoke(cli, ["token", *args, "--db", store_url])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert message in result.stderr


def test_a_revoked_token_cannot_be_rotated(runner: CliRunner, store_url: str) -> None:
    create(runner, store_url, "--role", "admin", "--name", "dge")
    runner.invoke(cli, ["token", "revoke", "dge", "--db", store_url])
    result = runner.invoke(cli, ["token", "rotate", "dge", "--db", store_url])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "already revoked" in result.stderr


def test_revoking_twice_is_refused(runner: CliRunner, store_url: str) -> None:
    create(runner, store_url, "--role", "admin", "--name", "dge")
    runner.invoke(cli, ["token", "revoke", "dge", "--db", store_url])
    result = runner.invoke(cli, ["token", "revoke", "dge", "--db", store_url])
    assert result.exit_code == 1
    assert "already revoked" in result.stderr
