"""The heads tree: what makes a bundle provably complete (pure, hashlib and msgspec only).

At tree size ``n`` every aggregate that has an event at a position ``<= n`` has a head:
its last version and that event's position. The heads, sorted by aggregate id (code
point order), are the leaves of an RFC 9162 Merkle tree::

    head leaf = SHA-256(0x00 || "label-ledger/head/v1\\n" || JSON[aggregate id, version,
                                                                 position])

and a checkpoint commits to its root (extension line ``label-ledger/heads/v1``). A bundle
carries its cluster's head and the head's inclusion proof: the verifier then knows the
cluster's last version at the checkpoint, so a bundle cut short, or missing an event in
the middle (versions are dense), does not verify.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from infrastructure.merkle import (
    RootBuilder,
    inclusion_proof,
    leaf_hash,
    root_coordinates,
    verify_inclusion,
)
from infrastructure.merkle.tree import aligned_block_levels

HEAD_VERSION = "label-ledger/head/v1"
_PREFIX = HEAD_VERSION.encode() + b"\n"
_encode = msgspec.json.Encoder().encode

Head = tuple[int, int]
"""``(last version, its position)`` of one aggregate."""


class HeadProof(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An aggregate's head at a checkpoint and its RFC 9162 inclusion proof in the heads tree."""

    aggregate_id: str
    version: int
    position: int
    index: int
    count: int
    proof: list[str]


def head_leaf(aggregate_id: str, version: int, position: int) -> bytes:
    return leaf_hash(_PREFIX + _encode((aggregate_id, version, position)))


def heads_root(heads: Mapping[str, Head]) -> bytes:
    builder = RootBuilder()
    builder.extend(head_leaf(a, *heads[a]) for a in sorted(heads))
    return builder.root()


def head_proof(heads: Mapping[str, Head], aggregate_id: str) -> HeadProof:
    ordered = sorted(heads)
    index = ordered.index(aggregate_id)
    leaves = [head_leaf(a, *heads[a]) for a in ordered]
    nodes = _all_perfect_subtrees(leaves)
    version, position = heads[aggregate_id]
    return HeadProof(
        aggregate_id=aggregate_id,
        version=version,
        position=position,
        index=index,
        count=len(ordered),
        proof=[h.hex() for h in inclusion_proof(index, len(ordered), nodes)],
    )


def proves_head(proof: HeadProof, root: bytes) -> bool:
    try:
        path = [bytes.fromhex(h) for h in proof.proof]
    except ValueError:
        return False
    leaf = head_leaf(proof.aggregate_id, proof.version, proof.position)
    return verify_inclusion(leaf, proof.index, proof.count, path, root)


def _all_perfect_subtrees(leaves: list[bytes]) -> dict[tuple[int, int], bytes]:
    nodes: dict[tuple[int, int], bytes] = {}
    start = 0
    for level, _ in root_coordinates(len(leaves)):
        width = 1 << level
        for depth, hashes in enumerate(aligned_block_levels(leaves[start : start + width])):
            first = start >> depth
            nodes.update(((depth, first + i), h) for i, h in enumerate(hashes))
        start += width
    return nodes
