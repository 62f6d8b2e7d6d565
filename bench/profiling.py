"""cProfile summaries (top 25 by own time) of the paths the rows measure, on SQLite."""

from __future__ import annotations

import cProfile
import io
import pstats
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import msgspec

from bench.synthetic import Plan, append_deep_cluster, import_synthetic
from domain.commands import Context, Members, ReportMembership
from infrastructure.composition import open_ledger
from infrastructure.ledger import Ledger

TOP = 25
DEEP = "deep-history"


# Where an import's time goes, by the functions that own each share (cumulative time).
SHARES = (
    ("Writer.execute (everything below)", "infrastructure/writing/writer.py", "execute"),
    ("  deciding and folding (pure domain)", "domain/decisions.py", "decide"),
    ("  loading states not cached", "infrastructure/writing/states.py", "load"),
    ("  mapper.to_stored_event (msgspec encode)", "infrastructure/mapper.py", "to_stored_event"),
    ("  events insert", "infrastructure/store/recorders.py", "_insert_rows"),
    ("  ProjectionHook.on_append", "infrastructure/projections/hook.py", "on_append"),
    ("  MerkleLogHook.on_append", "infrastructure/tamper/merkle_log.py", "on_append"),
    ("  idempotency records", "infrastructure/access/idempotency.py", "record_outcomes"),
    ("  commit", "~", "<method 'commit' of 'sqlite3.Connection' objects>"),
    ("generating the commands (outside the writer)", "bench/synthetic.py", "pending"),
)


def profiled(fn: Callable[[], Any], top: int = TOP) -> tuple[str, Any]:
    profile = cProfile.Profile()
    profile.enable()
    try:
        result = fn()
    finally:
        profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return _shares(stats) + _trim(out.getvalue()), result


def _shares(stats: pstats.Stats) -> str:
    """Cumulative seconds of the functions in SHARES that this profile ran."""
    table = stats.stats  # type: ignore[attr-defined]
    total = max((entry[3] for entry in table.values()), default=0.0)
    lines = []
    for label, path, name in SHARES:
        seconds = sum(
            entry[3]
            for (file, _, func), entry in table.items()
            if func == name and ((path == "~" and file == "~") or file.endswith(path))
        )
        if seconds:
            lines.append(f"{label:<66} {seconds:8.2f} s  {seconds / total:6.1%}")
    if not lines:
        return ""
    return "cumulative shares (of the profiled call):\n" + "\n".join(lines) + "\n\n"


def _trim(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines()]
    start = next((i for i, line in enumerate(lines) if "function calls" in line), 0)
    return "\n".join(line for line in lines[start:] if line)


def profile_paths(workdir: Path, events: int, seed: int, log: Any = print) -> dict[str, str]:
    """Import ``events`` into a fresh SQLite ledger under the profiler, then the other paths."""
    ledger = open_ledger(f"sqlite:///{workdir / 'profiled.db'}")
    out: dict[str, str] = {}
    try:
        log(f"[profile] bulk import of {events:,} events …")
        plan = Plan(events=events, seed=seed)
        out["import"], report = profiled(lambda: import_synthetic(ledger, plan))
        append_deep_cluster(ledger, DEEP, report.stages + 1, 1_000)
        log("[profile] load one cluster, cold (snapshot + events after it) …")
        out["load-cluster"], _ = profiled(lambda: [_cold_load(ledger) for _ in range(50)])
        log("[profile] one command at a time (the HTTP write path without HTTP) …")
        out["command"], _ = profiled(lambda: _commands(ledger, 500))
        out.update(_optional(ledger, log))
    finally:
        ledger.close()
    return out


def _cold_load(ledger: Ledger) -> None:
    ledger.aggregate_cache.clear()
    ledger.get_cluster(DEEP)


def _commands(ledger: Ledger, count: int) -> None:
    """Keyed commands one at a time, each in its own transaction (as over HTTP)."""
    slugs = [s for s in ledger.cluster_slugs() if s != DEEP]
    members = Members(very_small=1, sme=1, intermediate_large=1, research=1, other=1)
    for n in range(count):
        command = ReportMembership(
            slug=slugs[n % len(slugs)],
            as_of=date(2026, 1, 1),
            members=msgspec.structs.replace(members, very_small=n),
            private_funding_share=0.5,
        )
        ledger.execute(command, Context(actor="bench", idempotency_key=f"profile-{n}"))


def _optional(ledger: Ledger, log: Any) -> dict[str, str]:
    """The components that may not have landed yet."""
    out: dict[str, str] = {}
    try:
        from infrastructure.projections import rebuild_projections
        from infrastructure.projections.queries import get_cluster_status
    except ImportError:
        pass
    else:
        log("[profile] rebuild …")
        out["rebuild"], _ = profiled(lambda: rebuild_projections(ledger))
        slugs = ledger.cluster_slugs()
        log("[profile] cluster status reads …")
        out["read-status"], _ = profiled(
            lambda: [get_cluster_status(ledger, slugs[n % len(slugs)]) for n in range(2_000)]
        )
    try:
        from infrastructure.tamper import verify_ledger
    except ImportError:
        pass
    else:
        log("[profile] verify …")
        out["verify"], _ = profiled(lambda: verify_ledger(ledger))
    return out
