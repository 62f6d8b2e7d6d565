"""Reads: public status and reports, auditor histories; every write is visible on the next read."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from infrastructure.ledger import Ledger
from tests.api.http_builders import (
    EXTENSION,
    REVIEW,
    WITHDRAWAL,
    labelled,
    post,
    registration,
)


@pytest.fixture
def setup(client: TestClient, admin: dict[str, str]) -> TestClient:
    labelled(client, admin)
    return client


def test_a_grant_is_visible_on_the_next_read_of_the_cluster(
    client: TestClient, admin: dict[str, str]
) -> None:
    labelled(client, admin)
    cluster = client.get("/clusters/aerospace-valley").json()
    assert (cluster["status"], cluster["stage"]) == ("labelled", 5)
    assert cluster["label_event_id"] == "cluster:aerospace-valley@2"


def test_a_withdrawal_is_visible_on_the_next_read(
    setup: TestClient, admin: dict[str, str]
) -> None:
    post(setup, "/clusters/aerospace-valley/label-withdrawals", WITHDRAWAL, admin)
    history = setup.get("/clusters/aerospace-valley/status?as_of=2024-08-01", headers=admin)
    assert history.json()["status"] == "withdrawn"
    stage = setup.get("/stages/5").json()
    assert [e["slug"] for e in stage["withdrawn"]] == ["aerospace-valley"]


def test_the_cluster_etag_is_its_version_and_works_as_if_match(
    setup: TestClient, admin: dict[str, str]
) -> None:
    read = setup.get("/clusters/aerospace-valley")
    assert read.headers["etag"] == f'"{read.json()["version"]}"'
    write = setup.post(
        "/clusters/aerospace-valley/label-extensions",
        json=EXTENSION,
        headers={**admin, "If-Match": read.headers["etag"]},
    )
    assert write.status_code == 201
    assert setup.get("/clusters/aerospace-valley").headers["etag"] == write.headers["etag"]


def test_clusters_are_listed_with_their_status_and_filtered(
    setup: TestClient, admin: dict[str, str]
) -> None:
    post(setup, "/clusters", {**registration("minalogic"), "regions": ["Auvergne-Rhône-Alpes"]},
         admin)
    everyone = setup.get("/clusters").json()
    assert [c["slug"] for c in everyone] == ["aerospace-valley", "minalogic", "polymeris"]
    labelled_ = setup.get("/clusters?status=labelled").json()
    assert [c["slug"] for c in labelled_] == ["aerospace-valley"]
    occitanie = setup.get("/clusters", params={"region": "Occitanie"}).json()
    assert [c["slug"] for c in occitanie] == ["aerospace-valley", "polymeris"]
    by_theme = setup.get("/clusters", params={"theme": "espace", "stage": 5}).json()
    assert [c["slug"] for c in by_theme] == ["aerospace-valley"]


def test_an_unknown_status_filter_is_a_422(setup: TestClient) -> None:
    response = setup.get("/clusters?status=sleeping")
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "query:status"


def test_an_unknown_cluster_or_stage_read_is_a_404(setup: TestClient) -> None:
    assert setup.get("/clusters/systematic").status_code == 404
    assert setup.get("/clusters/NOT%20A%20SLUG").status_code == 404
    assert setup.get("/stages/9").status_code == 404
    assert setup.get("/stages/5000").status_code == 404


def test_stages_are_listed_and_their_history_read(setup: TestClient) -> None:
    stages = setup.get("/stages").json()
    assert [(s["number"], s["granted"]) for s in stages] == [(5, 1)]
    stage = setup.get("/stages/5")
    assert stage.headers["etag"] == '"1"'
    assert [e["slug"] for e in stage.json()["granted"]] == ["aerospace-valley"]


def test_the_summary_report_reads_in_json_and_csv(setup: TestClient) -> None:
    summary = setup.get("/reports/summary").json()
    assert summary["statuses"]["labelled"] == 1
    response = setup.get("/reports/summary.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["section", "key", "metric", "value"]
    assert ["status", "labelled", "clusters", "1"] in rows


def test_the_history_lists_every_event_with_its_provenance(
    setup: TestClient, auditor: dict[str, str]
) -> None:
    response = setup.get("/clusters/aerospace-valley/history", headers=auditor)
    history = response.json()
    assert response.headers["etag"] == '"2"'
    assert [e["type"] for e in history["events"]] == ["ClusterRegistered", "LabelGranted"]
    grant = history["events"][1]
    assert (grant["actor"], grant["version"], grant["effective_on"]) == ("dge", 2, "2023-03-27")
    assert grant["source"] == "https://www.entreprises.gouv.fr/poles-phase-5"
    assert grant["data"]["decided_by"] == "Prime Minister"


def test_the_status_replays_what_the_ledger_knew_at_a_position(
    setup: TestClient, ledger: Ledger, admin: dict[str, str], auditor: dict[str, str]
) -> None:
    before_withdrawal = ledger.last_position()
    post(setup, "/clusters/aerospace-valley/label-withdrawals", WITHDRAWAL, admin)
    then = setup.get(
        f"/clusters/aerospace-valley/status?as_of=2024-08-01&known_at={before_withdrawal}",
        headers=auditor,
    ).json()
    now = setup.get("/clusters/aerospace-valley/status?as_of=2024-08-01", headers=auditor).json()
    assert (then["status"], now["status"]) == ("labelled", "withdrawn")
    assert then["revised_later"] is True


def test_compliance_checks_each_grant_of_the_stage(
    setup: TestClient, admin: dict[str, str], auditor: dict[str, str]
) -> None:
    post(setup, "/clusters/aerospace-valley/criteria-reviews", REVIEW, admin)
    response = setup.get("/compliance/5", headers=auditor)
    assert response.status_code == 200
    assert response.json()["grants_checked"] == 1
    assert setup.get("/compliance/9", headers=auditor).status_code == 404


def test_health_reports_the_ledger_position(setup: TestClient, ledger: Ledger) -> None:
    assert setup.get("/healthz").json() == {
        "status": "ok",
        "version": setup.app.version,  # type: ignore[attr-defined]
        "position": ledger.last_position(),
        "store": "reachable",
        "integrity": None,
    }
