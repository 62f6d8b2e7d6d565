"""Snapshots of aggregate states, so that a cold load decodes one state, not every event.

A snapshot is derived data, like a read model: it is never the record. It holds the
state an aggregate's events folded to at a version, encoded with msgpack, and is taken
when a load had to fold ``SNAPSHOT_EVERY`` events or more past the previous one. A
snapshot is trusted only if it was written by the same fold: its ``shape`` names the
state's type, the fingerprint of that type's schema and ``FOLD_REVISION``, so a
snapshot written by an older release is ignored (and replaced) rather than misread.
Auditors' replays (``history``, bitemporal views, verification) never read snapshots.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import msgspec

from infrastructure.store.sql import Tx

SNAPSHOT_EVERY = 100
TABLE = "aggregate_snapshots"

# Bump when a fold's rules change without its state's fields changing: every
# snapshot of the previous rules is then ignored and taken again.
FOLD_REVISION = 1

S = TypeVar("S")


def shape_of(state_type: type[Any]) -> str:
    schema = msgspec.json.encode(msgspec.json.schema(state_type))
    digest = hashlib.sha256(schema).hexdigest()[:16]
    return f"{state_type.__name__}/{digest}/r{FOLD_REVISION}"


class Snapshot(msgspec.Struct, Generic[S], frozen=True):
    version: int
    state: S


class SnapshotCodec(Generic[S]):
    """Encodes one state type; refuses snapshots of another shape."""

    def __init__(self, state_type: type[S]) -> None:
        self.shape = shape_of(state_type)
        self._encoder = msgspec.msgpack.Encoder()
        self._decoder = msgspec.msgpack.Decoder(state_type)

    def encode(self, state: S) -> bytes:
        return self._encoder.encode(state)

    def decode(self, shape: str, data: bytes) -> S | None:
        if shape != self.shape:
            return None
        try:
            return self._decoder.decode(data)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None


class PendingSnapshot(msgspec.Struct, frozen=True):
    aggregate_id: str
    version: int
    data: bytes
    shape: str


def create_snapshot_table(tx: Tx) -> None:
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {tx.table(TABLE)} ("
        "aggregate_id TEXT PRIMARY KEY, "
        f"version {tx.bigint_type} NOT NULL, "
        "shape TEXT NOT NULL, "
        f"state {tx.blob_type} NOT NULL)"
    )


def read_snapshot_row(tx: Tx, aggregate_id: str) -> tuple[int, str, bytes] | None:
    """The stored snapshot as it is: version, shape and encoded state."""
    tx.execute(
        f"SELECT version, shape, state FROM {tx.table(TABLE)} WHERE aggregate_id = ?",
        (aggregate_id,),
    )
    row = tx.fetchone()
    return None if row is None else (int(row[0]), str(row[1]), bytes(row[2]))


def read_snapshot(tx: Tx, aggregate_id: str, codec: SnapshotCodec[S]) -> Snapshot[S] | None:
    row = read_snapshot_row(tx, aggregate_id)
    if row is None:
        return None
    version, shape, data = row
    state = codec.decode(shape, data)
    return None if state is None else Snapshot(version, state)


def write_snapshot(
    tx: Tx, aggregate_id: str, version: int, state: S, codec: SnapshotCodec[S]
) -> None:
    """Keeps the newest snapshot: an older one never replaces a newer one."""
    _upsert(tx, PendingSnapshot(aggregate_id, version, codec.encode(state), codec.shape))


def _upsert(tx: Tx, snapshot: PendingSnapshot) -> None:
    tx.execute(
        f"INSERT INTO {tx.table(TABLE)} (aggregate_id, version, shape, state) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (aggregate_id) DO UPDATE SET "
        "version = excluded.version, shape = excluded.shape, state = excluded.state "
        f"WHERE {tx.table(TABLE)}.version < excluded.version "
        f"OR {tx.table(TABLE)}.shape <> excluded.shape",
        (snapshot.aggregate_id, snapshot.version, snapshot.shape, snapshot.data),
    )


class SnapshotHook:
    """Writes the snapshots loads have taken inside the next append's transaction.

    A server that group-commits should not pay a transaction and a flush to disk per
    snapshot, nor make its writer wait for one: the snapshot rides along with the next
    batch of events. If that append rolls back, its snapshots go with it; a later load
    takes them again.
    """

    def __init__(self) -> None:
        self._pending: dict[str, PendingSnapshot] = {}
        self._lock = threading.Lock()

    def create_tables(self, tx: Tx) -> None:
        create_snapshot_table(tx)

    def queue(self, aggregate_id: str, version: int, state: S, codec: SnapshotCodec[S]) -> None:
        snapshot = PendingSnapshot(aggregate_id, version, codec.encode(state), codec.shape)
        with self._lock:
            queued = self._pending.get(aggregate_id)
            if queued is None or queued.version < version:
                self._pending[aggregate_id] = snapshot

    def on_append(self, tx: Tx, appended: Sequence[Any]) -> None:
        with self._lock:
            pending, self._pending = list(self._pending.values()), {}
        for snapshot in pending:
            _upsert(tx, snapshot)
