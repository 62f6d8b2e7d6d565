"""Rebuilding the read models from the events, and catching them up when behind.

Both stream the events table a page at a time; each page is applied and
committed with the tracking position in one transaction. If an event fails,
what came before it is committed, the tracking position stops just before it,
and the failure is raised with the event's position: a rerun resumes there.

Pages are large (``BATCH_SIZE`` events): each aggregate's events in a page are
folded in one call and each record a page touches is written once, with few
commits. Memory is bounded by the page and the number of aggregates it touches,
never by the length of the ledger.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import cast

import msgspec

from domain.errors import ProjectionFailed
from infrastructure.ledger import Ledger
from infrastructure.projections.decoding import EventDecoder
from infrastructure.projections.read_models import PendingRow, ReadModelRun
from infrastructure.projections.tables import (
    advance_tracking,
    create_tables,
    drop_tables,
    events_table,
    tracked_position,
)
from infrastructure.store.sql import Tx

BATCH_SIZE = 50_000


class RebuildProgress(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    last_position: int
    events: int
    seconds: float


class RebuildReport(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


Progress = Callable[[RebuildProgress], None]


def rebuild_projections(
    ledger: Ledger,
    progress: Progress | None = None,
    *,
    batch_size: int = BATCH_SIZE,
    verify: bool = True,
) -> RebuildReport:
    """Drops every read model and rebuilds it from the first event.

    The log is verified first (leaves, tree, checkpoints): on a broken log nothing is
    dropped or written, and the failure names the first bad position.
    """
    if verify:
        _require_intact_log(ledger)
    with ledger.write() as tx:
        drop_tables(tx)
        create_tables(tx)
    return follow(ledger, progress, batch_size=batch_size)


def _require_intact_log(ledger: Ledger) -> None:
    from infrastructure.tamper.errors import MerkleLogDamaged
    from infrastructure.tamper.verification import verify_ledger

    report = verify_ledger(ledger, derived=False)
    if not report.ok:
        msg = f"refusing to rebuild the read models from a broken log: {report.summary()}"
        raise MerkleLogDamaged(msg)


def catch_up_projections(ledger: Ledger) -> Ledger:
    """Applies the events the read models have not seen, if they are behind but consistent.

    Read models ahead of the ledger are left as they are: appends and queries
    then fail loudly until ``rebuild_projections`` runs.
    """
    with ledger.read() as tx:
        tracked = tracked_position(tx)
    if tracked is not None and tracked < ledger.last_position():
        follow(ledger)
    return ledger


def follow(
    ledger: Ledger, progress: Progress | None = None, *, batch_size: int = BATCH_SIZE
) -> RebuildReport:
    """Applies the events after the tracking position, one committed page at a time."""
    decoder = EventDecoder()
    started = time.perf_counter()
    last = ledger.last_position()
    events = 0
    position = 0
    while True:
        failure: ProjectionFailed | None = None
        with ledger.write() as tx:
            _lock_out_writers(tx)
            tracked = tracked_position(tx) or 0
            page = read_page(tx, tracked, batch_size)
            if not page:
                position = tracked
                break
            run = ReadModelRun(tx, decoder)
            done = page[-1][0]
            try:
                run.apply(page)
            except ProjectionFailed as error:
                failure = error
                done = tracked if run.failed_at is None else run.failed_at - 1
            run.flush()
            advance_tracking(tx, tracked, done)
        if failure is not None:
            raise failure
        events += len(page)
        if progress is not None:
            elapsed = time.perf_counter() - started
            progress(
                RebuildProgress(
                    position=done, last_position=max(last, done), events=events, seconds=elapsed
                )
            )
    return RebuildReport(position=position, events=events, seconds=time.perf_counter() - started)


def read_page(tx: Tx, after: int, limit: int) -> list[PendingRow]:
    table, column = events_table(tx)
    # NULL: no decoded event comes with a stored row.
    tx.execute(
        f"SELECT {column}, originator_id, topic, state, NULL FROM {table} "
        f"WHERE {column} > ? ORDER BY {column} LIMIT ?",
        (after, limit),
    )
    # Both drivers already return (int, str, str, bytes, None).
    return cast("list[PendingRow]", tx.cursor.fetchall())


def _lock_out_writers(tx: Tx) -> None:
    # SQLite's write transaction already holds the write lock (BEGIN IMMEDIATE).
    if tx.dialect == "postgresql":
        tx.execute(f"LOCK TABLE {events_table(tx)[0]} IN EXCLUSIVE MODE")
