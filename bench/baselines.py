"""What each row is compared with, measured in the same run on the same store kind.

* the eventsourcing 9.5.6 default application: a declarative ``Aggregate`` (UUID ids,
  the default JSON transcoder, ``repository.get``, the notification log), one ``save()``
  per aggregate for a bulk import and one event per ``save()`` for single commands;
* raw ``sqlite3.executemany`` (PostgreSQL: one raw ``unnest`` insert) of the ledger's rows;
* ``hashlib`` alone over the ledger's stored bytes; pymerkle over the same leaves.

The library's aggregates carry the same facts as the ledger's events (dates as ISO
text, since the default transcoder has no ``date`` transcoding), so rows are alike.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from hashlib import sha256
from typing import Any
from uuid import UUID

import msgspec
import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from domain.events import LedgerEvent

ENVELOPE = ("originator_id", "originator_version", "timestamp")


class LibraryCluster(Aggregate):
    """A cluster as the library's declarative style writes it."""

    @event("Registered")
    def __init__(self, fields: dict[str, Any]) -> None:
        self.name = fields.get("name", "")
        self.seen = 1

    @event("Recorded")
    def record(self, kind: str, fields: dict[str, Any]) -> None:
        self.seen += 1
        self.last = kind


class Library(Application[UUID]):
    """The library's application with its defaults (name sets the Postgres table names)."""

    name = "Library"


Plans = list[list[tuple[str, dict[str, Any]]]]


def library_plans(batches: Iterable[list[LedgerEvent]]) -> Plans:
    """Per aggregate, in order of first appearance: each event's kind and facts."""
    aggregates: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for batch in batches:
        for e in batch:
            aggregates.setdefault(e.originator_id, []).append((type(e).__name__, _facts(e)))
    return list(aggregates.values())


def _facts(e: LedgerEvent) -> dict[str, Any]:
    facts: dict[str, Any] = msgspec.to_builtins(e)
    for name in ENVELOPE:
        facts.pop(name)
    return facts


def library_import(app: Library, plans: Plans) -> tuple[int, float]:
    """Builds each aggregate and saves it with one ``save()``; events and seconds."""
    events = 0
    started = time.perf_counter()
    for plan in plans:
        (_, first), *rest = plan
        aggregate = LibraryCluster(fields=first)
        for kind, facts in rest:
            aggregate.record(kind=kind, fields=facts)
        app.save(aggregate)
        events += len(plan)
    return events, time.perf_counter() - started


def library_deep_aggregate(app: Library, plan: list[tuple[str, dict[str, Any]]]) -> UUID:
    (_, first), *rest = plan
    aggregate = LibraryCluster(fields=first)
    for kind, facts in rest:
        aggregate.record(kind=kind, fields=facts)
    app.save(aggregate)
    return aggregate.id


def library_read_all(app: Library, page: int = 500) -> tuple[int, float]:
    """The library's catch-up read: pages of notifications, each decoded by the mapper."""
    started = time.perf_counter()
    count = 0
    last = 0
    decode = app.mapper.to_domain_event
    while True:
        notifications = app.recorder.select_notifications(
            start=last, limit=page, inclusive_of_start=False
        )
        for notification in notifications:
            decode(notification)
        count += len(notifications)
        if len(notifications) < page:
            break
        last = notifications[-1].id
    return count, time.perf_counter() - started


def library_commit_rate(
    app: Library, clients: int, seconds: float
) -> tuple[int, float, list[float]]:
    """``clients`` threads, each saving one new event of its own aggregate per commit;
    commits, seconds and each commit's latency in seconds."""
    aggregates = [LibraryCluster(fields={"name": f"client {i}"}) for i in range(clients)]
    app.save(*aggregates)
    stop = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(clients)]

    def client(index: int) -> None:
        aggregate = aggregates[index]
        mine = latencies[index]
        while (now := time.perf_counter()) < stop:
            aggregate.record(kind="MembershipReported", fields={"sme": len(mine)})
            app.save(aggregate)
            mine.append(time.perf_counter() - now)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    merged = [x for mine in latencies for x in mine]
    return len(merged), time.perf_counter() - started, merged


# --- raw inserts --------------------------------------------------------------

Row = tuple[str, int, str, bytes]


def raw_sqlite_insert(path: str, pages: Iterable[list[Row]]) -> tuple[int, float]:
    """``executemany`` of the same rows into the library's events table layout, one
    transaction per page, WAL as the library sets it; only insert and commit are timed."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, "
        "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
    )
    count = 0
    seconds = 0.0
    for rows in pages:
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?)",
            rows,
        )
        conn.execute("COMMIT")
        seconds += time.perf_counter() - started
        count += len(rows)
    conn.close()
    return count, seconds


def raw_postgres_insert(
    conninfo: str, schema: str, pages: Iterable[list[Row]]
) -> tuple[int, float]:
    """One ``INSERT … SELECT FROM unnest`` per page into a copy of the events table."""
    table = f'"{schema}"."raw_events"'
    count = 0
    seconds = 0.0
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE {table} (position BIGINT PRIMARY KEY, originator_id TEXT NOT NULL, "
            "originator_version BIGINT NOT NULL, topic TEXT NOT NULL, state BYTEA, "
            "UNIQUE (originator_id, originator_version))"
        )
        for rows in pages:
            started = time.perf_counter()
            with conn.transaction():
                conn.execute(
                    f"INSERT INTO {table} SELECT * FROM unnest(%s::bigint[], %s::text[], "
                    "%s::bigint[], %s::text[], %s::bytea[])",
                    (
                        list(range(count + 1, count + 1 + len(rows))),
                        [r[0] for r in rows],
                        [r[1] for r in rows],
                        [r[2] for r in rows],
                        [r[3] for r in rows],
                    ),
                )
            seconds += time.perf_counter() - started
            count += len(rows)
    return count, seconds


# --- hashing ------------------------------------------------------------------


def hashlib_verify(pages: Iterator[list[tuple[Any, ...]]]) -> tuple[int, float, bytes]:
    """Reads the same rows and hashes them with hashlib alone: each stored state, a leaf
    per event and the RFC 9162 interior nodes up to the root (a streaming stack)."""
    started = time.perf_counter()
    stack: list[tuple[int, bytes]] = []  # (height, hash) of perfect subtrees
    count = 0
    for rows in pages:
        for row in rows:
            payload = sha256(bytes(row[-1])).digest()
            node = sha256(b"\x00" + str(row[0]).encode() + payload).digest()
            height = 0
            while stack and stack[-1][0] == height:
                node = sha256(b"\x01" + stack.pop()[1] + node).digest()
                height += 1
            stack.append((height, node))
        count += len(rows)
    root = stack.pop()[1] if stack else sha256(b"").digest()
    while stack:
        root = sha256(b"\x01" + stack.pop()[1] + root).digest()
    return count, time.perf_counter() - started, root
