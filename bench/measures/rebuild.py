"""Rebuilding every projection, against the library's notification read and decode."""

from __future__ import annotations

from bench.baselines import library_read_all
from bench.context import Context
from bench.report import Row
from infrastructure.projections import rebuild_projections

TARGET_RATE = 100_000


def measure(ctx: Context) -> list[Row]:
    ledger = ctx.require_ledger()
    assert ctx.library is not None
    report = rebuild_projections(ledger)
    read, seconds = library_read_all(ctx.library)
    return [
        ctx.row(
            key="rebuild",
            what=f"rebuild every projection, {report.events:,} events",
            target="≥ 100,000 events/s",
            unit="events/s",
            measured=report.events / report.seconds,
            baseline=read / seconds,
            baseline_what=(
                f"the library's notification read (500 a page) + mapper decode ({read:,} events)"
            ),
            goal=TARGET_RATE,
            details={
                "events": report.events,
                "seconds": report.seconds,
                "position": report.position,
            },
        )
    ]
