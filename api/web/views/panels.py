"""Chart panels: a chart's geometry, its legend and the table of the numbers it draws."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal
from urllib.parse import urlencode

import msgspec

from api.web.charts.bars import BarChart, BarLayout, BarRow, bar_chart
from api.web.charts.lanes import LaneChart
from api.web.charts.shares import Part, ShareBar, share_bar
from api.web.charts.steps import Band, Marker, StepChart, StepLine, step_chart
from api.web.views.tables import Column, Row, Table, table
from domain.label_timeline import StageSeries
from domain.reports import GroupCount, MembershipComposition, StageRates
from domain.stage_history import StageHistoryView
from domain.status import ClusterStatus

ChartKind = Literal["bars", "steps", "lanes", "share"]
STATUS_ORDER: tuple[ClusterStatus, ...] = (
    "labelled", "conditional", "lapsed", "withdrawn", "expired", "unlabelled", "merged",
    "dissolved",
)
MEMBER_KIND_NAMES = {
    "very_small": "Very small businesses",
    "sme": "SMEs",
    "intermediate_large": "Intermediate and large companies",
    "research": "Research and training",
    "other": "Other members",
}


class LegendItem(msgspec.Struct, frozen=True):
    label: str
    css: str  # the class the chart draws the series with


class ChartPanel(msgspec.Struct, frozen=True, kw_only=True):
    key: str  # the panel's id in the page and the name of its CSV
    title: str
    description: str
    kind: ChartKind
    chart: BarChart | StepChart | LaneChart | ShareBar
    legend: tuple[LegendItem, ...]
    table: Table
    note: str | None = None


def count_text(value: float) -> str:
    return f"{value:,.0f}"


def share_text(value: float) -> str:
    return f"{value:.1%}".replace(".0%", "%")


def clusters_href(**filters: str | int) -> str:
    return f"/ui/clusters?{urlencode(filters)}"


# --- statuses -------------------------------------------------------------


def status_panel(statuses: dict[str, int], on: date) -> ChartPanel:
    order = [s for s in STATUS_ORDER if s in statuses] + sorted(set(statuses) - set(STATUS_ORDER))
    rows = [BarRow(label=s, values=(statuses[s],), href=clusters_href(status=s)) for s in order]
    return ChartPanel(
        key="statuses",
        title=f"Clusters by status on {on.isoformat()}",
        description="How many clusters the ledger reads in each label status on the day.",
        kind="bars",
        chart=bar_chart(rows, ("clusters",), format_value=count_text),
        legend=(),
        table=table(
            f"Clusters by status on {on.isoformat()}",
            (Column("status"), Column("clusters", "count")),
            [Row(cells=(s, statuses[s]), href=clusters_href(status=s)) for s in order],
        ),
    )


# --- labelled clusters over time ---------------------------------------------


def timeline_panel(series: Sequence[StageSeries], today: date) -> ChartPanel:
    """Each stage's labelled clusters over time, with the counts the authorities published."""
    first = min((s.starts_on for s in series), default=today)
    last = max([today, *(s.ends_on for s in series)])
    chart = step_chart(
        [_step_line(s, today) for s in series],
        first=first,
        last=last,
        markers=[
            Marker(series=i, day=r.as_of, value=r.count, text=f"{r.count} published")
            for i, s in enumerate(series)
            for r in s.reported
        ],
        bands=[
            Band(series=i, first=s.starts_on, last=s.ends_on, label=f"Stage {s.stage}")
            for i, s in enumerate(series)
        ],
    )
    return ChartPanel(
        key="labelled-over-time",
        title="Labelled clusters per stage over time",
        description=(
            "For each stage, the clusters holding its label day by day in the ledger (lines), "
            "and the counts the authorities published (dots)."
        ),
        kind="steps",
        chart=chart,
        legend=(
            *(LegendItem(f"Stage {s.stage} in the ledger", f"s{i}") for i, s in enumerate(series)),
            LegendItem("published count", "published"),
        ),
        table=table(
            "Published counts beside the ledger's on the same day, and each stage's peak",
            (
                Column("stage", "count"), Column("day", "date"), Column("what"),
                Column("published", "count"), Column("ledger", "count"),
            ),
            [row for s in series for row in _timeline_rows(s)],
        ),
    )


