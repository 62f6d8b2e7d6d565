"""Recorded events as the API shows them: the leaf's inputs exactly as hashed, then the
decoded fields in ``data``.

Everything a Merkle leaf is computed from is in the item (see
``infrastructure/tamper/feed.py`` and the README's feed recipe), so an auditor recomputes
the leaf from the item alone. Payloads carrying a secret's hash are redacted: ``payload``
is null, ``payload_sha256`` still proves the leaf, and ``data`` leaves the hash out.
"""

from __future__ import annotations

from typing import Any

import msgspec

from domain.envelope import Envelope
from domain.events import LedgerEvent
from domain.values import event_id
from infrastructure.ledger import Ledger
from infrastructure.tamper.feed import REDACTED_FIELDS, leaf_inputs
from infrastructure.tamper.leaf import StoredRow

ENVELOPE_FIELDS = frozenset(Envelope.__annotations__)
DECODE_ERRORS = (msgspec.DecodeError, UnicodeDecodeError, ValueError, KeyError, TypeError)


class FeedItem(msgspec.Struct, frozen=True, kw_only=True):
    """One recorded event: the inputs of its Merkle leaf, then what it says."""

    event_id: str
    position: int
    aggregate_id: str
    version: int
    type: str
    topic: str
    recorded_at: str
    effective_on: str
    actor: str
    idempotency_key: str | None
    source: str | None
    evidence: str | None
    """How firmly the source states the fact: stated, weak or inferred (None: ungraded)."""
    payload_sha256: str
    payload: bytes | None
    data: dict[str, Any]


class FeedPage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of the global feed; ``next`` is the ``after`` of the next page, if any."""

    events: list[FeedItem]
    next: int | None


class AggregateHistory(msgspec.Struct, frozen=True, kw_only=True):
    aggregate_id: str
    version: int
    events: list[FeedItem]


def feed_item(ledger: Ledger, row: StoredRow) -> FeedItem:
    inputs = leaf_inputs(row)
    event = _decoded(ledger, inputs.topic, row[4])
    return FeedItem(
        event_id=event_id(inputs.aggregate_id, inputs.version),
        position=inputs.position,
        aggregate_id=inputs.aggregate_id,
        version=inputs.version,
        type=inputs.topic.split("/")[1] if inputs.topic.count("/") >= 2 else inputs.topic,
        topic=inputs.topic,
        recorded_at=inputs.recorded_at,
        effective_on=inputs.effective_on,
        actor=inputs.actor,
        idempotency_key=inputs.idempotency_key,
        source=None if event is None else event.source,
        evidence=None if event is None else event.evidence,
        payload_sha256=inputs.payload_sha256,
        payload=inputs.payload,
        data={} if event is None else event_data(event),
    )


def event_data(event: LedgerEvent) -> dict[str, Any]:
    fields: dict[str, Any] = msgspec.to_builtins(event)
    hidden = ENVELOPE_FIELDS | REDACTED_FIELDS
    return {name: value for name, value in fields.items() if name not in hidden}


def _decoded(ledger: Ledger, topic: str, state: bytes) -> LedgerEvent | None:
    try:
        event: LedgerEvent = ledger.ledger_mapper.decode_state(topic, state)
    except DECODE_ERRORS:
        # A damaged row is still served with its leaf inputs: the leaf will not verify.
        return None
    return event
