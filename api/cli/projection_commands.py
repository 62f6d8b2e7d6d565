"""``label-ledger status | stage | report | rebuild``: the read models, for people."""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar, cast, get_args

import click
import msgspec

from api.cli.common import DATE, Progress, db_option, fail, ledger_at, reports_errors
from domain.compliance import ComplianceView
from domain.records import Requirements
from domain.reports import SummaryReport
from domain.stage_history import StageEntry, StageHistoryView
from domain.status import ClusterStatus
from domain.status_view import ClusterStatusView
from domain.values import check_slug
from infrastructure.projections import RebuildProgress, rebuild_projections
from infrastructure.projections import queries as q
from infrastructure.projections.filters import Names
from infrastructure.projections.reading import Reading

STATUSES = get_args(ClusterStatus)
F = TypeVar("F", bound=Callable[..., Any])
WIDTH = 100

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


READING_OPTIONS = (
    click.option(
        "--on", "on", type=DATE, default=None,
        help="Answer for this day, from the events in effect on it (default: today, from "
        "the read models).",
    ),
    click.option(
        "--known-at", "known_at", type=click.IntRange(min=0), default=None,
        metavar="POSITION", help="As the ledger stood at this position.",
    ),
    click.option(
        "--evidence", type=click.Choice(["all", "stated"]), default="all", show_default=True,
        help="stated: count only decisions a source states (not weak or inferred ones).",
    ),
)


def reading_options(command: F) -> F:
    """``--on``, ``--known-at`` and ``--evidence``, given to ``command`` as one ``reading``."""

    @functools.wraps(command)
    def with_reading(
        *args: Any, on: date | None, known_at: int | None, evidence: str, **kwargs: Any
    ) -> Any:
        return command(*args, reading=reading_of(on, known_at, evidence), **kwargs)

    wrapped: Any = with_reading
    for option in reversed(READING_OPTIONS):
        wrapped = option(wrapped)
    return cast("F", wrapped)


def reading_of(on: date | None, known_at: int | None, evidence: str) -> Reading:
    return Reading(on=on, known_at=known_at, stated_only=evidence == "stated")


def json_text(value: Any) -> str:
    return msgspec.json.format(msgspec.json.encode(value), indent=2).decode()


# --- status ---------------------------------------------------------------


@click.command()
@click.argument("slug", required=False)
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Only this status.")
@click.option("--region", default=None, help="Only clusters of this region.")
@click.option("--theme", default=None, help="Only clusters of this theme.")
@click.option("--stage", type=int, default=None, help="Only clusters whose label is of this stage.")
@reading_options
@json_option
@db_option
@reports_errors
def status(
    slug: str | None,
    status: str | None,
    region: str | None,
    theme: str | None,
    stage: int | None,
    reading: Reading,
    as_json: bool,
    db: str | None,
) -> None:
    """Show each cluster's label status (today, or --on a day), or one cluster's in full.

    Regions and themes match whatever the case and accents, stated or current
    (label-ledger regions / themes list them)."""
    with ledger_at(db) as ledger:
        if slug is not None:
            view = q.get_cluster_status(ledger, check_slug(slug), reading=reading)
            if view is None:
                raise q.unknown_cluster(ledger, slug)
            click.echo(json_text(view) if as_json else cluster_card(view))
            return
        views = q.list_cluster_status(
            ledger,
            status=cast("ClusterStatus | None", status),
            region=region,
            theme=theme,
            stage=stage,
            reading=reading,
        )
    if as_json:
        click.echo(json_text(views))
        return
    click.echo(status_table(views))


def status_table(views: Sequence[ClusterStatusView]) -> str:
    rows = [
        (
            v.slug,
            v.status,
            _text(v.stage),
            _text(v.effective_from),
            _text(v.valid_until),
            "yes" if v.conditions else "",
            v.european_label.level if v.european_label else "",
            _text(v.membership.total if v.membership else None),
        )
        for v in views
    ]
    day = views[0].as_of if views else date.today()
    header = ("CLUSTER", "STATUS", "STAGE", "FROM", "UNTIL", "COND.", "EU LABEL", "MEMBERS")
    return (
        f"{table(header, rows)}\n{len(views)} clusters registered by {day}, each with its "
        f"status on that day"
    )


