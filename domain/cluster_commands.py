"""The rules of cluster commands: each checks the invariants, then returns new events."""

from __future__ import annotations

from datetime import date

import msgspec

from domain.cluster import Cluster, project_cluster
from domain.commands import (
    AwardEuropeanLabel,
    CorrectClusterEvent,
    DissolveCluster,
    ExtendLabel,
    GrantLabel,
    MergeCluster,
    RegisterCluster,
    RenameCluster,
    ReportMembership,
    ReviewCriteria,
    WithdrawLabel,
    target_version_of,
)
from domain.corrections import check_correction
from domain.envelope import Envelope, envelope
from domain.errors import (
    ClusterInactive,
    DuplicateSlug,
    InvalidCommand,
    LabelAlreadyGranted,
    MergeIntoSelf,
    NoActiveLabel,
    OutsideStagePeriod,
    StageNotOpen,
    UnknownCriterion,
)
from domain.events import (
    ClusterAbsorbed,
    ClusterDissolved,
    ClusterMerged,
    ClusterRegistered,
    ClusterRenamed,
    CriteriaReviewed,
    EuropeanLabelAwarded,
    EventCorrected,
    LabelExpired,
    LabelExtended,
    LabelGranted,
    LabelWithdrawn,
    MembershipReported,
)
from domain.given import Given
from domain.rules import rule
from domain.stage import Stage
from domain.values import MemberCounts, Provenance, check_slug, cluster_id


def _next(cluster: Cluster, p: Provenance, effective_on: date) -> Envelope:
    return envelope(cluster.id, cluster.version + 1, p, effective_on)


def check_active(cluster: Cluster) -> None:
    if cluster.merged_into is not None:
        into = cluster.merged_into.removeprefix("cluster:")
        msg = f"{cluster.slug} merged into {into} on {cluster.merged_on}"
        raise ClusterInactive(msg)
    if cluster.dissolved_on is not None:
        msg = f"{cluster.slug} was dissolved on {cluster.dissolved_on}"
        raise ClusterInactive(msg)


def active_cluster(given: Given, slug: str) -> Cluster:
    cluster = given.cluster(slug)
    check_active(cluster)
    return cluster


@rule(RegisterCluster)
def register_cluster(c: RegisterCluster, given: Given, p: Provenance) -> list[ClusterRegistered]:
    check_slug(c.slug)
    if given.find_cluster(c.slug) is not None:
        msg = f"cluster {c.slug} is already registered"
        raise DuplicateSlug(msg)
    if not c.name.strip():
        msg = "a cluster needs a name"
        raise InvalidCommand(msg)
    registered_on = c.registered_on or c.founded_on or p.recorded_at.date()
    return [
        ClusterRegistered(
            **envelope(cluster_id(c.slug), 1, p, registered_on),
            slug=c.slug,
            name=c.name,
            regions=c.regions,
            themes=c.themes,
            website=c.website,
            founded_on=c.founded_on,
        )
    ]


@rule(RenameCluster)
def rename_cluster(c: RenameCluster, given: Given, p: Provenance) -> list[ClusterRenamed]:
    cluster = active_cluster(given, c.slug)
    if not c.name.strip() or c.name == cluster.name:
        msg = f"{cluster.slug} is already named {cluster.name!r}" if c.name else "empty name"
        raise InvalidCommand(msg)
    return [ClusterRenamed(**_next(cluster, p, c.effective_on), name=c.name)]


@rule(MergeCluster)
def merge_cluster(
    c: MergeCluster, given: Given, p: Provenance
) -> list[ClusterMerged | ClusterAbsorbed]:
    source, target = given.cluster(c.slug), given.cluster(c.into)
    if source.id == target.id:
        msg = f"{source.slug} cannot merge into itself"
        raise MergeIntoSelf(msg)
    check_active(source)
    check_active(target)
    return [
        ClusterMerged(
            **_next(source, p, c.effective_on), into=target.id, decision_ref=c.decision_ref
        ),
        ClusterAbsorbed(
            **_next(target, p, c.effective_on), absorbed=source.id, decision_ref=c.decision_ref
        ),
    ]


@rule(DissolveCluster)
def dissolve_cluster(c: DissolveCluster, given: Given, p: Provenance) -> list[ClusterDissolved]:
    cluster = active_cluster(given, c.slug)
    return [ClusterDissolved(**_next(cluster, p, c.effective_on), reason=c.reason)]


@rule(GrantLabel)
def grant_label(c: GrantLabel, given: Given, p: Provenance) -> list[LabelGranted]:
    cluster = active_cluster(given, c.slug)
    stage = given.stage(c.stage)
    if not stage.is_open:
        msg = f"stage {stage.number} closed on {stage.closed_on}"
        raise StageNotOpen(msg)
    if not stage.covers(c.effective_from):
        msg = (
            f"effective date {c.effective_from} is outside stage {stage.number} "
            f"({stage.starts_on} to {stage.ends_on})"
        )
        raise OutsideStagePeriod(msg)
    if cluster.label_for_stage(stage.number) is not None:
        msg = f"{cluster.slug} already holds a label for stage {stage.number}"
        raise LabelAlreadyGranted(msg)
    if c.valid_until is not None and c.valid_until < c.effective_from:
        msg = f"valid_until {c.valid_until} is before effective_from {c.effective_from}"
        raise InvalidCommand(msg)
    return [
        LabelGranted(
            **_next(cluster, p, c.effective_from),
            stage=stage.number,
            decided_on=c.decided_on,
            decided_by=c.decided_by,
            effective_from=c.effective_from,
            valid_until=c.valid_until if c.valid_until is not None else stage.ends_on,
            decision_ref=c.decision_ref,
            tier=c.tier,
            conditions=c.conditions,
        )
    ]


