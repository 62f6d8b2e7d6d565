"""Admin writes: 201 with the appended event, an ETag, and a problem for every refusal."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.values import cluster_id
from infrastructure.ledger import Ledger
from tests.api.http_builders import (
    GRANT_5,
    REVIEW,
    STAGE_5,
    WITHDRAWAL,
    labelled,
    post,
    registration,
    write_endpoints,
)


@pytest.fixture
def setup(client: TestClient, admin: dict[str, str]) -> TestClient:
    labelled(client, admin)
    return client


@pytest.mark.parametrize(("path", "body"), write_endpoints(), ids=lambda v: str(v)[:40])
def test_every_write_answers_201_with_event_position_version_and_etag(
    setup: TestClient, ledger: Ledger, admin: dict[str, str], path: str, body: dict[str, Any]
) -> None:
    before = ledger.last_position()
    response = setup.post(path, json=body, headers=admin)
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["position"] == before + 1
    assert result["event_id"] == f"{result['aggregate_id']}@{result['events'][0]['version']}"
    assert response.headers["etag"] == f'"{result["version"]}"'
    assert len(ledger.aggregate_events(result["aggregate_id"])) == result["version"]
    assert ledger.last_position() == before + len(result["events"])


def test_every_event_records_the_token_name_as_its_actor(
    setup: TestClient, ledger: Ledger
) -> None:
    entries = ledger.positioned_events(cluster_id("aerospace-valley"))
    assert {e.event.actor for e in entries} == {"dge"}


def test_a_grant_keeps_its_source(setup: TestClient, ledger: Ledger) -> None:
    grant = ledger.positioned_events(cluster_id("aerospace-valley"))[-1].event
    assert grant.source == GRANT_5["source"]


def test_closing_a_stage_expires_every_label_still_held_in_the_same_append(
    setup: TestClient, admin: dict[str, str]
) -> None:
    result = post(setup, "/stages/5/closure", {"closed_on": "2026-12-31"}, admin)
    assert [e["type"] for e in result["events"]] == ["StageClosed", "LabelExpired"]
    assert result["events"][1]["aggregate_id"] == "cluster:aerospace-valley"
    assert result["version"] == 2  # the stage's, whose address was written


def test_a_merger_is_recorded_on_both_clusters(setup: TestClient, admin: dict[str, str]) -> None:
    merger = {"into": "aerospace-valley", "effective_on": "2024-01-01"}
    result = post(setup, "/clusters/polymeris/merger", merger, admin)
    assert [e["aggregate_id"] for e in result["events"]] == [
        "cluster:polymeris",
        "cluster:aerospace-valley",
    ]
    assert result["aggregate_id"] == "cluster:polymeris"
    assert result["version"] == 2


def test_a_write_answers_the_address_of_what_it_wrote(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.post("/clusters", json=registration("polymeris"), headers=admin)
    assert response.headers["location"] == "/clusters/polymeris"


def _refusal(
    client: TestClient, ledger: Ledger, path: str, body: dict[str, Any], admin: dict[str, str]
) -> dict[str, Any]:
    before = ledger.last_position()
    response = client.post(path, json=body, headers=admin)
    assert response.headers["content-type"] == "application/problem+json"
    assert ledger.last_position() == before, "a refused write appends nothing"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == response.status_code
    assert set(problem) >= {"type", "title", "status", "detail"}
    return problem


@pytest.mark.parametrize(
    ("path", "body", "problem_type"),
    [
        ("/clusters/aerospace-valley/label-grants", GRANT_5, "label-already-granted"),
        ("/clusters", registration("aerospace-valley"), "duplicate-slug"),
        ("/stages", STAGE_5, "duplicate-stage"),
        ("/clusters/polymeris/label-withdrawals", WITHDRAWAL, "no-active-label"),
        (
            "/clusters/polymeris/label-grants",
            {**GRANT_5, "effective_from": "2030-01-01"},
            "outside-stage-period",
        ),
        (
            "/clusters/polymeris/criteria-reviews",
            {**REVIEW, "measurements": {"turnover": 1.0}},
            "unknown-criterion",
        ),
        (
            "/clusters/polymeris/merger",
            {"into": "polymeris", "effective_on": "2024-01-01"},
            "merge-into-self",
        ),
    ],
)
def test_a_rule_violation_is_a_409_with_a_type_per_rule(
    setup: TestClient,
    ledger: Ledger,
    admin: dict[str, str],
    path: str,
    body: dict[str, Any],
    problem_type: str,
) -> None:
    problem = _refusal(setup, ledger, path, body, admin)
    assert (problem["status"], problem["type"]) == (409, f"/problems/{problem_type}")


def test_granting_after_the_stage_closed_is_a_stage_not_open_409(
    setup: TestClient, ledger: Ledger, admin: dict[str, str]
) -> None:
    post(setup, "/stages/5/closure", {"closed_on": "2026-12-31"}, admin)
    problem = _refusal(setup, ledger, "/clusters/polymeris/label-grants", GRANT_5, admin)
    assert (problem["status"], problem["type"]) == (409, "/problems/stage-not-open")


def test_writing_on_a_dissolved_cluster_is_a_cluster_inactive_409(
    setup: TestClient, ledger: Ledger, admin: dict[str, str]
) -> None:
    dissolution = {"effective_on": "2024-01-01", "reason": "wound up"}
    post(setup, "/clusters/polymeris/dissolution", dissolution, admin)
    renaming = {"name": "Polymeris 2", "effective_on": "2024-02-01"}
    problem = _refusal(setup, ledger, "/clusters/polymeris/renaming", renaming, admin)
    assert (problem["status"], problem["type"]) == (409, "/problems/cluster-inactive")


@pytest.mark.parametrize(
    ("path", "body", "problem_type"),
    [
        ("/clusters/systematic/label-grants", GRANT_5, "cluster-not-found"),
        ("/clusters/Not_A_Slug/renaming", {"name": "x", "effective_on": "2024-01-01"},
         "cluster-not-found"),
        ("/stages/9/closure", {"closed_on": "2026-12-31"}, "stage-not-found"),
        ("/stages/0/closure", {"closed_on": "2026-12-31"}, "stage-not-found"),
        ("/clusters/polymeris/label-grants", {**GRANT_5, "stage": 9}, "stage-not-found"),
        ("/clusters/polymeris/merger", {"into": "systematic", "effective_on": "2024-01-01"},
         "cluster-not-found"),
    ],
)
def test_an_unknown_cluster_or_stage_is_a_404(
    setup: TestClient,
    ledger: Ledger,
    admin: dict[str, str],
    path: str,
    body: dict[str, Any],
    problem_type: str,
) -> None:
    problem = _refusal(setup, ledger, path, body, admin)
    assert (problem["status"], problem["type"]) == (404, f"/problems/{problem_type}")


def test_an_inconsistent_command_is_a_422(
    setup: TestClient, ledger: Ledger, admin: dict[str, str]
) -> None:
    body = {**GRANT_5, "valid_until": "2023-01-01"}
    problem = _refusal(setup, ledger, "/clusters/polymeris/label-grants", body, admin)
    assert (problem["status"], problem["type"]) == (422, "/problems/invalid-command")


def test_a_correction_must_target_an_event_of_the_cluster_it_is_posted_to(
    setup: TestClient, ledger: Ledger, admin: dict[str, str]
) -> None:
    body = {"event_id": "cluster:polymeris@1", "reason": "wrong pôle"}
    problem = _refusal(setup, ledger, "/clusters/aerospace-valley/corrections", body, admin)
    assert problem["status"] == 422
    assert [e["pointer"] for e in problem["errors"]] == ["#/event_id"]


def test_a_retraction_is_recorded_as_a_new_event(
    setup: TestClient, ledger: Ledger, admin: dict[str, str]
) -> None:
    body = {"event_id": "cluster:aerospace-valley@2", "reason": "recorded in error"}
    result = post(setup, "/clusters/aerospace-valley/corrections", body, admin)
    assert result["type"] == "EventCorrected"
    assert len(ledger.aggregate_events("cluster:aerospace-valley")) == 3
