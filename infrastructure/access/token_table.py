"""The ``api_tokens`` lookup table: token hash -> name, role, revoked.

It is derived from the token events and written in their append transaction,
so a token is usable exactly when its issue is recorded, and unusable from
the moment its revocation is.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from domain.access import Role, TokenIssued, TokenRevoked
from infrastructure.store.hooks import AppendedEvent
from infrastructure.store.sql import Tx

TABLE = "api_tokens"


class TokenRow(msgspec.Struct, frozen=True, kw_only=True):
    token_hash: str
    name: str
    role: Role
    revoked: bool


def create_token_table(tx: Tx) -> None:
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {tx.table(TABLE)} ("
        "token_hash TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
        "role TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0)"
    )


def record_token_events(tx: Tx, appended: Sequence[AppendedEvent]) -> None:
    for entry in appended:
        event = entry.event
        if isinstance(event, TokenIssued):
            tx.execute(
                f"INSERT INTO {tx.table(TABLE)} (token_hash, name, role, revoked) "
                "VALUES (?, ?, ?, 0)",
                (event.token_hash, event.name, event.role),
            )
        elif isinstance(event, TokenRevoked):
            tx.execute(f"UPDATE {tx.table(TABLE)} SET revoked = 1 WHERE name = ?", (event.name,))


def token_by_hash(tx: Tx, token_hash: str) -> TokenRow | None:
    tx.execute(
        f"SELECT token_hash, name, role, revoked FROM {tx.table(TABLE)} WHERE token_hash = ?",
        (token_hash,),
    )
    row = tx.fetchone()
    return None if row is None else _token_row(row)


def all_tokens(tx: Tx) -> list[TokenRow]:
    tx.execute(f"SELECT token_hash, name, role, revoked FROM {tx.table(TABLE)} ORDER BY name")
    return [_token_row(row) for row in tx.fetchall()]


def _token_row(row: tuple[object, ...]) -> TokenRow:
    return TokenRow(token_hash=str(row[0]), name=str(row[1]), role=row[2], revoked=bool(row[3]))  # type: ignore[arg-type]
