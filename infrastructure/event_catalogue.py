"""Maps stored topics to event classes, including retired schema versions.

A topic names a schema, not a Python path: ``label-ledger/<Name>/v<N>``.
When an event's schema must change incompatibly, the new class gets topic
``v<N+1>``, the old shape is kept here as a legacy struct, and an upcaster
turns decoded old events into the new class. Compatible additions (a new
field with a default) need no new version: msgspec fills the default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from domain.events import LedgerEvent, event_types

Upcaster = Callable[[Any], LedgerEvent]


class LegacySchema(msgspec.Struct, frozen=True):
    struct: type[msgspec.Struct]
    upcast: Upcaster


_LEGACY: dict[str, LegacySchema] = {}


def register_legacy_topic(topic: str, struct: type[msgspec.Struct], upcast: Upcaster) -> None:
    """Declares how to read events stored under a retired topic."""
    _LEGACY[topic] = LegacySchema(struct=struct, upcast=upcast)


def current_topics() -> dict[str, type[LedgerEvent]]:
    return {cls.TOPIC: cls for cls in event_types()}


def legacy_schema(topic: str) -> LegacySchema | None:
    return _LEGACY.get(topic)
