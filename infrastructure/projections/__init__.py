"""Read models of the ledger, kept in its database and rebuilt from its events."""

from __future__ import annotations

from infrastructure.projections.hook import ProjectionHook
from infrastructure.projections.rebuild import (
    RebuildProgress,
    RebuildReport,
    catch_up_projections,
    rebuild_projections,
)

__all__ = [
    "ProjectionHook",
    "RebuildProgress",
    "RebuildReport",
    "catch_up_projections",
    "rebuild_projections",
]
