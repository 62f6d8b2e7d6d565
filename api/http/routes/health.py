"""Liveness (``/healthz``) and readiness (``/readyz``), each answered within a second.

``/healthz`` answers 200 while the process serves, even when the ledger is found
inconsistent or its store does not answer: restarting the process repairs neither (and
would forget the finding), so its body says ``failing`` and why. ``/readyz`` answers 503
with each failing check until the server can serve the ledger as it should.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.http.bodies import Health, Readiness, ReadinessCheck
from api.http.encoding import json_response
from api.http.integrity import inconsistent_detail
from api.http.openapi import responses
from api.http.problems import NOT_READY, FieldError, problem_response
from api.http.store_probe import StoreProbe, StoreState
from infrastructure.projections.tables import behind_message
from infrastructure.tamper.guard import IntegrityGuard

router = APIRouter(tags=["service"])


@router.get("/healthz", responses=responses(200, Health, "The process serves", ()))
async def health(request: Request) -> Response:
    """Answers 200 while the process serves, with its version, the ledger's position and
    ``status`` ``failing`` when the store does not answer or the ledger was found
    inconsistent (``integrity`` names the finding)."""
    probe: StoreProbe = request.app.state.store_probe
    guard: IntegrityGuard = request.app.state.integrity_guard
    state = await probe.read()
    finding = guard.finding
    body = Health(
        status="ok" if state is not None and finding is None else "failing",
        version=request.app.version,
        position=None if state is None else state.last,
        store="unreachable" if state is None else "reachable",
        integrity=finding,
    )
    return json_response(body)


@router.get(
    "/readyz",
    responses=responses(200, Readiness, "Ready to serve reads and writes", (503,)),
)
async def readiness(request: Request) -> Response:
    """200 when the store answers within a second, the read models and the Merkle tree are
    at the ledger's position and no verification found it inconsistent; else 503
    ``not-ready``, whose ``errors`` name each failing check."""
    probe: StoreProbe = request.app.state.store_probe
    guard: IntegrityGuard = request.app.state.integrity_guard
    state = await probe.read()
    checks = [*store_checks(state, probe.failure), integrity_check(guard)]
    failing = [check for check in checks if not check.ok]
    if state is None or failing:
        errors = [FieldError(pointer=f"check:{c.name}", detail=c.detail) for c in failing]
        detail = "not ready: " + "; ".join(c.detail for c in failing)
        headers = {"Retry-After": "2"} if state is None else None
        return problem_response(request.url.path, NOT_READY, detail, headers=headers, errors=errors)
    return json_response(Readiness(status="ready", position=state.last, checks=checks))


def store_checks(state: StoreState | None, failure: str) -> list[ReadinessCheck]:
    if state is None:
        return [ReadinessCheck(name="store", ok=False, detail=failure)]
    last = state.last
    return [
        ReadinessCheck(name="store", ok=True, detail="the store answers"),
        ReadinessCheck(
            name="read-models",
            ok=state.tracked == last,
            detail=f"the read models are at position {last}"
            if state.tracked == last
            else behind_message(state.tracked, last),
        ),
        ReadinessCheck(
            name="tree",
            ok=state.leaves == last,
            detail=f"the Merkle tree holds the log's {last} leaves"
            if state.leaves == last
            else f"the Merkle tree holds {state.leaves} leaves but the log {last} events: "
            "run label-ledger verify",
        ),
    ]


def integrity_check(guard: IntegrityGuard) -> ReadinessCheck:
    finding = guard.finding
    if finding is None:
        return ReadinessCheck(name="integrity", ok=True, detail="no inconsistency found")
    return ReadinessCheck(name="integrity", ok=False, detail=inconsistent_detail(finding))
