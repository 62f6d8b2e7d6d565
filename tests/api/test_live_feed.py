"""The live feed (``GET /events/live``, Server-Sent Events) on both stores: every event of
a concurrent load reaches every subscriber once, in order; a subscriber resumes after a
disconnect without gaps; streams end with the token that opened them and with the server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from domain.commands import Context, RevokeToken
from infrastructure.access.tokens import hash_secret
from infrastructure.composition import open_ledger
from infrastructure.ledger import Ledger
from tests.api.http_builders import bearer, registration
from tests.api.live_server import LiveServer
from tests.api.sse import Message, ServedApp, messages
from tests.builders import issue, rotate

WRITERS = 3
WRITES_EACH = 50  # 150 events: more than a page (100) of the feed
LIVE = "/events/live"
GIVE_UP_SECONDS = 120


@pytest.fixture
def tokens(ledger: Ledger) -> dict[str, str]:
    admin = issue(ledger, "dge", "admin")
    return {"admin": admin, "auditor": issue(ledger, "warehouse", "auditor")}


@pytest.fixture
def served(ledger: Ledger, tokens: dict[str, str]) -> Iterator[ServedApp]:
    ledger.enable_group_commit()  # as serve does: concurrent writes share transactions
    app = create_app(ledger)
    app.state.live_feed.heartbeat_seconds = 0.5
    server = ServedApp(app)
    yield server
    server.stop()


def subscribe(
    served: ServedApp,
    secret: str,
    until: Callable[[list[Message]], bool],
    *,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    on_first: Callable[[], None] | None = None,
    path: str = LIVE,
) -> list[Message]:
    """Reads the stream until ``until`` holds of the events read, then disconnects."""
    received: list[Message] = []
    # Only bounds a broken stream, which heartbeats would otherwise keep open for ever.
    deadline = time.monotonic() + GIVE_UP_SECONDS
    with (
        httpx.Client(base_url=served.base_url, timeout=30) as http,
        http.stream(
            "GET", path, params=params, headers={**bearer(secret), **(headers or {})}
        ) as response,
    ):
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for message in messages(response):
            assert time.monotonic() < deadline, f"still streaming after {len(received)} events"
            if message.data is None:
                continue
            received.append(message)
            if len(received) == 1 and on_first is not None:
                on_first()
            if until(received):
                break
    return received


def reaches(position: int) -> Callable[[list[Message]], bool]:
    return lambda received: received[-1].position >= position


def write_registrations(served: ServedApp, admin: str, prefix: str, count: int) -> None:
    with served.client() as http:
        for index in range(count):
            body = registration(f"{prefix}-{index}")
            response = http.post("/clusters", json=body, headers=bearer(admin))
            assert response.status_code == 201, response.text


def every_item(served: ServedApp, auditor: str) -> list[dict[str, Any]]:
    with served.client() as http:
        page = http.get("/events", params={"limit": 10000}, headers=bearer(auditor)).json()
    items: list[dict[str, Any]] = page["events"]
    return items


def test_several_subscribers_get_every_event_of_a_concurrent_load_once_in_order(
    served: ServedApp, ledger: Ledger, tokens: dict[str, str]
) -> None:
    start = ledger.last_position()
    end = start + WRITERS * WRITES_EACH
    pause = threading.Event()
    with ThreadPoolExecutor(max_workers=WRITERS + 4) as pool:
        subscribers = [
            pool.submit(subscribe, served, tokens["auditor"], reaches(end)),
            pool.submit(subscribe, served, tokens["admin"], reaches(end)),
            # A slow reader: it stops reading for a while after its first event.
            pool.submit(
                subscribe, served, tokens["auditor"], reaches(end), on_first=lambda: pause.wait(1)
            ),
        ]
        writers = [
            pool.submit(write_registrations, served, tokens["admin"], f"pole-{w}", WRITES_EACH)
            for w in range(WRITERS)
        ]
        # One more joins while the writes go on, from the start of the ledger.
        late = pool.submit(subscribe, served, tokens["auditor"], reaches(end))
        for writer in writers:
            writer.result(timeout=120)
        received = [s.result(timeout=120) for s in [*subscribers, late]]
    expected = every_item(served, tokens["auditor"])
    assert [item["position"] for item in expected] == list(range(1, end + 1))
    for messages_ in received:
        assert [m.position for m in messages_] == list(range(1, end + 1))
        assert [m.item() for m in messages_] == expected


def test_the_stream_asked_for_server_sent_events_is_the_live_feed(
    served: ServedApp, ledger: Ledger, tokens: dict[str, str]
) -> None:
    """``/events/stream`` answers an EventSource (``Accept: text/event-stream``) with the
    live feed, and anything else with the NDJSON of the audit client."""
    write_registrations(served, tokens["admin"], "pole", 3)
    end = ledger.last_position()
    sse = {"Accept": "text/event-stream"}
    received = subscribe(
        served, tokens["auditor"], reaches(end), path="/events/stream", headers=sse
    )
    assert [m.item() for m in received] == every_item(served, tokens["auditor"])
    with served.client() as http:
        ndjson = http.get("/events/stream", headers=bearer(tokens["auditor"]))
        assert ndjson.headers["content-type"].startswith("application/x-ndjson")
        assert len(ndjson.text.splitlines()) == end
        bounded = http.get(
            "/events/stream", params={"upto": 2}, headers={**bearer(tokens["auditor"]), **sse}
        )
        assert bounded.status_code == 422
        assert [e["pointer"] for e in bounded.json()["errors"]] == ["query:upto"]


def test_a_subscriber_resumes_after_a_disconnect_without_gaps_or_repeats(
    served: ServedApp, ledger: Ledger, tokens: dict[str, str]
) -> None:
    end = ledger.last_position() + 120
    with ThreadPoolExecutor(max_workers=1) as pool:
        writing = pool.submit(write_registrations, served, tokens["admin"], "pole", 120)
        first = subscribe(served, tokens["auditor"], lambda r: len(r) >= 30)
        # Reconnecting as an EventSource does: Last-Event-ID wins over the query's 'after'.
        rest = subscribe(
            served,
            tokens["auditor"],
            reaches(end),
            params={"after": 0},
            headers={"Last-Event-ID": first[-1].id or ""},
        )
        writing.result(timeout=120)
    assert [m.position for m in first + rest] == list(range(1, end + 1))


def test_an_idle_stream_is_kept_alive_by_heartbeat_comments(
    served: ServedApp, ledger: Ledger, tokens: dict[str, str]
) -> None:
    comments = []
    with (
        served.client() as http,
        http.stream(
            "GET", LIVE, params={"after": ledger.last_position()}, headers=bearer(tokens["auditor"])
        ) as response,
    ):
        for message in messages(response):
            assert message.data is None  # nothing was recorded
            comments.append(message.comment)
            if len(comments) == 2:
                break
    assert comments == ["keep-alive", "keep-alive"]


def test_a_token_revoked_by_another_process_ends_its_stream(
    served: ServedApp, store_url: str, tokens: dict[str, str]
) -> None:
    def revoke() -> None:
        cli = open_ledger(store_url)
        try:
            cli.execute(RevokeToken(name="warehouse"), Context(actor="cli:test"))
        finally:
            cli.close()

    received = subscribe(served, tokens["auditor"], lambda _: False, on_first=revoke)
    assert received  # the stream ended by itself, after what was recorded before
    with served.client() as http:
        assert http.get(LIVE, headers=bearer(tokens["auditor"])).status_code == 401


def test_token_hashes_are_not_in_the_live_feed(
    served: ServedApp, ledger: Ledger, tokens: dict[str, str]
) -> None:
    rotated = rotate(ledger, "dge")
    hashes = [hash_secret(secret) for secret in (*tokens.values(), rotated)]
    received = subscribe(served, tokens["auditor"], reaches(ledger.last_position()))
    token_items = [m.item() for m in received if m.item()["aggregate_id"].startswith("token:")]
    assert [item["type"] for item in token_items] == ["TokenIssued", "TokenIssued", "TokenRotated"]
    assert all(item["payload"] is None for item in token_items)
    for message in received:
        for token_hash in hashes:
            assert token_hash not in (message.data or "")


def test_the_live_feed_needs_an_auditor_or_admin_token(
    ledger: Ledger, tokens: dict[str, str]
) -> None:
    with TestClient(create_app(ledger)) as client:
        assert client.get(LIVE).status_code == 401
        assert client.get(LIVE, headers=bearer("llt_unknown")).status_code == 401
        bad = client.get(LIVE, headers={**bearer(tokens["auditor"]), "Last-Event-ID": "x"})
        assert bad.status_code == 422
        assert bad.headers["content-type"] == "application/problem+json"


def test_stopping_the_server_ends_its_streams_cleanly(store_url: str, tmp_path: Path) -> None:
    ledger = open_ledger(store_url)
    try:
        auditor = issue(ledger, "warehouse", "auditor")
        issue(ledger, "dge", "admin")
    finally:
        ledger.close()
    server = LiveServer(store_url, tmp_path / "serve.log")
    try:
        with (
            server.client() as http,
            http.stream("GET", LIVE, headers=bearer(auditor)) as response,
        ):
            received = []
            for message in messages(response):  # ends without a protocol error
                if message.data is not None:
                    received.append(message.position)
                    if len(received) == 2:
                        server.process.terminate()
        assert received == [1, 2]
        server.process.wait(timeout=30)  # uvicorn ends by raising the signal it caught again
    finally:
        server.stop()
    log = server.log.read_text()
    assert "Shutting down" in log
    assert "graceful shutdown exceeded" not in log  # nothing was cut off
