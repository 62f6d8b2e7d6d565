"""What the audit client keeps between runs, in its state directory.

* ``state.msgpack``: the log's key, the last checkpoint it verified (note, size, root),
  the frontier of that tree (one hash per set bit of the size, to extend it without
  re-reading anything), every aggregate's head, the views folded up to that size
  (cluster and stage records, review row digests, each view's digest) and where the rolling re-check
  stands. Written whole, atomically (a new file renamed over the old), after a run that
  found nothing.
* ``leaves.bin``: every verified leaf hash, 32 bytes each, in position order, appended to.
  It lets a run re-read old events and name exactly which one changed since, and locate
  a rewrite without trusting the server. Bytes past the state's size (a run stopped
  between the two writes) are cut off on loading.

Nothing in it is secret; all of it can be recomputed from the feed.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from domain.records import ClusterRecord, StageRecord
from domain.view_fold import ViewFold
from infrastructure.merkle import HASH_SIZE

STATE_FILE = "state.msgpack"
LEAVES_FILE = "leaves.bin"
STATE_FORMAT = "label-ledger/audit-state/v1"


class AuditState(msgspec.Struct, kw_only=True):
    format: str = STATE_FORMAT
    public_key: str
    note: str
    tree_size: int
    root: bytes
    frontier: list[bytes]
    heads: dict[str, tuple[int, int]]
    clusters: dict[str, ClusterRecord]
    stages: dict[str, StageRecord]
    reviews: dict[str, list[tuple[int, bytes]]]
    recheck_next: int = 0
    view_digests: dict[str, bytes] = msgspec.field(default_factory=dict)
    """Digests of the folded views at ``tree_size`` (a run recomputes only those that change)."""


class StateError(ValueError):
    """A state directory that cannot be read as the audit client's."""


_decoder = msgspec.msgpack.Decoder(AuditState)
_encoder = msgspec.msgpack.Encoder()


def load_state(folder: Path) -> AuditState | None:
    path = folder / STATE_FILE
    if not path.exists():
        return None
    try:
        state = _decoder.decode(path.read_bytes())
    except (msgspec.DecodeError, OSError) as error:
        raise StateError(f"{path} is not an audit state: {error}") from None
    if state.format != STATE_FORMAT:
        raise StateError(f"{path} has format {state.format!r}, not {STATE_FORMAT!r}")
    return state


def save_state(folder: Path, state: AuditState, new_leaves: list[bytes], old_size: int) -> None:
    """Appends the new leaves, then replaces the state (the state is what counts)."""
    folder.mkdir(parents=True, exist_ok=True)
    leaves = folder / LEAVES_FILE
    with leaves.open("ab") as handle:
        handle.truncate(old_size * HASH_SIZE)
        handle.write(b"".join(new_leaves))
    temporary = folder / f".{STATE_FILE}.{os.getpid()}"
    temporary.write_bytes(_encoder.encode(state))
    os.replace(temporary, folder / STATE_FILE)


def read_leaves(folder: Path, first: int, last: int) -> list[bytes]:
    """Stored leaves of positions ``first..last`` (1-based, inclusive)."""
    with (folder / LEAVES_FILE).open("rb") as handle:
        handle.seek((first - 1) * HASH_SIZE)
        data = handle.read((last - first + 1) * HASH_SIZE)
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def stored_leaf_count(folder: Path) -> int:
    path = folder / LEAVES_FILE
    return path.stat().st_size // HASH_SIZE if path.exists() else 0


def fold_from(state: AuditState | None, fold: ViewFold) -> ViewFold:
    if state is not None:
        fold.clusters = dict(state.clusters)
        fold.stages = dict(state.stages)
        fold.reviews = {key: list(rows) for key, rows in state.reviews.items()}
        fold.view_digests = dict(state.view_digests)
    return fold
