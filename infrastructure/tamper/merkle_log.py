"""The append hook that makes every event a Merkle leaf in the event's own transaction.

Per append: one query for the frontier (the stored perfect subtrees the new leaves
combine with), the leaf hashes of the new rows, one ``executemany`` of every new node.
When the batch closes a stage and a signing key is configured, the checkpoint of the
new tree is signed and stored in that same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from domain.events import StageClosed
from infrastructure.merkle import (
    MissingNodeError,
    frontier_coordinates,
    nodes_to_store_after_append,
    root_coordinates,
)
from infrastructure.store.hooks import AppendedEvent
from infrastructure.store.sql import Tx
from infrastructure.tamper.checkpoints import create_checkpoint_table, sign_and_store
from infrastructure.tamper.commitments import commitments_at
from infrastructure.tamper.errors import MerkleLogDamaged
from infrastructure.tamper.event_rows import event_table
from infrastructure.tamper.keys import (
    SigningKey,
    VerifierKey,
    configured_signing_key,
    configured_verifier_key,
)
from infrastructure.tamper.leaf import leaf_hashes
from infrastructure.tamper.node_store import create_node_table, fetch_nodes, insert_nodes

if TYPE_CHECKING:
    from infrastructure.ledger import Ledger


class MerkleLogHook:
    """Writes each appended event's leaf and the tree nodes it completes."""

    def __init__(self, signer: SigningKey | None = None, public: VerifierKey | None = None) -> None:
        self.signer = signer
        self.public_key = signer.verifier if signer is not None else public

    def create_tables(self, tx: Tx) -> None:
        create_node_table(tx)
        create_checkpoint_table(tx)

    def on_append(self, tx: Tx, appended: Sequence[AppendedEvent]) -> None:
        if not appended:
            return
        old_size = appended[0].position - 1
        # The next leaf's own slot rides along: finding it stored means a damaged log.
        nodes = fetch_nodes(tx, [*frontier_coordinates(old_size), (0, old_size)])
        if (0, old_size) in nodes:
            msg = f"position {old_size + 1} already has a leaf; run label-ledger verify"
            raise MerkleLogDamaged(msg)
        leaves = leaf_hashes(
            [
                (a.position, a.originator_id, a.originator_version, a.topic, a.state)
                for a in appended
            ]
        )
        try:
            created = nodes_to_store_after_append(old_size, leaves, nodes)
        except MissingNodeError as error:
            msg = f"the Merkle log lacks nodes at size {old_size}: {error}; run label-ledger verify"
            raise MerkleLogDamaged(msg) from None
        insert_nodes(tx, created)
        if self.signer is not None and any(a.topic == StageClosed.TOPIC for a in appended):
            size = old_size + len(appended)
            nodes.update(((level, index), digest) for level, index, digest in created)
            root_nodes = {c: nodes[c] for c in root_coordinates(size)}
            commitments = commitments_at(tx, event_table(tx), size, appended)
            sign_and_store(tx, self.signer, size, root_nodes, commitments=commitments)


def merkle_log_hook() -> MerkleLogHook:
    """The hook factory of the composition root (reads ``LEDGER_SIGNING_KEY`` and
    ``LEDGER_PUBLIC_KEY`` now)."""
    return MerkleLogHook(configured_signing_key(), configured_verifier_key())


def ledger_signing_key(ledger: Ledger) -> SigningKey | None:
    """The signing key the ledger was opened with (``LEDGER_SIGNING_KEY``), if any."""
    hook = _hook(ledger)
    return None if hook is None else hook.signer


def ledger_public_key(ledger: Ledger) -> VerifierKey | None:
    """The key checkpoints are checked with: the signing key's, else ``LEDGER_PUBLIC_KEY``."""
    hook = _hook(ledger)
    return None if hook is None else hook.public_key


def _hook(ledger: Ledger) -> MerkleLogHook | None:
    for hook in ledger.store.hooks:
        if isinstance(hook, MerkleLogHook):
            return hook
    return None
