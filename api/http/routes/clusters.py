"""Clusters: registration and every certification decision about them; their status."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.http import bodies as b
from api.http.decoding import json_body
from api.http.deps import AdminWrite, LedgerDep, SlugPath
from api.http.encoding import json_body_of, json_response
from api.http.openapi import (
    CREATE_PROBLEMS,
    PUBLIC_PROBLEMS,
    WRITE_PROBLEMS,
    array_of,
    request_body,
    responses,
)
from api.http.preconditions import etag
from api.http.status_cache import Answer, Stamp, StatusCache
from api.http.writes import corrected_event_id, perform
from domain.errors import ClusterNotFound
from domain.status import ClusterStatus
from domain.values import MemberCounts, cluster_id
from infrastructure.ledger import Ledger
from infrastructure.projections import queries
from infrastructure.projections.queries import ClusterStatusView

router = APIRouter(tags=["clusters"])
WRITTEN = {"ETag": 'The cluster\'s new version, "<version>"', "Location": "The cluster"}


# --- public reads -------------------------------------------------------------

Filter = Annotated[str | None, Query(max_length=300, pattern=r"^[^\x00-\x1f\x7f]+$")]


@router.get(
    "/clusters",
    responses=responses(200, array_of(ClusterStatusView), "Clusters by slug", PUBLIC_PROBLEMS),
)
def list_clusters(
    ledger: LedgerDep,
    status: Annotated[ClusterStatus | None, Query(description="Only in this status")] = None,
    region: Filter = None,
    theme: Filter = None,
    stage: Annotated[int | None, Query(ge=1, le=999, description="Labelled for this stage")] = None,
) -> Response:
    """Every cluster's current status, optionally filtered."""
    views = queries.list_cluster_status(
        ledger, status=status, region=region, theme=theme, stage=stage
    )
    return json_response(views)


@router.get(
    "/clusters/{slug}",
    responses=responses(
        200,
        ClusterStatusView,
        "The cluster's current status and label terms",
        PUBLIC_PROBLEMS,
        headers={"ETag": 'The cluster\'s version, "<version>", for If-Match'},
    ),
)
async def get_cluster(slug: SlugPath, request: Request) -> Response:
    """The cluster's current status, with its version as ETag."""
    # Kept answers are served before routing (KeptStatusShortcut); this one is kept.
    cache: StatusCache = request.app.state.status_cache
    stamp = await cache.stamp()
    answer = await run_in_threadpool(_read_status, request.app.state.ledger, slug, stamp)
    cache.put(slug, answer)
    return Response(answer.body, media_type="application/json", headers={"ETag": answer.etag})


def _read_status(ledger: Ledger, slug: str, stamp: Stamp | None) -> Answer:
    view = queries.get_cluster_status(ledger, slug, today=None if stamp is None else stamp.day)
    if view is None:
        msg = f"no cluster {slug!r} in the ledger"
        raise ClusterNotFound(msg)
    return Answer(stamp, json_body_of(view), etag(view.version))


# --- certification decisions (admins) ------------------------------------------


def _write(path: str, body: type, summary: str, problems: tuple[int, ...] = WRITE_PROBLEMS) -> dict:  # type: ignore[type-arg]
    return {
        "path": path,
        "status_code": 201,
        "openapi_extra": request_body(body),
        "responses": responses(201, b.WriteResult, summary, problems, headers=WRITTEN),
    }


@router.post(**_write("/clusters", b.ClusterRegistration, "Cluster registered", CREATE_PROBLEMS))
def register_cluster(
    write: AdminWrite, body: Annotated[b.ClusterRegistration, json_body(b.ClusterRegistration)]
) -> Response:
    """Register a cluster (pôle) under its permanent slug."""
    command = partial(
        write.ledger.register_cluster,
        slug=body.slug,
        name=body.name,
        registered_on=body.registered_on or body.founded_on or datetime.now(UTC).date(),
        regions=tuple(body.regions),
        themes=tuple(body.themes),
        website=body.website,
        founded_on=body.founded_on,
    )
    return perform(write, body, command)


@router.post(**_write("/clusters/{slug}/label-grants", b.LabelGrant, "Label granted"))
def grant_label(
    slug: SlugPath, write: AdminWrite, body: Annotated[b.LabelGrant, json_body(b.LabelGrant)]
) -> Response:
    """Grant the State label for a stage (conditional when it carries conditions)."""
    command = partial(
        write.ledger.grant_label,
        slug=slug,
        stage=body.stage,
        decided_on=body.decided_on,
        decided_by=body.decided_by,
        effective_from=body.effective_from,
        valid_until=body.valid_until,
        decision_ref=body.decision_ref,
        tier=body.tier,
        conditions=tuple(body.conditions),
    )
    return perform(write, body, command, target=cluster_id(slug), source=body.source)


@router.post(**_write("/clusters/{slug}/label-extensions", b.LabelExtension, "Label extended"))
def extend_label(
    slug: SlugPath,
    write: AdminWrite,
    body: Annotated[b.LabelExtension, json_body(b.LabelExtension)],
) -> Response:
    """Prolong the active label; the conditions listed are those still attached."""
    command = partial(
        write.ledger.extend_label,
        slug=slug,
        decided_on=body.decided_on,
        valid_until=body.valid_until,
        reason=body.reason,
        conditions=tuple(body.conditions),
    )
    return perform(write, body, command, target=cluster_id(slug))


