"""The audit client: verifies a ledger server over HTTP, trusting only its signed key.

It imports only pure code (leaf encoding, Merkle math, notes, heads, the domain's view
rules) and an HTTP client: no database, no store code.
"""

from __future__ import annotations

from infrastructure.auditor.audit import AuditReport, audit
from infrastructure.auditor.problems import AuditProblem

__all__ = ["AuditProblem", "AuditReport", "audit"]
