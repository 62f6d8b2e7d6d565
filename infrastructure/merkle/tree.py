"""RFC 9162 (Certificate Transparency v2) Merkle tree hashing over stored perfect subtrees.

The ledger persists only *perfect* subtree hashes. Node ``(level, index)`` is the root
of the perfect subtree over leaves ``[index * 2**level, (index + 1) * 2**level)``;
level-0 nodes are leaf hashes. Every root, and every subtree hash a proof needs, is
rebuilt from the O(log n) perfect subtrees that decompose its leaf range.

Pure: hashlib only, no I/O. Callers ask for coordinates first, fetch them in one
query, then hand the hashes back as a mapping.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from hashlib import sha256

NodeCoordinate = tuple[int, int]
"""``(level, index)`` of a stored perfect subtree."""

StoredNode = tuple[int, int, bytes]
"""``(level, index, hash)`` as written to storage."""

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = sha256(b"").digest()


class MissingNodeError(LookupError):
    """A perfect subtree hash needed for a computation was not supplied."""

    def __init__(self, coordinate: NodeCoordinate) -> None:
        level, index = coordinate
        super().__init__(f"missing stored Merkle node (level={level}, index={index})")
        self.coordinate = coordinate


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 §2.1.1: ``SHA-256(0x00 || data)``."""
    return sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1: ``SHA-256(0x01 || left || right)``."""
    return sha256(NODE_PREFIX + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """The RFC's split point ``k``: the largest power of two strictly smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def root_of_leaves(leaf_hashes: Sequence[bytes]) -> bytes:
    """Reference MTH(D[n]) straight from RFC 9162 §2.1.1, recursive and unoptimised."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = largest_power_of_two_below(n)
    return node_hash(root_of_leaves(leaf_hashes[:k]), root_of_leaves(leaf_hashes[k:]))


def subtree_coordinates(start: int, end: int) -> list[NodeCoordinate]:
    """Perfect subtrees covering leaves ``[start, end)``, largest (leftmost) first.

    Only meaningful for ranges that occur as subtrees in RFC 9162 (the whole tree or a
    node reached by its recursion): ``start`` must be a multiple of the smallest power of
    two not below the width, otherwise MTH(D[start:end]) is not built from stored nodes.
    """
    width = end - start
    if width <= 0:
        raise ValueError(f"empty or inverted leaf range [{start}, {end})")
    if start % (1 << (width - 1).bit_length()) != 0:
        raise ValueError(f"leaf range [{start}, {end}) is not an RFC 9162 subtree")
    coordinates: list[NodeCoordinate] = []
    position = start
    for level in range(width.bit_length() - 1, -1, -1):
        if width >> level & 1:
            coordinates.append((level, position >> level))
            position += 1 << level
    return coordinates


def subtree_hash_from_nodes(start: int, end: int, nodes: Mapping[NodeCoordinate, bytes]) -> bytes:
    """MTH(D[start:end]) folded right-to-left from its perfect-subtree decomposition."""
    hashes = [_stored(nodes, coordinate) for coordinate in subtree_coordinates(start, end)]
    return _fold_right(hashes)


def root_coordinates(size: int) -> list[NodeCoordinate]:
    """Perfect subtrees decomposing ``[0, size)``: one per set bit of ``size``, largest first."""
    _require_non_negative("size", size)
    if size == 0:
        return []
    return subtree_coordinates(0, size)


def root_from_nodes(size: int, nodes: Mapping[NodeCoordinate, bytes]) -> bytes:
    """MTH of the first ``size`` leaves, from the hashes at ``root_coordinates(size)``."""
    _require_non_negative("size", size)
    if size == 0:
        return EMPTY_ROOT
    return subtree_hash_from_nodes(0, size, nodes)


def frontier_coordinates(size: int) -> list[NodeCoordinate]:
    """Stored nodes an append to a tree of ``size`` leaves may combine with new leaves.

    They are the left siblings still waiting for a right half, i.e. the root
    decomposition itself, so one query serves both the append and the new root.
    """
    return root_coordinates(size)


def nodes_to_store_after_append(
    old_size: int,
    new_leaf_hashes: Sequence[bytes],
    frontier: Mapping[NodeCoordinate, bytes],
) -> list[StoredNode]:
    """Every new ``(level, index, hash)`` created by appending ``new_leaf_hashes``.

    Includes the level-0 leaf nodes and each parent as soon as its perfect subtree
    completes, in creation order. ``frontier`` must hold the hashes at
    ``frontier_coordinates(old_size)``; extra entries are ignored.
    """
    pending = [_stored(frontier, coordinate) for coordinate in frontier_coordinates(old_size)]
    created: list[StoredNode] = []
    record = created.append
    push = pending.append
    pop = pending.pop
    # Locals keep this loop lean: it runs once per leaf plus once per completed parent.
    for position, leaf in enumerate(new_leaf_hashes, start=old_size):
        if not isinstance(leaf, bytes) or len(leaf) != HASH_SIZE:
            _require_leaf_hash(leaf, position)
        record((0, position, leaf))
        digest = leaf
        level = 0
        index = position
        # Each trailing 1 bit of the position is a completed left sibling to merge with.
        while index & 1:
            digest = sha256(NODE_PREFIX + pop() + digest).digest()
            level += 1
            index >>= 1
            record((level, index, digest))
        push(digest)
    return created


def aligned_block_levels(leaf_hashes: Sequence[bytes]) -> list[list[bytes]]:
    """Every perfect subtree inside a block of leaves, level by level (level 0 = the leaves).

    The block must start at a leaf index that is a multiple of ``2**k`` where ``2**k`` is
    at least the block's length, so that pairing inside the block is pairing in the tree:
    level ``L`` then holds nodes ``(L, start >> L)``, ``(L, (start >> L) + 1)``, ... and a
    trailing odd node is still waiting for its right sibling (it is not returned above).
    Hashing a level at a time is what makes bulk re-verification cheap.
    """
    levels = [list(leaf_hashes)]
    level = levels[0]
    while len(level) > 1:
        level = [
            sha256(NODE_PREFIX + left + right).digest()
            for left, right in zip(level[0::2], level[1::2], strict=False)
        ]
        levels.append(level)
    return levels


class RootBuilder:
    """Streaming MTH of a sequence of leaf hashes in O(log n) memory.

    Holds one pending perfect-subtree hash per set bit of the current size, the same
    frontier that storage keeps, so a ledger can be re-verified leaf by leaf.
    """

    __slots__ = ("_pending", "_size")

    def __init__(self) -> None:
        self._pending: list[bytes] = []
        self._size = 0

    @classmethod
    def resume(cls, size: int, frontier: Sequence[bytes]) -> RootBuilder:
        """Continues a tree of ``size`` leaves from its frontier (``RootBuilder.frontier``)."""
        if len(frontier) != size.bit_count() or not all(is_hash(h) for h in frontier):
            raise ValueError(f"a frontier of a tree of size {size} has {size.bit_count()} hashes")
        builder = cls()
        builder._pending = list(frontier)
        builder._size = size
        return builder

    @property
    def size(self) -> int:
        return self._size

    @property
    def frontier(self) -> tuple[bytes, ...]:
        """Hashes at ``frontier_coordinates(size)``, largest subtree first."""
        return tuple(self._pending)

    def append(self, leaf: bytes) -> None:
        # Spelled out rather than extend((leaf,)): per-event streaming calls this 10**6 times.
        _require_leaf_hash(leaf, self._size)
        pending = self._pending
        digest = leaf
        carry = self._size
        while carry & 1:
            digest = sha256(NODE_PREFIX + pending.pop() + digest).digest()
            carry >>= 1
        pending.append(digest)
        self._size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        pending = self._pending
        pop = pending.pop
        push = pending.append
        size = self._size
        for leaf in leaves:
            if not isinstance(leaf, bytes) or len(leaf) != HASH_SIZE:
                _require_leaf_hash(leaf, size)
            digest = leaf
            carry = size
            while carry & 1:
                digest = sha256(NODE_PREFIX + pop() + digest).digest()
                carry >>= 1
            push(digest)
            size += 1
        self._size = size

    def root(self) -> bytes:
        if not self._pending:
            return EMPTY_ROOT
        return _fold_right(self._pending)


def _fold_right(hashes: Sequence[bytes]) -> bytes:
    """Combine perfect-subtree hashes (largest first) the way RFC 9162 nests a ragged edge."""
    accumulated = hashes[-1]
    for left in reversed(hashes[:-1]):
        accumulated = node_hash(left, accumulated)
    return accumulated


def _stored(nodes: Mapping[NodeCoordinate, bytes], coordinate: NodeCoordinate) -> bytes:
    try:
        return nodes[coordinate]
    except KeyError:
        raise MissingNodeError(coordinate) from None


def _require_leaf_hash(leaf: object, position: int) -> None:
    if not is_hash(leaf):
        raise ValueError(f"leaf hash at position {position} is not {HASH_SIZE} bytes")


def _require_non_negative(name: str, value: int) -> None:
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value}")
