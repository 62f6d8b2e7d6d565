"""Hostile request bodies get a clear 422 naming the limit or the field, and append nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.decoding import MAX_FIELD_ERRORS, MAX_NESTING, check_nesting
from api.http.problems import HttpProblem
from infrastructure.ledger import Ledger
from tests.api.http_builders import EXTENSION, labelled, registration

JSON = {"Content-Type": "application/json"}
CORRECTIONS = "/clusters/aerospace-valley/corrections"


@pytest.fixture
def setup(client: TestClient, admin: dict[str, str]) -> TestClient:
    labelled(client, admin)
    return client


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def correction(amended: bytes) -> bytes:
    return (
        b'{"event_id": "cluster:aerospace-valley@2", "reason": "typo", "amended": '
        b'{"decision_ref": ' + amended + b"}}"
    )


def refused_for_nesting(response: Any) -> bool:
    problem = response.json()
    return (
        response.status_code == 422
        and problem["type"] == "/problems/invalid-body"
        and f"deeper than {MAX_NESTING} levels" in problem["detail"]
    )


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/clusters", nested(10_000)),
        ("/clusters", b'{"slug": "x", "name": ' + nested(10_000) + b"}"),
        (CORRECTIONS, correction(nested(10_000))),
        ("/clusters", b"[" * 500_000),
    ],
    ids=["as-the-body", "inside-a-field", "in-amended", "never-closed"],
)
def test_json_nested_ten_thousand_levels_is_a_422_naming_the_limit(
    setup: TestClient, ledger: Ledger, admin: dict[str, str], path: str, body: bytes
) -> None:
    before = ledger.last_position()
    response = setup.post(path, content=body, headers={**admin, **JSON})
    assert refused_for_nesting(response)
    assert response.json()["errors"][0]["pointer"] == "#"
    assert ledger.last_position() == before


def test_nesting_up_to_the_limit_is_judged_by_the_schema_not_refused(
    setup: TestClient, admin: dict[str, str]
) -> None:
    """``amended`` holds any JSON: nested to the limit, the ledger's rule judges it."""
    at_limit = correction(nested(MAX_NESTING - 2))  # the body and ``amended`` are two levels
    response = setup.post(CORRECTIONS, content=at_limit, headers={**admin, **JSON})
    assert response.status_code in (409, 422)
    assert not refused_for_nesting(response)
    beyond = correction(nested(MAX_NESTING - 1))
    assert refused_for_nesting(setup.post(CORRECTIONS, content=beyond, headers={**admin, **JSON}))


def test_brackets_inside_strings_are_not_nesting(setup: TestClient, admin: dict[str, str]) -> None:
    name = "[" * 150 + "{" * 100
    response = setup.post("/clusters", json=registration("brackets", name), headers=admin)
    assert response.status_code == 201, response.text


def test_the_nesting_scan_reads_escapes_and_unterminated_strings_in_one_pass() -> None:
    check_nesting(b'["\\"[[[[[[[[' + b"[" * 100 + b'"]')
    with pytest.raises(HttpProblem):
        check_nesting(b'["\\\\"' + b"[" * 100)  # the string ends after the escaped backslash
    # A string never closed runs to the end, so no later quote starts a scan again (a
    # pattern that failed there would rescan the rest from every quote: hours, not ms).
    check_nesting(b"[]" * 100 + b'"' + b'\\"' * 500_000)
    check_nesting(b"[]" * 100 + b'"a' * 500_000)


def test_fifty_thousand_unknown_fields_are_a_422_listing_the_first_and_counting_the_rest(
    setup: TestClient, ledger: Ledger, admin: dict[str, str]
) -> None:
    flood = b"{" + b",".join(b'"f%d": 1' % i for i in range(50_000)) + b"}"
    before = ledger.last_position()
    response = setup.post("/clusters", content=flood, headers={**admin, **JSON})
    problem = response.json()
    assert response.status_code == 422
    assert len(problem["errors"]) == MAX_FIELD_ERRORS
    assert problem["errors"][0] == {"pointer": "#/f0", "detail": "unknown field"}
    missing = 2  # slug and name, the fields a registration requires
    assert problem["detail"].endswith(f"and {50_000 + missing - MAX_FIELD_ERRORS} more")
    assert ledger.last_position() == before


def test_a_few_invalid_fields_are_all_named(setup: TestClient, admin: dict[str, str]) -> None:
    body = {"slug": "Not A Slug", "name": "", "regions": "x", "themes": [], "founded": 1}
    problem = setup.post("/clusters", json=body, headers=admin).json()
    pointers = {error["pointer"] for error in problem["errors"]}
    assert pointers == {"#/founded", "#/slug", "#/name", "#/regions"}
    assert "more" not in problem["detail"]


INVISIBLE = {
    "right-to-left override": "\u202e",
    "left-to-right isolate": "\u2066",
    "right-to-left mark": "\u200f",
    "arabic letter mark": "\u061c",
    "zero-width space": "\u200b",
    "zero-width joiner": "\u200d",
    "word joiner": "\u2060",
    "byte order mark": "\ufeff",
}


@pytest.mark.parametrize("character", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_a_name_with_a_bidi_control_or_zero_width_character_is_a_422_naming_it(
    setup: TestClient, ledger: Ledger, admin: dict[str, str], character: str
) -> None:
    before = ledger.last_position()
    body = registration("trojan", f"Aero{character}space Valley")
    problem = setup.post("/clusters", json=body, headers=admin).json()
    assert problem["status"] == 422
    assert problem["errors"] == [
        {
            "pointer": "#/name",
            "detail": "Expected one line of printable text "
            "(no control, bidirectional-control or zero-width character)",
        }
    ]
    assert ledger.last_position() == before


@pytest.mark.parametrize(
    ("path", "body", "pointer"),
    [
        ("/clusters/aerospace-valley/renaming",
         {"name": "Aerospace\u200bValley", "effective_on": "2024-01-01"}, "#/name"),
        ("/clusters/aerospace-valley/label-extensions",
         {**EXTENSION, "reason": "line one\nline \u202etwo"}, "#/reason"),
        ("/clusters/aerospace-valley/label-extensions",
         {**EXTENSION, "source": "https://example.org/\u2066x"}, "#/source"),
        ("/clusters", {**registration("x-y"), "regions": ["Occitanie", "Bre\u200dtagne"]},
         "#/regions/1"),
    ],
    ids=["renaming", "multi-line-text", "source", "list-item"],
)
def test_every_text_of_a_command_refuses_invisible_characters(
    setup: TestClient, admin: dict[str, str], path: str, body: dict[str, Any], pointer: str
) -> None:
    problem = setup.post(path, json=body, headers=admin).json()
    assert problem["status"] == 422
    assert [error["pointer"] for error in problem["errors"]] == [pointer]


def test_an_amendment_with_an_invisible_character_is_a_422_naming_it(
    setup: TestClient, ledger: Ledger, admin: dict[str, str]
) -> None:
    before = ledger.last_position()
    body = {
        "event_id": "cluster:aerospace-valley@2",
        "reason": "wrong reference",
        "amended": {"decision_ref": "CIADT\u202e 2023"},
    }
    problem = setup.post(CORRECTIONS, json=body, headers=admin).json()
    assert problem["status"] == 422
    assert problem["errors"][0]["pointer"] == "#/amended/decision_ref"
    assert ledger.last_position() == before


def test_accented_and_non_latin_names_stay_welcome(
    setup: TestClient, admin: dict[str, str]
) -> None:
    body = registration("vegepolys", "Végépolys Valley — 植物 · Ελλάδα")
    assert setup.post("/clusters", json=body, headers=admin).status_code == 201
