"""``label-ledger serve``: the HTTP API under uvicorn, on the same store as every command."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from api.cli.common import db_option, fail, reports_errors
from api.http.server_limits import (
    BODY_SECONDS,
    HEADERS_SECONDS,
    KEEP_ALIVE_SECONDS,
    MAX_CONNECTIONS,
    ConnectionLimits,
)
from infrastructure.composition import open_ledger
from infrastructure.ledger import Ledger
from infrastructure.settings import STATEMENT_TIMEOUT_VARIABLE, resolve_database_url
from infrastructure.store.errors import StoreReadOnly
from infrastructure.tamper.guard import verify_every

SERVED_STATEMENT_TIMEOUT = "5"
"""Seconds a PostgreSQL statement of the server may run, unless LEDGER_STATEMENT_TIMEOUT says."""

if TYPE_CHECKING:
    import uvicorn
    from starlette.types import ASGIApp

    from api.http.log_format import LogFormat


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="TCP port."
)
@click.option(
    "--group-commit/--no-group-commit",
    default=True,
    show_default=True,
    help="Let concurrent writes share one transaction (each still succeeds or fails alone).",
)
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="Log one line per request: method, path, route, status, duration, request id, "
    "actor, events appended (never headers or tokens). LEDGER_LOG_FORMAT=json|text.",
)
@click.option(
    "--max-connections",
    type=click.IntRange(1),
    default=MAX_CONNECTIONS,
    show_default=True,
    help="Open connections (or requests in progress) beyond which requests are answered 503.",
)
@click.option(
    "--headers-timeout",
    type=click.FloatRange(0.1),
    default=HEADERS_SECONDS,
    show_default=True,
    help="Seconds from a request's first byte until its headers must be complete (else 408).",
)
@click.option(
    "--body-timeout",
    type=click.FloatRange(0.1),
    default=BODY_SECONDS,
    show_default=True,
    help="Seconds from a request's headers until its body must be complete (else 408).",
)
@db_option
@reports_errors
def serve(
    host: str,
    port: int,
    group_commit: bool,
    access_log: bool,
    max_connections: int,
    headers_timeout: float,
    body_timeout: float,
    db: str | None,
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs)."""
    # Imported here so that every other command starts without the web stack.
    from api.http.app import create_app
    from api.http.log_format import LogFormatError, chosen_format
    from api.http.request_log import request_log_for
    from api.http.server import LedgerServer

    try:
        log_format = chosen_format()
    except LogFormatError as error:
        fail(str(error))
        raise

    limits = ConnectionLimits(
        headers_seconds=headers_timeout, body_seconds=body_timeout, connections=max_connections
    )
    try:
        verify_interval = verify_every(os.environ)
    except ValueError as error:
        fail(str(error))
        raise
    os.environ.setdefault(STATEMENT_TIMEOUT_VARIABLE, SERVED_STATEMENT_TIMEOUT)
    with served_ledger(db) as ledger:
        if group_commit and not ledger.settings.read_only:
            ledger.enable_group_commit()
        listener = listen(host, port)
        bound_port = listener.getsockname()[1]
        click.echo(
            f"label-ledger: serving {ledger.settings.display} on http://{host}:{bound_port} "
            "(docs at /docs); Ctrl-C stops",
            err=True,
        )
        request_log = request_log_for(log_format) if access_log else None
        app = create_app(ledger, verify_every=verify_interval, request_log=request_log)
        server = LedgerServer(
            server_config(app, limits, log_format=log_format),
            end_streams=app.state.live_feed.close,
        )
        server.run(sockets=[listener])


def server_config(
    app: ASGIApp, limits: ConnectionLimits, *, log_format: LogFormat = "text"
) -> uvicorn.Config:
    """How ``serve`` runs an application under uvicorn (the benchmarks' servers too).
    uvicorn's access log stays off: the application logs its own line per request."""
    import uvicorn

    from api.http.limited_protocol import limited_protocol
    from api.http.log_format import logging_config

    return uvicorn.Config(
        app,
        http=limited_protocol(limits),
        ws="none",
        log_config=logging_config(log_format),
        log_level="info",
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=5,
    )


@contextmanager
def served_ledger(db: str | None) -> Iterator[Ledger]:
    """The ledger opened to write; a store that may only be read is served read-only."""
    url = resolve_database_url(db)
    try:
        ledger = open_ledger(url, "write")
    except StoreReadOnly as error:
        click.echo(
            f"label-ledger: {error.situation}: serving it read-only (writes answer 503)", err=True
        )
        ledger = open_ledger(url, "read")
    try:
        yield ledger
    finally:
        ledger.close()


def listen(host: str, port: int) -> socket.socket:
    """Binds before serving, so that a taken port is one line, not a traceback."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        listener = socket.socket(family, kind, proto)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
    except OSError as error:
        fail(f"cannot listen on {host}:{port}: {error.strerror or error}")
        raise
    return listener


COMMANDS = [serve]
