"""What the request log and metrics learn of a request from whoever answers it.

``ObservedRequests`` (``observed.py``) puts one :class:`RequestFacts` in the ASGI scope
before any other layer sees the request; the gateway, the kept-status shortcut and the
routes fill in what only they know (the route template, the caller, the events appended),
and it is read once the response is sent. A layer run without it (a bare gateway in a
test) finds None and records nothing.
"""

from __future__ import annotations

import itertools
import os
import re

from starlette.types import Scope

KEY = "label_ledger.request"
MAX_REQUEST_ID = 128
# Visible characters that need no quoting in a log line or a header; anything else sent as
# X-Request-ID is replaced by an id of the server's own.
_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:@/+=-]{1,%d}" % MAX_REQUEST_ID)
# A new id is this process's random prefix and a count: unique without a system call.
_PREFIX = os.urandom(8).hex()
_COUNT = itertools.count(1)


class RequestFacts:
    __slots__ = ("actor", "command", "event_ids", "request_id", "route")

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self.route: str | None = None
        """The route template (``/clusters/{slug}``) when a layer before FastAPI answered."""
        self.command: str | None = None
        """The command's name once the ledger decides it (its latency is then measured)."""
        self.actor: str | None = None
        self.event_ids: tuple[str, ...] = ()


def facts_of(scope: Scope) -> RequestFacts | None:
    facts: RequestFacts | None = scope.get(KEY)
    return facts


def request_id_of(headers: list[tuple[bytes, bytes]]) -> str:
    """The client's ``X-Request-ID`` if it is a sane one, else a new random id."""
    for name, value in headers:
        if name == b"x-request-id":
            if _REQUEST_ID.fullmatch(value):
                return value.decode("ascii")
            break
    return f"{_PREFIX}{next(_COUNT):016x}"
