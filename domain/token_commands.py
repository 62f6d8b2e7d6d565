"""The rules of the token commands: what each does to an API access token."""

from __future__ import annotations

from datetime import datetime

from domain.access import Token, TokenIssued, TokenRevoked, TokenRotated, check_token_name, token_id
from domain.commands import IssueToken, RevokeToken, RotateToken
from domain.envelope import envelope
from domain.errors import (
    DuplicateTokenName,
    InvalidTokenExpiry,
    TokenAlreadyRevoked,
    TokenNotFound,
)
from domain.given import Given
from domain.rules import rule
from domain.values import Provenance


@rule(IssueToken)
def issue_token(c: IssueToken, given: Given, p: Provenance) -> list[TokenIssued]:
    check_token_name(c.name)
    if given.find_token(c.name) is not None:
        msg = f"a token named {c.name!r} already exists; choose another name"
        raise DuplicateTokenName(msg)
    return [
        TokenIssued(
            **envelope(token_id(c.name), 1, p, p.recorded_at.date()),
            name=c.name,
            role=c.role,
            token_hash=c.token_hash,
            expires_at=check_expiry(c.expires_at, p),
        )
    ]


def check_expiry(expires_at: datetime | None, p: Provenance) -> datetime | None:
    if expires_at is not None and expires_at <= p.recorded_at:
        msg = f"the expiry {expires_at.isoformat()} is not after {p.recorded_at.isoformat()}"
        raise InvalidTokenExpiry(msg, field="expires_at")
    return expires_at


@rule(RevokeToken)
def revoke_token(c: RevokeToken, given: Given, p: Provenance) -> list[TokenRevoked]:
    existing = unrevoked_token(c.name, given)
    return [
        TokenRevoked(
            **envelope(existing.id, existing.version + 1, p, p.recorded_at.date()), name=c.name
        )
    ]


@rule(RotateToken)
def rotate_token(c: RotateToken, given: Given, p: Provenance) -> list[TokenRotated]:
    existing = unrevoked_token(c.name, given)
    return [
        TokenRotated(
            **envelope(existing.id, existing.version + 1, p, p.recorded_at.date()),
            name=c.name,
            role=c.role or existing.role,
            token_hash=c.token_hash,
            expires_at=check_expiry(c.expires_at or existing.expires_at, p),
        )
    ]


def unrevoked_token(name: str, given: Given) -> Token:
    existing = given.find_token(name)
    if existing is None:
        msg = f"no token named {name!r}"
        raise TokenNotFound(msg)
    if existing.is_revoked:
        msg = f"token {name!r} was already revoked on {existing.revoked_on}"
        raise TokenAlreadyRevoked(msg)
    return existing
