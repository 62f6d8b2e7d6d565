"""Peak memory of a child process: ``ru_maxrss`` of exactly that child, from ``wait4``.

Linux carries a process's resident high-water mark across ``fork`` + ``exec``: a child
forked from this (large) process reports at least this process's size. So the command
runs under a small launcher (a fresh interpreter) that forks it and reports its
``wait4`` figure: the launcher is what inherits our size, the command inherits only the
launcher's few megabytes.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import msgspec


class PeakMemory(msgspec.Struct, frozen=True, kw_only=True):
    argv: list[str]
    exit_code: int
    peak_mb: float
    seconds: float
    output_tail: str


def peak_memory(argv: Sequence[str], log: Path, env: dict[str, str] | None = None) -> PeakMemory:
    """Runs ``argv`` to completion; its peak resident set (VmHWM) in MB."""
    return peak_memories([(argv, log)], env)[0]


def peak_memories(
    runs: Sequence[tuple[Sequence[str], Path]], env: dict[str, str] | None = None
) -> list[PeakMemory]:
    """Runs the commands side by side; each one's own peak, whatever the others use."""
    started = time.perf_counter()
    children = []
    for argv, log in runs:
        report = log.with_suffix(".peak")
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-c", LAUNCHER, str(report), *argv],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        children.append((argv, log, report, process))
    results = []
    for argv, log, report, process in children:
        process.wait()
        max_rss_kib, exit_code = (int(x) for x in report.read_text().split())
        results.append(
            PeakMemory(
                argv=list(argv),
                exit_code=exit_code,
                peak_mb=max_rss_kib / 1024,
                seconds=time.perf_counter() - started,
                output_tail=log.read_text(errors="replace")[-2000:],
            )
        )
    return results


LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(f"{usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""
