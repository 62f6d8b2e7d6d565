"""Signed checkpoints: made, checked for consistency, stored (insert-only) and listed.

The log never signs a checkpoint inconsistent with one it signed before: before
signing tree size ``n`` it recomputes, from the stored nodes, the root at the latest
checkpoint's size and refuses unless it equals that checkpoint's root.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import msgspec

from infrastructure.merkle import (
    MissingNodeError,
    NodeCoordinate,
    root_coordinates,
    root_from_nodes,
)
from infrastructure.store.sql import Tx
from infrastructure.tamper.commitments import Commitments, commitments_at
from infrastructure.tamper.errors import (
    InconsistentCheckpoint,
    MerkleLogDamaged,
    NoCheckpoint,
)
from infrastructure.tamper.event_rows import EventTable, event_table
from infrastructure.tamper.keys import SigningKey
from infrastructure.tamper.node_store import NODES_TABLE, fetch_nodes
from infrastructure.tamper.notes import Checkpoint, SignedCheckpoint, sign_checkpoint

if TYPE_CHECKING:
    from infrastructure.ledger import Ledger

CHECKPOINTS_TABLE = "signed_checkpoints"
_COLUMNS = "seq, tree_size, root_hash, signed_at, origin, key_id, note, frontier"


class CheckpointInfo(msgspec.Struct, frozen=True, kw_only=True):
    """A stored checkpoint as the log lists and serves it (JSON-friendly)."""

    seq: int
    origin: str
    tree_size: int
    root_hash: str
    signed_at: str
    key_id: str
    note: str


class StoredCheckpoint(msgspec.Struct, frozen=True, kw_only=True):
    """A checkpoint row; ``frontier`` (the root's perfect subtrees) helps locate damage."""

    seq: int
    tree_size: int
    root_hash: bytes
    signed_at: str
    origin: str
    key_id: str
    note: str
    frontier: bytes

    def info(self) -> CheckpointInfo:
        return CheckpointInfo(
            seq=self.seq,
            origin=self.origin,
            tree_size=self.tree_size,
            root_hash=self.root_hash.hex(),
            signed_at=self.signed_at,
            key_id=self.key_id,
            note=self.note,
        )


def create_checkpoint_table(tx: Tx) -> None:
    big, blob = tx.bigint_type, tx.blob_type
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {tx.table(CHECKPOINTS_TABLE)} ("
        f"seq {big} PRIMARY KEY, tree_size {big} NOT NULL, root_hash {blob} NOT NULL, "
        "signed_at TEXT NOT NULL, origin TEXT NOT NULL, key_id TEXT NOT NULL, "
        f"note TEXT NOT NULL, frontier {blob} NOT NULL)"
    )


def checkpoint_current_tree(
    tx: Tx, events: EventTable, key: SigningKey, now: datetime | None = None
) -> StoredCheckpoint:
    """Signs and stores a checkpoint of the whole stored tree (caller serialises writers)."""
    size = stored_tree_size(tx, events)
    nodes = fetch_nodes(tx, root_coordinates(size))
    return sign_and_store(tx, key, size, nodes, now, commitments_at(tx, events, size))


def sign_and_store(
    tx: Tx,
    key: SigningKey,
    size: int,
    nodes: dict[NodeCoordinate, bytes],
    now: datetime | None = None,
    commitments: Commitments | None = None,
) -> StoredCheckpoint:
    """Signs tree size ``size`` (``nodes`` holds its root decomposition) after the check."""
    latest = latest_stored_checkpoint(tx)
    if latest is not None:
        _require_consistent(tx, latest, size)
    try:
        frontier = [nodes[c] for c in root_coordinates(size)]
        root = root_from_nodes(size, nodes)
    except (KeyError, MissingNodeError):
        msg = f"stored Merkle nodes for tree size {size} are missing; run label-ledger verify"
        raise MerkleLogDamaged(msg) from None
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    checkpoint = Checkpoint(
        origin=key.name,
        tree_size=size,
        root_hash=root,
        timestamp=moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        heads_root=None if commitments is None else commitments.heads_root,
        views_digest=None if commitments is None else commitments.views_digest,
    )
    signed = sign_checkpoint(checkpoint, key)
    stored = StoredCheckpoint(
        seq=(latest.seq + 1) if latest else 1,
        tree_size=size,
        root_hash=root,
        signed_at=checkpoint.timestamp or "",
        origin=key.name,
        key_id=key.key_id.hex(),
        note=signed.note,
        frontier=b"".join(frontier),
    )
    tx.execute(
        f"INSERT INTO {tx.table(CHECKPOINTS_TABLE)} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        msgspec.structs.astuple(stored),
    )
    return stored


def stored_tree_size(tx: Tx, events: EventTable) -> int:
    """Leaves in the stored tree; refuses when it disagrees with the events table."""
    leaves = int(
        tx.scalar(f"SELECT COALESCE(MAX(idx) + 1, 0) FROM {tx.table(NODES_TABLE)} WHERE level = 0")
    )
    last = events.last_position(tx)
    if leaves != last:
        msg = f"the tree has {leaves} leaves but the log {last} events; run label-ledger verify"
        raise MerkleLogDamaged(msg)
    return last


def stored_checkpoints(tx: Tx) -> list[StoredCheckpoint]:
    tx.execute(f"SELECT {_COLUMNS} FROM {tx.table(CHECKPOINTS_TABLE)} ORDER BY seq")
    return [_stored(row) for row in tx.fetchall()]


def latest_stored_checkpoint(tx: Tx) -> StoredCheckpoint | None:
    tx.execute(f"SELECT {_COLUMNS} FROM {tx.table(CHECKPOINTS_TABLE)} ORDER BY seq DESC LIMIT 1")
    row = tx.fetchone()
    return None if row is None else _stored(row)


def require_latest(tx: Tx) -> StoredCheckpoint:
    latest = latest_stored_checkpoint(tx)
    if latest is None:
        msg = "the log has no signed checkpoint yet: run label-ledger checkpoint --key KEY"
        raise NoCheckpoint(msg)
    return latest


def signed_view(stored: StoredCheckpoint, signed: SignedCheckpoint) -> bool:
    """Whether a stored row says what its signed note says."""
    c = signed.checkpoint
    return (
        c.tree_size == stored.tree_size
        and c.root_hash == stored.root_hash
        and c.timestamp == stored.signed_at
        and c.origin == stored.origin
    )


def _require_consistent(tx: Tx, latest: StoredCheckpoint, size: int) -> None:
    if size < latest.tree_size:
        msg = (
            f"the log has {size} events but checkpoint #{latest.seq} covers "
            f"{latest.tree_size}: the log was truncated or rolled back"
        )
        raise InconsistentCheckpoint(msg)
    nodes = fetch_nodes(tx, root_coordinates(latest.tree_size))
    try:
        root = root_from_nodes(latest.tree_size, nodes)
    except MissingNodeError:
        root = b""
    if root != latest.root_hash:
        msg = (
            f"the stored tree at size {latest.tree_size} no longer has the root of "
            f"checkpoint #{latest.seq}: the log was rewritten; run label-ledger verify"
        )
        raise InconsistentCheckpoint(msg)


def _stored(row: Sequence[Any]) -> StoredCheckpoint:
    seq, size, root, signed_at, origin, key_id, note, frontier = row
    return StoredCheckpoint(
        seq=int(seq),
        tree_size=int(size),
        root_hash=bytes(root),
        signed_at=str(signed_at),
        origin=str(origin),
        key_id=str(key_id),
        note=str(note),
        frontier=bytes(frontier),
    )


def make_checkpoint(ledger: Ledger, key: SigningKey) -> CheckpointInfo:
    """Signs and stores a checkpoint of the ledger's current tree."""
    with ledger.write() as tx:
        events = event_table(tx)
        if tx.dialect == "postgresql":
            # The lock appends take: no event can land between reading the size and signing.
            tx.execute(f"LOCK TABLE {events.name} IN EXCLUSIVE MODE")
        return checkpoint_current_tree(tx, events, key).info()


def latest_checkpoint(ledger: Ledger) -> CheckpointInfo | None:
    with ledger.read() as tx:
        latest = latest_stored_checkpoint(tx)
    return None if latest is None else latest.info()


def list_checkpoints(ledger: Ledger) -> list[CheckpointInfo]:
    with ledger.read() as tx:
        return [stored.info() for stored in stored_checkpoints(tx)]