def _step_line(s: StageSeries, today: date) -> StepLine:
    points = tuple((p.day, float(p.count)) for p in s.points)
    ends_at_zero = bool(points) and points[-1][1] == 0 and points[-1][0] <= today
    return StepLine(
        name=f"Stage {s.stage}", points=points, until=points[-1][0] if ends_at_zero else today
    )


def _timeline_rows(s: StageSeries) -> list[Row]:
    href = f"/ui/stages/{s.stage}"
    rows = [
        Row(cells=(s.stage, r.as_of, r.description, r.count, s.count_on(r.as_of)), href=href)
        for r in s.reported
    ]
    if s.points:
        peak = max(s.points, key=lambda p: (p.count, -p.day.toordinal()))
        rows.append(Row(cells=(s.stage, peak.day, "most clusters labelled", None, peak.count),
                        href=href))
    return sorted(rows, key=lambda row: str(row.cells[1]))


def changes_table(series: Sequence[StageSeries]) -> Table:
    """Every day a stage's count changed: the exact data of the step lines."""
    return table(
        "Clusters holding each stage's label, from each day the count changed",
        (Column("stage", "count"), Column("from", "date"), Column("clusters", "count")),
        [Row(cells=(s.stage, p.day, p.count)) for s in series for p in s.points],
    )


# --- regions and themes -----------------------------------------------------------


def group_panel(key: str, noun: str, groups: Sequence[GroupCount], limit: int) -> ChartPanel:
    shown = groups[:limit]
    rows = [
        BarRow(label=g.name, values=(g.labelled, g.active), href=clusters_href(**{key: g.name}))
        for g in shown
    ]
    more = len(groups) - len(shown)
    return ChartPanel(
        key=f"by-{key}",
        title=f"Clusters by {noun}",
        description=(
            f"Per {noun}: clusters holding a label today, and clusters still in existence "
            "(not merged or dissolved). A cluster counts in each of its "
            f"{'regions' if key == 'region' else 'themes'}."
        ),
        kind="bars",
        chart=bar_chart(
            rows, ("labelled", "active"), format_value=count_text,
            layout=BarLayout(overlap=True, bar_height=18, row_gap=8),
        ),
        legend=(LegendItem("labelled today", "s0"), LegendItem("in existence", "s0-light")),
        table=table(
            f"Clusters by {noun}",
            (Column(key), Column("labelled", "count"), Column("active", "count")),
            [
                Row(cells=(g.name, g.labelled, g.active), href=clusters_href(**{key: g.name}))
                for g in groups
            ],
        ),
        note=f"The chart shows the first {len(shown)}; the table lists all {len(groups)}."
        if more > 0
        else None,
    )


# --- stage rates -------------------------------------------------------------


def rates_panel(stages: Sequence[StageRates]) -> ChartPanel:
    rows = [
        BarRow(
            label=f"Stage {s.stage}",
            values=(s.renewal_rate, s.withdrawal_rate, s.conditional_rate),
            href=f"/ui/stages/{s.stage}",
        )
        for s in stages
    ]
    return ChartPanel(
        key="rates",
        title="Renewal, withdrawal and conditional rates per stage",
        description=(
            "Renewal: clusters renewed over those granted in the previous stage. Withdrawal and "
            "conditional: withdrawn or conditional grants over the stage's grants."
        ),
        kind="bars",
        chart=bar_chart(
            rows, ("renewal", "withdrawal", "conditional"), format_value=share_text,
            maximum=1.0, integers=False,
        ),
        legend=(
            LegendItem("renewal rate", "s0"), LegendItem("withdrawal rate", "s1"),
            LegendItem("conditional rate", "s2"),
        ),
        table=table(
            "Stage rates and the counts they divide",
            (
                Column("stage", "count"), Column("granted", "count"),
                Column("conditional", "count"), Column("withdrawn", "count"),
                Column("renewed", "count"), Column("new_entrants", "count"),
                Column("renewal_rate", "share"), Column("withdrawal_rate", "share"),
                Column("conditional_rate", "share"),
            ),
            [
                Row(
                    cells=(
                        s.stage, s.granted, s.conditional, s.withdrawn, s.renewed,
                        s.new_entrants, s.renewal_rate, s.withdrawal_rate, s.conditional_rate,
                    ),
                    href=f"/ui/stages/{s.stage}",
                )
                for s in stages
            ],
        ),
    )


