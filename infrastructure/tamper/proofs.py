"""Inclusion and consistency proofs served from stored nodes, O(log n).

On PostgreSQL a proof is one statement outside any transaction: the stored leaf count and
the nodes come from that statement's snapshot, and stored nodes are never rewritten, so
no BEGIN/ROLLBACK round trips are needed around it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from infrastructure.merkle import (
    MAX_LEVEL,
    NodeCoordinate,
    consistency_candidates,
    consistency_proof,
    consistency_proof_coordinates,
    inclusion_candidates,
    inclusion_proof,
    inclusion_proof_coordinates,
    root_coordinates,
    root_from_nodes,
)
from infrastructure.store.sql import Tx
from infrastructure.tamper.errors import (
    InvalidProofRequest,
    MerkleLogDamaged,
    PositionBeyondTree,
    TreeSizeBeyondLog,
)
from infrastructure.tamper.node_store import fetch_nodes, leaf_count, leaf_count_and_nodes

if TYPE_CHECKING:
    from infrastructure.ledger import Ledger


MAX_POSITION = 1 << MAX_LEVEL
"""Positions beyond this are in no storable tree; their candidates are not asked for."""


class InclusionProof(msgspec.Struct, frozen=True, kw_only=True):
    """RFC 9162 inclusion proof of the event at ``position`` (leaf ``position - 1``)."""

    position: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    path: list[str]


class ConsistencyProof(msgspec.Struct, frozen=True, kw_only=True):
    """RFC 9162 consistency proof that tree ``second`` extends tree ``first``."""

    first: int
    second: int
    first_root: str
    second_root: str
    path: list[str]


def inclusion_proof_at(
    ledger: Ledger, position: int, tree_size: int | None = None
) -> InclusionProof:
    with ledger.store.statement_read() as tx:
        return _inclusion(tx, position, tree_size)


def consistency_proof_between(
    ledger: Ledger, first: int, second: int | None = None
) -> ConsistencyProof:
    with ledger.store.statement_read() as tx:
        return _consistency(tx, first, second)


def inclusion_proof_in(tx: Tx, position: int, tree_size: int) -> InclusionProof:
    return _inclusion(tx, position, tree_size)


def consistency_proof_in(tx: Tx, first: int, second: int) -> ConsistencyProof:
    return _consistency(tx, first, second)


def _inclusion(tx: Tx, position: int, tree_size: int | None) -> InclusionProof:
    index = position - 1
    if tree_size is None and tx.dialect != "postgresql":
        tree_size = leaf_count(tx)  # in the read transaction: a local call, no round trip
    if tree_size is not None:
        _check_inclusion_request(position, tree_size)
        wanted = _inclusion_coordinates(index, tree_size)
        stored, nodes = _read(tx, wanted, tree_size)
        size = tree_size
    else:
        # The tree size is learnt in the same statement as the nodes, so the
        # statement asks for every node the proof may need at any size.
        stored, nodes = leaf_count_and_nodes(
            tx, inclusion_candidates(index) if 1 <= position <= MAX_POSITION else (), with_root=True
        )
        size = stored
        _check_inclusion_request(position, size)
        wanted = _inclusion_coordinates(index, size)
    if not wanted <= nodes.keys():
        raise _missing(stored, size)
    leaf = (0, index)
    return InclusionProof(
        position=position,
        tree_size=size,
        leaf_hash=nodes[leaf].hex(),
        root_hash=root_from_nodes(size, nodes).hex(),
        path=[h.hex() for h in inclusion_proof(index, size, nodes)],
    )


def _consistency(tx: Tx, first: int, second: int | None) -> ConsistencyProof:
    if second is None and tx.dialect != "postgresql":
        second = leaf_count(tx)
    if second is not None:
        _check_consistency_request(first, second)
        wanted = _consistency_coordinates(first, second)
        stored, nodes = _read(tx, wanted, second)
        size = second
    else:
        stored, nodes = leaf_count_and_nodes(
            tx, consistency_candidates(first) if 0 < first <= MAX_POSITION else (), with_root=True
        )
        size = stored
        _check_consistency_request(first, size)
        wanted = _consistency_coordinates(first, size)
    if not wanted <= nodes.keys():
        raise _missing(stored, size)
    return ConsistencyProof(
        first=first,
        second=size,
        first_root=root_from_nodes(first, nodes).hex(),
        second_root=root_from_nodes(size, nodes).hex(),
        path=[h.hex() for h in consistency_proof(first, size, nodes)],
    )


def _check_inclusion_request(position: int, tree_size: int) -> None:
    if tree_size < 1:
        msg = f"tree size must be at least 1, got {tree_size}"
        raise InvalidProofRequest(msg)
    if not 1 <= position <= tree_size:
        msg = f"position {position} is not in a tree of size {tree_size} (positions 1..{tree_size})"
        raise PositionBeyondTree(msg)


def _check_consistency_request(first: int, second: int) -> None:
    if not 0 <= first <= second or second < 1:
        msg = f"no consistency proof from size {first} to size {second} (need 0 <= first <= second)"
        raise InvalidProofRequest(msg)


def _inclusion_coordinates(index: int, tree_size: int) -> set[NodeCoordinate]:
    return {
        (0, index),
        *inclusion_proof_coordinates(index, tree_size),
        *root_coordinates(tree_size),
    }


def _consistency_coordinates(first: int, second: int) -> set[NodeCoordinate]:
    return {
        *consistency_proof_coordinates(first, second),
        *root_coordinates(first),
        *root_coordinates(second),
    }


def _read(
    tx: Tx, wanted: set[NodeCoordinate], tree_size: int
) -> tuple[int, dict[NodeCoordinate, bytes]]:
    """The nodes of a proof against a given size; the stored size only if some are missing."""
    if tx.dialect == "postgresql":
        return leaf_count_and_nodes(tx, wanted, with_root=False)
    nodes = fetch_nodes(tx, wanted)
    return (tree_size if len(nodes) == len(wanted) else leaf_count(tx)), nodes


def _missing(stored: int, tree_size: int) -> Exception:
    # Only on failure: tell a request beyond the log from a damaged store.
    if tree_size > stored:
        msg = f"tree size {tree_size} is beyond the log, which has {stored} events"
        return TreeSizeBeyondLog(msg)
    msg = f"stored Merkle nodes for tree size {tree_size} are missing; run label-ledger verify"
    return MerkleLogDamaged(msg)
