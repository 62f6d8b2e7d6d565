"""Runs every measurement on one store, in an order where each finds what it needs."""

from __future__ import annotations

import importlib
import traceback
from pathlib import Path

from bench.context import Context, Settings
from bench.report import Row
from bench.stores import space

# Module, row group (``--only``) and what it measures (for a "not measured" row).
MEASURES = (
    ("bulk_import", "import", "bulk import through the domain"),
    ("load_cluster", "load-cluster", "load one cluster with 1,000 events"),
    ("proofs", "proofs", "inclusion and consistency proofs"),
    ("rebuild", "rebuild", "rebuild every projection"),
    ("verify", "verify", "full verification (leaves + tree)"),
    ("memory_peak", "memory", "peak memory of rebuild and verify"),
    ("http_reads", "reads", "GET /clusters/{slug}, 32 clients"),
    ("http_commands", "commands", "single commands over HTTP, 16 clients"),
    ("audit", "audit", "label-ledger audit over HTTP, full and incremental"),
)
GROUPS = tuple(group for _, group, _ in MEASURES)


class StoreRun:
    def __init__(self, rows: list[Row], missing: list[str]) -> None:
        self.rows = rows
        self.missing = missing


def run_store(kind: str, settings: Settings, workdir: Path, log: object = print) -> StoreRun:
    rows: list[Row] = []
    with space(kind, workdir) as where:
        ctx = Context(kind, where, workdir, settings)
        try:
            for module, key, what in MEASURES:
                if module != "bulk_import" and not settings.wants(key):
                    continue
                log(f"[{ctx.store}] {what} …")  # type: ignore[operator]
                measured = _measure(ctx, module, key, what)
                rows += measured
                for row in measured:
                    log(f"[{ctx.store}]   {row.key}: {row.measured} {row.unit}"  # type: ignore[operator]
                        f" (baseline {row.baseline}) {row.note}")
                if module == "bulk_import":
                    if ctx.ledger is None:
                        break  # nothing else can run without the ledger
                    if settings.smoke:
                        _prestart(ctx)
        finally:
            ctx.close()
    return StoreRun(rows, ctx.missing)


def _measure(ctx: Context, module: str, key: str, what: str) -> list[Row]:
    try:
        measure = importlib.import_module(f"bench.measures.{module}").measure
    except ImportError as error:
        return [ctx.not_measured(key, what, "", "", f"component missing ({error})")]
    try:
        return list(measure(ctx))
    except Exception as error:
        (ctx.workdir / f"{ctx.kind}-{module}-error.txt").write_text(traceback.format_exc())
        return [ctx.not_measured(key, what, "", "", f"failed: {type(error).__name__}: {error}")]


def _prestart(ctx: Context) -> None:
    try:
        from bench.measures.live_server import prestart_servers
    except ImportError:
        return
    prestart_servers(ctx)
