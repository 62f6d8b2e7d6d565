"""Applies ledger events to the read models, a run of events per transaction.

Records are loaded once per run, evolved in memory event by event, and written
back on ``flush``: the cost of an event does not grow with its cluster's
history. A correction refolds its aggregate from the events table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Generic, TypeVar

import msgspec

from domain.errors import ProjectionFailed
from domain.events import EventCorrected, LedgerEvent
from domain.records import (
    ClusterRecord,
    StageRecord,
    cluster_record_from_history,
    evolve_cluster_record,
    evolve_stage_record,
    stage_record_from_history,
)
from infrastructure.projections.tables import (
    CLUSTER_FACETS,
    CLUSTER_STATES,
    STAGE_STATES,
    events_table,
)
from infrastructure.store.sql import Tx

Decode = Callable[[str, bytes], LedgerEvent]
R = TypeVar("R", ClusterRecord, StageRecord)
Facet = tuple[str, str]
StoredRow = tuple[int, str, str, bytes]  # position, aggregate id, topic, state

_encoder = msgspec.msgpack.Encoder()
CLUSTER_DECODER = msgspec.msgpack.Decoder(ClusterRecord)
STAGE_DECODER = msgspec.msgpack.Decoder(StageRecord)
CHUNK = 500  # ids per IN (...) list, well under SQLite's variable limit


def is_projected(aggregate_id: str) -> bool:
    return aggregate_id.startswith(("cluster:", "stage:"))


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
        return [
            (key, self.loaded[key], record)
            for key, record in self.current.items()
            if record is not None and record is not self.loaded[key]
        ]

    def settle(self) -> None:
        self.loaded = dict(self.current)


class ReadModelRun:
    """Applies positioned events in ledger order; nothing is written before ``flush``."""

    def __init__(self, tx: Tx, decode: Decode) -> None:
        self.tx = tx
        self.decode = decode
        self.clusters = Records(CLUSTER_STATES, "cluster_id", CLUSTER_DECODER)
        self.stages = Records(STAGE_STATES, "stage_id", STAGE_DECODER)
        self.failed_at: int | None = None

    def apply(self, rows: Sequence[StoredRow]) -> None:
        """Applies stored events in order; raises ProjectionFailed naming the first that fails."""
        self._load({row[1] for row in rows})
        for position, aggregate_id, topic, state in rows:
            try:
                self._apply(position, self.decode(topic, state))
            except Exception as error:
                raise self._failure(position, aggregate_id, error) from error

    def _failure(self, position: int, aggregate_id: str, error: Exception) -> ProjectionFailed:
        self.failed_at = position
        return ProjectionFailed(f"event of {aggregate_id} at position {position}: {error}")

    def flush(self) -> None:
        for cluster_id, before, after in self.clusters.changed():
            self._write_cluster(cluster_id, before, after)
        for stage_id, _, stage in self.stages.changed():
            self.tx.execute(
                f"INSERT INTO {self.tx.table(STAGE_STATES)} (stage_id, number, state) "
                "VALUES (?, ?, ?) ON CONFLICT (stage_id) DO UPDATE SET state = excluded.state",
                (stage_id, stage.stage.number, encode_record(stage)),
            )
        self.clusters.settle()
        self.stages.settle()

    # --- applying -----------------------------------------------------------

    def _apply(self, position: int, event: LedgerEvent) -> None:
        key = event.originator_id
        corrected = isinstance(event, EventCorrected)
        if key.startswith("cluster:"):
            self.clusters.current[key] = (
                cluster_record_from_history(self._history(key, position))
                if corrected
                else evolve_cluster_record(self.clusters.current[key], event)
            )
        elif key.startswith("stage:"):
            self.stages.current[key] = (
                stage_record_from_history(self._history(key, position))
                if corrected
                else evolve_stage_record(self.stages.current[key], event)
            )

    def _history(self, aggregate_id: str, position: int) -> list[LedgerEvent]:
        table, column = events_table(self.tx)
        self.tx.execute(
            f"SELECT topic, state FROM {table} WHERE originator_id = ? AND {column} <= ? "
            "ORDER BY originator_version",
            (aggregate_id, position),
        )
        return [self.decode(topic, bytes(state)) for topic, state in self.tx.fetchall()]

    # --- loading and writing ------------------------------------------------

    def _load(self, ids: set[str]) -> None:
        self.clusters.load(self.tx, (i for i in ids if i.startswith("cluster:")))
        self.stages.load(self.tx, (i for i in ids if i.startswith("stage:")))

    def _write_cluster(
        self, cluster_id: str, before: ClusterRecord | None, after: ClusterRecord
    ) -> None:
        tx = self.tx
        tx.execute(
            f"INSERT INTO {tx.table(CLUSTER_STATES)} (cluster_id, slug, state) VALUES (?, ?, ?) "
            "ON CONFLICT (cluster_id) DO UPDATE SET state = excluded.state",
            (cluster_id, after.slug, encode_record(after)),
        )
        old = set() if before is None else facets(before)
        new = facets(after)
        if old - new:
            tx.executemany(
                f"DELETE FROM {tx.table(CLUSTER_FACETS)} "
                "WHERE facet = ? AND value = ? AND cluster_id = ?",
                [(facet, value, cluster_id) for facet, value in sorted(old - new)],
            )
        if new - old:
            tx.executemany(
                f"INSERT INTO {tx.table(CLUSTER_FACETS)} (facet, value, cluster_id) "
                "VALUES (?, ?, ?)",
                [(facet, value, cluster_id) for facet, value in sorted(new - old)],
            )


def facets(record: ClusterRecord) -> set[Facet]:
    """The filterable facts of a cluster: its regions, themes and the stages it was labelled for."""
    cluster = record.cluster
    return {
        *(("region", r) for r in cluster.regions),
        *(("theme", t) for t in cluster.themes),
        *(("stage", str(m.stage)) for m in record.milestones if m.kind == "granted"),
    }
