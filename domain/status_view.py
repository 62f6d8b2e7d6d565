"""A cluster's current status as auditors read it: the label's terms on a given day."""

from __future__ import annotations

from datetime import date

import msgspec

from domain.cluster import Cluster, EuropeanLabel, Membership, Review
from domain.records import ClusterRecord, slug_of
from domain.status import ClusterStatus, best_european_label, status_on
from domain.values import EuropeanLevel, Tier, event_id


class EuropeanLabelView(msgspec.Struct, frozen=True, kw_only=True):
    level: EuropeanLevel
    awarded_on: date
    valid_until: date | None
    issuer: str
    event_id: str


class ReviewView(msgspec.Struct, frozen=True, kw_only=True):
    stage: int
    reviewed_on: date
    reviewer: str
    kind: str
    outcome: str
    classification: str | None
    measurements: dict[str, float]
    event_id: str


class MembershipView(msgspec.Struct, frozen=True, kw_only=True):
    as_of: date
    total: int
    very_small: int
    sme: int
    intermediate_large: int
    research: int
    other: int
    private_funding_share: float | None
    european_projects: int | None
    event_id: str


class ClusterStatusView(msgspec.Struct, frozen=True, kw_only=True):
    """A cluster on ``as_of``: its status and the terms of the label in force."""

    slug: str
    name: str
    regions: tuple[str, ...]
    themes: tuple[str, ...]
    status: ClusterStatus
    as_of: date
    stage: int | None
    effective_from: date | None
    valid_until: date | None
    conditions: tuple[str, ...]
    tier: Tier | None
    label_event_id: str | None
    european_label: EuropeanLabelView | None
    latest_review: ReviewView | None
    membership: MembershipView | None
    merged_into: str | None
    merged_on: date | None
    dissolved_on: date | None
    version: int


def cluster_status_view(record: ClusterRecord, today: date) -> ClusterStatusView:
    cluster = record.cluster
    now = status_on(cluster, today)
    label = now.label
    european = best_european_label(cluster, today)
    return ClusterStatusView(
        slug=cluster.slug,
        name=cluster.name,
        regions=cluster.regions,
        themes=cluster.themes,
        status=now.status,
        as_of=today,
        stage=None if label is None else label.stage,
        effective_from=None if label is None else label.effective_from,
        valid_until=None if label is None else label.valid_until,
        conditions=() if label is None else label.conditions,
        tier=None if label is None else label.tier,
        label_event_id=None if label is None else event_id(cluster.id, label.granted_version),
        european_label=None if european is None else european_view(cluster, european),
        latest_review=latest_review(cluster),
        membership=latest_membership(cluster),
        merged_into=None if cluster.merged_into is None else slug_of(cluster.merged_into),
        merged_on=cluster.merged_on,
        dissolved_on=cluster.dissolved_on,
        version=cluster.version,
    )


def european_view(cluster: Cluster, label: EuropeanLabel) -> EuropeanLabelView:
    return EuropeanLabelView(
        level=label.level,
        awarded_on=label.awarded_on,
        valid_until=label.valid_until,
        issuer=label.issuer,
        event_id=event_id(cluster.id, label.version),
    )


def latest_review(cluster: Cluster) -> ReviewView | None:
    if not cluster.reviews:
        return None
    review: Review = max(cluster.reviews, key=lambda r: (r.reviewed_on, r.version))
    return ReviewView(
        stage=review.stage,
        reviewed_on=review.reviewed_on,
        reviewer=review.reviewer,
        kind=review.kind,
        outcome=review.outcome,
        classification=review.classification,
        measurements=review.measurements,
        event_id=event_id(cluster.id, review.version),
    )


def latest_membership(cluster: Cluster) -> MembershipView | None:
    if not cluster.memberships:
        return None
    report: Membership = max(cluster.memberships, key=lambda m: (m.as_of, m.version))
    members = report.members
    return MembershipView(
        as_of=report.as_of,
        total=members.total,
        very_small=members.very_small,
        sme=members.sme,
        intermediate_large=members.intermediate_large,
        research=members.research,
        other=members.other,
        private_funding_share=report.private_funding_share,
        european_projects=report.european_projects,
        event_id=event_id(cluster.id, report.version),
    )
