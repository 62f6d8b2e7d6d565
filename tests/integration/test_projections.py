"""The read models on each store: maintained in the append transaction, exactly once,
equal to a rebuild, and answering the auditors' questions about the seeded history."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as strat

from api.cli.main import cli
from domain.commands import (
    AwardEuropeanLabel,
    ReportMembership,
    ReviewCriteria,
)
from domain.errors import ProjectionBehind, ProjectionFailed
from infrastructure.admin.database import upgrade_store
from infrastructure.composition import open_ledger
from infrastructure.ledger import Ledger
from infrastructure.projections import (
    ProjectionHook,
    RebuildProgress,
    catch_up_projections,
    read_models,
    rebuild_projections,
)
from infrastructure.projections import queries as q
from infrastructure.projections.decoding import as_stored
from infrastructure.projections.reading import Reading
from infrastructure.projections.rebuild import follow
from infrastructure.projections.tables import (
    CLUSTER_FACETS,
    CLUSTER_REVIEWS,
    CLUSTER_STATES,
    STAGE_STATES,
    TRACKING,
)
from infrastructure.settings import store_settings
from infrastructure.store.hooks import AppendedEvent
from tests.builders import MEMBERS, grant_stage_4, open_stage_4, register, run
from tests.conftest import Seeded
from tests.scenarios import Scenario, commands

TABLES = {
    CLUSTER_STATES: "cluster_id",
    CLUSTER_FACETS: "facet, value, cluster_id",
    CLUSTER_REVIEWS: "cluster_id, version",
    STAGE_STATES: "stage_id",
    TRACKING: "name",
}


def read_model_rows(ledger: Ledger) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every read model and of the tracking table, in key order."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with ledger.read() as tx:
        for table, order in TABLES.items():
            tx.execute(f"SELECT * FROM {tx.table(table)} ORDER BY {order}")
            rows[table] = [
                tuple(bytes(c) if isinstance(c, memoryview) else c for c in row)
                for row in tx.fetchall()
            ]
    return rows


def tracked(ledger: Ledger) -> int:
    with ledger.read() as tx:
        return int(tx.scalar(f"SELECT position FROM {tx.table(TRACKING)}"))


def set_tracking(ledger: Ledger, position: int) -> None:
    with ledger.write() as tx:
        tx.execute(f"UPDATE {tx.table(TRACKING)} SET position = ?", (position,))


# --- maintained event by event equals rebuilt from scratch -------------------------

@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=strat.lists(commands, min_size=5, max_size=40), batch_size=strat.integers(1, 50))
def test_read_models_maintained_event_by_event_equal_a_rebuild_from_scratch(
    ledger: Ledger, script: list[tuple[Any, ...]], batch_size: int
) -> None:
    Scenario(ledger).run(script, batch_size)
    incremental = read_model_rows(ledger)
    report = q.summary_report(ledger)
    rebuilt = rebuild_projections(ledger, batch_size=batch_size)
    assert rebuilt.position == ledger.last_position()
    assert read_model_rows(ledger) == incremental
    assert q.summary_report(ledger) == report


def test_ints_given_for_floats_give_the_same_read_models_inline_as_rebuilt(
    stage_4_ledger: Ledger,
) -> None:
    ledger = stage_4_ledger
    run(ledger, ReviewCriteria(
        slug="aerospace-valley", stage=4, reviewed_on=date(2019, 6, 1), reviewer="DGE",
        kind="annual", measurements={"members": 180}, outcome="compliant",
    ))
    run(ledger, ReportMembership(
        slug="aerospace-valley", as_of=date(2019, 12, 31), members=MEMBERS,
        private_funding_share=1,
    ))
    incremental = read_model_rows(ledger)
    rebuild_projections(ledger)
    assert read_model_rows(ledger) == incremental


def test_the_append_hook_applies_an_event_as_appended_only_if_it_equals_its_stored_form(
    stage_4_ledger: Ledger,
) -> None:
    ledger = stage_4_ledger
    run(ledger, ReportMembership(
        slug="aerospace-valley", as_of=date(2019, 12, 31), members=MEMBERS,
        private_funding_share=0.25,
    ))
    reported = ledger.positioned_events("cluster:aerospace-valley")[-1].event
    assert as_stored(reported) is reported
    with_int = msgspec.structs.replace(reported, private_funding_share=1)
    assert as_stored(with_int) is None
    assert as_stored(None) is None


# --- exactly once ------------------------------------------------------------------


@pytest.fixture
def stage_4_ledger(ledger: Ledger) -> Ledger:
    open_stage_4(ledger)
    for slug in ("aerospace-valley", "novalog"):
        register(ledger, slug)
    grant_stage_4(ledger, "aerospace-valley")
    return ledger


def appended_again(ledger: Ledger, position: int) -> AppendedEvent:
    """An event already in the ledger, as the append hook saw it."""
    (entry,) = [e for e in ledger.positioned_events("cluster:aerospace-valley")
                if e.position == position]
    stored = ledger.mapper.to_stored_event(entry.event)
    return AppendedEvent(
        position, stored.originator_id, stored.originator_version, stored.topic, stored.state,
        entry.event,
    )


def test_replaying_an_applied_event_is_refused_and_changes_nothing(
    stage_4_ledger: Ledger,
) -> None:
    ledger = stage_4_ledger
    before = read_model_rows(ledger)
    hook = next(h for h in ledger.store.hooks if isinstance(h, ProjectionHook))
    last = ledger.last_position()
    with pytest.raises(ProjectionBehind, match=f"position {last}"), ledger.write() as tx:
        hook.on_append(tx, [appended_again(ledger, last)])
    assert read_model_rows(ledger) == before


def test_following_the_ledger_twice_applies_nothing_the_second_time(
    stage_4_ledger: Ledger,
) -> None:
    ledger = stage_4_ledger
    before = read_model_rows(ledger)
    assert follow(ledger).events == 0
    catch_up_projections(ledger)
    assert read_model_rows(ledger) == before
    assert tracked(ledger) == ledger.last_position()


def test_an_append_fails_loudly_when_the_read_models_are_behind(stage_4_ledger: Ledger) -> None:
    ledger = stage_4_ledger
    last = ledger.last_position()
    set_tracking(ledger, last - 1)
    with pytest.raises(ProjectionBehind, match=f"at position {last - 1}"):
        grant_stage_4(ledger, "novalog")
    assert ledger.last_position() == last
    with pytest.raises(ProjectionBehind):
        q.list_cluster_status(ledger)


def test_a_failing_projection_fails_the_append_naming_the_event_position(
    stage_4_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = stage_4_ledger
    last = ledger.last_position()
    monkeypatch.setattr(read_models, "advance_cluster_record", _broken)
    with pytest.raises(ProjectionFailed, match=f"position {last + 1}"):
        grant_stage_4(ledger, "novalog")
    assert (ledger.last_position(), tracked(ledger)) == (last, last)


def _broken(*_: object) -> None:
    msg = "handler bug"
    raise RuntimeError(msg)


def test_opening_a_ledger_written_before_the_read_models_catches_them_up(
    store_url: str,
) -> None:
    bare = Ledger(store_settings(store_url))  # no append hooks: no read models kept
    try:
        open_stage_4(bare)
        register(bare, "aerospace-valley")
        grant_stage_4(bare, "aerospace-valley")
    finally:
        bare.close()
    upgrade_store(store_url)  # an older store: its missing tables are made explicitly
    ledger = open_ledger(store_url)
    try:
        assert tracked(ledger) == ledger.last_position() == 3
        view = q.get_cluster_status(ledger, "aerospace-valley", today=date(2020, 1, 1))
        assert view is not None
        assert (view.status, view.stage) == ("labelled", 4)
    finally:
        ledger.close()


def test_read_models_ahead_of_the_ledger_stop_queries_until_rebuilt(
    stage_4_ledger: Ledger,
) -> None:
    ledger = stage_4_ledger
    set_tracking(ledger, ledger.last_position() + 5)
    with pytest.raises(ProjectionBehind, match="run `label-ledger rebuild`"):
        q.summary_report(ledger)
    rebuild_projections(ledger)
    assert len(q.list_cluster_status(ledger)) == 2


# --- queries -------------------------------------------------------------------------


def test_status_filters_by_status_region_theme_and_stage(stage_4_ledger: Ledger) -> None:
    ledger = stage_4_ledger
    on = Reading(on=date(2020, 1, 1))
    labelled = q.list_cluster_status(ledger, status="labelled", reading=on)
    assert [v.slug for v in labelled] == ["aerospace-valley"]
    assert [v.slug for v in q.list_cluster_status(ledger, stage=4, reading=on)] == [
        "aerospace-valley"
    ]
    assert len(q.list_cluster_status(ledger, region="Occitanie", theme="aéronautique")) == 2
    assert q.list_cluster_status(ledger, region="Bretagne") == []
    view = q.get_cluster_status(ledger, "aerospace-valley", today=on.day)
    assert view is not None
    assert view.version == 2
    assert q.get_cluster_status(ledger, "unknown-cluster") is None


def test_the_compliance_view_flags_a_label_granted_without_the_required_evidence(
    stage_4_ledger: Ledger,
) -> None:
    ledger = stage_4_ledger
    run(ledger, AwardEuropeanLabel(
        slug="novalog", level="bronze", awarded_on=date(2018, 1, 1),
        valid_until=date(2020, 1, 1),
    ))
    run(ledger, ReviewCriteria(
        slug="novalog", stage=4, reviewed_on=date(2019, 1, 15), reviewer="DGE",
        kind="application", measurements={"members": 300, "private-funding": 0.6},
        outcome="compliant",
    ))
    grant_stage_4(ledger, "novalog")
    view = q.compliance(ledger, 4)
    assert view is not None
    assert view.grants_checked == 2
    assert {(f.slug, f.requirement) for f in view.findings} == {
        ("aerospace-valley", "compliant-review"),
        ("aerospace-valley", "european-label"),
    }
    assert all("cluster:aerospace-valley@2" in f.evidence for f in view.findings)
    assert q.compliance(ledger, 9) is None


def test_views_encode_to_json_directly(stage_4_ledger: Ledger) -> None:
    ledger = stage_4_ledger
    for view in (
        q.list_cluster_status(ledger), q.list_stages(ledger), q.stage_history(ledger, 4),
        q.compliance(ledger, 4), q.summary_report(ledger),
        q.cluster_status_as_of(ledger, "aerospace-valley", as_of=date(2020, 1, 1)),
    ):
        assert msgspec.json.decode(msgspec.json.encode(view))
    assert q.summary_csv(ledger).startswith("section,key,metric,value\n")


# --- the seeded history ----------------------------------------------------------------

ONE_YEAR_STAGE_4 = {
    "elastopole", "pmt", "novalog", "picom", "team2", "atlanpole-biotherapies", "aquimer",
    "fibres-energivie",
}




def test_stage_4_shows_56_reported_at_opening_and_8_conditional_labels(seeded: Seeded) -> None:
    history = q.stage_history(seeded.ledger, 4)
    assert history is not None
    opening = history.reported_counts[0]
    assert (opening.count, opening.as_of) == (56, date(2019, 2, 5))
    assert {e.slug for e in history.conditional} == ONE_YEAR_STAGE_4
    assert history.counts.conditional == 8
    assert history.status == "closed"


def test_stage_4_shows_novalog_dissolved_and_polymeris_formed_from_two_poles(
    seeded: Seeded,
) -> None:
    history = q.stage_history(seeded.ledger, 4)
    assert history is not None
    assert [(e.slug, e.on) for e in history.dissolved] == [("novalog", date(2020, 9, 11))]
    into_polymeris = {e.slug for e in history.merged if e.other == "polymeris"}
    assert into_polymeris == {"plastipolis", "elastopole"}
    assert {e.on for e in history.merged if e.other == "polymeris"} == {date(2020, 12, 31)}


def test_stage_5_shows_55_in_march_2023_and_the_two_water_poles_of_january_2024(
    seeded: Seeded,
) -> None:
    history = q.stage_history(seeded.ledger, 5)
    assert history is not None
    reported = {(r.count, r.as_of): r.ledger_count for r in history.reported_counts}
    assert (55, date(2023, 3, 27)) in reported
    assert (57, date(2024, 1, 8)) in reported
    january = {e.slug for e in history.granted if e.on == date(2024, 1, 8)}
    assert january == {"aqua-valley", "aquanova"}
    assert reported[(57, date(2024, 1, 8))] == reported[(55, date(2023, 3, 27))] + 2
    assert "polymeris" in {e.slug for e in history.renewed}


def test_the_stage_list_and_report_count_the_same_grants(seeded: Seeded) -> None:
    stages = q.list_stages(seeded.ledger)
    report = q.summary_report(seeded.ledger)
    assert [s.number for s in stages] == [1, 2, 3, 4, 5]
    assert [s.granted for s in stages] == [r.granted for r in report.stages]
    assert report.position == seeded.ledger.last_position()


def test_the_seeded_stage_4_grants_lacked_the_required_bronze_label(seeded: Seeded) -> None:
    view = q.compliance(seeded.ledger, 4)
    assert view is not None
    lacking = {f.slug for f in view.findings if f.requirement == "european-label"}
    assert view.grants_checked > 0
    granted = (q.stage_history(seeded.ledger, 4) or pytest.fail("no stage 4")).granted
    # Fibres-Energivie's Gold label (end of 2017, two years) covered its 2019 decision.
    assert lacking == {e.slug for e in granted} - {"fibres-energivie"}


def test_stage_command_gives_a_readable_stage_4(seeded: Seeded) -> None:
    result = CliRunner().invoke(cli, ["stage", "4", "--db", seeded.url])
    assert result.exit_code == 0, result.output
    assert "2019-02-05  reported  56" in result.output
    assert "Granted conditionally (8)" in result.output
    assert "2020-12-31  plastipolis" in result.output
    assert "Dissolved during the stage (1)" in result.output
    assert "granted without the required European label in force" in result.output


def test_report_command_prints_a_table_json_and_csv(seeded: Seeded) -> None:
    runner = CliRunner()
    table = runner.invoke(cli, ["report", "--db", seeded.url])
    assert table.exit_code == 0, table.output
    assert "STAGE  GRANTED" in table.output
    as_json = runner.invoke(cli, ["report", "--format", "json", "--db", seeded.url])
    assert msgspec.json.decode(as_json.output)["position"] == seeded.ledger.last_position()
    as_csv = runner.invoke(cli, ["report", "--format", "csv", "--db", seeded.url])
    assert as_csv.output.startswith("section,key,metric,value\n")
    assert "\nstage,5,granted," in as_csv.output


def test_history_command_gives_aerospace_valley_as_of_1_june_2019(seeded: Seeded) -> None:
    result = CliRunner().invoke(
        cli, ["history", "aerospace-valley", "--as-of", "2019-06-01", "--db", seeded.url]
    )
    assert result.exit_code == 0, result.output
    assert "status on 2019-06-01: labelled (stage 4, from 2019-02-05 until 2022-12-31)" in (
        result.output
    )
    assert "stage 5 label granted" in result.output
    assert "[takes effect after 2019-06-01]" in result.output


def test_status_command_lists_clusters_and_shows_one(seeded: Seeded) -> None:
    runner = CliRunner()
    listing = runner.invoke(cli, ["status", "--on", "2024-06-01", "--db", seeded.url])
    assert listing.exit_code == 0, listing.output
    assert "aerospace-valley" in listing.output
    card = runner.invoke(cli, ["status", "aerospace-valley", "--on", "2019-06-01",
                               "--db", seeded.url])
    assert card.exit_code == 0, card.output
    assert "status on 2019-06-01: labelled" in card.output
    unknown = runner.invoke(cli, ["status", "no-such-pole", "--db", seeded.url])
    assert unknown.exit_code == 1
    assert "no cluster 'no-such-pole'" in unknown.output


def test_a_rebuild_of_the_seeded_history_ends_equal_to_the_incremental_read_models(
    seeded: Seeded,
) -> None:
    ledger = seeded.ledger
    incremental = read_model_rows(ledger)
    seen: list[RebuildProgress] = []
    report = rebuild_projections(ledger, progress=seen.append, batch_size=100)
    assert read_model_rows(ledger) == incremental
    assert report.position == report.events == ledger.last_position()
    assert [p.position for p in seen][-1] == ledger.last_position()
    assert [p.events for p in seen] == sorted(p.events for p in seen)
