"""Checks every snapshot against a replay of the events it stands for.

Commands load aggregates from snapshots, so an altered snapshot could sway a decision
without touching the Merkle-logged events. This audit refolds each snapshotted
aggregate's events up to the snapshot's version and compares the states.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import msgspec

from infrastructure.ledger import CLUSTERS, STAGES, AggregateKind, Ledger
from infrastructure.snapshots import TABLE, read_snapshot_row

Verdict = Literal["matches", "altered", "ignored"]


class SnapshotFinding(msgspec.Struct, frozen=True, kw_only=True):
    """``ignored``: another shape or undecodable, so loads already skip it."""

    aggregate_id: str
    version: int
    verdict: Verdict


def audit_snapshots(ledger: Ledger) -> Iterator[SnapshotFinding]:
    for aggregate_id in _snapshotted(ledger):
        finding = _check(ledger, aggregate_id)
        if finding is not None:
            yield finding


def _snapshotted(ledger: Ledger) -> list[str]:
    with ledger.read() as tx:
        tx.execute(f"SELECT aggregate_id FROM {tx.table(TABLE)} ORDER BY aggregate_id")
        return [str(row[0]) for row in tx.fetchall()]


def _check(ledger: Ledger, aggregate_id: str) -> SnapshotFinding | None:
    kind: AggregateKind[object] = STAGES if aggregate_id.startswith("stage:") else CLUSTERS  # type: ignore[assignment]
    # The snapshot and the events it stands for are read in one transaction, so a
    # snapshot replaced meanwhile is compared with its own version's replay.
    with ledger.read() as tx:
        row = read_snapshot_row(tx, aggregate_id)
        if row is None:
            return None
        version, shape, data = row
        events = ledger.aggregate_events_in(tx, aggregate_id, up_to_version=version)
    snapshot = kind.codec.decode(shape, data)
    verdict: Verdict
    if snapshot is None:
        verdict = "ignored"
    else:
        verdict = "matches" if kind.project(None, events) == snapshot else "altered"
    return SnapshotFinding(aggregate_id=aggregate_id, version=version, verdict=verdict)
