"""Commands on clusters: each checks the invariants, then returns new events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from domain.cluster import Cluster, project_cluster
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
    LedgerEvent,
    MembershipReported,
)
from domain.stage import Stage
from domain.values import (
    EuropeanLevel,
    MemberCounts,
    Provenance,
    Tier,
    check_slug,
    cluster_id,
)


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


def register_cluster(  # noqa: PLR0913 - a registration carries this many facts
    existing: Cluster | None,
    p: Provenance,
    *,
    slug: str,
    name: str,
    registered_on: date,
    regions: tuple[str, ...] = (),
    themes: tuple[str, ...] = (),
    website: str | None = None,
    founded_on: date | None = None,
) -> ClusterRegistered:
    check_slug(slug)
    if existing is not None:
        msg = f"cluster {slug} is already registered"
        raise DuplicateSlug(msg)
    if not name.strip():
        msg = "a cluster needs a name"
        raise InvalidCommand(msg)
    return ClusterRegistered(
        **envelope(cluster_id(slug), 1, p, registered_on),
        slug=slug,
        name=name,
        regions=regions,
        themes=themes,
        website=website,
        founded_on=founded_on,
    )


def rename_cluster(
    cluster: Cluster, p: Provenance, *, name: str, effective_on: date
) -> ClusterRenamed:
    check_active(cluster)
    if not name.strip() or name == cluster.name:
        msg = f"{cluster.slug} is already named {cluster.name!r}" if name else "empty name"
        raise InvalidCommand(msg)
    return ClusterRenamed(**_next(cluster, p, effective_on), name=name)


def merge_clusters(
    source: Cluster,
    target: Cluster,
    p: Provenance,
    *,
    effective_on: date,
    decision_ref: str | None = None,
) -> tuple[ClusterMerged, ClusterAbsorbed]:
    if source.id == target.id:
        msg = f"{source.slug} cannot merge into itself"
        raise MergeIntoSelf(msg)
    check_active(source)
    check_active(target)
    merged = ClusterMerged(
        **_next(source, p, effective_on), into=target.id, decision_ref=decision_ref
    )
    absorbed = ClusterAbsorbed(
        **_next(target, p, effective_on), absorbed=source.id, decision_ref=decision_ref
    )
    return merged, absorbed


def dissolve_cluster(
    cluster: Cluster, p: Provenance, *, effective_on: date, reason: str
) -> ClusterDissolved:
    check_active(cluster)
    return ClusterDissolved(**_next(cluster, p, effective_on), reason=reason)


def grant_label(  # noqa: PLR0913 - a State decision carries this many facts
    cluster: Cluster,
    stage: Stage,
    p: Provenance,
    *,
    decided_on: date,
    decided_by: str,
    effective_from: date,
    valid_until: date | None = None,
    decision_ref: str | None = None,
    tier: Tier | None = None,
    conditions: tuple[str, ...] = (),
) -> LabelGranted:
    check_active(cluster)
    if not stage.is_open:
        msg = f"stage {stage.number} closed on {stage.closed_on}"
        raise StageNotOpen(msg)
    if not stage.covers(effective_from):
        msg = (
            f"effective date {effective_from} is outside stage {stage.number} "
            f"({stage.starts_on} to {stage.ends_on})"
        )
        raise OutsideStagePeriod(msg)
    if cluster.label_for_stage(stage.number) is not None:
        msg = f"{cluster.slug} already holds a label for stage {stage.number}"
        raise LabelAlreadyGranted(msg)
    if valid_until is not None and valid_until < effective_from:
        msg = f"valid_until {valid_until} is before effective_from {effective_from}"
        raise InvalidCommand(msg)
    return LabelGranted(
        **_next(cluster, p, effective_from),
        stage=stage.number,
        decided_on=decided_on,
        decided_by=decided_by,
        effective_from=effective_from,
        valid_until=valid_until if valid_until is not None else stage.ends_on,
        decision_ref=decision_ref,
        tier=tier,
        conditions=conditions,
    )


def _require_active_label(cluster: Cluster, action: str) -> tuple[int, date]:
    check_active(cluster)
    label = cluster.active_label
    if label is None:
        msg = f"cannot {action}: {cluster.slug} holds no active label"
        raise NoActiveLabel(msg)
    return label.stage, label.effective_from


def extend_label(
    cluster: Cluster,
    p: Provenance,
    *,
    decided_on: date,
    valid_until: date,
    reason: str,
    conditions: tuple[str, ...] = (),
) -> LabelExtended:
    stage, effective_from = _require_active_label(cluster, "extend")
    if valid_until < effective_from:
        msg = f"valid_until {valid_until} is before the label's start {effective_from}"
        raise InvalidCommand(msg)
    return LabelExtended(
        **_next(cluster, p, decided_on),
        stage=stage,
        decided_on=decided_on,
        valid_until=valid_until,
        reason=reason,
        conditions=conditions,
    )


def withdraw_label(
    cluster: Cluster,
    p: Provenance,
    *,
    decided_on: date,
    effective_on: date,
    decided_by: str,
    reason: str,
    decision_ref: str | None = None,
) -> LabelWithdrawn:
    stage, effective_from = _require_active_label(cluster, "withdraw")
    if effective_on < effective_from:
        msg = f"withdrawal on {effective_on} precedes the label's start {effective_from}"
        raise InvalidCommand(msg)
    return LabelWithdrawn(
        **_next(cluster, p, effective_on),
        stage=stage,
        decided_on=decided_on,
        decided_by=decided_by,
        reason=reason,
        decision_ref=decision_ref,
    )


def expire_label(
    cluster: Cluster, stage: Stage, p: Provenance, *, closed_on: date
) -> LabelExpired | None:
    """The expiry a stage closure records, or None if the cluster holds no label of it."""
    label = cluster.active_label
    if label is None or label.stage != stage.number:
        return None
    return LabelExpired(**_next(cluster, p, closed_on), stage=stage.number)


def review_criteria(  # noqa: PLR0913
    cluster: Cluster,
    stage: Stage,
    p: Provenance,
    *,
    reviewed_on: date,
    reviewer: str,
    kind: str,
    measurements: dict[str, float],
    outcome: str,
    classification: str | None = None,
) -> CriteriaReviewed:
    check_active(cluster)
    unknown = sorted(code for code in measurements if stage.criterion(code) is None)
    if unknown:
        defined = ", ".join(c.code for c in stage.criteria) or "none"
        msg = f"stage {stage.number} defines no criterion {', '.join(unknown)} (defined: {defined})"
        raise UnknownCriterion(msg)
    return CriteriaReviewed(
        **_next(cluster, p, reviewed_on),
        stage=stage.number,
        reviewed_on=reviewed_on,
        reviewer=reviewer,
        kind=kind,
        measurements=measurements,
        outcome=outcome,
        classification=classification,
    )


def award_european_label(
    cluster: Cluster,
    p: Provenance,
    *,
    level: EuropeanLevel,
    awarded_on: date,
    valid_until: date | None,
    issuer: str,
) -> EuropeanLabelAwarded:
    check_active(cluster)
    if valid_until is not None and valid_until < awarded_on:
        msg = f"valid_until {valid_until} is before awarded_on {awarded_on}"
        raise InvalidCommand(msg)
    return EuropeanLabelAwarded(
        **_next(cluster, p, awarded_on),
        level=level,
        awarded_on=awarded_on,
        valid_until=valid_until,
        issuer=issuer,
    )


def report_membership(
    cluster: Cluster,
    p: Provenance,
    *,
    as_of: date,
    members: MemberCounts,
    private_funding_share: float | None = None,
    european_projects: int | None = None,
) -> MembershipReported:
    check_active(cluster)
    if private_funding_share is not None and not 0 <= private_funding_share <= 1:
        msg = "private_funding_share is a fraction between 0 and 1"
        raise InvalidCommand(msg)
    return MembershipReported(
        **_next(cluster, p, as_of),
        as_of=as_of,
        members=members,
        private_funding_share=private_funding_share,
        european_projects=european_projects,
    )


def correct_cluster_event(
    cluster: Cluster,
    history: Sequence[LedgerEvent],
    p: Provenance,
    *,
    target_version: int,
    reason: str,
    amended: dict[str, object] | None,
    effective_on: date,
) -> EventCorrected:
    """A correction; it is rejected when the corrected history would break a rule.

    ``history`` is every event of the cluster so far: the state does not carry it.
    """
    check_correction(history, target_version, amended)
    correction = EventCorrected(
        **_next(cluster, p, effective_on),
        target_version=target_version,
        reason=reason,
        amended=amended,
    )
    project_cluster(None, [*history, correction])
    return correction
