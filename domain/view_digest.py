"""One canonical digest of each derived view, shared by ``verify`` and the checkpoints.

A view is a set of rows, each under a key. A row's digest is::

    SHA-256(JSON[key, row])

and a view's digest::

    SHA-256("label-ledger/view/v1\\n" || name || "\\n" || row digests in key order)

``JSON`` is msgspec JSON with every object's keys sorted (``order="sorted"``): the same
bytes for the same values whoever computes them, from decoded events or from stored
read models. Keys are tuples compared element by element (a review's key is
``(cluster id, version)``, so versions sort as numbers).

A checkpoint commits to the digest of its views (``views_digest``)::

    SHA-256("label-ledger/views/v1\\n" || clusters || reviews || stages)

with each part the view digest above. Facets are derived from cluster records: ``verify``
checks their table, checkpoints do not commit to it. (Tokens authorise from their events
themselves, so no token table is derived.)
"""

from __future__ import annotations

from collections.abc import Iterable
from hashlib import sha256
from typing import Any

import msgspec

CLUSTERS = "clusters"
REVIEWS = "reviews"
STAGES = "stages"
FACETS = "facets"
CHECKPOINT_VIEWS = (CLUSTERS, REVIEWS, STAGES)
VIEWS_DIGEST_VERSION = "label-ledger/views/v1"
_VIEW_PREFIX = b"label-ledger/view/v1\n"

RowKey = tuple[Any, ...]
_encode = msgspec.json.Encoder(order="sorted").encode


def canonical_json(value: Any) -> bytes:
    return _encode(value)


def row_digest(key: RowKey, row: Any) -> bytes:
    return sha256(_encode((key, row))).digest()


def view_digest(name: str, digests_in_key_order: Iterable[bytes]) -> bytes:
    hasher = sha256(_VIEW_PREFIX + name.encode() + b"\n")
    for digest in digests_in_key_order:
        hasher.update(digest)
    return hasher.digest()


def views_digest(view_digests: dict[str, bytes]) -> bytes:
    """What a checkpoint commits to: the digests of ``CHECKPOINT_VIEWS``, in that order."""
    parts = b"".join(view_digests[name] for name in CHECKPOINT_VIEWS)
    return sha256(VIEWS_DIGEST_VERSION.encode() + b"\n" + parts).digest()


def key_text(key: RowKey) -> str:
    """How a row is named in a finding: ``cluster:polymeris``, ``cluster:polymeris@12``."""
    if len(key) == 2 and isinstance(key[1], int):
        return f"{key[0]}@{key[1]}"
    return " ".join(str(part) for part in key)


def first_difference(
    expected: Iterable[tuple[RowKey, bytes]], actual: Iterable[tuple[RowKey, bytes]]
) -> tuple[RowKey, str] | None:
    """The first key, in key order, whose row differs, is missing or is extra.

    Both sides are ``(key, row digest)`` in key order; the answer says which side lacks
    the row (``missing``: implied by the events, not stored; ``extra``: the reverse).
    """
    left, right = iter(expected), iter(actual)
    a, b = next(left, None), next(right, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a[0] < b[0]):
            assert a is not None
            return a[0], "missing"
        if a is None or b[0] < a[0]:
            return b[0], "extra"
        if a[1] != b[1]:
            return a[0], "differs"
        a, b = next(left, None), next(right, None)
    return None
