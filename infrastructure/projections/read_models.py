"""Applies ledger events to the read models, a run of events per transaction.

The records a run touches are loaded once, each aggregate's events are applied
to its record together, and the records are written back on ``flush``: the cost
of an event does not grow with its cluster's history. A correction refolds its
aggregate from the events table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

import msgspec

from domain.cluster import Review
from domain.errors import ProjectionFailed
from domain.events import EventCorrected, LedgerEvent
from domain.records import (
    ClusterRecord,
    StageRecord,
    advance_cluster_record,
    cluster_record_from_history,
    evolve_stage_record,
    facets,
    stage_record_from_history,
)
from infrastructure.projections.decoding import EventDecoder
from infrastructure.projections.tables import (
    CLUSTER_FACETS,
    CLUSTER_REVIEWS,
    CLUSTER_STATES,
    STAGE_STATES,
    events_table,
)
from infrastructure.store.bulk import delete_rows, insert_rows
from infrastructure.store.sql import Tx

R = TypeVar("R", ClusterRecord, StageRecord)
# Position, aggregate id, topic, stored state, and the event itself when the caller
# already holds it in its stored form (decoding.as_stored), else None.
PendingRow = tuple[int, str, str, bytes, LedgerEvent | None]
ReviewRow = tuple[str, int, int, bytes]  # cluster id, version, stage, state

_encoder = msgspec.msgpack.Encoder()
CLUSTER_DECODER = msgspec.msgpack.Decoder(ClusterRecord)
STAGE_DECODER = msgspec.msgpack.Decoder(StageRecord)
REVIEW_DECODER = msgspec.msgpack.Decoder(Review)
CHUNK = 500  # ids per IN (...) list, well under SQLite's variable limit
PROJECTED = ("cluster:", "stage:")


def is_projected(aggregate_id: str) -> bool:
    return aggregate_id.startswith(PROJECTED)


def encode_record(record: ClusterRecord | StageRecord) -> bytes:
    return _encoder.encode(record)


class Records(Generic[R]):
    """The records a run touches: as loaded, and as evolved so far."""

    def __init__(self, table: str, key: str, decoder: msgspec.msgpack.Decoder[R]) -> None:
        self.table = table
        self.key = key
        self.decoder: msgspec.msgpack.Decoder[R] = decoder
        self.loaded: dict[str, R | None] = {}
        self.current: dict[str, R | None] = {}

    def load(self, tx: Tx, ids: Iterable[str]) -> None:
        missing = sorted(i for i in ids if i not in self.current)
        for start in range(0, len(missing), CHUNK):
            chunk = missing[start : start + CHUNK]
            marks = ",".join("?" * len(chunk))
            tx.execute(
                f"SELECT {self.key}, state FROM {tx.table(self.table)} "
                f"WHERE {self.key} IN ({marks})",
                chunk,
            )
            found = {row[0]: self.decoder.decode(row[1]) for row in tx.fetchall()}
            for record_id in chunk:
                self.loaded[record_id] = self.current[record_id] = found.get(record_id)

    def changed(self) -> list[tuple[str, R | None, R]]:
        """The records evolved since loaded, in key order (index-friendly writes)."""
        return sorted(
            (key, self.loaded[key], record)
            for key, record in self.current.items()
            if record is not None and record is not self.loaded[key]
        )

    def settle(self) -> None:
        self.loaded = dict(self.current)

    def reset(self) -> None:
        self.current = dict(self.loaded)


class PendingReviews:
    """Criteria reviews to insert, per cluster, encoded as they come (bytes are smaller
    than structs); a refolded cluster's rows are replaced."""

    def __init__(self) -> None:
        self.rows: dict[str, list[ReviewRow]] = {}
        self.replaced: set[str] = set()

    def add(self, cluster_id: str, reviews: Sequence[Review]) -> None:
        if reviews:
            encode = _encoder.encode
            rows = [(cluster_id, r.version, r.stage, encode(r)) for r in reviews]
            pending = self.rows.get(cluster_id)
            if pending is None:
                self.rows[cluster_id] = rows
            else:
                pending.extend(rows)

    def replace(self, cluster_id: str, reviews: Sequence[Review]) -> None:
        self.replaced.add(cluster_id)
        self.rows[cluster_id] = []
        self.add(cluster_id, reviews)

    def write(self, tx: Tx) -> None:
        table = tx.table(CLUSTER_REVIEWS)
        delete_rows(tx, table, [("cluster_id", "text")], [(c,) for c in sorted(self.replaced)])
        insert_rows(
            tx,
            table,
            [("cluster_id", "text"), ("version", "integer"), ("stage", "integer"),
             ("state", "bytea")],
            [row for _, rows in sorted(self.rows.items()) for row in rows],
        )
        self.clear()

    def clear(self) -> None:
        self.rows.clear()
        self.replaced.clear()


