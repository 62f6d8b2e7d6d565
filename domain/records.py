"""The compact states the read models keep per cluster and per stage.

A record is the aggregate's state without its event history, so that applying
one event costs the same however long the history is. A cluster record keeps
only its latest membership report and its latest criteria review (the read
models keep every review in rows of their own), and adds the label milestones
(grants as first decided, extensions, withdrawals, expiries, mergers,
dissolution) that stage histories need but the aggregate state overwrites.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Literal, TypeVar

import msgspec

from domain.cluster import Cluster, Review, project_cluster
from domain.corrections import effective_history
from domain.errors import InvalidCommand
from domain.events import (
    ClusterAbsorbed,
    ClusterDissolved,
    ClusterMerged,
    LabelExpired,
    LabelExtended,
    LabelGranted,
    LabelWithdrawn,
    LedgerEvent,
    StageCriteriaRevised,
    StageOpened,
)
from domain.stage import Stage, evolve_stage
from domain.values import Criterion, EuropeanLevel, event_id

T = TypeVar("T")
MilestoneKind = Literal[
    "granted", "extended", "withdrawn", "expired", "merged", "absorbed", "dissolved"
]


class Milestone(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One label decision or change of existence, as recorded (after corrections)."""

    kind: MilestoneKind
    event_id: str
    effective_on: date
    decided_on: date
    stage: int | None = None
    conditions: tuple[str, ...] = ()
    valid_until: date | None = None
    other: str | None = None  # the cluster merged into, or absorbed


class ClusterRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A cluster as the read models keep it."""

    cluster: Cluster
    milestones: tuple[Milestone, ...] = ()

    @property
    def slug(self) -> str:
        return self.cluster.slug


Facet = tuple[str, str]


def facets(record: ClusterRecord) -> set[Facet]:
    """The filterable facts of a cluster: its regions, themes and the stages it was labelled for."""
    cluster = record.cluster
    return {
        *(("region", r) for r in cluster.regions),
        *(("theme", t) for t in cluster.themes),
        *(("stage", str(m.stage)) for m in record.milestones if m.kind == "granted"),
    }


def slug_of(cluster_id: str) -> str:
    return cluster_id.removeprefix("cluster:")


class Requirements(msgspec.Struct, frozen=True, kw_only=True):
    """What a stage asked of a cluster from a given day."""

    since: date
    criteria: tuple[Criterion, ...]
    minimum_european_label: EuropeanLevel | None
    event_id: str


class StageRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A stage as the read models keep it, with its requirements as they changed."""

    stage: Stage
    requirements: tuple[Requirements, ...] = ()

    def requirements_on(self, day: date) -> Requirements:
        """The requirements in force on ``day`` (those of the opening before it)."""
        applicable = [r for r in self.requirements if r.since <= day]
        return applicable[-1] if applicable else self.requirements[0]


# --- clusters -------------------------------------------------------------

MILESTONE_EVENTS = frozenset(
    {
        LabelGranted, LabelExtended, LabelWithdrawn, LabelExpired, ClusterMerged,
        ClusterAbsorbed, ClusterDissolved,
    }
)


class Advance(msgspec.Struct, frozen=True, kw_only=True):
    """A cluster record after some events, and the criteria reviews those events recorded."""

    record: ClusterRecord
    reviews: tuple[Review, ...]


def advance_cluster_record(
    record: ClusterRecord | None, events: Sequence[LedgerEvent]
) -> Advance:
    """Applies a run of one cluster's events, none a correction (corrections refold)."""
    before = None if record is None else record.cluster
    cluster = project_cluster(before, events)
    if cluster is None:
        msg = "a cluster's read model needs its registration first"
        raise InvalidCommand(msg)
    milestones = [] if record is None else list(record.milestones)
    milestones += [m for m in map(cluster_milestone, events) if m is not None]
    compact = msgspec.structs.replace(
        cluster,
        memberships=_latest(cluster.memberships, lambda m: (m.as_of, m.version)),
        reviews=_latest(cluster.reviews, lambda r: (r.reviewed_on, r.version)),
    )
    return Advance(
        record=ClusterRecord(cluster=compact, milestones=tuple(milestones)),
        reviews=cluster.reviews[0 if before is None else len(before.reviews) :],
    )


def cluster_record_from_history(events: Sequence[LedgerEvent]) -> Advance:
    """Refolds a cluster's whole recorded history, corrections applied."""
    advance = advance_cluster_record(None, effective_history(events))
    cluster = msgspec.structs.replace(
        advance.record.cluster, version=events[-1].originator_version
    )
    return msgspec.structs.replace(
        advance, record=msgspec.structs.replace(advance.record, cluster=cluster)
    )


def _latest(items: tuple[T, ...], key: Callable[[T], tuple[date, int]]) -> tuple[T, ...]:
    return items if len(items) < 2 else (max(items, key=key),)


def cluster_milestone(event: LedgerEvent) -> Milestone | None:
    if type(event) not in MILESTONE_EVENTS:
        return None
    on = event.effective_on
    ref = event_id(event.originator_id, event.originator_version)
    if isinstance(event, LabelGranted):
        return Milestone(
            kind="granted", event_id=ref, effective_on=event.effective_from,
            decided_on=event.decided_on, stage=event.stage, conditions=event.conditions,
            valid_until=event.valid_until,
        )
    if isinstance(event, LabelExtended):
        return Milestone(
            kind="extended", event_id=ref, effective_on=on, decided_on=event.decided_on,
            stage=event.stage, conditions=event.conditions, valid_until=event.valid_until,
        )
    if isinstance(event, LabelWithdrawn):
        return Milestone(
            kind="withdrawn", event_id=ref, effective_on=on, decided_on=event.decided_on,
            stage=event.stage,
        )
    if isinstance(event, LabelExpired):
        return Milestone(
            kind="expired", event_id=ref, effective_on=on, decided_on=on, stage=event.stage
        )
    if isinstance(event, ClusterMerged):
        return Milestone(
            kind="merged", event_id=ref, effective_on=on, decided_on=on, other=event.into
        )
    if isinstance(event, ClusterAbsorbed):
        return Milestone(
            kind="absorbed", event_id=ref, effective_on=on, decided_on=on, other=event.absorbed
        )
    if isinstance(event, ClusterDissolved):
        return Milestone(kind="dissolved", event_id=ref, effective_on=on, decided_on=on)
    return None


# --- stages ---------------------------------------------------------------


def evolve_stage_record(record: StageRecord | None, event: LedgerEvent) -> StageRecord:
    """Applies one event that is not a correction."""
    stage = evolve_stage(None if record is None else record.stage, event)
    stage = msgspec.structs.replace(stage, version=event.originator_version)
    requirements = () if record is None else record.requirements
    if isinstance(event, StageOpened | StageCriteriaRevised):
        since = event.starts_on if isinstance(event, StageOpened) else event.effective_on
        requirements = (
            *requirements,
            Requirements(
                since=since,
                criteria=stage.criteria,
                minimum_european_label=stage.minimum_european_label,
                event_id=event_id(event.originator_id, event.originator_version),
            ),
        )
    return StageRecord(stage=stage, requirements=requirements)


def stage_record_from_history(events: Sequence[LedgerEvent]) -> StageRecord:
    record: StageRecord | None = None
    for event in effective_history(events):
        record = evolve_stage_record(record, event)
    if record is None:
        msg = "a stage's history cannot be retracted entirely"
        raise InvalidCommand(msg)
    stage = msgspec.structs.replace(record.stage, version=events[-1].originator_version)
    return msgspec.structs.replace(record, stage=stage)
