"""The write path shared by every admin endpoint: idempotency, If-Match, 201 with ETag.

A keyed write looks its key up first and answers the stored response without
running the command. Otherwise the command runs with the key's claim as an
append option, so the response is recorded in the events' own transaction.
A concurrent duplicate that loses the race fails inside that transaction
(whatever error it meets) and then finds the winner's response.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import msgspec
from starlette.responses import Response

from api.http.preconditions import IfMatch, etag
from api.http.problems import IDEMPOTENCY_KEY_REUSED, INVALID_BODY, FieldError, HttpProblem
from domain.errors import LedgerError
from infrastructure.access.idempotency import (
    CREATED,
    OPTION,
    IdempotencyClaim,
    StoredResponse,
    WriteResult,
    find_response,
    write_result,
)
from infrastructure.ledger import Ledger, Origin, Receipt, version_mismatch

Command = Callable[..., Receipt]


class WriteRequest(msgspec.Struct, frozen=True, kw_only=True):
    """Who writes, where, and under which conditions."""

    ledger: Ledger
    actor: str
    method: str
    path: str
    key: str | None
    if_match: IfMatch | None
    stored: StoredResponse | None = None
    """The response stored under ``key`` when the request arrived."""


def perform(
    write: WriteRequest,
    body: msgspec.Struct,
    command: Command,
    *,
    target: str | None = None,
    source: str | None = None,
) -> Response:
    """Runs ``command(origin, **options)`` once per idempotency key; answers 201."""
    fingerprint = fingerprint_of(write.method, write.path, body)
    if write.stored is not None:
        return _replay(write.stored, fingerprint)
    options: dict[str, Any] = {}
    if write.if_match is not None and target is not None:
        options["expected_version"] = _expected_version(write.ledger, target, write.if_match)
    if write.key is not None:
        claim = IdempotencyClaim(actor=write.actor, key=write.key, fingerprint=fingerprint)
        options[OPTION] = claim
    origin = Origin(actor=write.actor, source=source, idempotency_key=write.key)
    try:
        receipt = command(origin, **options)
    except LedgerError:
        stored = _stored(write)
        if stored is None:
            raise
        return _replay(stored, fingerprint)
    result = write_result(receipt.events)
    return _answer(msgspec.json.encode(result), result, replayed=False)


def fingerprint_of(method: str, path: str, body: msgspec.Struct) -> str:
    canonical = msgspec.json.encode(body, order="sorted")
    return hashlib.sha256(f"{method} {path}\n".encode() + canonical).hexdigest()


def _stored(write: WriteRequest) -> StoredResponse | None:
    if write.key is None:
        return None
    return find_response(write.ledger, write.actor, write.key)


def _expected_version(ledger: Ledger, target: str, if_match: IfMatch) -> dict[str, int]:
    current = ledger.current_version(target)
    if current == 0:
        return {}  # the command itself answers 404 for an unknown aggregate
    if not if_match.matches(current):
        expected = if_match.versions[0] if if_match.versions else -1
        raise version_mismatch(target, expected, current)
    return {} if if_match.any else {target: current}


def _replay(stored: StoredResponse, fingerprint: str) -> Response:
    if stored.fingerprint != fingerprint:
        msg = "this Idempotency-Key was already used for a different request"
        raise HttpProblem(IDEMPOTENCY_KEY_REUSED, msg)
    result = msgspec.json.decode(stored.body, type=WriteResult)
    return _answer(stored.body, result, replayed=True, status=stored.status)


def _answer(
    body: bytes, result: WriteResult, *, replayed: bool, status: int = CREATED
) -> Response:
    headers = {"ETag": etag(result.version), "Location": location(result.aggregate_id)}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def location(aggregate_id: str) -> str:
    kind, _, name = aggregate_id.partition(":")
    return f"/{kind}s/{name}"


def corrected_event_id(event_id: str, aggregate_id: str) -> str:
    """The event a correction posted under ``aggregate_id``'s address may target."""
    if not event_id.startswith(f"{aggregate_id}@"):
        detail = f"event {event_id} is not an event of {aggregate_id}"
        raise HttpProblem(
            INVALID_BODY,
            detail,
            errors=[FieldError(pointer="#/event_id", detail=detail)],
        )
    return event_id
