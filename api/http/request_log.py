"""Where the request log's lines go: one line per request, after its answer is sent.

Through Python's ``logging`` a line costs tens of microseconds on the event loop (a log
record, its handler's lock, a formatter, a write and a flush each time), more than a
kept status read itself. In JSON, the format collectors read, the line is instead encoded
directly and the lines of one event-loop iteration go out in one ``write``: the same
object, keys and order as ``JsonFormatter`` gives, at a few microseconds. Text lines (a
terminal, a person reading) and in-process applications (the tests) go through
``logging`` on ``label_ledger.http``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any, Protocol

import msgspec

from api.http.log_format import REQUEST_LOGGER, LogFormat, json_line

log = logging.getLogger(REQUEST_LOGGER)
_encode = msgspec.json.Encoder().encode


class RequestLog(Protocol):
    def write(self, fields: dict[str, Any]) -> None:
        """Logs one request: its method, path, route, status, duration, id, actor, events."""


def request_log_for(log_format: LogFormat) -> RequestLog:
    """``serve``'s request log: direct JSON lines on stderr, or text through logging."""
    return JsonLinesRequestLog(2) if log_format == "json" else LoggingRequestLog()


def request_message(fields: dict[str, Any]) -> str:
    """A request line's message: ``GET /clusters 200``."""
    return f"{fields['method']} {fields['path']} {fields['status']}"


class LoggingRequestLog:
    """Through ``logging``: formatted by the handlers of ``label_ledger.http``."""

    def write(self, fields: dict[str, Any]) -> None:
        if log.isEnabledFor(logging.INFO):
            log.info(request_message(fields), extra={"request": fields})


class JsonLinesRequestLog:
    """JSON lines written straight to a file descriptor, once per event-loop iteration."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pending: list[bytes] = []
        self.scheduled = False

    def write(self, fields: dict[str, Any]) -> None:
        line = json_line(time.time(), "info", REQUEST_LOGGER, request_message(fields), fields)
        self.pending.append(_encode(line) + b"\n")
        if not self.scheduled:
            self.scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        self.scheduled = False
        data = b"".join(self.pending)
        self.pending.clear()
        try:
            while data:
                data = data[os.write(self.fd, data) :]
        except OSError:  # a log that cannot be written never fails a request
            pass
