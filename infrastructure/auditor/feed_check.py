"""One batch of the feed checked and turned into leaves and events, at feed speed.

Per entry: its position is the next one (no gap, no repeat), its payload has the SHA-256
it is served with, its version follows its aggregate's last one; then its leaf is
computed from its served fields. That the served recorded time, date, actor and key are
the payload's own follows from the root: the leaf the log signed was computed from the
payload itself, so served fields that differ give another leaf.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha256

from domain.view_fold import PositionedEvent
from infrastructure.auditor.decoding import decode_event
from infrastructure.auditor.problems import (
    FEED_INCONSISTENT,
    ROW_DELETED,
    ROWS_REORDERED,
    AuditFailed,
    AuditProblem,
)
from infrastructure.tamper.leaf import LeafInputs, leaf_hashes_of_inputs

FOLDED = ("cluster:", "stage:")
Heads = dict[str, tuple[int, int]]


def check_batch(
    batch: Sequence[LeafInputs], expected: int, heads: Heads
) -> tuple[list[bytes], list[PositionedEvent], int | None]:
    """Leaves and decoded events of a batch starting at position ``expected``; also the
    first position whose payload does not decode (judged once the root is known)."""
    positions = [item.position for item in batch]
    if positions != list(range(expected, expected + len(batch))):
        raise _gap(positions, expected)
    for item in batch:
        payload = item.payload
        if payload is not None and sha256(payload).hexdigest() != item.payload_sha256:
            raise _fail(
                item.position,
                FEED_INCONSISTENT,
                f"the entry at {item.position}: its payload does not have the SHA-256 it is "
                "served with",
            )
    for item in batch:
        aggregate = item.aggregate_id
        previous = heads.get(aggregate)
        if item.version != (1 if previous is None else previous[0] + 1):
            raise _fail(
                item.position,
                ROWS_REORDERED,
                f"position {item.position} holds {aggregate}@{item.version} but that "
                f"aggregate's previous event is version {0 if previous is None else previous[0]}",
            )
        heads[aggregate] = (item.version, item.position)
    events: list[PositionedEvent] = []
    undecodable = None
    for item in batch:
        if item.payload is None or not item.aggregate_id.startswith(FOLDED):
            continue
        event = decode_event(item.topic, item.payload)
        if event is None:
            undecodable = item.position
            break
        events.append((item.position, event))
    return leaf_hashes_of_inputs(batch), events, undecodable


def _gap(positions: list[int], expected: int) -> AuditFailed:
    for offset, position in enumerate(positions):
        want = expected + offset
        if position > want:
            return _fail(want, ROW_DELETED, f"position {want} is missing from the feed")
        if position != want:
            return _fail(
                want, ROWS_REORDERED, f"the feed serves position {position} where {want} belongs"
            )
    return _fail(expected, FEED_INCONSISTENT, "the feed's positions are not in order")


def _fail(position: int, kind: str, detail: str) -> AuditFailed:
    return AuditFailed(AuditProblem(position=position, kind=kind, detail=detail))
