"""``/ledger/verification`` bounded: one run at a time, its result shared and kept.

A full verification reads the whole log. Callers arriving while one runs wait for it and
share its report; a report is kept for its tree size (and latest checkpoint) until it is
``max_age`` seconds old, so a burst of calls costs one run, and an edit behind the
server's back is still seen within ``max_age``. Every run's report goes to the server's
integrity guard.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import msgspec

from infrastructure.tamper.checkpoints import CHECKPOINTS_TABLE
from infrastructure.tamper.event_rows import event_table
from infrastructure.tamper.guard import IntegrityGuard
from infrastructure.tamper.verification import VerificationReport, verify_ledger

if TYPE_CHECKING:
    from infrastructure.ledger import Ledger

MAX_AGE = 60.0


class _Kept(msgspec.Struct, frozen=True):
    key: tuple[int, int]
    report: VerificationReport
    at: float
    """When its run started (monotonic, for the age)."""
    finished: float
    """When its run finished: wall-clock seconds since the epoch."""


class LastRun(msgspec.Struct, frozen=True):
    """The latest verification's outcome, and when it finished (seconds since the epoch)."""

    ok: bool
    finished: float


class VerificationCache:
    def __init__(self, max_age: float = MAX_AGE, guard: IntegrityGuard | None = None) -> None:
        self.max_age = max_age
        self.guard = guard
        self._running = threading.Lock()
        self._kept: _Kept | None = None
        self.runs = 0

    def report(self, ledger: Ledger, *, fresh: bool = False) -> VerificationReport:
        """The kept report for the ledger as it stands, or a new run's; ``fresh``: a run
        that starts after this call (an edit in place keeps the key of the kept report)."""
        asked = time.monotonic()
        kept = None if fresh else self._fresh(_key(ledger))
        if kept is not None:
            return kept
        with self._running:
            key = _key(ledger)
            kept = self._fresh(key, since=asked if fresh else None)
            if kept is not None:
                return kept
            started = time.monotonic()
            report = verify_ledger(ledger)
            self.runs += 1
            self._kept = _Kept(key, report, started, time.time())
            if self.guard is not None:
                self.guard.observe(report)
            return report

    @property
    def last(self) -> LastRun | None:
        """The latest run's outcome, however old, or None if none ran."""
        kept = self._kept
        return None if kept is None else LastRun(ok=kept.report.ok, finished=kept.finished)

    def _fresh(self, key: tuple[int, int], since: float | None = None) -> VerificationReport | None:
        kept = self._kept
        if kept is None or kept.key != key or time.monotonic() - kept.at > self.max_age:
            return None
        if since is not None and kept.at < since:
            return None
        return kept.report


def _key(ledger: Ledger) -> tuple[int, int]:
    """The log's size and its latest checkpoint's number: what a report is valid for."""
    with ledger.read() as tx:
        size = event_table(tx).last_position(tx)
        seq = tx.scalar(f"SELECT COALESCE(MAX(seq), 0) FROM {tx.table(CHECKPOINTS_TABLE)}")
    return size, int(seq)
