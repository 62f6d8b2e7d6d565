"""``label-ledger token``: API access tokens (created, revoked and listed as ledger events)."""

from __future__ import annotations

import getpass

import click

from api.cli.common import db_option, ledger_at, reports_errors
from domain.access import ROLES, Role
from infrastructure.access.tokens import issue_token, list_tokens, revoke_token
from infrastructure.ledger import Origin

actor_option = click.option(
    "--actor",
    default=None,
    help="Who records this (default: cli:<local user>).",
)


def cli_actor(actor: str | None) -> str:
    if actor:
        return actor
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name in some containers
        return "cli:unknown"


@click.group()
def token() -> None:
    """Create, revoke and list API tokens (the ledger keeps only their SHA-256)."""


@token.command("create")
@click.option(
    "--role", type=click.Choice(ROLES), required=True, help="admin writes; auditor reads."
)
@click.option("--name", required=True, help="The token's name: every event it writes is theirs.")
@actor_option
@db_option
@reports_errors
def create(role: Role, name: str, actor: str | None, db: str | None) -> None:
    """Create a token and print it once, as the last line of stdout."""
    with ledger_at(db) as ledger:
        issued = issue_token(ledger, Origin(actor=cli_actor(actor)), name=name, role=role)
    click.echo(
        f"created {issued.role} token {issued.name!r} (ledger position "
        f"{issued.receipt.last.position}); it is shown only now:",
        err=True,
    )
    click.echo(issued.secret)


@token.command("revoke")
@click.argument("name")
@actor_option
@db_option
@reports_errors
def revoke(name: str, actor: str | None, db: str | None) -> None:
    """Revoke a token: it stops working at once."""
    with ledger_at(db) as ledger:
        receipt = revoke_token(ledger, Origin(actor=cli_actor(actor)), name=name)
    click.echo(f"revoked token {name!r} (ledger position {receipt.last.position})")


@token.command("list")
@db_option
@reports_errors
def list_(db: str | None) -> None:
    """List tokens by name, role and state (never their secrets)."""
    with ledger_at(db) as ledger:
        rows = list_tokens(ledger)
    for row in rows:
        click.echo(f"{row.name}\t{row.role}\t{'revoked' if row.revoked else 'active'}")



COMMANDS = [token]
