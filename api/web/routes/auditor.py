"""The auditors' pages: logging in with a token, full histories with actors and as-known-at
replays, compliance per stage, and a full verification of the log."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from api.http.deps import LedgerDep, SlugPath, StagePath
from api.web.page_route import PageRoute
from api.web.session import (
    SESSION_COOKIE,
    SESSION_SECONDS,
    AuditorPage,
    LoginOutcome,
    Page,
    PageDep,
    check_login,
    drop_cookie,
    failures_of,
    keep_cookie,
    posted_form,
    safe_next,
)
from api.web.views.cluster_story import cluster_story
from api.web.views.overview import LastVerification, VerificationRun
from domain.errors import StageNotFound
from infrastructure.projections import queries
from infrastructure.tamper import list_checkpoints
from infrastructure.tamper.standing import checkpoint_standing

router = APIRouter(route_class=PageRoute, include_in_schema=False)
MAX_POSITION = 2**63 - 1


@router.get("/ui/login")
def login_form(
    page: PageDep, next_path: Annotated[str | None, Query(alias="next", max_length=500)] = None
) -> Response:
    return page.render("login.html", {"next": safe_next(next_path), "message": None})


@router.post("/ui/login")
async def login(request: Request, page: PageDep, ledger: LedgerDep) -> Response:
    form = await posted_form(request)
    failures, address = failures_of(request)
    outcome = await run_in_threadpool(check_login, ledger, form.get("token", ""), failures, address)
    target = safe_next(form.get("next"))
    if outcome.caller is None:
        return refused_login(page, target, outcome)
    response = RedirectResponse(target, status_code=303)
    keep_cookie(response, SESSION_COOKIE, form["token"].strip(), max_age=SESSION_SECONDS)
    return response


def refused_login(page: Page, target: str, outcome: LoginOutcome) -> Response:
    context: dict[str, object] = {"next": target, "message": outcome.message}
    if outcome.retry_after is None:
        return page.render("login.html", context, status=401)
    response = page.render("login.html", context, status=429)
    response.headers["Retry-After"] = str(outcome.retry_after)
    return response


@router.post("/ui/logout")
async def logout(request: Request) -> Response:
    await posted_form(request)
    response = RedirectResponse("/", status_code=303)
    drop_cookie(response, SESSION_COOKIE)
    return response


@router.get("/ui/audit")
def audit_index(page: AuditorPage, ledger: LedgerDep) -> Response:
    return page.render(
        "audit_index.html",
        {"clusters": queries.list_cluster_status(ledger), "stages": queries.list_stages(ledger)},
    )


@router.get("/ui/audit/clusters/{slug}")
def audit_cluster(
    slug: SlugPath,
    page: AuditorPage,
    ledger: LedgerDep,
    as_of: Annotated[date | None, Query()] = None,
    known_at: Annotated[int | None, Query(ge=0, le=MAX_POSITION)] = None,
) -> Response:
    today = date.today()
    answer = queries.cluster_status_as_of(
        ledger, slug, as_of=as_of or today, known_at_position=known_at
    )
    story = cluster_story(answer, queries.list_stages(ledger), today)
    return page.render("cluster.html", {"story": story, "today": today, "auditor": True})


@router.get("/ui/audit/compliance/{number}")
def audit_compliance(number: StagePath, page: AuditorPage, ledger: LedgerDep) -> Response:
    view = queries.compliance(ledger, number)
    if view is None:
        msg = f"no stage {number} in the ledger"
        raise StageNotFound(msg)
    return page.render("audit_compliance.html", {"v": view, "number": number})


@router.get("/ui/audit/verification")
def audit_verification(request: Request, page: AuditorPage, ledger: LedgerDep) -> Response:
    # Shared with /ledger/verification: one run at a time, kept briefly, seen by the guard.
    report = request.app.state.verification_cache.report(ledger)
    run = VerificationRun(report=report, finished_at=datetime.now(UTC), by=_name(page))
    last: LastVerification = request.app.state.last_verification
    last.run = run
    return page.render(
        "audit_verification.html",
        {
            "run": run,
            "standing": checkpoint_standing(ledger),
            "checkpoints": list_checkpoints(ledger),
        },
    )


def _name(page: Page) -> str:
    return "" if page.viewer is None else page.viewer.name