@router.post(**_write("/clusters/{slug}/label-withdrawals", b.LabelWithdrawal, "Label withdrawn"))
def withdraw_label(
    slug: SlugPath,
    write: AdminWrite,
    body: Annotated[b.LabelWithdrawal, json_body(b.LabelWithdrawal)],
) -> Response:
    """Withdraw the active label from a date."""
    command = partial(
        write.ledger.withdraw_label,
        slug=slug,
        decided_on=body.decided_on,
        effective_on=body.effective_on,
        decided_by=body.decided_by,
        reason=body.reason,
        decision_ref=body.decision_ref,
    )
    return perform(write, body, command, target=cluster_id(slug))


@router.post(**_write("/clusters/{slug}/criteria-reviews", b.CriteriaReview, "Review recorded"))
def review_criteria(
    slug: SlugPath,
    write: AdminWrite,
    body: Annotated[b.CriteriaReview, json_body(b.CriteriaReview)],
) -> Response:
    """Record a review of the cluster against a stage's criteria."""
    command = partial(
        write.ledger.review_criteria,
        slug=slug,
        stage=body.stage,
        reviewed_on=body.reviewed_on,
        reviewer=body.reviewer,
        kind=body.kind,
        measurements=dict(body.measurements),
        outcome=body.outcome,
        classification=body.classification,
    )
    return perform(write, body, command, target=cluster_id(slug))


@router.post(
    **_write("/clusters/{slug}/european-labels", b.EuropeanLabelAward, "European label awarded")
)
def award_european_label(
    slug: SlugPath,
    write: AdminWrite,
    body: Annotated[b.EuropeanLabelAward, json_body(b.EuropeanLabelAward)],
) -> Response:
    """Record a European Cluster Excellence label (bronze, silver or gold)."""
    command = partial(
        write.ledger.award_european_label,
        slug=slug,
        level=body.level,
        awarded_on=body.awarded_on,
        valid_until=body.valid_until,
        issuer=body.issuer,
    )
    return perform(write, body, command, target=cluster_id(slug))


@router.post(
    **_write("/clusters/{slug}/membership-reports", b.MembershipReport, "Membership reported")
)
def report_membership(
    slug: SlugPath,
    write: AdminWrite,
    body: Annotated[b.MembershipReport, json_body(b.MembershipReport)],
) -> Response:
    """Record the cluster's members and private funding share on a date."""
    members = body.members
    command = partial(
        write.ledger.report_membership,
        slug=slug,
        as_of=body.as_of,
        members=MemberCounts(
            very_small=members.very_small,
            sme=members.sme,
            intermediate_large=members.intermediate_large,
            research=members.research,
            other=members.other,
        ),
        private_funding_share=body.private_funding_share,
        european_projects=body.european_projects,
    )
    return perform(write, body, command, target=cluster_id(slug))


@router.post(**_write("/clusters/{slug}/merger", b.Merger, "Merger recorded"))
def merge_cluster(
    slug: SlugPath, write: AdminWrite, body: Annotated[b.Merger, json_body(b.Merger)]
) -> Response:
    """Merge the cluster into another; both record it, and the merged label ends."""
    command = partial(
        write.ledger.merge_cluster,
        slug=slug,
        into=body.into,
        effective_on=body.effective_on,
        decision_ref=body.decision_ref,
    )
    return perform(write, body, command, target=cluster_id(slug))


@router.post(**_write("/clusters/{slug}/renaming", b.Renaming, "Renaming recorded"))
def rename_cluster(
    slug: SlugPath, write: AdminWrite, body: Annotated[b.Renaming, json_body(b.Renaming)]
) -> Response:
    """Rename the cluster; its slug, and so its address, stays."""
    command = partial(
        write.ledger.rename_cluster, slug=slug, name=body.name, effective_on=body.effective_on
    )
    return perform(write, body, command, target=cluster_id(slug))


@router.post(**_write("/clusters/{slug}/dissolution", b.Dissolution, "Dissolution recorded"))
def dissolve_cluster(
    slug: SlugPath, write: AdminWrite, body: Annotated[b.Dissolution, json_body(b.Dissolution)]
) -> Response:
    """Record the cluster's dissolution; its active label ends that day."""
    command = partial(
        write.ledger.dissolve_cluster, slug=slug, effective_on=body.effective_on, reason=body.reason
    )
    return perform(write, body, command, target=cluster_id(slug))


@router.post(**_write("/clusters/{slug}/corrections", b.Correction, "Correction recorded"))
def correct_cluster_event(
    slug: SlugPath, write: AdminWrite, body: Annotated[b.Correction, json_body(b.Correction)]
) -> Response:
    """Retract or amend an earlier event of the cluster by a new, correcting event."""
    target = cluster_id(slug)
    command = partial(
        write.ledger.correct_event,
        target_event_id=corrected_event_id(body.event_id, target),
        reason=body.reason,
        amended=body.amended,
        effective_on=body.effective_on,
    )
    return perform(write, body, command, target=target)
