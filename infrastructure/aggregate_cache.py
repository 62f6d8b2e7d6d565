"""A bounded cache of aggregate states that is fast-forwarded, never trusted blindly.

States are immutable, so a cached state can be shared between threads. Every load
still asks the store for events after the cached version (one indexed query that
usually returns nothing), so writes by other processes are always seen.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

S = TypeVar("S")


class AggregateCache(Generic[S]):
    def __init__(self, max_entries: int = 10_000) -> None:
        self._max_entries = max_entries
        self._states: OrderedDict[str, S] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, aggregate_id: str) -> S | None:
        with self._lock:
            state = self._states.get(aggregate_id)
            if state is not None:
                self._states.move_to_end(aggregate_id)
            return state

    def put(self, aggregate_id: str, state: S, version: int) -> None:
        with self._lock:
            current = self._states.get(aggregate_id)
            if current is not None and getattr(current, "version", 0) > version:
                return
            self._states[aggregate_id] = state
            self._states.move_to_end(aggregate_id)
            while len(self._states) > self._max_entries:
                self._states.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._states.clear()
