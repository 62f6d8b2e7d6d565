"""A timeline in lanes: spans of time (labels held) and dated marks (decisions), one lane
per stage, over shaded periods, with a line at the day the page is read as of."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

import msgspec

from api.web.charts.scale import Tick, TimeScale
from api.web.charts.steps import Band, BandGeometry

SpanKind = Literal["labelled", "conditional"]
MarkKind = Literal[
    "registered", "granted", "extended", "withdrawn", "expired", "merged", "absorbed",
    "dissolved", "renamed",
]


class LaneSpan(msgspec.Struct, frozen=True, kw_only=True):
    lane: int
    first: date
    last: date
    kind: SpanKind
    text: str


class LaneMark(msgspec.Struct, frozen=True, kw_only=True):
    lane: int
    day: date
    kind: MarkKind
    text: str


class LaneGeometry(msgspec.Struct, frozen=True, kw_only=True):
    label: str
    y: float
    height: float


class SpanGeometry(msgspec.Struct, frozen=True, kw_only=True):
    kind: SpanKind
    text: str
    first: date
    last: date
    x: float
    y: float
    width: float
    height: float


class MarkGeometry(msgspec.Struct, frozen=True, kw_only=True):
    kind: MarkKind
    text: str
    day: date
    x: float
    y: float


class LaneChart(msgspec.Struct, frozen=True, kw_only=True):
    width: float
    height: float
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    x_ticks: tuple[Tick, ...]
    bands: tuple[BandGeometry, ...]
    lanes: tuple[LaneGeometry, ...]
    spans: tuple[SpanGeometry, ...]
    marks: tuple[MarkGeometry, ...]
    as_of_x: float | None


class LaneLayout(msgspec.Struct, frozen=True, kw_only=True):
    width: float = 1000
    label_width: float = 84
    right: float = 16
    top: float = 28
    lane_height: float = 34
    span_height: float = 16
    axis_room: float = 26


def lane_chart(
    lanes: Sequence[str],
    spans: Sequence[LaneSpan],
    marks: Sequence[LaneMark],
    *,
    first: date,
    last: date,
    bands: Sequence[Band] = (),
    as_of: date | None = None,
    layout: LaneLayout | None = None,
) -> LaneChart:
    lay = layout or LaneLayout()
    time = TimeScale(first, last, lay.label_width, lay.width - lay.right - lay.label_width)
    bottom = lay.top + len(lanes) * lay.lane_height

    def middle(lane: int) -> float:
        return lay.top + (lane + 0.5) * lay.lane_height

    return LaneChart(
        width=lay.width,
        height=bottom + lay.axis_room,
        plot_left=time.start,
        plot_right=time.start + time.length,
        plot_top=lay.top,
        plot_bottom=bottom,
        x_ticks=time.year_ticks(),
        bands=tuple(
            BandGeometry(
                series=b.series, label=b.label, x=time.at(b.first),
                width=round(time.at(b.last) - time.at(b.first), 2),
                label_x=round((time.at(b.first) + time.at(b.last)) / 2, 2),
            )
            for b in bands
        ),
        lanes=tuple(
            LaneGeometry(label=name, y=lay.top + i * lay.lane_height, height=lay.lane_height)
            for i, name in enumerate(lanes)
        ),
        spans=tuple(
            SpanGeometry(
                kind=s.kind, text=s.text, first=s.first, last=s.last, x=time.at(s.first),
                y=round(middle(s.lane) - lay.span_height / 2, 2),
                width=max(2.0, round(time.at(s.last) - time.at(s.first), 2)),
                height=lay.span_height,
            )
            for s in spans
        ),
        marks=tuple(
            MarkGeometry(kind=m.kind, text=m.text, day=m.day, x=time.at(m.day), y=middle(m.lane))
            for m in marks
        ),
        as_of_x=None if as_of is None or not first <= as_of <= last else time.at(as_of),
    )
