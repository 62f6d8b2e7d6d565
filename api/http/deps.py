"""Dependencies of the read routes, as ``Annotated`` aliases."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.security import HTTPAuthorizationCredentials

from api.http.auth import READ_ROLES, WRITE_ROLES, authorize, bearer, bearer_secret, identified
from api.http.auth_throttle import FailedAuthentications, client_address
from api.http.problems import INVALID_PARAMETERS, MALFORMED_HEADER, FieldError, HttpProblem
from api.http.request_facts import facts_of
from domain.access import Role
from domain.errors import ClusterNotFound, StageNotFound
from domain.values import SLUG_PATTERN
from infrastructure.access.tokens import Caller
from infrastructure.ledger import Ledger
from infrastructure.projections.reading import Reading

# Dependencies that do no I/O are ``async def``: FastAPI runs a plain ``def`` dependency
# in its thread pool, a hop that costs more than the work itself.


async def get_ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def auditor_caller(request: Request, ledger: LedgerDep, _: Credentials) -> Caller:
    """The auditor (or admin), as of the ledger's last position."""
    return caller_in(request, ledger, READ_ROLES, "auditing")


def admin_caller(request: Request, ledger: LedgerDep, _: Credentials) -> Caller:
    """The admin, as of the ledger's last position."""
    return caller_in(request, ledger, WRITE_ROLES, "operating the ledger")


def caller_in(request: Request, ledger: Ledger, roles: frozenset[Role], doing: str) -> Caller:
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
    caller = authorize(identified(caller), roles, doing)
    facts = facts_of(request.scope)
    if facts is not None:
        facts.actor = caller.name
    return caller


AuditorCaller = Annotated[Caller, Depends(auditor_caller)]
AdminCaller = Annotated[Caller, Depends(admin_caller)]


async def auditor_actor(caller: AuditorCaller) -> str:
    """The auditor's (or admin's) name."""
    return caller.name


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


MAX_POSITION = 2**63 - 1


def reading(
    on: Annotated[
        date | None,
        Query(
            description="Answer for this day, from the events in effect on it (default: "
            "today, from the read models)"
        ),
    ] = None,
    known_at: Annotated[
        int | None,
        Query(ge=0, le=MAX_POSITION, description="As the ledger stood at this position"),
    ] = None,
    evidence: Annotated[
        Literal["all", "stated"],
        Query(description="stated: only decisions a source states (not weak or inferred)"),
    ] = "all",
) -> Reading:
    return Reading(on=on, known_at=known_at, stated_only=evidence == "stated")


ReadingDep = Annotated[Reading, Depends(reading)]


async def known_parameters_only(request: Request) -> None:
    """An unknown query parameter is a 422 naming it, as an unknown body field is: a
    misspelled ``?on=`` must not silently answer for today."""
    if not request.query_params:
        return
    route: Any = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    unknown = sorted(set(request.query_params) - declared_query(route, dependant))
    if unknown:
        errors = [
            FieldError(pointer=f"query:{name}", detail="unknown parameter") for name in unknown
        ]
        raise HttpProblem(
            INVALID_PARAMETERS, f"unknown query parameter {', '.join(unknown)}", errors=errors
        )


def declared_query(route: Any, dependant: Dependant) -> frozenset[str]:
    # Dependants are unhashable dataclasses, so the answer is kept on the route itself.
    known: frozenset[str] | None = getattr(route, "_declared_query", None)
    if known is None:
        known = frozenset(query_names(dependant))
        route._declared_query = known
    return known


def query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= query_names(sub)
    return names
