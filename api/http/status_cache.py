"""Answers of ``GET /clusters/{slug}`` kept while the database has not changed.

A kept answer is served only while no transaction has committed to the SQLite database
since it was read, by this process or any other (the CLI, another server): SQLite's
``PRAGMA data_version``, read on a connection of the cache's own that never writes,
changes with every such commit. It is also kept for the day it was computed only, since
a status depends on the date. The check reads the WAL index in shared memory, so it is
done in the event loop, and a kept answer needs no thread-pool hop and no query.

PostgreSQL has no check that cheap (it would be a round trip, as dear as the read
itself), nor has an in-memory SQLite database another connection can see: there every
request reads the store.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import date

import msgspec
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from infrastructure.ledger import Ledger

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

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


class StatusCache:
    def __init__(self, version: DataVersion | None) -> None:
        self._version = version
        self._answers: dict[str, Answer] = {}

    def stamp(self) -> Stamp | None:
        """Taken before reading: an answer read after it is at least as new as it."""
        if self._version is None:
            return None
        data_version = self._version.current()
        return None if data_version is None else Stamp(data_version, date.today())

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

    def close(self) -> None:
        if self._version is not None:
            self._version.close()


def status_cache_for(ledger: Ledger) -> StatusCache:
    settings = ledger.settings
    path = settings.env.get("SQLITE_DBNAME", "")
    if settings.dialect != "sqlite" or not path or ":memory:" in path or path.startswith("file:"):
        return StatusCache(None)
    return StatusCache(DataVersion(path))


class KeptStatusShortcut:
    """Answers ``GET /clusters/{slug}`` from the kept answers before routing, since a kept
    answer needs neither routing nor dependencies; every other request, and every
    request without a kept answer, goes on to the app (whose route then keeps one)."""

    PREFIX = "/clusters/"

    def __init__(self, app: ASGIApp, cache: StatusCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = self._kept(scope) if scope["type"] == "http" else None
        if answer is None:
            await self.app(scope, receive, send)
            return
        response = Response(
            answer.body, media_type="application/json", headers={"ETag": answer.etag}
        )
        await response(scope, receive, send)

    def _kept(self, scope: Scope) -> Answer | None:
        path: str = scope["path"]
        if scope["method"] != "GET" or scope.get("root_path") or not path.startswith(self.PREFIX):
            return None
        slug = path[len(self.PREFIX) :]
        if "/" in slug:
            return None
        return self.cache.get(slug, self.cache.stamp())
