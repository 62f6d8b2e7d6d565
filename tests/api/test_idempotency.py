"""Idempotency-Key: one key, one append; the first response comes again, even after a restart."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from domain.values import cluster_id
from infrastructure.composition import open_ledger
from infrastructure.ledger import Ledger
from tests.api.http_builders import EXTENSION, MEMBERSHIP, bearer, labelled, registration
from tests.builders import issue

REPORT = "/clusters/aerospace-valley/membership-reports"


@pytest.fixture
def setup(client: TestClient, admin: dict[str, str]) -> TestClient:
    labelled(client, admin)
    return client


def keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


def test_the_same_key_and_body_answer_the_first_response_and_append_nothing(
    setup: TestClient, ledger: Ledger, admin: dict[str, str]
) -> None:
    first = setup.post(REPORT, json=MEMBERSHIP, headers=keyed(admin, "report-2023"))
    after_first = ledger.last_position()
    again = setup.post(REPORT, json=MEMBERSHIP, headers=keyed(admin, "report-2023"))
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["idempotent-replayed"] == "true"
    assert ledger.last_position() == after_first


def test_the_key_is_recorded_in_the_event(
    setup: TestClient, ledger: Ledger, admin: dict[str, str]
) -> None:
    setup.post(REPORT, json=MEMBERSHIP, headers=keyed(admin, "report-2023"))
    event = ledger.positioned_events(cluster_id("aerospace-valley"))[-1].event
    assert event.idempotency_key == "report-2023"


def test_the_replay_survives_a_restart_of_the_app_on_the_same_store(
    setup: TestClient, store_url: str, admin: dict[str, str]
) -> None:
    first = setup.post(REPORT, json=MEMBERSHIP, headers=keyed(admin, "report-2023"))
    reopened = open_ledger(store_url)
    try:
        with TestClient(create_app(reopened)) as restarted:
            again = restarted.post(REPORT, json=MEMBERSHIP, headers=keyed(admin, "report-2023"))
        assert again.json() == first.json()
        assert reopened.last_position() == first.json()["position"]
    finally:
        reopened.close()


def test_a_replay_of_a_refused_write_still_answers_the_first_success(
    setup: TestClient, admin: dict[str, str]
) -> None:
    """Replaying a grant must not meet the label-already-granted rule its first run created."""
    grant = {**_grant_polymeris()}
    first = setup.post("/clusters/polymeris/label-grants", json=grant, headers=keyed(admin, "g"))
    again = setup.post("/clusters/polymeris/label-grants", json=grant, headers=keyed(admin, "g"))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()


def _grant_polymeris() -> dict[str, Any]:
    return {
        "stage": 5,
        "decided_on": "2023-03-27",
        "decided_by": "Prime Minister",
        "effective_from": "2023-03-27",
    }


def test_the_same_key_with_another_body_is_a_422_and_appends_nothing(
    setup: TestClient, ledger: Ledger, admin: dict[str, str]
) -> None:
    setup.post(REPORT, json=MEMBERSHIP, headers=keyed(admin, "report-2023"))
    before = ledger.last_position()
    other = {**MEMBERSHIP, "private_funding_share": 0.7}
    response = setup.post(REPORT, json=other, headers=keyed(admin, "report-2023"))
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/idempotency-key-reused"
    assert ledger.last_position() == before


def test_the_same_key_on_another_endpoint_is_a_422(
    setup: TestClient, admin: dict[str, str]
) -> None:
    setup.post(REPORT, json=MEMBERSHIP, headers=keyed(admin, "k-1"))
    response = setup.post(
        "/clusters/aerospace-valley/label-extensions", json=EXTENSION, headers=keyed(admin, "k-1")
    )
    assert response.json()["type"] == "/problems/idempotency-key-reused"


def test_the_fingerprint_ignores_key_order_and_spacing(
    setup: TestClient, admin: dict[str, str]
) -> None:
    first = setup.post(REPORT, json=MEMBERSHIP, headers=keyed(admin, "k-2"))
    reordered = dict(reversed(list(MEMBERSHIP.items())))
    again = setup.post(REPORT, json=reordered, headers=keyed(admin, "k-2"))
    assert again.json() == first.json()


def test_keys_belong_to_their_token(
    setup: TestClient, ledger: Ledger, admin: dict[str, str]
) -> None:
    issued_secret = issue(ledger, "region", "admin")
    region = bearer(issued_secret)
    first = setup.post(REPORT, json=MEMBERSHIP, headers=keyed(admin, "shared"))
    second = setup.post(REPORT, json=MEMBERSHIP, headers=keyed(region, "shared"))
    assert second.status_code == 201
    assert second.json()["position"] == first.json()["position"] + 1


def test_a_quoted_key_is_the_same_key(setup: TestClient, admin: dict[str, str]) -> None:
    first = setup.post(REPORT, json=MEMBERSHIP, headers=keyed(admin, '"k-3"'))
    again = setup.post(REPORT, json=MEMBERSHIP, headers=keyed(admin, "k-3"))
    assert again.json() == first.json()


@pytest.mark.parametrize("key", [b"", b"with space", b"x" * 256, "é".encode()])
def test_a_malformed_key_is_a_400(setup: TestClient, admin: dict[str, str], key: bytes) -> None:
    headers: dict[str, Any] = {**admin, "Idempotency-Key": key}
    response = setup.post(REPORT, json=MEMBERSHIP, headers=headers)
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/malformed-header"


def test_concurrent_duplicates_append_once_and_all_get_the_first_response(
    setup: TestClient, app: Any, ledger: Ledger, admin: dict[str, str]
) -> None:
    before = ledger.last_position()
    answers: list[Any] = []
    start = threading.Barrier(6)

    def send() -> None:
        with TestClient(app) as own:
            start.wait()
            answers.append(own.post(REPORT, json=MEMBERSHIP, headers=keyed(admin, "race")))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ledger.last_position() == before + 1
    assert {a.status_code for a in answers} == {201}
    assert len({a.content for a in answers}) == 1


# --- what a key keeps: the ledger's decision, refusals included (as Stripe does) -----

GRANT_POLYMERIS = "/clusters/polymeris/label-grants"
EXTEND_POLYMERIS = "/clusters/polymeris/label-extensions"


def test_a_rule_refusal_is_kept_for_its_key_even_once_the_rule_would_pass(
    setup: TestClient, ledger: Ledger, admin: dict[str, str]
) -> None:
    """The key's first answer (409: polymeris holds no label to extend) comes again, marked
    replayed, after a grant made the extension possible; a new key then records it."""
    first = setup.post(EXTEND_POLYMERIS, json=EXTENSION, headers=keyed(admin, "ext"))
    assert first.status_code == 409
    assert "idempotent-replayed" not in first.headers
    setup.post(GRANT_POLYMERIS, json=_grant_polymeris(), headers=admin)
    before = ledger.last_position()
    again = setup.post(EXTEND_POLYMERIS, json=EXTENSION, headers=keyed(admin, "ext"))
    assert (again.status_code, again.json()) == (409, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert ledger.last_position() == before
    fresh = setup.post(EXTEND_POLYMERIS, json=EXTENSION, headers=keyed(admin, "ext-2"))
    assert fresh.status_code == 201


def test_a_not_found_refusal_is_kept_for_its_key(
    setup: TestClient, admin: dict[str, str]
) -> None:
    path = "/clusters/systematic/label-grants"
    first = setup.post(path, json=_grant_polymeris(), headers=keyed(admin, "sys"))
    assert first.status_code == 404
    post_registration = setup.post("/clusters", json=registration("systematic"), headers=admin)
    assert post_registration.status_code == 201
    again = setup.post(path, json=_grant_polymeris(), headers=keyed(admin, "sys"))
    assert (again.status_code, again.json()) == (404, first.json())
    assert again.headers["idempotent-replayed"] == "true"


def test_a_kept_refusal_answers_another_body_with_the_key_reused_problem(
    setup: TestClient, admin: dict[str, str]
) -> None:
    setup.post(EXTEND_POLYMERIS, json=EXTENSION, headers=keyed(admin, "ext"))
    other = {**EXTENSION, "reason": "another reason"}
    response = setup.post(EXTEND_POLYMERIS, json=other, headers=keyed(admin, "ext"))
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/idempotency-key-reused"


def test_an_invalid_body_is_not_kept_so_the_key_records_the_corrected_body(
    setup: TestClient, ledger: Ledger, admin: dict[str, str]
) -> None:
    invalid = {**MEMBERSHIP, "private_funding_share": 7}
    refused = setup.post(REPORT, json=invalid, headers=keyed(admin, "fixed"))
    assert refused.status_code == 422
    assert refused.json()["type"] == "/problems/invalid-body"
    before = ledger.last_position()
    recorded = setup.post(REPORT, json=MEMBERSHIP, headers=keyed(admin, "fixed"))
    assert recorded.status_code == 201
    assert "idempotent-replayed" not in recorded.headers
    assert recorded.json()["position"] == before + 1


def test_a_stale_if_match_is_not_kept_so_the_key_records_the_fresh_attempt(
    setup: TestClient, admin: dict[str, str]
) -> None:
    stale = setup.post(REPORT, json=MEMBERSHIP, headers={**keyed(admin, "m"), "If-Match": '"1"'})
    assert stale.status_code == 412
    fresh = setup.post(REPORT, json=MEMBERSHIP, headers={**keyed(admin, "m"), "If-Match": '"2"'})
    assert fresh.status_code == 201
