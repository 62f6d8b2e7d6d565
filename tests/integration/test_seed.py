"""The bundled, sourced 2005-2026 history, seeded through the ledger's commands on each store."""

from __future__ import annotations

from datetime import date

import msgspec
from click.testing import CliRunner

from api.cli.main import cli
from domain.events import LabelGranted, LedgerEvent, StageOpened
from infrastructure.history.rows import SEED_ACTOR, history_rows
from infrastructure.history.seeding import seed_history
from infrastructure.ledger import Ledger
from tests.conftest import Seeded

ONE_YEAR_STAGE_4 = {
    "elastopole",
    "pmt",
    "novalog",
    "picom",
    "team2",
    "atlanpole-biotherapies",
    "aquimer",
    "fibres-energivie",
}

# The 55 stage-5 labels of 27 March 2023 (S2E2 weakly sourced, by a secondary article).
PHASE_V_2023 = {
    "aerospace-valley", "agri-sud-ouest-innovation", "derbi", "eurobiomed", "optitec",
    "pole-mer-mediterranee", "scs", "capenergies", "safe-cluster", "innov-alliance", "axelera",
    "cara", "cimes", "lyonbiopole", "minalogic", "nuclear-valley", "polymeris", "techtera",
    "tenerrdis", "vegepolys-valley", "xylofutur", "infr2050", "i-trans", "aquimer", "iar",
    "cap-digital", "nsl", "team2", "euramaterials", "atlanpole-biotherapies", "emc2",
    "images-et-reseaux", "id4mobility", "pole-mer-bretagne-atlantique", "valorial", "pmt",
    "vehicule-du-futur", "vitagora", "materalia", "fibres-energivie", "avenia", "enter",
    "systematic", "medicen", "astech", "cosmetic-valley", "tes", "qualitropic",
    "biovalley-france", "alpha-rlh", "finance-innovation", "nextmove", "s2e2", "hippolia",
    "pole-europeen-de-la-ceramique",
}


def granted(ledger: Ledger, stage: int) -> dict[str, LabelGranted]:
    """Each cluster's grant of a stage, by slug."""
    found: dict[str, LabelGranted] = {}
    for slug in ledger.cluster_slugs():
        for entry in ledger.positioned_events(f"cluster:{slug}"):
            if isinstance(entry.event, LabelGranted) and entry.event.stage == stage:
                found[slug] = entry.event
    return found


def all_events(ledger: Ledger) -> list[LedgerEvent]:
    stored = ledger.recorder.select_notifications(1, ledger.last_position() + 1)  # type: ignore[attr-defined]
    return [ledger.mapper.to_domain_event(n) for n in stored]


def test_the_first_seeding_records_every_fact(seeded: Seeded) -> None:
    report = seeded.report
    assert report.skipped == 0
    assert report.appended == report.position == seeded.ledger.last_position()
    assert report.facts == len(history_rows())


def test_stage_4_opened_with_56_poles_reported(seeded: Seeded) -> None:
    opening = seeded.ledger.positioned_events("stage:4")[0].event
    assert isinstance(opening, StageOpened)
    assert opening.effective_on == date(2019, 2, 5)
    assert [(c.count, c.as_of) for c in opening.reported_counts] == [(56, date(2019, 2, 5))]
    assert opening.minimum_european_label == "bronze"


def test_exactly_eight_stage_4_grants_are_one_year_conditional_labels(seeded: Seeded) -> None:
    conditional = {
        slug: grant for slug, grant in granted(seeded.ledger, 4).items() if grant.conditions
    }
    assert set(conditional) == ONE_YEAR_STAGE_4
    assert {g.valid_until for g in conditional.values()} == {date(2020, 2, 4)}


def test_novalog_was_dissolved_on_11_september_2020(seeded: Seeded) -> None:
    novalog = seeded.ledger.get_cluster("novalog")
    assert novalog.dissolved_on == date(2020, 9, 11)
    assert novalog.labels[-1].state == "dissolved"


def test_stage_5_grants_of_27_march_2023_are_the_sourced_list(seeded: Seeded) -> None:
    stage = seeded.ledger.get_stage(5)
    assert (55, date(2023, 3, 27)) in [(c.count, c.as_of) for c in stage.reported_counts]
    of_the_day = {
        slug
        for slug, grant in granted(seeded.ledger, 5).items()
        if grant.effective_from == date(2023, 3, 27)
    }
    assert of_the_day == PHASE_V_2023


def test_each_grant_carries_the_evidence_grade_of_its_row(seeded: Seeded) -> None:
    phase_v = granted(seeded.ledger, 5)
    assert phase_v["s2e2"].evidence == "weak"
    assert phase_v["enter"].evidence == "stated"
    assert granted(seeded.ledger, 4)["finance-innovation"].evidence == "inferred"


def test_two_water_poles_were_labelled_on_8_january_2024_with_57_reported(
    seeded: Seeded,
) -> None:
    water = {
        slug
        for slug, grant in granted(seeded.ledger, 5).items()
        if grant.effective_from == date(2024, 1, 8)
    }
    assert water == {"aqua-valley", "aquanova"}
    counts = seeded.ledger.get_stage(5).reported_counts
    assert (57, date(2024, 1, 8)) in [(c.count, c.as_of) for c in counts]


def test_polymeris_absorbed_plastipolis_and_elastopole_on_31_december_2020(
    seeded: Seeded,
) -> None:
    polymeris = seeded.ledger.get_cluster("polymeris")
    assert polymeris.absorbed == ("cluster:plastipolis", "cluster:elastopole")
    for slug in ("plastipolis", "elastopole"):
        cluster = seeded.ledger.get_cluster(slug)
        assert (cluster.merged_into, cluster.merged_on) == ("cluster:polymeris", date(2020, 12, 31))


