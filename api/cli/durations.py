"""Durations as an operator types them: ``90d``, ``12h``, ``30m``, ``4w``."""

from __future__ import annotations

import re
from datetime import timedelta

UNITS = {
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
LONGEST = timedelta(days=3650)
_DURATION = re.compile(r"^\s*(\d{1,7})\s*([mhdw])\s*$")


def parse_duration(text: str) -> timedelta:
    """The duration ``text`` names; ValueError with a one-line reason otherwise."""
    found = _DURATION.match(text)
    if found is None:
        msg = (
            f"{text!r} is not a duration: expected a whole number and a unit, "
            "m (minutes), h (hours), d (days) or w (weeks), e.g. 90d"
        )
        raise ValueError(msg)
    duration = int(found[1]) * UNITS[found[2]]
    if not timedelta(0) < duration <= LONGEST:
        msg = f"{text!r} is out of range: a duration runs from 1m to 3650d"
        raise ValueError(msg)
    return duration
