"""Recorded events as the API shows them: envelope first, the event's own fields in ``data``."""

from __future__ import annotations

from typing import Any

import msgspec

from api.http.bodies import EventItem
from domain.envelope import Envelope
from domain.events import event_type_name
from domain.replay import Positioned
from domain.values import event_id

ENVELOPE_FIELDS = frozenset(Envelope.__annotations__)


def event_item(entry: Positioned) -> EventItem:
    event = entry.event
    return EventItem(
        event_id=event_id(event.originator_id, event.originator_version),
        position=entry.position,
        aggregate_id=event.originator_id,
        version=event.originator_version,
        type=event_type_name(type(event)),
        recorded_at=event.timestamp,
        effective_on=event.effective_on,
        actor=event.actor,
        source=event.source,
        data=event_data(event),
    )


def event_data(event: msgspec.Struct) -> dict[str, Any]:
    fields: dict[str, Any] = msgspec.to_builtins(event)
    return {name: value for name, value in fields.items() if name not in ENVELOPE_FIELDS}
