"""The write path over HTTP: ``POST`` of a command, answered ``201`` with its receipt.

Commands are answered here, in front of FastAPI: a command needs none of FastAPI's
per-request dependency machinery, which cost about half of a command's CPU. In one
straight line: match the path, authenticate the bearer token, read and decode the body
into the command, hand it to the ledger with its context, answer its receipt (or the
problem that refused it). Every other request goes on to the FastAPI application, which
also describes these routes in its OpenAPI document (see ``openapi.py``).
"""

from __future__ import annotations

import asyncio
import re

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.http.auth import WRITE_ROLES, authorize, bearer_secret, identified
from api.http.auth_throttle import FailedAuthentications, client_address
from api.http.commands import Exposed, find_write, path_values
from api.http.decoding import (
    DECODED_ON_LOOP_BYTES,
    MAX_BODY_BYTES,
    check_declared_length,
    check_media_type,
    decode_body,
    too_large,
)
from api.http.preconditions import etag, parse_idempotency_key, parse_if_match
from api.http.problems import MALFORMED_HEADER, METHOD_NOT_ALLOWED, HttpProblem, answer_error
from api.http.request_facts import RequestFacts, facts_of
from domain.commands import Command, Context
from infrastructure.access.tokens import Caller
from infrastructure.ledger import Ledger
from infrastructure.receipts import Receipt

Headers = dict[str, str]
_encode = msgspec.json.Encoder().encode


class CommandGateway:
    """Answers ``POST`` requests of the command paths; passes on everything else."""

    def __init__(
        self,
        app: ASGIApp,
        ledger: Ledger,
        read_paths: frozenset[str],
        failures: FailedAuthentications,
    ) -> None:
        self.app = app
        self.ledger = ledger
        self.failures = failures
        self.read_paths = read_paths
        """Command paths the application also answers with other methods (``GET /clusters``)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = find_write(scope["path"]) if scope["type"] == "http" else None
        if found is None or (scope["method"] != "POST" and found[0].path in self.read_paths):
            await self.app(scope, receive, send)
            return
        facts = facts_of(scope)
        if facts is not None:
            facts.route = found[0].path
        try:
            response = await self.write(scope, receive, *found, facts)
        except Exception as error:  # every failure is answered as a problem
            response = answer_error(
                error, scope["method"], scope["path"], self.ledger.settings.where
            )
        await response(scope, receive, send)

    async def write(
        self,
        scope: Scope,
        receive: Receive,
        exposed: Exposed,
        match: re.Match[str],
        facts: RequestFacts | None = None,
    ) -> Response:
        if scope["method"] != "POST":
            detail = f"{scope['path']} accepts POST only"
            raise HttpProblem(METHOD_NOT_ALLOWED, detail, headers={"Allow": "POST"})
        headers = request_headers(scope)
        caller = await self.caller(headers.get("authorization"), client_address(scope["client"]))
        if facts is not None:
            facts.actor = caller.name
        values = path_values(exposed, match)
        if_match = parse_if_match(headers.get("if-match"))
        key = parse_idempotency_key(headers.get("idempotency-key"))
        check_declared_length(headers.get("content-length"))
        check_media_type(headers.get("content-type"))
        raw = await read_body(receive)
        if len(raw) <= DECODED_ON_LOOP_BYTES:
            body = decode_body(exposed.body, raw)
        else:  # a large body's checks take milliseconds: never on the event loop
            body = await run_in_threadpool(decode_body, exposed.body, raw)
        command = exposed.command_of(body, values)
        context = Context(
            actor=caller.name,
            source=getattr(body, "source", None),
            evidence=getattr(body, "evidence", None),
            idempotency_key=key,
            expected=None if exposed.creates() else if_match,
        )
        if facts is not None:
            facts.command = exposed.command.__name__
        receipt = await self.execute(command, context, caller)
        if facts is not None and not receipt.replayed:
            facts.event_ids = tuple(event.event_id for event in receipt.events)
        return created(receipt)

    async def caller(self, authorization: str | None, address: str) -> Caller:
        """The admin sending the command. The writer checks the token again when it decides
        the command, so the registry may be read as it stands; only a token it does not
        know makes it look at the log (another process may have issued it)."""
        secret = bearer_secret(authorization)
        self.failures.check(address)
        caller = self.ledger.tokens.caller(secret)
        if caller is None:
            caller = await run_in_threadpool(self.ledger.caller, secret)
        if caller is None:
            self.failures.failed(address)
        return authorize(identified(caller), WRITE_ROLES, "writing")

    async def execute(self, command: Command, context: Context, caller: Caller) -> Receipt:
        ledger = self.ledger
        if ledger.committer is not None:
            return await asyncio.wrap_future(ledger.submit(command, context, caller))
        return await run_in_threadpool(ledger.execute, command, context, caller)


def request_headers(scope: Scope) -> Headers:
    """The request's headers by lower-case name; a repeated ``Authorization`` is refused."""
    headers: Headers = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1")
        if name == "authorization" and name in headers:
            raise HttpProblem(MALFORMED_HEADER, "send one Authorization header, not several")
        headers[name] = raw_value.decode("latin-1")
    return headers


async def read_body(receive: Receive) -> bytes:
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        body += message.get("body", b"")
        # Content-Length can be absent (chunked) or lie: count what actually arrives.
        if len(body) > MAX_BODY_BYTES:
            raise too_large()
        if not message.get("more_body", False):
            return bytes(body)


def created(receipt: Receipt) -> Response:
    headers = {"ETag": etag(receipt.version), "Location": location(receipt.aggregate_id)}
    if receipt.replayed:
        headers["Idempotent-Replayed"] = "true"
        receipt = msgspec.structs.replace(receipt, replayed=False)
    return Response(
        _encode(receipt), status_code=201, media_type="application/json", headers=headers
    )


def location(aggregate_id: str) -> str:
    kind, _, name = aggregate_id.partition(":")
    return f"/{kind}s/{name}"
