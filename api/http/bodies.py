"""Request and response bodies, validated and encoded with msgspec.

Requests reject unknown fields; constraints sit in the types (``Meta``), so the
same declarations validate input and describe it in the OpenAPI schema.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from domain.access import Role
from domain.values import ComparisonOperator, EuropeanLevel, Tier
from infrastructure.access.idempotency import WriteResult
from infrastructure.ledger import RecordedEvent

# Printable text: control characters are refused so that no store or report
# downstream ever meets a NUL byte or a stray escape.
Line = Annotated[str, Meta(min_length=1, max_length=300, pattern=r"^[^\x00-\x1f\x7f]+$")]
Text = Annotated[
    str, Meta(min_length=1, max_length=4000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+$")
]
Code = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Slug = Annotated[
    str, Meta(min_length=2, max_length=64, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
]
StageNumber = Annotated[int, Meta(ge=1, le=999)]
Measure = Annotated[float, Meta(ge=-1e12, le=1e12)]
Count = Annotated[int, Meta(ge=0, le=10_000_000)]
Share = Annotated[float, Meta(ge=0, le=1)]
Url = Annotated[str, Meta(max_length=500, pattern=r"^https?://[^\s\x00-\x1f\x7f]+$")]
Lines = Annotated[list[Line], Meta(max_length=50)]
EventId = Annotated[
    str, Meta(max_length=100, pattern=r"^(cluster:[a-z0-9-]+|stage:[0-9]{1,3})@[0-9]{1,9}$")
]


class RequestBody(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of every request body."""


# --- stages -----------------------------------------------------------------


class CriterionBody(RequestBody, frozen=True, kw_only=True):
    code: Code
    description: Text
    threshold: Measure | None = None
    unit: Line | None = None
    operator: ComparisonOperator = "gte"


class ReportedCountBody(RequestBody, frozen=True, kw_only=True):
    count: Count
    as_of: date
    description: Text
    source: Line | None = None


class StageRequirements(RequestBody, frozen=True, kw_only=True):
    minimum_european_label: EuropeanLevel | None = None


class StageOpening(RequestBody, frozen=True, kw_only=True):
    number: StageNumber
    title: Line
    starts_on: date
    ends_on: date
    decided_by: Line
    criteria: Annotated[list[CriterionBody], Meta(max_length=100)]
    requirements: StageRequirements | None = None
    reported_counts: Annotated[list[ReportedCountBody], Meta(max_length=100)] = []


class StageClosure(RequestBody, frozen=True, kw_only=True):
    closed_on: date


# --- clusters ---------------------------------------------------------------


class ClusterRegistration(RequestBody, frozen=True, kw_only=True):
    """``registered_on`` (valid time) defaults to ``founded_on``, else today."""

    slug: Slug
    name: Line
    regions: Lines
    themes: Lines
    founded_on: date | None = None
    website: Url | None = None
    registered_on: date | None = None


class LabelGrant(RequestBody, frozen=True, kw_only=True):
    stage: StageNumber
    decided_on: date
    decided_by: Line
    effective_from: date
    decision_ref: Line | None = None
    valid_until: date | None = None
    tier: Tier | None = None
    conditions: Annotated[list[Text], Meta(max_length=50)] = []
    source: Line | None = None


class LabelExtension(RequestBody, frozen=True, kw_only=True):
    decided_on: date
    valid_until: date
    reason: Text
    conditions: Annotated[list[Text], Meta(max_length=50)] = []


class LabelWithdrawal(RequestBody, frozen=True, kw_only=True):
    decided_on: date
    effective_on: date
    decided_by: Line
    reason: Text
    decision_ref: Line | None = None


class CriteriaReview(RequestBody, frozen=True, kw_only=True):
    stage: StageNumber
    reviewed_on: date
    reviewer: Line
    kind: Line
    measurements: Annotated[dict[Code, Measure], Meta(max_length=100)]
    outcome: Line
    classification: Line | None = None


class EuropeanLabelAward(RequestBody, frozen=True, kw_only=True):
    level: EuropeanLevel
    awarded_on: date
    valid_until: date
    issuer: Line


class Members(RequestBody, frozen=True, kw_only=True):
    very_small: Count
    sme: Count
    intermediate_large: Count
    research: Count
    other: Count


class MembershipReport(RequestBody, frozen=True, kw_only=True):
    as_of: date
    members: Members
    private_funding_share: Share
    european_projects: Count | None = None


class Merger(RequestBody, frozen=True, kw_only=True):
    into: Slug
    effective_on: date
    decision_ref: Line | None = None


class Renaming(RequestBody, frozen=True, kw_only=True):
    name: Line
    effective_on: date


class Dissolution(RequestBody, frozen=True, kw_only=True):
    effective_on: date
    reason: Text


class Correction(RequestBody, frozen=True, kw_only=True):
    """Retracts the event (no ``amended``) or amends some of its fields."""

    event_id: EventId
    reason: Text
    amended: Annotated[dict[str, Any], Meta(max_length=50)] | None = None
    effective_on: date | None = None


# --- responses --------------------------------------------------------------


class EventItem(msgspec.Struct, frozen=True, kw_only=True):
    """One recorded event: where it sits in the ledger, who recorded it, what it says."""

    event_id: str
    position: int
    aggregate_id: str
    version: int
    type: str
    recorded_at: datetime
    effective_on: date
    actor: str
    source: str | None
    data: dict[str, Any]


class EventPage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of the global feed; ``next`` is the ``after`` of the next page, if any."""

    events: list[EventItem]
    next: int | None


class AggregateHistory(msgspec.Struct, frozen=True, kw_only=True):
    aggregate_id: str
    version: int
    events: list[EventItem]


class Health(msgspec.Struct, frozen=True, kw_only=True):
    status: Literal["ok"]
    position: int


class CallerView(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    role: Role


__all__ = ["RecordedEvent", "WriteResult"]
