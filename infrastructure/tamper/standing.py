"""Whether the log still stands behind its latest signed checkpoint: a quick check.

Cheap enough for every page view (one row, O(log n) stored nodes, one signature): the
stored tree at the checkpoint's size must still have the signed root, and the note must
verify with the ledger's key when it has one. A full verification recomputes every leaf
and node (``verify_ledger``); this does not, and says so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import msgspec

from infrastructure.merkle import MissingNodeError, root_coordinates, root_from_nodes
from infrastructure.tamper.checkpoints import (
    CheckpointInfo,
    StoredCheckpoint,
    latest_stored_checkpoint,
    signed_view,
)
from infrastructure.tamper.errors import InvalidCheckpoint
from infrastructure.tamper.keys import VerifierKey
from infrastructure.tamper.merkle_log import ledger_signing_key
from infrastructure.tamper.node_store import fetch_nodes
from infrastructure.tamper.notes import parse_checkpoint

if TYPE_CHECKING:
    from infrastructure.ledger import Ledger

SignatureCheck = Literal["valid", "invalid", "unchecked"]


class CheckpointStanding(msgspec.Struct, frozen=True, kw_only=True):
    """The latest checkpoint, and what a quick check of it against the log found."""

    checkpoint: CheckpointInfo
    log_size: int
    root_in_log: bool  # the stored tree at the checkpoint's size has the signed root
    signature: SignatureCheck  # unchecked: the ledger was opened without its key
    checked_at: datetime

    @property
    def holds(self) -> bool:
        return self.root_in_log and self.signature != "invalid"


def checkpoint_standing(ledger: Ledger) -> CheckpointStanding | None:
    """The latest signed checkpoint checked against the stored tree, or None if none."""
    signer = ledger_signing_key(ledger)
    with ledger.read() as tx:
        latest = latest_stored_checkpoint(tx)
        if latest is None:
            return None
        nodes = fetch_nodes(tx, root_coordinates(latest.tree_size))
    log_size = ledger.last_position()
    try:
        root = root_from_nodes(latest.tree_size, nodes)
    except MissingNodeError:
        root = b""
    return CheckpointStanding(
        checkpoint=latest.info(),
        log_size=log_size,
        root_in_log=latest.tree_size <= log_size and root == latest.root_hash,
        signature=signature_check(latest, None if signer is None else signer.verifier),
        checked_at=datetime.now(UTC),
    )


def signature_check(stored: StoredCheckpoint, key: VerifierKey | None) -> SignatureCheck:
    if key is None:
        return "unchecked"
    try:
        signed = parse_checkpoint(stored.note)
    except InvalidCheckpoint:
        return "invalid"
    valid = (
        signed.checkpoint.origin == key.name
        and signed.is_signed_by(key)
        and signed_view(stored, signed)
    )
    return "valid" if valid else "invalid"
