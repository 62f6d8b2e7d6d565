"""Answers of ``GET /clusters/{slug}`` kept while the database has not changed.

A kept answer is served only while no transaction has committed to the SQLite database
since it was read, by this process or any other (the CLI, another server): SQLite's
``PRAGMA data_version``, read on a connection of the cache's own that never writes,
changes with every such commit. It is also kept for the day it was computed only, since
a status depends on the date. The check reads the WAL index in shared memory, so it is
done in the event loop, and a kept answer needs no thread-pool hop and no query.

On PostgreSQL the check is one autocommit statement on an asynchronous connection of
the cache's own: the ledger's last position and the read models' tracked position. A
position names one state of the ledger (positions are dense and committed in order,
and read models are a function of the events), so an answer read at that position is
still the answer while both stay there. An in-memory SQLite database, which no other
connection can see, keeps nothing: there every request reads the store.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from datetime import date

import msgspec
import psycopg
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.http.request_facts import facts_of
from infrastructure.ledger import Ledger
from infrastructure.projections.tables import PROJECTION, positions_columns
from infrastructure.store.sql import Tx

MAX_ENTRIES = 100_000


class Stamp(msgspec.Struct, frozen=True):
    """The database's change counter and the day, taken before an answer is read."""

    data_version: int
    day: date


class Answer(msgspec.Struct, frozen=True):
    stamp: Stamp | None
    body: bytes
    etag: str


class DataVersion:
    """``PRAGMA data_version`` of a SQLite file, on a read-only connection of its own."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def current(self) -> int | None:
        """The counter, or None if it cannot be read at once (then nothing is kept)."""
        with self._lock:
            try:
                if self._connection is None:
                    # timeout=0: never wait on a lock in the event loop.
                    self._connection = sqlite3.connect(
                        self._path, timeout=0, isolation_level=None, check_same_thread=False
                    )
                row = self._connection.execute("PRAGMA data_version").fetchone()
            except sqlite3.Error:
                return None
        return int(row[0])


class SharedProbe:
    """Runs an asynchronous probe once for every caller waiting when it starts.

    A caller never gets the result of a probe that started before it asked (a commit
    could lie between the two): it waits for the next one, which it shares with every
    caller that asked meanwhile. So one connection answers many concurrent requests
    with one round trip each time it is free.
    """

    def __init__(self, probe: Callable[[], Awaitable[int | None]]) -> None:
        self._probe = probe
        self._waiting: list[asyncio.Future[int | None]] = []
        self._running = False

    async def __call__(self) -> int | None:
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._waiting.append(future)
        if not self._running:
            self._running = True
            asyncio.get_running_loop().create_task(self._rounds())
        return await future

    async def _rounds(self) -> None:
        round_: list[asyncio.Future[int | None]] = []
        try:
            while self._waiting:
                round_, self._waiting = self._waiting, []
                result = await self._probe()  # starts after every caller of this round asked
                for future in round_:
                    if not future.done():
                        future.set_result(result)
        finally:
            self._running = False
            for future in round_ + self._waiting:
                if not future.done():
                    future.set_result(None)
            self._waiting = []


class LedgerPosition:
    """The ledger's last position if the read models are at it, read on an autocommit
    asynchronous connection of its own (one statement, one round trip)."""

    def __init__(self, conninfo: str, schema: str) -> None:
        self._conninfo = conninfo
        tx = Tx(None, "postgresql", schema)
        self._statement = tx.sql(f"SELECT {positions_columns(tx)}")
        self._connection: psycopg.AsyncConnection[tuple[int | None, int]] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._shared: SharedProbe | None = None

    async def current(self) -> int | None:
        """The position, or None if the read models are not at it or the store fails."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a connection belongs to the loop that opened it
            self._loop, self._connection = loop, None
            self._shared = SharedProbe(self._read)
        assert self._shared is not None
        return await self._shared()

    async def _read(self) -> int | None:
        try:
            if self._connection is None or self._connection.closed:
                self._connection = await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True
                )
            cursor = await self._connection.execute(self._statement, (PROJECTION,))
            row = await cursor.fetchone()
        except psycopg.Error:
            self._connection = None
            return None
        if row is None or row[0] != row[1]:
            return None
        return int(row[1])


Version = DataVersion | LedgerPosition


class StatusCache:
    def __init__(self, version: Version | None) -> None:
        self._version = version
        self._answers: dict[str, Answer] = {}

    async def stamp(self) -> Stamp | None:
        """Taken before reading: an answer read after it is at least as new as it."""
        if self._version is None:
            return None
        if isinstance(self._version, DataVersion):
            current = self._version.current()
        else:
            current = await self._version.current()
        return None if current is None else Stamp(current, date.today())

    def get(self, slug: str, stamp: Stamp | None) -> Answer | None:
        if stamp is None:
            return None
        answer = self._answers.get(slug)
        return answer if answer is not None and answer.stamp == stamp else None

    def put(self, slug: str, answer: Answer) -> None:
        if answer.stamp is None:
            return
        if len(self._answers) >= MAX_ENTRIES:
            self._answers.clear()
        self._answers[slug] = answer


def status_cache_for(ledger: Ledger) -> StatusCache:
    env = ledger.settings.env
    if ledger.settings.dialect == "postgresql":
        conninfo = psycopg.conninfo.make_conninfo(
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            dbname=env["POSTGRES_DBNAME"],
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"] or None,
            connect_timeout=env.get("POSTGRES_CONNECT_TIMEOUT", "5"),
        )
        return StatusCache(LedgerPosition(conninfo, env["POSTGRES_SCHEMA"]))
    path = env.get("SQLITE_DBNAME", "")
    if not path or ":memory:" in path or path.startswith("file:"):
        return StatusCache(None)
    return StatusCache(DataVersion(path))


class KeptStatusShortcut:
    """Answers ``GET /clusters/{slug}`` from the kept answers before routing, since a kept
    answer needs neither routing nor dependencies; every other request, and every
    request without a kept answer, goes on to the app (whose route then keeps one)."""

    PREFIX = "/clusters/"
    ROUTE = "/clusters/{slug}"

    def __init__(self, app: ASGIApp, cache: StatusCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        slug = self._slug(scope) if scope["type"] == "http" else None
        answer = None if slug is None else self.cache.get(slug, await self.cache.stamp())
        if answer is None:
            await self.app(scope, receive, send)
            return
        facts = facts_of(scope)
        if facts is not None:
            facts.route = self.ROUTE
        response = Response(
            answer.body, media_type="application/json", headers={"ETag": answer.etag}
        )
        await response(scope, receive, send)

    def _slug(self, scope: Scope) -> str | None:
        path: str = scope["path"]
        if scope["method"] != "GET" or scope.get("root_path") or not path.startswith(self.PREFIX):
            return None
        if scope.get("query_string"):
            return None  # a day, a position, or a parameter to check: the route answers
        slug = path[len(self.PREFIX) :]
        if "/" in slug:
            return None
        return slug
