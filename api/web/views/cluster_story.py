"""A cluster's label story as of a date: its status, a timeline chart and its events.

Built from the bitemporal replay (``queries.cluster_status_as_of``), the answer the
auditors' ``GET /clusters/{slug}/status?as_of=`` gives, so the page and the API agree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime

import msgspec

from api.cli.describe import describe
from api.web.charts.lanes import LaneMark, LaneSpan, MarkKind, SpanKind, lane_chart
from api.web.charts.steps import Band
from api.web.views.panels import ChartPanel, LegendItem
from api.web.views.tables import Column, Row, table
from domain.bitemporal import BitemporalStatusView, HistoryEntry
from domain.cluster import Cluster, LabelRecord
from domain.events import (
    ClusterAbsorbed,
    ClusterMerged,
    ClusterRegistered,
    ClusterRenamed,
    EventCorrected,
    LedgerEvent,
)
from domain.records import cluster_milestone, slug_of
from domain.replay import Positioned, replay_cluster
from domain.stage_history import StageSummaryView

URL = re.compile(r"https?://[^\s<>\"]+")
SOURCE_SEPARATOR = re.compile(r"\s*;\s+")
EXISTENCE_LANE = "Pôle"


class Link(msgspec.Struct, frozen=True):
    text: str
    href: str | None  # None: a source that is not a web address (a slide, a report)


class CorrectionNote(msgspec.Struct, frozen=True, kw_only=True):
    event_id: str
    retracts: bool
    text: str


class EventRow(msgspec.Struct, frozen=True, kw_only=True):
    event_id: str
    position: int
    version: int
    kind: str  # the event type, for its style
    effective_on: date
    recorded_at: datetime
    actor: str
    text: str
    decision: str | None
    sources: tuple[Link, ...]
    counted: bool
    corrected_by: tuple[CorrectionNote, ...]
    corrects: str | None
    idempotency_key: str | None
    related: tuple[str, ...]  # the slugs of the clusters merged into or absorbed


class ClusterStory(msgspec.Struct, frozen=True, kw_only=True):
    slug: str
    answer: BitemporalStatusView
    timeline: ChartPanel
    events: tuple[EventRow, ...]


def cluster_story(
    answer: BitemporalStatusView, stages: Sequence[StageSummaryView], today: date
) -> ClusterStory:
    replay = replay_cluster(
        [Positioned(position=e.position, event=e.event) for e in answer.history], answer.as_of
    )
    corrections = {e.event_id: e.event for e in answer.history if e.corrects}
    return ClusterStory(
        slug=answer.slug,
        answer=answer,
        timeline=timeline_panel(replay.cluster, replay.effective, stages, answer.as_of, today),
        events=tuple(event_row(e, corrections) for e in answer.history),
    )


# --- the events -------------------------------------------------------------------


def event_row(entry: HistoryEntry, corrections: dict[str, LedgerEvent]) -> EventRow:
    event = entry.event
    return EventRow(
        event_id=entry.event_id,
        position=entry.position,
        version=event.originator_version,
        kind=entry.type,
        effective_on=entry.effective_on,
        recorded_at=entry.recorded_at,
        actor=entry.actor,
        text=describe(event),
        decision=decision_of(event),
        sources=source_links(entry.source),
        counted=entry.counted,
        corrected_by=tuple(
            correction_note(ref, corrections.get(ref)) for ref in entry.corrected_by
        ),
        corrects=entry.corrects,
        idempotency_key=event.idempotency_key,
        related=related_slugs(event),
    )


def related_slugs(event: LedgerEvent) -> tuple[str, ...]:
    if isinstance(event, ClusterMerged):
        return (slug_of(event.into),)
    if isinstance(event, ClusterAbsorbed):
        return (slug_of(event.absorbed),)
    return ()


def decision_of(event: LedgerEvent) -> str | None:
    """Who decided, and the decision's reference, when the event names them."""
    parts = [
        f"decided on {decided_on.isoformat()}"
        if isinstance(decided_on := getattr(event, "decided_on", None), date)
        else None,
        f"by {by}" if isinstance(by := getattr(event, "decided_by", None), str) else None,
        f"({ref})" if isinstance(ref := getattr(event, "decision_ref", None), str) else None,
    ]
    text = " ".join(p for p in parts if p)
    return text or None


def source_links(source: str | None) -> tuple[Link, ...]:
    """Each part of a source (parts are separated by "; "): a link when it is a web address,
    else text (a slide, a report)."""
    if not source:
        return ()
    parts = [p.strip() for p in SOURCE_SEPARATOR.split(source) if p.strip()]
    return tuple(Link(p, p if URL.fullmatch(p) else None) for p in parts)


