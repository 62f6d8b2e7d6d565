"""Events decoded from feed payloads by their topic, with the domain's own structs."""

from __future__ import annotations

import msgspec

import domain.access  # noqa: F401  (registers the access events' topics)
from domain.events import LedgerEvent
from infrastructure.event_catalogue import current_topics, legacy_schema

_decoders: dict[str, msgspec.json.Decoder[LedgerEvent]] = {}
_ERRORS = (msgspec.DecodeError, UnicodeDecodeError, ValueError, TypeError)


def decode_event(topic: str, payload: bytes) -> LedgerEvent | None:
    """The event, or None when the payload is not one of its topic."""
    try:
        decoder = _decoders.get(topic)
        if decoder is not None:
            return decoder.decode(payload)
        cls = current_topics().get(topic)
        if cls is not None:
            _decoders[topic] = msgspec.json.Decoder(cls)
            return _decoders[topic].decode(payload)
        legacy = legacy_schema(topic)
        if legacy is not None:
            return legacy.upcast(msgspec.json.decode(payload, type=legacy.struct))
    except _ERRORS:
        return None
    return None
