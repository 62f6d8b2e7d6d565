"""Bearer-token authentication and the two roles: admins write, auditors read everything."""

from __future__ import annotations

from fastapi.security import HTTPBearer

from api.http.problems import FORBIDDEN, UNAUTHORIZED, HttpProblem
from domain.access import Role
from infrastructure.access.tokens import Caller

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="BearerToken",
    bearerFormat="llt_…",
    description="A token from `label-ledger token create --role admin|auditor --name NAME`.",
)
READ_ROLES: frozenset[Role] = frozenset({"admin", "auditor"})
WRITE_ROLES: frozenset[Role] = frozenset({"admin"})
CHALLENGE = 'Bearer realm="label-ledger"'


def bearer_secret(authorization: str | None) -> str:
    """The secret of an ``Authorization: Bearer <token>`` header; never echoed or logged."""
    scheme, _, secret = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise HttpProblem(
            UNAUTHORIZED,
            "this endpoint needs 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": CHALLENGE},
        )
    return secret.strip()


def identified(caller: Caller | None) -> Caller:
    if caller is None:
        raise HttpProblem(
            UNAUTHORIZED,
            "the bearer token is unknown, revoked or expired",
            headers={"WWW-Authenticate": f'{CHALLENGE}, error="invalid_token"'},
        )
    return caller


def authorize(caller: Caller, roles: frozenset[Role], action: str) -> Caller:
    """The caller, when its role may do ``action``."""
    if caller.role not in roles:
        allowed = " or ".join(sorted(roles))
        raise HttpProblem(
            FORBIDDEN, f"token {caller.name!r} has role {caller.role}; {action} needs {allowed}"
        )
    return caller
