"""Every as-of answer, on each store and by every path (CLI ``status --on``, ``history
--as-of``, ``report --on``, ``stage N --on``, and the same over HTTP), equals a replay of
exactly the events in effect on that day as the ledger knew them at that position.

The oracle below restates the valid-time rule of ``domain.as_of`` on its own: an
aggregate's history as corrected; its first event always (its identity); every later one
whose effective date is the day or before; none at all while nothing had taken effect.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as strat

from api.cli.main import cli
from api.http.app import create_app
from domain.commands import WithdrawLabel
from domain.corrections import effective_history
from domain.events import LedgerEvent
from domain.records import (
    ClusterRecord,
    StageRecord,
    cluster_record_from_history,
    stage_record_from_history,
)
from domain.reports import stated_regions, stated_themes
from domain.reports import summary_report as build_summary
from domain.stage_history import stage_history
from domain.status_view import cluster_status_view
from infrastructure.ledger import Ledger
from infrastructure.projections.reading import events_up_to
from tests.builders import ADMIN, issue
from tests.scenarios import START, Scenario, commands

DAYS = strat.integers(min_value=-400, max_value=3300).map(lambda n: START + timedelta(days=n))
GRADES = strat.lists(strat.sampled_from([None, "stated", "weak", "inferred"]), max_size=6)


class Oracle(msgspec.Struct, frozen=True, kw_only=True):
    day: date
    stages: list[StageRecord]
    clusters: list[ClusterRecord]


def oracle(ledger: Ledger, day: date, position: int, *, stated_only: bool) -> Oracle:
    histories: dict[str, list[LedgerEvent]] = {}
    for event in events_up_to(ledger, position):
        histories.setdefault(event.originator_id, []).append(event)
    stages: list[StageRecord] = []
    clusters: list[ClusterRecord] = []
    for aggregate_id, history in histories.items():
        first, *later = effective_history(history) or [None]
        if first is None:
            continue
        kept = [
            e for e in later
            if e.effective_on <= day
            and not (stated_only and e.evidence in ("weak", "inferred"))
        ]
        if first.effective_on > day and not kept:
            continue  # not yet registered (opened) on that day
        known = history[-1].originator_version  # the version If-Match compares, any day
        if aggregate_id.startswith("stage:"):
            record = stage_record_from_history([first, *kept])
            stage = msgspec.structs.replace(record.stage, version=known)
            stages.append(msgspec.structs.replace(record, stage=stage))
        elif aggregate_id.startswith("cluster:"):
            folded = cluster_record_from_history([first, *kept]).record
            cluster = msgspec.structs.replace(folded.cluster, version=known)
            clusters.append(msgspec.structs.replace(folded, cluster=cluster))
    clusters.sort(key=lambda r: r.slug)
    stages.sort(key=lambda r: r.stage.number)
    return Oracle(day=day, stages=stages, clusters=clusters)


def as_json(value: Any) -> Any:
    return msgspec.json.decode(msgspec.json.encode(value))


class Paths:
    """Asks one question by every path: the CLI on the store's URL, and HTTP."""

    def __init__(self, url: str, client: TestClient, auditor: dict[str, str]) -> None:
        self.url, self.client, self.auditor = url, client, auditor

    def cli(self, *args: str) -> str:
        result = CliRunner().invoke(cli, [*args, "--db", self.url])
        assert result.exit_code == 0, result.output
        return result.output

    def http(self, path: str, **query: str) -> Any:
        response = self.client.get(path, params=query, headers=self.auditor)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def paths(ledger: Ledger) -> Iterator[Paths]:
    auditor = {"Authorization": f"Bearer {issue(ledger, 'cour-des-comptes', 'auditor')}"}
    with TestClient(create_app(ledger)) as client:
        yield Paths(ledger.settings.url, client, auditor)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    script=strat.lists(commands, min_size=3, max_size=25),
    grades=GRADES,
    undated=strat.booleans(),
    days=strat.lists(DAYS, min_size=1, max_size=2),
    cut=strat.floats(min_value=0.0, max_value=1.0),
    stated_only=strat.booleans(),
)
def test_every_as_of_path_answers_the_replay_of_the_events_in_effect_that_day(
    ledger: Ledger,
    paths: Paths,
    script: list[tuple[Any, ...]],
    grades: list[Any],
    undated: bool,
    days: list[date],
    cut: float,
    stated_only: bool,
) -> None:
    scenario = Scenario(ledger, undated=undated)
    start = ledger.last_position()
    scenario.run(script, batch_size=7, grades=grades)
    position = start + round(cut * (ledger.last_position() - start))
    evidence = "stated" if stated_only else "all"
    for day in days:
        expected = oracle(ledger, day, position, stated_only=stated_only)
        reading = {"on": day.isoformat(), "known_at": str(position), "evidence": evidence}
        flags = ["--on", day.isoformat(), "--known-at", str(position), "--evidence", evidence]

        statuses = as_json([cluster_status_view(r, day) for r in expected.clusters])
        assert msgspec.json.decode(paths.cli("status", *flags, "--json")) == statuses
        assert paths.http("/clusters", **reading) == statuses

        histories = [stage_history(s, expected.clusters) for s in expected.stages]
        for number in scenario.stages:
            view = next((as_json(h) for h in histories if h.number == number), None)
            if view is None:
                continue  # the stage was not open on that day
            assert msgspec.json.decode(paths.cli("stage", str(number), *flags, "--json"))[
                "history"
            ] == view
            assert paths.http(f"/stages/{number}", **reading) == view

        report = build_summary(
            histories, expected.clusters, day, position,
            regions_of=stated_regions, themes_of=stated_themes, stated_only=stated_only,
        )
        for answer in (
            msgspec.json.decode(paths.cli("report", *flags, "--format", "json")),
            paths.http("/reports/summary", **reading),
        ):
            assert answer["statuses"] == as_json(report.statuses)
            assert answer["stages"] == as_json(report.stages)
            assert answer["as_of"] == day.isoformat()

        if stated_only:
            continue  # the bitemporal history shows every grade, and marks them
        by_slug = {r.slug: cluster_status_view(r, day).status for r in expected.clusters}
        for name in ("alpha", "beta"):
            slug = scenario.slug(name)
            status = by_slug.get(slug, "not-registered")
            replayed = paths.http(
                f"/clusters/{slug}/status", as_of=day.isoformat(), known_at=str(position)
            )
            assert replayed["status"] == status
            told = paths.cli("history", slug, "--as-of", day.isoformat(),
                             "--known-at", str(position))
            assert f"status on {day}: {status.replace('not-registered', 'not yet registered')}" \
                in told


def test_today_s_read_models_answer_as_the_replay_of_today(
    ledger: Ledger, paths: Paths
) -> None:
    """The fast path (read models, no date given) agrees with the replay, even with a
    decision recorded today that takes effect next month."""
    scenario = Scenario(ledger, undated=True)
    ledger.execute(scenario.command("withdraw", "beta", START + timedelta(days=40)), ADMIN)
    ledger.execute(
        WithdrawLabel(
            slug=scenario.slug("alpha"), decided_on=date.today(),
            effective_on=date.today() + timedelta(days=30), decided_by="State",
            reason="criteria no longer met",
        ),
        ADMIN,
    )
    today = oracle(ledger, date.today(), ledger.last_position(), stated_only=False)
    statuses = as_json([cluster_status_view(r, today.day) for r in today.clusters])
    assert msgspec.json.decode(paths.cli("status", "--json")) == statuses
    assert paths.http("/clusters") == statuses
    alpha = paths.http(f"/clusters/{scenario.slug('alpha')}")
    assert alpha["status"] != "withdrawn"