def cluster_card(v: ClusterStatusView) -> str:
    lines = [
        f"{v.name} ({v.slug}), version {v.version}",
        f"  status on {v.as_of}: {v.status}",
        f"  regions: {', '.join(v.regions) or '-'}",
        f"  themes: {', '.join(v.themes) or '-'}",
    ]
    if v.stage is not None:
        tier = f" [{v.tier}]" if v.tier else ""
        lines.append(
            f"  label: stage {v.stage}{tier}, from {v.effective_from} until "
            f"{_text(v.valid_until) or 'the end of the stage'} ({v.label_event_id})"
        )
        if v.conditions:
            lines.append(f"  conditions: {'; '.join(v.conditions)}")
    if v.merged_into:
        lines.append(f"  merged into {v.merged_into} on {v.merged_on}")
    if v.dissolved_on:
        lines.append(f"  dissolved on {v.dissolved_on}")
    if e := v.european_label:
        lines.append(
            f"  European label: {e.level} from {e.issuer}, {e.awarded_on} to "
            f"{_text(e.valid_until) or 'open'} ({e.event_id})"
        )
    if r := v.latest_review:
        lines.append(
            f"  latest review: stage {r.stage} {r.kind} by {r.reviewer} on {r.reviewed_on}: "
            f"{r.outcome} ({r.event_id})"
        )
    if m := v.membership:
        lines.append(
            f"  members on {m.as_of}: {m.total} (very small {m.very_small}, SME {m.sme}, "
            f"intermediate/large {m.intermediate_large}, research {m.research}, "
            f"other {m.other}) ({m.event_id})"
        )
    return "\n".join(lines)


# --- stage ----------------------------------------------------------------


@click.command()
@click.argument("number", type=int)
@reading_options
@json_option
@db_option
@reports_errors
def stage(number: int, reading: Reading, as_json: bool, db: str | None) -> None:
    """Show what happened in a stage (by today, or --on a day), the counts beside the
    official ones, and compliance (today's)."""
    with ledger_at(db) as ledger:
        history = q.stage_history(ledger, number, reading)
        findings = q.compliance(ledger, number)
    if history is None or findings is None:
        on = f" on {reading.on}" if reading.on else ""
        fail(f"unknown stage: no stage {number} in the ledger{on}")
        return
    if as_json:
        click.echo(json_text({"history": history, "compliance": findings}))
        return
    click.echo(stage_text(history, reading))
    click.echo(compliance_text(findings))


def stage_text(h: StageHistoryView, reading: Reading) -> str:
    closed = f"closed on {h.closed_on}" if h.closed_on else "open"
    c = h.counts
    lines = [
        f"Stage {h.number}: {h.starts_on} to {h.ends_on}, {closed}",
        *_wrapped(h.title, "  "),
        *_wrapped(f"decided by {h.decided_by}", "  "),
        "",
        f"Counts in the ledger (clusters, decisions in effect by {reading.day}"
        f"{', stated facts only' if reading.stated_only else ''})",
        f"  granted {c.granted} (conditionally {c.conditional}), extended {c.extended}, "
        f"withdrawn {c.withdrawn}, expired at closure {c.expired}",
        f"  renewed from stage {h.number - 1}: {c.renewed}, new entrants {c.new_entrants}, "
        f"returning {c.returning}; merged {c.merged}, dissolved {c.dissolved} during the stage",
    ]
    if h.reported_counts:
        lines += ["", "Reported counts beside the ledger's (clusters holding the label that day)"]
        for r in h.reported_counts:
            lines.append(f"  {r.as_of}  reported {r.count:>3}  ledger {r.ledger_count:>3}")
            lines += _wrapped(r.description, " " * 14)
    for title, entries in (
        ("Granted conditionally", h.conditional),
        ("Extended", h.extended),
        ("Withdrawn", h.withdrawn),
        ("Merged during the stage", h.merged),
        ("Dissolved during the stage", h.dissolved),
    ):
        lines += _entry_lines(title, entries)
    first = min((e.on for e in h.granted), default=h.starts_on)
    for title, entries in (
        ("Granted", h.granted),
        (f"Renewed from stage {h.number - 1}", h.renewed),
        ("New entrants", h.new_entrants),
        ("Returning after a gap", h.returning),
        ("Expired at closure", h.expired),
    ):
        if entries:
            lines += ["", f"{title} ({len(entries)})"]
            lines += _wrapped(", ".join(_dated(e, first) for e in entries), "  ")
    return "\n".join(lines)


