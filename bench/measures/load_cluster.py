"""Loading one cluster of 1,000 events, against the library's ``repository.get``.

Ours is a cold load: the in-process cache is emptied before each one, so every load
reads the store (the newest snapshot and the events after it), as a new process would.
The full replay of every event and the warm (cached) load are reported beside it.
"""

from __future__ import annotations

from bench.context import Context, median, percentile, timed
from bench.report import Row
from domain.cluster import project_cluster

TARGET_RATE = 200_000


def measure(ctx: Context) -> list[Row]:
    s = ctx.settings
    ledger = ctx.require_ledger()
    library = ctx.library
    assert library is not None
    cluster = ledger.get_cluster(ctx.deep_slug)
    assert cluster.version == s.deep_events, cluster.version

    def cold_load() -> None:
        ledger.aggregate_cache.clear()
        ledger.get_cluster(ctx.deep_slug)

    def full_replay() -> None:
        project_cluster(None, ledger.aggregate_events(cluster.id))

    ours = timed(cold_load, s.repeats)
    replay = timed(full_replay, s.repeats)
    warm = timed(lambda: ledger.get_cluster(ctx.deep_slug), s.repeats)
    theirs = timed(lambda: library.repository.get(ctx.deep_library_id), s.repeats)
    events = cluster.version
    return [
        ctx.row(
            key="load-cluster",
            what=f"load one cluster with {events:,} events (cold: snapshot + events after it)",
            target="≥ 200,000 events/s (≤ 5 ms)",
            unit="events/s",
            measured=events / median(ours),
            baseline=events / median(theirs),
            baseline_what="the library's default repository.get",
            goal=TARGET_RATE,
            details={
                "median_ms": 1000 * median(ours),
                "p99_ms": 1000 * percentile(ours, 0.99),
                "baseline_median_ms": 1000 * median(theirs),
                "full_replay_median_ms": 1000 * median(replay),
                "warm_cached_median_ms": 1000 * median(warm),
                "repeats": s.repeats,
            },
        )
    ]
