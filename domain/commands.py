"""Commands: what a writer asks the ledger to decide, as data.

One frozen struct per command. The same struct is the HTTP request body (its fields,
less those the path names), a row of the sourced seed and the benchmark's input. Each
declares the aggregates it writes and the ones it only reads; the pure rule that decides
it is in :mod:`domain.decisions`. Constraints sit in the types (``Meta``), so decoding
validates a command at the boundary and the same declaration describes it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import Meta

from domain.access import Role, token_id
from domain.values import (
    INVISIBLE,
    ComparisonOperator,
    EuropeanLevel,
    Evidence,
    Tier,
    cluster_id,
    split_event_id,
    stage_id,
)

# Printable text: control characters are refused so that no store or report downstream
# ever meets a NUL byte or a stray escape, and so are the INVISIBLE ones.
LINE_PATTERN = rf"^[^\x00-\x1f\x7f{INVISIBLE}]+$"
TEXT_PATTERN = rf"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f{INVISIBLE}]+$"
Line = Annotated[str, Meta(min_length=1, max_length=300, pattern=LINE_PATTERN)]
Text = Annotated[str, Meta(min_length=1, max_length=4000, pattern=TEXT_PATTERN)]
Code = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Slug = Annotated[str, Meta(min_length=2, max_length=64, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
StageNumber = Annotated[int, Meta(ge=1, le=999)]
Measure = Annotated[float, Meta(ge=-1e12, le=1e12)]
Count = Annotated[int, Meta(ge=0, le=10_000_000)]
Share = Annotated[float, Meta(ge=0, le=1)]
Url = Annotated[str, Meta(max_length=500, pattern=rf"^https?://[^\s\x00-\x1f\x7f{INVISIBLE}]+$")]
Lines = Annotated[tuple[Line, ...], Meta(max_length=50)]
Texts = Annotated[tuple[Text, ...], Meta(max_length=50)]
EventId = Annotated[
    str, Meta(max_length=100, pattern=r"^(cluster:[a-z0-9-]+|stage:[0-9]{1,3})@[0-9]{1,9}$")
]
TokenName = Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")]
Sha256Hex = Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$")]
Instant = Annotated[datetime, Meta(tz=True)]


class Command(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of every command."""

    READS_EVERY_CLUSTER: ClassVar[bool] = False
    """The rule reads every cluster (a stage closure expires the labels still held)."""
    NEEDS_HISTORY: ClassVar[bool] = False
    """The rule reads the whole history of the aggregate it writes (a correction)."""

    def writes(self) -> tuple[str, ...]:
        """The aggregates the command writes; the first is its target (ETag, If-Match)."""
        raise NotImplementedError

    def reads(self) -> tuple[str, ...]:
        """The aggregates the rule only reads."""
        return ()

    @property
    def target(self) -> str:
        return self.writes()[0]


# --- nested values, as written by a caller ------------------------------------


class CriterionSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    code: Code
    description: Text
    threshold: Measure | None = None
    unit: Line | None = None
    operator: ComparisonOperator = "gte"


class ReportedCountSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    count: Count
    as_of: date
    description: Text
    source: Text | None = None


