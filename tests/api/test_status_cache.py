"""GET /clusters/{slug} keeps its answers only while the database has not changed."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.http.status_cache import Answer, SharedProbe, Stamp, StatusCache
from domain.commands import WithdrawLabel
from infrastructure.composition import open_ledger
from tests.api.http_builders import WITHDRAWAL, labelled, post
from tests.builders import ADMIN


def test_a_write_by_another_process_is_visible_on_the_next_read(
    client: TestClient, admin: dict[str, str], store_url: str
) -> None:
    labelled(client, admin)
    assert client.get("/clusters/aerospace-valley").json()["status"] == "labelled"
    assert client.get("/clusters/aerospace-valley").json()["status"] == "labelled"
    other = open_ledger(store_url)  # its own connections, as the CLI would have
    try:
        withdrawal = WithdrawLabel(
            slug="aerospace-valley",
            decided_on=date(2024, 6, 1),
            effective_on=date(2024, 7, 1),
            decided_by="DGE",
            reason="criteria not met",
        )
        other.execute(withdrawal, ADMIN)
    finally:
        other.close()
    read = client.get("/clusters/aerospace-valley")
    assert read.json()["status"] == "withdrawn"
    assert read.headers["etag"] == f'"{read.json()["version"]}"'


def test_a_write_through_the_api_is_visible_on_the_next_read(
    client: TestClient, admin: dict[str, str]
) -> None:
    labelled(client, admin)
    before = client.get("/clusters/aerospace-valley")
    post(client, "/clusters/aerospace-valley/label-withdrawals", WITHDRAWAL, admin)
    after = client.get("/clusters/aerospace-valley")
    assert after.json()["status"] == "withdrawn"
    assert int(after.headers["etag"].strip('"')) == int(before.headers["etag"].strip('"')) + 1


def test_an_unchanged_cluster_is_answered_the_same_from_the_cache(
    client: TestClient, admin: dict[str, str], app: FastAPI
) -> None:
    labelled(client, admin)
    first = client.get("/clusters/aerospace-valley")
    again = client.get("/clusters/aerospace-valley")
    assert (again.content, again.headers["etag"]) == (first.content, first.headers["etag"])
    cache: StatusCache = app.state.status_cache
    kept = cache.get("aerospace-valley", asyncio.run(cache.stamp()))
    assert kept is not None
    assert kept.body == first.content


def test_an_unknown_cluster_is_still_a_404_problem(client: TestClient) -> None:
    response = client.get("/clusters/no-such-cluster")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_an_answer_is_kept_for_its_database_version_and_day_only() -> None:
    cache = StatusCache(None)
    today = Stamp(7, date(2026, 3, 1))
    cache.put("polymeris", Answer(today, b"{}", '"3"'))
    assert cache.get("polymeris", today) == Answer(today, b"{}", '"3"')
    assert cache.get("polymeris", Stamp(8, today.day)) is None
    assert cache.get("polymeris", Stamp(7, today.day + timedelta(days=1))) is None
    assert cache.get("polymeris", None) is None


def test_a_caller_never_shares_a_probe_that_started_before_it_asked() -> None:
    started: list[int] = []
    release = asyncio.Event()

    async def probe() -> int | None:
        started.append(len(started) + 1)
        number = len(started)
        if number == 1:
            await release.wait()
        return number

    async def scenario() -> list[int | None]:
        shared = SharedProbe(probe)
        first = asyncio.ensure_future(shared())
        await asyncio.sleep(0)  # the first probe is running
        later = [asyncio.ensure_future(shared()) for _ in range(3)]
        await asyncio.sleep(0)
        release.set()
        return [await first, *[await f for f in later]]

    assert asyncio.run(scenario()) == [1, 2, 2, 2]
