"""Scales: numbers and days to SVG coordinates, and the ticks of their axes."""

from __future__ import annotations

import math
from datetime import date

import msgspec

NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


class Tick(msgspec.Struct, frozen=True):
    """A labelled position on an axis."""

    at: float
    text: str


def nice_step(rough: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``rough``."""
    if rough <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(rough))
    return next(s * power for s in NICE_STEPS if s * power >= rough * (1 - 1e-9))


def nice_ticks(maximum: float, count: int = 5, *, integers: bool = True) -> tuple[float, ...]:
    """Round tick values from 0 to at least ``maximum``, about ``count`` intervals."""
    step = nice_step(maximum / count if maximum > 0 else 1)
    if integers:
        step = max(1.0, math.ceil(step))
    top = step * max(1, math.ceil(maximum / step - 1e-9))
    return tuple(step * i for i in range(round(top / step) + 1))


class LinearScale(msgspec.Struct, frozen=True):
    """Values 0..``maximum`` onto ``start``..``start + length`` (length may be negative)."""

    maximum: float
    start: float
    length: float

    def at(self, value: float) -> float:
        if self.maximum <= 0:
            return self.start
        return round(self.start + value / self.maximum * self.length, 2)


class TimeScale(msgspec.Struct, frozen=True):
    """Days ``first``..``last`` onto ``start``..``start + length``."""

    first: date
    last: date
    start: float
    length: float

    def at(self, day: date) -> float:
        span = (self.last - self.first).days or 1
        clamped = min(max(day, self.first), self.last)
        return round(self.start + (clamped - self.first).days / span * self.length, 2)

    def year_ticks(self, every: int = 0) -> tuple[Tick, ...]:
        """1 January of each year in range (every ``every`` years; 0 picks a readable step)."""
        years = self.last.year - self.first.year + 1
        step = every or max(1, math.ceil(years / 12))
        first = self.first.year + (-self.first.year % step)
        return tuple(
            Tick(self.at(date(year, 1, 1)), str(year))
            for year in range(first, self.last.year + 1, step)
            if date(year, 1, 1) >= self.first
        )
