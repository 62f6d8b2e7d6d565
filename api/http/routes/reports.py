"""Public reports read from the projections."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from api.http.deps import LedgerDep, ReadingDep
from api.http.encoding import json_response
from api.http.openapi import responses
from infrastructure.projections import queries
from infrastructure.projections.queries import SummaryReport

router = APIRouter(tags=["reports"])


@router.get(
    "/reports/summary",
    responses=responses(200, SummaryReport, "Counts by status, stage, region, theme", (503,)),
)
def summary(ledger: LedgerDep, reading: ReadingDep) -> Response:
    """Label counts and rates of what was in effect on the day (today by default)."""
    return json_response(queries.summary_report(ledger, reading))


@router.get(
    "/reports/summary.csv",
    response_class=Response,
    responses=responses(
        200, {"type": "string"}, "The summary as CSV rows", (503,), media_type="text/csv"
    ),
)
def summary_csv(ledger: LedgerDep, reading: ReadingDep) -> Response:
    """The summary as CSV: section, key, metric, value."""
    return Response(
        queries.summary_csv(ledger, reading),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'inline; filename="summary.csv"'},
    )
