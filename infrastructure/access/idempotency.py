"""Idempotency records: the first response to a keyed write, stored with its events.

The record is inserted by an append hook in the very transaction that appends
the write's events, so a key is claimed if and only if its events exist. The
response body is built there from the appended events, which makes it the same
body the route answers with the first time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from domain.values import event_id
from infrastructure.ledger import Ledger, RecordedEvent
from infrastructure.store.group_commit import per_append
from infrastructure.store.hooks import AppendedEvent
from infrastructure.store.sql import Tx

TABLE = "idempotency_keys"
OPTION = "idempotency"
CREATED = 201


class WriteResult(msgspec.Struct, frozen=True, kw_only=True):
    """What a write appended: its first event, that aggregate's new version, every event."""

    event_id: str
    position: int
    aggregate_id: str
    version: int
    type: str
    events: tuple[RecordedEvent, ...]


class IdempotencyClaim(msgspec.Struct, frozen=True, kw_only=True):
    """A keyed write: recorded with its events under ``(actor, key)``."""

    actor: str
    key: str
    fingerprint: str


class StoredResponse(msgspec.Struct, frozen=True, kw_only=True):
    fingerprint: str
    status: int
    body: bytes


def write_result(events: Sequence[RecordedEvent]) -> WriteResult:
    first = events[0]
    return WriteResult(
        event_id=first.event_id,
        position=first.position,
        aggregate_id=first.aggregate_id,
        version=max(e.version for e in events if e.aggregate_id == first.aggregate_id),
        type=first.type,
        events=tuple(events),
    )


def recorded(entry: AppendedEvent) -> RecordedEvent:
    return RecordedEvent(
        event_id=event_id(entry.originator_id, entry.originator_version),
        position=entry.position,
        aggregate_id=entry.originator_id,
        version=entry.originator_version,
        type=type(entry.event).__name__,
    )


def create_idempotency_table(tx: Tx) -> None:
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {tx.table(TABLE)} ("
        "actor TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, "
        f"status INTEGER NOT NULL, response {tx.blob_type} NOT NULL, "
        "PRIMARY KEY (actor, key))"
    )


def record_response(
    tx: Tx, appended: Sequence[AppendedEvent], options: Mapping[str, Any]
) -> None:
    rows = []
    for events, part_options in per_append(appended, options):
        claim: IdempotencyClaim | None = part_options.get(OPTION)
        if claim is None or not events:
            continue
        body = msgspec.json.encode(write_result([recorded(entry) for entry in events]))
        rows.append((claim.actor, claim.key, claim.fingerprint, CREATED, body))
    if not rows:
        return
    # A concurrent duplicate fails this insert on the primary key, which rolls
    # back its events too: two requests with one key never append twice.
    tx.executemany(
        f"INSERT INTO {tx.table(TABLE)} (actor, key, fingerprint, status, response) "
        "VALUES (?, ?, ?, ?, ?)",
        rows,
    )


def find_response(ledger: Ledger, actor: str, key: str) -> StoredResponse | None:
    with ledger.read() as tx:
        return stored_response(tx, actor, key)


def stored_response(tx: Tx, actor: str, key: str) -> StoredResponse | None:
    tx.execute(
        f"SELECT fingerprint, status, response FROM {tx.table(TABLE)} "
        "WHERE actor = ? AND key = ?",
        (actor, key),
    )
    row = tx.fetchone()
    if row is None:
        return None
    return StoredResponse(fingerprint=str(row[0]), status=int(row[1]), body=bytes(row[2]))
