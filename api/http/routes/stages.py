"""Stages of the policy: their list and history (the commands about them are in
``api/http/commands.py``)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from api.http.deps import LedgerDep, StagePath
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