class ReadModelRun:
    """Applies stored events in ledger order; nothing is written before ``flush``.

    Records stay in memory between ``apply`` calls, so a transaction spanning many
    pages writes each record it touched once.
    """

    def __init__(self, tx: Tx, decoder: EventDecoder) -> None:
        self.tx = tx
        self.decoder = decoder
        self.clusters = Records(CLUSTER_STATES, "cluster_id", CLUSTER_DECODER)
        self.stages = Records(STAGE_STATES, "stage_id", STAGE_DECODER)
        self.reviews = PendingReviews()
        self.failed_at: int | None = None
        self.applied: list[PendingRow] = []

    def apply(self, rows: Sequence[PendingRow]) -> None:
        """Applies stored events in order; raises ProjectionFailed naming the first that fails.

        Each aggregate's events are applied as one run (the fast path); if anything
        fails, everything since the last flush is redone one event at a time to
        find, and stop at, that event.
        """
        groups = _by_aggregate(rows)
        self._load(groups)
        try:
            for aggregate_id, group in groups.items():
                self._apply_group(aggregate_id, group)
        except Exception:
            self.clusters.reset()
            self.stages.reset()
            self.reviews.clear()
            for row in [*self.applied, *rows]:
                if not is_projected(row[1]):
                    continue
                try:
                    self._apply_group(row[1], [row])
                except Exception as error:
                    self.failed_at = row[0]
                    msg = f"event of {row[1]} at position {row[0]}: {error}"
                    raise ProjectionFailed(msg) from error
            raise
        self.applied.extend(rows)

    def flush(self) -> None:
        self._write_clusters(self.clusters.changed())
        insert_rows(
            self.tx,
            self.tx.table(STAGE_STATES),
            [("stage_id", "text"), ("number", "integer"), ("state", "bytea")],
            [(key, stage.stage.number, encode_record(stage)) for key, _, stage in
             self.stages.changed()],
            on_conflict="ON CONFLICT (stage_id) DO UPDATE SET state = excluded.state",
        )
        self.reviews.write(self.tx)
        self.clusters.settle()
        self.stages.settle()
        self.applied.clear()

    # --- applying -----------------------------------------------------------

    def _apply_group(self, aggregate_id: str, group: Sequence[PendingRow]) -> None:
        decoders = self.decoder.by_topic
        events = [
            decoders[topic](state) if event is None else event
            for _, _, topic, state, event in group
        ]
        start = 0
        for index, event in enumerate(events):
            if isinstance(event, EventCorrected):
                self._advance(aggregate_id, events[start:index])
                self._refold(aggregate_id, group[index][0])
                start = index + 1
        self._advance(aggregate_id, events[start:] if start else events)

    def _advance(self, key: str, events: list[LedgerEvent]) -> None:
        if not events:
            return
        if key.startswith("cluster:"):
            advance = advance_cluster_record(self.clusters.current[key], events)
            self.clusters.current[key] = advance.record
            self.reviews.add(key, advance.reviews)
            return
        stage = self.stages.current[key]
        for event in events:
            stage = evolve_stage_record(stage, event)
        self.stages.current[key] = stage

    def _refold(self, key: str, position: int) -> None:
        history = self._history(key, position)
        if key.startswith("cluster:"):
            advance = cluster_record_from_history(history)
            self.clusters.current[key] = advance.record
            self.reviews.replace(key, advance.reviews)
        else:
            self.stages.current[key] = stage_record_from_history(history)

    def _history(self, aggregate_id: str, position: int) -> list[LedgerEvent]:
        table, column = events_table(self.tx)
        self.tx.execute(
            f"SELECT topic, state FROM {table} WHERE originator_id = ? AND {column} <= ? "
            "ORDER BY originator_version",
            (aggregate_id, position),
        )
        decode = self.decoder.decode
        return [decode(topic, bytes(state)) for topic, state in self.tx.fetchall()]

    # --- loading and writing ------------------------------------------------

    def _load(self, ids: Iterable[str]) -> None:
        self.clusters.load(self.tx, (i for i in ids if i.startswith("cluster:")))
        self.stages.load(self.tx, (i for i in ids if i.startswith("stage:")))

    def _write_clusters(
        self, changed: list[tuple[str, ClusterRecord | None, ClusterRecord]]
    ) -> None:
        """One statement per table for the whole batch, not one per cluster."""
        if not changed:
            return
        tx = self.tx
        insert_rows(
            tx,
            tx.table(CLUSTER_STATES),
            [("cluster_id", "text"), ("slug", "text"), ("state", "bytea")],
            [(cluster_id, after.slug, encode_record(after)) for cluster_id, _, after in changed],
            on_conflict="ON CONFLICT (cluster_id) DO UPDATE SET state = excluded.state",
        )
        removed: list[tuple[str, str, str]] = []
        added: list[tuple[str, str, str]] = []
        for cluster_id, before, after in changed:
            old = set() if before is None else facets(before)
            new = facets(after)
            removed.extend((f, v, cluster_id) for f, v in old - new)
            added.extend((f, v, cluster_id) for f, v in new - old)
        removed.sort()
        added.sort()
        columns = [("facet", "text"), ("value", "text"), ("cluster_id", "text")]
        delete_rows(tx, tx.table(CLUSTER_FACETS), columns, removed)
        insert_rows(tx, tx.table(CLUSTER_FACETS), columns, added)


def _by_aggregate(rows: Sequence[PendingRow]) -> dict[str, list[PendingRow]]:
    """The projected aggregates' rows, each in ledger order, by order of first appearance."""
    groups: dict[str, list[PendingRow]] = {}
    for row in rows:
        group = groups.get(row[1])
        if group is not None:
            group.append(row)
        elif row[1].startswith(PROJECTED):
            groups[row[1]] = [row]
    return groups
