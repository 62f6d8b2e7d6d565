"""What this server's verifications last found: the integrity guard.

Every full verification run by the server (``/ledger/verification``, the periodic one,
the one at start-up) reports here. A failing run sets the finding; while it is set the
HTTP layer refuses writes and marks reads. Only a later full verification that passes
clears it: the finding describes data, which no restart or retry repairs, so it stays
until an operator has restored the store and a verification has seen it whole again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime

import msgspec

from infrastructure.settings import seconds_setting
from infrastructure.tamper.diagnosis import Problem
from infrastructure.tamper.verification import VerificationReport

VERIFY_EVERY_VARIABLE = "LEDGER_VERIFY_EVERY"
VERIFY_EVERY = 300.0
"""Seconds between two background verifications of a serving ledger (0: none)."""
log = logging.getLogger("label_ledger.integrity")


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    """The first inconsistency a verification of this server found, and when."""

    position: int
    kind: str
    detail: str
    found_at: datetime
    tree_size: int


class IntegrityGuard:
    """Holds the standing finding, if any; reading it is one attribute access."""

    def __init__(self) -> None:
        self.finding: Finding | None = None
        self.verified_at: datetime | None = None
        """When a full verification last passed on this server."""

    def observe(self, report: VerificationReport) -> None:
        now = datetime.now(UTC)
        if report.ok:
            if self.finding is not None:
                log.warning("ledger verified whole again: writes are accepted again")
            self.finding, self.verified_at = None, now
            return
        problem = report.problem
        assert problem is not None
        if self.finding is None or _differs(self.finding, problem):
            log.error("ledger inconsistent, writes refused: %s", report.summary())
            self.finding = Finding(
                position=problem.position,
                kind=problem.kind,
                detail=problem.detail,
                found_at=now,
                tree_size=report.tree_size,
            )


def _differs(finding: Finding, problem: Problem) -> bool:
    return (finding.position, finding.kind, finding.detail) != (
        problem.position,
        problem.kind,
        problem.detail,
    )


def verify_every(env: Mapping[str, str]) -> float:
    """The periodic verification's interval from ``LEDGER_VERIFY_EVERY``; ValueError if bad."""
    raw = env.get(VERIFY_EVERY_VARIABLE, "").strip()
    if not raw:
        return VERIFY_EVERY
    expected = "give seconds between verifications (0: none)"
    return seconds_setting(VERIFY_EVERY_VARIABLE, raw, expected)
