"""A cluster's status on an effective date, as the ledger knew it at a point of its log.

The answer is replayed from the events, never read from the read models, and
set beside the answer the whole ledger gives today for the same date, so that
a retroactive correction shows as a revision, not as what was known then.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import msgspec

from domain.corrections import effective_history
from domain.events import ClusterRegistered, EventCorrected, LedgerEvent
from domain.replay import Positioned, Replay, known_at, replay_cluster
from domain.status import ClusterStatus, NotRegistered
from domain.values import Evidence, event_id


class HistoryEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A known event, and how it bears on the answer."""

    position: int
    event_id: str
    type: str
    effective_on: date
    recorded_at: datetime
    actor: str
    source: str | None
    evidence: Evidence | None  # how firmly the source states it; None: ungraded
    counted: bool  # part of the answer: a correction, or in effect by as_of and not retracted
    corrected_by: tuple[str, ...]
    corrects: str | None
    event: LedgerEvent


class BitemporalStatusView(msgspec.Struct, frozen=True, kw_only=True):
    slug: str
    as_of: date
    known_at_position: int | None
    known_at_time: datetime | None
    position: int  # the last position of the cluster's events that was known
    name: str | None  # None only when nothing of the cluster was known then
    status: ClusterStatus | NotRegistered | None  # None: nothing of it was known then
    registered_on: date | None
    stage: int | None
    effective_from: date | None
    valid_until: date | None
    conditions: tuple[str, ...]
    label_event_id: str | None
    status_known_now: ClusterStatus | NotRegistered | None
    revised_later: bool
    history: tuple[HistoryEntry, ...]


def bitemporal_status(
    slug: str,
    entries: Sequence[Positioned],
    as_of: date,
    *,
    position: int | None = None,
    recorded_by: datetime | None = None,
) -> BitemporalStatusView:
    known = known_at(entries, position=position, recorded_by=recorded_by)
    then = replay_cluster(known, as_of)
    now = then if len(known) == len(entries) else replay_cluster(entries, as_of)
    label = None if then.status is None else then.status.label
    identity = registration(known)
    return BitemporalStatusView(
        slug=slug,
        as_of=as_of,
        known_at_position=position,
        known_at_time=recorded_by,
        position=max((e.position for e in known), default=0),
        name=name_of(then, identity),
        status=status_of(then, identity),
        registered_on=None if identity is None else identity.effective_on,
        stage=None if label is None else label.stage,
        effective_from=None if label is None else label.effective_from,
        valid_until=None if label is None else label.valid_until,
        conditions=() if label is None else label.conditions,
        label_event_id=None
        if label is None or then.cluster is None
        else event_id(then.cluster.id, label.granted_version),
        status_known_now=status_of(now, registration(entries)),
        revised_later=_answer(then) != _answer(now),
        history=history_entries(known, then),
    )


def history_entries(known: Sequence[Positioned], replay: Replay) -> tuple[HistoryEntry, ...]:
    counted = {e.originator_version for e in replay.effective}
    corrections: dict[int, list[str]] = {}
    for entry in known:
        if isinstance(entry.event, EventCorrected):
            corrections.setdefault(entry.event.target_version, []).append(_id(entry.event))
    return tuple(_entry(e, counted, corrections) for e in known)


def _entry(
    entry: Positioned, counted: set[int], corrections: dict[int, list[str]]
) -> HistoryEntry:
    e = entry.event
    target = e.target_version if isinstance(e, EventCorrected) else None
    return HistoryEntry(
        position=entry.position,
        event_id=_id(e),
        type=type(e).__name__,
        effective_on=e.effective_on,
        recorded_at=e.timestamp,
        actor=e.actor,
        source=e.source,
        evidence=e.evidence,
        counted=target is not None or e.originator_version in counted,
        corrected_by=tuple(corrections.get(e.originator_version, ())),
        corrects=None if target is None else event_id(e.originator_id, target),
        event=e,
    )


def registration(known: Sequence[Positioned]) -> ClusterRegistered | None:
    """The registration as corrected, if it was known."""
    corrected = effective_history([e.event for e in known])
    first = corrected[0] if corrected else None
    return first if isinstance(first, ClusterRegistered) else None


def name_of(replay: Replay, identity: ClusterRegistered | None) -> str | None:
    if replay.cluster is not None:
        return replay.cluster.name
    return None if identity is None else identity.name


def status_of(
    replay: Replay, identity: ClusterRegistered | None
) -> ClusterStatus | NotRegistered | None:
    if replay.status is not None:
        return replay.status.status
    return None if identity is None else "not-registered"


def _answer(replay: Replay) -> object:
    return None if replay.status is None else msgspec.to_builtins(replay.status)


def _id(event: LedgerEvent) -> str:
    return event_id(event.originator_id, event.originator_version)
