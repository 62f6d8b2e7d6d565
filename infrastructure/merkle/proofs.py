"""RFC 9162 inclusion and consistency proofs, built from stored perfect subtrees.

Building a proof is two steps so storage is read once: ``*_coordinates`` names every
stored node the proof needs, then the proof function assembles it from those hashes.
A proof entry that is not itself a perfect subtree (at most one per proof) is folded
from its perfect-subtree decomposition, so a proof touches O(log n) stored nodes.

Verifiers follow RFC 9162 §2.1.3.2 and §2.1.4.2 step by step and answer ``False``,
never raise, for any malformed input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from infrastructure.merkle.tree import (
    EMPTY_ROOT,
    NodeCoordinate,
    is_hash,
    largest_power_of_two_below,
    node_hash,
    subtree_coordinates,
    subtree_hash_from_nodes,
)

LeafRange = tuple[int, int]
"""Half-open leaf range ``[start, end)`` whose MTH is one proof entry."""


def inclusion_proof_coordinates(index: int, size: int) -> set[NodeCoordinate]:
    """Stored nodes needed by ``inclusion_proof(index, size, ...)``."""
    return _coordinates_of(_inclusion_path_ranges(index, size))


def inclusion_proof(index: int, size: int, nodes: Mapping[NodeCoordinate, bytes]) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1, ordered from the leaf up."""
    return _hashes_of(_inclusion_path_ranges(index, size), nodes)


def consistency_proof_coordinates(first: int, second: int) -> set[NodeCoordinate]:
    """Stored nodes needed by ``consistency_proof(first, second, ...)``."""
    return _coordinates_of(_consistency_proof_ranges(first, second))


def consistency_proof(
    first: int, second: int, nodes: Mapping[NodeCoordinate, bytes]
) -> list[bytes]:
    """PROOF(first, D[second]) of RFC 9162 §2.1.4.1.

    Empty when ``first == 0`` or ``first == second``: there is nothing to prove.
    """
    return _hashes_of(_consistency_proof_ranges(first, second), nodes)


MAX_LEVEL = 62
"""Highest level a stored node can have while its index fits a signed 64-bit column."""


def inclusion_candidates(index: int) -> set[NodeCoordinate]:
    """Nodes that, with ``root_coordinates(size)``, cover an inclusion proof of leaf ``index``
    and its leaf for *any* tree size: the leaf and the sibling of each of its ancestors.

    They let a store read a proof against a tree size it learns in the same statement.
    """
    return {(0, index)} | {(level, (index >> level) ^ 1) for level in range(MAX_LEVEL + 1)}


def consistency_candidates(first: int) -> set[NodeCoordinate]:
    """Nodes that, with ``root_coordinates(second)``, cover ``consistency_proof(first, second)``
    and the root of ``first`` for *any* ``second``: that root's decomposition and the
    siblings of the ancestors of the old tree's last leaf.
    """
    if first == 0:
        return set()
    return set(subtree_coordinates(0, first)) | inclusion_candidates(first - 1) - {(0, first - 1)}


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does ``proof`` place ``leaf_hash`` at ``index`` in the tree ``root``?"""
    if not (_is_size(index) and _is_size(size) and index < size):
        return False
    if not (is_hash(leaf_hash) and is_hash(root) and _is_hash_list(proof)):
        return False
    computed = _root_from_inclusion_path(leaf_hash, index, size, proof)
    return computed is not None and computed == root


def verify_consistency(
    first: int,
    second: int,
    first_root: bytes,
    second_root: bytes,
    proof: Sequence[bytes],
) -> bool:
    """RFC 9162 §2.1.4.2: is the tree ``second_root`` an append-only extension of ``first_root``?

    Edge cases the RFC algorithm does not cover (it rejects every empty proof):

    * ``first == second``: true iff the proof is empty and the roots are equal.
    * ``first == 0``: every tree extends the empty tree, so the proof must be empty;
      ``first_root`` must still be the empty-tree hash SHA-256(""), since no other value
      is the root of an empty tree. ``second_root`` cannot be checked by this proof.
      (transparency-dev/merkle ignores both roots here; this is deliberately stricter.)
    """
    if not (_is_size(first) and _is_size(second) and first <= second):
        return False
    if not (is_hash(first_root) and is_hash(second_root) and _is_hash_list(proof)):
        return False
    if first == 0 and first_root != EMPTY_ROOT:
        return False
    if first == second:
        return len(proof) == 0 and first_root == second_root
    if first == 0:
        return len(proof) == 0
    return len(proof) > 0 and _check_consistency_path(first, second, first_root, second_root, proof)


def _inclusion_path_ranges(index: int, size: int) -> list[LeafRange]:
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    siblings_from_top: list[LeafRange] = []
    start, end = 0, size
    while end - start > 1:
        split = start + largest_power_of_two_below(end - start)
        if index < split:
            siblings_from_top.append((split, end))
            end = split
        else:
            siblings_from_top.append((start, split))
            start = split
    siblings_from_top.reverse()
    return siblings_from_top


def _consistency_proof_ranges(first: int, second: int) -> list[LeafRange]:
    """SUBPROOF(first, D[second], true) unrolled into a loop over leaf ranges."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    if first in (0, second):
        return []
    siblings_from_top: list[LeafRange] = []
    start, width, remaining_old = 0, second, first
    # Stays true while the old tree is a left-edge prefix, whose root the verifier knows.
    old_root_is_known = True
    while remaining_old != width:
        k = largest_power_of_two_below(width)
        if remaining_old <= k:
            siblings_from_top.append((start + k, start + width))
            width = k
        else:
            siblings_from_top.append((start, start + k))
            start += k
            remaining_old -= k
            width -= k
            old_root_is_known = False
    siblings_from_top.reverse()
    if old_root_is_known:
        return siblings_from_top
    return [(start, start + width), *siblings_from_top]


def _coordinates_of(ranges: list[LeafRange]) -> set[NodeCoordinate]:
    return {coordinate for start, end in ranges for coordinate in subtree_coordinates(start, end)}


def _hashes_of(ranges: list[LeafRange], nodes: Mapping[NodeCoordinate, bytes]) -> list[bytes]:
    return [subtree_hash_from_nodes(start, end, nodes) for start, end in ranges]


def _root_from_inclusion_path(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes | None:
    fn, sn = index, size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def _check_consistency_path(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_hash_list(proof: object) -> bool:
    return (
        isinstance(proof, Sequence)
        and not isinstance(proof, (bytes, bytearray, str))
        and all(is_hash(entry) for entry in proof)
    )
