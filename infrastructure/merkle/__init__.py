"""RFC 9162 Merkle tree math over stored perfect subtrees (pure, hashlib only)."""

from __future__ import annotations

from infrastructure.merkle.proofs import (
    consistency_proof,
    consistency_proof_coordinates,
    inclusion_proof,
    inclusion_proof_coordinates,
    verify_consistency,
    verify_inclusion,
)
from infrastructure.merkle.tree import (
    EMPTY_ROOT,
    HASH_SIZE,
    MissingNodeError,
    NodeCoordinate,
    RootBuilder,
    StoredNode,
    aligned_block_levels,
    frontier_coordinates,
    leaf_hash,
    node_hash,
    nodes_to_store_after_append,
    root_coordinates,
    root_from_nodes,
    root_of_leaves,
    subtree_coordinates,
    subtree_hash_from_nodes,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MissingNodeError",
    "NodeCoordinate",
    "RootBuilder",
    "StoredNode",
    "aligned_block_levels",
    "consistency_proof",
    "consistency_proof_coordinates",
    "frontier_coordinates",
    "inclusion_proof",
    "inclusion_proof_coordinates",
    "leaf_hash",
    "node_hash",
    "nodes_to_store_after_append",
    "root_coordinates",
    "root_from_nodes",
    "root_of_leaves",
    "subtree_coordinates",
    "subtree_hash_from_nodes",
    "verify_consistency",
    "verify_inclusion",
]
