"""The live feed: every event as a Server-Sent Event as soon as it is recorded.

Delivery. One watcher per application follows the ledger's last position for all
subscribers: on SQLite it reads ``PRAGMA data_version`` (a read of the WAL index, no
query) every ``POLL_SECONDS`` and the last position only when that moved; on PostgreSQL
it reads the last position (one indexed query) every ``POLL_SECONDS``. Either way one
probe serves every subscriber, and writes by any process (another server, the CLI) are
seen. When the position moves, the watcher refreshes the token registry (so a revoked,
rotated or expired token ends its streams) and wakes every subscriber.

Memory. A subscriber holds its cursor (the last position sent) and at most one page of
``PAGE`` events: woken, it reads the next page after its cursor from the store, sends it,
and reads again until it is level, then waits. Nothing is queued per subscriber, so a
slow client only falls behind and reads from the store when it can take more; the send
of a page waits for the client (the server's flow control), not the other way round.

Order and resumption. Positions are dense and committed in order, so reading
``position > cursor`` in order gives every event once, in order. Each event's ``id:`` is
its position: a client that reconnects with ``Last-Event-ID`` resumes exactly after it.

Liveness. A comment line is sent when nothing was sent for ``HEARTBEAT_SECONDS``, so
proxies keep the connection open and a vanished client is noticed. :meth:`LiveFeed.close`
(the server's shutdown) ends every stream cleanly: the response finishes, the client
reconnects later with its ``Last-Event-ID``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import msgspec
from starlette.concurrency import run_in_threadpool

from api.http.event_items import FeedItem, feed_item
from api.http.status_cache import DataVersion
from infrastructure.access.tokens import Caller
from infrastructure.ledger import Ledger
from infrastructure.tamper.feed import feed_rows

PAGE = 100
"""Events read and sent at once: what a subscriber holds at most."""
POLL_SECONDS = 0.1
HEARTBEAT_SECONDS = 15.0
RETRY_MILLISECONDS = 2000
"""How long a client waits before it reconnects (sent once, as the stream's ``retry:``)."""
log = logging.getLogger("label_ledger.http")
_encode = msgspec.json.Encoder().encode


class PositionWatcher:
    """The ledger's last position, followed for every subscriber by one task."""

    def __init__(self, ledger: Ledger, poll_seconds: float = POLL_SECONDS) -> None:
        self.ledger = ledger
        self.poll_seconds = poll_seconds
        self.position = 0
        self.subscribers = 0
        self._data_version = _data_version_of(ledger)
        self._seen_version: int | None = None
        self._moved: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self.closing = asyncio.Event()

    def subscribe(self) -> None:
        self.subscribers += 1
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._follow())

    def unsubscribe(self) -> None:
        self.subscribers -= 1

    async def wait_beyond(self, position: int, timeout: float) -> bool:
        """True once the ledger is past ``position``; False after ``timeout`` or at close."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.position <= position and not self.closing.is_set():
            moved = self._moved_event()
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return False
            await _first_of(moved, self.closing, remaining)
        return self.position > position

    async def _follow(self) -> None:
        """Runs while anyone subscribes; a failing store is tried again at the next poll."""
        while self.subscribers > 0 and not self.closing.is_set():
            try:
                await self._probe()
            except Exception as error:  # the subscribers wait meanwhile, heartbeats on
                log.warning("live feed: cannot read the ledger's position: %s", error)
            await _first_of(self.closing, None, self.poll_seconds)

    async def _probe(self) -> None:
        version = None if self._data_version is None else self._data_version.current()
        if version is not None and version == self._seen_version:
            return  # no commit since the last read (None: unknown, so read the position)
        position = await run_in_threadpool(self.ledger.last_position)
        if position != self.position:
            await run_in_threadpool(self.ledger.refresh_tokens)
            self.position = position
            moved, self._moved = self._moved, None
            if moved is not None:
                moved.set()
        self._seen_version = version  # only once all of it was read: a failure reads again

    def _moved_event(self) -> asyncio.Event:
        if self._moved is None:
            self._moved = asyncio.Event()
        return self._moved


class LiveFeed:
    """The live feed of one application: its watcher and its subscribers' streams."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.heartbeat_seconds = HEARTBEAT_SECONDS
        self._watcher: PositionWatcher | None = None

    @property
    def watcher(self) -> PositionWatcher:
        if self._watcher is None:
            self._watcher = PositionWatcher(self.ledger)
        return self._watcher

    def open(self) -> None:
        """A new watcher for a new serving loop (its events belong to that loop)."""
        self._watcher = PositionWatcher(self.ledger)

    def close(self) -> None:
        """Ends every stream (called in the serving loop, as the server stops)."""
        self.watcher.closing.set()

    def first_page(self, after: int) -> list[FeedItem]:
        """The page a stream starts with, read before it starts: a store that fails is
        answered as a problem, not as a stream cut short."""
        return read_page(self.ledger, after)

    async def stream(
        self, caller: Caller, after: int, first: list[FeedItem]
    ) -> AsyncIterator[bytes]:
        """The stream of one subscriber, from the page after ``after`` (``first``) on."""
        watcher = self.watcher
        watcher.subscribe()
        try:
            yield f"retry: {RETRY_MILLISECONDS}\n\n".encode()
            cursor, page = after, first
            while not watcher.closing.is_set() and self.ledger.tokens.still_valid(caller):
                if page:
                    yield event_stream_lines(page)
                    cursor = page[-1].position
                    if len(page) == PAGE:  # maybe more already: read on
                        page = await run_in_threadpool(read_page, self.ledger, cursor)
                        continue
                if await watcher.wait_beyond(cursor, self.heartbeat_seconds):
                    page = await run_in_threadpool(read_page, self.ledger, cursor)
                else:
                    page = []
                    yield b": keep-alive\n\n"
        except Exception as error:  # the store failed mid-stream: end it, the client resumes
            log.warning("live feed: a stream ended on an error: %s", error)
        finally:
            watcher.unsubscribe()


def read_page(ledger: Ledger, after: int) -> list[FeedItem]:
    return [feed_item(ledger, row) for row in feed_rows(ledger, after=after, limit=PAGE)]


def event_stream_lines(items: list[FeedItem]) -> bytes:
    """Each item as an event whose ``id`` is its position (its ``data``: one JSON line)."""
    return b"".join(b"id: %d\ndata: %s\n\n" % (item.position, _encode(item)) for item in items)


def _data_version_of(ledger: Ledger) -> DataVersion | None:
    """SQLite's change counter of a file ledger; None elsewhere (the position is read)."""
    if ledger.settings.dialect != "sqlite":
        return None
    path = ledger.settings.env.get("SQLITE_DBNAME", "")
    if not path or ":memory:" in path or path.startswith("file:"):
        return None
    return DataVersion(path)


async def _first_of(first: asyncio.Event, second: asyncio.Event | None, timeout: float) -> None:
    """Returns when either event is set or after ``timeout`` seconds."""
    waits = [asyncio.ensure_future(first.wait())]
    if second is not None:
        waits.append(asyncio.ensure_future(second.wait()))
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
