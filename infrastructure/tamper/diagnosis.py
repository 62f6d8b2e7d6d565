"""Naming what went wrong once verification has found where: only runs on failure."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from hashlib import sha256
from typing import TYPE_CHECKING

import msgspec

from infrastructure.merkle import HASH_SIZE, root_coordinates
from infrastructure.store.sql import Tx
from infrastructure.tamper.event_rows import EventTable
from infrastructure.tamper.leaf import (
    StoredRow,
    UndecodableEvent,
    leaf_data,
    recorded_at,
    wrong_type,
)
from infrastructure.tamper.node_store import NODES_TABLE

if TYPE_CHECKING:
    from infrastructure.tamper.claims import Claim

PAYLOAD_ALTERED = "payload-altered"
ROW_DELETED = "row-deleted"
ROWS_REORDERED = "rows-reordered"
LOG_TRUNCATED = "log-truncated"
LOG_REWRITTEN = "log-rewritten"
CHECKPOINT_FORGED = "checkpoint-forged"
TREE_ALTERED = "tree-altered"
CHECKPOINT_HEADS_DIFFER = "checkpoint-heads-differ"
CHECKPOINT_VIEWS_DIFFER = "checkpoint-views-differ"
READ_MODEL_DIFFERS = "read-model-differs"

_PAGE = 10_000
KnownLeaves = Callable[[int, int], list[bytes]]
"""``(first, last)`` positions -> the leaves an auditor verified there (``leaves.bin``)."""


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    """The first bad position of the log and what is wrong there."""

    position: int
    kind: str
    detail: str


def displaced_row(tx: Tx, events: EventTable, position: int) -> Problem:
    """An event whose leaf no longer fits: moved from another position, or altered."""
    row = events.rows(tx, position - 1, position)[0]
    wrong = wrong_type(row)
    if wrong is not None:
        detail = f"the stored event at position {position} was edited: {wrong}"
        return Problem(position=position, kind=PAYLOAD_ALTERED, detail=detail)
    origin = _recorded_position(tx, events, row)
    label = f"{row[1]}@{row[2]}"
    if origin is not None:
        return Problem(
            position=position,
            kind=ROWS_REORDERED,
            detail=f"position {position} holds event {label}, recorded at position {origin}",
        )
    return Problem(
        position=position,
        kind=PAYLOAD_ALTERED,
        detail=f"event {label} at position {position} no longer matches its leaf "
        "(payload hash differs)",
    )


def first_unlike_known(tx: Tx, events: EventTable, known: KnownLeaves, size: int) -> int | None:
    """The first position up to ``size`` whose event no longer gives the leaf an auditor
    verified there."""
    after = 0
    while after < size:
        rows = events.rows(tx, after, min(after + _PAGE, size))
        if not rows:
            return after + 1
        kept = known(after + 1, rows[-1][0])
        for offset, row in enumerate(rows):
            expected = after + offset + 1
            if row[0] != expected or offset >= len(kept):
                return expected
            try:
                leaf = _leaf_at(*row)
            except UndecodableEvent:
                return expected
            if leaf != kept[offset]:
                return expected
        after = rows[-1][0]
    return None


def rewritten_after(tx: Tx, events: EventTable, claim: Claim, proven: int) -> Problem:
    """The log differs from ``claim`` although it is intact up to position ``proven``.

    An event at a position the checkpoint covers but recorded after it was signed
    cannot be the one it signed: that is the log truncated and appended to again.
    """
    size, signed_at = claim.size, claim.signed_at
    late = _first_recorded_after(tx, events, proven, size, signed_at)
    if late is not None:
        return Problem(
            position=late,
            kind=LOG_TRUNCATED,
            detail=(
                f"{claim.label} (tree size {size}, signed {signed_at}) no longer matches the "
                f"log: position {late} was recorded after it was signed, so the log was "
                f"truncated and re-appended (intact up to position {proven})"
            ),
        )
    return Problem(
        position=proven + 1,
        kind=LOG_REWRITTEN,
        detail=(
            f"{claim.label} (tree size {size}) no longer matches the log: positions "
            f"{proven + 1}..{size} were rewritten"
        ),
    )


def proven_by_frontier(frontier: bytes, recomputed: list[bytes], size: int, root: bytes) -> int:
    """How many leaves a checkpoint's stored root decomposition still vouches for."""
    coordinates = root_coordinates(size)
    if len(frontier) != HASH_SIZE * len(coordinates) or not _folds_to(frontier, root):
        return 0
    proven = 0
    for i, (level, index) in enumerate(coordinates):
        if frontier[i * HASH_SIZE : (i + 1) * HASH_SIZE] != recomputed[i]:
            break
        proven = (index + 1) << level
    return proven


def _folds_to(frontier: bytes, root: bytes) -> bool:
    hashes = [frontier[i : i + HASH_SIZE] for i in range(0, len(frontier), HASH_SIZE)]
    accumulated = hashes[-1]
    for left in reversed(hashes[:-1]):
        accumulated = sha256(b"\x01" + left + accumulated).digest()
    return accumulated == root


def _recorded_position(tx: Tx, events: EventTable, row: StoredRow) -> int | None:
    """The position whose stored leaf is this row's leaf, if any.

    An aggregate's versions follow the log's order, so the row was recorded between
    the positions now holding its aggregate's previous and next versions: only that
    stretch of stored leaves is searched (failure path only).
    """
    position, aggregate_id, version, topic, state = row
    low, high = _bracket(tx, events, aggregate_id, version)
    for index, stored in _stored_leaves(tx, low - 1, high):
        if index + 1 != position and stored == _leaf_at(
            index + 1, aggregate_id, version, topic, state
        ):
            return index + 1
    return None


def _bracket(tx: Tx, events: EventTable, aggregate_id: str, version: int) -> tuple[int, int]:
    tx.execute(
        f"SELECT originator_version, {events.position} FROM {events.name} "
        "WHERE originator_id = ? AND originator_version IN (?, ?)",
        (aggregate_id, version - 1, version + 1),
    )
    around = {row[0]: row[1] for row in tx.fetchall()}
    return around.get(version - 1, 1), around.get(version + 1, events.last_position(tx))


def _leaf_at(position: int, aggregate_id: str, version: int, topic: str, state: bytes) -> bytes:
    return sha256(b"\x00" + leaf_data(position, aggregate_id, version, topic, state)).digest()


def _stored_leaves(tx: Tx, first: int, last: int) -> Iterator[tuple[int, bytes]]:
    """Stored leaves with ``first <= idx < last``, a page at a time."""
    after = first - 1
    while after + 1 < last:
        tx.execute(
            f"SELECT idx, hash FROM {tx.table(NODES_TABLE)} "
            "WHERE level = 0 AND idx > ? AND idx < ? ORDER BY idx LIMIT ?",
            (after, last, _PAGE),
        )
        page = tx.fetchall()
        if not page:
            return
        for index, digest in page:
            yield index, bytes(digest)
        after = page[-1][0]


def _first_recorded_after(
    tx: Tx, events: EventTable, proven: int, size: int, signed_at: str
) -> int | None:
    signed = _instant(signed_at)
    if signed is None:
        return None
    after = proven
    while after < size:
        rows = events.rows(tx, after, min(after + _PAGE, size))
        if not rows:
            return None
        for row in rows:
            try:
                moment = _instant(recorded_at(row[0], row[4]))
            except UndecodableEvent:
                continue
            if moment is not None and moment > signed:
                return int(row[0])
        after = rows[-1][0]
    return None


def _instant(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
