"""The bundled history, folded through the domain's own rules without a store, answers the
published counts: 56 stage-4 labels on 6 February 2019, 55 stage-5 labels on 28 March 2023,
57 on 9 January 2024, and two new entrants in stage 5."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

import pytest

from domain.cluster import Cluster
from domain.decisions import decide
from domain.events import LedgerEvent
from domain.folds import project
from domain.given import Given
from domain.records import cluster_record_from_history, stage_record_from_history
from domain.reports import summary_report
from domain.stage_history import StageHistoryView, count_labelled_on, stage_history
from domain.status import status_on
from domain.values import Provenance
from infrastructure.history.rows import SeedRow, history_rows
from infrastructure.history.vocabulary import EDITORIAL_NOTE, vocabulary

RECORDED_AT = datetime(2026, 1, 1, tzinfo=UTC)


class Folded:
    """Every row decided against the states the rows before it left, as the seed does."""

    def __init__(self, rows: tuple[SeedRow, ...]) -> None:
        self.states: dict[str, Any] = {}
        self.histories: dict[str, list[LedgerEvent]] = defaultdict(list)
        for row in rows:
            self.apply(row)
        self.clusters = [
            cluster_record_from_history(events).record
            for aggregate, events in self.histories.items()
            if aggregate.startswith("cluster:")
        ]

    def apply(self, row: SeedRow) -> None:
        provenance = Provenance(
            actor="seed",
            recorded_at=RECORDED_AT,
            source=row.source,
            evidence=row.evidence,
            idempotency_key=row.key,
        )
        for event in decide(row.command, Given(self.states), provenance):
            aggregate = event.originator_id
            self.states[aggregate] = project(aggregate, self.states.get(aggregate), [event])
            self.histories[aggregate].append(event)

    def cluster(self, slug: str) -> Cluster:
        state: Cluster = self.states[f"cluster:{slug}"]
        return state

    def stage(self, number: int) -> StageHistoryView:
        record = stage_record_from_history(self.histories[f"stage:{number}"])
        return stage_history(record, self.clusters)

    def holding(self, stage: int, day: date) -> set[str]:
        """Clusters whose status that day is a label (conditional or not) of ``stage``."""
        return {
            record.slug
            for record in self.clusters
            if (status := status_on(record.cluster, day)).status in ("labelled", "conditional")
            and status.label is not None
            and status.label.stage == stage
        }

    def labelled_on(self, stage: int, day: date) -> int:
        return count_labelled_on(self.clusters, stage, day)


@pytest.fixture(scope="module")
def history() -> Folded:
    return Folded(history_rows())


def test_every_row_decides_and_every_event_carries_its_source_grade_and_key(
    history: Folded,
) -> None:
    events = [event for events in history.histories.values() for event in events]
    assert len(events) >= len(history_rows())
    assert all(e.source and e.evidence and e.idempotency_key for e in events)


def test_56_clusters_hold_a_stage_4_label_on_6_february_2019(history: Folded) -> None:
    day = date(2019, 2, 6)
    assert len(history.holding(4, day)) == 56
    assert history.labelled_on(4, day) == 56


def test_48_of_them_for_four_years_and_8_for_one_year_on_conditions(history: Folded) -> None:
    stage = history.stage(4)
    assert stage.counts.granted == 56
    assert {entry.slug for entry in stage.conditional} == {
        "elastopole", "pmt", "novalog", "picom", "team2", "atlanpole-biotherapies", "aquimer",
        "fibres-energivie",
    }  # fmt: skip


def test_55_clusters_hold_a_stage_5_label_on_28_march_2023(history: Folded) -> None:
    day = date(2023, 3, 28)
    assert len(history.holding(5, day)) == 55
    assert history.labelled_on(5, day) == 55


def test_57_clusters_hold_a_stage_5_label_on_9_january_2024(history: Folded) -> None:
    day = date(2024, 1, 9)
    assert len(history.holding(5, day)) == 57
    assert history.holding(5, day) - history.holding(5, date(2023, 3, 28)) == {
        "aqua-valley",
        "aquanova",
    }


def test_stage_5_has_two_new_entrants_enter_and_infr2050(history: Folded) -> None:
    assert [entry.slug for entry in history.stage(5).new_entrants] == ["enter", "infr2050"]


def test_every_count_published_at_a_labelling_matches_the_ledgers(history: Folded) -> None:
    published = {
        (number, r.as_of): (r.count, r.ledger_count)
        for number in (2, 4, 5)
        for r in history.stage(number).reported_counts
    }
    assert published[(2, date(2010, 5, 11))] == (71, 71)
    assert published[(4, date(2019, 2, 5))] == (56, 56)
    assert published[(5, date(2023, 3, 27))] == (55, 55)
    assert published[(5, date(2024, 1, 8))] == (57, 57)


def test_the_71_poles_evaluated_in_2012_each_hold_a_stage_2_label_and_a_classification(
    history: Folded,
) -> None:
    reviewed = {
        record.slug: record.cluster.reviews[-1].classification
        for record in history.clusters
        if record.cluster.reviews
    }
    assert len(reviewed) == 71
    assert sorted(reviewed.values()).count("très performant") == 20
    assert sorted(reviewed.values()).count("moins performant") == 16
    assert set(reviewed) == history.holding(2, date(2012, 7, 30))


def test_the_report_counts_by_current_region_and_theme_code_and_says_that_is_editorial(
    history: Folded,
) -> None:
    words = vocabulary()
    report = summary_report(
        [history.stage(n) for n in (1, 2, 3, 4, 5)],
        history.clusters,
        date(2023, 3, 28),
        0,
        regions_of=lambda r: words.current_regions(r.cluster.regions),
        themes_of=lambda r: words.theme_codes(r.slug),
        grouping=EDITORIAL_NOTE,
    )
    assert {g.name for g in report.regions} <= set(words.regions.values())
    assert {g.name for g in report.themes} <= set(words.labels)
    assert sum(g.labelled for g in report.themes) == 55
    assert report.grouping == EDITORIAL_NOTE
