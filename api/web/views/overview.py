"""The pages' view models that are more than one query's answer: the home page, the
reports, the cluster list's filters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import msgspec

from api.web.views.panels import (
    ChartPanel,
    group_panel,
    membership_panel,
    rates_panel,
    status_panel,
    timeline_panel,
)
from domain.label_timeline import StageSeries
from domain.reports import HOLDING, SummaryReport
from domain.stage_history import StageSummaryView
from domain.status_view import ClusterStatusView
from infrastructure.tamper.standing import CheckpointStanding
from infrastructure.tamper.verification import VerificationReport

GROUPS_CHARTED = 15


class VerificationRun(msgspec.Struct, frozen=True, kw_only=True):
    """A full verification an auditor ran through the pages, and when."""

    report: VerificationReport
    finished_at: datetime
    by: str


class LastVerification:
    """The latest full verification run by this server (kept in memory only)."""

    def __init__(self) -> None:
        self.run: VerificationRun | None = None


class HomeView(msgspec.Struct, frozen=True, kw_only=True):
    today: date
    position: int
    holding: int
    current_stage: StageSummaryView | None
    stages: tuple[StageSummaryView, ...]
    standing: CheckpointStanding | None
    verification: VerificationRun | None
    timeline: ChartPanel
    statuses: ChartPanel


def home_view(
    summary: SummaryReport,
    stages: Sequence[StageSummaryView],
    series: Sequence[StageSeries],
    standing: CheckpointStanding | None,
    verification: VerificationRun | None,
) -> HomeView:
    today = summary.as_of
    open_stages = [s for s in stages if s.status == "open"]
    return HomeView(
        today=today,
        position=summary.position,
        holding=sum(n for status, n in summary.statuses.items() if status in HOLDING),
        current_stage=(open_stages or list(stages))[-1] if stages else None,
        stages=tuple(stages),
        standing=standing,
        verification=verification,
        timeline=timeline_panel(series, today),
        statuses=status_panel(summary.statuses, today),
    )


def report_panels(summary: SummaryReport, series: Sequence[StageSeries]) -> tuple[ChartPanel, ...]:
    """Every chart of the reports page, in reading order."""
    return (
        timeline_panel(series, summary.as_of),
        status_panel(summary.statuses, summary.as_of),
        group_panel("region", "region", summary.regions, GROUPS_CHARTED),
        group_panel("theme", "theme", summary.themes, GROUPS_CHARTED),
        membership_panel(summary.membership),
        rates_panel(summary.stages),
    )


class ClusterFilters(msgspec.Struct, frozen=True, kw_only=True):
    """The list's filters as chosen, and the values each can take."""

    status: str | None
    region: str | None
    theme: str | None
    stage: int | None
    q: str
    statuses: tuple[str, ...]
    regions: tuple[str, ...]
    themes: tuple[str, ...]
    stages: tuple[int, ...]

    @property
    def any(self) -> bool:
        return any((self.status, self.region, self.theme, self.stage, self.q))


def filter_choices(everyone: Sequence[ClusterStatusView]) -> dict[str, tuple[str, ...]]:
    return {
        "regions": tuple(sorted({r for v in everyone for r in v.regions})),
        "themes": tuple(sorted({t for v in everyone for t in v.themes})),
    }


def matches(view: ClusterStatusView, text: str) -> bool:
    """Whether a search text is in the cluster's name or slug (case and accents kept)."""
    needle = text.strip().casefold()
    return not needle or needle in view.name.casefold() or needle in view.slug
