"""Inclusion and consistency proofs served from stored nodes, one query each, O(log n)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from infrastructure.merkle import (
    MissingNodeError,
    NodeCoordinate,
    consistency_proof,
    consistency_proof_coordinates,
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
from infrastructure.tamper.node_store import NODES_TABLE, fetch_nodes

if TYPE_CHECKING:
    from infrastructure.ledger import Ledger


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
    with ledger.read() as tx:
        size = tree_size if tree_size is not None else stored_leaf_count(tx)
        return inclusion_proof_in(tx, position, size)


def consistency_proof_between(
    ledger: Ledger, first: int, second: int | None = None
) -> ConsistencyProof:
    with ledger.read() as tx:
        size = second if second is not None else stored_leaf_count(tx)
        return consistency_proof_in(tx, first, size)


def inclusion_proof_in(tx: Tx, position: int, tree_size: int) -> InclusionProof:
    if tree_size < 1:
        msg = f"tree size must be at least 1, got {tree_size}"
        raise InvalidProofRequest(msg)
    if not 1 <= position <= tree_size:
        msg = f"position {position} is not in a tree of size {tree_size} (positions 1..{tree_size})"
        raise PositionBeyondTree(msg)
    index = position - 1
    leaf = (0, index)
    nodes = _fetch(
        tx,
        {leaf, *inclusion_proof_coordinates(index, tree_size), *root_coordinates(tree_size)},
        tree_size,
    )
    try:
        path = inclusion_proof(index, tree_size, nodes)
        return InclusionProof(
            position=position,
            tree_size=tree_size,
            leaf_hash=nodes[leaf].hex(),
            root_hash=root_from_nodes(tree_size, nodes).hex(),
            path=[h.hex() for h in path],
        )
    except (KeyError, MissingNodeError):
        raise _missing(tx, tree_size) from None


def consistency_proof_in(tx: Tx, first: int, second: int) -> ConsistencyProof:
    if not 0 <= first <= second or second < 1:
        msg = f"no consistency proof from size {first} to size {second} (need 0 <= first <= second)"
        raise InvalidProofRequest(msg)
    wanted = {
        *consistency_proof_coordinates(first, second),
        *root_coordinates(first),
        *root_coordinates(second),
    }
    nodes = _fetch(tx, wanted, second)
    try:
        path = consistency_proof(first, second, nodes)
        return ConsistencyProof(
            first=first,
            second=second,
            first_root=root_from_nodes(first, nodes).hex(),
            second_root=root_from_nodes(second, nodes).hex(),
            path=[h.hex() for h in path],
        )
    except MissingNodeError:
        raise _missing(tx, second) from None


def stored_leaf_count(tx: Tx) -> int:
    return int(
        tx.scalar(f"SELECT COALESCE(MAX(idx) + 1, 0) FROM {tx.table(NODES_TABLE)} WHERE level = 0")
    )


def _fetch(tx: Tx, wanted: set[NodeCoordinate], tree_size: int) -> dict[NodeCoordinate, bytes]:
    nodes = fetch_nodes(tx, wanted)
    if len(nodes) != len(wanted):
        raise _missing(tx, tree_size)
    return nodes


def _missing(tx: Tx, tree_size: int) -> Exception:
    # Only on failure: tell a request beyond the log from a damaged store.
    size = stored_leaf_count(tx)
    if tree_size > size:
        msg = f"tree size {tree_size} is beyond the log, which has {size} events"
        return TreeSizeBeyondLog(msg)
    msg = f"stored Merkle nodes for tree size {tree_size} are missing; run label-ledger verify"
    return MerkleLogDamaged(msg)
