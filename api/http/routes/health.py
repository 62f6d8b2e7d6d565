"""Liveness with the ledger's position."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from api.http.bodies import Health
from api.http.deps import LedgerDep
from api.http.encoding import json_response
from api.http.openapi import responses

router = APIRouter(tags=["service"])


@router.get("/healthz", responses=responses(200, Health, "Serving", (503,)))
def health(ledger: LedgerDep) -> Response:
    """Answers 200 with the ledger's last position once the store answers."""
    body = Health(status="ok", position=ledger.last_position())
    return json_response(body)
