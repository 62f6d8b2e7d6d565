"""The writer's own cache of aggregate states, valid at one ledger position.

Only the writer reads or changes it, and only while it holds the store's write lock, so
the cache can be checked against the log once per transaction instead of once per
aggregate: the writer reads the ledger's last position, and every event another process
appended since the cache's position is folded into the cached state it follows (or, if
it does not follow it, the state is dropped) before any command is decided. A state
missing from the cache is loaded from its newest snapshot and the events after it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from domain.cluster import Cluster
from domain.events import EventCorrected, LedgerEvent
from domain.folds import apply, project
from domain.stage import Stage
from infrastructure.mapper import MsgspecMapper
from infrastructure.snapshots import (
    SNAPSHOT_EVERY,
    SnapshotCodec,
    write_snapshot,
)
from infrastructure.snapshots import (
    TABLE as SNAPSHOTS,
)
from infrastructure.store.event_reads import rows_after_position, rows_of_aggregates
from infrastructure.store.sql import Tx

MAX_STATES = 200_000
# Past this many events appended by others, dropping every state is cheaper than
# folding them in.
MAX_FOREIGN_EVENTS = 20_000
CODECS: dict[str, SnapshotCodec[Any]] = {
    "cluster": SnapshotCodec(Cluster),
    "stage": SnapshotCodec(Stage),
}


def codec_of(aggregate_id: str) -> SnapshotCodec[Any] | None:
    return CODECS.get(aggregate_id.partition(":")[0])


class WriterStates:
    def __init__(self, mapper: MsgspecMapper, max_states: int = MAX_STATES) -> None:
        self._decode = mapper.decode_state
        self._max_states = max_states
        self._states: OrderedDict[str, Any] = OrderedDict()
        self.position: int | None = None

    def clear(self) -> None:
        self._states.clear()
        self.position = None

    def get(self, aggregate_id: str) -> Any:
        return self._states.get(aggregate_id)

    def catch_up(self, tx: Tx, last: int) -> None:
        """Brings the cache to position ``last``, past the events others appended."""
        if self.position == last:
            return
        if self.position is None or last - self.position > MAX_FOREIGN_EVENTS:
            self._states.clear()
        else:
            for _, _, _, topic, state in rows_after_position(tx, self.position, last):
                self._follow(self._decode(topic, state))
        self.position = last

    def _follow(self, event: LedgerEvent) -> None:
        aggregate_id = event.originator_id
        state = self._states.get(aggregate_id)
        if state is None:
            return
        if state.version + 1 == event.originator_version and not isinstance(event, EventCorrected):
            self._states[aggregate_id] = apply(aggregate_id, state, event)
        elif state.version < event.originator_version:
            del self._states[aggregate_id]

    def load(self, tx: Tx, ids: Iterable[str]) -> None:
        """Loads the states of ``ids`` that are not cached (absent aggregates stay absent)."""
        missing = sorted({i for i in ids if i not in self._states})
        if not missing:
            return
        bases = self._snapshots(tx, missing)
        rows = rows_of_aggregates(tx, {i: bases[i].version if i in bases else 0 for i in missing})
        for aggregate_id in missing:
            base = bases.get(aggregate_id)
            events = [self._decode(topic, state) for _, _, topic, state in rows[aggregate_id]]
            if base is not None and any(isinstance(e, EventCorrected) for e in events):
                base, events = None, self.history(tx, aggregate_id)
            state = project(aggregate_id, base, events)
            if state is None:
                continue
            self.put(aggregate_id, state)
            codec = codec_of(aggregate_id)
            if codec is not None and len(events) >= SNAPSHOT_EVERY:
                write_snapshot(tx, aggregate_id, state.version, state, codec)

    def history(self, tx: Tx, aggregate_id: str) -> list[LedgerEvent]:
        rows = rows_of_aggregates(tx, {aggregate_id: 0})[aggregate_id]
        return [self._decode(topic, state) for _, _, topic, state in rows]

    def put(self, aggregate_id: str, state: Any) -> None:
        self._states[aggregate_id] = state
        self._states.move_to_end(aggregate_id)
        while len(self._states) > self._max_states:
            self._states.popitem(last=False)

    def put_all(self, states: Mapping[str, Any], position: int) -> None:
        """Keeps the states a committed batch left, now valid at ``position``."""
        for aggregate_id, state in states.items():
            self.put(aggregate_id, state)
        self.position = position

    def _snapshots(self, tx: Tx, ids: list[str]) -> dict[str, Any]:
        snapshotted = [i for i in ids if codec_of(i) is not None]
        found: dict[str, Any] = {}
        for start in range(0, len(snapshotted), 500):
            chunk = snapshotted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            tx.execute(
                f"SELECT aggregate_id, shape, state FROM {tx.table(SNAPSHOTS)} "
                f"WHERE aggregate_id IN ({marks})",
                chunk,
            )
            for aggregate_id, shape, data in tx.fetchall():
                codec = codec_of(str(aggregate_id))
                state = None if codec is None else codec.decode(str(shape), bytes(data))
                if state is not None:
                    found[str(aggregate_id)] = state
        return found
