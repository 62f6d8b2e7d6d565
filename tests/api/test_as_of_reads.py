"""Reads for a day over HTTP: ``on`` on the public reads, ``as_of`` and ``known_at`` on the
auditors' replay; filters that forgive case and accents; unknown parameters refused."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.http_builders import GRANT_5, STAGE_5, labelled, post, registration


@pytest.fixture
def backfilled(client: TestClient, admin: dict[str, str]) -> TestClient:
    """The issue's repro: a cluster registered today without a founding date, then its
    2025 label back-filled: granted from 15 January, withdrawn from 2 June."""
    post(client, "/stages", STAGE_5, admin)
    undated = {k: v for k, v in registration("enter").items() if k != "founded_on"}
    post(client, "/clusters", undated, admin)
    post(client, "/clusters/enter/label-grants", {
        **GRANT_5, "decided_on": "2025-01-10", "effective_from": "2025-01-15",
    }, admin)
    post(client, "/clusters/enter/label-withdrawals", {
        "decided_on": "2025-05-20", "effective_on": "2025-06-02", "decided_by": "State",
        "reason": "criteria no longer met",
    }, admin)
    return client


def test_a_back_filled_label_was_in_force_on_a_day_before_the_registration_was_recorded(
    backfilled: TestClient, auditor: dict[str, str]
) -> None:
    replayed = backfilled.get("/clusters/enter/status?as_of=2025-03-01", headers=auditor)
    assert replayed.status_code == 200
    assert (replayed.json()["status"], replayed.json()["name"]) == ("labelled", "Enter")
    on_the_day = backfilled.get("/clusters/enter?on=2025-03-01").json()
    assert (on_the_day["status"], on_the_day["stage"]) == ("labelled", 5)
    after = backfilled.get("/clusters/enter/status?as_of=2025-07-01", headers=auditor).json()
    assert after["status"] == "withdrawn"
    assert backfilled.get("/clusters/enter?on=2025-07-01").json()["status"] == "withdrawn"


def test_a_day_before_anything_of_the_cluster_took_effect_says_not_yet_registered(
    backfilled: TestClient, auditor: dict[str, str]
) -> None:
    replayed = backfilled.get("/clusters/enter/status?as_of=2024-06-01", headers=auditor).json()
    assert (replayed["status"], replayed["name"]) == ("not-registered", "Enter")
    assert replayed["registered_on"] is not None
    public = backfilled.get("/clusters/enter?on=2024-06-01")
    assert public.status_code == 404
    assert public.json()["type"] == "/problems/not-yet-registered"
    assert "2024-06-01" in public.json()["detail"]
    assert "enter" not in {v["slug"] for v in backfilled.get("/clusters?on=2024-06-01").json()}


def test_known_at_before_the_cluster_was_recorded_is_a_clear_not_found(
    backfilled: TestClient, auditor: dict[str, str]
) -> None:
    answer = backfilled.get("/clusters/enter/status?as_of=2025-03-01&known_at=1", headers=auditor)
    assert answer.status_code == 404
    assert "was recorded by position 1" in answer.json()["detail"]


def test_the_summary_report_on_a_day_counts_only_what_was_in_force_that_day(
    client: TestClient, admin: dict[str, str]
) -> None:
    labelled(client, admin)  # aerospace-valley granted stage 5 from 27 March 2023
    before = client.get("/reports/summary?on=2023-03-01").json()
    after = client.get("/reports/summary?on=2023-04-01").json()
    assert before["as_of"] == "2023-03-01"
    assert before["statuses"].get("labelled", 0) == 0
    assert after["statuses"]["labelled"] == 1
    rows = list(csv.DictReader(io.StringIO(client.get("/reports/summary.csv?on=2023-03-01").text)))
    labelled_rows = [r for r in rows if (r["section"], r["key"]) == ("status", "labelled")]
    assert [r["value"] for r in labelled_rows] in ([], ["0"])


def test_stages_and_clusters_answer_for_a_day_as_known_at_a_position(
    client: TestClient, admin: dict[str, str], ledger: Any
) -> None:
    labelled(client, admin)
    before_grant = ledger.last_position() - 1
    stage = client.get(f"/stages/5?on=2024-01-01&known_at={before_grant}").json()
    assert stage["granted"] == []
    assert [e["slug"] for e in client.get("/stages/5?on=2024-01-01").json()["granted"]] == [
        "aerospace-valley"
    ]
    only_stated = client.get("/clusters?on=2024-01-01&evidence=stated").json()
    assert {v["slug"] for v in only_stated} == {"aerospace-valley", "polymeris"}


@pytest.mark.parametrize(
    ("path", "unknown"),
    [
        ("/clusters?onn=2020-01-01", "onn"),
        ("/clusters/aerospace-valley?as_of=2020-01-01", "as_of"),
        ("/reports/summary?date=2020-01-01", "date"),
        ("/stages/5?on=2020-01-01&knownat=3", "knownat"),
    ],
)
def test_an_unknown_query_parameter_is_a_422_naming_it(
    client: TestClient, admin: dict[str, str], path: str, unknown: str
) -> None:
    labelled(client, admin)
    answer = client.get(path)
    assert answer.status_code == 422
    problem = answer.json()
    assert unknown in problem["detail"]
    assert [e["pointer"] for e in problem["errors"]] == [f"query:{unknown}"]


@pytest.mark.parametrize("region", ["occitanie", "OCCITANIE", "Occitanie"])
def test_regions_match_whatever_the_case(
    client: TestClient, admin: dict[str, str], region: str
) -> None:
    labelled(client, admin)
    assert len(client.get(f"/clusters?region={region}").json()) == 2


def test_themes_match_without_their_accents(client: TestClient, admin: dict[str, str]) -> None:
    labelled(client, admin)
    assert len(client.get("/clusters?theme=aeronautique").json()) == 2
    assert client.get("/clusters?theme=agriculture").json() == []


def test_regions_and_themes_list_what_a_filter_accepts(
    client: TestClient, admin: dict[str, str]
) -> None:
    labelled(client, admin)
    regions = {n["name"]: n for n in client.get("/regions").json()["names"]}
    assert regions["Occitanie"]["clusters"] == 2
    themes = client.get("/themes").json()
    assert "aéronautique" in {n["name"] for n in themes["names"]}
    assert themes["note"]  # the grouping is editorial, and says so


def test_an_unknown_slug_suggests_the_nearest(client: TestClient, admin: dict[str, str]) -> None:
    labelled(client, admin)
    answer = client.get("/clusters/aerospace-valey")
    assert answer.status_code == 404
    assert "did you mean aerospace-valley" in answer.json()["detail"]


def test_histories_and_the_feed_carry_each_fact_s_evidence_grade(
    client: TestClient, admin: dict[str, str], auditor: dict[str, str]
) -> None:
    post(client, "/stages", STAGE_5, admin)
    post(client, "/clusters", registration("infr-2050"), admin)
    post(client, "/clusters/infr-2050/label-grants", {**GRANT_5, "evidence": "weak"}, admin)
    history = client.get("/clusters/infr-2050/history", headers=auditor).json()["events"]
    assert [item["evidence"] for item in history] == [None, "weak"]
    replayed = client.get("/clusters/infr-2050/status?as_of=2024-01-01", headers=auditor).json()
    assert [entry["evidence"] for entry in replayed["history"]] == [None, "weak"]
    feed = client.get("/events", headers=auditor).json()["events"]
    assert feed[-1]["evidence"] == "weak"
    stated = client.get("/clusters?on=2024-01-01&evidence=stated").json()
    assert [(v["slug"], v["status"]) for v in stated] == [("infr-2050", "unlabelled")]
