"""The stored read models, read as views: ``(key, row digest)`` in key order.

``stored_rows`` sorts them in Python; ``ordered_rows`` streams them in the order SQL gives
with a code-point collation (``COLLATE "C"`` on PostgreSQL; SQLite's ``BINARY`` already
is): a whole table is never held. A row whose key SQL orders otherwise (a value of another
type written in) comes out of order, which a comparison names as a difference. A row that
does not decode still gets a digest (of its raw bytes), which no folded row
has, so it is named like any other differing row.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from hashlib import sha256
from typing import Any

import msgspec

from domain.view_digest import (
    CLUSTERS,
    FACETS,
    REVIEWS,
    STAGES,
    RowKey,
    row_digest,
)
from infrastructure.projections.read_models import CLUSTER_DECODER, REVIEW_DECODER, STAGE_DECODER
from infrastructure.projections.tables import (
    CLUSTER_FACETS,
    CLUSTER_REVIEWS,
    CLUSTER_STATES,
    STAGE_STATES,
)
from infrastructure.store.sql import Tx
from infrastructure.tamper.reads import select_all, select_streamed

ViewRows = list[tuple[RowKey, bytes]]
_DECODE_ERRORS = (msgspec.DecodeError, msgspec.ValidationError, TypeError, ValueError)


Known = Callable[[RowKey, bytes], bytes | None]
"""``(key, stored bytes)`` -> that row's digest when the bytes are known to be the expected
row's (a shortcut past decoding), else None."""


def stored_rows(
    tx: Tx, view: str, only: Iterable[str] | None = None, known: Known | None = None
) -> ViewRows:
    """The stored rows of ``view`` in key order; ``only`` restricts them to some aggregates."""
    wanted = None if only is None else set(only)
    rows = [row for row in _read(tx, view, known) if wanted is None or row[0][0] in wanted]
    rows.sort(key=lambda row: row[0])
    return rows


def ordered_rows(
    tx: Tx, view: str, known: Known | None = None
) -> Generator[tuple[RowKey, bytes], None, None]:
    """The stored rows of ``view`` in key order, streamed."""
    return _read(tx, view, known, ordered=True)


def _read(
    tx: Tx, view: str, known: Known | None, *, ordered: bool = False
) -> Generator[tuple[RowKey, bytes], None, None]:
    text = ' COLLATE "C"' if tx.dialect == "postgresql" else ""

    def rows(columns: str, table: str, order: str) -> Iterator[Any]:
        statement = f"SELECT {columns} FROM {tx.table(table)}"
        if not ordered:
            return iter(select_all(tx, statement))
        return select_streamed(tx, f"{statement} ORDER BY {order.format(text=text)}")

    if view == CLUSTERS:
        for cluster_id, state in rows("cluster_id, state", CLUSTER_STATES, "cluster_id{text}"):
            yield _decoded((str(cluster_id),), state, CLUSTER_DECODER, known)
    elif view == STAGES:
        for stage_id, state in rows("stage_id, state", STAGE_STATES, "stage_id{text}"):
            yield _decoded((str(stage_id),), state, STAGE_DECODER, known)
    elif view == REVIEWS:
        for cluster_id, version, state in rows(
            "cluster_id, version, state", CLUSTER_REVIEWS, "cluster_id{text}, version"
        ):
            yield _decoded((str(cluster_id), _int(version)), state, REVIEW_DECODER, known)
    elif view == FACETS:
        for cluster_id, facet, value in rows(
            "cluster_id, facet, value",
            CLUSTER_FACETS,
            "cluster_id{text}, facet{text}, value{text}",
        ):
            key = (str(cluster_id), str(facet), str(value))
            yield key, row_digest(key, None)
    else:
        raise ValueError(f"no view named {view!r}")


def _decoded(
    key: RowKey, state: Any, decoder: msgspec.msgpack.Decoder[Any], known: Known | None
) -> tuple[RowKey, bytes]:
    raw = bytes(state) if isinstance(state, bytes | bytearray | memoryview) else str(state).encode()
    if known is not None:
        digest = known(key, raw)
        if digest is not None:
            return key, digest
    try:
        return key, row_digest(key, decoder.decode(raw))
    except _DECODE_ERRORS:
        return key, sha256(b"undecodable\n" + raw).digest()


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
