"""Read models at scale: the rebuild rate and its peak memory on a synthetic ledger.

Usage (one process builds, a fresh one rebuilds, so peak RSS is the rebuild's own)::

    python bench/projection_scale.py build   --db sqlite:////tmp/projections-1m.db --events 1000000
    python bench/projection_scale.py rebuild --db sqlite:////tmp/projections-1m.db

``build`` imports the realistic mix of ``bench/synthetic.py`` (about 100 events per
cluster: grants, criteria reviews, membership reports, European labels, extensions,
withdrawals, stage closures) through ``Ledger.append`` in batches of 10,000 events, so
every event also goes through the inline read models; it prints the import rate.
``rebuild`` drops and rebuilds every read model from the events, streamed in committed
pages, and prints the rate, the final position and the process's peak RSS.
Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic import Plan, import_synthetic
from infrastructure.composition import open_ledger
from infrastructure.projections import RebuildProgress, rebuild_projections


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


def rebuild(db: str) -> None:
    ledger = open_ledger(db)
    try:
        report = rebuild_projections(ledger, progress=_progress)
    finally:
        ledger.close()
    print(file=sys.stderr)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"rebuilt the read models from {report.events:,} events in {report.seconds:.1f} s: "
        f"{report.rate:,.0f} events/s; position {report.position:,}; peak RSS {peak_mb:,.0f} MB"
    )


def _progress(p: RebuildProgress) -> None:
    rate = p.events / p.seconds if p.seconds else 0.0
    print(f"\r{p.position:,}/{p.last_position:,} events, {rate:,.0f} events/s", end="",
          file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["build", "rebuild"])
    parser.add_argument("--db", required=True, help="sqlite:///PATH or postgresql://...")
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.action == "build":
        build(args.db, args.events)
    else:
        rebuild(args.db)


if __name__ == "__main__":
    main()
