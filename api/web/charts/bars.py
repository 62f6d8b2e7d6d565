"""Horizontal bar charts, one row per category and one bar per series in each row."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import msgspec

from api.web.charts.scale import LinearScale, Tick, nice_ticks

Format = Callable[[float], str]


class BarRow(msgspec.Struct, frozen=True, kw_only=True):
    """A category and its value in each series (None: no value, e.g. a rate of nothing)."""

    label: str
    values: tuple[float | None, ...]
    href: str | None = None


class Bar(msgspec.Struct, frozen=True, kw_only=True):
    series: int
    value: float | None
    text: str
    x: float
    y: float
    width: float
    height: float
    text_x: float
    text_y: float


class RowGeometry(msgspec.Struct, frozen=True, kw_only=True):
    label: str
    href: str | None
    label_y: float
    bars: tuple[Bar, ...]  # in drawing order
    text: str | None = None  # overlapped bars: every value, after the longest bar
    text_x: float = 0


class BarChart(msgspec.Struct, frozen=True, kw_only=True):
    width: float
    height: float
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    ticks: tuple[Tick, ...]
    rows: tuple[RowGeometry, ...]
    series: tuple[str, ...]


class BarLayout(msgspec.Struct, frozen=True, kw_only=True):
    width: float = 1000
    label_width: float = 250
    value_room: float = 76
    bar_height: float = 16
    bar_gap: float = 2
    row_gap: float = 12
    top: float = 8
    axis_room: float = 28
    overlap: bool = False  # series drawn over each other (the first in front), one per row


def bar_chart(
    rows: Sequence[BarRow],
    series: Sequence[str],
    *,
    format_value: Format,
    maximum: float | None = None,
    integers: bool = True,
    layout: BarLayout | None = None,
) -> BarChart:
    """Bars from 0 to each value, on a common scale whose top is a round number."""
    lay = layout or BarLayout()
    largest = max((v for r in rows for v in r.values if v is not None), default=0.0)
    ticks = nice_ticks(maximum if maximum is not None else largest, integers=integers)
    left, right = lay.label_width, lay.width - lay.value_room
    scale = LinearScale(ticks[-1], left, right - left)
    lanes = 1 if lay.overlap else len(series)
    row_height = lanes * lay.bar_height + (lanes - 1) * lay.bar_gap
    geometry = []
    for index, row in enumerate(rows):
        top = lay.top + index * (row_height + lay.row_gap)
        bars = [
            _bar(s, value, top + (0 if lay.overlap else s * (lay.bar_height + lay.bar_gap)),
                 scale, lay, format_value)
            for s, value in enumerate(row.values)
        ]
        geometry.append(
            RowGeometry(
                label=row.label,
                href=row.href,
                label_y=round(top + row_height / 2, 2),
                bars=tuple(reversed(bars)) if lay.overlap else tuple(bars),
                text=" / ".join(b.text for b in bars) if lay.overlap else None,
                text_x=max((b.text_x for b in bars), default=left),
            )
        )
    bottom = lay.top + len(rows) * (row_height + lay.row_gap) - lay.row_gap + 6
    return BarChart(
        width=lay.width,
        height=bottom + lay.axis_room,
        plot_left=left,
        plot_right=right,
        plot_top=lay.top - 4,
        plot_bottom=bottom,
        ticks=tuple(Tick(scale.at(t), format_value(t)) for t in ticks),
        rows=tuple(geometry),
        series=tuple(series),
    )


def _bar(
    series: int, value: float | None, top: float, scale: LinearScale, lay: BarLayout, fmt: Format
) -> Bar:
    end = scale.at(value or 0)
    return Bar(
        series=series,
        value=value,
        text="n/a" if value is None else fmt(value),
        x=scale.start,
        y=round(top, 2),
        width=round(end - scale.start, 2),
        height=lay.bar_height,
        text_x=round(end + 4, 2),
        text_y=round(top + lay.bar_height / 2, 2),
    )
