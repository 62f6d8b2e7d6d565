"""The FastAPI application over one ledger."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from api.http import bodies, event_items
from api.http.auth_throttle import FailedAuthentications
from api.http.commands import WRITES
from api.http.deps import known_parameters_only
from api.http.gateway import CommandGateway
from api.http.integrity import GuardedFront
from api.http.lifespan import serving
from api.http.live_feed import LiveFeed
from api.http.metrics import LedgerMetrics
from api.http.observed import ObservedRequests
from api.http.openapi import msgspec_openapi
from api.http.problems import FieldError, ProblemType, install_problem_handlers
from api.http.request_log import RequestLog
from api.http.routes import (
    auditing,
    clusters,
    events,
    health,
    ledger_proofs,
    metrics,
    problem_types,
    reports,
    stages,
)
from api.http.status_cache import KeptStatusShortcut, status_cache_for
from api.http.store_probe import StoreProbe
from api.web import install_web
from infrastructure import tamper
from infrastructure.ledger import Ledger
from infrastructure.projections import queries
from infrastructure.projections.filters import Names
from infrastructure.tamper.guard import IntegrityGuard
from infrastructure.tamper.verification_cache import VerificationCache

# Routes are matched one by one in this order (FastAPI has no routing table), so the
# most requested come first: a cluster's status. Commands never reach FastAPI: the
# CommandGateway answers them in front of it.
ROUTERS = (
    clusters.router,
    stages.router,
    reports.router,
    auditing.router,
    events.router,
    ledger_proofs.router,
    health.router,
    metrics.router,
    problem_types.router,
)
DESCRIBED_BODIES: tuple[type, ...] = (
    event_items.FeedPage,
    event_items.AggregateHistory,
    tamper.LeafInputs,
    tamper.Bundle,
    bodies.Health,
    bodies.Readiness,
    queries.ClusterStatusView,
    Names,
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


class LedgerAPI(FastAPI):
    """The FastAPI application, with its two hottest requests answered in front of its
    middleware stack: commands (the gateway) and kept cluster statuses."""

    front: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.front is None:
            await super().__call__(scope, receive, send)
        else:
            await self.front(scope, receive, send)

    async def behind_front(self, scope: Scope, receive: Receive, send: Send) -> None:
        await super().__call__(scope, receive, send)


def create_app(
    ledger: Ledger, *, verify_every: float = 0.0, request_log: RequestLog | None = None
) -> LedgerAPI:
    """The API over ``ledger``; the caller owns the ledger and closes it. ``verify_every``:
    seconds between full verifications while serving, the first at start-up (0: none).
    Every request is counted for ``/metrics``; ``request_log`` also gets one line for each."""
    app = LedgerAPI(
        title="label-ledger",
        version=_version(),
        description=DESCRIPTION,
        docs_url=None,  # /docs and /redoc are served by api.web, with their assets
        redoc_url=None,
        lifespan=serving,
    )
    app.state.ledger = ledger
    app.state.store_where = ledger.settings.where
    app.state.status_cache = status_cache_for(ledger)
    app.state.integrity_guard = IntegrityGuard()
    app.state.verification_cache = VerificationCache(guard=app.state.integrity_guard)
    app.state.verify_every = verify_every
    app.state.store_probe = StoreProbe(ledger)
    app.state.live_feed = LiveFeed(ledger)
    app.state.failed_authentications = FailedAuthentications()
    install_problem_handlers(app)
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(known_parameters_only)])
    install_web(app)
    read_paths = frozenset(
        str(getattr(route, "path", "")) for router in ROUTERS for route in router.routes
    )
    kept = KeptStatusShortcut(app.behind_front, cache=app.state.status_cache)
    gateway = CommandGateway(
        kept,
        ledger=ledger,
        read_paths=read_paths,
        failures=app.state.failed_authentications,
    )
    guarded = GuardedFront(gateway, app.state.integrity_guard, app.state.store_probe)
    app.state.metrics = LedgerMetrics(ledger, lambda: app.state.verification_cache.last)
    app.front = ObservedRequests(guarded, app.state.metrics, request_log=request_log)
    app.openapi = msgspec_openapi(app, DESCRIBED_BODIES, WRITES)  # type: ignore[method-assign]
    return app


def _version() -> str:
    try:
        return version("label-ledger")
    except PackageNotFoundError:
        return "0+unknown"
