"""``label-ledger seed``: the sourced 2005-2026 history of the policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from api.cli.common import db_option, ledger_at, reports_errors
from infrastructure.history.gaps import gap_summary

if TYPE_CHECKING:
    from infrastructure.history.seeding import SeedReport


@click.command()
@db_option
@click.option("--gaps", "show_gaps", is_flag=True, help="Also list every gap in the sources.")
@reports_errors
def seed(db: str | None, show_gaps: bool) -> None:
    """Load the sourced history of the pôles (idempotent: a second run adds nothing)."""
    # Imported here: every other command loads even while the seed's write path does not.
    from infrastructure.history.seeding import seed_history

    with ledger_at(db) as ledger:
        report = seed_history(ledger)
    click.echo(
        f"seeded {report.appended} new events ({report.skipped} facts already present); "
        f"ledger position {report.position}"
    )
    for tally in report.tallies:
        click.echo(tally.line())
    click.echo(gap_summary(report.gaps) + ("" if show_gaps else "; --gaps lists them"))
    if show_gaps:
        echo_gaps(report)


def echo_gaps(report: SeedReport) -> None:
    for gap in report.gaps:
        sources = f" [{', '.join(gap.sources)}]" if gap.sources else ""
        click.echo(f"- {gap.kind}: {gap.subject}: {gap.detail}{sources}")


COMMANDS = [seed]
