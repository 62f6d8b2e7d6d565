"""The archive format: gzip-compressed JSON lines, a header line then one line per event and
per signed checkpoint, in ledger order.

Each event line carries the stored row exactly (``payload``: the stored bytes, in base64)
with the inputs of its Merkle leaf spelled out and the leaf itself, so a reader checks
every line alone, and the running root at every checkpoint. A checkpoint line stands
right after the event at its tree size (before the first event for a tree of size 0).
"""

from __future__ import annotations

import msgspec

ARCHIVE_FORMAT = "label-ledger-archive"
ARCHIVE_VERSION = 1


class ArchiveHeader(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    tag="header",
    tag_field="kind",
):
    format: str
    version: int
    leaf: str
    """The leaf encoding of every event (``label-ledger/leaf/v1``)."""
    origin: str | None
    """The log's name (its checkpoints' origin), if it has one."""
    source: str
    """The store it was exported from: ``sqlite`` or ``postgresql``."""
    events: int
    tree_size: int
    root: str
    """The stored tree's root at ``tree_size``, in hex."""
    checkpoints: int
    created_at: str


class EventLine(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    tag="event",
    tag_field="kind",
):
    position: int
    aggregate_id: str
    version: int
    topic: str
    recorded_at: str
    effective_on: str
    actor: str
    idempotency_key: str | None
    payload: bytes
    leaf: str


class CheckpointLine(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    tag="checkpoint",
    tag_field="kind",
):
    seq: int
    tree_size: int
    note: str


class Envelope(msgspec.Struct, frozen=True):
    """The leaf inputs read from a stored payload (the rest of the event is skipped)."""

    timestamp: str
    actor: str
    effective_on: str
    idempotency_key: str | None = None


ArchiveLine = EventLine | CheckpointLine

encode_line = msgspec.json.Encoder().encode
decode_header = msgspec.json.Decoder(ArchiveHeader).decode
decode_line = msgspec.json.Decoder(ArchiveLine).decode
decode_envelope = msgspec.json.Decoder(Envelope).decode