def _entry_lines(title: str, entries: Sequence[StageEntry]) -> list[str]:
    if not entries:
        return []
    lines = ["", f"{title} ({len(entries)})"]
    for e in entries:
        terms = f"into {e.other}" if e.other else ""
        if e.valid_until and not e.other:
            terms = f"until {e.valid_until}"
        lines.append(f"  {e.on}  {e.slug:<28} {terms}".rstrip())
        if e.conditions:
            lines += _wrapped(f"conditions: {'; '.join(e.conditions)}", " " * 14)
    return lines


def _dated(entry: StageEntry, first: date) -> str:
    """A slug, dated when it came after the stage's first decisions."""
    return entry.slug if entry.on <= first else f"{entry.slug} ({entry.on})"


def compliance_text(v: ComplianceView) -> str:
    lines = ["", "Requirements"]
    for r in v.requirements:
        lines += _wrapped(f"from {r.since}: {requirement_text(r)} ({r.event_id})", "  ")
    lines += [
        "",
        f"Compliance: {v.grants_checked} grants checked, "
        f"{v.grants_with_findings} granted while a requirement was unmet",
    ]
    kinds: dict[str, list[str]] = {}
    for f in v.findings:
        kinds.setdefault(f.requirement, []).append(f.slug)
    for kind, slugs in kinds.items():
        lines += _wrapped(
            f"{FINDING_WORDS.get(kind, kind)} ({len(slugs)}): {', '.join(slugs)}", "  "
        )
    if v.findings:
        lines.append("  (--json lists each finding with its evidence event ids)")
    return "\n".join(lines)


FINDING_WORDS = {
    "compliant-review": "granted without a compliant criteria review before the decision",
    "european-label": "granted without the required European label in force",
    "criterion-threshold": "granted while a measured criterion missed its threshold",
}
"""What each kind of finding counts, in words (the JSON keeps the codes)."""


def requirement_text(r: Requirements) -> str:
    parts = [
        f"{c.code} {c.operator} {c.threshold:g}{' ' + c.unit if c.unit else ''}"
        if c.threshold is not None
        else c.code
        for c in r.criteria
    ]
    if r.minimum_european_label:
        parts.append(f"European label {r.minimum_european_label} or above")
    return "; ".join(parts) or "none"


# --- report ---------------------------------------------------------------


@click.command()
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv", "html"]), default="table",
    show_default=True, help="html: the reports page with its charts, as one self-contained file.",
)
@reading_options
@click.option(
    "--out", type=click.Path(dir_okay=False, writable=True), default=None,
    help="Write to this file instead of standard output.",
)
@db_option
@reports_errors
def report(fmt: str, reading: Reading, out: str | None, db: str | None) -> None:
    """Counts by stage, region and theme, membership, and stage rates: of what was in
    effect on the day (today, or --on a day)."""
    with ledger_at(db) as ledger:
        if fmt == "csv":
            _emit(q.summary_csv(ledger, reading), out)
            return
        summary = q.summary_report(ledger, reading)
        series = q.labelled_timeline(ledger) if fmt == "html" else ()
    if fmt == "html":
        from api.web.report_file import standalone_report  # the templates load only here

        _emit(standalone_report(summary, series), out)
        return
    if fmt == "json":
        _emit(json_text(summary) + "\n", out)
        return
    _emit(report_text(summary) + "\n", out)


def _emit(text: str, out: str | None) -> None:
    """Writes the whole text to ``out`` (replaced at once, never half-written) or stdout."""
    if out is None:
        click.echo(text, nl=False)
        return
    target = Path(out)
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        fail(f"cannot write {target}: {error.strerror or error}")
    click.echo(f"wrote {target} ({len(text.encode()):,} bytes)", err=True)


