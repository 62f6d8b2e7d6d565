"""API access tokens as ledger events: who may write, who may audit, and since when.

Only a token's SHA-256 hash is ever recorded; the secret itself is shown once
to whoever creates it. Tokens are aggregates ``token:<name>`` so issuing and
revoking them are recorded, attributed events like any certification decision.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Literal

import msgspec

from domain.errors import (
    InvalidTokenName,
)
from domain.events import LedgerEvent, register_event_type

Role = Literal["admin", "auditor"]
ROLES: tuple[Role, ...] = ("admin", "auditor")
TokenState = Literal["active", "revoked", "expired"]
TOKEN_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class TokenIssued(LedgerEvent, frozen=True, kw_only=True):
    TOPIC = "label-ledger/TokenIssued/v1"
    name: str
    role: Role
    token_hash: str
    expires_at: datetime | None = None
    """Added after tokens were first issued: events recorded before it decode with None
    (a token that never expires)."""


class TokenRevoked(LedgerEvent, frozen=True, kw_only=True):
    TOPIC = "label-ledger/TokenRevoked/v1"
    name: str


class TokenRotated(LedgerEvent, frozen=True, kw_only=True):
    """The token's secret was replaced; its role and expiry are as recorded here."""

    TOPIC = "label-ledger/TokenRotated/v1"
    name: str
    role: Role
    token_hash: str
    expires_at: datetime | None = None


register_event_type(TokenIssued)
register_event_type(TokenRevoked)
register_event_type(TokenRotated)


class Token(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    id: str
    version: int
    name: str
    role: Role
    token_hash: str
    issued_on: date
    revoked_on: date | None = None
    expires_at: datetime | None = None

    @property
    def is_revoked(self) -> bool:
        return self.revoked_on is not None

    def is_expired(self, at: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= at

    def state(self, at: datetime) -> TokenState:
        if self.is_revoked:
            return "revoked"
        return "expired" if self.is_expired(at) else "active"


def token_id(name: str) -> str:
    return f"token:{name}"


def check_token_name(name: str) -> str:
    if not TOKEN_NAME_PATTERN.match(name):
        msg = (
            f"invalid token name {name!r}: expected 1-64 letters, digits, '.', '_', '@' "
            "or '-', starting with a letter or digit"
        )
        raise InvalidTokenName(msg)
    return name


def project_token(state: Token | None, events: Iterable[LedgerEvent]) -> Token | None:
    for event in events:
        if isinstance(event, TokenIssued):
            state = Token(
                id=event.originator_id,
                version=event.originator_version,
                name=event.name,
                role=event.role,
                token_hash=event.token_hash,
                issued_on=event.effective_on,
                expires_at=event.expires_at,
            )
        elif isinstance(event, TokenRevoked) and state is not None:
            state = msgspec.structs.replace(
                state, version=event.originator_version, revoked_on=event.effective_on
            )
        elif isinstance(event, TokenRotated) and state is not None:
            state = msgspec.structs.replace(
                state,
                version=event.originator_version,
                role=event.role,
                token_hash=event.token_hash,
                expires_at=event.expires_at,
            )
    return state
