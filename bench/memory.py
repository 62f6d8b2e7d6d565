"""Peak memory of a child process: ``ru_maxrss`` of exactly that child, from ``wait4``."""

from __future__ import annotations

import os
import subprocess
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
        with log.open("wb") as out:
            process = subprocess.Popen(list(argv), stdout=out, stderr=subprocess.STDOUT, env=env)
        children.append((argv, log, process))
    results = []
    for argv, log, process in children:
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        results.append(
            PeakMemory(
                argv=list(argv),
                exit_code=process.returncode,
                peak_mb=usage.ru_maxrss / 1024,  # KiB on Linux
                seconds=time.perf_counter() - started,
                output_tail=log.read_text(errors="replace")[-2000:],
            )
        )
    return results
