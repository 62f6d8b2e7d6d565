"""Loading one cluster of 1,000 events, against the library's ``repository.get``."""

from __future__ import annotations

from bench.context import Context, median, percentile, timed
from bench.report import Row

TARGET_RATE = 200_000


def measure(ctx: Context) -> list[Row]:
    s = ctx.settings
    ledger = ctx.require_ledger()
    library = ctx.library
    assert library is not None
    cluster = ledger.get_cluster(ctx.deep_slug)
    assert cluster.version == s.deep_events, cluster.version
    ours = timed(lambda: ledger.get_cluster(ctx.deep_slug), s.repeats)
    theirs = timed(lambda: library.repository.get(ctx.deep_library_id), s.repeats)
    events = cluster.version
    return [
        ctx.row(
            key="load-cluster",
            what=f"load one cluster with {events:,} events",
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
                "repeats": s.repeats,
            },
        )
    ]
