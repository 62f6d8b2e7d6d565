"""A cluster's story as the page shows it, from a replay of its events (no store)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from api.web.views.cluster_story import cluster_story, source_links
from domain.bitemporal import bitemporal_status
from domain.events import ClusterRegistered, EventCorrected, LabelGranted, LabelWithdrawn
from domain.replay import Positioned
from domain.stage_history import StageSummaryView

AT = datetime(2026, 1, 1, tzinfo=UTC)
STAGE_4 = StageSummaryView(
    number=4, title="Stage 4", starts_on=date(2019, 1, 1), ends_on=date(2022, 12, 31),
    status="closed", closed_on=date(2022, 12, 31), granted=1, conditional=1, withdrawn=1,
    latest_reported=None,
)


def event(cls: type[Any], version: int, on: date, **facts: object) -> Any:
    return cls(
        originator_id="cluster:derbi", originator_version=version, timestamp=AT,
        actor="dge", effective_on=on, **facts,
    )


HISTORY = [
    event(ClusterRegistered, 1, date(2005, 7, 12), slug="derbi", name="DERBI",
          source="https://example.test/2005 ; seed presentation, slide 4"),
    event(LabelGranted, 2, date(2019, 2, 5), stage=4, decided_on=date(2019, 2, 5),
          decided_by="Prime Minister", effective_from=date(2019, 2, 5),
          valid_until=date(2020, 2, 4), conditions=("one year",), decision_ref="CIR 2019"),
    event(LabelWithdrawn, 3, date(2020, 2, 5), stage=4, decided_on=date(2020, 2, 5),
          decided_by="Prime Minister", reason="roadmap not consolidated"),
    event(EventCorrected, 4, date(2020, 3, 1), target_version=3, reason="decision annulled"),
]


def story_as_of(day: date) -> Any:
    entries = [Positioned(position=10 + i, event=e) for i, e in enumerate(HISTORY)]
    return cluster_story(bitemporal_status("derbi", entries, day), [STAGE_4], date(2026, 1, 1))


def test_a_correction_is_shown_beside_the_event_it_corrects() -> None:
    events = {e.version: e for e in story_as_of(date(2021, 1, 1)).events}
    [note] = events[3].corrected_by
    assert (note.event_id, note.retracts) == ("cluster:derbi@4", True)
    assert note.text == "retracted on 2020-03-01: decision annulled"
    assert events[4].corrects == "cluster:derbi@3"


def test_the_decision_and_its_reference_are_shown_with_the_grant() -> None:
    grant = story_as_of(date(2021, 1, 1)).events[1]
    assert grant.decision == "decided on 2019-02-05 by Prime Minister (CIR 2019)"


def test_the_timeline_draws_a_conditional_label_and_no_retracted_withdrawal() -> None:
    chart = story_as_of(date(2021, 1, 1)).timeline.chart
    [span] = chart.spans
    assert (span.kind, span.first, span.last) == ("conditional", date(2019, 2, 5), date(2020, 2, 4))
    assert "withdrawn" not in {m.kind for m in chart.marks}


def test_events_after_the_as_of_day_are_not_counted() -> None:
    events = story_as_of(date(2010, 1, 1)).events
    assert [e.counted for e in events] == [True, False, False, True]
    assert story_as_of(date(2010, 1, 1)).timeline.chart.spans == ()


def test_web_addresses_in_a_source_become_links_and_other_sources_stay_text() -> None:
    assert [(link.text, link.href) for link in source_links("seed presentation, slide 4")] == [
        ("seed presentation, slide 4", None)
    ]
    links = source_links("https://a.test/x ; https://b.test/y; seed presentation, slide 4")
    assert [link.href for link in links] == ["https://a.test/x", "https://b.test/y", None]
