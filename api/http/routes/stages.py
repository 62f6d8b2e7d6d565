"""Stages of the policy: their list and history (the commands about them are in
``api/http/commands.py``)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from api.http.deps import LedgerDep, ReadingDep, StagePath
from api.http.encoding import json_response
from api.http.openapi import PUBLIC_PROBLEMS, array_of, responses
from api.http.preconditions import etag
from domain.errors import StageNotFound
from infrastructure.projections import queries
from infrastructure.projections.queries import StageHistoryView, StageSummaryView

router = APIRouter(tags=["stages"])


# --- public reads -------------------------------------------------------------


@router.get(
    "/stages",
    responses=responses(200, array_of(StageSummaryView), "Stages by number", PUBLIC_PROBLEMS),
)
def list_stages(ledger: LedgerDep, reading: ReadingDep) -> Response:
    """Every stage with its period, state and label counts (on a day, with ``on``)."""
    return json_response(queries.list_stages(ledger, reading))


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
def get_stage(number: StagePath, ledger: LedgerDep, reading: ReadingDep) -> Response:
    """The stage's history: labels granted, conditional, extended, withdrawn, expired, merged
    (by a day, with ``on``)."""
    view = queries.stage_history(ledger, number, reading)
    if view is None:
        on = f" on {reading.on}" if reading.on else ""
        msg = f"no stage {number} in the ledger{on}"
        raise StageNotFound(msg)
    return json_response(view, headers={"ETag": etag(view.version)})
