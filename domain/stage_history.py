"""What happened in a stage: who was labelled, on what terms, and who left."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Literal

import msgspec

from domain.cluster import LabelRecord
from domain.records import ClusterRecord, Milestone, MilestoneKind, StageRecord, slug_of
from domain.values import Criterion, EuropeanLevel

StageState = Literal["open", "closed"]


class StageEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One cluster in one list of a stage's history, with the event that put it there."""

    slug: str
    name: str
    on: date
    event_id: str
    conditions: tuple[str, ...] = ()
    valid_until: date | None = None
    other: str | None = None  # slug merged into


class ReportedCountView(msgspec.Struct, frozen=True, kw_only=True):
    """An officially reported count beside the ledger's own count on the same day."""

    count: int
    as_of: date
    description: str
    source: str | None
    ledger_count: int


class StageCounts(msgspec.Struct, frozen=True, kw_only=True):
    granted: int
    conditional: int
    extended: int
    withdrawn: int
    expired: int
    merged: int
    dissolved: int
    renewed: int
    new_entrants: int
    returning: int


class StageHistoryView(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    title: str
    starts_on: date
    ends_on: date
    status: StageState
    closed_on: date | None
    decided_by: str
    criteria: tuple[Criterion, ...]
    minimum_european_label: EuropeanLevel | None
    granted: tuple[StageEntry, ...]
    conditional: tuple[StageEntry, ...]
    extended: tuple[StageEntry, ...]
    withdrawn: tuple[StageEntry, ...]
    expired: tuple[StageEntry, ...]
    merged: tuple[StageEntry, ...]
    dissolved: tuple[StageEntry, ...]
    renewed: tuple[StageEntry, ...]
    new_entrants: tuple[StageEntry, ...]
    returning: tuple[StageEntry, ...]
    counts: StageCounts
    reported_counts: tuple[ReportedCountView, ...]
    version: int


class StageSummaryView(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    title: str
    starts_on: date
    ends_on: date
    status: StageState
    closed_on: date | None
    granted: int
    conditional: int
    withdrawn: int
    latest_reported: ReportedCountView | None


def stage_history(record: StageRecord, clusters: Sequence[ClusterRecord]) -> StageHistoryView:
    stage = record.stage
    n = stage.number
    lineage = Lineage(clusters)
    entries = _stage_entries(clusters, n, stage.starts_on, stage.ends_on)
    granted = entries["granted"]
    first_grants = _first_per_cluster(granted)
    renewed = tuple(e for e in first_grants if lineage.held_to_end(e.slug, n - 1))
    new = tuple(e for e in first_grants if not lineage.labelled_before(e.slug, n))
    returning = tuple(e for e in first_grants if e not in renewed and e not in new)
    lists = {
        "granted": granted,
        "conditional": tuple(e for e in granted if e.conditions),
        "extended": entries["extended"],
        "withdrawn": entries["withdrawn"],
        "expired": entries["expired"],
        "merged": entries["merged"],
        "dissolved": entries["dissolved"],
        "renewed": renewed,
        "new_entrants": new,
        "returning": returning,
    }
    counts = StageCounts(**{key: len({e.slug for e in value}) for key, value in lists.items()})
    return StageHistoryView(
        number=n,
        title=stage.title,
        starts_on=stage.starts_on,
        ends_on=stage.ends_on,
        status="open" if stage.is_open else "closed",
        closed_on=stage.closed_on,
        decided_by=stage.decided_by,
        criteria=stage.criteria,
        minimum_european_label=stage.minimum_european_label,
        counts=counts,
        reported_counts=tuple(
            ReportedCountView(
                count=r.count,
                as_of=r.as_of,
                description=r.description,
                source=r.source,
                ledger_count=count_labelled_on(clusters, n, r.as_of),
            )
            for r in sorted(stage.reported_counts, key=lambda r: r.as_of)
        ),
        version=stage.version,
        **lists,
    )


def stage_summary(history: StageHistoryView) -> StageSummaryView:
    return StageSummaryView(
        number=history.number,
        title=history.title,
        starts_on=history.starts_on,
        ends_on=history.ends_on,
        status=history.status,
        closed_on=history.closed_on,
        granted=history.counts.granted,
        conditional=history.counts.conditional,
        withdrawn=history.counts.withdrawn,
        latest_reported=history.reported_counts[-1] if history.reported_counts else None,
    )


def count_labelled_on(clusters: Iterable[ClusterRecord], stage: int, day: date) -> int:
    """Clusters holding a label of ``stage`` on ``day``."""
    return sum(
        any(lb.stage == stage and held_on(lb, day) for lb in r.cluster.labels) for r in clusters
    )


def held_on(label: LabelRecord, day: date) -> bool:
    """Whether a label was in force that day (a stage's closing day still counts)."""
    if label.effective_from > day:
        return False
    if label.valid_until is not None and label.valid_until < day:
        return False
    if label.ended_on is None:
        return True
    return label.ended_on > day or (label.state == "expired" and label.ended_on == day)


class Lineage:
    """Which clusters held which stages' labels, counting those they absorbed."""

    def __init__(self, clusters: Iterable[ClusterRecord]) -> None:
        self.by_slug = {r.slug: r for r in clusters}

    def ancestry(self, slug: str) -> list[ClusterRecord]:
        seen: dict[str, ClusterRecord] = {}
        pending = [slug]
        while pending:
            record = self.by_slug.get(pending.pop())
            if record is None or record.slug in seen:
                continue
            seen[record.slug] = record
            pending.extend(
                slug_of(m.other) for m in record.milestones if m.kind == "absorbed" and m.other
            )
        return list(seen.values())

    def held_to_end(self, slug: str, stage: int) -> bool:
        """The cluster, or one it absorbed, kept a label of ``stage`` (not withdrawn)."""
        return any(_last_decision_is_grant(r, stage) for r in self.ancestry(slug))

    def labelled_before(self, slug: str, stage: int) -> bool:
        return any(
            m.kind == "granted" and m.stage is not None and m.stage < stage
            for r in self.ancestry(slug)
            for m in r.milestones
        )


def _last_decision_is_grant(record: ClusterRecord, stage: int) -> bool:
    decisions = [
        m for m in record.milestones if m.stage == stage and m.kind in ("granted", "withdrawn")
    ]
    return bool(decisions) and decisions[-1].kind == "granted"


STAGE_KINDS: tuple[MilestoneKind, ...] = ("granted", "extended", "withdrawn", "expired")
"""Decisions listed under the stage they name."""
DATED_KINDS: tuple[MilestoneKind, ...] = ("merged", "dissolved")
"""Events listed under the stage whose dates they fall in."""


def _stage_entries(
    clusters: Iterable[ClusterRecord], stage: int, start: date, end: date
) -> dict[MilestoneKind, tuple[StageEntry, ...]]:
    """Every milestone a stage's history lists, by kind, each list by date then slug; one
    pass over the clusters' milestones (a history reads every cluster)."""
    found: dict[MilestoneKind, list[StageEntry]] = {k: [] for k in STAGE_KINDS + DATED_KINDS}
    for record in clusters:
        for m in record.milestones:
            if m.kind in STAGE_KINDS:
                if m.stage == stage:
                    found[m.kind].append(_entry(record, m))
            elif m.kind in DATED_KINDS and start <= m.effective_on <= end:
                found[m.kind].append(_entry(record, m))
    return {
        kind: tuple(sorted(entries, key=lambda e: (e.on, e.slug)))
        for kind, entries in found.items()
    }


def _entry(record: ClusterRecord, milestone: Milestone) -> StageEntry:
    return StageEntry(
        slug=record.slug,
        name=record.cluster.name,
        on=milestone.decided_on if milestone.kind == "granted" else milestone.effective_on,
        event_id=milestone.event_id,
        conditions=milestone.conditions,
        valid_until=milestone.valid_until,
        other=None if milestone.other is None else slug_of(milestone.other),
    )


def _first_per_cluster(entries: Iterable[StageEntry]) -> tuple[StageEntry, ...]:
    first: dict[str, StageEntry] = {}
    for entry in entries:
        first.setdefault(entry.slug, entry)
    return tuple(first.values())
