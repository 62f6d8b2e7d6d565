"""Failed authentications, limited per client address: guessing tokens is throttled.

Each address has a token bucket of failures: ``FAILURE_BURST`` at once, then
``FAILURES_PER_SECOND`` sustained. An address whose bucket is empty is answered ``429``
with ``Retry-After`` before any token is looked up, so a guess sent while throttled is
never checked (a right guess cannot be told from a wrong one). Only a presented token
that is unknown or revoked counts; a request with a valid token never spends anything.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from api.http.problems import TOO_MANY_FAILED_AUTHENTICATIONS, HttpProblem

FAILURES_PER_SECOND = 10.0
FAILURE_BURST = 50
TRACKED_ADDRESSES = 10_000
"""Addresses remembered at once; the one that failed least recently is forgotten first."""


class FailedAuthentications:
    """A token bucket of failed authentications per client address, in memory."""

    def __init__(
        self,
        rate: float = FAILURES_PER_SECOND,
        burst: int = FAILURE_BURST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # address: (allowance, at)
        self._lock = threading.Lock()

    def check(self, address: str) -> None:
        """Raises the 429 problem while ``address`` has no failure left to spend."""
        wait = self.wait(address)
        if wait > 0:
            seconds = math.ceil(wait)
            raise HttpProblem(
                TOO_MANY_FAILED_AUTHENTICATIONS,
                f"too many unknown tokens from this address; retry in {seconds} s",
                headers={"Retry-After": str(seconds)},
            )

    def wait(self, address: str) -> float:
        """Seconds until ``address`` may present a token again (0: it may now)."""
        with self._lock:
            bucket = self._buckets.get(address)
            if bucket is None:
                return 0.0
            allowance = self._allowance(bucket)
        return 0.0 if allowance >= 1 else (1 - allowance) / self.rate

    def failed(self, address: str) -> None:
        """Spends one failure of ``address``'s allowance."""
        with self._lock:
            bucket = self._buckets.pop(address, None)
            allowance = self.burst if bucket is None else self._allowance(bucket)
            self._buckets[address] = (allowance - 1, self.clock())
            if len(self._buckets) > TRACKED_ADDRESSES:
                del self._buckets[next(iter(self._buckets))]

    def _allowance(self, bucket: tuple[float, float]) -> float:
        allowance, at = bucket
        return min(self.burst, allowance + (self.clock() - at) * self.rate)


def client_address(scope_client: tuple[str, int] | list[object] | None) -> str:
    """The address a request came from (as the server's proxy settings give it)."""
    return str(scope_client[0]) if scope_client else "unknown"
