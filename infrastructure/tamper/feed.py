"""The verifiable feed: every event with everything its Merkle leaf is computed from.

A feed entry carries the leaf's inputs exactly as they are hashed (leaf encoding v1,
``leaf.py``): position, aggregate id, version, full topic, the recorded time, effective
date, actor and idempotency key as the stored payload spells them, the payload's
SHA-256, and the stored payload bytes themselves. So an auditor with HTTP access only
recomputes every leaf, and the root, with SHA-256 and a JSON encoder.

Payloads holding a secret's hash (an event with a field in ``REDACTED_FIELDS``:
``TokenIssued``, and any later token event that carries a hash) are redacted: the entry
carries the payload's SHA-256, which is all the leaf needs, and no payload. The leaf still verifies;
what such a payload says cannot be read by auditors, by design (see the README).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from hashlib import sha256
from typing import TYPE_CHECKING

from infrastructure.event_catalogue import current_topics
from infrastructure.store.sql import Tx
from infrastructure.tamper.event_rows import EventTable, event_table
from infrastructure.tamper.leaf import DECODE_ERRORS, LeafInputs, StoredRow, decode_envelope
from infrastructure.tamper.reads import select_all

if TYPE_CHECKING:
    from infrastructure.ledger import Ledger

REDACTED_FIELDS = frozenset({"token_hash"})
MAX_STREAM_PAGE = 10_000
__all__ = ["LeafInputs", "feed_rows", "leaf_inputs"]


@functools.cache
def redacted_topics() -> frozenset[str]:
    """The topics of every event type that holds a redacted field (computed once, when
    first served: every event type is registered by then)."""
    return frozenset(
        topic
        for topic, cls in current_topics().items()
        if not REDACTED_FIELDS.isdisjoint(cls.__struct_fields__)
    )


def leaf_inputs(row: StoredRow) -> LeafInputs:
    position, aggregate_id, version, topic, state = row
    try:
        envelope = decode_envelope(state)
        recorded, effective, actor, key = (
            envelope.timestamp,
            envelope.effective_on,
            envelope.actor,
            envelope.idempotency_key,
        )
    except DECODE_ERRORS:
        # A damaged row is served as it is: its leaf will not verify, which is the point.
        recorded, effective, actor, key = "", "", "", None
    return LeafInputs(
        position=position,
        aggregate_id=aggregate_id,
        version=version,
        topic=topic,
        recorded_at=recorded,
        effective_on=effective,
        actor=actor,
        idempotency_key=key,
        payload_sha256=sha256(state).hexdigest(),
        payload=None if topic in redacted_topics() else state,
    )


def feed_rows(
    ledger: Ledger,
    *,
    after: int,
    limit: int,
    upto: int | None = None,
    aggregate_id: str | None = None,
) -> list[StoredRow]:
    """Stored rows after a position (optionally of one aggregate, up to a position)."""
    with ledger.store.statement_read() as tx:
        return rows_after(tx, event_table(tx), after, limit, upto, aggregate_id)


def rows_after(
    tx: Tx,
    events: EventTable,
    after: int,
    limit: int,
    upto: int | None,
    aggregate_id: str | None,
) -> list[StoredRow]:
    conditions, params = [f"{events.position} > ?"], [after]
    if upto is not None:
        conditions.append(f"{events.position} <= ?")
        params.append(upto)
    values: list[object] = list(params)
    if aggregate_id is not None:
        conditions.append("originator_id = ?")
        values.append(aggregate_id)
    values.append(limit)
    rows: Sequence[StoredRow] = select_all(
        tx,
        f"SELECT {events.position}, originator_id, originator_version, topic, state "
        f"FROM {events.name} WHERE {' AND '.join(conditions)} "
        f"ORDER BY {events.position} LIMIT ?",
        values,
    )
    return [(int(p), str(a), int(v), str(t), bytes(s)) for p, a, v, t, s in rows]


def last_position(ledger: Ledger) -> int:
    with ledger.store.statement_read() as tx:
        return event_table(tx).last_position(tx)