# --- membership ------------------------------------------------------------------


def membership_panel(m: MembershipComposition) -> ChartPanel:
    parts = [Part(label=MEMBER_KIND_NAMES.get(k.kind, k.kind), value=k.members) for k in m.kinds]
    span = (
        f" Reports dated {m.earliest_report.isoformat()} to {m.latest_report.isoformat()}."
        if m.earliest_report and m.latest_report
        else ""
    )
    return ChartPanel(
        key="membership",
        title="Membership composition of the labelled clusters",
        description=(
            f"The latest membership report of each labelled cluster, summed: {m.total:,} members "
            f"reported by {m.clusters_reporting} of {m.clusters_labelled} labelled clusters."
            + span
        ),
        kind="share",
        chart=share_bar(parts),
        legend=tuple(LegendItem(p.label, f"s{i}") for i, p in enumerate(parts)),
        table=table(
            "Members by kind",
            (Column("kind"), Column("members", "count"), Column("share", "share")),
            [
                Row(cells=(MEMBER_KIND_NAMES.get(k.kind, k.kind), k.members, k.share))
                for k in m.kinds
            ],
        ),
        note=None
        if m.clusters_reporting
        else "No labelled cluster has a membership report in the ledger yet, so there is "
        "nothing to split: national figures (such as a split by kind for all pôles) are not "
        "per-cluster reports and are listed among the seed's gaps.",
    )


# --- a stage ------------------------------------------------------------------


STAGE_COUNTS = (
    ("granted", "granted"),
    ("conditional", "granted conditionally"),
    ("extended", "extended"),
    ("withdrawn", "withdrawn"),
    ("expired", "expired at closure"),
    ("merged", "merged during the stage"),
    ("dissolved", "dissolved during the stage"),
    ("renewed", "renewed from the previous stage"),
    ("new_entrants", "new entrants"),
    ("returning", "returning after a gap"),
)


def stage_counts_panel(h: StageHistoryView) -> ChartPanel:
    counts = msgspec.structs.asdict(h.counts)
    rows = [BarRow(label=text, values=(counts[key],)) for key, text in STAGE_COUNTS]
    return ChartPanel(
        key=f"stage-{h.number}-counts",
        title=f"Stage {h.number} in the ledger",
        description="Clusters in each list of the stage (a cluster counts once per list).",
        kind="bars",
        chart=bar_chart(rows, ("clusters",), format_value=count_text),
        legend=(),
        table=table(
            f"Stage {h.number}: clusters per list",
            (Column("list"), Column("clusters", "count")),
            [Row(cells=(key, counts[key])) for key, _ in STAGE_COUNTS],
        ),
    )


def reported_panel(h: StageHistoryView) -> ChartPanel:
    rows = [
        BarRow(label=r.as_of.isoformat(), values=(r.count, r.ledger_count))
        for r in h.reported_counts
    ]
    return ChartPanel(
        key=f"stage-{h.number}-published",
        title=f"Stage {h.number}: published counts beside the ledger's",
        description=(
            "On each day the authorities published a count of labelled clusters, the count they "
            "published and the clusters holding the stage's label that day in the ledger."
        ),
        kind="bars",
        chart=bar_chart(rows, ("published", "ledger"), format_value=count_text),
        legend=(LegendItem("published", "published-bar"), LegendItem("in the ledger", "s0")),
        table=table(
            f"Stage {h.number}: published and ledger counts",
            (
                Column("day", "date"), Column("published", "count"), Column("ledger", "count"),
                Column("what was published"), Column("source"),
            ),
            [
                Row(cells=(r.as_of, r.count, r.ledger_count, r.description, r.source))
                for r in h.reported_counts
            ],
        ),
        note=None if h.reported_counts else "No count was published for this stage.",
    )