def correction_note(ref: str, correction: LedgerEvent | None) -> CorrectionNote:
    retracts = isinstance(correction, EventCorrected) and correction.amended is None
    if isinstance(correction, EventCorrected):
        fields = ", ".join(sorted(correction.amended or {}))
        what = "retracted" if retracts else f"amended ({fields})"
        text = f"{what} on {correction.effective_on.isoformat()}: {correction.reason}"
    else:
        text = "corrected"
    return CorrectionNote(event_id=ref, retracts=retracts, text=text)


# --- the timeline chart -----------------------------------------------------------


def timeline_panel(
    cluster: Cluster | None,
    effective: Sequence[LedgerEvent],
    stages: Sequence[StageSummaryView],
    as_of: date,
    today: date,
) -> ChartPanel:
    stage_ends = {s.number: s.ends_on for s in stages}
    labels = () if cluster is None else cluster.labels
    label_stages = sorted({lb.stage for lb in labels})
    lanes = [EXISTENCE_LANE, *(f"Stage {n}" for n in label_stages)]
    lane_of = {n: i + 1 for i, n in enumerate(label_stages)}
    spans = [label_span(lb, lane_of[lb.stage], stage_ends.get(lb.stage)) for lb in labels]
    marks = [m for e in effective if (m := lane_mark(e, lane_of)) is not None]
    days = [s.starts_on for s in stages] + [m.day for m in marks]
    first = min(days, default=as_of)
    last = max([today, as_of, *(s.ends_on for s in stages), *(s.last for s in spans)])
    chart = lane_chart(
        lanes, spans, marks, first=date(first.year, 1, 1), last=last, as_of=as_of,
        bands=[
            Band(series=i, first=s.starts_on, last=s.ends_on, label=f"Stage {s.number}")
            for i, s in enumerate(stages)
        ],
    )
    return ChartPanel(
        key="label-timeline",
        title=f"Labels as of {as_of.isoformat()}",
        description=(
            "The cluster's labels across the stages: each bar is a label from the day it took "
            "effect to its end (or its planned end), hatched when conditional; marks show "
            "extensions, withdrawals, expiries, mergers and dissolution."
        ),
        kind="lanes",
        chart=chart,
        legend=(
            LegendItem("label", "span-labelled"),
            LegendItem("conditional label", "span-conditional"),
            *(LegendItem(kind, f"mark-{kind}") for kind in _kinds_drawn(marks)),
            LegendItem(f"as of {as_of.isoformat()}", "as-of"),
        ),
        table=table(
            "The labels and decisions drawn",
            (Column("day", "date"), Column("lane"), Column("what")),
            sorted(
                [Row(cells=(s.first, lanes[s.lane], s.text)) for s in spans]
                + [Row(cells=(m.day, lanes[m.lane], m.text)) for m in marks],
                key=lambda row: str(row.cells[0]),
            ),
        ),
        note=None if cluster is not None else "Not registered as of this date.",
    )


def label_span(label: LabelRecord, lane: int, stage_end: date | None) -> LaneSpan:
    planned = label.valid_until or stage_end or label.effective_from
    last = label.ended_on or planned
    kind: SpanKind = "conditional" if label.is_conditional else "labelled"
    until = (
        f"{label.state} on {label.ended_on.isoformat()}"
        if label.ended_on
        else f"until {planned.isoformat()}"
    )
    return LaneSpan(
        lane=lane,
        first=label.effective_from,
        last=last,
        kind=kind,
        text=f"stage {label.stage} {'conditional ' if label.is_conditional else ''}label from "
        f"{label.effective_from.isoformat()}, {until}",
    )


def lane_mark(event: LedgerEvent, lane_of: dict[int, int]) -> LaneMark | None:
    if isinstance(event, ClusterRegistered | ClusterRenamed):
        kind: MarkKind = "registered" if isinstance(event, ClusterRegistered) else "renamed"
        return LaneMark(lane=0, day=event.effective_on, kind=kind, text=describe(event))
    milestone = cluster_milestone(event)
    if milestone is None:
        return None
    lane = 0 if milestone.stage is None else lane_of.get(milestone.stage, 0)
    day = milestone.decided_on if milestone.kind == "granted" else milestone.effective_on
    return LaneMark(lane=lane, day=day, kind=milestone.kind, text=describe(event))


def _kinds_drawn(marks: Sequence[LaneMark]) -> list[str]:
    return sorted({m.kind for m in marks})
