"""If-Match: a write on an existing cluster or stage can require the version it was based on."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from domain.commands import Context, ExpectedVersion, ExtendLabel
from domain.errors import VersionMismatch
from infrastructure.ledger import Ledger
from tests.api.http_builders import EXTENSION, labelled, post

EXTEND = "/clusters/aerospace-valley/label-extensions"


@pytest.fixture
def setup(client: TestClient, admin: dict[str, str]) -> TestClient:
    labelled(client, admin)  # aerospace-valley is at version 2
    return client


def test_a_matching_if_match_lets_the_write_through(
    setup: TestClient, admin: dict[str, str]
) -> None:
    response = setup.post(EXTEND, json=EXTENSION, headers={**admin, "If-Match": '"2"'})
    assert response.status_code == 201
    assert response.headers["etag"] == '"3"'


def test_the_etag_of_one_write_is_the_if_match_of_the_next(
    setup: TestClient, admin: dict[str, str]
) -> None:
    review = {
        "stage": 5,
        "reviewed_on": "2024-01-15",
        "reviewer": "DGE",
        "kind": "annual review",
        "measurements": {"members": 830},
        "outcome": "meets",
    }
    first = setup.post(
        "/clusters/aerospace-valley/criteria-reviews", json=review, headers=admin
    )
    conditioned = {**admin, "If-Match": first.headers["etag"]}
    second = setup.post(EXTEND, json=EXTENSION, headers=conditioned)
    assert second.status_code == 201


@pytest.mark.parametrize("stale", ['"1"', '"1", "3"', 'W/"2"', '"two"'])
def test_a_stale_or_weak_if_match_is_a_412_and_appends_nothing(
    setup: TestClient, ledger: Ledger, admin: dict[str, str], stale: str
) -> None:
    before = ledger.last_position()
    response = setup.post(EXTEND, json=EXTENSION, headers={**admin, "If-Match": stale})
    assert response.status_code == 412
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/version-mismatch"
    assert ledger.last_position() == before


def test_a_list_of_entity_tags_matches_any_of_them(
    setup: TestClient, admin: dict[str, str]
) -> None:
    response = setup.post(EXTEND, json=EXTENSION, headers={**admin, "If-Match": '"1", "2"'})
    assert response.status_code == 201


def test_if_match_star_needs_only_an_existing_aggregate(
    setup: TestClient, admin: dict[str, str]
) -> None:
    response = setup.post(EXTEND, json=EXTENSION, headers={**admin, "If-Match": "*"})
    assert response.status_code == 201


@pytest.mark.parametrize("malformed", ["2", '"2', "W/2", '"2";'])
def test_a_malformed_if_match_is_a_400(
    setup: TestClient, ledger: Ledger, admin: dict[str, str], malformed: str
) -> None:
    before = ledger.last_position()
    response = setup.post(EXTEND, json=EXTENSION, headers={**admin, "If-Match": malformed})
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/malformed-header"
    assert ledger.last_position() == before


def test_if_match_on_an_unknown_cluster_is_still_a_404(
    setup: TestClient, admin: dict[str, str]
) -> None:
    response = setup.post(
        "/clusters/systematic/label-extensions",
        json=EXTENSION,
        headers={**admin, "If-Match": '"1"'},
    )
    assert response.status_code == 404


def test_a_stage_write_is_conditioned_on_the_stage_version(
    setup: TestClient, admin: dict[str, str]
) -> None:
    closure = {"closed_on": "2026-12-31"}
    stale = setup.post("/stages/5/closure", json=closure, headers={**admin, "If-Match": '"2"'})
    assert stale.status_code == 412
    fresh = setup.post("/stages/5/closure", json=closure, headers={**admin, "If-Match": '"1"'})
    assert fresh.status_code == 201


def test_the_expected_version_is_checked_where_the_command_is_decided(
    setup: TestClient, ledger: Ledger, admin: dict[str, str]
) -> None:
    """The expectation travels with the command into the writer's transaction."""
    post(setup, EXTEND, EXTENSION, admin)  # another writer moved it to version 3
    before = ledger.last_position()
    extension = ExtendLabel(
        slug="aerospace-valley",
        decided_on=date(2024, 4, 1),
        valid_until=date(2026, 12, 31),
        reason="checked against version 2",
    )
    expecting_2 = Context(actor="dge", expected=ExpectedVersion(versions=(2,)))
    with pytest.raises(VersionMismatch):
        ledger.execute(extension, expecting_2)
    assert ledger.last_position() == before
