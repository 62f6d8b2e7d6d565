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
from infrastructure.tamper.bundle_format import (
    BUNDLE_FORMAT,
    BUNDLE_V1,
    Bundle,
    BundledEvent,
    encode_bundle,
)
from infrastructure.tamper.errors import InvalidBundle, InvalidCheckpoint
from infrastructure.tamper.heads import proves_head
from infrastructure.tamper.keys import VerifierKey
from infrastructure.tamper.leaf import DECODE_ERRORS, LEAF_VERSION, UndecodableEvent, leaf_hash_of
from infrastructure.tamper.notes import SignedCheckpoint, parse_checkpoint


class ProvenEvent(msgspec.Struct, frozen=True):
    position: int
    event: LedgerEvent


class BundleReport(msgspec.Struct, frozen=True, kw_only=True):
    cluster: str
    complete: bool
    """Whether the bundle proves it holds every event of the cluster up to its checkpoint."""
    origin: str
    tree_size: int
    root_hash: str
    signed_at: str
    key: str
    events: list[ProvenEvent]


def verify_bundle(data: bytes, key: VerifierKey, *, allow_incomplete: bool = False) -> BundleReport:
    """Returns the proven history, or raises ``InvalidBundle`` naming what does not verify.

    A bundle must prove itself complete (a v2 bundle's head proof) unless
    ``allow_incomplete``, which accepts a v1 bundle proving inclusion only.
    """
    bundle = _decode(data)
    signed = _checked_checkpoint(bundle, key)
    checkpoint = signed.checkpoint
    _check_sequence(bundle)
    for item in bundle.events:
        _check_inclusion(item, checkpoint.tree_size, checkpoint.root_hash)
    complete = bundle.format == BUNDLE_FORMAT
    if complete:
        _check_complete(bundle, checkpoint.heads_root)
    elif not allow_incomplete:
        msg = (
            "a v1 bundle proves its events are in the log, not that none was left out; "
            "ask for a new bundle (or accept it with --allow-incomplete)"
        )
        raise InvalidBundle(msg)
    return BundleReport(
        cluster=bundle.cluster,
        complete=complete,
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
    if bundle.format not in (BUNDLE_FORMAT, BUNDLE_V1) or bundle.leaf_encoding != LEAF_VERSION:
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


def _check_complete(bundle: Bundle, heads_root: bytes | None) -> None:
    """The last bundled event is the cluster's head that the checkpoint signed."""
    head = bundle.head
    if head is None or heads_root is None:
        raise InvalidBundle("a v2 bundle needs a head proof and a checkpoint with a heads root")
    aggregate = cluster_id(bundle.cluster)
    if head.aggregate_id != aggregate or not proves_head(head, heads_root):
        raise InvalidBundle(f"the head of {aggregate} is not proven by the checkpoint")
    last = bundle.events[-1] if bundle.events else None
    if last is None or (last.version, last.position) != (head.version, head.position):
        held = "no event" if last is None else f"version {last.version} (position {last.position})"
        msg = (
            f"the checkpoint says {aggregate} was at version {head.version} (position "
            f"{head.position}) but the bundle ends at {held}: events were left out"
        )
        raise InvalidBundle(msg)


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
