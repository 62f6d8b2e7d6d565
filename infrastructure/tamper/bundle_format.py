"""The offline audit bundle: a cluster's events, their inclusion proofs, a signed checkpoint.

One JSON file (compact msgspec JSON, canonical: a verifier re-encodes it and rejects
any other spelling, so every byte of it is covered by some check)::

    {"format": "label-ledger/bundle/v1", "origin": ..., "key_id": ..., "leaf_encoding":
     "label-ledger/leaf/v1", "cluster": SLUG, "checkpoint": NOTE, "events": [
       {"position": p, "aggregate_id": ..., "version": v, "topic": ..., "state": BASE64,
        "proof": [HEX, ...]}, ...]}
"""

from __future__ import annotations

import msgspec

BUNDLE_FORMAT = "label-ledger/bundle/v1"


class BundledEvent(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A stored event row with its inclusion proof in the bundle's checkpoint."""

    position: int
    aggregate_id: str
    version: int
    topic: str
    state: bytes
    proof: list[str]


class Bundle(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    format: str
    origin: str
    key_id: str
    leaf_encoding: str
    cluster: str
    checkpoint: str
    events: list[BundledEvent]


def encode_bundle(bundle: Bundle) -> bytes:
    return msgspec.json.encode(bundle) + b"\n"
