"""The global feed: the whole ledger in order, page by page, without gaps or repeats."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from infrastructure.history.seeding import seed_history
from infrastructure.ledger import Ledger

LINK = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


@pytest.fixture
def seeded(ledger: Ledger, auditor: dict[str, str]) -> Ledger:
    seed_history(ledger)
    return ledger


def test_paging_through_the_seeded_ledger_yields_every_position_once_in_order(
    seeded: Ledger, client: TestClient, auditor: dict[str, str]
) -> None:
    positions: list[int] = []
    url: str | None = "/events?limit=97"
    while url is not None:
        response = client.get(url, headers=auditor)
        assert response.status_code == 200
        page = response.json()
        positions += [event["position"] for event in page["events"]]
        link = response.headers.get("link")
        if page["next"] is None:
            assert link is None
            url = None
        else:
            assert link is not None
            found = LINK.match(link)
            assert found is not None
            url = found["url"]
            assert f"after={page['next']}" in url
    assert positions == list(range(1, seeded.last_position() + 1))
    assert len(positions) > 400


def test_each_item_carries_its_leaf_inputs_and_data(
    client: TestClient, admin: dict[str, str], auditor: dict[str, str]
) -> None:
    item = client.get("/events?after=1&limit=1", headers=auditor).json()["events"][0]
    assert item["position"] == 2
    assert set(item) == {
        "event_id", "position", "aggregate_id", "version", "type", "topic",
        "recorded_at", "effective_on", "actor", "idempotency_key", "source", "evidence",
        "payload_sha256", "payload", "data",
    }
    assert item["topic"] == "label-ledger/TokenIssued/v1"
    assert "originator_id" not in item["data"]


def test_after_the_last_position_the_page_is_empty_and_final(
    ledger: Ledger, client: TestClient, auditor: dict[str, str]
) -> None:
    response = client.get(f"/events?after={ledger.last_position()}", headers=auditor)
    assert response.json() == {"events": [], "next": None}
    assert "link" not in response.headers


def test_a_page_holds_at_most_10000_events(client: TestClient, auditor: dict[str, str]) -> None:
    assert client.get("/events?limit=10000", headers=auditor).status_code == 200
    assert client.get("/events?limit=10001", headers=auditor).status_code == 422


def test_a_full_last_page_says_there_is_no_next(
    client: TestClient, admin: dict[str, str], auditor: dict[str, str]
) -> None:
    """Two events (the tokens' own): a page of two is the whole ledger."""
    page = client.get("/events?limit=1", headers=auditor).json()
    assert page["next"] == 1
    page = client.get("/events?limit=2&after=0", headers=auditor).json()
    assert page["next"] is None


def test_token_hashes_are_in_no_response_an_auditor_reads(
    ledger: Ledger, client: TestClient, auditor: dict[str, str]
) -> None:
    ledger.refresh_tokens()
    hashes = [token.token_hash for token in ledger.tokens.tokens()]
    assert hashes
    bodies = [
        client.get("/events?limit=10000", headers=auditor).content,
        client.get("/events/stream", headers=auditor).content,
    ]
    for body in bodies:
        for token_hash in hashes:
            assert token_hash.encode() not in body


def test_a_redacted_item_still_gives_its_leaf(
    ledger: Ledger, client: TestClient, auditor: dict[str, str]
) -> None:
    import msgspec

    from infrastructure.tamper import inclusion_proof_at
    from infrastructure.tamper.leaf import LeafInputs, leaf_hash_of_inputs

    item = client.get("/events?limit=1", headers=auditor).json()["events"][0]
    assert item["topic"] == "label-ledger/TokenIssued/v1"
    assert item["payload"] is None
    assert set(item["data"]) == {"name", "role", "expires_at"}
    inputs = msgspec.convert(
        {k: item[k] for k in LeafInputs.__struct_fields__}, LeafInputs, strict=False
    )
    assert leaf_hash_of_inputs(inputs).hex() == inclusion_proof_at(ledger, 1).leaf_hash


def test_the_stream_serves_the_pages_leaf_inputs_as_ndjson(
    seeded: Ledger, client: TestClient, auditor: dict[str, str]
) -> None:
    import msgspec

    from infrastructure.tamper.leaf import LeafInputs

    page = client.get("/events?after=10&limit=50", headers=auditor).json()["events"]
    response = client.get("/events/stream?after=10&upto=60", headers=auditor)
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.headers["x-ledger-upto"] == "60"
    lines = msgspec.json.Decoder(LeafInputs).decode_lines(response.content)
    assert [line.position for line in lines] == list(range(11, 61))
    fields = LeafInputs.__struct_fields__
    as_served = [msgspec.json.decode(msgspec.json.encode(line)) for line in lines]
    assert as_served == [{k: item[k] for k in fields} for item in page]
    one = client.get("/events/stream?aggregate=cluster:polymeris", headers=auditor).content
    assert {line.aggregate_id for line in msgspec.json.Decoder(LeafInputs).decode_lines(one)} == {
        "cluster:polymeris"
    }