class StageRequirements(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    minimum_european_label: EuropeanLevel | None = None


class Members(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    very_small: Count
    sme: Count
    intermediate_large: Count
    research: Count
    other: Count


# --- stages -------------------------------------------------------------------


class StageCommand(Command, frozen=True, kw_only=True):
    number: StageNumber

    def writes(self) -> tuple[str, ...]:
        return (stage_id(self.number),)


class OpenStage(StageCommand, frozen=True, kw_only=True):
    """Opens a stage of the policy with the criteria its labels are reviewed against."""

    title: Line
    starts_on: date
    ends_on: date
    decided_by: Line
    criteria: Annotated[tuple[CriterionSpec, ...], Meta(max_length=100)] = ()
    requirements: StageRequirements | None = None
    reported_counts: Annotated[tuple[ReportedCountSpec, ...], Meta(max_length=100)] = ()
    opened_on: date | None = None
    """The opening's effective date; the stage's start when not given."""


class ReviseStageCriteria(StageCommand, frozen=True, kw_only=True):
    """Replaces an open stage's criteria (and its minimum European label)."""

    criteria: Annotated[tuple[CriterionSpec, ...], Meta(max_length=100)]
    requirements: StageRequirements | None = None
    revised_on: date
    reason: Text | None = None


class ExtendStagePeriod(StageCommand, frozen=True, kw_only=True):
    """Moves an open stage's end to a later day."""

    ends_on: date
    decided_on: date
    decided_by: Line | None = None
    reason: Text | None = None


class ReportStageCount(StageCommand, frozen=True, kw_only=True):
    """Records a count of labelled clusters the authorities published for the stage."""

    reported: ReportedCountSpec


class CloseStage(StageCommand, frozen=True, kw_only=True):
    """Closes a stage; every label of it still held expires in the same transaction."""

    READS_EVERY_CLUSTER = True
    closed_on: date


class CorrectStageEvent(StageCommand, frozen=True, kw_only=True):
    """Retracts (no ``amended``) or amends an earlier event of the stage."""

    NEEDS_HISTORY = True
    event_id: EventId
    reason: Text
    amended: Annotated[dict[str, Any], Meta(max_length=50)] | None = None
    effective_on: date | None = None


# --- clusters -----------------------------------------------------------------


class ClusterCommand(Command, frozen=True, kw_only=True):
    slug: Slug

    def writes(self) -> tuple[str, ...]:
        return (cluster_id(self.slug),)


class RegisterCluster(ClusterCommand, frozen=True, kw_only=True):
    """Registers a cluster (pôle) under its permanent slug.

    ``registered_on`` (valid time) defaults to ``founded_on``, else the day recorded.
    """

    name: Line
    regions: Lines = ()
    themes: Lines = ()
    founded_on: date | None = None
    website: Url | None = None
    registered_on: date | None = None


class RenameCluster(ClusterCommand, frozen=True, kw_only=True):
    """Renames a cluster; its slug, and so its address, stays."""

    name: Line
    effective_on: date


class MergeCluster(ClusterCommand, frozen=True, kw_only=True):
    """Merges the cluster into another; both record it, and the merged label ends."""

    into: Slug
    effective_on: date
    decision_ref: Line | None = None

    def writes(self) -> tuple[str, ...]:
        if self.into == self.slug:
            return (cluster_id(self.slug),)
        return (cluster_id(self.slug), cluster_id(self.into))


class DissolveCluster(ClusterCommand, frozen=True, kw_only=True):
    """Records the cluster's dissolution; its active label ends that day."""

    effective_on: date
    reason: Text


class GrantLabel(ClusterCommand, frozen=True, kw_only=True):
    """Grants the State label for a stage (conditional when it carries conditions)."""

    stage: StageNumber
    decided_on: date
    decided_by: Line
    effective_from: date
    decision_ref: Line | None = None
    valid_until: date | None = None
    tier: Tier | None = None
    conditions: Texts = ()

    def reads(self) -> tuple[str, ...]:
        return (stage_id(self.stage),)


class ExtendLabel(ClusterCommand, frozen=True, kw_only=True):
    """Prolongs the active label; the conditions listed are those still attached.

    ``stage``, when given, names the stage whose label is meant: the command is refused
    if the active label is of another stage.
    """

    stage: StageNumber | None = None
    decided_on: date
    valid_until: date
    reason: Text
    conditions: Texts = ()


class WithdrawLabel(ClusterCommand, frozen=True, kw_only=True):
    """Withdraws the active label from a date (of the ``stage`` given, if given)."""

    stage: StageNumber | None = None
    decided_on: date
    effective_on: date
    decided_by: Line
    reason: Text
    decision_ref: Line | None = None


class ReviewCriteria(ClusterCommand, frozen=True, kw_only=True):
    """Records a review of the cluster against a stage's criteria."""

    stage: StageNumber
    reviewed_on: date
    reviewer: Line
    kind: Line
    measurements: Annotated[dict[Code, Measure], Meta(max_length=100)]
    outcome: Line
    classification: Line | None = None

    def reads(self) -> tuple[str, ...]:
        return (stage_id(self.stage),)


class AwardEuropeanLabel(ClusterCommand, frozen=True, kw_only=True):
    """Records a European Cluster Excellence label (bronze, silver or gold)."""

    level: EuropeanLevel
    awarded_on: date
    valid_until: date | None = None
    issuer: Line = "ESCA"


class ReportMembership(ClusterCommand, frozen=True, kw_only=True):
    """Records the cluster's members and private funding share on a date."""

    as_of: date
    members: Members
    private_funding_share: Share | None = None
    european_projects: Count | None = None


class CorrectClusterEvent(ClusterCommand, frozen=True, kw_only=True):
    """Retracts (no ``amended``) or amends an earlier event of the cluster."""

    NEEDS_HISTORY = True
    event_id: EventId
    reason: Text
    amended: Annotated[dict[str, Any], Meta(max_length=50)] | None = None
    effective_on: date | None = None


# --- access tokens ------------------------------------------------------------


class TokenCommand(Command, frozen=True, kw_only=True):
    name: TokenName

    def writes(self) -> tuple[str, ...]:
        return (token_id(self.name),)


class IssueToken(TokenCommand, frozen=True, kw_only=True):
    """Issues an API token; only its SHA-256 is ever recorded. With ``expires_at`` it
    authorises nothing from that instant on."""

    role: Role
    token_hash: Sha256Hex
    expires_at: Instant | None = None


class RevokeToken(TokenCommand, frozen=True, kw_only=True):
    """Revokes a token: it stops authorising at once."""


class RotateToken(TokenCommand, frozen=True, kw_only=True):
    """Gives a token a new secret: the old one stops authorising at once. Its role and
    expiry stay unless given."""

    token_hash: Sha256Hex
    role: Role | None = None
    expires_at: Instant | None = None


def target_version_of(event_id: str, aggregate_id: str) -> int | None:
    """The version an event id names if it is an event of ``aggregate_id``, else None."""
    aggregate, version = split_event_id(event_id)
    return version if aggregate == aggregate_id else None


# --- what travels with a command ----------------------------------------------


class ExpectedVersion(msgspec.Struct, frozen=True, kw_only=True):
    """The versions of its target a writer expects (an HTTP ``If-Match``); ``any`` is
    ``If-Match: *``: the target must exist."""

    any: bool = False
    versions: tuple[int, ...] = ()

    def matches(self, current: int) -> bool:
        return current > 0 and (self.any or current in self.versions)


class Context(msgspec.Struct, frozen=True, kw_only=True):
    """Who asks for a command, on what evidence, under which idempotency key, expecting
    which version of its target."""

    actor: str
    source: str | None = None
    evidence: Evidence | None = None
    idempotency_key: str | None = None
    expected: ExpectedVersion | None = None
