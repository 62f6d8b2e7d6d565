"""A cluster's label status on a given day, derived from its state."""

from __future__ import annotations

from datetime import date
from typing import Literal

import msgspec

from domain.cluster import Cluster, EuropeanLabel, LabelRecord
from domain.values import EUROPEAN_LEVEL_RANK

ClusterStatus = Literal[
    "labelled", "conditional", "lapsed", "withdrawn", "expired", "unlabelled", "merged", "dissolved"
]
NotRegistered = Literal["not-registered"]
"""The answer for a day before a cluster existed (``domain.as_of``)."""


class StatusOn(msgspec.Struct, frozen=True, kw_only=True):
    status: ClusterStatus
    label: LabelRecord | None


def label_in_force(cluster: Cluster, day: date) -> LabelRecord | None:
    """The most recent label that had started by ``day``."""
    started = [lb for lb in cluster.labels if lb.effective_from <= day]
    if not started:
        return None
    return max(started, key=lambda lb: (lb.effective_from, lb.granted_version))


def status_on(cluster: Cluster, day: date) -> StatusOn:
    """Reads the state as of ``day``; a conditional label past its term reads as lapsed."""
    if cluster.dissolved_on is not None and cluster.dissolved_on <= day:
        return StatusOn(status="dissolved", label=None)
    if cluster.merged_on is not None and cluster.merged_on <= day:
        return StatusOn(status="merged", label=None)
    label = label_in_force(cluster, day)
    if label is None:
        return StatusOn(status="unlabelled", label=None)
    ended = label.ended_on is not None and label.ended_on <= day
    if ended and label.state == "withdrawn":
        return StatusOn(status="withdrawn", label=label)
    if ended:
        return StatusOn(status="expired", label=label)
    if label.valid_until is not None and label.valid_until < day:
        return StatusOn(status="lapsed" if label.is_conditional else "expired", label=label)
    return StatusOn(status="conditional" if label.is_conditional else "labelled", label=label)


def best_european_label(cluster: Cluster, day: date) -> EuropeanLabel | None:
    valid = [e for e in cluster.european_labels if e.is_valid_on(day)]
    return max(valid, key=lambda e: EUROPEAN_LEVEL_RANK[e.level], default=None)
