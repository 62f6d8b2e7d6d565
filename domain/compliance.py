"""Labels granted while a stage requirement was unmet on the day of the decision.

A stage requires, from a grant's decision date looking back: a criteria review
of that stage whose latest outcome is compliant (when the stage defines
criteria), no latest measured value below a criterion's threshold, and a valid
European cluster label of at least the stage's minimum level (when it sets one).
Each finding names the events that prove it: the grant, the requirement, and
the reviews or European labels that fell short.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Literal

import msgspec

from domain.cluster import Cluster, Review
from domain.records import ClusterRecord, Milestone, Requirements, StageRecord
from domain.status import best_european_label
from domain.values import EUROPEAN_LEVEL_RANK, event_id

RequirementKind = Literal["compliant-review", "criterion-threshold", "european-label"]

# Review outcomes that attest compliance; anything else (e.g. "partly met") does not.
COMPLIANT_OUTCOMES = frozenset({"compliant", "meets", "met", "passed", "ok"})


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    slug: str
    name: str
    grant_event_id: str
    decided_on: date
    requirement: RequirementKind
    detail: str
    evidence: tuple[str, ...]


class ComplianceView(msgspec.Struct, frozen=True, kw_only=True):
    stage: int
    title: str
    requirements: tuple[Requirements, ...]
    grants_checked: int
    grants_with_findings: int
    findings: tuple[Finding, ...]


def compliance(
    record: StageRecord,
    clusters: Sequence[ClusterRecord],
    reviews: Mapping[str, Sequence[Review]],
) -> ComplianceView:
    """Checks every grant of the stage; ``reviews`` are each cluster's reviews of the stage."""
    n = record.stage.number
    grants = [
        (c, m) for c in clusters for m in c.milestones if m.kind == "granted" and m.stage == n
    ]
    findings = [
        finding
        for cluster, grant in sorted(grants, key=lambda g: (g[1].decided_on, g[0].slug))
        for finding in check_grant(cluster, grant, record, reviews.get(cluster.cluster.id, ()))
    ]
    return ComplianceView(
        stage=n,
        title=record.stage.title,
        requirements=record.requirements,
        grants_checked=len(grants),
        grants_with_findings=len({f.grant_event_id for f in findings}),
        findings=tuple(findings),
    )


def check_grant(
    record: ClusterRecord, grant: Milestone, stage: StageRecord, of_stage: Sequence[Review]
) -> list[Finding]:
    day = grant.decided_on
    required = stage.requirements_on(day)
    cluster = record.cluster
    reviews = sorted(
        (r for r in of_stage if r.stage == grant.stage and r.reviewed_on <= day),
        key=lambda r: (r.reviewed_on, r.version),
    )
    gaps = [
        *_review_gaps(cluster, reviews, required),
        *_threshold_gaps(cluster, reviews, required),
        *_european_gaps(cluster, day, required),
    ]
    return [
        Finding(
            slug=cluster.slug,
            name=cluster.name,
            grant_event_id=grant.event_id,
            decided_on=day,
            requirement=kind,
            detail=detail,
            evidence=(grant.event_id, required.event_id, *evidence),
        )
        for kind, detail, evidence in gaps
    ]


Gap = tuple[RequirementKind, str, tuple[str, ...]]


def _review_gaps(cluster: Cluster, reviews: list[Review], required: Requirements) -> Iterator[Gap]:
    if not required.criteria:
        return
    if not reviews:
        yield "compliant-review", "no criteria review of the stage before the decision", ()
        return
    latest = reviews[-1]
    if latest.outcome.strip().lower() not in COMPLIANT_OUTCOMES:
        detail = f"latest criteria review ({latest.reviewed_on}) found {latest.outcome!r}"
        yield "compliant-review", detail, (event_id(cluster.id, latest.version),)


def _threshold_gaps(
    cluster: Cluster, reviews: list[Review], required: Requirements
) -> Iterator[Gap]:
    latest: dict[str, tuple[float, Review]] = {}
    for review in reviews:
        for code, value in review.measurements.items():
            latest[code] = (value, review)
    for criterion in required.criteria:
        if criterion.code not in latest or criterion.threshold is None:
            continue
        value, review = latest[criterion.code]
        if not criterion.is_met_by(value):
            unit = f" {criterion.unit}" if criterion.unit else ""
            detail = (
                f"{criterion.code} measured {value:g}{unit} on {review.reviewed_on}, "
                f"required {criterion.operator} {criterion.threshold:g}{unit}"
            )
            yield "criterion-threshold", detail, (event_id(cluster.id, review.version),)


def _european_gaps(cluster: Cluster, day: date, required: Requirements) -> Iterator[Gap]:
    level = required.minimum_european_label
    if level is None:
        return
    best = best_european_label(cluster, day)
    if best is not None and EUROPEAN_LEVEL_RANK[best.level] >= EUROPEAN_LEVEL_RANK[level]:
        return
    held = "none valid" if best is None else f"only {best.level}"
    detail = f"no valid European cluster label of level {level} or above on {day} ({held})"
    awarded = tuple(event_id(cluster.id, e.version) for e in cluster.european_labels)
    yield "european-label", detail, awarded
