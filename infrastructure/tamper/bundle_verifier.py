"""Checks an offline audit bundle with nothing but the bundle and the log's public key.

No database, no network: every leaf is recomputed from the bundled stored row, every
inclusion proof is checked against the checkpoint's root, and the checkpoint's
signature against the public key. The events are then decoded for reading.
"""

from __future__ import annotations

import msgspec

from domain.events import LedgerEvent
from domain.values import cluster_id
from infrastructure.event_catalogue import current_topics, legacy_schema
from infrastructure.merkle import verify_inclusion
from infrastructure.tamper.bundle_format import BUNDLE_FORMAT, Bundle, BundledEvent, encode_bundle
from infrastructure.tamper.errors import InvalidBundle, InvalidCheckpoint
from infrastructure.tamper.keys import VerifierKey
from infrastructure.tamper.leaf import DECODE_ERRORS, LEAF_VERSION, UndecodableEvent, leaf_hash_of
from infrastructure.tamper.notes import SignedCheckpoint, parse_checkpoint


class ProvenEvent(msgspec.Struct, frozen=True):
    position: int
    event: LedgerEvent


class BundleReport(msgspec.Struct, frozen=True, kw_only=True):
    cluster: str
    origin: str
    tree_size: int
    root_hash: str
    signed_at: str
    key: str
    events: list[ProvenEvent]


def verify_bundle(data: bytes, key: VerifierKey) -> BundleReport:
    """Returns the proven history, or raises ``InvalidBundle`` naming what does not verify."""
    bundle = _decode(data)
    signed = _checked_checkpoint(bundle, key)
    checkpoint = signed.checkpoint
    _check_sequence(bundle)
    for item in bundle.events:
        _check_inclusion(item, checkpoint.tree_size, checkpoint.root_hash)
    return BundleReport(
        cluster=bundle.cluster,
        origin=checkpoint.origin,
        tree_size=checkpoint.tree_size,
        root_hash=checkpoint.root_hash.hex(),
        signed_at=checkpoint.timestamp or "",
        key=f"{key.name}+{key.key_id.hex()}",
        events=[ProvenEvent(item.position, _event_of(item)) for item in bundle.events],
    )


def _decode(data: bytes) -> Bundle:
    try:
        bundle = msgspec.json.decode(data, type=Bundle)
    except DECODE_ERRORS as error:
        raise InvalidBundle(f"not a readable bundle: {error}") from None
    if encode_bundle(bundle) != data:
        raise InvalidBundle("the bundle is not byte for byte as written (edited or re-encoded)")
    if bundle.format != BUNDLE_FORMAT or bundle.leaf_encoding != LEAF_VERSION:
        msg = (
            f"unsupported bundle format {bundle.format!r} / leaf encoding {bundle.leaf_encoding!r}"
        )
        raise InvalidBundle(msg)
    return bundle


def _checked_checkpoint(bundle: Bundle, key: VerifierKey) -> SignedCheckpoint:
    try:
        signed = parse_checkpoint(bundle.checkpoint)
    except InvalidCheckpoint as error:
        raise InvalidBundle(str(error)) from None
    if bundle.origin != key.name or signed.checkpoint.origin != key.name:
        raise InvalidBundle(f"the bundle is for log {bundle.origin!r}, the key for {key.name!r}")
    if bundle.key_id != key.key_id.hex():
        raise InvalidBundle(f"the bundle names key {bundle.key_id}, not {key.key_id.hex()}")
    if not signed.is_signed_by(key):
        raise InvalidBundle("the checkpoint's signature does not verify with this public key")
    return signed


def _check_sequence(bundle: Bundle) -> None:
    """The cluster's events, each once, versions 1..n with none left out in between."""
    aggregate = cluster_id(bundle.cluster)
    previous = 0
    for version, item in enumerate(bundle.events, start=1):
        if item.aggregate_id != aggregate:
            raise InvalidBundle(f"position {item.position} belongs to {item.aggregate_id}")
        if item.version != version:
            raise InvalidBundle(f"version {version} of {aggregate} is missing from the bundle")
        if item.position <= previous:
            raise InvalidBundle(f"position {item.position} is out of order")
        previous = item.position


def _check_inclusion(item: BundledEvent, size: int, root: bytes) -> None:
    try:
        leaf = leaf_hash_of(item.position, item.aggregate_id, item.version, item.topic, item.state)
        proof = [bytes.fromhex(h) for h in item.proof]
    except (UndecodableEvent, ValueError) as error:
        raise InvalidBundle(f"position {item.position}: {error}") from None
    if [h.hex() for h in proof] != item.proof:
        raise InvalidBundle(f"position {item.position}: proof hashes are not lowercase hex")
    if not verify_inclusion(leaf, item.position - 1, size, proof, root):
        msg = f"the event at position {item.position} is not proven by the checkpoint"
        raise InvalidBundle(msg)


def _event_of(item: BundledEvent) -> LedgerEvent:
    cls = current_topics().get(item.topic)
    try:
        if cls is not None:
            return msgspec.json.decode(item.state, type=cls)
        legacy = legacy_schema(item.topic)
        if legacy is not None:
            return legacy.upcast(msgspec.json.decode(item.state, type=legacy.struct))
    except DECODE_ERRORS as error:
        msg = f"position {item.position} is proven but does not decode: {error}"
        raise InvalidBundle(msg) from None
    raise InvalidBundle(f"position {item.position} has an unknown topic {item.topic!r}")
