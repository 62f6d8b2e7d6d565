"""What the read models derive from cluster and stage states, checked without a store."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.cluster import Cluster, Review
from domain.commands import (
    AwardEuropeanLabel,
    CloseStage,
    Command,
    CorrectClusterEvent,
    CriterionSpec,
    DissolveCluster,
    ExtendLabel,
    GrantLabel,
    Members,
    MergeCluster,
    OpenStage,
    RegisterCluster,
    ReportedCountSpec,
    ReportMembership,
    ReportStageCount,
    ReviewCriteria,
    ReviseStageCriteria,
    StageRequirements,
)
from domain.compliance import ComplianceView, compliance
from domain.decisions import Decisions
from domain.events import EventCorrected, LedgerEvent
from domain.records import (
    ClusterRecord,
    StageRecord,
    advance_cluster_record,
    cluster_record_from_history,
    evolve_stage_record,
)
from domain.reports import summary_report
from domain.stage import Stage
from domain.stage_history import stage_history
from domain.status_view import cluster_status_view
from domain.values import cluster_id, stage_id
from tests.builders import STAGE_4_CRITERIA, provenance

P = provenance()
STAGE_4_START, STAGE_4_END = date(2019, 1, 1), date(2022, 12, 31)
DECISION = date(2019, 2, 5)


def members(**counts: int) -> Members:
    return Members(**{"very_small": 0, "sme": 0, "intermediate_large": 0, "research": 0,
                      "other": 0, **counts})


class Story:
    """Commands decided in memory; their events evolve the read-model records as well."""

    def __init__(self) -> None:
        self.decisions = Decisions(keep_histories=True)
        self.stage_records: dict[int, StageRecord] = {}
        self.records: dict[str, ClusterRecord] = {}
        self.reviews: dict[str, list[Review]] = {}

    def run(self, command: Command) -> None:
        for event in self.decisions.decide(command, P):
            if event.originator_id.startswith("stage:"):
                number = int(event.originator_id.removeprefix("stage:"))
                self.stage_records[number] = evolve_stage_record(
                    self.stage_records.get(number), event
                )
            else:
                self.record(event)

    def record(self, event: LedgerEvent) -> None:
        slug = event.originator_id.removeprefix("cluster:")
        if isinstance(event, EventCorrected):
            advance = cluster_record_from_history(self.decisions.histories[event.originator_id])
            self.reviews[event.originator_id] = []
        else:
            advance = advance_cluster_record(self.records.get(slug), [event])
        self.records[slug] = advance.record
        self.reviews.setdefault(event.originator_id, []).extend(advance.reviews)

    def cluster(self, slug: str) -> Cluster:
        state: Cluster = self.decisions.state(cluster_id(slug))
        return state

    def stage(self, number: int) -> Stage:
        state: Stage = self.decisions.state(stage_id(number))
        return state

    def open_stage(self, number: int, start: date, end: date, **facts: Any) -> None:
        self.run(
            OpenStage(
                number=number,
                title=f"Stage {number}",
                starts_on=start,
                ends_on=end,
                decided_by="Prime Minister",
                **facts,
            )
        )

    def register(self, slug: str, regions: tuple[str, ...] = ("Occitanie",)) -> None:
        self.run(
            RegisterCluster(
                slug=slug,
                name=slug.title(),
                registered_on=date(2005, 7, 12),
                regions=regions,
                themes=("aéronautique",),
            )
        )

    def grant(self, slug: str, stage: int, **terms: Any) -> None:
        facts: dict[str, Any] = {
            "decided_on": DECISION,
            "decided_by": "Prime Minister",
            "effective_from": DECISION,
        }
        facts.update(terms)
        self.run(GrantLabel(slug=slug, stage=stage, **facts))

    def all_records(self) -> list[ClusterRecord]:
        return list(self.records.values())

    def compliance(self, stage: int = 4) -> ComplianceView:
        return compliance(self.stage_records[stage], self.all_records(), self.reviews)


@pytest.fixture
def story() -> Story:
    story = Story()
    story.open_stage(
        4,
        STAGE_4_START,
        STAGE_4_END,
        criteria=STAGE_4_CRITERIA,
        requirements=StageRequirements(minimum_european_label="bronze"),
        reported_counts=(ReportedCountSpec(count=2, as_of=DECISION, description="at opening"),),
    )
    for slug in ("aerospace-valley", "nov-log"):
        story.register(slug)
    return story


# --- records ---------------------------------------------------------------


def test_a_record_holds_the_aggregate_state_without_its_history(story: Story) -> None:
    story.grant("aerospace-valley", 4)
    story.run(
        ReportMembership(slug="aerospace-valley", as_of=date(2020, 1, 1), members=members(sme=5))
    )
    cluster = story.cluster("aerospace-valley")
    assert story.records["aerospace-valley"].cluster == cluster


def test_a_record_keeps_only_the_latest_membership_report(story: Story) -> None:
    for day, smes in ((date(2021, 1, 1), 9), (date(2020, 1, 1), 5)):
        story.run(ReportMembership(slug="nov-log", as_of=day, members=members(sme=smes)))
    kept = story.records["nov-log"].cluster.memberships
    assert [(m.as_of, m.members.sme) for m in kept] == [(date(2021, 1, 1), 9)]


def test_a_record_keeps_only_the_latest_review_and_hands_on_each_new_one(story: Story) -> None:
    for day, members in ((date(2019, 1, 10), 300.0), (date(2018, 12, 1), 200.0)):
        story.run(
            ReviewCriteria(
                slug="nov-log",
                stage=4,
                reviewed_on=day,
                reviewer="DGE",
                kind="application",
                measurements={"members": members},
                outcome="compliant",
            )
        )
    kept = story.records["nov-log"].cluster.reviews
    assert [(r.reviewed_on, r.version) for r in kept] == [(date(2019, 1, 10), 2)]
    assert [r.version for r in story.reviews["cluster:nov-log"]] == [2, 3]


def test_a_grant_keeps_its_first_terms_after_an_extension_lifts_its_conditions(
    story: Story,
) -> None:
    story.grant("nov-log", 4, valid_until=date(2020, 2, 4), conditions=("merge by 2019",))
    story.run(
        ExtendLabel(
            slug="nov-log",
            decided_on=date(2020, 1, 15),
            valid_until=STAGE_4_END,
            reason="merged",
            conditions=(),
        )
    )
    record = story.records["nov-log"]
    assert record.cluster.labels[-1].conditions == ()
    granted = [m for m in record.milestones if m.kind == "granted"]
    assert [(m.conditions, m.valid_until) for m in granted] == [
        (("merge by 2019",), date(2020, 2, 4))
    ]


def test_a_correction_refolds_the_record_from_the_corrected_history(story: Story) -> None:
    story.grant("aerospace-valley", 4)
    story.run(
        CorrectClusterEvent(
            slug="aerospace-valley",
            event_id="cluster:aerospace-valley@2",
            reason="never decided",
            effective_on=date(2026, 1, 1),
        )
    )
    record = story.records["aerospace-valley"]
    assert record.cluster.labels == ()
    assert record.milestones == ()
    assert record.cluster.version == 3


# --- current status ----------------------------------------------------------


def test_a_conditional_label_past_its_term_without_extension_reads_as_lapsed(
    story: Story,
) -> None:
    story.grant("nov-log", 4, valid_until=date(2020, 2, 4), conditions=("merge",))
    record = story.records["nov-log"]
    assert cluster_status_view(record, date(2019, 6, 1)).status == "conditional"
    lapsed = cluster_status_view(record, date(2020, 6, 1))
    assert (lapsed.status, lapsed.stage, lapsed.valid_until) == ("lapsed", 4, date(2020, 2, 4))


def test_the_status_view_shows_the_valid_european_label_and_latest_figures(story: Story) -> None:
    story.grant("aerospace-valley", 4)
    story.run(
        AwardEuropeanLabel(
            slug="aerospace-valley",
            level="bronze",
            awarded_on=date(2018, 6, 1),
            valid_until=date(2020, 5, 31),
            issuer="ESCA",
        )
    )
    story.run(
        ReportMembership(
            slug="aerospace-valley",
            as_of=date(2019, 12, 31),
            members=members(very_small=300, sme=300, intermediate_large=150, research=80),
        )
    )
    view = cluster_status_view(story.records["aerospace-valley"], date(2020, 1, 1))
    assert view.european_label is not None
    assert (view.european_label.level, view.european_label.event_id) == (
        "bronze",
        "cluster:aerospace-valley@3",
    )
    assert view.membership is not None
    assert view.membership.total == 830
    assert view.version == 4
    later = cluster_status_view(story.records["aerospace-valley"], date(2021, 1, 1))
    assert later.european_label is None


# --- stage history -----------------------------------------------------------


def test_a_stage_history_lists_who_was_granted_conditionally_merged_and_dissolved(
    story: Story,
) -> None:
    story.register("polymeris")
    story.grant("aerospace-valley", 4)
    story.grant("nov-log", 4, valid_until=date(2020, 2, 4), conditions=("merge",))
    story.grant("polymeris", 4, decided_on=date(2020, 12, 18), effective_from=date(2020, 12, 18))
    story.run(
        DissolveCluster(slug="nov-log", effective_on=date(2020, 9, 11), reason="liquidation")
    )
    story.run(
        MergeCluster(slug="aerospace-valley", into="polymeris", effective_on=date(2020, 12, 31))
    )
    history = stage_history(story.stage_records[4], story.all_records())
    assert [e.slug for e in history.granted] == ["aerospace-valley", "nov-log", "polymeris"]
    assert [e.slug for e in history.conditional] == ["nov-log"]
    assert [(e.slug, e.on) for e in history.dissolved] == [("nov-log", date(2020, 9, 11))]
    assert [(e.slug, e.other) for e in history.merged] == [("aerospace-valley", "polymeris")]
    assert (history.counts.granted, history.counts.conditional) == (3, 1)


def test_a_successor_of_a_labelled_cluster_counts_as_renewed(story: Story) -> None:
    story.open_stage(5, date(2023, 1, 1), date(2026, 12, 31))
    story.register("polymeris")
    story.register("enter")
    story.grant("aerospace-valley", 4)
    story.run(
        MergeCluster(slug="aerospace-valley", into="polymeris", effective_on=date(2020, 12, 31))
    )
    for slug in ("polymeris", "enter"):
        story.grant(slug, 5, decided_on=date(2023, 3, 27), effective_from=date(2023, 3, 27))
    history = stage_history(story.stage_records[5], story.all_records())
    assert [e.slug for e in history.renewed] == ["polymeris"]
    assert [e.slug for e in history.new_entrants] == ["enter"]


def test_a_reported_count_stands_beside_the_ledger_count_of_the_same_day(story: Story) -> None:
    story.grant("aerospace-valley", 4)
    (reported,) = stage_history(story.stage_records[4], story.all_records()).reported_counts
    assert (reported.count, reported.ledger_count) == (2, 1)


def test_a_label_expired_at_closure_is_still_held_on_the_closing_day(story: Story) -> None:
    story.grant("aerospace-valley", 4)
    story.run(CloseStage(number=4, closed_on=STAGE_4_END))
    story.run(
        ReportStageCount(
            number=4,
            reported=ReportedCountSpec(count=1, as_of=STAGE_4_END, description="at the end"),
        )
    )
    history = stage_history(story.stage_records[4], story.all_records())
    assert [r.ledger_count for r in history.reported_counts] == [1, 1]
    assert [e.slug for e in history.expired] == ["aerospace-valley"]
    assert history.status == "closed"


# --- compliance ----------------------------------------------------------------


def test_a_grant_without_review_or_european_label_is_flagged_with_its_evidence(
    story: Story,
) -> None:
    story.grant("nov-log", 4)
    view = story.compliance()
    assert {f.requirement for f in view.findings} == {"compliant-review", "european-label"}
    assert all(f.evidence[:2] == ("cluster:nov-log@2", "stage:4@1") for f in view.findings)
    assert (view.grants_checked, view.grants_with_findings) == (1, 1)


def test_a_grant_backed_by_a_compliant_review_and_a_bronze_label_is_not_flagged(
    story: Story,
) -> None:
    give_evidence(story, "aerospace-valley", members=830)
    story.grant("aerospace-valley", 4)
    assert story.compliance().findings == ()


def test_a_measured_value_below_a_threshold_is_flagged_with_the_review(story: Story) -> None:
    give_evidence(story, "aerospace-valley", members=120)
    story.grant("aerospace-valley", 4)
    (finding,) = story.compliance().findings
    assert finding.requirement == "criterion-threshold"
    assert finding.evidence == (
        "cluster:aerospace-valley@4",
        "stage:4@1",
        "cluster:aerospace-valley@3",
    )
    assert "members measured 120" in finding.detail


def test_a_european_label_expired_before_the_decision_does_not_count(story: Story) -> None:
    give_evidence(story, "aerospace-valley", members=830, label_until=date(2019, 1, 31))
    story.grant("aerospace-valley", 4)
    (finding,) = story.compliance().findings
    assert finding.requirement == "european-label"
    assert finding.evidence[-1] == "cluster:aerospace-valley@2"


def test_criteria_revised_after_a_grant_do_not_judge_it(story: Story) -> None:
    give_evidence(story, "aerospace-valley", members=160)
    story.grant("aerospace-valley", 4)
    stricter = (CriterionSpec(code="members", description="more than 200", threshold=200),)
    story.run(ReviseStageCriteria(number=4, criteria=stricter, revised_on=date(2021, 1, 1)))
    assert story.compliance().findings == ()


def give_evidence(
    story: Story, slug: str, *, members: float, label_until: date = date(2021, 6, 1)
) -> None:
    story.run(
        AwardEuropeanLabel(
            slug=slug,
            level="silver",
            awarded_on=date(2018, 6, 1),
            valid_until=label_until,
            issuer="ESCA",
        )
    )
    story.run(
        ReviewCriteria(
            slug=slug,
            stage=4,
            reviewed_on=date(2018, 12, 1),
            reviewer="DGE",
            kind="application review",
            measurements={"members": members},
            outcome="compliant",
        )
    )


# --- reports ---------------------------------------------------------------------


def test_membership_shares_are_summed_from_each_labelled_clusters_latest_report(
    story: Story,
) -> None:
    for slug in ("aerospace-valley", "nov-log"):
        story.grant(slug, 4)
    story.run(
        ReportMembership(
            slug="aerospace-valley",
            as_of=date(2019, 12, 31),
            members=members(very_small=1000, sme=1000, intermediate_large=1000, research=1000),
        )
    )
    for cluster, day in (("aerospace-valley", date(2020, 12, 31)), ("nov-log", date(2020, 6, 30))):
        story.run(
            ReportMembership(
                slug=cluster,
                as_of=day,
                members=members(
                    very_small=1550, sme=1550, intermediate_large=900, research=400, other=600
                ),
            )
        )
    report = summary_report([], story.all_records(), date(2021, 1, 1), position=9)
    shares = {k.kind: k.share for k in report.membership.kinds}
    assert report.membership.total == 10_000
    assert shares == {
        "very_small": 0.31,
        "sme": 0.31,
        "intermediate_large": 0.18,
        "research": 0.08,
        "other": 0.12,
    }


def test_stage_rates_divide_by_the_stages_grants_and_the_previous_stages(story: Story) -> None:
    story.open_stage(5, date(2023, 1, 1), date(2026, 12, 31))
    for slug in ("aerospace-valley", "nov-log"):
        story.grant(slug, 4)
    story.grant(
        "aerospace-valley",
        5,
        decided_on=date(2023, 3, 27),
        effective_from=date(2023, 3, 27),
        conditions=("roadmap",),
    )
    histories = [stage_history(story.stage_records[n], story.all_records()) for n in (4, 5)]
    report = summary_report(histories, story.all_records(), date(2023, 6, 1), position=7)
    stage_5 = report.stages[1]
    assert (stage_5.renewal_rate, stage_5.conditional_rate, stage_5.withdrawal_rate) == (
        0.5,
        1.0,
        0.0,
    )
    assert report.stages[0].renewal_rate is None
    assert report.statuses == {"conditional": 1, "expired": 1}
    assert [(g.name, g.labelled, g.active) for g in report.regions] == [("Occitanie", 1, 2)]
