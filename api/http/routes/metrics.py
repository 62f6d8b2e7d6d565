"""``GET /metrics``: the server's metrics for Prometheus, public like ``/healthz``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.http.metrics import MEDIA_TYPE, LedgerMetrics
from api.http.openapi import responses

router = APIRouter(tags=["service"])


@router.get(
    "/metrics",
    response_class=Response,
    responses=responses(
        200,
        {"type": "string"},
        "The metrics in the Prometheus text format (version 0.0.4)",
        (422,),
        media_type="text/plain",
    ),
)
def metrics(request: Request) -> Response:
    """Requests by route and status, command latency, group-commit batch sizes, the ledger's
    position, the read models' lag, the latest checkpoint's age and the last verification's
    outcome (``label_ledger_store_up 0`` when the store does not answer)."""
    ledger_metrics: LedgerMetrics = request.app.state.metrics
    return Response(ledger_metrics.exposition(), media_type=MEDIA_TYPE)
