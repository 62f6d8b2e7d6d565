"""Bearer-token authentication and the two roles: admins write, auditors read everything."""

from __future__ import annotations

from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.http.problems import FORBIDDEN, UNAUTHORIZED, HttpProblem
from domain.access import Role
from infrastructure.access.tokens import Caller, caller_of
from infrastructure.store.sql import Tx

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="BearerToken",
    bearerFormat="llt_…",
    description="A token from `label-ledger token create --role admin|auditor --name NAME`.",
)
READ_ROLES: frozenset[Role] = frozenset({"admin", "auditor"})
WRITE_ROLES: frozenset[Role] = frozenset({"admin"})


def authenticate(tx: Tx, credentials: HTTPAuthorizationCredentials | None) -> Caller:
    """The caller a bearer token identifies, read in ``tx``; never echoes or logs the token."""
    if credentials is None:
        raise HttpProblem(
            UNAUTHORIZED,
            "this endpoint needs 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": 'Bearer realm="label-ledger"'},
        )
    caller = caller_of(tx, credentials.credentials)
    if caller is None:
        raise HttpProblem(
            UNAUTHORIZED,
            "the bearer token is unknown or revoked",
            headers={"WWW-Authenticate": 'Bearer realm="label-ledger", error="invalid_token"'},
        )
    return caller


def authorize(caller: Caller, roles: frozenset[Role], action: str) -> str:
    """The caller's name (every event's actor) when its role may do ``action``."""
    if caller.role not in roles:
        allowed = " or ".join(sorted(roles))
        raise HttpProblem(
            FORBIDDEN, f"token {caller.name!r} has role {caller.role}; {action} needs {allowed}"
        )
    return caller.name
