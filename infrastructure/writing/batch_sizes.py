"""How many commands each group-commit transaction carried, tallied for the metrics.

A plain tally rather than a metrics library's histogram: the writer thread adds one batch
per transaction, and whoever reports it (``/metrics``) reads a copy when asked, so
``infrastructure`` needs no metrics library.
"""

from __future__ import annotations

import threading
from bisect import bisect_left

import msgspec

BOUNDS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class BatchSizesSeen(msgspec.Struct, frozen=True):
    """Batches by upper bound (``counts[i]``: batches of at most ``bounds[i]`` commands
    and more than the bound before; the last count is beyond every bound)."""

    bounds: tuple[int, ...]
    counts: tuple[int, ...]
    batches: int
    commands: int


class BatchSizes:
    def __init__(self, bounds: tuple[int, ...] = BOUNDS) -> None:
        self._bounds = bounds
        self._counts = [0] * (len(bounds) + 1)
        self._commands = 0
        self._lock = threading.Lock()

    def add(self, size: int) -> None:
        with self._lock:
            self._counts[bisect_left(self._bounds, size)] += 1
            self._commands += size

    def seen(self) -> BatchSizesSeen:
        with self._lock:
            counts = tuple(self._counts)
            commands = self._commands
        return BatchSizesSeen(
            bounds=self._bounds, counts=counts, batches=sum(counts), commands=commands
        )
