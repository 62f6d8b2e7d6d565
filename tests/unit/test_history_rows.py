"""The bundled history's data files: every row decodes, and a bad row is named precisely."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from domain.commands import GrantLabel, OpenStage, RegisterCluster
from infrastructure.history.datafiles import SeedDataError
from infrastructure.history.gaps import bundled_gaps, parse_gaps
from infrastructure.history.rows import KINDS, SeedRow, history_rows, kind_of, load_rows
from infrastructure.history.sources import catalogue, parse_sources
from infrastructure.history.vocabulary import parse_vocabulary, vocabulary

ROOT = Path(__file__).parents[2]
GRANTS_HEADER = (
    "slug,stage,decided_on,decided_by,effective_from,decision_ref,valid_until,tier,conditions,"
    "source,evidence,note\n"
)
A_GRANT = "enter,5,2023-03-27,The State,2023-03-27,phase V,,,,S2,stated,\n"


def grants(*lines: str) -> tuple[SeedRow, ...]:
    return load_rows([kind_of("grants.csv")], texts={"grants.csv": GRANTS_HEADER + "".join(lines)})


def rejected(*lines: str) -> SeedDataError:
    with pytest.raises(SeedDataError) as caught:
        grants(*lines)
    return caught.value


def test_every_bundled_file_decodes_into_commands_of_its_kind() -> None:
    rows = history_rows()
    per_file = Counter(row.origin.file for row in rows)
    assert set(per_file) == {kind.file for kind in KINDS}
    for row in rows:
        assert isinstance(row.command, kind_of(row.origin.file).command)
    assert len(rows) == 531


def test_every_row_has_a_source_an_evidence_grade_and_a_key_of_the_first_seed_style() -> None:
    for row in history_rows():
        assert row.source
        assert row.source_keys
        assert row.evidence in ("stated", "weak", "inferred")
        assert row.key.startswith("seed:v1:")


def test_keys_are_unique() -> None:
    keys = [row.key for row in history_rows()]
    assert len(keys) == len(set(keys))


def test_every_fact_seeded_by_main_keeps_its_key_so_a_seeded_ledger_is_recognised() -> None:
    text = (Path(__file__).parent / "data" / "seed_keys_31377de.txt").read_text()
    seeded_before = {line for line in text.splitlines() if line and not line.startswith("#")}
    assert len(seeded_before) == 297
    assert seeded_before <= {row.key for row in history_rows()}


def test_rows_come_by_effective_day_stages_opening_first_and_closing_last() -> None:
    rows = history_rows()
    assert [row.order for row in rows] == sorted(row.order for row in rows)
    assert isinstance(rows[0].command, OpenStage)
    position = {row.key: index for index, row in enumerate(rows)}
    assert position["seed:v1:stage-4:open"] < position["seed:v1:derbi:grant:4"]
    assert position["seed:v1:enter:register"] < position["seed:v1:enter:grant:5"]
    assert position["seed:v1:stage-2:close"] > position["seed:v1:tes:review:2:2012-07-30"]


def test_a_registration_carries_its_regions_and_themes_as_lists() -> None:
    registration = next(r.command for r in history_rows() if r.key == "seed:v1:s2e2:register")
    assert isinstance(registration, RegisterCluster)
    assert registration.regions == ("Centre-Val de Loire", "Pays de la Loire", "Nouvelle-Aquitaine")
    assert registration.registered_on == date(2005, 7, 12)


def test_the_context_of_a_row_carries_its_citation_grade_and_key() -> None:
    row = next(r for r in history_rows() if r.key == "seed:v1:s2e2:grant:5")
    context = row.context()
    assert (context.actor, context.evidence, context.idempotency_key) == ("seed", "weak", row.key)
    assert context.source == "https://hydrogentoday.info/hydrogene-recherche/"


def test_a_source_key_or_its_alias_cites_the_same_address() -> None:
    sources = catalogue()
    assert sources.cite(["N60"]) == sources.cite(["S68"])
    assert sources.cite(["P-progress"]).startswith("seed presentation")


def test_a_good_row_decodes_into_its_command() -> None:
    (row,) = grants(A_GRANT)
    assert row.command == GrantLabel(
        slug="enter",
        stage=5,
        decided_on=date(2023, 3, 27),
        decided_by="The State",
        effective_from=date(2023, 3, 27),
        decision_ref="phase V",
    )
    assert (row.key, str(row.origin)) == ("seed:v1:enter:grant:5", "grants.csv, row 2")


@pytest.mark.parametrize(
    ("line", "field", "detail"),
    [
        ("enter,5,2023-02-30,The State,2023-03-27,phase V,,,,S2,stated,\n", "decided_on", "date"),
        ("enter,five,2023-03-27,The State,2023-03-27,phase V,,,,S2,stated,\n", "stage", "int"),
        ("enter,5,2023-03-27,,2023-03-27,phase V,,,,S2,stated,\n", "decided_by", "missing"),
        ("enter,5,2023-03-27,The State,2023-03-27,phase V,,earth,,S2,stated,\n", "tier", "earth"),
        ("Enter!,5,2023-03-27,The State,2023-03-27,phase V,,,,S2,stated,\n", "slug", "regex"),
        ("enter,5,2023-03-27,The State,2023-03-27,phase V,,,,S2,sure,\n", "evidence", "stated"),
        ("enter,5,2023-03-27,The State,2023-03-27,phase V,,,,S999,stated,\n", "source", "S999"),
        ("enter,5,2023-03-27,The State,2023-03-27,phase V,,,,,stated,\n", "source", "missing"),
    ],
)
def test_a_malformed_row_is_named_by_file_row_and_field(line: str, field: str, detail: str) -> None:
    error = rejected(A_GRANT, line)
    assert (error.origin.file, error.origin.row, error.field) == ("grants.csv", 3, field)
    assert detail in str(error)
    assert str(error).startswith(f"grants.csv, row 3, field {field!r}: ")


def test_a_row_with_more_cells_than_columns_is_named() -> None:
    error = rejected(A_GRANT.replace("stated,", "stated,,extra"))
    assert error.origin.row == 2
    assert "more cells than the header" in str(error)


def test_an_unknown_column_is_named_on_the_header_row() -> None:
    text = GRANTS_HEADER.replace("note", "notes") + A_GRANT
    with pytest.raises(SeedDataError, match=r"grants\.csv, row 1, field 'notes': unknown column"):
        load_rows([kind_of("grants.csv")], texts={"grants.csv": text})


def test_two_rows_with_one_key_are_rejected_naming_both() -> None:
    error = rejected(A_GRANT, A_GRANT.replace("phase V", "phase V again"))
    assert error.origin.row == 3
    assert "seed:v1:enter:grant:5" in str(error)
    assert "grants.csv, row 2" in str(error)


def test_a_registration_without_its_day_is_rejected() -> None:
    text = (
        "slug,name,regions,themes,founded_on,website,registered_on,source,evidence,note\n"
        "enter,ENTER,,,,,,S2,stated,\n"
    )
    with pytest.raises(SeedDataError, match=r"registrations\.csv, row 2, field 'registered_on'"):
        load_rows([kind_of("registrations.csv")], texts={"registrations.csv": text})


def test_a_bad_toml_entry_is_named_by_its_place_line_and_field() -> None:
    text = (
        "[[stage]]\nnumber = 9\ntitle = 'Stage 9'\nstarts_on = 2030-01-01\nends_on = 2033-12-31\n"
        "decided_by = 'The State'\nsource = 'S1'\nevidence = 'stated'\n\n"
        "[[stage]]\nnumber = 10\ntitle = 'Stage 10'\nstarts_on = 2034-01-01\nends_on = 2037-12-31\n"
        "decided_by = 'The State'\nsource = 'S1'\nevidence = 'stated'\n"
        "criteria = [{ code = 'members', description = 'Members', threshold = 'many' }]\n"
    )
    with pytest.raises(SeedDataError) as caught:
        load_rows([kind_of("stage_openings.toml")], texts={"stage_openings.toml": text})
    error = caught.value
    assert (error.origin.row, error.origin.line, error.field) == (2, 10, "criteria[0].threshold")


def test_a_source_catalogue_with_a_key_given_twice_is_rejected() -> None:
    text = "key,url,title,aliases\nS1,https://a.test/,A,\nS2,https://b.test/,B,S1\n"
    with pytest.raises(SeedDataError, match=r"sources\.csv, row 3, field 'key'"):
        parse_sources(text)


def test_gaps_decode_and_their_sources_resolve() -> None:
    gaps = bundled_gaps()
    assert len(gaps) == 43
    with pytest.raises(SeedDataError, match=r"gaps\.csv, row 2, field 'sources'"):
        parse_gaps("kind,subject,detail,sources\nweak,a subject,a detail,S999\n")
    with pytest.raises(SeedDataError, match=r"gaps\.csv, row 2, field 'kind'"):
        parse_gaps("kind,subject,detail,sources\nmissing,a subject,a detail,S1\n")


def test_every_stated_region_maps_to_a_current_region() -> None:
    mapping = vocabulary()
    stated = {
        region
        for row in history_rows()
        if isinstance(row.command, RegisterCluster)
        for region in row.command.regions
    }
    assert stated <= set(mapping.regions)
    current = set(mapping.regions.values())
    assert {"Aquitaine", "Rhône-Alpes", "Nord-Pas-de-Calais"} <= stated
    assert not {"Aquitaine", "Rhône-Alpes", "Nord-Pas-de-Calais"} & current
    assert mapping.current_regions(["Auvergne", "Rhône-Alpes"]) == ("Auvergne-Rhône-Alpes",)


def test_theme_codes_are_one_vocabulary_of_thirteen_for_registered_clusters() -> None:
    mapping = vocabulary()
    registered = {
        row.command.slug for row in history_rows() if isinstance(row.command, RegisterCluster)
    }
    assert len(mapping.labels) == 13
    assert set(mapping.themes) <= registered
    assert {code for codes in mapping.themes.values() for code in codes} <= set(mapping.labels)


def test_a_mapping_to_a_region_that_is_not_current_is_rejected() -> None:
    texts = {"region_names.csv": "stated,current,note\nAlsace,Alsace-Lorraine,\n"}
    with pytest.raises(SeedDataError, match=r"region_names\.csv, row 2, field 'current'"):
        parse_vocabulary(texts)


def test_every_data_file_is_shipped_as_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["*"]
    shipped = {p.removeprefix("*") for p in patterns}
    data = resources.files("infrastructure.history.data")
    files = [f.name for f in data.iterdir() if f.is_file() and not f.name.endswith(".py")]
    data_files = [name for name in files if not name.endswith(".md")]
    assert data_files
    for name in data_files:
        assert re.sub(r"^[^.]*", "", name) in shipped, name
