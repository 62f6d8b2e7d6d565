"""Bitemporal replay: a cluster as of an effective date, as known at a point of the log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import msgspec

from domain.as_of import in_effect
from domain.cluster import Cluster, fold_cluster
from domain.events import LedgerEvent
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
    """Folds the known events in effect on ``as_of`` (``domain.as_of``'s rule)."""
    in_force = in_effect([e.event for e in known], as_of)
    effective = () if in_force is None else tuple(in_force)
    cluster = fold_cluster(effective) if effective else None
    return Replay(
        known=tuple(known),
        effective=effective,
        cluster=cluster,
        status=None if cluster is None else status_on(cluster, as_of),
        as_of=as_of,
    )
