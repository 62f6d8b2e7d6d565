"""Policy reports: counts by stage, region and theme, membership, and stage rates."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date

import msgspec

from domain.records import ClusterRecord
from domain.stage_history import StageHistoryView
from domain.status import ClusterStatus, status_on
from domain.values import MemberCounts

HOLDING: frozenset[ClusterStatus] = frozenset({"labelled", "conditional"})
ENDED: frozenset[ClusterStatus] = frozenset({"merged", "dissolved"})
MEMBER_KINDS: tuple[str, ...] = MemberCounts.__struct_fields__
GroupsOf = Callable[[ClusterRecord], tuple[str, ...]]


class StageRates(msgspec.Struct, frozen=True, kw_only=True):
    """A stage's label decisions in effect on the report's day, and their rates.

    ``renewal_rate`` is renewed / clusters granted the previous stage's label;
    ``withdrawal_rate`` and ``conditional_rate`` are withdrawn and conditional / granted.
    A rate is None where it has no denominator, and ``notes`` say why.
    """

    stage: int
    title: str
    granted: int
    conditional: int
    withdrawn: int
    renewed: int
    new_entrants: int
    renewal_rate: float | None
    withdrawal_rate: float | None
    conditional_rate: float | None
    notes: tuple[str, ...] = ()


class GroupCount(msgspec.Struct, frozen=True, kw_only=True):
    """Clusters of a region or theme on the report's day: labelled, and still in existence."""

    name: str
    labelled: int
    active: int


class MemberShare(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    members: int
    share: float | None


class MembershipComposition(msgspec.Struct, frozen=True, kw_only=True):
    """The latest membership report of each labelled cluster, summed."""

    clusters_reporting: int
    clusters_labelled: int
    earliest_report: date | None
    latest_report: date | None
    total: int
    kinds: tuple[MemberShare, ...]


class SummaryReport(msgspec.Struct, frozen=True, kw_only=True):
    as_of: date
    position: int
    statuses: dict[str, int]
    stages: tuple[StageRates, ...]
    regions: tuple[GroupCount, ...]
    themes: tuple[GroupCount, ...]
    membership: MembershipComposition
    grouping: str | None = None
    """What the region and theme groups are, when not the names the clusters state."""
    stated_only: bool = False
    """Counted from decisions a source states only (weak and inferred ones left out)."""


def stated_regions(record: ClusterRecord) -> tuple[str, ...]:
    return record.cluster.regions


def stated_themes(record: ClusterRecord) -> tuple[str, ...]:
    return record.cluster.themes


def summary_report(
    histories: Sequence[StageHistoryView],
    clusters: Sequence[ClusterRecord],
    today: date,
    position: int,
    *,
    regions_of: GroupsOf = stated_regions,
    themes_of: GroupsOf = stated_themes,
    grouping: str | None = None,
    stated_only: bool = False,
) -> SummaryReport:
    """``regions_of``/``themes_of`` group the clusters (by default, as they state them);
    ``grouping`` says what another grouping is."""
    statuses = {r.slug: status_on(r.cluster, today).status for r in clusters}
    return SummaryReport(
        as_of=today,
        position=position,
        statuses=dict(sorted(Counter(statuses.values()).items())),
        stages=stage_rates(histories),
        regions=group_counts(clusters, statuses, regions_of),
        themes=group_counts(clusters, statuses, themes_of),
        membership=membership_composition(
            [r for r in clusters if statuses[r.slug] in HOLDING]
        ),
        grouping=grouping,
        stated_only=stated_only,
    )


def stage_rates(histories: Sequence[StageHistoryView]) -> tuple[StageRates, ...]:
    granted_in = {h.number: h.counts.granted for h in histories}
    rates = []
    for h in sorted(histories, key=lambda h: h.number):
        c = h.counts
        before = granted_in.get(h.number - 1)
        rates.append(
            StageRates(
                stage=h.number,
                title=h.title,
                granted=c.granted,
                conditional=c.conditional,
                withdrawn=c.withdrawn,
                renewed=c.renewed,
                new_entrants=c.new_entrants,
                renewal_rate=ratio(c.renewed, before or 0),
                withdrawal_rate=ratio(c.withdrawn, c.granted),
                conditional_rate=ratio(c.conditional, c.granted),
                notes=rate_notes(h.number, c.granted, before),
            )
        )
    return tuple(rates)


def rate_notes(stage: int, granted: int, granted_before: int | None) -> tuple[str, ...]:
    """Why a rate has no value (a rate of 0 % is a value: nothing of the kind happened)."""
    notes = []
    if granted_before is None:
        notes.append(f"no renewal rate: the ledger has no stage {stage - 1}")
    elif granted_before == 0:
        notes.append(f"no renewal rate: no label of stage {stage - 1} was in effect")
    if granted == 0:
        notes.append("no withdrawal or conditional rate: no label of this stage was in effect")
    return tuple(notes)


def group_counts(
    clusters: Iterable[ClusterRecord],
    statuses: dict[str, ClusterStatus],
    groups_of: GroupsOf,
) -> tuple[GroupCount, ...]:
    labelled: Counter[str] = Counter()
    active: Counter[str] = Counter()
    for record in clusters:
        status = statuses[record.slug]
        for group in groups_of(record):
            active[group] += status not in ENDED
            labelled[group] += status in HOLDING
    names = sorted(active, key=lambda g: (-labelled[g], -active[g], g))
    return tuple(GroupCount(name=g, labelled=labelled[g], active=active[g]) for g in names)


def membership_composition(labelled: Sequence[ClusterRecord]) -> MembershipComposition:
    reports = [m for r in labelled for m in r.cluster.memberships[-1:]]
    sums = {kind: sum(getattr(m.members, kind) for m in reports) for kind in MEMBER_KINDS}
    total = sum(sums.values())
    dates = [m.as_of for m in reports]
    return MembershipComposition(
        clusters_reporting=len(reports),
        clusters_labelled=len(labelled),
        earliest_report=min(dates, default=None),
        latest_report=max(dates, default=None),
        total=total,
        kinds=tuple(
            MemberShare(kind=k, members=v, share=ratio(v, total)) for k, v in sums.items()
        ),
    )


def ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def summary_rows(report: SummaryReport) -> list[tuple[str, str, str, str]]:
    """The report as long-format rows: section, key, metric, value."""
    rows: list[tuple[str, str, str, str]] = [
        ("status", status, "clusters", str(count)) for status, count in report.statuses.items()
    ]
    for s in report.stages:
        for metric, value in msgspec.structs.asdict(s).items():
            if metric not in ("stage", "title", "notes"):
                rows.append(("stage", str(s.stage), metric, _cell(value)))
        rows.extend(("stage", str(s.stage), "note", note) for note in s.notes)
    for section, groups in (("region", report.regions), ("theme", report.themes)):
        for g in groups:
            rows.append((section, g.name, "labelled", str(g.labelled)))
            rows.append((section, g.name, "active", str(g.active)))
    if report.grouping:
        rows.append(("grouping", "region,theme", "note", report.grouping))
    if report.stated_only:
        rows.append(("evidence", "stated", "note", "decisions a source states only"))
    m = report.membership
    rows.append(("membership", "all", "members", str(m.total)))
    rows.append(("membership", "all", "clusters_reporting", str(m.clusters_reporting)))
    for share in m.kinds:
        rows.append(("membership", share.kind, "members", str(share.members)))
        rows.append(("membership", share.kind, "share", _cell(share.share)))
    return rows


def _cell(value: object) -> str:
    return "" if value is None else str(value)
