"""Step lines over time (a count that holds until it changes), with dated markers and
shaded periods behind them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import msgspec

from api.web.charts.scale import LinearScale, Tick, TimeScale, nice_ticks


class StepLine(msgspec.Struct, frozen=True, kw_only=True):
    """A series: ``(day, value)`` points, each value holding until the next, drawn to ``until``."""

    name: str
    points: tuple[tuple[date, float], ...]
    until: date


class Marker(msgspec.Struct, frozen=True, kw_only=True):
    """A value reported on a day, drawn as a dot in a series' colour."""

    series: int
    day: date
    value: float
    text: str


class Band(msgspec.Struct, frozen=True, kw_only=True):
    """A period shaded behind the lines, e.g. a stage of the policy."""

    series: int
    first: date
    last: date
    label: str


class PathGeometry(msgspec.Struct, frozen=True, kw_only=True):
    series: int
    name: str
    d: str
    end_value: float


class MarkerGeometry(msgspec.Struct, frozen=True, kw_only=True):
    series: int
    name: str  # the series' name
    day: date
    value: float
    text: str
    x: float
    y: float
    label_y: float  # above the dot, or below it when that would hit the previous label


class BandGeometry(msgspec.Struct, frozen=True, kw_only=True):
    series: int
    label: str
    x: float
    width: float
    label_x: float


class StepChart(msgspec.Struct, frozen=True, kw_only=True):
    width: float
    height: float
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    bands: tuple[BandGeometry, ...]
    paths: tuple[PathGeometry, ...]
    markers: tuple[MarkerGeometry, ...]


class StepLayout(msgspec.Struct, frozen=True, kw_only=True):
    width: float = 1000
    height: float = 320
    left: float = 44
    right: float = 16
    top: float = 30
    bottom: float = 28


def step_chart(
    lines: Sequence[StepLine],
    *,
    first: date,
    last: date,
    markers: Sequence[Marker] = (),
    bands: Sequence[Band] = (),
    layout: StepLayout | None = None,
) -> StepChart:
    lay = layout or StepLayout()
    plot_bottom = lay.height - lay.bottom
    time = TimeScale(first, last, lay.left, lay.width - lay.right - lay.left)
    largest = max(
        [v for line in lines for _, v in line.points] + [m.value for m in markers], default=0
    )
    values = nice_ticks(largest)
    scale = LinearScale(values[-1], plot_bottom, lay.top - plot_bottom)
    return StepChart(
        width=lay.width,
        height=lay.height,
        plot_left=time.start,
        plot_right=time.start + time.length,
        plot_top=lay.top,
        plot_bottom=plot_bottom,
        x_ticks=time.year_ticks(),
        y_ticks=tuple(Tick(scale.at(v), f"{v:g}") for v in values),
        bands=tuple(_band(b, time) for b in bands),
        paths=tuple(
            _path(i, line, time, scale) for i, line in enumerate(lines) if line.points
        ),
        markers=_markers(lines, markers, time, scale),
    )


def step_path(points: Sequence[tuple[float, float]], end_x: float, base_y: float) -> str:
    """An SVG path rising from the baseline at the first point, stepping to each next one."""
    x0, _ = points[0]
    parts = [f"M{x0:g} {base_y:g}"]
    for x, y in points:
        parts.append(f"H{x:g}V{y:g}")
    parts.append(f"H{end_x:g}")
    return "".join(parts)


def _path(index: int, line: StepLine, time: TimeScale, scale: LinearScale) -> PathGeometry:
    shown = [(day, value) for day, value in line.points if day <= line.until] or [line.points[0]]
    coordinates = [(time.at(day), scale.at(value)) for day, value in shown]
    return PathGeometry(
        series=index,
        name=line.name,
        d=step_path(coordinates, max(time.at(line.until), coordinates[-1][0]), scale.at(0)),
        end_value=shown[-1][1],
    )


def _markers(
    lines: Sequence[StepLine], markers: Sequence[Marker], time: TimeScale, scale: LinearScale
) -> tuple[MarkerGeometry, ...]:
    placed = sorted(((time.at(m.day), scale.at(m.value), m) for m in markers), key=lambda p: p[0])
    label_ys = label_positions([(x, y) for x, y, _ in placed])
    return tuple(
        MarkerGeometry(
            series=m.series, name=lines[m.series].name if m.series < len(lines) else "",
            day=m.day, value=m.value, text=m.text, x=x, y=y, label_y=label_y,
        )
        for (x, y, m), label_y in zip(placed, label_ys, strict=True)
    )


def label_positions(
    points: Sequence[tuple[float, float]], *, near: float = 26, above: float = 9,
    below: float = 19,
) -> list[float]:
    """The baseline of each dot's label, left to right: above the dot unless the previous
    label is close enough to collide, then below it."""
    labels: list[float] = []
    previous: tuple[float, float] | None = None
    for x, y in points:
        label = y - above
        if previous is not None and x - previous[0] < near and abs(label - previous[1]) < 14:
            label = y + below
        labels.append(round(label, 2))
        previous = (x, label)
    return labels


def _band(band: Band, time: TimeScale) -> BandGeometry:
    x = time.at(band.first)
    width = round(time.at(band.last) - x, 2)
    return BandGeometry(
        series=band.series, label=band.label, x=x, width=width, label_x=round(x + width / 2, 2)
    )
