"""Group commit: concurrent appends share one transaction and one flush to disk.

Each append still succeeds or fails on its own: it runs inside a savepoint, so a
conflicting or invalid append is rolled back alone and answered with its own error,
while the others commit together. Callers block until their batch has committed.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from typing import Any

import msgspec
from eventsourcing.persistence import StoredEvent


class PendingAppend(msgspec.Struct):
    stored_events: Sequence[StoredEvent]
    options: Mapping[str, Any]
    result: Future[list[int]]


BatchWriter = Callable[[list[PendingAppend]], None]


class GroupCommitter:
    """One writer thread draining a queue of appends into shared transactions."""

    def __init__(self, write_batch: BatchWriter, max_batch: int = 128) -> None:
        self._write_batch = write_batch
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[PendingAppend | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="ledger-group-commit", daemon=True)
        self._thread.start()

    def append(self, stored_events: Sequence[StoredEvent], options: Mapping[str, Any]) -> list[int]:
        pending = PendingAppend(stored_events, options, Future())
        self._queue.put(pending)
        return pending.result.result()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._write(batch)
                    return
                batch.append(item)
            self._write(batch)

    def _write(self, batch: list[PendingAppend]) -> None:
        try:
            self._write_batch(batch)
        except BaseException as error:
            for pending in batch:
                if not pending.result.done():
                    pending.result.set_exception(error)
