"""The guard in front of every request: what a found inconsistency or a store outage
changes for it, and nothing while neither stands (two attribute reads).

While the integrity guard holds a finding, every command answers 503
``ledger-inconsistent`` (before it is even authenticated: no write is decided on a log
that is known to be wrong) and every other answer carries a ``Ledger-Integrity`` header
naming the finding. While the store does not answer the outage probe (PostgreSQL),
every request but the health checks and the problem catalogue answers 503
``store-unavailable`` with ``Retry-After`` at once, instead of waiting on a dead pool.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.commands import find_write
from api.http.problems import LEDGER_INCONSISTENT, STORE_UNAVAILABLE, problem_response
from api.http.store_probe import StoreProbe
from infrastructure.tamper.guard import Finding, IntegrityGuard

INTEGRITY_HEADER = "Ledger-Integrity"
RETRY_AFTER_OUTAGE = "2"
ANSWERED_IN_OUTAGES = ("/healthz", "/readyz", "/problems")


def integrity_header(finding: Finding) -> str:
    return f"failed; position={finding.position}; kind={finding.kind}"


def inconsistent_detail(finding: Finding) -> str:
    return (
        f"the ledger was found inconsistent at position {finding.position} "
        f"({finding.kind}): {finding.detail}; writes are refused until its operator "
        "restores the store and a full verification passes"
    )


class GuardedFront:
    def __init__(self, app: ASGIApp, guard: IntegrityGuard, probe: StoreProbe) -> None:
        self.app = app
        self.guard = guard
        self.probe = probe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (self.guard.finding is None and self.probe.up) or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        finding = self.guard.finding
        headers = {} if finding is None else {INTEGRITY_HEADER: integrity_header(finding)}
        path: str = scope["path"]
        response: Response | None = None
        if not self.probe.up and not path.startswith(ANSWERED_IN_OUTAGES):
            detail = "the ledger's database does not answer; retry later"
            headers["Retry-After"] = RETRY_AFTER_OUTAGE
            response = problem_response(path, STORE_UNAVAILABLE, detail, headers=headers)
        elif finding is not None and scope["method"] == "POST" and find_write(path):
            detail = inconsistent_detail(finding)
            response = problem_response(path, LEDGER_INCONSISTENT, detail, headers=headers)
        if response is not None:
            await response(scope, receive, send)
        elif finding is None:
            await self.app(scope, receive, send)
        else:
            await self.app(scope, receive, _marked(send, integrity_header(finding)))


def _marked(send: Send, value: str) -> Send:
    header = (INTEGRITY_HEADER.lower().encode(), value.encode())

    async def marked(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), header]}
        await send(message)

    return marked
