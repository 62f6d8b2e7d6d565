"""A 100 % bar: one whole split into its parts, each as wide as its share."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec


class Part(msgspec.Struct, frozen=True, kw_only=True):
    label: str
    value: float


class Segment(msgspec.Struct, frozen=True, kw_only=True):
    series: int
    label: str
    value: float
    share: float
    x: float
    width: float


class ShareBar(msgspec.Struct, frozen=True, kw_only=True):
    width: float
    height: float
    total: float
    segments: tuple[Segment, ...]


def share_bar(parts: Sequence[Part], *, width: float = 1000, height: float = 44) -> ShareBar:
    """Segments left to right in the order given; an empty whole has no segments."""
    total = sum(p.value for p in parts)
    segments: list[Segment] = []
    x = 0.0
    for index, part in enumerate(parts):
        if total <= 0 or part.value <= 0:
            continue
        share = part.value / total
        segments.append(
            Segment(
                series=index, label=part.label, value=part.value, share=round(share, 4),
                x=round(x, 2), width=round(share * width, 2),
            )
        )
        x += share * width
    return ShareBar(width=width, height=height, total=total, segments=tuple(segments))
