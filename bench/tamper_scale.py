"""Tamper evidence at scale: verification rate, proof latency and verify memory at 1M events.

Usage (one process builds, a fresh one measures, so peak RSS is verification's own)::

    python bench/tamper_scale.py build  --db sqlite:////tmp/tamper-1m.db --events 1000000
    python bench/tamper_scale.py verify --db sqlite:////tmp/tamper-1m.db
    python bench/tamper_scale.py proofs --db sqlite:////tmp/tamper-1m.db --samples 2000

The ledger is synthetic: 1,000 clusters, each registered then given membership reports
and criteria reviews with consecutive versions, appended through ``Ledger.append`` in
batches of 5,000 events (so every event gets its leaf in its append transaction).
Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

from domain.events import ClusterRegistered, CriteriaReviewed, LedgerEvent, MembershipReported
from domain.values import MemberCounts
from infrastructure.composition import open_ledger
from infrastructure.ledger import Ledger
from infrastructure.tamper import consistency_proof_between, inclusion_proof_at, verify_ledger

CLUSTERS = 1_000
BATCH = 5_000
START = datetime(2024, 1, 1, tzinfo=UTC)


def synthetic_events(total: int) -> Iterator[LedgerEvent]:
    """Round-robin over the clusters, so each batch touches many aggregates."""
    versions = [0] * CLUSTERS
    for n in range(total):
        cluster = n % CLUSTERS
        versions[cluster] += 1
        version = versions[cluster]
        envelope = {
            "originator_id": f"cluster:bench-{cluster}",
            "originator_version": version,
            "timestamp": START + timedelta(microseconds=n),
            "actor": "bench",
            "effective_on": date(2024, 1, 1) + timedelta(days=version % 365),
            "idempotency_key": f"bench-{n}",
        }
        if version == 1:
            yield ClusterRegistered(**envelope, slug=f"bench-{cluster}", name=f"Bench {cluster}")
        elif version % 2:
            yield CriteriaReviewed(
                **envelope,
                stage=5,
                reviewed_on=date(2024, 6, 1),
                reviewer="bench",
                kind="annual",
                measurements={"members": 150.0 + version},
                outcome="met",
            )
        else:
            yield MembershipReported(
                **envelope, as_of=date(2024, 6, 1), members=MemberCounts(sme=version)
            )


def build(ledger: Ledger, total: int) -> None:
    started = time.perf_counter()
    batch: list[LedgerEvent] = []
    for event in synthetic_events(total):
        batch.append(event)
        if len(batch) == BATCH:
            ledger.append(batch)
            batch = []
    if batch:
        ledger.append(batch)
    seconds = time.perf_counter() - started
    print(f"built {total:,} events in {seconds:.1f} s ({total / seconds:,.0f} events/s appended)")


def verify(ledger: Ledger, jobs: int) -> None:
    cpu = time.process_time()
    report = verify_ledger(ledger, jobs=jobs)
    cpu = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(report.summary())
    rate = report.tree_size / report.seconds
    print(f"verified {report.tree_size:,} events in {report.seconds:.2f} s: {rate:,.0f} events/s")
    if jobs == 1:
        # On a shared machine the wall clock includes waiting for a CPU; this does not.
        print(f"CPU time {cpu:.2f} s: {report.tree_size / cpu:,.0f} events per CPU-second")
    print(f"peak RSS of this process (open + verify): {peak:,.0f} MB")


def proofs(ledger: Ledger, samples: int) -> None:
    size = ledger.last_position()
    rng = random.Random(20260101)
    inclusion = _latencies(samples, lambda: inclusion_proof_at(ledger, rng.randint(1, size), size))
    consistency = _latencies(
        samples, lambda: consistency_proof_between(ledger, rng.randint(1, size - 1), size)
    )
    for name, values in (("inclusion", inclusion), ("consistency", consistency)):
        values.sort()
        print(
            f"{name} proof at tree size {size:,}: median {statistics.median(values) * 1e3:.3f} ms, "
            f"p99 {values[int(len(values) * 0.99)] * 1e3:.3f} ms over {samples} proofs"
        )


def _latencies(samples: int, call: Callable[[], object]) -> list[float]:
    call()  # warm the connection and the statement cache
    values = []
    for _ in range(samples):
        started = time.perf_counter()
        call()
        values.append(time.perf_counter() - started)
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["build", "verify", "proofs"])
    parser.add_argument("--db", required=True)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=2_000)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    ledger = open_ledger(args.db)
    try:
        if args.step == "build":
            build(ledger, args.events)
        elif args.step == "verify":
            verify(ledger, args.jobs)
        else:
            proofs(ledger, args.samples)
    finally:
        ledger.close()


if __name__ == "__main__":
    main()
