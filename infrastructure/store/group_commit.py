"""Group commit: concurrent appends share one transaction and one flush to disk.

Each append still succeeds or fails on its own: it runs inside a savepoint, so a
conflicting or invalid append is rolled back alone and answered with its own error,
while the others commit together. Callers block until their batch has committed.

Consecutive appends of a batch that touch disjoint aggregates are also merged into
one append, so that the hooks run once for all of them (one statement per table
instead of one per append). If a merged append fails, its appends are written
again one by one, each in its own savepoint, and answered with their own outcome.
Hooks that read per-append options (the idempotency claim) read them with
:func:`per_append`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

import msgspec
from eventsourcing.persistence import StoredEvent

EVENTS = "ledger_events"
READ_VERSIONS = "expected_versions"
PARTS = "merged_appends"
"""Option of a merged append: ``(event count, that append's options)`` in order."""

T = TypeVar("T")


class PendingAppend(msgspec.Struct):
    stored_events: Sequence[StoredEvent]
    options: Mapping[str, Any]
    result: Future[list[int]]

    def written(self) -> set[str]:
        return {str(s.originator_id) for s in self.stored_events}

    def read_versions(self) -> Mapping[str, int]:
        versions: Mapping[str, int] = self.options.get(READ_VERSIONS) or {}
        return versions


BatchWriter = Callable[[list[PendingAppend]], None]


def per_append(
    appended: Sequence[T], options: Mapping[str, Any]
) -> Iterator[tuple[Sequence[T], Mapping[str, Any]]]:
    """The appends an append hook received, each with its own options."""
    parts: Sequence[tuple[int, Mapping[str, Any]]] | None = options.get(PARTS)
    if parts is None:
        yield appended, options
        return
    start = 0
    for count, part_options in parts:
        yield appended[start : start + count], part_options
        start += count


class MergedRun:
    """Consecutive appends that neither write the same aggregate nor write one another
    has read, so that appending them at once is the same as appending them in turn."""

    def __init__(self, first: PendingAppend) -> None:
        self.members = [first]
        self.written = first.written()
        self.read = dict(first.read_versions())

    def accepts(self, pending: PendingAppend) -> bool:
        written, read = pending.written(), pending.read_versions()
        return (
            not written & (self.written | self.read.keys())
            and not read.keys() & self.written
            and all(self.read.get(a, v) == v for a, v in read.items())
        )

    def add(self, pending: PendingAppend) -> None:
        self.members.append(pending)
        self.written |= pending.written()
        self.read.update(pending.read_versions())

    def merged(self) -> PendingAppend:
        if len(self.members) == 1:
            return self.members[0]
        stored: list[StoredEvent] = []
        events: list[Any] = []
        parts: list[tuple[int, Mapping[str, Any]]] = []
        for member in self.members:
            count = len(member.stored_events)
            stored += member.stored_events
            events += member.options.get(EVENTS) or [None] * count
            parts.append((count, member.options))
        options = {EVENTS: events, READ_VERSIONS: dict(self.read), PARTS: tuple(parts)}
        return PendingAppend(stored, options, Future())

    def answer(self, merged: PendingAppend) -> list[PendingAppend]:
        """Answers the members from the merged outcome; those to write again alone."""
        if merged is self.members[0]:
            return []
        if merged.result.exception() is not None:
            return self.members
        positions = merged.result.result()
        start = 0
        for member in self.members:
            count = len(member.stored_events)
            member.result.set_result(positions[start : start + count])
            start += count
        return []


def merged_runs(batch: Sequence[PendingAppend]) -> list[MergedRun]:
    runs: list[MergedRun] = []
    for pending in batch:
        if runs and runs[-1].accepts(pending):
            runs[-1].add(pending)
        else:
            runs.append(MergedRun(pending))
    return runs


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
                    self._write_merged(batch)
                    return
                batch.append(item)
            self._write_merged(batch)

    def _write_merged(self, batch: list[PendingAppend]) -> None:
        runs = merged_runs(batch)
        merged = [run.merged() for run in runs]
        self._write(merged)  # answers every merged append, one way or the other
        again = [p for run, m in zip(runs, merged, strict=True) for p in run.answer(m)]
        if again:
            self._write(again)

    def _write(self, batch: list[PendingAppend]) -> None:
        try:
            self._write_batch(batch)
        except BaseException as error:
            for pending in batch:
                if not pending.result.done():
                    pending.result.set_exception(error)
