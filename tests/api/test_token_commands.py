"""``label-ledger token``: a token is shown once, only its hash is kept, errors are one line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.cli.main import cli
from api.http.app import create_app
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
    assert result.stdout.splitlines() == ["ccomptes\tauditor\trevoked", "dge\tadmin\tactive"]
    assert token not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "--role", "admin", "--name", "dge"], "already exists"),
        (["create", "--role", "admin", "--name", "has space"], "invalid token name"),
        (["revoke", "nobody"], "no token named 'nobody'"),
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


def test_revoking_twice_is_refused(runner: CliRunner, store_url: str) -> None:
    create(runner, store_url, "--role", "admin", "--name", "dge")
    runner.invoke(cli, ["token", "revoke", "dge", "--db", store_url])
    result = runner.invoke(cli, ["token", "revoke", "dge", "--db", store_url])
    assert result.exit_code == 1
    assert "already revoked" in result.stderr
