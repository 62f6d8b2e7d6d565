"""Every request counted and logged, around the whole application (gateway included).

The outermost ASGI layer: the command gateway and the kept-status shortcut answer most
requests before FastAPI, so its middleware would never see them. Each request gets an id
(the client's ``X-Request-ID`` if sane, else a new one), echoed in the response's
``X-Request-ID``; once the response is sent, the request is counted by route template
and status, a decided command's latency is measured, and one line is logged on
``label_ledger.http`` with the method, path, route, status, duration, request id, actor and
the ids of the events appended. Headers are never logged, so neither is a token.
"""

from __future__ import annotations

from time import perf_counter
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.metrics import UNMATCHED, LedgerMetrics
from api.http.request_facts import KEY, RequestFacts, request_id_of
from api.http.request_log import RequestLog

REQUEST_ID = b"x-request-id"


class ObservedRequests:
    def __init__(
        self, app: ASGIApp, metrics: LedgerMetrics, *, request_log: RequestLog | None
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.request_log = request_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        facts = RequestFacts(request_id_of(scope["headers"]))
        scope[KEY] = facts
        header = (REQUEST_ID, facts.request_id.encode("ascii"))
        status = 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except BaseException:
            status = status or 500
            raise
        finally:
            self.done(scope, facts, status, perf_counter() - started)

    def done(self, scope: Scope, facts: RequestFacts, status: int, seconds: float) -> None:
        route = facts.route or route_of(scope)
        method: str = scope["method"]
        self.metrics.request(method, route, status)
        if facts.command is not None:
            self.metrics.command(facts.command, seconds)
        if self.request_log is not None:
            path: str = scope["path"]
            self.request_log.write(request_fields(method, path, route, status, seconds, facts))


def route_of(scope: Scope) -> str:
    """The template of the route FastAPI chose (it records it in the scope), if any."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


def request_fields(
    method: str, path: str, route: str, status: int, seconds: float, facts: RequestFacts
) -> dict[str, Any]:
    return {
        "method": method,
        "path": path,
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 3),
        "request_id": facts.request_id,
        "actor": facts.actor,
        "event_ids": list(facts.event_ids),
    }
