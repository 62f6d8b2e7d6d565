"""Full verification (every leaf and node recomputed), in one process and with workers,
against hashlib alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bench.baselines import hashlib_verify
from bench.context import Context
from bench.report import Row
from infrastructure.ledger import Ledger
from infrastructure.tamper import verify_ledger
from infrastructure.tamper.event_rows import event_table

TARGET_RATE = 500_000
PAGE = 8_192
JOBS = 2  # this machine's cores; `label-ledger verify --jobs N`


def measure(ctx: Context) -> list[Row]:
    ledger = ctx.require_ledger()
    report = verify_ledger(ledger)
    parallel = verify_ledger(ledger, jobs=JOBS)
    hashed, seconds, _ = _hashlib(ledger)
    return [
        ctx.row(
            key="verify",
            what=f"full verification (leaves + tree), {report.tree_size:,} events",
            target="≥ 500,000 events/s",
            unit="events/s",
            measured=report.tree_size / report.seconds if report.ok else None,
            baseline=hashed / seconds,
            baseline_what=(
                "hashlib alone over the same rows, read the same way (payload, leaf, nodes)"
            ),
            goal=TARGET_RATE,
            note="" if report.ok else f"verification failed: {report.summary()}",
            details={"tree_size": report.tree_size, "seconds": report.seconds, "ok": report.ok},
        ),
        # The same verification with the chunks hashed by worker processes; the baseline
        # stays the single-process hashlib pass, so this row's ratio includes the cores.
        ctx.row(
            key="verify-jobs",
            what=(
                f"full verification, {JOBS} worker processes (verify --jobs {JOBS}), "
                f"{parallel.tree_size:,} events"
            ),
            target="≥ 500,000 events/s",
            unit="events/s",
            measured=parallel.tree_size / parallel.seconds if parallel.ok else None,
            baseline=hashed / seconds,
            baseline_what="hashlib alone over the same rows in one process (as above)",
            goal=TARGET_RATE,
            note="" if parallel.ok else f"verification failed: {parallel.summary()}",
            details={
                "tree_size": parallel.tree_size,
                "seconds": parallel.seconds,
                "ok": parallel.ok,
                "jobs": JOBS,
                "root_equals_single_process": parallel.root_hash == report.root_hash,
            },
        ),
    ]


def _hashlib(ledger: Ledger) -> tuple[int, float, bytes]:
    with ledger.read() as tx:
        return hashlib_verify(_pages(ledger, tx))


def _pages(ledger: Ledger, tx: Any) -> Iterator[list[tuple[Any, ...]]]:
    events = event_table(tx)
    size = events.last_position(tx)
    for start in range(0, size, PAGE):
        yield events.rows(tx, start, min(size, start + PAGE))
