"""The offline audit bundle: a cluster's events, their inclusion proofs, a signed checkpoint
and the cluster's head proof.

One JSON file (compact msgspec JSON, canonical: a verifier re-encodes it and rejects
any other spelling, so every byte of it is covered by some check)::

    {"format": "label-ledger/bundle/v2", "origin": ..., "key_id": ..., "leaf_encoding":
     "label-ledger/leaf/v1", "cluster": SLUG, "checkpoint": NOTE, "events": [
       {"position": p, "aggregate_id": ..., "version": v, "topic": ..., "state": BASE64,
        "proof": [HEX, ...]}, ...],
     "head": {"aggregate_id": ..., "version": v, "position": p, "index": i, "count": n,
              "proof": [HEX, ...]}}

``head`` proves, in the checkpoint's heads tree (``heads.py``), the cluster's last version
at the checkpoint: with versions dense, the bundle provably holds *all* its events up to
the checkpoint. A v1 bundle (no head) proves inclusion only.
"""

from __future__ import annotations

import msgspec

from infrastructure.tamper.heads import HeadProof

BUNDLE_FORMAT = "label-ledger/bundle/v2"
BUNDLE_V1 = "label-ledger/bundle/v1"


class BundledEvent(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A stored event row with its inclusion proof in the bundle's checkpoint."""

    position: int
    aggregate_id: str
    version: int
    topic: str
    state: bytes
    proof: list[str]


class Bundle(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=True
):
    format: str
    origin: str
    key_id: str
    leaf_encoding: str
    cluster: str
    checkpoint: str
    events: list[BundledEvent]
    head: HeadProof | None = None


def encode_bundle(bundle: Bundle) -> bytes:
    return msgspec.json.encode(bundle) + b"\n"
