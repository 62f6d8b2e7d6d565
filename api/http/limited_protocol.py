"""What ``serve`` accepts of a connection: header size and count, read deadlines, load.

uvicorn's httptools protocol bounds none of these: a header sent without end grew the
process by 16 MB a connection, and a request whose headers or body stopped arriving held
its connection forever. This subclass counts the bytes of a request's head as they
arrive and the headers as they are parsed, and arms a deadline only when a request is
left incomplete by what has arrived, so a request that comes whole costs one comparison
more. A refusal is answered with a problem (``431``, ``408``, ``503``) where nothing else
was answered yet, and the connection is closed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar, Literal

import httptools
import msgspec
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from api.http.problems import (
    HEADERS_TOO_LARGE,
    PROBLEM_JSON,
    REQUEST_TIMEOUT,
    SERVER_BUSY,
    ProblemDetails,
    ProblemType,
)
from api.http.server_limits import BUSY_RETRY_SECONDS, LINGER_SECONDS, ConnectionLimits

log = logging.getLogger("label_ledger.http")
Phase = Literal["head", "body"]


class Refused(Exception):
    """Stops the parser: the request breaks a limit and is answered with ``problem``."""

    def __init__(self, problem: ProblemType, detail: str) -> None:
        super().__init__(detail)
        self.problem = problem
        self.detail = detail


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with every read bounded in size and time."""

    limits: ClassVar[ConnectionLimits] = ConnectionLimits()

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.phase: Phase = "head"
        self.head_bytes = 0
        self.header_count = 0
        self.began_at: float | None = None
        self.deadline: asyncio.TimerHandle | None = None
        self.refusal: Refused | None = None
        self.lingering = False

    # --- the connection ---------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # A connection that never sends a byte is closed like an idle kept-alive one.
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.lingering:
            return  # refused: what still arrives is dropped until the connection closes
        self._unset_keepalive_if_required()
        # A head is fed at most up to the limit, so no more than that is ever buffered.
        while data and self.phase == "head":
            room = self.limits.head_bytes - self.head_bytes
            if room <= 0:
                detail = f"the request line and headers exceed {self.limits.head_bytes} bytes"
                self._refuse(Refused(HEADERS_TOO_LARGE, detail))
                return
            piece, data = data[:room], data[room:]
            self.head_bytes += len(piece)
            if not self._feed(piece):
                return
        if data and not self._feed(data):
            return
        self._arm_deadline()

    def _feed(self, data: bytes) -> bool:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # No protocol is upgraded to: the request is answered, then the connection
            # closes (the parser reads nothing more of it).
            if self.cycle is not None:
                self.cycle.keep_alive = False
            return False
        except httptools.HttpParserError:
            if self.refusal is not None:
                self._refuse(self.refusal)
            else:
                log.info("refused a malformed request from %s", _peer(self.client))
                self.send_400_response("Invalid HTTP request received.")
            return False
        return True

    # --- parser callbacks -------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.began_at = self.loop.time()

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_count += 1
        if self.header_count > self.limits.headers:
            self._stop(HEADERS_TOO_LARGE, f"more than {self.limits.headers} header fields")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._cancel_deadline()
        busy = len(self.connections) > self.limits.connections
        if busy or len(self.tasks) >= self.limits.connections:
            self._stop(SERVER_BUSY, "the server has too many connections; retry shortly")
        self.phase = "body"
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._cancel_deadline()
        self.phase = "head"
        self.head_bytes = self.header_count = 0
        self.began_at = None
        super().on_message_complete()

    def _stop(self, problem: ProblemType, detail: str) -> None:
        self.refusal = Refused(problem, detail)
        raise self.refusal

    # --- deadlines --------------------------------------------------------------

    def _arm_deadline(self) -> None:
        """A deadline for the request that what arrived left incomplete, if any."""
        if self.deadline is not None or self.transport.is_closing():
            return
        if self.phase == "body":
            self.deadline = self.loop.call_later(self.limits.body_seconds, self._body_late)
        elif self.head_bytes:
            began = self.began_at if self.began_at is not None else self.loop.time()
            self.deadline = self.loop.call_at(
                began + self.limits.headers_seconds, self._head_late
            )

    def _cancel_deadline(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _head_late(self) -> None:
        self.deadline = None
        detail = f"the request's headers did not arrive within {self.limits.headers_seconds:g} s"
        self._refuse(Refused(REQUEST_TIMEOUT, detail))

    def _body_late(self) -> None:
        self.deadline = None
        if self.flow.read_paused:
            # The server stopped reading (the application has not read what came): the
            # client is not the one late, so it gets another period.
            self.deadline = self.loop.call_later(self.limits.body_seconds, self._body_late)
            return
        detail = f"the request's body did not arrive within {self.limits.body_seconds:g} s"
        self._refuse(Refused(REQUEST_TIMEOUT, detail))

    # --- answering a refusal ----------------------------------------------------

    def _refuse(self, refusal: Refused) -> None:
        """Answers ``refusal`` if no other answer is under way, closes the connection, and
        tells a request still running that its client is gone."""
        log.info(
            "refused a request from %s: %s (%s)",
            _peer(self.client),
            refusal.problem.code,
            refusal.detail,
        )
        self._cancel_deadline()
        if self.lingering or self.transport.is_closing():
            return
        cycle = self.cycle
        pending = cycle is not None and not cycle.response_complete
        if self.phase == "body":  # the refused request is the cycle's own
            answer = cycle is not None and not cycle.response_started
        else:  # a request whose head never completed has no cycle yet
            answer = not pending
        if answer:
            self.transport.write(_problem_response(refusal, self._path()))
        if cycle is not None and pending:
            cycle.disconnected = True
            cycle.message_event.set()
        self._linger()

    def _linger(self) -> None:
        """Closes the connection once the client had time to read the answer: closing
        at once, with its bytes unread, would reset the connection and lose the answer."""
        self.lingering = True
        self.flow.resume_reading()
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def _path(self) -> str | None:
        """The refused request's path, once its head was read."""
        return self.scope.get("path") if self.phase == "body" else None


def _problem_response(refusal: Refused, path: str | None) -> bytes:
    problem = ProblemDetails(
        type=refusal.problem.type,
        title=refusal.problem.title,
        status=refusal.problem.status,
        detail=refusal.detail,
        instance=path,
    )
    body = msgspec.json.encode(problem)
    head = [STATUS_LINE[refusal.problem.status]]
    head.append(f"content-type: {PROBLEM_JSON}\r\ncontent-length: {len(body)}\r\n".encode())
    if refusal.problem is SERVER_BUSY:
        head.append(f"retry-after: {BUSY_RETRY_SECONDS}\r\n".encode())
    head.append(b"connection: close\r\n\r\n")
    return b"".join([*head, body])


def _peer(client: tuple[str, int] | None) -> str:
    return "unknown" if client is None else f"{client[0]}:{client[1]}"


def limited_protocol(limits: ConnectionLimits) -> type[LimitedHttpToolsProtocol]:
    """The protocol class for ``uvicorn.Config(http=...)``, with these limits."""
    return type("LimitedHttpToolsProtocol", (LimitedHttpToolsProtocol,), {"limits": limits})
