"""The store's state read within a bound: what ``/healthz`` and ``/readyz`` need, and
the PostgreSQL outage breaker.

One statement reads the read models' tracked position, the ledger's last position and
the stored tree's leaf count. On PostgreSQL it runs on an asynchronous connection of the
probe's own, never on the ledger's pool: during an outage a pooled connection can hang
in a thread for as long as the network lets it, while this probe answers "unreachable"
after ``PROBE_SECONDS`` whatever the network does. One read is in flight at a time;
callers arriving meanwhile wait on it, so a frozen server costs one stuck statement.

On PostgreSQL the probe also runs every ``WATCH_EVERY`` seconds while serving, and
``up`` tells the request path whether the store answered last time: while it does
not, requests are answered 503 at once instead of queueing on a dead pool. When it
answers again, the pool's idle connections are checked (the broken ones replaced)
before requests reach them, so the server recovers by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from typing import Any

import msgspec
import psycopg
import psycopg_pool
from eventsourcing.persistence import PersistenceError
from starlette.concurrency import run_in_threadpool

from infrastructure.ledger import Ledger
from infrastructure.projections.tables import PROJECTION, positions_columns
from infrastructure.store.errors import first_line
from infrastructure.store.sql import Tx
from infrastructure.tamper.node_store import leaf_count_column

PROBE_SECONDS = 0.8
"""How long the store has to answer a probe: health answers within a second."""
WATCH_EVERY = 1.0
PROBE_CONNECT_TIMEOUT = 2  # libpq's least; the probe's own bound is PROBE_SECONDS
log = logging.getLogger("label_ledger.http")


class StoreState(msgspec.Struct, frozen=True):
    tracked: int | None
    """The read models' position (None: no tracking row)."""
    last: int
    """The ledger's last position."""
    leaves: int
    """The stored Merkle tree's leaf count."""


def _statement(tx: Tx) -> str:
    return tx.sql(f"SELECT {positions_columns(tx)}, {leaf_count_column(tx)}")


class StoreProbe:
    def __init__(self, ledger: Ledger, timeout: float = PROBE_SECONDS) -> None:
        self.ledger = ledger
        self.timeout = timeout
        self.watches_outages = ledger.settings.dialect == "postgresql"
        self.up = True
        """Whether the store answered the last probe (always True on SQLite)."""
        self.failure = ""
        """Why the last probe that got no state got none."""
        self._inflight: asyncio.Task[StoreState] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connection: psycopg.AsyncConnection[tuple[Any, ...]] | None = None

    async def read(self) -> StoreState | None:
        """The store's state, or None if it did not answer within the bound."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a connection belongs to the loop that opened it
            self._loop, self._connection, self._inflight = loop, None, None
        task = self._inflight
        if task is None or task.done():
            task = loop.create_task(self._query())
            task.add_done_callback(_retrieve)
            self._inflight = task
        done, _ = await asyncio.wait({task}, timeout=self.timeout)
        state = task.result() if task in done and task.exception() is None else None
        error = task.exception() if task in done else None
        if state is None:
            self.failure = (
                f"the store did not answer within {self.timeout:g} s"
                if error is None
                else f"the store failed: {first_line(error)}"
            )
        if self.watches_outages:
            # Only silence or a lost connection is an outage; a store that answers with an
            # error (a missing table) answers each request with its own problem.
            await self._note(state is not None or not isinstance(error, OUTAGES))
        return state

    async def watch(self) -> None:
        """Probes every ``WATCH_EVERY`` seconds (PostgreSQL), keeping ``up`` current."""
        while True:
            await self.read()
            await asyncio.sleep(WATCH_EVERY)

    async def _note(self, answered: bool) -> None:
        if answered == self.up:
            return
        if not answered:
            log.warning("the store does not answer: requests are answered 503 until it does")
            self.up = False
            return
        log.warning("the store answers again")
        await run_in_threadpool(self._refresh_pool)
        self.up = True

    def _refresh_pool(self) -> None:
        pool = getattr(getattr(self.ledger.store, "datastore", None), "pool", None)
        if isinstance(pool, psycopg_pool.ConnectionPool):
            with contextlib.suppress(Exception):  # a failed check leaves the pool as it was
                pool.check()

    async def _query(self) -> StoreState:
        if self.ledger.settings.dialect != "postgresql":
            return await run_in_threadpool(self._query_sqlite)
        env = self.ledger.settings.env
        if self._connection is None or self._connection.closed:
            self._connection = None
            self._connection = await psycopg.AsyncConnection.connect(
                host=env["POSTGRES_HOST"],
                port=env["POSTGRES_PORT"],
                dbname=env["POSTGRES_DBNAME"],
                user=env["POSTGRES_USER"],
                password=env["POSTGRES_PASSWORD"] or None,
                connect_timeout=PROBE_CONNECT_TIMEOUT,
                autocommit=True,
            )
        statement = _statement(Tx(None, "postgresql", env["POSTGRES_SCHEMA"]))
        try:
            cursor = await self._connection.execute(statement, (PROJECTION,))
            row = await cursor.fetchone()
        except psycopg.Error:
            self._connection = None
            raise
        assert row is not None
        return StoreState(row[0], int(row[1]), int(row[2]))

    def _query_sqlite(self) -> StoreState:
        with self.ledger.read() as tx:
            tx.execute(_statement(tx), (PROJECTION,))
            row = tx.fetchone()
        assert row is not None
        return StoreState(row[0], int(row[1]), int(row[2]))


PROBE_ERRORS = (psycopg.Error, sqlite3.Error, PersistenceError, OSError)
OUTAGES = (psycopg.OperationalError, OSError, type(None))
"""What a probe that got no state met when the store is out: nothing (silence), or these."""


def _retrieve(task: asyncio.Task[StoreState]) -> None:
    """Collects a late probe's error (a probe nobody waits for any more)."""
    if not task.cancelled():
        error = task.exception()
        if error is not None and not isinstance(error, PROBE_ERRORS):
            log.warning("store probe failed: %r", error)
