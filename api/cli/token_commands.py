"""``label-ledger token``: API access tokens (created, revoked and listed as ledger events)."""

from __future__ import annotations

import getpass

import click

from api.cli.common import db_option, ledger_at, reports_errors
from domain.access import ROLES, Role
from domain.commands import Context, IssueToken, RevokeToken
from infrastructure.access.tokens import hash_secret, new_secret

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
    secret = new_secret()
    command = IssueToken(name=name, role=role, token_hash=hash_secret(secret))
    with ledger_at(db) as ledger:
        receipt = ledger.execute(command, Context(actor=cli_actor(actor)))
    click.echo(
        f"created {role} token {name!r} (ledger position {receipt.position}); "
        "it is shown only now:",
        err=True,
    )
    click.echo(secret)


@token.command("revoke")
@click.argument("name")
@actor_option
@db_option
@reports_errors
def revoke(name: str, actor: str | None, db: str | None) -> None:
    """Revoke a token: it stops working at once."""
    with ledger_at(db) as ledger:
        receipt = ledger.execute(RevokeToken(name=name), Context(actor=cli_actor(actor)))
    click.echo(f"revoked token {name!r} (ledger position {receipt.position})")


@token.command("list")
@db_option
@reports_errors
def list_(db: str | None) -> None:
    """List tokens by name, role and state (never their secrets)."""
    with ledger_at(db) as ledger:
        ledger.refresh_tokens()
        tokens = ledger.tokens.tokens()
    for token in tokens:
        click.echo(f"{token.name}\t{token.role}\t{'revoked' if token.is_revoked else 'active'}")



COMMANDS = [token]
