"""``db init | check | upgrade``, and no command but a writing one ever creates a store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from api.cli.common import COMMAND_MODES
from api.cli.main import cli
from infrastructure.admin.layout import META_TABLE, STORE_FORMAT, ledger_tables
from infrastructure.composition import open_ledger
from infrastructure.settings import store_settings
from tests.builders import open_stage_4, register
from tests.conftest import POSTGRES_URL, STORES, postgres_admin_connection

READ_COMMANDS = [
    ["status"],
    ["status", "polymeris"],
    ["stage", "4"],
    ["report"],
    ["history", "polymeris"],
    ["verify"],
    ["proof", "inclusion", "1"],
    ["bundle", "polymeris", "--out", "{tmp}/bundle.json"],
    ["token", "list"],
    ["checkpoint", "--list"],
    ["verify-snapshots"],
    ["export", "--out", "{tmp}/archive.gz"],
    ["rebuild"],
    ["token", "revoke", "nobody"],
    ["db", "check"],
    ["db", "upgrade"],
]
"""Commands that never create a store (``rebuild`` and ``token revoke`` write to one)."""


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def one_error_line(result: Result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture(params=STORES)
def absent_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store URL with nothing behind it: a file never made, a schema never created."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/ledgr.db"
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    try:
        yield f"{POSTGRES_URL}?schema={schema}"
    finally:
        with postgres_admin_connection() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def nothing_created(url: str) -> bool:
    settings = store_settings(url, "read")
    if settings.path is not None:
        return not settings.path.exists()
    schema = settings.env["POSTGRES_SCHEMA"]
    with postgres_admin_connection() as conn:
        found = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
        return found.fetchone() is None


def execute(url: str, statement: str) -> None:
    """Runs ``statement`` on the store behind the ledger's back ({schema} is qualified)."""
    settings = store_settings(url, "read")
    if settings.path is not None:
        import sqlite3

        with sqlite3.connect(settings.path) as conn:
            conn.execute(statement.format(schema=""))
        return
    schema = settings.env["POSTGRES_SCHEMA"]
    with postgres_admin_connection() as conn:
        conn.execute(statement.format(schema=f'"{schema}".'))


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_command_that_does_not_create_refuses_a_missing_store_and_creates_nothing(
    absent_url: str, command: list[str], tmp_path: Path
) -> None:
    arguments = [part.format(tmp=tmp_path) for part in command]
    line = one_error_line(run(*arguments, "--db", absent_url))
    where = store_settings(absent_url, "read").where
    assert where in line
    assert "no ledger" in line
    assert "db init" in line
    assert nothing_created(absent_url)


def test_every_command_that_opens_a_store_has_a_mode() -> None:
    names = {
        f"{group.name} {sub}" if sub else group.name
        for group in cli.commands.values()
        for sub in (getattr(group, "commands", None) or {None: None})
    }
    without_store = {"keygen", "public-key", "verify-bundle", "audit"}
    assert names - without_store - set(COMMAND_MODES) == set()


def test_db_init_creates_the_schema_and_every_table_and_check_finds_it_fit(
    absent_url: str,
) -> None:
    created = run("db", "init", "--db", absent_url)
    assert created.exit_code == 0, created.output
    assert f"format {STORE_FORMAT}" in created.output
    again = run("db", "init", "--db", absent_url)
    assert again.exit_code == 0
    assert "already a label-ledger store" in again.output
    check = run("db", "check", "--db", absent_url)
    assert check.exit_code == 0, check.output
    assert check.output.splitlines()[-1] == "OK"
    assert f"format:      {STORE_FORMAT}" in check.output
    count = len(ledger_tables(store_settings(absent_url).dialect))
    assert f"tables:      {count} found" in check.output


def test_writes_create_a_store_but_reads_do_not(absent_url: str) -> None:
    assert run("status", "--db", absent_url).exit_code == 1
    assert nothing_created(absent_url)
    created = run("token", "create", "--role", "admin", "--name", "dge", "--db", absent_url)
    assert created.exit_code == 0, created.output
    listed = run("token", "list", "--db", absent_url)
    assert listed.output.splitlines()[1:] == ["dge\tadmin\tactive\tnever\tnever"]


def test_db_check_names_a_missing_table_and_db_init_makes_it_again(ledger_url: str) -> None:
    execute(ledger_url, "DROP TABLE {schema}cluster_reviews")
    check = run("db", "check", "--db", ledger_url)
    assert check.exit_code == 1
    assert "missing cluster_reviews" in check.output
    assert "missing tables: cluster_reviews" in one_error_line(check)
    refused = run("token", "list", "--db", ledger_url)
    assert "lacks the ledger tables cluster_reviews" in one_error_line(refused)
    repaired = run("db", "init", "--db", ledger_url)
    assert "created the missing tables cluster_reviews" in repaired.output
    assert run("db", "check", "--db", ledger_url).exit_code == 0


@pytest.mark.postgres
def test_db_check_names_a_missing_index_on_postgresql(postgres_url: str) -> None:
    open_ledger(postgres_url).close()
    execute(postgres_url, "DROP INDEX {schema}ledger_events_notification_id_idx")
    check = run("db", "check", "--db", postgres_url)
    assert "missing indexes: ledger_events_notification_id_idx" in one_error_line(check)


@pytest.fixture
def ledger_url(store_url: str) -> str:
    """A store with two events, closed."""
    ledger = open_ledger(store_url)
    try:
        open_stage_4(ledger)
        register(ledger, "aerospace-valley")
    finally:
        ledger.close()
    return store_url


def test_a_store_of_format_1_is_read_refused_to_writers_and_upgraded_explicitly(
    ledger_url: str,
) -> None:
    execute(ledger_url, f"DROP TABLE {{schema}}{META_TABLE}")  # as written by 31377de
    status = run("status", "--db", ledger_url)
    assert status.exit_code == 0, status.output
    assert "aerospace-valley" in status.output
    check = run("db", "check", "--db", ledger_url)
    assert "format:      1" in check.output
    assert "db upgrade" in one_error_line(check)
    refused = run("token", "create", "--role", "admin", "--name", "dge", "--db", ledger_url)
    line = one_error_line(refused)
    assert "store format 1" in line
    assert "label-ledger db upgrade" in line
    upgraded = run("db", "upgrade", "--db", ledger_url)
    assert upgraded.exit_code == 0
    assert f"from store format 1 to {STORE_FORMAT}" in upgraded.output
    again = run("db", "upgrade", "--db", ledger_url)
    assert f"already in store format {STORE_FORMAT}" in again.output
    assert run("db", "check", "--db", ledger_url).exit_code == 0
    created = run("token", "create", "--role", "admin", "--name", "dge", "--db", ledger_url)
    assert created.exit_code == 0


def test_a_store_of_a_newer_format_is_refused_by_every_command(ledger_url: str) -> None:
    execute(ledger_url, f"UPDATE {{schema}}{META_TABLE} SET value = '99' WHERE key = 'format'")
    for arguments in (["status"], ["verify"], ["seed"], ["db", "upgrade"]):
        line = one_error_line(run(*arguments, "--db", ledger_url))
        assert "store format 99, written by a newer label-ledger" in line
