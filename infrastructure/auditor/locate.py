"""Naming the first bad position once the audit knows something is wrong.

With leaves an earlier run kept, the answer is exact and needs nothing from the server
but the feed: the first position whose served event no longer gives its kept leaf.

Without them (a first run whose recomputed root differs from the signed one):

1. every checkpoint the log signed is a prefix the recomputed leaves must give: the last
   that still matches and the first that does not bound the damage;
2. between them, a binary search with the server's consistency proofs (each checked
   against the signed root) finds the first position whose prefix stops fitting;
3. that position is confirmed with the server's inclusion proof of its stored leaf,
   checked against the signed root: then the served event is proven not to be the one
   the log signed. If the server's own tree was rewritten its proofs do not check, and
   the answer falls back on the events recorded after the checkpoint was signed (a
   truncated and re-appended log) or on the bounds of step 1.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import msgspec

from infrastructure.auditor.problems import (
    EVENT_CHANGED,
    LOG_REWRITTEN,
    LOG_TRUNCATED,
    PAYLOAD_ALTERED,
    ROW_DELETED,
    ROWS_REORDERED,
    AuditProblem,
)
from infrastructure.auditor.remote import Remote, RemoteError
from infrastructure.auditor.state import read_leaves
from infrastructure.merkle import (
    root_coordinates,
    root_from_nodes,
    verify_consistency,
    verify_inclusion,
)
from infrastructure.merkle.tree import aligned_block_levels
from infrastructure.tamper.errors import InvalidCheckpoint
from infrastructure.tamper.keys import VerifierKey
from infrastructure.tamper.leaf import LeafInputs, leaf_hash_of_inputs
from infrastructure.tamper.notes import Checkpoint, SignedCheckpoint, parse_checkpoint


def locate_in_feed(
    remote: Remote, folder: Path, low: int, high: int, signed_at: str | None = None
) -> AuditProblem | None:
    """The first position in ``low..high`` whose served event differs from its kept leaf
    (``signed_at``: when the checkpoint that covered them was signed)."""
    kept = read_leaves(folder, low, high)
    expected = low
    for batch in remote.entries(low - 1, high):
        for item in batch:
            if item.position != expected:
                return AuditProblem(
                    position=expected,
                    kind=ROW_DELETED,
                    detail=f"position {expected}, verified before, is missing from the feed",
                )
            if leaf_hash_of_inputs(item) != kept[expected - low]:
                return _changed(item, kept, low, signed_at)
            expected += 1
    if expected <= high:
        return AuditProblem(
            position=expected,
            kind=LOG_TRUNCATED,
            detail=f"the feed ends at position {expected - 1}; you verified up to {high}",
        )
    return None


def _changed(
    item: LeafInputs, kept: list[bytes], low: int, signed_at: str | None
) -> AuditProblem:
    p = item.position
    recorded, signed = _instant(item.recorded_at), _instant(signed_at)
    if recorded is not None and signed is not None and recorded > signed:
        return AuditProblem(
            position=p,
            kind=LOG_TRUNCATED,
            detail=(
                f"position {p}, verified before, now holds an event recorded after the "
                f"checkpoint that covered it was signed ({signed_at}): the log was truncated "
                "and re-appended"
            ),
        )
    for q in range(low, low + len(kept)):
        moved = msgspec.structs.replace(item, position=q)
        if q != p and leaf_hash_of_inputs(moved) == kept[q - low]:
            return AuditProblem(
                position=p,
                kind=ROWS_REORDERED,
                detail=(
                    f"position {p} holds {item.aggregate_id}@{item.version}, which you "
                    f"verified at position {q}"
                ),
            )
    return AuditProblem(
        position=p,
        kind=EVENT_CHANGED,
        detail=(
            f"the event at position {p} ({item.aggregate_id}@{item.version}) is not the one "
            "you verified before: its payload or envelope changed"
        ),
    )


def locate_mismatch(
    remote: Remote, key: VerifierKey, signed: SignedCheckpoint, leaves: list[bytes]
) -> AuditProblem:
    """Why the recomputed leaves do not give the signed root, and from where."""
    tree = _Prefixes(leaves)
    target = signed.checkpoint
    good, bad = 0, target
    for checkpoint in _signed_checkpoints(remote, key):
        if checkpoint.tree_size > target.tree_size:
            continue
        if tree.root(checkpoint.tree_size) == checkpoint.root_hash:
            good = max(good, checkpoint.tree_size)
        elif checkpoint.tree_size < bad.tree_size and checkpoint.tree_size > good:
            bad = checkpoint
    position = _bisect(remote, tree, good, bad)
    confirmed = _confirmed(remote, tree, bad, position)
    if confirmed is not None:
        return confirmed
    late = _first_recorded_after(remote, good, bad)
    if late is not None:
        return AuditProblem(
            position=late,
            kind=LOG_TRUNCATED,
            detail=(
                f"the checkpoint of size {bad.tree_size} (signed {bad.timestamp}) does not "
                f"match the feed: position {late} was recorded after it was signed, so the log "
                f"was truncated and re-appended (intact up to position {good})"
            ),
        )
    return AuditProblem(
        position=good + 1,
        kind=LOG_REWRITTEN,
        detail=(
            f"the feed does not give the root the checkpoint of size {bad.tree_size} signed: "
            f"positions {good + 1}..{bad.tree_size} were rewritten (the server's own tree "
            "agrees with the rewrite, so its proofs cannot say where)"
        ),
    )


class _Prefixes:
    """Roots of every prefix of the recomputed leaves, from their perfect subtrees."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.leaves = leaves
        self.levels = aligned_block_levels(leaves) if leaves else [[]]

    def root(self, size: int) -> bytes:
        nodes = {(level, index): self.levels[level][index] for level, index in
                 root_coordinates(size)}
        return root_from_nodes(size, nodes)


