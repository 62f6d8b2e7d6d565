"""``label-ledger verify-snapshots``: every snapshot checked against its events' replay."""

from __future__ import annotations

import click

from api.cli.common import db_option, fail, ledger_at, reports_errors
from infrastructure.snapshot_audit import audit_snapshots


@click.command("verify-snapshots")
@db_option
@reports_errors
def verify_snapshots(db: str | None) -> None:
    """Refold each snapshotted aggregate; exit 1 naming any snapshot that differs."""
    counts = {"matches": 0, "altered": 0, "ignored": 0}
    altered: list[str] = []
    with ledger_at(db) as ledger:
        for finding in audit_snapshots(ledger):
            counts[finding.verdict] += 1
            if finding.verdict == "altered":
                altered.append(f"{finding.aggregate_id}@{finding.version}")
    summary = (
        f"{counts['matches']} snapshot(s) match their replay, "
        f"{counts['ignored']} ignored by loads (other shape or unreadable)"
    )
    if altered:
        fail(f"snapshot(s) differ from the replay of their events: {', '.join(altered)}; {summary}")
    click.echo(summary)


COMMANDS = [verify_snapshots]
