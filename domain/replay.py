"""Bitemporal replay: a cluster as of an effective date, as known at a point of the log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import msgspec

from domain.cluster import Cluster, fold_cluster
from domain.corrections import effective_history
from domain.events import ClusterRegistered, LedgerEvent
from domain.status import StatusOn, status_on


class Positioned(msgspec.Struct, frozen=True):
    """An event with its ledger position (transaction-time order)."""

    position: int
    event: LedgerEvent


class Replay(msgspec.Struct, frozen=True, kw_only=True):
    known: tuple[Positioned, ...]
    effective: tuple[LedgerEvent, ...]
    cluster: Cluster | None
    status: StatusOn | None
    as_of: date


def known_at(
    entries: Sequence[Positioned],
    *,
    position: int | None = None,
    recorded_by: datetime | None = None,
) -> list[Positioned]:
    """The entries the ledger held at a position, or at a recorded time."""
    return [
        e
        for e in entries
        if (position is None or e.position <= position)
        and (recorded_by is None or e.event.timestamp <= recorded_by)
    ]


def replay_cluster(known: Sequence[Positioned], as_of: date) -> Replay:
    """Folds the known, corrected events that had taken effect by ``as_of``."""
    corrected = effective_history([e.event for e in known])
    effective = tuple(e for e in corrected if e.effective_on <= as_of)
    registered = any(isinstance(e, ClusterRegistered) for e in effective)
    cluster = fold_cluster(effective) if registered else None
    return Replay(
        known=tuple(known),
        effective=effective,
        cluster=cluster,
        status=None if cluster is None else status_on(cluster, as_of),
        as_of=as_of,
    )
