"""Bulk import through the domain, against the library's import and raw inserts."""

from __future__ import annotations

import time
from collections.abc import Iterator

from bench.baselines import (
    Library,
    library_deep_aggregate,
    library_import,
    library_plans,
    raw_postgres_insert,
    raw_sqlite_insert,
)
from bench.baselines import (
    Row as RawRow,
)
from bench.context import Context
from bench.report import Row
from bench.synthetic import (
    Plan,
    append_deep_cluster,
    decided_in_memory,
    deep_cluster_commands,
    import_synthetic,
    synthetic_commands,
)
from infrastructure.composition import open_ledger
from infrastructure.ledger import Ledger

TARGET_RATE = 100_000
TARGET_RATIO = 5


def measure(ctx: Context) -> list[Row]:
    s = ctx.settings
    plan = Plan(events=s.events, seed=s.seed, batch_size=s.batch_size)
    ledger = open_ledger(ctx.url)
    try:
        imported = ctx.imported = import_synthetic(ledger, plan)
        deep_stage = plan.first_stage + imported.stages
        append_deep_cluster(ledger, ctx.deep_slug, deep_stage, s.deep_events)
    except BaseException:
        ledger.close()
        raise
    ctx.ledger = ledger
    if not any(s.wants(group) for group in ("import", "load-cluster", "rebuild")):
        return []  # --only rows that need nothing but the ledger
    domain_only = _domain_only_rate(min(s.events, s.baseline_events), s.seed)

    library = ctx.library = Library(env=ctx.space.library_env("library"))
    sample = Plan(events=min(s.events, s.baseline_events), seed=s.seed, batch_size=s.batch_size)
    library_events, library_seconds = library_import(
        library, library_plans(decided_in_memory(synthetic_commands(sample)))
    )
    deep_commands = [deep_cluster_commands(ctx.deep_slug, 1, s.deep_events)]
    deep = library_plans(decided_in_memory(iter(deep_commands)))
    ctx.deep_library_id = library_deep_aggregate(library, max(deep, key=len))

    raw_events, raw_seconds = _raw_insert(ctx, ledger)
    rate = imported.rate
    details = {
        "events": imported.events,
        "clusters": imported.clusters,
        "stages": imported.stages,
        "commands": imported.commands,
        "batches": imported.batches,
        "batch_size": s.batch_size,
        "seconds": imported.seconds,
        "domain_only_events_per_s": domain_only,
        "library_events": library_events,
        "library_seconds": library_seconds,
        "raw_events": raw_events,
        "raw_seconds": raw_seconds,
    }
    if not s.wants("import"):
        return []
    return [
        ctx.row(
            key="import",
            what=f"bulk import: commands through execute_batch, {imported.events:,} events",
            target="≥ 100,000 events/s on SQLite; ≥ 5× the library",
            unit="events/s",
            measured=rate,
            baseline=library_events / library_seconds,
            baseline_what=(
                "eventsourcing 9.5.6 defaults, one save() per aggregate "
                f"({library_events:,} events)"
            ),
            goal=TARGET_RATE if ctx.kind == "sqlite" else None,
            ratio_goal=TARGET_RATIO,
            details=details,
        ),
        ctx.row(
            key="import-raw",
            what="bulk import as a fraction of raw inserts of the same rows",
            target="report the fraction reached",
            unit="events/s",
            measured=rate,
            baseline=raw_events / raw_seconds,
            baseline_what=(
                "raw sqlite3.executemany, same rows and batches"
                if ctx.kind == "sqlite"
                else "raw psycopg INSERT … unnest, same rows and batches"
            ),
            details={"raw_events": raw_events, "raw_seconds": raw_seconds},
        ),
    ]


def _domain_only_rate(events: int, seed: int) -> float:
    """The commands generated and decided in memory, nothing appended: the domain's share
    of an import."""
    started = time.perf_counter()
    commands = synthetic_commands(Plan(events=events, seed=seed))
    decided = sum(len(batch) for batch in decided_in_memory(commands))
    return decided / (time.perf_counter() - started)


def _raw_insert(ctx: Context, ledger: Ledger) -> tuple[int, float]:
    pages = _stored_rows(ledger, ctx.settings.batch_size)
    if ctx.kind == "sqlite":
        return raw_sqlite_insert(str(ctx.workdir / "raw.db"), pages)
    return raw_postgres_insert(ctx.space.server, ctx.space.schema("raw"), pages)


def _stored_rows(ledger: Ledger, page: int) -> Iterator[list[RawRow]]:
    """The ledger's stored rows, a page at a time, in position order."""
    position = "rowid" if ledger.settings.dialect == "sqlite" else "notification_id"
    last = ledger.last_position()
    for start in range(0, last, page):
        with ledger.read() as tx:
            tx.execute(
                f"SELECT originator_id, originator_version, topic, state "
                f"FROM {ledger.store.events_table(tx)} "
                f"WHERE {position} > ? AND {position} <= ? ORDER BY {position}",
                (start, start + page),
            )
            rows = [(str(a), int(v), str(t), bytes(b)) for a, v, t, b in tx.fetchall()]
        yield rows
