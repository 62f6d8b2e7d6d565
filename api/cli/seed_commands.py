"""``label-ledger seed``: the sourced 2005-2026 history of the policy."""

from __future__ import annotations

import click

from api.cli.common import db_option, ledger_at, reports_errors
from infrastructure.history.seeding import seed_history


@click.command()
@db_option
@reports_errors
def seed(db: str | None) -> None:
    """Load the sourced history of the pôles (idempotent: a second run adds nothing)."""
    with ledger_at(db) as ledger:
        report = seed_history(ledger)
    click.echo(
        f"seeded {report.appended} new events ({report.skipped} facts already present); "
        f"ledger position {report.position}"
    )


COMMANDS = [seed]
