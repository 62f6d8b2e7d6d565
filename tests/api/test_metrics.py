"""``GET /metrics``: what the server did, counted; what the ledger is, read when scraped
(both stores)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.http.app import create_app
from infrastructure.ledger import Ledger
from infrastructure.tamper import SigningKey, make_checkpoint
from tests.api.http_builders import registration

KEY = SigningKey.generate("label-ledger.test/metrics")
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def requests(samples: Samples, method: str, route: str, status: int) -> float | None:
    return value(
        samples,
        "label_ledger_http_requests_total",
        method=method,
        route=route,
        status=str(status),
    )


def test_requests_are_counted_by_route_template_and_status(
    client: TestClient, admin: dict[str, str]
) -> None:
    for slug in ("polymeris", "aerospace-valley"):
        assert client.post("/clusters", json=registration(slug), headers=admin).status_code == 201
    assert (
        client.post("/clusters", json=registration("polymeris"), headers=admin).status_code == 409
    )
    assert client.post("/clusters", json=registration("x-y")).status_code == 401
    for slug in ("polymeris", "polymeris", "aerospace-valley"):
        assert client.get(f"/clusters/{slug}").status_code == 200  # some kept, some routed
    assert client.get("/clusters/nowhere").status_code == 404
    assert client.get("/no/such/page/42").status_code == 404
    assert client.get("/no/such/page/43").status_code == 404

    samples = scrape(client)
    assert requests(samples, "POST", "/clusters", 201) == 2
    assert requests(samples, "POST", "/clusters", 409) == 1
    assert requests(samples, "POST", "/clusters", 401) == 1
    assert requests(samples, "GET", "/clusters/{slug}", 200) == 3
    assert requests(samples, "GET", "/clusters/{slug}", 404) == 1
    assert requests(samples, "GET", "unmatched", 404) == 2
    routes = {dict(labels)["route"] for name, labels in samples if name.endswith("_total")}
    assert not any(route.startswith("/no/") or "polymeris" in route for route in routes)


def test_the_latency_of_every_command_the_ledger_decided_is_measured(
    client: TestClient, admin: dict[str, str]
) -> None:
    assert (
        client.post("/clusters", json=registration("polymeris"), headers=admin).status_code == 201
    )
    assert (
        client.post("/clusters", json=registration("polymeris"), headers=admin).status_code == 409
    )
    assert client.post("/clusters", json=registration("nope")).status_code == 401  # not decided

    samples = scrape(client)
    count = "label_ledger_command_duration_seconds_count"
    assert value(samples, count, command="RegisterCluster") == 2
    assert value(samples, "label_ledger_command_duration_seconds_sum", command="RegisterCluster")
    assert (
        value(
            samples,
            "label_ledger_command_duration_seconds_bucket",
            command="RegisterCluster",
            le="+Inf",
        )
        == 2
    )


def test_the_ledger_position_and_the_read_models_lag(
    client: TestClient, ledger: Ledger, admin: dict[str, str]
) -> None:
    for slug in ("polymeris", "aerospace-valley", "systematic"):
        client.post("/clusters", json=registration(slug), headers=admin)
    samples = scrape(client)
    assert value(samples, "label_ledger_store_up") == 1
    assert value(samples, "label_ledger_position") == ledger.last_position() == 4  # token + 3
    assert value(samples, "label_ledger_read_model_lag") == 0


def test_group_commit_batch_sizes_add_up_to_the_commands_sent(
    ledger: Ledger, admin: dict[str, str]
) -> None:
    ledger.enable_group_commit()
    with TestClient(create_app(ledger)) as client:
        slugs = [f"cluster-{n}" for n in range(24)]
        with ThreadPoolExecutor(8) as pool:
            statuses = list(
                pool.map(
                    lambda slug: (
                        client.post("/clusters", json=registration(slug), headers=admin).status_code
                    ),
                    slugs,
                )
            )
        assert statuses == [201] * 24
        samples = scrape(client)
    name = "label_ledger_group_commit_batch_size"
    batches = value(samples, f"{name}_count")
    assert batches is not None
    assert 1 <= batches <= 24
    assert value(samples, f"{name}_sum") == 24
    assert value(samples, f"{name}_bucket", le="+Inf") == batches
    assert value(samples, f"{name}_bucket", le="256") == batches


def test_without_group_commit_no_batch_is_counted(
    client: TestClient, admin: dict[str, str]
) -> None:
    client.post("/clusters", json=registration("polymeris"), headers=admin)
    samples = scrape(client)
    assert value(samples, "label_ledger_group_commit_batch_size_count") == 0


def test_the_latest_checkpoint_age_appears_once_one_is_signed(
    client: TestClient, ledger: Ledger
) -> None:
    assert value(scrape(client), "label_ledger_checkpoint_age_seconds") is None
    make_checkpoint(ledger, KEY)
    age = value(scrape(client), "label_ledger_checkpoint_age_seconds")
    assert age is not None
    assert 0 <= age < 600


def test_the_last_verification_result(client: TestClient, auditor: dict[str, str]) -> None:
    before = scrape(client)
    assert value(before, "label_ledger_verification_ok") == -1
    assert value(before, "label_ledger_verification_finished_timestamp_seconds") is None
    report = client.get("/ledger/verification", headers=auditor).json()
    assert report["ok"] is True
    after = scrape(client)
    assert value(after, "label_ledger_verification_ok") == 1
    assert value(after, "label_ledger_verification_finished_timestamp_seconds")


def test_metrics_are_counted_per_application(ledger: Ledger) -> None:
    with TestClient(create_app(ledger)) as first, TestClient(create_app(ledger)) as second:
        first.get("/healthz")
        first.get("/healthz")
        second.get("/healthz")
        assert requests(scrape(first), "GET", "/healthz", 200) == 2
        assert requests(scrape(second), "GET", "/healthz", 200) == 1


def test_metrics_refuse_unknown_parameters_like_every_route(client: TestClient) -> None:
    response = client.get("/metrics?format=json")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["pointer"] == "query:format"


def test_metrics_are_described_as_text_in_the_openapi_document(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/metrics"]["get"]
    assert "text/plain" in operation["responses"]["200"]["content"]


@pytest.mark.parametrize("method", ["BREW", "PROPFIND"])
def test_unknown_methods_share_one_label(client: TestClient, method: str) -> None:
    client.request(method, "/clusters")
    samples = scrape(client)
    methods = {dict(labels).get("method") for name, labels in samples if name.endswith("_total")}
    assert method not in methods
    assert "other" in methods