def _signed_checkpoints(remote: Remote, key: VerifierKey) -> list[Checkpoint]:
    found = []
    try:
        notes = remote.notes()
    except RemoteError:
        return []
    for note in notes:
        try:
            signed = parse_checkpoint(note)
        except InvalidCheckpoint:
            continue
        if signed.checkpoint.origin == key.name and signed.is_signed_by(key):
            found.append(signed.checkpoint)
    return sorted(found, key=lambda c: c.tree_size)


def _bisect(remote: Remote, tree: _Prefixes, good: int, bad: Checkpoint) -> int:
    """The first position whose prefix the server's consistency proofs say does not fit."""
    low, high = good, bad.tree_size  # prefix `low` fits; prefix `high` does not
    while high - low > 1:
        middle = (low + high) // 2
        if _fits(remote, tree, middle, bad):
            low = middle
        else:
            high = middle
    return high


def _fits(remote: Remote, tree: _Prefixes, size: int, bad: Checkpoint) -> bool:
    try:
        path = remote.consistency_path(size, bad.tree_size)
    except RemoteError:
        return False
    return verify_consistency(size, bad.tree_size, tree.root(size), bad.root_hash, path)


def _confirmed(
    remote: Remote, tree: _Prefixes, bad: Checkpoint, position: int
) -> AuditProblem | None:
    try:
        stored, path = remote.inclusion(position, bad.tree_size)
    except RemoteError:
        return None
    if not verify_inclusion(stored, position - 1, bad.tree_size, path, bad.root_hash):
        return None
    if stored == tree.leaves[position - 1]:
        return None
    return AuditProblem(
        position=position,
        kind=PAYLOAD_ALTERED,
        detail=(
            f"the event served at position {position} does not give the leaf the log signed "
            f"there (proven against the checkpoint of size {bad.tree_size}): it was altered "
            "or moved"
        ),
    )


def _first_recorded_after(remote: Remote, good: int, bad: Checkpoint) -> int | None:
    signed = _instant(bad.timestamp)
    if signed is None:
        return None
    try:
        for batch in remote.entries(good, bad.tree_size):
            for item in batch:
                moment = _instant(item.recorded_at)
                if moment is not None and moment > signed:
                    return item.position
    except RemoteError:
        return None
    return None


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
