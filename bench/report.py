"""Results: one row per measurement, saved as JSON and rendered as a Markdown table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

# Whether a bigger number is better decides how a ratio and a target read.
HIGHER = "higher"
LOWER = "lower"


class Row(msgspec.Struct, kw_only=True):
    """One measured figure, its baseline from the same run, and the target."""

    key: str
    store: str
    what: str
    target: str
    unit: str
    better: str = HIGHER
    measured: float | None = None
    baseline: float | None = None
    baseline_what: str = ""
    goal: float | None = None
    """The target as a number in ``unit`` (None when the target is about the ratio only)."""
    ratio_goal: float | None = None
    """The minimum ratio the target asks for (e.g. 5 for "≥ 5× the baseline")."""
    note: str = ""
    details: dict[str, Any] = {}

    @property
    def ratio(self) -> float | None:
        """How many times better than the baseline (>1: ours is faster)."""
        if not _usable(self.measured) or not _usable(self.baseline):
            return None
        assert self.measured is not None
        assert self.baseline is not None
        if self.better == HIGHER:
            return self.measured / self.baseline if self.baseline else None
        return self.baseline / self.measured if self.measured else None

    @property
    def met(self) -> bool | None:
        if not _usable(self.measured):
            return None
        assert self.measured is not None
        checks: list[bool] = []
        if self.goal is not None:
            checks.append(
                self.measured >= self.goal if self.better == HIGHER else self.measured <= self.goal
            )
        if self.ratio_goal is not None:
            ratio = self.ratio
            checks.append(ratio is not None and ratio >= self.ratio_goal)
        return all(checks) if checks else None

    @property
    def reached(self) -> float | None:
        """The fraction of the numeric target reached (1.0 or more: met)."""
        if self.goal is None or not _usable(self.measured):
            return None
        assert self.measured is not None
        if self.better == HIGHER:
            return self.measured / self.goal
        return self.goal / self.measured if self.measured else None


class Results(msgspec.Struct, kw_only=True):
    machine: dict[str, str]
    command: str
    started_at: str
    seconds: float = 0.0
    settings: dict[str, Any] = {}
    rows: list[Row] = []
    profiles: dict[str, str] = {}
    missing: list[str] = []


def _usable(value: float | None) -> bool:
    return value is not None and math.isfinite(value) and value > 0


def to_json(results: Results) -> bytes:
    """JSON with the derived ratio, met and reached fields next to each row."""
    payload = msgspec.to_builtins(results)
    for row, data in zip(results.rows, payload["rows"], strict=True):
        data["ratio"] = row.ratio
        data["met"] = row.met
        data["reached"] = row.reached
    return msgspec.json.format(msgspec.json.encode(payload), indent=2)


def save(results: Results, path: Path) -> None:
    path.write_bytes(to_json(results) + b"\n")


def number(value: float | None, unit: str = "") -> str:
    if value is None or not math.isfinite(value):
        return "—"
    if unit in {"ms", "MB"} or abs(value) < 100:
        text = f"{value:,.3g}" if abs(value) < 10 else f"{value:,.1f}"
    else:
        text = f"{value:,.0f}"
    return f"{text} {unit}".strip()


def verdict(row: Row) -> str:
    met = row.met
    if row.measured is None:
        return "not measured"
    if met is None:
        return "—"
    if met:
        return "yes"
    parts = []
    reached = row.reached
    if reached is not None:
        parts.append(f"{reached:.0%} of target")
    ratio = row.ratio
    if row.ratio_goal is not None and ratio is not None and ratio < row.ratio_goal:
        parts.append(f"{ratio:.2f}× of ≥ {row.ratio_goal:g}×")
    return f"no ({'; '.join(parts)})" if parts else "no"


def markdown_table(rows: Sequence[Row]) -> str:
    lines = [
        "| store | what | target | measured | baseline (same run) | ratio | met? |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ratio = row.ratio
        baseline = (
            f"{number(row.baseline, row.unit)} — {row.baseline_what}"
            if row.baseline is not None
            else row.baseline_what or "—"
        )
        measured = number(row.measured, row.unit) if row.measured is not None else row.note
        lines.append(
            f"| {row.store} | {row.what} | {row.target} | {measured} | {baseline} | "
            f"{'—' if ratio is None else f'{ratio:.2f}×'} | {verdict(row)} |"
        )
    return "\n".join(lines)
