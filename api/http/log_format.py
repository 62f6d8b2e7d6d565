"""The server's log lines: JSON, one object a line, for collectors; plain text on a terminal.

``LEDGER_LOG_FORMAT=json`` or ``text`` chooses; unset, a terminal gets text and anything
else (a file, a pipe, journald) JSON. Both formats carry the same fields; the request log's
(``observed.py``) travel in the record's ``request`` attribute.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec

ENV = "LEDGER_LOG_FORMAT"
LogFormat = Literal["json", "text"]
FORMATS: tuple[LogFormat, ...] = ("json", "text")
_encode = msgspec.json.Encoder().encode
REQUEST_LOGGER = "label_ledger.http"
"""The logger of the request lines (``observed.py``, ``request_log.py``)."""


class LogFormatError(ValueError):
    pass


def chosen_format(env: dict[str, str] | None = None, *, terminal: bool | None = None) -> LogFormat:
    value = (os.environ if env is None else env).get(ENV, "").strip().lower()
    if value == "json":
        return "json"
    if value == "text":
        return "text"
    if value:
        msg = f"{ENV}={value!r}: say json or text (unset: text on a terminal, JSON otherwise)"
        raise LogFormatError(msg)
    if terminal is None:
        terminal = sys.stderr.isatty()
    return "text" if terminal else "json"


def iso_time(seconds: float) -> str:
    """A log line's time: UTC, to the millisecond."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")


def _time(record: logging.LogRecord) -> str:
    return iso_time(record.created)


def json_line(
    seconds: float, level: str, logger: str, message: str, fields: dict[str, Any] | None
) -> dict[str, Any]:
    """A JSON log line's object: its time, level, logger and message, then ``fields``."""
    line: dict[str, Any] = {
        "time": iso_time(seconds),
        "level": level,
        "logger": logger,
        "message": message,
    }
    if fields is not None:
        line.update(fields)
    return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "request", None)
        line = json_line(
            record.created, record.levelname.lower(), record.name, record.getMessage(), fields
        )
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return _encode(line).decode()


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = f"{_time(record)} {record.levelname:<7} {record.name}: {record.getMessage()}"
        fields = getattr(record, "request", None)
        if fields is not None:
            text += "".join(
                f" {name}={_text(value)}"
                for name, value in fields.items()
                if name not in ("method", "path", "status") and value not in (None, [], ())
            )
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return str(value)


FORMATTERS: dict[LogFormat, type[logging.Formatter]] = {
    "json": JsonFormatter,
    "text": TextFormatter,
}


def logging_config(log_format: LogFormat) -> dict[str, Any]:
    """uvicorn's ``log_config``: its lines and the ledger's in one format, on stderr. Its
    access log stays off: ``label_ledger.http`` writes one line per request instead."""
    formatter = FORMATTERS[log_format]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"ledger": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "ledger",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "label_ledger": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }
