"""Chunks verified by worker processes, consumed in log order (``verify --jobs N``).

Each aligned chunk is independent (its leaves and inner nodes need nothing outside
it), so workers read and hash chunks side by side on their own read-only connections
while the parent folds the outcomes in order. Events at positions up to the size the
parent fixed are never rewritten by the application, so the workers' snapshots agree.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import msgspec
import psycopg
from psycopg.rows import tuple_row

from infrastructure.settings import StoreSettings
from infrastructure.store.sql import Tx
from infrastructure.tamper.chunks import ChunkOutcome, verify_chunk
from infrastructure.tamper.event_rows import EventTable

ChunkTask = tuple[int, int, list[int]]
"""``(start, end, tree sizes wanted)`` of one chunk."""


class StoreAccess(msgspec.Struct, frozen=True):
    """What a worker needs to read the store on its own connection."""

    dialect: str
    env: dict[str, str]
    events: EventTable


def store_access(settings: StoreSettings, events: EventTable) -> StoreAccess:
    return StoreAccess(settings.dialect, settings.env, events)


def outcomes_in_order(
    access: StoreAccess, tasks: Iterable[ChunkTask], jobs: int
) -> Iterator[ChunkOutcome]:
    """Yields each chunk's outcome in order; stops the workers when the caller stops."""
    context = multiprocessing.get_context("spawn")  # the parent holds threads and pools
    with ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_open, initargs=(access,)
    ) as pool:
        pending: deque[Future[ChunkOutcome]] = deque()
        queued = iter(tasks)
        try:
            for task in queued:
                pending.append(pool.submit(_verify, task))
                if len(pending) >= 2 * jobs:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


_worker: dict[str, Any] = {}


def _open(access: StoreAccess) -> None:
    env = access.env
    if access.dialect == "sqlite":
        path = env["SQLITE_DBNAME"]
        connection: Any = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        tx = Tx(connection.cursor(), "sqlite")
    else:
        connection = psycopg.connect(
            host=env["POSTGRES_HOST"],
            port=int(env["POSTGRES_PORT"]),
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"] or None,
            dbname=env["POSTGRES_DBNAME"],
            autocommit=True,
        )
        tx = Tx(connection.cursor(row_factory=tuple_row), "postgresql", env["POSTGRES_SCHEMA"])
    _worker.update(connection=connection, tx=tx, events=access.events)


def _verify(task: ChunkTask) -> ChunkOutcome:
    start, end, sizes = task
    return verify_chunk(_worker["tx"], _worker["events"], start, end, sizes)
