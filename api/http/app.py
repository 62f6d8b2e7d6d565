"""The FastAPI application over one ledger."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI

from api.http import bodies, event_items
from api.http.openapi import msgspec_openapi
from api.http.problems import FieldError, ProblemType, install_problem_handlers
from api.http.routes import (
    auditing,
    clusters,
    events,
    health,
    ledger_proofs,
    problem_types,
    reports,
    stages,
)
from api.http.status_cache import KeptStatusShortcut, status_cache_for
from infrastructure import tamper
from infrastructure.ledger import Ledger
from infrastructure.projections import queries
from infrastructure.tamper.verification_cache import VerificationCache

# Routes are matched one by one in this order (FastAPI has no routing table), so the
# most requested come first: a cluster's status and the writes about clusters.
ROUTERS = (
    clusters.router,
    stages.router,
    reports.router,
    auditing.router,
    events.router,
    ledger_proofs.router,
    health.router,
    problem_types.router,
)
DESCRIBED_BODIES: tuple[type, ...] = (
    bodies.StageOpening,
    bodies.StageClosure,
    bodies.ClusterRegistration,
    bodies.LabelGrant,
    bodies.LabelExtension,
    bodies.LabelWithdrawal,
    bodies.CriteriaReview,
    bodies.EuropeanLabelAward,
    bodies.MembershipReport,
    bodies.Merger,
    bodies.Renaming,
    bodies.Dissolution,
    bodies.Correction,
    bodies.WriteResult,
    event_items.FeedPage,
    event_items.AggregateHistory,
    tamper.LeafInputs,
    tamper.Bundle,
    bodies.Health,
    queries.ClusterStatusView,
    queries.StageSummaryView,
    queries.StageHistoryView,
    queries.SummaryReport,
    queries.BitemporalStatusView,
    queries.ComplianceView,
    tamper.CheckpointInfo,
    tamper.PublicKeyInfo,
    tamper.InclusionProof,
    tamper.ConsistencyProof,
    tamper.VerificationReport,
    FieldError,
    ProblemType,
)
DESCRIPTION = """\
An event-sourced, tamper-evident audit ledger of the French *pôles de compétitivité* label.

Admins record certification decisions (`Authorization: Bearer <admin token>`); auditors
read every history and the global feed; anyone reads the public status and reports.
Every write accepts `Idempotency-Key` and, on an existing cluster or stage, `If-Match`.
Errors are `application/problem+json` (RFC 9457); see `GET /problems`.
"""


def create_app(ledger: Ledger) -> FastAPI:
    """The API over ``ledger``; the caller owns the ledger and closes it."""
    app = FastAPI(
        title="label-ledger",
        version=_version(),
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.ledger = ledger
    app.state.status_cache = status_cache_for(ledger)
    app.state.verification_cache = VerificationCache()
    app.add_middleware(KeptStatusShortcut, cache=app.state.status_cache)
    install_problem_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.openapi = msgspec_openapi(app, DESCRIBED_BODIES)  # type: ignore[method-assign]
    return app


def _version() -> str:
    try:
        return version("label-ledger")
    except PackageNotFoundError:
        return "0+unknown"
