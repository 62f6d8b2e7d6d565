"""The machine a run happened on (the table is meaningless without it)."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from pathlib import Path

import psycopg

from bench.stores import POSTGRES_SERVER


def describe(postgres: bool) -> dict[str, str]:
    return {
        "cpus (nproc)": str(os.cpu_count()),
        "cpu model": _cpu_model(),
        "memory (free -h)": _free(),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgres_version() if postgres else "not used",
        "os": platform.platform(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _free() -> str:
    try:
        out = subprocess.run(["free", "-h"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    line = next((row for row in out.splitlines() if row.startswith("Mem:")), "")
    parts = line.split()
    return f"{parts[1]} total, {parts[6]} available" if len(parts) > 6 else line


def _postgres_version() -> str:
    try:
        with psycopg.connect(POSTGRES_SERVER, connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except psycopg.OperationalError:
        return "unreachable"
    return str(row[0]) if row else "unknown"
