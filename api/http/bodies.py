"""Response bodies of the read routes, encoded with msgspec (requests are commands:
``domain/commands.py`` and ``api/http/commands.py``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

import msgspec

from domain.access import Role
from infrastructure.tamper.guard import Finding

# --- responses --------------------------------------------------------------


class EventItem(msgspec.Struct, frozen=True, kw_only=True):
    """One recorded event: where it sits in the ledger, who recorded it, what it says."""

    event_id: str
    position: int
    aggregate_id: str
    version: int
    type: str
    recorded_at: datetime
    effective_on: date
    actor: str
    source: str | None
    data: dict[str, Any]


class EventPage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of the global feed; ``next`` is the ``after`` of the next page, if any."""

    events: list[EventItem]
    next: int | None


class AggregateHistory(msgspec.Struct, frozen=True, kw_only=True):
    aggregate_id: str
    version: int
    events: list[EventItem]


class Health(msgspec.Struct, frozen=True, kw_only=True):
    """The process answers: ``failing`` when the store does not answer within a second or
    a verification found the ledger inconsistent (``integrity`` names the finding)."""

    status: Literal["ok", "failing"]
    version: str
    position: int | None
    """The ledger's last position; null when the store did not answer."""
    store: Literal["reachable", "unreachable"]
    integrity: Finding | None


class ReadinessCheck(msgspec.Struct, frozen=True, kw_only=True):
    name: Literal["store", "read-models", "tree", "integrity"]
    ok: bool
    detail: str


class Readiness(msgspec.Struct, frozen=True, kw_only=True):
    """Every check passed: the store answers, the read models and the Merkle tree are at
    the ledger's position, no verification found it inconsistent."""

    status: Literal["ready"]
    position: int
    checks: list[ReadinessCheck]


class CallerView(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    role: Role
