"""``label-ledger history``: a cluster's label story, replayed from its events."""

from __future__ import annotations

from datetime import UTC, date, datetime

import click

from api.cli.common import DATE, db_option, fail, ledger_at, reports_errors
from api.cli.describe import describe
from domain.replay import corrections_of, known_at, replay_cluster
from domain.values import check_slug, cluster_id


def parse_known_at(value: str | None) -> tuple[int | None, datetime | None]:
    """A ledger position (digits) or a recorded timestamp (ISO 8601)."""
    if value is None:
        return None, None
    if value.isdigit():
        return int(value), None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--known-at {value!r} is neither a position nor an ISO timestamp", 2)
        raise
    return None, moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.command()
@click.argument("slug")
@click.option("--as-of", type=DATE, default=None, help="Effective date (valid time); default today.")
@click.option(
    "--known-at",
    "known_at_value",
    metavar="POSITION|TIMESTAMP",
    default=None,
    help="Replay only what the ledger held at this position or recorded time.",
)
@db_option
@reports_errors
def history(slug: str, as_of: date | None, known_at_value: str | None, db: str | None) -> None:
    """Show a cluster's label events in order and its status as of a date."""
    check_slug(slug)
    position, moment = parse_known_at(known_at_value)
    day = as_of or date.today()
    with ledger_at(db) as ledger:
        ledger.get_cluster(slug)
        entries = known_at(
            ledger.positioned_events(cluster_id(slug)), position=position, recorded_by=moment
        )
    replay = replay_cluster(entries, day)
    if replay.cluster is None:
        fail(f"{slug} was not registered as of {day} in what the ledger knew then")
        return
    corrections = corrections_of(entries)
    click.echo(f"{replay.cluster.name} ({slug}) as of {day}" + _known_suffix(known_at_value))
    for entry in entries:
        event = entry.event
        if event.effective_on > day:
            continue
        marks = " [corrected]" if event.originator_version in corrections else ""
        source = f"  <{event.source}>" if event.source else ""
        click.echo(
            f"  #{entry.position:<6} v{event.originator_version:<3} {event.effective_on}  "
            f"{describe(event)}{marks}{source}"
        )
    assert replay.status is not None
    label = replay.status.label
    terms = ""
    if label is not None:
        terms = f" (stage {label.stage}, from {label.effective_from}"
        terms += f" until {label.valid_until})" if label.valid_until else ")"
    click.echo(f"status on {day}: {replay.status.status}{terms}")


def _known_suffix(value: str | None) -> str:
    return f", as known at {value}" if value else ""


COMMANDS = [history]
