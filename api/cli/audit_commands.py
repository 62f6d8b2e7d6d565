"""``label-ledger audit``: verify a ledger server over HTTP, from cron, with no database."""

from __future__ import annotations

from pathlib import Path

import click
import msgspec

from api.cli.common import fail, reports_errors
from infrastructure.auditor import audit as run_audit
from infrastructure.auditor.audit import RECHECK, SAMPLE
from infrastructure.auditor.remote import RemoteError
from infrastructure.auditor.state import StateError


@click.command()
@click.argument("url")
@click.option(
    "--public-key",
    "public_key",
    metavar="KEY",
    default=None,
    help="The log's verifier key (a .pub file or its text). Without it the key kept in "
    "--state is used, else the server's own, trusted on first use.",
)
@click.option(
    "--state",
    "state_dir",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to keep the last verified checkpoint and what resumes the next run "
    "(without it every run starts from nothing).",
)
@click.option(
    "--token",
    envvar="LEDGER_TOKEN",
    default=None,
    metavar="TOKEN",
    help="An auditor's bearer token (default: $LEDGER_TOKEN); the feed needs one.",
)
@click.option(
    "--recheck",
    type=click.IntRange(0),
    default=RECHECK,
    show_default=True,
    help="Older events re-read per run against the leaves kept (a rolling window).",
)
@click.option(
    "--sample",
    type=click.IntRange(0),
    default=SAMPLE,
    show_default=True,
    help="Clusters whose single status (GET /clusters/{slug}) is checked too.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@reports_errors
def audit(
    url: str,
    public_key: str | None,
    state_dir: Path | None,
    token: str | None,
    recheck: int,
    sample: int,
    as_json: bool,
) -> None:
    """Audit the ledger served at URL: signature, consistency with the last run, every new
    leaf, the root, heads and views, and the statuses it serves. Exit 1 naming the first
    problem."""
    try:
        report = run_audit(
            url,
            public_key=public_key,
            state_dir=state_dir,
            token=token,
            recheck=recheck,
            sample=sample,
        )
    except (RemoteError, StateError) as error:
        fail(str(error))
        return
    if as_json:
        click.echo(msgspec.json.encode(report).decode())
        raise SystemExit(0 if report.ok else 1)
    if not report.ok:
        fail(report.summary())
    click.echo(report.summary())


COMMANDS = [audit]
