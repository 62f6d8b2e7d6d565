"""Clusters holding each stage's label over time: the series the charts draw."""

from __future__ import annotations

from datetime import date, timedelta

from domain.cluster import Cluster, LabelRecord
from domain.label_timeline import held_span, labelled_timeline, merged_spans, stage_series
from domain.records import ClusterRecord, StageRecord
from domain.stage import Stage
from domain.stage_history import count_labelled_on
from domain.values import ReportedCount

START, END = date(2019, 1, 1), date(2022, 12, 31)


def label(first: date, **terms: object) -> LabelRecord:
    facts: dict[str, object] = {
        "stage": 4, "granted_version": 2, "decided_on": first, "decided_by": "Prime Minister",
        "effective_from": first, "valid_until": None, "decision_ref": None, "tier": None,
        "conditions": (),
    }
    facts.update(terms)
    return LabelRecord(**facts)  # type: ignore[arg-type]


def cluster(slug: str, *labels: LabelRecord) -> ClusterRecord:
    return ClusterRecord(
        cluster=Cluster(
            id=f"cluster:{slug}", version=len(labels) + 1, slug=slug, name=slug.title(),
            regions=(), themes=(), website=None, founded_on=None, registered_on=START,
            labels=labels,
        )
    )


def stage_4(*reported: ReportedCount) -> StageRecord:
    return StageRecord(
        stage=Stage(
            id="stage:4", version=1, number=4, title="Stage 4", starts_on=START, ends_on=END,
            decided_by="Prime Minister", criteria=(), minimum_european_label=None,
            reported_counts=reported,
        )
    )


CLUSTERS = [
    cluster("held", label(date(2019, 2, 5))),
    cluster("expired", label(date(2019, 2, 5), state="expired", ended_on=END)),
    cluster("one-year", label(date(2019, 2, 5), valid_until=date(2020, 2, 4),
                              conditions=("one year",))),
    cluster("withdrawn", label(date(2019, 2, 5), state="withdrawn", ended_on=date(2021, 6, 1))),
    cluster(
        "regranted",
        label(date(2019, 2, 5), state="withdrawn", ended_on=date(2020, 1, 1)),
        label(date(2020, 1, 1), granted_version=4),
    ),
    cluster("other-stage", label(date(2019, 2, 5), stage=5)),
]


def test_a_withdrawn_label_is_held_until_the_day_before_its_withdrawal() -> None:
    assert held_span(label(date(2019, 2, 5), state="withdrawn", ended_on=date(2021, 6, 1))) == (
        date(2019, 2, 5), date(2021, 5, 31),
    )


def test_an_expired_label_is_still_held_on_the_stage_closing_day() -> None:
    assert held_span(label(date(2019, 2, 5), state="expired", ended_on=END)) == (
        date(2019, 2, 5), END,
    )


def test_a_label_ended_before_it_took_effect_was_never_held() -> None:
    assert held_span(label(date(2019, 2, 5), state="withdrawn", ended_on=date(2019, 2, 5))) is None


def test_adjacent_spans_of_one_cluster_count_once() -> None:
    spans = [(date(2019, 2, 5), date(2019, 12, 31)), (date(2020, 1, 1), date(2020, 6, 1))]
    assert merged_spans(spans) == [(date(2019, 2, 5), date(2020, 6, 1))]


def test_the_series_equals_the_count_of_clusters_holding_the_label_on_every_day() -> None:
    series = stage_series(stage_4(), CLUSTERS)
    day = START
    while day <= END + timedelta(days=10):
        assert series.count_on(day) == count_labelled_on(CLUSTERS, 4, day), day
        day += timedelta(days=1)


def test_the_series_has_a_point_only_where_the_count_changes() -> None:
    series = stage_series(stage_4(), CLUSTERS)
    assert [(p.day, p.count) for p in series.points] == [
        (date(2019, 2, 5), 5),
        (date(2020, 2, 5), 4),  # the one-year label lapsed; "regranted" changed labels unseen
        (date(2021, 6, 1), 3),
        (date(2023, 1, 1), 2),  # "expired" held through the closing day; two never end
    ]


def test_a_never_ending_label_leaves_the_series_at_its_count() -> None:
    series = stage_series(stage_4(), [cluster("held", label(date(2019, 2, 5)))])
    assert series.count_on(date(2100, 1, 1)) == 1


def test_the_timeline_keeps_each_stage_in_order_with_its_published_counts() -> None:
    published = ReportedCount(count=56, as_of=date(2019, 2, 5), description="labelled")
    stage_5 = StageRecord(
        stage=Stage(
            id="stage:5", version=1, number=5, title="Stage 5", starts_on=date(2023, 1, 1),
            ends_on=date(2026, 12, 31), decided_by="State", criteria=(),
            minimum_european_label=None, reported_counts=(),
        )
    )
    timeline = labelled_timeline([stage_5, stage_4(published)], CLUSTERS)
    assert [s.stage for s in timeline] == [4, 5]
    assert timeline[0].reported == (published,)
    assert timeline[1].count_on(date(2023, 6, 1)) == 1
