"""``label-ledger db init | check | upgrade``: the store's tables and format."""

from __future__ import annotations

import click
import msgspec

from api.cli.common import db_option, fail, reports_errors
from infrastructure.admin.database import CheckReport, check_store, init_store, upgrade_store
from infrastructure.settings import resolve_database_url


@click.group()
def db() -> None:
    """Create, check and upgrade the store (tables, PostgreSQL schema, format)."""


@db.command("init")
@db_option
@reports_errors
def init(db: str | None) -> None:
    """Create the store: the PostgreSQL schema, every table and the format record."""
    report = init_store(resolve_database_url(db))
    if report.created:
        click.echo(
            f"created a label-ledger store (format {report.format}, "
            f"{len(report.created_tables)} tables) at {report.where}"
        )
    elif report.created_tables:
        click.echo(f"{report.where}: created the missing tables {', '.join(report.created_tables)}")
    else:
        click.echo(f"{report.where} is already a label-ledger store (format {report.format})")


@db.command("check")
@click.option(
    "--integrity/--no-integrity",
    default=True,
    show_default=True,
    help="Also run SQLite's quick_check over every page (reads the whole file).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@db_option
@reports_errors
def check(integrity: bool, as_json: bool, db: str | None) -> None:
    """Report what the store lacks or holds of another format; exit 1 if anything."""
    report = check_store(resolve_database_url(db), integrity=integrity)
    if as_json:
        click.echo(msgspec.json.encode(report).decode())
        raise SystemExit(0 if report.ok else 1)
    for line in check_lines(report):
        click.echo(line)
    if not report.ok:
        fail(f"{len(report.problems)} problem(s): " + "; ".join(report.problems))
    click.echo("OK")


def check_lines(report: CheckReport) -> list[str]:
    access = "read-write" if report.writable else f"read-only ({report.why_read_only})"
    lines = [
        f"store:       {report.where} ({report.dialect})",
        f"format:      {_text(report.format)} (this version writes {report.expected_format})",
        f"tables:      {report.tables} found"
        + (f", missing {', '.join(report.missing_tables)}" if report.missing_tables else ""),
        f"access:      {access}",
    ]
    if report.missing_indexes:
        lines.append(f"indexes:     missing {', '.join(report.missing_indexes)}")
    if report.events is not None:
        lines.append(
            f"events:      {report.events} (Merkle leaves {_text(report.merkle_leaves)}, "
            f"read models at {_text(report.read_models_at)})"
        )
    if report.integrity is not None:
        lines.append(f"integrity:   {report.integrity}")
    return lines


@db.command("upgrade")
@db_option
@reports_errors
def upgrade(db: str | None) -> None:
    """Bring a store of an older format to this version's (idempotent)."""
    report = upgrade_store(resolve_database_url(db))
    if report.from_format == report.to_format:
        click.echo(f"{report.where} is already in store format {report.to_format}")
        return
    created = (
        f"; created the missing tables {', '.join(report.created_tables)}"
        if report.created_tables
        else ""
    )
    click.echo(
        f"upgraded {report.where} from store format {report.from_format} to "
        f"{report.to_format}{created}"
    )


def _text(value: object) -> str:
    return "-" if value is None else str(value)


COMMANDS = [db]
