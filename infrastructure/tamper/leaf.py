"""Leaf encoding v1: the canonical bytes a ledger event contributes to the Merkle tree.

Event at ledger position ``p`` (1-based; Merkle leaf index ``p - 1``) is the leaf::

    leaf_data = b"label-ledger/leaf/v1\\n" + JSON([
        position,          # int: the global ledger position p
        aggregate_id,      # str: the stored row's originator_id, e.g. "cluster:polymeris"
        version,           # int: the stored row's originator_version
        topic,             # str: the stored row's topic, e.g. "label-ledger/LabelGranted/v1"
        recorded_at,       # str: the event's "timestamp" (RFC 3339, UTC, "Z"), verbatim
        effective_on,      # str: the event's "effective_on" (ISO 8601 date), verbatim
        actor,             # str: the event's "actor"
        idempotency_key,   # str or null: the event's "idempotency_key"
        payload_sha256,    # str: lowercase hex SHA-256 of the stored state bytes
    ])
    leaf_hash = SHA-256(0x00 || leaf_data)                  # RFC 9162 leaf

``JSON`` is compact msgspec JSON: no whitespace, UTF-8 strings with only ``"``, ``\\``
and control characters escaped. The four event fields are read verbatim from the
stored state (a msgspec JSON object), so an auditor recomputes a leaf from the stored
row alone, with no need to decode the whole event or to re-render dates. The payload
stays outside the leaf (only its hash is in), which keeps a later redaction verifiable.

A change to any of this is a new version (``label-ledger/leaf/v2``): stored leaves keep
the version they were written with.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from hashlib import sha256

import msgspec

from infrastructure.merkle import leaf_hash

LEAF_VERSION = "label-ledger/leaf/v1"
_LEAF_PREFIX = LEAF_VERSION.encode() + b"\n"
_HASHED_PREFIX = b"\x00" + _LEAF_PREFIX

StoredRow = tuple[int, str, int, str, bytes]
"""``(position, aggregate_id, version, topic, state)`` as the events table holds it."""


class UndecodableEvent(ValueError):
    """A stored event whose state is not an event envelope any more."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"stored event at position {position} does not decode: {reason}")
        self.position = position


class Envelope(msgspec.Struct):
    # Only the fields the leaf needs; msgspec skips the rest of the event unread.
    timestamp: str
    actor: str
    effective_on: str
    idempotency_key: str | None = None


decode_envelope = msgspec.json.Decoder(Envelope).decode
# Invalid UTF-8 inside a field that is decoded surfaces as UnicodeDecodeError.
DECODE_ERRORS = (msgspec.DecodeError, UnicodeDecodeError)
_encode = msgspec.json.Encoder().encode


def payload_hash(state: bytes) -> str:
    return sha256(state).hexdigest()


def leaf_data(position: int, aggregate_id: str, version: int, topic: str, state: bytes) -> bytes:
    """The canonical v1 encoding of one stored event (before the 0x00 leaf prefix)."""
    envelope = _envelope_at(position, state)
    return _LEAF_PREFIX + _encode(
        (
            position,
            aggregate_id,
            version,
            topic,
            envelope.timestamp,
            envelope.effective_on,
            envelope.actor,
            envelope.idempotency_key,
            payload_hash(state),
        )
    )


def leaf_hash_of(position: int, aggregate_id: str, version: int, topic: str, state: bytes) -> bytes:
    return leaf_hash(leaf_data(position, aggregate_id, version, topic, state))


def leaf_hashes(rows: Sequence[StoredRow]) -> list[bytes]:
    """Leaf hashes of many stored rows; the hot path of appending and of verification."""
    try:
        envelopes = [decode_envelope(row[4]) for row in rows]
    except (*DECODE_ERRORS, TypeError):
        _raise_first_undecodable(rows)
        raise
    digest = sha256
    encode = _encode
    prefix = _HASHED_PREFIX
    # One comprehension, locals only: this runs once per event of the ledger.
    try:
        return [
            digest(
                prefix
                + encode(
                    (
                        position,
                        aggregate_id,
                        version,
                        topic,
                        e.timestamp,
                        e.effective_on,
                        e.actor,
                        e.idempotency_key,
                        digest(state).hexdigest(),
                    )
                )
            ).digest()
            for (position, aggregate_id, version, topic, state), e in zip(
                rows, envelopes, strict=True
            )
        ]
    except TypeError:
        _raise_first_undecodable(rows)
        raise


class LeafInputs(msgspec.Struct, frozen=True, kw_only=True):
    """One event as its leaf hashes it, as the feed serves it; ``payload`` is None when
    redacted (the leaf needs only its hash)."""

    position: int
    aggregate_id: str
    version: int
    topic: str
    recorded_at: str
    effective_on: str
    actor: str
    idempotency_key: str | None
    payload_sha256: str
    payload: bytes | None


def leaf_hash_of_inputs(item: LeafInputs) -> bytes:
    """The leaf of a feed entry, from its served fields alone."""
    return sha256(
        _HASHED_PREFIX
        + _encode(
            (
                item.position,
                item.aggregate_id,
                item.version,
                item.topic,
                item.recorded_at,
                item.effective_on,
                item.actor,
                item.idempotency_key,
                item.payload_sha256,
            )
        )
    ).digest()


def leaf_hashes_of_inputs(items: Sequence[LeafInputs]) -> list[bytes]:
    """Leaves of many feed entries (the audit client's hot path)."""
    digest, encode, prefix = sha256, _encode, _HASHED_PREFIX
    return [
        digest(
            prefix
            + encode(
                (
                    i.position,
                    i.aggregate_id,
                    i.version,
                    i.topic,
                    i.recorded_at,
                    i.effective_on,
                    i.actor,
                    i.idempotency_key,
                    i.payload_sha256,
                )
            )
        ).digest()
        for i in items
    ]


def inputs_disagree(item: LeafInputs) -> str | None:
    """Why a feed entry's fields are not those of its own payload, if they are not."""
    payload = item.payload
    if payload is None:
        return None
    if sha256(payload).hexdigest() != item.payload_sha256:
        return "its payload does not have the SHA-256 it is served with"
    try:
        e = decode_envelope(payload)
    except DECODE_ERRORS as error:
        return f"its payload is not an event: {error}"
    served = (item.recorded_at, item.effective_on, item.actor, item.idempotency_key)
    if (e.timestamp, e.effective_on, e.actor, e.idempotency_key) != served:
        return "its recorded time, effective date, actor or key differ from its payload's"
    return None


def recorded_at(position: int, state: bytes) -> str:
    """The recorded time (RFC 3339 text) of a stored event."""
    return _envelope_at(position, state).timestamp


def _envelope_at(position: int, state: bytes) -> Envelope:
    try:
        return decode_envelope(state)
    except DECODE_ERRORS as error:
        raise UndecodableEvent(position, str(error)) from None


def _raise_first_undecodable(rows: Iterable[StoredRow]) -> None:
    for row in rows:
        wrong = wrong_type(row)
        if wrong is not None:
            raise UndecodableEvent(row[0], wrong)
        _envelope_at(row[0], row[4])


_COLUMN_TYPES = (
    ("aggregate id", str),
    ("version", int),
    ("topic", str),
    ("payload", bytes),
)


def wrong_type(row: StoredRow) -> str | None:
    """A stored row whose columns hold values of another type (a database edited by hand)."""
    for (column, kind), value in zip(_COLUMN_TYPES, row[1:], strict=True):
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"its {column} is a {type(value).__name__}, not a {kind.__name__}"
    return None
