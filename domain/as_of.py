"""What was in effect on a day: the one valid-time rule every as-of answer follows.

A cluster's registration (a stage's opening) says that it exists and who it is; its date
says when it began, but it does not hide the decisions that took effect before it was
recorded. Back-filling a 2025 decision for a cluster registered in the ledger in 2026 is
the common case, and on 2025-03-01 that cluster held the label decided for it. So, on a
day D, an aggregate's history in effect is:

* its history as corrected (retractions and amendments applied, whenever recorded);
* its first event (registration or opening), always, for its identity;
* every later event whose effective date is D or earlier.

The record folded from them keeps the aggregate's version as known (its last recorded
event), whatever the day: the version is what If-Match compares, and a read for a day
must not offer an older one.

An aggregate exists on D if its first event took effect by D, or any later one did. One
that does not exist yet is "not yet registered": never an answer of nulls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

import msgspec

from domain.corrections import effective_history
from domain.events import LedgerEvent
from domain.records import (
    ClusterRecord,
    StageRecord,
    cluster_record_from_history,
    stage_record_from_history,
)


def in_effect(
    history: Sequence[LedgerEvent], day: date, *, stated_only: bool = False
) -> list[LedgerEvent] | None:
    """The aggregate's events in effect on ``day``, or None if it did not exist yet.

    ``stated_only`` keeps only decisions a source states (graded ``stated``, or ungraded:
    recorded by an admin, not inferred); the first event is kept whatever its grade.
    """
    corrected = effective_history(history)
    if not corrected:
        return None
    first, later = corrected[0], corrected[1:]
    kept = [e for e in later if e.effective_on <= day and (not stated_only or is_stated(e))]
    if first.effective_on > day and not kept:
        return None
    return [first, *kept]


def is_stated(event: LedgerEvent) -> bool:
    return event.evidence in (None, "stated")


def first_effective_on(history: Sequence[LedgerEvent]) -> date | None:
    """When the aggregate began, as its (corrected) first event says."""
    corrected = effective_history(history)
    return corrected[0].effective_on if corrected else None


class LedgerOn(msgspec.Struct, frozen=True, kw_only=True):
    """The read-model records of every stage and cluster, folded from what was in effect
    on ``day``: the same records the read models keep, for another day."""

    day: date
    stages: tuple[StageRecord, ...]
    clusters: tuple[ClusterRecord, ...]


def ledger_on(
    histories: Mapping[str, Sequence[LedgerEvent]], day: date, *, stated_only: bool = False
) -> LedgerOn:
    """``histories`` maps aggregate ids to their events (as known), in version order."""
    stages: list[StageRecord] = []
    clusters: list[ClusterRecord] = []
    for aggregate_id in sorted(histories):
        events = in_effect(histories[aggregate_id], day, stated_only=stated_only)
        if events is None:
            continue
        version = histories[aggregate_id][-1].originator_version
        if aggregate_id.startswith("stage:"):
            stages.append(stage_record_at(stage_record_from_history(events), version))
        elif aggregate_id.startswith("cluster:"):
            clusters.append(cluster_record_at(cluster_record_from_history(events).record, version))
    stages.sort(key=lambda record: record.stage.number)
    return LedgerOn(day=day, stages=tuple(stages), clusters=tuple(clusters))


def cluster_record_at(record: ClusterRecord, version: int) -> ClusterRecord:
    """The record with the cluster's version as known."""
    cluster = msgspec.structs.replace(record.cluster, version=version)
    return msgspec.structs.replace(record, cluster=cluster)


def stage_record_at(record: StageRecord, version: int) -> StageRecord:
    """The record with the stage's version as known."""
    return msgspec.structs.replace(
        record, stage=msgspec.structs.replace(record.stage, version=version)
    )


def by_aggregate(events: Iterable[LedgerEvent]) -> dict[str, list[LedgerEvent]]:
    grouped: dict[str, list[LedgerEvent]] = {}
    for event in events:
        grouped.setdefault(event.originator_id, []).append(event)
    return grouped