def test_every_seeded_event_has_a_source(seeded: Seeded) -> None:
    events = all_events(seeded.ledger)
    assert len(events) == seeded.ledger.last_position()
    assert all(e.actor == SEED_ACTOR and e.source and e.idempotency_key for e in events)
    assert all(e.evidence in ("stated", "weak", "inferred") for e in events)


def test_the_ledger_counts_stand_beside_the_reported_ones(seeded: Seeded) -> None:
    """The seed reports, for each published count, how many labels the ledger holds that day."""
    lines = {(t.stage, t.as_of): (t.in_ledger, t.reported) for t in seeded.report.tallies}
    assert lines[(5, date(2023, 3, 27))] == (55, 55)
    assert lines[(5, date(2024, 1, 8))] == (57, 57)
    assert lines[(4, date(2019, 2, 5))] == (56, 56)


def test_seeding_again_appends_nothing(seeded: Seeded) -> None:
    again = seed_history(seeded.ledger)
    assert (again.appended, again.skipped) == (0, len(history_rows()))
    assert again.position == seeded.report.position


def test_seeding_twice_a_fresh_ledger_appends_nothing_the_second_time(ledger: Ledger) -> None:
    first = seed_history(ledger)
    second = seed_history(ledger)
    assert first.appended == first.position > 0
    assert (second.appended, second.position) == (0, first.position)


def test_history_command_tells_the_polymeris_merger_story(seeded: Seeded) -> None:
    result = CliRunner().invoke(cli, ["history", "polymeris", "--db", seeded.url])
    assert result.exit_code == 0, result.output
    assert "registered as Polymeris" in result.output
    assert "2020-12-31  absorbed plastipolis" in result.output
    assert "2020-12-31  absorbed elastopole" in result.output
    assert "stage 5 label granted" in result.output


def test_seed_command_prints_the_counts_and_the_gaps(seeded: Seeded) -> None:
    result = CliRunner().invoke(cli, ["seed", "--db", seeded.url])
    assert result.exit_code == 0, result.output
    assert "seeded 0 new events" in result.output
    assert "stage 5: 55 labels in the ledger on 27 Mar 2023, 55 reported" in result.output
    assert "gaps in the sources" in result.output


def labels_held(url: str, stage: int, on: str, *extra: str) -> set[str]:
    """The slugs ``status --on`` shows holding a label of ``stage`` that day."""
    result = CliRunner().invoke(
        cli, ["status", "--on", on, "--stage", str(stage), "--json", *extra, "--db", url]
    )
    assert result.exit_code == 0, result.output
    views = msgspec.json.decode(result.output)
    return {v["slug"] for v in views if v["status"] in ("labelled", "conditional")}


def test_the_day_after_each_decision_the_ledger_holds_the_published_number_of_labels(
    seeded: Seeded,
) -> None:
    assert len(labels_held(seeded.url, 4, "2019-02-06")) == 56  # 48 four-year + 8 one-year
    assert labels_held(seeded.url, 5, "2023-03-28") == PHASE_V_2023
    assert len(labels_held(seeded.url, 5, "2024-01-09")) == 57


def test_the_stage_5_page_shows_two_new_entrants(seeded: Seeded) -> None:
    result = CliRunner().invoke(cli, ["stage", "5", "--json", "--db", seeded.url])
    assert result.exit_code == 0, result.output
    entrants = msgspec.json.decode(result.output)["history"]["new_entrants"]
    assert sorted(e["slug"] for e in entrants) == ["enter", "infr2050"]


def test_a_report_on_2010_counts_nothing_granted_after_it(seeded: Seeded) -> None:
    result = CliRunner().invoke(
        cli, ["report", "--on", "2010-06-01", "--format", "json", "--db", seeded.url]
    )
    assert result.exit_code == 0, result.output
    stages = {s["stage"]: s for s in msgspec.json.decode(result.output)["stages"]}
    assert set(stages) == {1, 2}  # stages 3 to 5 had not opened
    assert all(s["renewal_rate"] is not None or s["notes"] for s in stages.values())


def test_stated_evidence_only_leaves_out_the_weakly_sourced_s2e2(seeded: Seeded) -> None:
    stated = labels_held(seeded.url, 5, "2023-03-28", "--evidence", "stated")
    assert "s2e2" not in stated
    assert stated < PHASE_V_2023


def test_filters_forgive_case_and_accents_and_list_what_they_accept(seeded: Seeded) -> None:
    runner = CliRunner()
    bretagne = runner.invoke(cli, ["status", "--region", "bretagne", "--json", "--db", seeded.url])
    assert bretagne.exit_code == 0, bretagne.output
    assert len(msgspec.json.decode(bretagne.output)) > 0
    regions = runner.invoke(cli, ["regions", "--db", seeded.url])
    assert "Bretagne" in regions.output
    assert "Auvergne-Rhône-Alpes" in regions.output
    themes = runner.invoke(cli, ["themes", "--json", "--db", seeded.url])
    assert msgspec.json.decode(themes.output)["note"]


def test_an_unknown_slug_suggests_the_nearest_ones(seeded: Seeded) -> None:
    result = CliRunner().invoke(cli, ["status", "aerospace-vally", "--db", seeded.url])
    assert result.exit_code != 0
    assert result.output.count("\n") == 1
    assert "did you mean aerospace-valley" in result.output
