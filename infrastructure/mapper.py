"""Stores events as msgspec JSON under stable topics (the aggregate9 pattern on 9.5.6)."""

from __future__ import annotations

from typing import Any

import msgspec
from eventsourcing.persistence import (
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoder,
)

from domain.events import LedgerEvent
from infrastructure.event_catalogue import current_topics, legacy_schema


class NullTranscoder(Transcoder):
    """Fills the library's transcoder slot; msgspec does the encoding."""

    def encode(self, obj: Any) -> bytes:
        raise NotImplementedError

    def decode(self, data: bytes) -> Any:
        raise NotImplementedError


class MsgspecMapper(Mapper[str]):
    """Encodes whole event structs; decodes by topic with cached typed decoders."""

    def __init__(self, transcoder: Transcoder | None = None, **kwargs: Any) -> None:
        super().__init__(transcoder or NullTranscoder(), **kwargs)
        self._encoder = msgspec.json.Encoder()
        self._decoders: dict[str, msgspec.json.Decoder[Any]] = {}
        self._topics = current_topics()

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        state = self._encoder.encode(domain_event)
        if self.compressor:
            state = self.compressor.compress(state)
        if self.cipher:
            state = self.cipher.encrypt(state)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=type(domain_event).TOPIC,
            state=state,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> LedgerEvent:
        state = stored_event.state
        if self.cipher:
            state = self.cipher.decrypt(state)
        if self.compressor:
            state = self.compressor.decompress(state)
        try:
            return self.decode_state(stored_event.topic, state)
        except (msgspec.DecodeError, KeyError) as error:
            msg = (
                f"cannot decode event {stored_event.originator_id}@"
                f"{stored_event.originator_version} ({stored_event.topic}): {error}"
            )
            raise MapperDeserialisationError(msg) from error

    def decode_state(self, topic: str, state: bytes) -> LedgerEvent:
        decoder = self._decoders.get(topic)
        if decoder is None:
            decoder = self._decoders[topic] = self._decoder_for(topic)
        event = decoder.decode(state)
        if isinstance(event, LedgerEvent):
            return event
        legacy = legacy_schema(topic)
        assert legacy is not None
        return legacy.upcast(event)

    def _decoder_for(self, topic: str) -> msgspec.json.Decoder[Any]:
        cls = self._topics.get(topic)
        if cls is not None:
            return msgspec.json.Decoder(cls)
        legacy = legacy_schema(topic)
        if legacy is None:
            msg = f"unknown event topic {topic!r}"
            raise KeyError(msg)
        return msgspec.json.Decoder(legacy.struct)
