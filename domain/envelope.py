"""The fields every event shares: identity, order, time and provenance."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypedDict

from domain.values import Evidence, Provenance


class Envelope(TypedDict):
    originator_id: str
    originator_version: int
    timestamp: datetime
    actor: str
    effective_on: date
    source: str | None
    idempotency_key: str | None
    evidence: Evidence | None


def envelope(aggregate_id: str, next_version: int, p: Provenance, effective_on: date) -> Envelope:
    return Envelope(
        originator_id=aggregate_id,
        originator_version=next_version,
        timestamp=p.recorded_at,
        actor=p.actor,
        effective_on=effective_on,
        source=p.source,
        idempotency_key=p.idempotency_key,
        evidence=p.evidence,
    )
