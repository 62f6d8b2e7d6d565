"""``python -m bench [--events N] [--db sqlite|postgresql|all] [--out results.json]``.

Generates a synthetic ledger through the domain on each store and measures every row
of docs/benchmarks.md against its baseline, measured in the same run. ``--smoke`` runs
a few thousand events to keep the suite working (numbers sane, targets not judged).
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import machine
from bench.context import Settings
from bench.docs import update_docs
from bench.profiling import profile_paths
from bench.report import Results, markdown_table, save
from bench.stores import postgres_reachable
from bench.suite import GROUPS, run_store

SMOKE = Settings(
    events=2_000,
    smoke=True,
    batch_size=1_000,
    baseline_events=2_000,
    deep_events=200,
    repeats=3,
    proofs=10,
    http_seconds=0.5,
    http_warmup=0.2,
)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000, help="Ledger size (default 1M).")
    parser.add_argument(
        "--db", choices=["sqlite", "postgresql", "all"], default="all",
        help="Store(s) to measure (default: both; PostgreSQL skipped if unreachable).",
    )
    parser.add_argument("--out", type=Path, default=Path("bench-results.json"))
    parser.add_argument("--smoke", action="store_true", help="A few thousand events, < 30 s.")
    parser.add_argument(
        "--profile", type=int, metavar="EVENTS", default=0,
        help="Also profile the paths on a SQLite ledger of EVENTS events (≥ 200000 advised).",
    )
    parser.add_argument("--docs", type=Path, help="Write the table into this Markdown file.")
    parser.add_argument("--http-seconds", type=float, default=10.0)
    parser.add_argument("--baseline-events", type=int, default=200_000)
    parser.add_argument("--workdir", type=Path, help="Keep databases and logs here.")
    parser.add_argument(
        "--only", default="", metavar="GROUPS",
        help=f"Comma-separated row groups among {', '.join(GROUPS)} (the import always runs).",
    )
    return parser.parse_args(argv)


def settings_of(args: argparse.Namespace) -> Settings:
    if args.smoke:
        return SMOKE
    only = [group for group in args.only.split(",") if group]
    unknown = sorted(set(only) - set(GROUPS))
    if unknown:
        sys.exit(f"python -m bench: unknown row group(s) {', '.join(unknown)}")
    return Settings(
        events=args.events,
        baseline_events=args.baseline_events,
        http_seconds=args.http_seconds,
        only=only,
    )


def stores_of(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    wanted = ["sqlite", "postgresql"] if args.db == "all" else [args.db]
    if "postgresql" in wanted and not postgres_reachable():
        if args.db == "postgresql":
            sys.exit("python -m bench: PostgreSQL at 127.0.0.1:5432 is unreachable")
        return [k for k in wanted if k != "postgresql"], ["PostgreSQL: unreachable, skipped"]
    return wanted, []


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    settings = settings_of(args)
    kinds, skipped = stores_of(args)
    results = Results(
        machine=machine.describe("postgresql" in kinds),
        command="python -m bench " + shlex.join(sys.argv[1:] if argv is None else argv),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        settings={"stores": kinds, **_plain(settings)},
        missing=skipped,
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp)
        if args.workdir is not None:
            # A fresh folder per run: a ledger must start empty.
            workdir = args.workdir / time.strftime("run-%Y%m%d-%H%M%S")
            workdir.mkdir(parents=True)
        for kind in kinds:
            store_dir = workdir / kind
            store_dir.mkdir(exist_ok=True)
            run = run_store(kind, settings, store_dir, log=_log)
            results.rows += run.rows
            results.missing += run.missing
        if args.profile:
            results.profiles = profile_paths(workdir, args.profile, settings.seed, log=_log)
    results.seconds = time.perf_counter() - started
    results.machine["load average at end"] = machine.describe(False)["load average at start"]
    save(results, args.out)
    print(markdown_table(results.rows))
    if args.docs:
        update_docs(args.docs, results)
    if args.smoke:
        return _sane(results)
    return 0


def _plain(settings: Settings) -> dict[str, object]:
    import msgspec

    return msgspec.to_builtins(settings)  # type: ignore[no-any-return]


def _log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def _sane(results: Results) -> int:
    """Smoke: every row measured with a positive, finite number (targets not judged)."""
    bad = [
        f"{row.store} {row.key}: {row.measured!r} {row.note}"
        for row in results.rows
        if row.measured is None or not math.isfinite(row.measured) or row.measured <= 0
        or (row.baseline is not None and (not math.isfinite(row.baseline) or row.baseline <= 0))
    ]
    for line in bad:
        print(f"smoke: not sane: {line}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
