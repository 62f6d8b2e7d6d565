"""The benchmark suite keeps working: its smoke mode runs every row end to end (CI hook).

It checks that each row is measured with a positive, finite number beside a positive,
finite baseline; it judges no target (benchmarks are never timed assertions).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROW_KEYS = {
    "import",
    "import-raw",
    "load-cluster",
    "proof-inclusion",
    "proof-consistency",
    "rebuild",
    "verify",
    "memory-rebuild",
    "memory-verify",
    "reads",
    "reads-p99",
    "commands",
    "commands-p99",
    "audit",
    "audit-incremental",
}


def run_smoke(out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,  # a hang guard, not a performance check
    )


def positive(value: float | None) -> bool:
    return value is not None and math.isfinite(value) and value > 0


def test_bench_smoke_measures_every_row_with_sane_numbers(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = run_smoke(out)
    assert done.returncode == 0, done.stderr[-4000:]
    results = json.loads(out.read_text())
    stores = {row["store"] for row in results["rows"]}
    assert "SQLite" in stores
    for store in stores:
        keys = {row["key"] for row in results["rows"] if row["store"] == store}
        assert keys >= ROW_KEYS, f"{store} lacks {sorted(ROW_KEYS - keys)}"
    for row in results["rows"]:
        assert positive(row["measured"]), row
        if row["baseline"] is not None:
            assert positive(row["baseline"]), row
    assert results["machine"]["cpus (nproc)"]
