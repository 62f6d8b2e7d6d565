"""Auditor reads: full histories, bitemporal status, compliance with a stage's criteria."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from api.http.deps import AuditorActor, LedgerDep, SlugPath, check_stage_number
from api.http.encoding import json_response
from api.http.event_items import AggregateHistory, feed_item
from api.http.openapi import AUDIT_PROBLEMS, responses
from api.http.preconditions import etag
from domain.errors import ClusterNotFound, StageNotFound
from domain.values import cluster_id
from infrastructure.projections import queries
from infrastructure.projections.queries import BitemporalStatusView, ComplianceView
from infrastructure.tamper import Bundle, build_bundle, encode_bundle
from infrastructure.tamper.feed import feed_rows

router = APIRouter(tags=["auditing"])
MAX_POSITION = 2**63 - 1
MAX_HISTORY = 2**62


@router.get(
    "/clusters/{slug}/history",
    responses=responses(
        200,
        AggregateHistory,
        "Every event of the cluster, in order",
        AUDIT_PROBLEMS,
        headers={"ETag": 'The cluster\'s version, "<version>"'},
    ),
)
def cluster_history(slug: SlugPath, ledger: LedgerDep, _auditor: AuditorActor) -> Response:
    """Every event of the cluster, corrections included, with its position, provenance and
    leaf inputs (as in ``GET /events``)."""
    aggregate_id = cluster_id(slug)
    rows = feed_rows(ledger, after=0, limit=MAX_HISTORY, aggregate_id=aggregate_id)
    if not rows:
        msg = f"no cluster {slug!r} in the ledger"
        raise ClusterNotFound(msg)
    version = rows[-1][2]
    body = AggregateHistory(
        aggregate_id=aggregate_id, version=version, events=[feed_item(ledger, r) for r in rows]
    )
    return json_response(body, headers={"ETag": etag(version)})


@router.get(
    "/clusters/{slug}/bundle",
    responses=responses(
        200,
        Bundle,
        "The cluster's offline audit bundle (as `label-ledger bundle` writes it)",
        AUDIT_PROBLEMS,
    ),
)
def cluster_bundle(slug: SlugPath, ledger: LedgerDep, _auditor: AuditorActor) -> Response:
    """The cluster's events up to the latest signed checkpoint, their inclusion proofs, the
    checkpoint and the cluster's head proof: check it with ``label-ledger verify-bundle``."""
    written = build_bundle(ledger, slug)
    return Response(encode_bundle(written.bundle), media_type="application/json")


@router.get(
    "/clusters/{slug}/status",
    responses=responses(
        200, BitemporalStatusView, "The status on a date, as known at a position", AUDIT_PROBLEMS
    ),
)
def cluster_status_as_of(
    slug: SlugPath,
    ledger: LedgerDep,
    _auditor: AuditorActor,
    as_of: Annotated[date | None, Query(description="Effective date (valid time); today")] = None,
    known_at: Annotated[
        int | None,
        Query(ge=0, le=MAX_POSITION, description="Replay only events up to this position"),
    ] = None,
    known_at_time: Annotated[
        datetime | None,
        Query(description="Replay only events recorded by this time (ISO 8601)"),
    ] = None,
) -> Response:
    """Bitemporal replay: the status on ``as_of`` as the ledger knew it at ``known_at``."""
    view = queries.cluster_status_as_of(
        ledger,
        slug,
        as_of=as_of or datetime.now(UTC).date(),
        known_at_position=known_at,
        known_at_time=_aware(known_at_time),
    )
    return json_response(view)


@router.get(
    "/compliance/{stage}",
    responses=responses(
        200, ComplianceView, "Each grant of the stage checked against its rules", AUDIT_PROBLEMS
    ),
)
def stage_compliance(stage: int, ledger: LedgerDep, _auditor: AuditorActor) -> Response:
    """Every grant of the stage checked against the stage's criteria and requirements."""
    view = queries.compliance(ledger, check_stage_number(stage))
    if view is None:
        msg = f"no stage {stage} in the ledger"
        raise StageNotFound(msg)
    return json_response(view)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
