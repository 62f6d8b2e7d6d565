"""The public pages: the ledger at a glance, clusters, a cluster's story, stages, reports.

Each reads through the same query functions as the JSON routes beside it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, cast, get_args

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from api.http.deps import LedgerDep, SlugPath, StagePath
from api.web.page_route import PageRoute
from api.web.session import PageDep
from api.web.views.cluster_story import cluster_story
from api.web.views.overview import (
    ClusterFilters,
    LastVerification,
    filter_choices,
    home_view,
    matches,
    report_panels,
)
from api.web.views.panels import changes_table, reported_panel, stage_counts_panel
from api.web.views.tables import csv_text
from domain.errors import NotFound, StageNotFound
from domain.status import ClusterStatus
from infrastructure.projections import queries
from infrastructure.projections.reading import Reading
from infrastructure.tamper.standing import checkpoint_standing

router = APIRouter(route_class=PageRoute, include_in_schema=False)
STATUSES: tuple[str, ...] = get_args(ClusterStatus)
Text = Annotated[str | None, Query(max_length=200)]


@router.get("/")
def home(request: Request, page: PageDep, ledger: LedgerDep) -> Response:
    last: LastVerification = request.app.state.last_verification
    view = home_view(
        summary=queries.summary_report(ledger),
        stages=queries.list_stages(ledger),
        series=queries.labelled_timeline(ledger),
        standing=checkpoint_standing(ledger),
        verification=last.run,
    )
    return page.render("home.html", {"view": view})


@router.get("/ui/clusters")
def clusters(
    page: PageDep,
    ledger: LedgerDep,
    status: Text = None,
    region: Text = None,
    theme: Text = None,
    stage: Annotated[str | None, Query(max_length=4)] = None,
    q: Text = None,
) -> Response:
    chosen_status = status if status in STATUSES else None
    chosen_stage = int(stage) if stage and stage.isdigit() and 1 <= int(stage) <= 999 else None
    everyone = queries.list_cluster_status(ledger)
    shown = queries.list_cluster_status(
        ledger,
        status=cast("ClusterStatus | None", chosen_status),
        region=region or None,
        theme=theme or None,
        stage=chosen_stage,
    )
    choices = filter_choices(everyone)
    filters = ClusterFilters(
        status=chosen_status,
        region=region or None,
        theme=theme or None,
        stage=chosen_stage,
        q=q or "",
        statuses=STATUSES,
        regions=choices["regions"],
        themes=choices["themes"],
        stages=tuple(s.number for s in queries.list_stages(ledger)),
    )
    rows = [v for v in shown if matches(v, filters.q)]
    return page.render(
        "clusters.html", {"clusters": rows, "filters": filters, "total": len(everyone)}
    )


@router.get("/ui/clusters/{slug}")
def cluster(
    slug: SlugPath,
    page: PageDep,
    ledger: LedgerDep,
    as_of: Annotated[date | None, Query(description="Read the story as of this day")] = None,
) -> Response:
    today = date.today()
    answer = queries.cluster_status_as_of(ledger, slug, as_of=as_of or today)
    story = cluster_story(answer, queries.list_stages(ledger), today)
    return page.render("cluster.html", {"story": story, "today": today, "auditor": False})


@router.get("/ui/stages")
def stages(page: PageDep, ledger: LedgerDep) -> Response:
    return page.render("stages.html", {"stages": queries.list_stages(ledger)})


@router.get("/ui/stages/{number}")
def stage(number: StagePath, page: PageDep, ledger: LedgerDep) -> Response:
    history = queries.stage_history(ledger, number)
    if history is None:
        msg = f"no stage {number} in the ledger"
        raise StageNotFound(msg)
    return page.render(
        "stage.html",
        {
            "h": history,
            "panels": (stage_counts_panel(history), reported_panel(history)),
        },
    )


@router.get("/ui/reports")
def reports(
    page: PageDep,
    ledger: LedgerDep,
    on: Annotated[date | None, Query(description="The report's day (default today)")] = None,
) -> Response:
    summary = queries.summary_report(ledger, Reading(on=on))
    panels = report_panels(summary, queries.labelled_timeline(ledger))
    return page.render(
        "reports.html",
        {"summary": summary, "panels": panels, "summary_today": on is None, "csv_links": {}},
    )


@router.get("/ui/reports/{name}.csv")
def report_csv(
    name: str,
    ledger: LedgerDep,
    on: Annotated[date | None, Query()] = None,
) -> Response:
    series = queries.labelled_timeline(ledger)
    if name == "labelled-changes":
        text = csv_text(changes_table(series))
    else:
        summary = queries.summary_report(ledger, Reading(on=on))
        panels = {p.key: p for p in report_panels(summary, series)}
        if name not in panels:
            msg = f"no chart {name!r} in the reports"
            raise NotFound(msg)
        text = csv_text(panels[name].table)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
