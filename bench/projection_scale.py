"""Read models at scale: the rebuild rate and its peak memory on a synthetic ledger.

Usage (one process builds, a fresh one rebuilds, so peak RSS is the rebuild's own)::

    python bench/projection_scale.py build   --db sqlite:////tmp/projections-1m.db --events 1000000
    python bench/projection_scale.py rebuild --db sqlite:////tmp/projections-1m.db

``build`` imports the realistic mix of ``bench/synthetic.py`` (about 100 events per
cluster: grants, criteria reviews, membership reports, European labels, extensions,
withdrawals, stage closures) through ``Ledger.append`` in batches of 10,000 events, so
every event also goes through the inline read models; it prints the import rate.
``rebuild`` drops and rebuilds every read model from the events, streamed in committed
pages, and prints the rate, the final position and the process's peak RSS; with
``--bare-read`` it then reads the same events the library's way (``select_notifications``
500 a page + the ledger's mapper) and prints that rate too, as a same-run yardstick.
Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic import Plan, import_synthetic
from infrastructure.composition import open_ledger
from infrastructure.ledger import Ledger
from infrastructure.projections import RebuildProgress, rebuild_projections
from infrastructure.projections.rebuild import BATCH_SIZE


def build(db: str, events: int) -> None:
    ledger = open_ledger(db)
    try:
        report = import_synthetic(ledger, Plan(events=events))
        print(
            f"imported {report.events:,} events ({report.clusters:,} clusters, "
            f"{report.stages} stages) in {report.seconds:.1f} s: {report.rate:,.0f} events/s "
            f"with the read models maintained inline; position {ledger.last_position():,}"
        )
    finally:
        ledger.close()


def rebuild(db: str, batch_size: int, bare_read: bool) -> None:
    ledger = open_ledger(db)
    try:
        report = rebuild_projections(ledger, progress=_progress, batch_size=batch_size)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(file=sys.stderr)
        print(
            f"rebuilt the read models from {report.events:,} events in {report.seconds:.1f} s: "
            f"{report.rate:,.0f} events/s; position {report.position:,}; "
            f"peak RSS {peak_mb:,.0f} MB"
        )
        if bare_read:
            events, seconds = _bare_read(ledger)
            print(
                f"bare read (select_notifications 500 a page + mapper decode): {events:,} "
                f"events in {seconds:.1f} s: {events / seconds:,.0f} events/s; "
                f"rebuild/bare read {report.rate / (events / seconds):.2f}x"
            )
    finally:
        ledger.close()


def _bare_read(ledger: Ledger, page: int = 500) -> tuple[int, float]:
    started = time.perf_counter()
    count = last = 0
    decode = ledger.mapper.to_domain_event
    while True:
        notifications = ledger.recorder.select_notifications(
            start=last, limit=page, inclusive_of_start=False
        )
        for notification in notifications:
            decode(notification)
        count += len(notifications)
        if len(notifications) < page:
            return count, time.perf_counter() - started
        last = notifications[-1].id


def _progress(p: RebuildProgress) -> None:
    rate = p.events / p.seconds if p.seconds else 0.0
    print(f"\r{p.position:,}/{p.last_position:,} events, {rate:,.0f} events/s", end="",
          file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["build", "rebuild"])
    parser.add_argument("--db", required=True, help="sqlite:///PATH or postgresql://...")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE,
                        help="events per rebuild transaction")
    parser.add_argument("--bare-read", action="store_true",
                        help="also time the library-style read + decode of the same events")
    args = parser.parse_args()
    if args.action == "build":
        build(args.db, args.events)
    else:
        rebuild(args.db, args.batch_size, args.bare_read)


if __name__ == "__main__":
    main()
