"""How many clusters held each stage's label, day by day: a step series per stage.

A cluster counts once per stage on a day when any of its labels of that stage was in
force (``held_on``), as for the counts set beside the published ones; the series has a
point on each day the count changes, so it is exact between points.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

import msgspec

from domain.cluster import LabelRecord
from domain.records import ClusterRecord, StageRecord
from domain.values import ReportedCount

ONE_DAY = timedelta(days=1)


class CountOn(msgspec.Struct, frozen=True):
    """The count from ``day`` until the next point of the series."""

    day: date
    count: int


class StageSeries(msgspec.Struct, frozen=True, kw_only=True):
    stage: int
    title: str
    starts_on: date
    ends_on: date
    points: tuple[CountOn, ...]
    reported: tuple[ReportedCount, ...]  # the counts the authorities published, by date

    def count_on(self, day: date) -> int:
        """The series' value on ``day`` (0 before its first point)."""
        value = 0
        for point in self.points:
            if point.day > day:
                break
            value = point.count
        return value


def held_span(label: LabelRecord) -> tuple[date, date] | None:
    """The first and last day a label was in force (as ``held_on`` reads it), if any."""
    last = date.max
    if label.valid_until is not None:
        last = label.valid_until
    if label.ended_on is not None:
        ended = label.ended_on if label.state == "expired" else label.ended_on - ONE_DAY
        last = min(last, ended)
    return None if last < label.effective_from else (label.effective_from, last)


def merged_spans(spans: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    """Overlapping or adjacent day spans joined, in order."""
    joined: list[tuple[date, date]] = []
    for start, end in sorted(spans):
        if joined and start <= joined[-1][1] + ONE_DAY:
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    return joined


def stage_series(stage: StageRecord, clusters: Sequence[ClusterRecord]) -> StageSeries:
    """Clusters holding a label of ``stage``, at every day the number changes."""
    number = stage.stage.number
    changes: dict[date, int] = {}
    for record in clusters:
        spans = [held_span(lb) for lb in record.cluster.labels if lb.stage == number]
        for start, end in merged_spans(s for s in spans if s is not None):
            changes[start] = changes.get(start, 0) + 1
            if end < date.max:
                after = end + ONE_DAY
                changes[after] = changes.get(after, 0) - 1
    points: list[CountOn] = []
    count = 0
    for day in sorted(changes):
        count += changes[day]
        if changes[day]:
            points.append(CountOn(day, count))
    return StageSeries(
        stage=number,
        title=stage.stage.title,
        starts_on=stage.stage.starts_on,
        ends_on=stage.stage.ends_on,
        points=tuple(points),
        reported=tuple(sorted(stage.stage.reported_counts, key=lambda r: r.as_of)),
    )


def labelled_timeline(
    stages: Sequence[StageRecord], clusters: Sequence[ClusterRecord]
) -> tuple[StageSeries, ...]:
    """One series per stage, by stage number."""
    ordered = sorted(stages, key=lambda s: s.stage.number)
    return tuple(stage_series(s, clusters) for s in ordered)
