"""Dependencies of the read routes, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from api.http.auth import READ_ROLES, authorize, bearer, bearer_secret, identified
from api.http.auth_throttle import FailedAuthentications, client_address
from api.http.problems import MALFORMED_HEADER, HttpProblem
from domain.errors import ClusterNotFound, StageNotFound
from domain.values import SLUG_PATTERN
from infrastructure.ledger import Ledger

# Dependencies that do no I/O are ``async def``: FastAPI runs a plain ``def`` dependency
# in its thread pool, a hop that costs more than the work itself.


async def get_ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def auditor_actor(request: Request, ledger: LedgerDep, _: Credentials) -> str:
    """The auditor's (or admin's) name, as of the ledger's last position."""
    sent = request.headers.getlist("authorization")
    if len(sent) > 1:
        raise HttpProblem(MALFORMED_HEADER, "send one Authorization header, not several")
    secret = bearer_secret(sent[0] if sent else None)
    failures: FailedAuthentications = request.app.state.failed_authentications
    address = client_address(request.scope.get("client"))
    failures.check(address)
    caller = ledger.caller(secret)
    if caller is None:
        failures.failed(address)
    return authorize(identified(caller), READ_ROLES, "auditing").name


AuditorActor = Annotated[str, Depends(auditor_actor)]


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
