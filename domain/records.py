"""The compact states the read models keep per cluster and per stage.

A record is the aggregate's state without its event history, so that applying
one event costs the same however long the history is. A cluster record keeps
only its latest membership report, and adds the label milestones (grants as
first decided, extensions, withdrawals, expiries, mergers, dissolution) that
stage histories need but the aggregate state overwrites.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Literal

import msgspec

from domain.cluster import Cluster, Membership, evolve_cluster
from domain.corrections import effective_history
from domain.errors import InvalidCommand
from domain.events import (
    ClusterAbsorbed,
    ClusterDissolved,
    ClusterMerged,
    EventCorrected,
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

MilestoneKind = Literal[
    "granted", "extended", "withdrawn", "expired", "merged", "absorbed", "dissolved"
]


class Milestone(msgspec.Struct, frozen=True, kw_only=True):
    """One label decision or change of existence, as recorded (after corrections)."""

    kind: MilestoneKind
    event_id: str
    effective_on: date
    decided_on: date
    stage: int | None = None
    conditions: tuple[str, ...] = ()
    valid_until: date | None = None
    other: str | None = None  # the cluster merged into, or absorbed


class ClusterRecord(msgspec.Struct, frozen=True, kw_only=True):
    cluster: Cluster
    milestones: tuple[Milestone, ...] = ()

    @property
    def slug(self) -> str:
        return self.cluster.slug


def slug_of(cluster_id: str) -> str:
    return cluster_id.removeprefix("cluster:")


class Requirements(msgspec.Struct, frozen=True, kw_only=True):
    """What a stage asked of a cluster from a given day."""

    since: date
    criteria: tuple[Criterion, ...]
    minimum_european_label: EuropeanLevel | None
    event_id: str


class StageRecord(msgspec.Struct, frozen=True, kw_only=True):
    stage: Stage
    requirements: tuple[Requirements, ...] = ()

    def requirements_on(self, day: date) -> Requirements:
        """The requirements in force on ``day`` (those of the opening before it)."""
        applicable = [r for r in self.requirements if r.since <= day]
        return applicable[-1] if applicable else self.requirements[0]


# --- clusters -------------------------------------------------------------


def evolve_cluster_record(record: ClusterRecord | None, event: LedgerEvent) -> ClusterRecord:
    """Applies one event that is not a correction (corrections refold, see below)."""
    cluster = evolve_cluster(None if record is None else record.cluster, event)
    cluster = msgspec.structs.replace(
        cluster,
        version=event.originator_version,
        memberships=_latest_only(cluster.memberships),
    )
    milestones = () if record is None else record.milestones
    milestone = cluster_milestone(event)
    if milestone is not None:
        milestones = (*milestones, milestone)
    return ClusterRecord(cluster=cluster, milestones=milestones)


def cluster_record_from_history(events: Sequence[LedgerEvent]) -> ClusterRecord:
    """Refolds a cluster's whole recorded history, corrections applied."""
    record: ClusterRecord | None = None
    for event in effective_history(events):
        record = evolve_cluster_record(record, event)
    if record is None:
        msg = "a cluster's registration cannot be retracted"
        raise InvalidCommand(msg)
    cluster = msgspec.structs.replace(record.cluster, version=events[-1].originator_version)
    return msgspec.structs.replace(record, cluster=cluster)


def _latest_only(memberships: tuple[Membership, ...]) -> tuple[Membership, ...]:
    if len(memberships) < 2:
        return memberships
    return (max(memberships, key=lambda m: (m.as_of, m.version)),)


def cluster_milestone(event: LedgerEvent) -> Milestone | None:
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


def is_correction(event: LedgerEvent) -> bool:
    return isinstance(event, EventCorrected)


def fold_cluster_records(events: Iterable[LedgerEvent]) -> ClusterRecord | None:
    """Folds events one by one, as the read models do (for tests and checks)."""
    record: ClusterRecord | None = None
    history: list[LedgerEvent] = []
    for event in events:
        history.append(event)
        record = (
            cluster_record_from_history(history)
            if is_correction(event)
            else evolve_cluster_record(record, event)
        )
    return record
