"""Peak memory of ``label-ledger rebuild`` and ``label-ledger verify`` on the whole ledger."""

from __future__ import annotations

import sys
from pathlib import Path

from bench.context import Context
from bench.http_load import _child_env
from bench.memory import peak_memory
from bench.report import LOWER, Row

TARGET_MB = 500.0


def label_ledger() -> list[str]:
    script = Path(sys.executable).parent / "label-ledger"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from api.cli.main import main; main()"]


def cli_commands() -> set[str]:
    from api.cli.main import cli

    return set(cli.commands)


def measure(ctx: Context) -> list[Row]:
    available = cli_commands()
    events = ctx.require_ledger().last_position()
    rows: list[Row] = []
    runs: list[tuple[str, list[str], Path]] = []
    for command in ("rebuild", "verify"):
        if command not in available:
            rows.append(
                ctx.not_measured(
                    f"memory-{command}", _what(command, events), "≤ 500 MB", "MB",
                    f"component missing: no `label-ledger {command}`",
                )
            )
            continue
        argv = [*label_ledger(), command, "--db", ctx.url]
        runs.append((command, argv, ctx.workdir / f"{ctx.kind}-{command}.log"))
    # One after the other: verify checks the read models that rebuild is rewriting (and
    # two CLIs starting together on PostgreSQL can collide in CREATE TABLE IF NOT EXISTS).
    peaks = [peak_memory(argv, log, _child_env()) for _, argv, log in runs]
    for (command, _, _), peak in zip(runs, peaks, strict=True):
        ok = peak.exit_code == 0
        rows.append(
            ctx.row(
                key=f"memory-{command}",
                what=_what(command, events),
                target="≤ 500 MB (streamed)",
                unit="MB",
                better=LOWER,
                measured=peak.peak_mb if ok else None,
                baseline_what="—",
                goal=TARGET_MB,
                note="" if ok else f"exit {peak.exit_code}: {peak.output_tail[-300:]}",
                details={"seconds": peak.seconds, "exit_code": peak.exit_code},
            )
        )
    return rows


def _what(command: str, events: int) -> str:
    return f"peak memory of `label-ledger {command}`, {events:,} events"
