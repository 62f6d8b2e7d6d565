"""Issuing, revoking and recognising API access tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets

import msgspec
from eventsourcing.application import AggregateNotFoundError

from domain import access
from domain.access import Role, Token, token_id
from domain.errors import DuplicateTokenName
from infrastructure.access.token_table import TokenRow, all_tokens, token_by_hash
from infrastructure.ledger import Ledger, Origin, Receipt
from infrastructure.store.sql import Tx

TOKEN_PREFIX = "llt_"


class IssuedToken(msgspec.Struct, frozen=True, kw_only=True):
    """A new token: the secret is in this value only, never in the ledger."""

    name: str
    role: Role
    secret: str
    receipt: Receipt


class Caller(msgspec.Struct, frozen=True, kw_only=True):
    """Whoever a valid, unrevoked token identifies."""

    name: str
    role: Role


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def find_token(ledger: Ledger, name: str) -> Token | None:
    try:
        token = ledger.repository.get(token_id(name), projector_func=access.project_token)
    except AggregateNotFoundError:
        return None
    assert isinstance(token, Token)
    return token


def issue_token(ledger: Ledger, origin: Origin, *, name: str, role: Role) -> IssuedToken:
    secret = new_secret()
    event = access.issue_token(
        find_token(ledger, access.check_token_name(name)),
        ledger.provenance(origin),
        name=name,
        role=role,
        token_hash=hash_secret(secret),
    )
    duplicate = DuplicateTokenName(f"a token named {name!r} already exists")
    receipt = ledger.append([event], on_duplicate=lambda: duplicate)
    return IssuedToken(name=name, role=role, secret=secret, receipt=receipt)


def revoke_token(ledger: Ledger, origin: Origin, *, name: str) -> Receipt:
    event = access.revoke_token(find_token(ledger, name), ledger.provenance(origin), name=name)
    return ledger.append([event])


def list_tokens(ledger: Ledger) -> list[TokenRow]:
    with ledger.read() as tx:
        return all_tokens(tx)


def identify(ledger: Ledger, secret: str) -> Caller | None:
    """The caller a presented secret identifies, or None if unknown or revoked."""
    with ledger.read() as tx:
        return caller_of(tx, secret)


def caller_of(tx: Tx, secret: str) -> Caller | None:
    """:func:`identify` inside a read the caller holds (to read more in the same one)."""
    presented = hash_secret(secret)
    row = token_by_hash(tx, presented)
    # The lookup is by hash; the constant-time comparison keeps the final check
    # free of timing differences whatever the database's index does.
    if row is None or not hmac.compare_digest(row.token_hash, presented) or row.revoked:
        return None
    return Caller(name=row.name, role=row.role)
