"""Dependencies of the routes, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials

from api.http.auth import READ_ROLES, WRITE_ROLES, authenticate, authorize, bearer
from api.http.preconditions import (
    IF_MATCH_PATTERN,
    KEY_PATTERN,
    parse_idempotency_key,
    parse_if_match,
)
from api.http.writes import WriteRequest
from domain.errors import ClusterNotFound, StageNotFound
from domain.values import SLUG_PATTERN
from infrastructure.access.idempotency import stored_response
from infrastructure.ledger import Ledger

# Dependencies that do no I/O are ``async def``: FastAPI runs a plain ``def`` dependency
# in its thread pool, a hop that costs more than the work itself.


async def get_ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def auditor_actor(ledger: LedgerDep, credentials: Credentials) -> str:
    with ledger.read() as tx:
        return authorize(authenticate(tx, credentials), READ_ROLES, "auditing")


AuditorActor = Annotated[str, Depends(auditor_actor)]


def admin_write(
    request: Request,
    ledger: LedgerDep,
    credentials: Credentials,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Replays the first response to this key instead of writing again.",
            json_schema_extra={"pattern": KEY_PATTERN},
        ),
    ] = None,
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='The ETag ("<version>") the write expects; 412 if it moved on.',
            json_schema_extra={"pattern": IF_MATCH_PATTERN},
        ),
    ] = None,
) -> WriteRequest:
    """The admin writing, and the response already stored under its key: one read."""
    with ledger.read() as tx:
        actor = authorize(authenticate(tx, credentials), WRITE_ROLES, "writing")
        key = parse_idempotency_key(idempotency_key)
        stored = None if key is None else stored_response(tx, actor, key)
    return WriteRequest(
        ledger=ledger,
        actor=actor,
        method=request.method,
        path=request.url.path,
        key=key,
        if_match=parse_if_match(if_match),
        stored=stored,
    )


AdminWrite = Annotated[WriteRequest, Depends(admin_write)]


async def known_slug(slug: str) -> str:
    """A slug that can name a cluster; any other is simply not found (no store access)."""
    if not SLUG_PATTERN.match(slug) or len(slug) > 64:
        msg = f"no cluster {slug!r} in the ledger"
        raise ClusterNotFound(msg)
    return slug


def check_stage_number(number: int) -> int:
    if not 1 <= number <= 999:
        msg = f"no stage {number} in the ledger"
        raise StageNotFound(msg)
    return number


async def known_stage(number: int) -> int:
    return check_stage_number(number)


SlugPath = Annotated[str, Depends(known_slug)]
StagePath = Annotated[int, Depends(known_stage)]
