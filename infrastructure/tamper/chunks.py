"""Re-verification of one aligned chunk of the log: its events, leaves and inner nodes.

A chunk holds leaves ``[start, end)`` with ``start`` a multiple of the chunk size
(a power of two), so every node inside it is computed from the chunk alone and the
chunk contributes one node (its top) to the tree above. Everything is recomputed from
the events' stored rows and compared with what the node table holds.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from infrastructure.merkle import aligned_block_levels, node_hash, subtree_coordinates
from infrastructure.store.sql import Tx
from infrastructure.tamper.event_rows import EventTable
from infrastructure.tamper.leaf import StoredRow, UndecodableEvent, leaf_hashes
from infrastructure.tamper.node_store import block_levels, indexed_level_range, level_range


class Finding(msgspec.Struct, frozen=True):
    """The first thing wrong in a chunk, before any deeper diagnosis."""

    position: int
    kind: str
    detail: str = ""


class ChunkOutcome(msgspec.Struct, frozen=True):
    start: int
    end: int
    top: list[bytes]
    pieces: dict[int, list[bytes]]
    """For each asked tree size S in the chunk, the hashes decomposing leaves [start, S)."""
    finding: Finding | None


# Raw finding kinds; the verifier turns them into the problems it reports.
ROW_DELETED = "row-deleted"
UNDECODABLE = "undecodable"
LEAF_MISMATCH = "leaf-mismatch"
LEAF_ALTERED = "leaf-altered"
LEAF_MISSING = "leaf-missing"
NODE_ALTERED = "node-altered"


def verify_chunk(
    tx: Tx, events: EventTable, start: int, end: int, sizes: Sequence[int]
) -> ChunkOutcome:
    rows = events.rows(tx, start, end)
    finding = _first_gap(rows, start, end)
    if finding is not None:
        rows = rows[: finding.position - start - 1]
    try:
        leaves = leaf_hashes(rows)
    except UndecodableEvent as error:
        finding = Finding(error.position, UNDECODABLE, str(error))
        rows = rows[: error.position - start - 1]
        leaves = leaf_hashes(rows)
    # A whole chunk's stored levels are read at once; one with a row missing, level by level.
    stored = block_levels(tx, start, end - start) if finding is None else None
    leaf_finding = _compare_leaves(tx, start, leaves, stored[0] if stored is not None else None)
    if leaf_finding is not None:
        finding = leaf_finding
        leaves = leaves[: leaf_finding.position - start - 1]
    levels = aligned_block_levels(leaves)
    if finding is None:
        finding = _compare_inner_nodes(tx, start, levels, stored)
    return ChunkOutcome(
        start=start,
        end=end,
        top=_pieces(levels, start, start + len(leaves)) if leaves else [],
        pieces={s: _pieces(levels, start, s) for s in sizes if start < s <= start + len(leaves)},
        finding=finding,
    )


def _first_gap(rows: Sequence[StoredRow], start: int, end: int) -> Finding | None:
    if len(rows) == end - start and (not rows or (rows[0][0] == start + 1 and rows[-1][0] == end)):
        return None
    for expected, row in enumerate(rows, start=start + 1):
        if row[0] != expected:
            return Finding(expected, ROW_DELETED)
    return Finding(start + len(rows) + 1, ROW_DELETED)


def _compare_leaves(
    tx: Tx, start: int, leaves: list[bytes], stored: list[bytes] | None
) -> Finding | None:
    if not leaves:
        return None
    if stored is None:
        stored = level_range(tx, 0, start, start + len(leaves))
    if stored == leaves:
        return None
    by_index = indexed_level_range(tx, 0, start, start + len(leaves))
    for offset, leaf in enumerate(leaves):
        held = by_index.get(start + offset)
        if held is None:
            return Finding(start + offset + 1, LEAF_MISSING)
        if held != leaf:
            return _leaf_difference(tx, start, offset, leaves, held)
    return None  # pragma: no cover - the lists differed, so some leaf did


def _leaf_difference(tx: Tx, start: int, offset: int, leaves: list[bytes], held: bytes) -> Finding:
    """Tells an altered stored leaf (its stored parent fits the event) from an altered event."""
    index = start + offset
    sibling = offset ^ 1
    if sibling < len(leaves):
        pair = (
            (leaves[offset], leaves[sibling])
            if offset % 2 == 0
            else (leaves[sibling], leaves[offset])
        )
        parent = level_range(tx, 1, index >> 1, (index >> 1) + 1)
        if parent == [node_hash(*pair)]:
            return Finding(index + 1, LEAF_ALTERED, held.hex())
    return Finding(index + 1, LEAF_MISMATCH, held.hex())


def _compare_inner_nodes(
    tx: Tx, start: int, levels: list[list[bytes]], read: list[list[bytes]] | None
) -> Finding | None:
    for level in range(1, len(levels)):
        first = start >> level
        computed = levels[level]
        if read is not None:
            stored = read[level]
        else:
            stored = level_range(tx, level, first, first + len(computed))
        if stored != computed:
            offset = next(
                (i for i, h in enumerate(computed) if i >= len(stored) or stored[i] != h),
                len(computed) - 1,
            )
            index = first + offset
            covered = f"positions {(index << level) + 1}..{(index + 1) << level}"
            detail = f"stored tree node (level {level}, index {index}) covering {covered}"
            return Finding((index << level) + 1, NODE_ALTERED, detail)
    return None


def _pieces(levels: list[list[bytes]], start: int, size: int) -> list[bytes]:
    return [
        levels[level][index - (start >> level)] for level, index in subtree_coordinates(start, size)
    ]
