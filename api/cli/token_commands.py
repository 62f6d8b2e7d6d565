"""``label-ledger token``: API access tokens (created, revoked and listed as ledger events)."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime

import click

from api.cli.common import db_option, fail, ledger_at, reports_errors
from api.cli.durations import parse_duration
from domain.access import ROLES, Role, Token
from domain.commands import Context, IssueToken, RevokeToken, RotateToken
from infrastructure.access.tokens import hash_secret, new_secret

actor_option = click.option(
    "--actor",
    default=None,
    help="Who records this (default: cli:<local user>).",
)


expires_in_option = click.option(
    "--expires-in",
    metavar="DURATION",
    default=None,
    help="Stop working after this long: 30m, 12h, 90d or 4w (default: never).",
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
    """Create, rotate, revoke and list API tokens (the ledger keeps only their SHA-256)."""


@token.command("create")
@click.option(
    "--role", type=click.Choice(ROLES), required=True, help="admin writes; auditor reads."
)
@click.option("--name", required=True, help="The token's name: every event it writes is theirs.")
@expires_in_option
@actor_option
@db_option
@reports_errors
def create(
    role: Role, name: str, expires_in: str | None, actor: str | None, db: str | None
) -> None:
    """Create a token and print it once, as the last line of stdout."""
    expires_at = expiry(expires_in)
    secret = new_secret()
    command = IssueToken(
        name=name, role=role, token_hash=hash_secret(secret), expires_at=expires_at
    )
    with ledger_at(db) as ledger:
        receipt = ledger.execute(command, Context(actor=cli_actor(actor)))
    click.echo(
        f"created {role} token {name!r} (ledger position {receipt.position}"
        f"{until(expires_at)}); it is shown only now:",
        err=True,
    )
    click.echo(secret)


def expiry(expires_in: str | None) -> datetime | None:
    """The instant a token given ``--expires-in`` stops working (a bad one: one line)."""
    if expires_in is None:
        return None
    try:
        return datetime.now(UTC) + parse_duration(expires_in)
    except ValueError as error:
        fail(f"--expires-in: {error}")
        raise


def until(expires_at: datetime | None) -> str:
    return "" if expires_at is None else f", expires {instant(expires_at)}"


def instant(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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


@token.command("rotate")
@click.argument("name")
@click.option(
    "--role", type=click.Choice(ROLES), default=None, help="A new role (default: the same)."
)
@expires_in_option
@actor_option
@db_option
@reports_errors
def rotate(
    name: str, role: Role | None, expires_in: str | None, actor: str | None, db: str | None
) -> None:
    """Give a token a new secret, printed once as the last line of stdout; the old secret
    stops working at once. Role and expiry stay unless given."""
    expires_at = expiry(expires_in)
    secret = new_secret()
    command = RotateToken(
        name=name, token_hash=hash_secret(secret), role=role, expires_at=expires_at
    )
    with ledger_at(db) as ledger:
        receipt = ledger.execute(command, Context(actor=cli_actor(actor)))
    click.echo(
        f"rotated token {name!r} (ledger position {receipt.position}); the old secret no "
        "longer works; the new one is shown only now:",
        err=True,
    )
    click.echo(secret)


@token.command("list")
@db_option
@reports_errors
def list_(db: str | None) -> None:
    """List tokens by name: role, state (active, revoked, expired), expiry and last use (to
    the minute), tab-separated under a header line (never their secrets)."""
    with ledger_at(db) as ledger:
        ledger.refresh_tokens()
        tokens = ledger.tokens.tokens()
        uses = ledger.token_last_uses()
    now = datetime.now(UTC)
    click.echo("name\trole\tstate\texpires\tlast used")
    for token in tokens:
        used = uses.get(token.name)
        columns = (token.name, token.role, token.state(now), expires(token), when(used))
        click.echo("\t".join(columns))


def expires(token: Token) -> str:
    return when(token.expires_at)


def when(at: datetime | None) -> str:
    return "never" if at is None else instant(at)


COMMANDS = [token]
