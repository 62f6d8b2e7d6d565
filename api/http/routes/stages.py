"""Stages of the policy: opening, closure, corrections; their list and history."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import msgspec
from fastapi import APIRouter
from starlette.responses import Response

from api.http.bodies import Correction, StageClosure, StageOpening, WriteResult
from api.http.decoding import json_body
from api.http.deps import AdminWrite, LedgerDep, StagePath
from api.http.encoding import json_response
from api.http.openapi import (
    CREATE_PROBLEMS,
    PUBLIC_PROBLEMS,
    WRITE_PROBLEMS,
    array_of,
    request_body,
    responses,
)
from api.http.preconditions import etag
from api.http.writes import corrected_event_id, perform
from domain.errors import StageNotFound
from domain.values import Criterion, ReportedCount, stage_id
from infrastructure.projections import queries
from infrastructure.projections.queries import StageHistoryView, StageSummaryView

router = APIRouter(tags=["stages"])
WRITTEN = {"ETag": 'The stage\'s new version, "<version>"', "Location": "The stage"}


@router.post(
    "/stages",
    status_code=201,
    openapi_extra=request_body(StageOpening),
    responses=responses(201, WriteResult, "Stage opened", CREATE_PROBLEMS, headers=WRITTEN),
)
def open_stage(
    write: AdminWrite, body: Annotated[StageOpening, json_body(StageOpening)]
) -> Response:
    """Open a stage of the policy, with the criteria its labels are reviewed against."""
    requirements = body.requirements
    command = partial(
        write.ledger.open_stage,
        number=body.number,
        title=body.title,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        decided_by=body.decided_by,
        criteria=tuple(Criterion(**msgspec.structs.asdict(c)) for c in body.criteria),
        minimum_european_label=requirements.minimum_european_label if requirements else None,
        reported_counts=tuple(
            ReportedCount(**msgspec.structs.asdict(r)) for r in body.reported_counts
        ),
    )
    return perform(write, body, command)


@router.post(
    "/stages/{number}/closure",
    status_code=201,
    openapi_extra=request_body(StageClosure),
    responses=responses(201, WriteResult, "Stage closed", WRITE_PROBLEMS, headers=WRITTEN),
)
def close_stage(
    number: StagePath,
    write: AdminWrite,
    body: Annotated[StageClosure, json_body(StageClosure)],
) -> Response:
    """Close a stage; every label of it still held expires in the same transaction."""
    command = partial(write.ledger.close_stage, number=number, closed_on=body.closed_on)
    return perform(write, body, command, target=stage_id(number))


@router.post(
    "/stages/{number}/corrections",
    status_code=201,
    openapi_extra=request_body(Correction),
    responses=responses(201, WriteResult, "Correction recorded", WRITE_PROBLEMS, headers=WRITTEN),
)
def correct_stage_event(
    number: StagePath,
    write: AdminWrite,
    body: Annotated[Correction, json_body(Correction)],
) -> Response:
    """Retract or amend an earlier event of the stage by a new, correcting event."""
    target = stage_id(number)
    command = partial(
        write.ledger.correct_event,
        target_event_id=corrected_event_id(body.event_id, target),
        reason=body.reason,
        amended=body.amended,
        effective_on=body.effective_on,
    )
    return perform(write, body, command, target=target)


# --- public reads -------------------------------------------------------------


@router.get(
    "/stages",
    responses=responses(200, array_of(StageSummaryView), "Stages by number", PUBLIC_PROBLEMS),
)
def list_stages(ledger: LedgerDep) -> Response:
    """Every stage with its period, state and label counts."""
    return json_response(queries.list_stages(ledger))


@router.get(
    "/stages/{number}",
    responses=responses(
        200,
        StageHistoryView,
        "The stage's history",
        PUBLIC_PROBLEMS,
        headers={"ETag": 'The stage\'s version, "<version>", for If-Match'},
    ),
)
def get_stage(number: StagePath, ledger: LedgerDep) -> Response:
    """The stage's history: labels granted, conditional, extended, withdrawn, expired, merged."""
    view = queries.stage_history(ledger, number)
    if view is None:
        msg = f"no stage {number} in the ledger"
        raise StageNotFound(msg)
    return json_response(view, headers={"ETag": etag(view.version)})
