"""What a checkpoint commits to beside its root: the heads root and the views digest.

Both are computed when the checkpoint is signed, in the signing transaction. The heads
come from the events table. The views come from the stored read models, which the
append transaction keeps at the log's last position; inside an append (a stage closure
signs in its own transaction, before the read models have applied it) the stored rows
of the aggregates the append touched are replaced by folding the appended events onto
them. Either way the checkpoint is the log's signed statement of its views: ``verify``
and every auditor recompute them from the events and name the checkpoint if they differ.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence

import msgspec

from domain.events import LedgerEvent
from domain.view_digest import CHECKPOINT_VIEWS, REVIEWS, RowKey, views_digest
from domain.view_digest import view_digest as digest_of_view
from domain.view_fold import ViewFold
from infrastructure.projections.decoding import EventDecoder
from infrastructure.projections.read_models import CLUSTER_DECODER, STAGE_DECODER
from infrastructure.projections.tables import CLUSTER_STATES, STAGE_STATES, tracked_position
from infrastructure.store.hooks import AppendedEvent
from infrastructure.store.sql import Tx
from infrastructure.tamper.event_rows import EventTable
from infrastructure.tamper.heads import Head, heads_root
from infrastructure.tamper.reads import select_all
from infrastructure.tamper.view_tables import stored_rows


class Commitments(msgspec.Struct, frozen=True, kw_only=True):
    heads_root: bytes
    views_digest: bytes | None
    """None when the read models are neither at the signed size nor just before the append."""


def stored_heads(tx: Tx, events: EventTable, up_to: int | None = None) -> dict[str, Head]:
    """Every aggregate's last version and its position, from the events table."""
    where = "" if up_to is None else f" WHERE {events.position} <= ?"
    rows = select_all(
        tx,
        f"SELECT originator_id, MAX(originator_version), MAX({events.position}) "
        f"FROM {events.name}{where} GROUP BY originator_id",
        () if up_to is None else (up_to,),
    )
    return {str(aggregate): (int(version), int(position)) for aggregate, version, position in rows}


def commitments_at(
    tx: Tx, events: EventTable, size: int, appended: Sequence[AppendedEvent] = ()
) -> Commitments:
    """The commitments of the stored log at ``size`` (its last position)."""
    return Commitments(
        heads_root=heads_root(stored_heads(tx, events)),
        views_digest=_views_digest(tx, events, size, appended),
    )


def _views_digest(
    tx: Tx, events: EventTable, size: int, appended: Sequence[AppendedEvent]
) -> bytes | None:
    tracked = tracked_position(tx)
    if tracked == size:
        return views_digest(
            {view: digest_of_view(view, (d for _, d in stored_rows(tx, view))) for view in
             CHECKPOINT_VIEWS}
        )
    if not appended or tracked != appended[0].position - 1:
        return None
    fold = _fold_appended(tx, events, appended)
    touched = set(fold.clusters) | set(fold.stages)
    digests = {}
    for view in CHECKPOINT_VIEWS:
        kept = (row for row in stored_rows(tx, view) if row[0][0] not in touched)
        merged = heapq.merge(kept, fold.rows(view), key=lambda row: row[0])
        digests[view] = digest_of_view(view, (d for _, d in merged))
    return views_digest(digests)


def _fold_appended(tx: Tx, events: EventTable, appended: Sequence[AppendedEvent]) -> ViewFold:
    decoder = EventDecoder()
    fold = ViewFold(history=sql_history(tx, events, decoder))
    touched = sorted({a.originator_id for a in appended})
    _preload(tx, fold, touched)
    fold.apply([(a.position, decoder.decode(a.topic, a.state)) for a in appended])
    return fold


def _preload(tx: Tx, fold: ViewFold, aggregate_ids: list[str]) -> None:
    """Puts the stored records of some aggregates into a fold, to apply an append onto."""
    clusters = [i for i in aggregate_ids if i.startswith("cluster:")]
    stages = [i for i in aggregate_ids if i.startswith("stage:")]
    for key, state in _states(tx, CLUSTER_STATES, "cluster_id", clusters):
        fold.clusters[key] = CLUSTER_DECODER.decode(state)
    for key, state in _states(tx, STAGE_STATES, "stage_id", stages):
        fold.stages[key] = STAGE_DECODER.decode(state)
    for (cluster_id, version), digest in _review_keys(stored_rows(tx, REVIEWS, clusters)):
        fold.reviews.setdefault(cluster_id, []).append((version, digest))


def _states(tx: Tx, table: str, column: str, ids: list[str]) -> Iterator[tuple[str, bytes]]:
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for key, state in select_all(
            tx, f"SELECT {column}, state FROM {tx.table(table)} WHERE {column} IN ({marks})", chunk
        ):
            yield str(key), bytes(state)


def _review_keys(rows: list[tuple[RowKey, bytes]]) -> Iterator[tuple[tuple[str, int], bytes]]:
    for key, digest in rows:
        yield (str(key[0]), int(key[1])), digest


def sql_history(tx: Tx, events: EventTable, decoder: EventDecoder) -> SqlHistory:
    return SqlHistory(tx, events, decoder)


class SqlHistory:
    """An aggregate's events up to a position, read in the caller's transaction."""

    def __init__(self, tx: Tx, events: EventTable, decoder: EventDecoder) -> None:
        self.tx, self.events, self.decoder = tx, events, decoder

    def __call__(self, aggregate_id: str, position: int) -> list[LedgerEvent]:
        rows = select_all(
            self.tx,
            f"SELECT topic, state FROM {self.events.name} WHERE originator_id = ? "
            f"AND {self.events.position} <= ? ORDER BY originator_version",
            (aggregate_id, position),
        )
        return [self.decoder.decode(str(topic), bytes(state)) for topic, state in rows]
