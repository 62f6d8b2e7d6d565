"""The pages in a real browser, on the seeded ledger and on each store: they render, ask
nothing of another host, and draw the numbers the JSON API answers."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.web.browser import Watched, cut_the_network, ink_share
from tests.web.conftest import AUDITOR, Site

PUBLIC_PAGES = [
    "/",
    "/ui/clusters",
    "/ui/clusters?status=labelled&q=a",
    "/ui/clusters/polymeris",
    "/ui/clusters/polymeris?as_of=2021-06-01",
    "/ui/stages",
    "/ui/stages/5",
    "/ui/reports",
    "/ui/login",
]
ROWS_JS = """table => Array.from(table.querySelectorAll("tbody tr")).map(tr =>
  Object.fromEntries(Array.from(tr.querySelectorAll("[data-column]"))
    .map(cell => [cell.dataset.column, cell.dataset.value])))"""
BARS_JS = """svg => Array.from(svg.querySelectorAll("rect.bar")).map(bar =>
  [bar.dataset.label, bar.dataset.series, bar.dataset.value])"""


def rows(page: Page, table: str) -> list[dict[str, str]]:
    result: list[dict[str, str]] = page.locator(f"table[data-table='{table}']").evaluate(ROWS_JS)
    return result


def bars(page: Page, chart: str) -> dict[tuple[str, str], str]:
    drawn = page.locator(f"svg[data-chart='{chart}']").evaluate(BARS_JS)
    return {(label, series): value for label, series, value in drawn}


def number(value: object) -> str:
    return "" if value is None else str(value)


# --- every page -------------------------------------------------------------------


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_page_renders_from_this_server_alone_and_is_not_blank(
    context: BrowserContext, path: str
) -> None:
    watched = Watched(context)
    response = watched.page.goto(path)
    assert response is not None
    assert response.status == 200
    watched.page.wait_for_load_state("networkidle")
    assert watched.errors == []
    assert watched.foreign_requests() == []
    assert watched.page.locator("h1").count() == 1
    assert ink_share(watched.page.screenshot(full_page=True)) > 0.03


@pytest.mark.parametrize(("path", "operation"), [
    ("/docs", ".opblock"),
    ("/redoc", "[data-section-id^='operation/']"),
])
def test_the_api_docs_render_their_operations_with_the_network_cut(
    context: BrowserContext, site: Site, path: str, operation: str
) -> None:
    aborted = cut_the_network(context)
    watched = Watched(context)
    watched.page.goto(path)
    watched.page.locator(operation).first.wait_for(timeout=30_000)
    operations = len(site.json("/openapi.json")["paths"])
    assert watched.page.locator(operation).count() >= operations
    assert aborted == []
    assert watched.foreign_requests() == []
    assert watched.errors == []


def test_an_unknown_cluster_is_a_page_that_says_so(context: BrowserContext) -> None:
    page = context.new_page()
    response = page.goto("/ui/clusters/no-such-pole")
    assert response is not None
    assert response.status == 404
    assert "no cluster 'no-such-pole'" in page.get_by_role("alert").inner_text()


def test_a_date_that_is_not_one_is_a_page_that_says_so(context: BrowserContext) -> None:
    page = context.new_page()
    response = page.goto("/ui/clusters/polymeris?as_of=yesterday")
    assert response is not None
    assert response.status == 422
    assert "as_of" in page.get_by_role("alert").inner_text()


# --- the numbers drawn are the API's ------------------------------------------------


def test_the_home_page_draws_the_apis_stages_statuses_and_published_counts(
    context: BrowserContext, site: Site
) -> None:
    page = context.new_page()
    page.goto("/")
    stages: list[dict[str, Any]] = site.json("/stages")
    drawn = rows(page, "stages")
    assert [r["granted"] for r in drawn] == [str(s["granted"]) for s in stages]
    assert [r["conditional"] for r in drawn] == [str(s["conditional"]) for s in stages]
    assert [r["withdrawn"] for r in drawn] == [str(s["withdrawn"]) for s in stages]
    assert [(r["published"], r["ledger"]) for r in drawn] == [
        (number((s["latest_reported"] or {}).get("count")),
         number((s["latest_reported"] or {}).get("ledger_count")))
        for s in stages
    ]
    summary: dict[str, Any] = site.json("/reports/summary")
    assert bars(page, "statuses") == {
        (status, "clusters"): str(count) for status, count in summary["statuses"].items()
    }
    assert page.locator("[data-figure='position']").inner_text().split()[0].replace(",", "") == (
        str(summary["position"])
    )


def test_the_timeline_sets_each_published_count_beside_the_apis_ledger_count(
    context: BrowserContext, site: Site
) -> None:
    page = context.new_page()
    page.goto("/ui/reports")
    published = [r for r in rows(page, "labelled-over-time") if r["published"]]
    expected = []
    for stage in site.json("/stages"):
        history: dict[str, Any] = site.json(f"/stages/{stage['number']}")
        expected += [
            (r["as_of"], str(r["count"]), str(r["ledger_count"]))
            for r in history["reported_counts"]
        ]
    assert sorted((r["day"], r["published"], r["ledger"]) for r in published) == sorted(expected)
    dots = page.locator("svg[data-chart='labelled-over-time'] circle.marker").evaluate_all(
        "dots => dots.map(d => [d.dataset.day, d.dataset.value])"
    )
    assert sorted((day, str(int(float(v)))) for day, v in dots) == sorted(
        (day, count) for day, count, _ in expected
    )


def test_the_reports_draw_the_apis_summary(context: BrowserContext, site: Site) -> None:
    page = context.new_page()
    page.goto("/ui/reports")
    summary: dict[str, Any] = site.json("/reports/summary")
    for key, groups in (("region", summary["regions"]), ("theme", summary["themes"])):
        assert [(r[key], r["labelled"], r["active"]) for r in rows(page, f"by-{key}")] == [
            (g["name"], str(g["labelled"]), str(g["active"])) for g in groups
        ]
        for (label, series), value in bars(page, f"by-{key}").items():
            group = next(g for g in groups if g["name"] == label)
            assert value == str(group[series])
    assert [
        (r["stage"], r["renewal_rate"], r["withdrawal_rate"], r["conditional_rate"])
        for r in rows(page, "rates")
    ] == [
        (str(s["stage"]), number(s["renewal_rate"]), number(s["withdrawal_rate"]),
         number(s["conditional_rate"]))
        for s in summary["stages"]
    ]
    assert [r["members"] for r in rows(page, "membership")] == [
        str(k["members"]) for k in summary["membership"]["kinds"]
    ]


def test_each_chart_of_the_reports_has_its_numbers_as_csv(
    context: BrowserContext, site: Site
) -> None:
    page = context.new_page()
    page.goto("/ui/reports")
    for key in ("statuses", "by-region", "rates", "membership", "labelled-over-time"):
        link = page.locator(f"section[data-panel='{key}'] .csv a").first
        response = site.api.get(link.get_attribute("href") or "")
        assert response.status_code == 200
        table_rows = len(rows(page, key))
        assert len(response.text.splitlines()) == table_rows + 1


def test_the_stage_page_draws_the_apis_stage_history(context: BrowserContext, site: Site) -> None:
    page = context.new_page()
    page.goto("/ui/stages/5")
    history: dict[str, Any] = site.json("/stages/5")
    assert {r["list"]: r["clusters"] for r in rows(page, "stage-5-counts")} == {
        key: str(value) for key, value in history["counts"].items()
    }
    assert [(r["day"], r["published"], r["ledger"]) for r in rows(page, "stage-5-published")] == [
        (r["as_of"], str(r["count"]), str(r["ledger_count"])) for r in history["reported_counts"]
    ]
    for key in ("conditional", "granted", "renewed", "new_entrants"):
        listed = page.locator(f"[data-list='{key}'] [data-slug]").evaluate_all(
            "items => items.map(i => i.dataset.slug)"
        )
        assert listed == [e["slug"] for e in history[key]]


def test_the_cluster_list_filters_as_the_api_does(context: BrowserContext, site: Site) -> None:
    page = context.new_page()
    page.goto("/ui/clusters")
    page.get_by_label("Status").select_option("conditional")
    page.get_by_role("button", name="Show").click()
    shown = page.locator("table[data-table='clusters'] tbody tr[data-slug]").evaluate_all(
        "rows => rows.map(r => r.dataset.slug)"
    )
    assert shown == [c["slug"] for c in site.json("/clusters?status=conditional")]
    assert "status=conditional" in page.url


def test_the_cluster_page_tells_the_story_the_api_replays(
    context: BrowserContext, site: Site
) -> None:
    page = context.new_page()
    page.goto("/ui/clusters/polymeris")
    today: dict[str, Any] = site.json("/clusters/polymeris")
    assert page.locator("h1").inner_text() == today["name"]
    assert page.locator(".lede [data-status]").get_attribute("data-status") == today["status"]
    history: dict[str, Any] = site.json("/clusters/polymeris/history", auditor=True)
    assert page.locator("[data-event]").evaluate_all("e => e.map(x => x.dataset.event)") == [
        e["event_id"] for e in history["events"]
    ]
    assert page.locator("[data-actor]").count() == 0  # actors are for auditors
    assert page.locator("svg[data-chart='label-timeline'] rect.span").count() >= 1


def test_the_as_of_picker_re_renders_the_page_as_the_api_answers_for_that_day(
    context: BrowserContext, site: Site
) -> None:
    page = context.new_page()
    page.goto("/ui/clusters/polymeris")
    before = page.locator(".lede [data-status]").get_attribute("data-status")
    page.get_by_label("As of", exact=True).fill("2021-06-01")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**as_of=2021-06-01")
    then: dict[str, Any] = site.json("/clusters/polymeris/status?as_of=2021-06-01", auditor=True)
    after = page.locator(".lede [data-status]").get_attribute("data-status")
    assert after == then["status"]
    assert after != before
    pending = page.locator("[data-event][data-counted='false']").count()
    assert pending == sum(not e["counted"] for e in then["history"])


def test_a_new_user_finds_polymeris_and_the_stage_5_counts_by_clicking(
    context: BrowserContext, site: Site
) -> None:
    page = context.new_page()
    page.goto("/")
    page.get_by_role("navigation").get_by_role("link", name="Clusters").click()
    page.get_by_label("Search").fill("Polymeris")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("link", name="Polymeris", exact=True).click()
    assert page.url.endswith("/ui/clusters/polymeris")
    assert page.get_by_text("stage 5 label granted").count() >= 1
    page.get_by_role("navigation").get_by_role("link", name="Stages").click()
    page.get_by_role("link", name="Stage 5").first.click()
    granted = {r["list"]: r["clusters"] for r in rows(page, "stage-5-counts")}["granted"]
    assert granted == str(site.json("/stages/5")["counts"]["granted"])


# --- auditors -----------------------------------------------------------------------


def test_an_auditor_logs_in_once_and_reads_histories_with_their_actors(
    context: BrowserContext, site: Site
) -> None:
    watched = Watched(context)
    page = watched.page
    page.goto("/ui/audit")
    assert "/ui/login?next=%2Fui%2Faudit" in page.url
    page.get_by_label("Token").fill(site.auditor_token)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/ui/audit")
    assert AUDITOR in page.locator(".session").inner_text()
    [cookie] = [c for c in context.cookies() if c["name"] == "ledger_session"]
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Strict"

    history: dict[str, Any] = site.json("/clusters/polymeris/history", auditor=True)
    known_at = history["events"][2]["position"]  # as the ledger knew it then
    page.goto(f"/ui/audit/clusters/polymeris?as_of=2021-06-01&known_at={known_at}")
    answer: dict[str, Any] = site.json(
        f"/clusters/polymeris/status?as_of=2021-06-01&known_at={known_at}", auditor=True
    )
    actors = page.locator("[data-actor]").evaluate_all("a => a.map(x => x.dataset.actor)")
    assert actors == [e["actor"] for e in answer["history"]]
    assert page.locator(".lede [data-status]").get_attribute("data-status") == answer["status"]

    page.goto("/ui/audit/compliance/5")
    compliance: dict[str, Any] = site.json("/compliance/5", auditor=True)
    assert page.locator("[data-figure='grants-checked']").inner_text() == str(
        compliance["grants_checked"]
    )
    assert page.locator("table[data-table='findings'] tr[data-slug]").count() == len(
        compliance["findings"]
    )

    page.goto("/ui/audit/verification")
    verification: dict[str, Any] = site.json("/ledger/verification", auditor=True)
    assert page.locator("[data-verification]").get_attribute("data-verification") == "ok"
    assert page.locator("[data-figure='tree-size']").inner_text().split()[0].replace(",", "") == (
        str(verification["tree_size"])
    )

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(site.base_url + "/")
    assert [c for c in context.cookies() if c["name"] == "ledger_session"] == []
    page.goto("/ui/audit")
    assert "/ui/login" in page.url
    assert watched.foreign_requests() == []
    assert watched.errors == []


def test_a_wrong_token_is_refused_with_a_visible_message(context: BrowserContext) -> None:
    page = context.new_page()
    page.goto("/ui/login")
    page.get_by_label("Token").fill("llt_not-a-token-anyone-was-given")
    with page.expect_response("**/ui/login") as answer:
        page.get_by_role("button", name="Log in").click()
    assert answer.value.status == 401
    assert page.get_by_role("alert").inner_text() == "That token is unknown or revoked."
    assert [c for c in context.cookies() if c["name"] == "ledger_session"] == []


def test_a_login_form_posted_from_another_site_is_refused(site: Site) -> None:
    form = {"token": site.auditor_token, "csrf": "x" * 43, "next": "/ui/audit"}
    csrf_cookie = {"Cookie": f"ledger_csrf={'x' * 43}"}
    foreign = site.api.post(
        "/ui/login", data=form, headers={"Origin": "http://elsewhere.example", **csrf_cookie}
    )
    assert foreign.status_code == 403
    assert "ledger_session" not in foreign.headers.get("set-cookie", "")
    tokenless = site.api.post("/ui/login", data=form)
    assert tokenless.status_code == 403
    same_site = site.api.post(
        "/ui/login", data=form, headers={"Origin": site.base_url, **csrf_cookie}
    )
    assert same_site.status_code == 303
    assert "HttpOnly" in same_site.headers["set-cookie"]


def test_the_session_cookie_never_opens_the_json_api(site: Site) -> None:
    response = site.api.get(
        "/clusters/polymeris/history", headers={"Cookie": f"ledger_session={site.auditor_token}"}
    )
    assert response.status_code == 401


# --- the report file ---------------------------------------------------------------


def test_the_report_file_stands_alone(
    context: BrowserContext, site: Site, tmp_path: pytest.TempPathFactory
) -> None:
    from tests.api.live_server import run_cli

    out = f"{tmp_path}/report.html"
    run_cli("report", "--format", "html", "--out", out, "--db", site.store_url)
    aborted = cut_the_network(context)
    watched = Watched(context)
    watched.page.goto(f"file://{out}")
    assert [url for url in watched.requests if not url.startswith(("file:", "data:"))] == []
    assert aborted == []
    assert watched.errors == []
    summary: dict[str, Any] = site.json("/reports/summary")
    assert [(r["region"], r["labelled"]) for r in rows(watched.page, "by-region")] == [
        (g["name"], str(g["labelled"])) for g in summary["regions"]
    ]
    assert watched.page.locator("svg.chart").count() == 6
    assert watched.page.locator(f"[data-as-of='{date.today().isoformat()}']").count() == 1
