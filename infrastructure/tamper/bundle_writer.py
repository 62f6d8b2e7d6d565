"""Writes a cluster's offline audit bundle from the ledger's stored rows and nodes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from domain.values import check_slug, cluster_id
from infrastructure.merkle import (
    MissingNodeError,
    inclusion_proof,
    inclusion_proof_coordinates,
    verify_inclusion,
)
from infrastructure.tamper.bundle_format import BUNDLE_FORMAT, Bundle, BundledEvent
from infrastructure.tamper.checkpoints import StoredCheckpoint, make_checkpoint, require_latest
from infrastructure.tamper.commitments import stored_heads
from infrastructure.tamper.errors import MerkleLogDamaged, NoCheckpoint
from infrastructure.tamper.event_rows import event_table
from infrastructure.tamper.heads import Head, HeadProof, head_proof, heads_root
from infrastructure.tamper.keys import SigningKey
from infrastructure.tamper.leaf import LEAF_VERSION, leaf_hashes
from infrastructure.tamper.node_store import fetch_nodes
from infrastructure.tamper.notes import parse_checkpoint

if TYPE_CHECKING:
    from infrastructure.ledger import Ledger


class WrittenBundle(msgspec.Struct, frozen=True, kw_only=True):
    bundle: Bundle
    tree_size: int
    later_events: int
    """The cluster's events recorded after the checkpoint, which it cannot prove."""


def build_bundle(ledger: Ledger, slug: str, *, signer: SigningKey | None = None) -> WrittenBundle:
    """The cluster's events proven in the latest checkpoint (made first if ``signer`` is given)."""
    check_slug(slug)
    ledger.get_cluster(slug)
    if signer is not None:
        make_checkpoint(ledger, signer)
    with ledger.read() as tx:
        latest = require_latest(tx)
        events = event_table(tx)
        rows = events.rows_of(tx, cluster_id(slug), events.last_position(tx))
        covered = [row for row in rows if row[0] <= latest.tree_size]
        size = latest.tree_size
        wanted = {c for row in covered for c in inclusion_proof_coordinates(row[0] - 1, size)}
        nodes = fetch_nodes(tx, wanted)
        heads = stored_heads(tx, events, up_to=size)
    if not covered:
        msg = (
            f"no event of {slug} is covered by the latest checkpoint (tree size {size}); "
            "sign a new one first (--key)"
        )
        raise NoCheckpoint(msg)
    head = _head_proof(latest, heads, cluster_id(slug))
    leaves = leaf_hashes(covered)
    bundled = []
    for row, leaf in zip(covered, leaves, strict=True):
        try:
            proof = inclusion_proof(row[0] - 1, size, nodes)
        except MissingNodeError:
            proof = []
        # A bundle that would not verify is never written: the store needs a verify first.
        if not verify_inclusion(leaf, row[0] - 1, size, proof, latest.root_hash):
            msg = (
                f"the event at position {row[0]} does not verify in checkpoint "
                f"#{latest.seq}; run label-ledger verify"
            )
            raise MerkleLogDamaged(msg)
        position, aggregate_id, version, topic, state = row
        bundled.append(
            BundledEvent(
                position=position,
                aggregate_id=aggregate_id,
                version=version,
                topic=topic,
                state=state,
                proof=[h.hex() for h in proof],
            )
        )
    bundle = Bundle(
        format=BUNDLE_FORMAT,
        origin=latest.origin,
        key_id=latest.key_id,
        leaf_encoding=LEAF_VERSION,
        cluster=slug,
        checkpoint=latest.note,
        events=bundled,
        head=head,
    )
    return WrittenBundle(bundle=bundle, tree_size=size, later_events=len(rows) - len(covered))


def _head_proof(latest: StoredCheckpoint, heads: dict[str, Head], aggregate_id: str) -> HeadProof:
    """The cluster's head proven in the checkpoint's heads tree, or why it cannot be."""
    committed = parse_checkpoint(latest.note).checkpoint.heads_root
    if committed is None:
        msg = (
            f"checkpoint #{latest.seq} predates heads commitments, so it cannot prove a "
            "bundle complete: sign a new checkpoint first (--key)"
        )
        raise NoCheckpoint(msg)
    if heads_root(heads) != committed:
        msg = (
            f"the events up to {latest.tree_size} no longer give the heads root checkpoint "
            f"#{latest.seq} signed; run label-ledger verify"
        )
        raise MerkleLogDamaged(msg)
    return head_proof(heads, aggregate_id)
