"""``label-ledger history``: a cluster's label story, replayed from its events."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from datetime import UTC, date, datetime

import click

from api.cli.common import DATE, db_option, fail, ledger_at, reports_errors
from api.cli.describe import describe
from domain.bitemporal import BitemporalStatusView, HistoryEntry
from domain.events import EventCorrected, LedgerEvent
from domain.values import check_slug
from infrastructure.projections.queries import cluster_status_as_of


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
@click.option(
    "--as-of", type=DATE, default=None, help="Effective date (valid time); default today."
)
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
    """Show a cluster's events, corrections included, and its status as of a date."""
    check_slug(slug)
    position, moment = parse_known_at(known_at_value)
    day = as_of or date.today()
    with ledger_at(db) as ledger:
        view = cluster_status_as_of(
            ledger, slug, as_of=day, known_at_position=position, known_at_time=moment
        )
    click.echo(f"{view.name} ({slug}) as of {day}" + _known_suffix(known_at_value))
    corrections = {e.event_id: e.event for e in view.history if e.corrects}
    terminal, colour = sys.stdout.isatty(), not os.environ.get("NO_COLOR")
    for entry in view.history:
        if terminal:
            click.echo(terminal_lines(entry, corrections, day), color=colour)
        else:
            click.echo(entry_line(entry, corrections, day))
    click.echo(f"status on {day}: {_status_words(view)}{_terms(view)}")
    if known_at_value is not None:
        click.echo(_known_now(view))


def entry_line(entry: HistoryEntry, corrections: dict[str, LedgerEvent], day: date) -> str:
    event = entry.event
    marks = "".join(
        f" [{'retracted' if _retracts(corrections.get(ref)) else 'amended'} by {ref}]"
        for ref in entry.corrected_by
    )
    if not entry.counted and not entry.corrected_by:
        marks += f" [takes effect after {day}]"
    source = f"  <{event.source}>{_graded(entry)}" if event.source else _graded(entry)
    return (
        f"  #{entry.position:<6} v{event.originator_version:<3} {event.effective_on}  "
        f"{describe(event)}{marks}{source}"
    )


def terminal_lines(entry: HistoryEntry, corrections: dict[str, LedgerEvent], day: date) -> str:
    """An entry for a person at a terminal: wrapped to its width, its source on a line of
    its own, styled (colour only where NO_COLOR is unset; click drops it off a TTY)."""
    event = entry.event
    head = f"  #{entry.position:<6} v{event.originator_version:<3} {event.effective_on}  "
    text = entry_line(entry, corrections, day)[len(head):]
    source = f"  <{event.source}>{_graded(entry)}" if event.source else _graded(entry)
    text = text.removesuffix(source) if event.source else text
    indent = " " * len(head)
    width = max(60, shutil.get_terminal_size().columns - 1)
    body = textwrap.wrap(text, width - len(head), break_on_hyphens=False) or [""]
    faded = not entry.counted and not entry.corrected_by
    lines = [
        click.style(head, dim=True) + click.style(body[0], dim=faded, bold=not faded),
        *(indent + click.style(line, dim=faded) for line in body[1:]),
    ]
    if event.source:
        lines.append(indent + click.style(event.source, fg="blue") + _graded(entry))
    return "\n".join(lines)


def _graded(entry: HistoryEntry) -> str:
    """The evidence grade a weak or inferred fact carries, so it reads as such."""
    return f" [evidence: {entry.evidence}]" if entry.evidence else ""


def _status_words(view: BitemporalStatusView) -> str:
    if view.status == "not-registered":
        return f"not yet registered (registered on {view.registered_on})"
    return str(view.status)


def _retracts(correction: LedgerEvent | None) -> bool:
    return isinstance(correction, EventCorrected) and correction.amended is None


def _terms(view: BitemporalStatusView) -> str:
    if view.stage is None:
        return ""
    until = f" until {view.valid_until}" if view.valid_until else ""
    conditions = f"; conditions: {'; '.join(view.conditions)}" if view.conditions else ""
    return f" (stage {view.stage}, from {view.effective_from}{until}{conditions})"


def _known_now(view: BitemporalStatusView) -> str:
    if not view.revised_later:
        return f"as known now: the same answer ({view.status_known_now})"
    return (
        f"as known now: {view.status_known_now or 'not registered'} "
        f"(later entries of the ledger revised the answer known at position {view.position})"
    )


def _known_suffix(value: str | None) -> str:
    return f", as known at {value}" if value else ""


COMMANDS = [history]