def _require_active_label(
    cluster: Cluster, action: str, stage: int | None
) -> tuple[int, date]:
    check_active(cluster)
    label = cluster.active_label
    if label is None:
        msg = f"cannot {action}: {cluster.slug} holds no active label"
        raise NoActiveLabel(msg)
    if stage is not None and label.stage != stage:
        held = f"{cluster.slug}'s active label is of stage {label.stage}"
        msg = f"cannot {action}: {held}, not {stage}"
        raise NoActiveLabel(msg, field="stage")
    return label.stage, label.effective_from


@rule(ExtendLabel)
def extend_label(c: ExtendLabel, given: Given, p: Provenance) -> list[LabelExtended]:
    cluster = given.cluster(c.slug)
    stage, effective_from = _require_active_label(cluster, "extend", c.stage)
    if c.valid_until < effective_from:
        msg = f"valid_until {c.valid_until} is before the label's start {effective_from}"
        raise InvalidCommand(msg)
    return [
        LabelExtended(
            **_next(cluster, p, c.decided_on),
            stage=stage,
            decided_on=c.decided_on,
            valid_until=c.valid_until,
            reason=c.reason,
            conditions=c.conditions,
        )
    ]


@rule(WithdrawLabel)
def withdraw_label(c: WithdrawLabel, given: Given, p: Provenance) -> list[LabelWithdrawn]:
    cluster = given.cluster(c.slug)
    stage, effective_from = _require_active_label(cluster, "withdraw", c.stage)
    if c.effective_on < effective_from:
        msg = f"withdrawal on {c.effective_on} precedes the label's start {effective_from}"
        raise InvalidCommand(msg)
    return [
        LabelWithdrawn(
            **_next(cluster, p, c.effective_on),
            stage=stage,
            decided_on=c.decided_on,
            decided_by=c.decided_by,
            reason=c.reason,
            decision_ref=c.decision_ref,
        )
    ]


def expire_label(
    cluster: Cluster, stage: Stage, p: Provenance, *, closed_on: date
) -> LabelExpired | None:
    """The expiry a stage closure records, or None if the cluster holds no label of it."""
    label = cluster.active_label
    if label is None or label.stage != stage.number:
        return None
    return LabelExpired(**_next(cluster, p, closed_on), stage=stage.number)


@rule(ReviewCriteria)
def review_criteria(c: ReviewCriteria, given: Given, p: Provenance) -> list[CriteriaReviewed]:
    cluster = active_cluster(given, c.slug)
    stage = given.stage(c.stage)
    unknown = sorted(code for code in c.measurements if stage.criterion(code) is None)
    if unknown:
        defined = ", ".join(cr.code for cr in stage.criteria) or "none"
        msg = f"stage {stage.number} defines no criterion {', '.join(unknown)} (defined: {defined})"
        raise UnknownCriterion(msg)
    return [
        CriteriaReviewed(
            **_next(cluster, p, c.reviewed_on),
            stage=stage.number,
            reviewed_on=c.reviewed_on,
            reviewer=c.reviewer,
            kind=c.kind,
            measurements=dict(c.measurements),
            outcome=c.outcome,
            classification=c.classification,
        )
    ]


@rule(AwardEuropeanLabel)
def award_european_label(
    c: AwardEuropeanLabel, given: Given, p: Provenance
) -> list[EuropeanLabelAwarded]:
    cluster = active_cluster(given, c.slug)
    if c.valid_until is not None and c.valid_until < c.awarded_on:
        msg = f"valid_until {c.valid_until} is before awarded_on {c.awarded_on}"
        raise InvalidCommand(msg)
    return [
        EuropeanLabelAwarded(
            **_next(cluster, p, c.awarded_on),
            level=c.level,
            awarded_on=c.awarded_on,
            valid_until=c.valid_until,
            issuer=c.issuer,
        )
    ]


@rule(ReportMembership)
def report_membership(c: ReportMembership, given: Given, p: Provenance) -> list[MembershipReported]:
    cluster = active_cluster(given, c.slug)
    if c.private_funding_share is not None and not 0 <= c.private_funding_share <= 1:
        msg = "private_funding_share is a fraction between 0 and 1"
        raise InvalidCommand(msg)
    return [
        MembershipReported(
            **_next(cluster, p, c.as_of),
            as_of=c.as_of,
            members=MemberCounts(**msgspec.structs.asdict(c.members)),
            private_funding_share=c.private_funding_share,
            european_projects=c.european_projects,
        )
    ]


@rule(CorrectClusterEvent)
def correct_cluster_event(
    c: CorrectClusterEvent, given: Given, p: Provenance
) -> list[EventCorrected]:
    """A correction; it is rejected when the corrected history would break a rule.

    It reads the cluster's whole history: the state does not carry it.
    """
    cluster = given.cluster(c.slug)
    version = target_version_of(c.event_id, cluster.id)
    if version is None:
        msg = f"event {c.event_id} is not an event of {cluster.id}"
        raise InvalidCommand(msg, field="event_id")
    history = given.history(cluster.id)
    check_correction(history, version, c.amended)
    correction = EventCorrected(
        **_next(cluster, p, c.effective_on or p.recorded_at.date()),
        target_version=version,
        reason=c.reason,
        amended=c.amended,
    )
    project_cluster(None, [*history, correction])
    return [correction]
