"""The ledger's immutable domain events and their stable topics.

Every event carries its aggregate id and version, the recorded time
(``timestamp``, transaction time), the effective date (``effective_on``,
valid time), the actor, an optional source and the request's idempotency key.
The ``TOPIC`` of a class is what is stored: renaming or moving a class keeps
its topic, and changing a schema means a new topic version plus an upcaster.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

import msgspec

from domain.values import (
    ComparisonOperator,
    Criterion,
    EuropeanLevel,
    Evidence,
    MemberCounts,
    ReportedCount,
    Tier,
)

__all__ = ["ComparisonOperator"]


class LedgerEvent(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Every event of the ledger.

    Events and the states folded from them are frozen and hold only immutable values
    (and plain dicts of numbers), so they cannot form reference cycles: ``gc=False``
    keeps the millions of them a replay creates out of the cycle collector's scans.
    """

    TOPIC: ClassVar[str] = ""

    originator_id: str
    originator_version: int
    timestamp: datetime
    actor: str
    effective_on: date
    source: str | None = None
    idempotency_key: str | None = None
    evidence: Evidence | None = None
    """Added after the first release: events recorded before it decode with None."""


# --- stage events ---------------------------------------------------------


class StageOpened(LedgerEvent, frozen=True, kw_only=True):
    TOPIC = "label-ledger/StageOpened/v1"
    number: int
    title: str
    starts_on: date
    ends_on: date
    decided_by: str
    criteria: tuple[Criterion, ...] = ()
    minimum_european_label: EuropeanLevel | None = None
    reported_counts: tuple[ReportedCount, ...] = ()


class StageCriteriaRevised(LedgerEvent, frozen=True, kw_only=True):
    TOPIC = "label-ledger/StageCriteriaRevised/v1"
    criteria: tuple[Criterion, ...]
    minimum_european_label: EuropeanLevel | None = None
    reason: str = ""


class StagePeriodExtended(LedgerEvent, frozen=True, kw_only=True):
    TOPIC = "label-ledger/StagePeriodExtended/v1"
    ends_on: date
    decided_by: str = ""
    reason: str = ""


class StageCountReported(LedgerEvent, frozen=True, kw_only=True):
    TOPIC = "label-ledger/StageCountReported/v1"
    reported: ReportedCount


class StageClosed(LedgerEvent, frozen=True, kw_only=True):
    TOPIC = "label-ledger/StageClosed/v1"
    closed_on: date


# --- cluster events -------------------------------------------------------


class ClusterRegistered(LedgerEvent, frozen=True, kw_only=True):
    TOPIC = "label-ledger/ClusterRegistered/v1"
    slug: str
    name: str
    regions: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    website: str | None = None
    founded_on: date | None = None


class ClusterRenamed(LedgerEvent, frozen=True, kw_only=True):
    TOPIC = "label-ledger/ClusterRenamed/v1"
    name: str


class ClusterMerged(LedgerEvent, frozen=True, kw_only=True):
    """The cluster ceased by merging into another one."""

    TOPIC = "label-ledger/ClusterMerged/v1"
    into: str
    decision_ref: str | None = None


class ClusterAbsorbed(LedgerEvent, frozen=True, kw_only=True):
    """The cluster took in a cluster that merged into it."""

    TOPIC = "label-ledger/ClusterAbsorbed/v1"
    absorbed: str
    decision_ref: str | None = None


class ClusterDissolved(LedgerEvent, frozen=True, kw_only=True):
    TOPIC = "label-ledger/ClusterDissolved/v1"
    reason: str


class LabelGranted(LedgerEvent, frozen=True, kw_only=True):
    TOPIC = "label-ledger/LabelGranted/v1"
    stage: int
    decided_on: date
    decided_by: str
    effective_from: date
    valid_until: date | None = None
    decision_ref: str | None = None
    tier: Tier | None = None
    conditions: tuple[str, ...] = ()


class LabelExtended(LedgerEvent, frozen=True, kw_only=True):
    """A label prolonged; ``conditions`` are those still attached (empty: lifted)."""

    TOPIC = "label-ledger/LabelExtended/v1"
    stage: int
    decided_on: date
    valid_until: date
    reason: str
    conditions: tuple[str, ...] = ()


class LabelWithdrawn(LedgerEvent, frozen=True, kw_only=True):
    TOPIC = "label-ledger/LabelWithdrawn/v1"
    stage: int
    decided_on: date
    decided_by: str
    reason: str
    decision_ref: str | None = None


class LabelExpired(LedgerEvent, frozen=True, kw_only=True):
    """Recorded for each label still held when its stage closes."""

    TOPIC = "label-ledger/LabelExpired/v1"
    stage: int


class CriteriaReviewed(LedgerEvent, frozen=True, kw_only=True):
    TOPIC = "label-ledger/CriteriaReviewed/v1"
    stage: int
    reviewed_on: date
    reviewer: str
    kind: str
    measurements: dict[str, float]
    outcome: str
    classification: str | None = None


class EuropeanLabelAwarded(LedgerEvent, frozen=True, kw_only=True):
    TOPIC = "label-ledger/EuropeanLabelAwarded/v1"
    level: EuropeanLevel
    awarded_on: date
    valid_until: date | None = None
    issuer: str = "ESCA"


class MembershipReported(LedgerEvent, frozen=True, kw_only=True):
    TOPIC = "label-ledger/MembershipReported/v1"
    as_of: date
    members: MemberCounts
    private_funding_share: float | None = None
    european_projects: int | None = None


class EventCorrected(LedgerEvent, frozen=True, kw_only=True):
    """Retracts (``amended`` is None) or amends an earlier event of the aggregate."""

    TOPIC = "label-ledger/EventCorrected/v1"
    target_version: int
    reason: str
    amended: dict[str, Any] | None = None


STAGE_EVENTS: tuple[type[LedgerEvent], ...] = (
    StageOpened,
    StageCriteriaRevised,
    StagePeriodExtended,
    StageCountReported,
    StageClosed,
)
CLUSTER_EVENTS: tuple[type[LedgerEvent], ...] = (
    ClusterRegistered,
    ClusterRenamed,
    ClusterMerged,
    ClusterAbsorbed,
    ClusterDissolved,
    LabelGranted,
    LabelExtended,
    LabelWithdrawn,
    LabelExpired,
    CriteriaReviewed,
    EuropeanLabelAwarded,
    MembershipReported,
    EventCorrected,
)


def event_types() -> tuple[type[LedgerEvent], ...]:
    """Every event class the ledger can store (access events register later)."""
    return STAGE_EVENTS + CLUSTER_EVENTS + tuple(_EXTRA_EVENTS)


_EXTRA_EVENTS: list[type[LedgerEvent]] = []


def register_event_type(cls: type[LedgerEvent]) -> type[LedgerEvent]:
    """Adds an event class defined in another domain module to the catalogue."""
    if cls not in _EXTRA_EVENTS:
        _EXTRA_EVENTS.append(cls)
    return cls


def event_type_name(cls: type[LedgerEvent]) -> str:
    return cls.TOPIC.split("/")[1]