def report_text(r: SummaryReport) -> str:
    statuses = ", ".join(f"{k} {v}" for k, v in r.statuses.items())
    scope = "decisions a source states only" if r.stated_only else "every recorded decision"
    lines = [
        f"Report on {r.as_of} at ledger position {r.position}: what was in effect that day, "
        f"from {scope}",
        f"  clusters registered by then, by status that day: {statuses}",
        "",
        "Stages: clusters granted the stage's label (of which conditionally), withdrawn, "
        "renewed from the previous stage, new; rates of those granted",
    ]
    lines.append(
        table(
            ("STAGE", "GRANTED", "COND.", "WITHDRAWN", "RENEWED", "NEW", "RENEWAL", "WITHDRAWAL",
             "CONDITIONAL"),
            [
                (s.stage, s.granted, s.conditional, s.withdrawn, s.renewed, s.new_entrants,
                 _rate_cell(s.renewal_rate), _rate_cell(s.withdrawal_rate),
                 _rate_cell(s.conditional_rate))
                for s in r.stages
            ],
        )
    )
    notes = [f"stage {s.stage}: {note}" for s in r.stages for note in s.notes]
    if notes:
        lines.append("  n/a: " + "; ".join(notes))
    for title, groups in (("REGION", r.regions), ("THEME", r.themes)):
        lines += [
            "",
            f"{title.capitalize()}s: clusters holding a label that day, and clusters still "
            "in existence",
            table((title, "LABELLED", "ACTIVE"), [(g.name, g.labelled, g.active) for g in groups]),
        ]
    if r.grouping:
        lines.append(f"  ({r.grouping})")
    m = r.membership
    span = f", reports of {m.earliest_report} to {m.latest_report}" if m.latest_report else ""
    lines += [
        "",
        f"Membership: {m.total} members in the latest reports of {m.clusters_reporting} of "
        f"{m.clusters_labelled} labelled clusters{span}",
        table(("KIND", "MEMBERS", "SHARE"), [(k.kind, k.members, _pct(k.share)) for k in m.kinds]),
    ]
    return "\n".join(lines)


# --- rebuild --------------------------------------------------------------


@click.command()
@db_option
@reports_errors
def rebuild(db: str | None) -> None:
    """Drop every read model and rebuild it from the events, with progress."""
    with ledger_at(db) as ledger:
        total = ledger.last_position()
        with Progress(total, "rebuilding", item_show_func=_rate) as bar:
            seen = 0

            def advance(p: RebuildProgress) -> None:
                nonlocal seen
                bar.update(p.events - seen, p)
                seen = p.events

            result = rebuild_projections(ledger, progress=advance)
    click.echo(
        f"rebuilt the read models from {result.events} events in {result.seconds:.2f} s "
        f"({result.rate:,.0f} events/s); position {result.position}"
    )


def _rate(p: RebuildProgress | None) -> str | None:
    if p is None or p.seconds <= 0:
        return None
    return f"{p.events / p.seconds:,.0f} events/s"


# --- text helpers ---------------------------------------------------------


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    cells = [[str(c) for c in header], *([_text(c) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )


def _wrapped(text: str, indent: str) -> list[str]:
    lines = textwrap.wrap(
        text, WIDTH, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
    )
    return lines or [indent]


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def _rate_cell(value: float | None) -> str:
    """A rate, or n/a where it has no denominator (the report's notes say why)."""
    return "n/a" if value is None else f"{value:.0%}"


# --- regions and themes -----------------------------------------------------------


@click.command()
@json_option
@db_option
@reports_errors
def regions(as_json: bool, db: str | None) -> None:
    """List the regions a --region filter accepts, with how many clusters each names."""
    with ledger_at(db) as ledger:
        names = q.region_names(ledger)
    click.echo(json_text(names) if as_json else names_text(names))


@click.command()
@json_option
@db_option
@reports_errors
def themes(as_json: bool, db: str | None) -> None:
    """List the themes a --theme filter accepts, with how many clusters each names."""
    with ledger_at(db) as ledger:
        names = q.theme_names(ledger)
    click.echo(json_text(names) if as_json else names_text(names))


def names_text(names: Names) -> str:
    rows = [(n.name, n.clusters, n.kind) for n in names.names]
    return f"{table(('NAME', 'CLUSTERS', 'KIND'), rows)}\n({names.note})"


COMMANDS = [status, stage, report, rebuild, regions, themes]
