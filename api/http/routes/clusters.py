"""Clusters: their current status (the commands about them are in ``api/http/commands.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.http.deps import LedgerDep, ReadingDep, SlugPath
from api.http.encoding import json_body_of, json_response
from api.http.openapi import PUBLIC_PROBLEMS, array_of, responses
from api.http.preconditions import etag
from api.http.status_cache import Answer, Stamp, StatusCache
from domain.status import ClusterStatus
from infrastructure.ledger import Ledger
from infrastructure.projections import queries
from infrastructure.projections.filters import Names
from infrastructure.projections.queries import ClusterStatusView
from infrastructure.projections.reading import Reading

router = APIRouter(tags=["clusters"])


# --- public reads -------------------------------------------------------------

Filter = Annotated[str | None, Query(max_length=300, pattern=r"^[^\x00-\x1f\x7f]+$")]


@router.get(
    "/clusters",
    responses=responses(200, array_of(ClusterStatusView), "Clusters by slug", PUBLIC_PROBLEMS),
)
def list_clusters(
    ledger: LedgerDep,
    reading: ReadingDep,
    status: Annotated[ClusterStatus | None, Query(description="Only in this status")] = None,
    region: Filter = None,
    theme: Filter = None,
    stage: Annotated[
        int | None, Query(ge=1, le=999, description="Whose label in force is of this stage")
    ] = None,
) -> Response:
    """Every cluster's status (today, or ``on`` a day), optionally filtered. Regions and
    themes match whatever the case and accents, as stated or current (``GET /regions``,
    ``GET /themes`` list them)."""
    views = queries.list_cluster_status(
        ledger, status=status, region=region, theme=theme, stage=stage, reading=reading
    )
    return json_response(views)


@router.get(
    "/regions",
    responses=responses(200, Names, "Regions a filter accepts", PUBLIC_PROBLEMS),
)
def list_regions(ledger: LedgerDep) -> Response:
    """Every region ``?region=`` accepts, stated or current, with how many clusters it names."""
    return json_response(queries.region_names(ledger))


@router.get(
    "/themes",
    responses=responses(200, Names, "Themes a filter accepts", PUBLIC_PROBLEMS),
)
def list_themes(ledger: LedgerDep) -> Response:
    """Every theme ``?theme=`` accepts, stated or coded, with how many clusters it names."""
    return json_response(queries.theme_names(ledger))


@router.get(
    "/clusters/{slug}",
    responses=responses(
        200,
        ClusterStatusView,
        "The cluster's current status and label terms",
        PUBLIC_PROBLEMS,
        headers={"ETag": 'The cluster\'s version, "<version>", for If-Match'},
    ),
)
async def get_cluster(slug: SlugPath, request: Request, reading: ReadingDep) -> Response:
    """The cluster's status (today, or ``on`` a day), with its version as ETag."""
    if reading.replays:
        view = await run_in_threadpool(_replayed_status, request.app.state.ledger, slug, reading)
        return Response(json_body_of(view), media_type="application/json")
    # Kept answers are served before routing (KeptStatusShortcut); this one is kept.
    cache: StatusCache = request.app.state.status_cache
    stamp = await cache.stamp()
    answer = await run_in_threadpool(_read_status, request.app.state.ledger, slug, stamp)
    cache.put(slug, answer)
    return Response(answer.body, media_type="application/json", headers={"ETag": answer.etag})


def _read_status(ledger: Ledger, slug: str, stamp: Stamp | None) -> Answer:
    view = queries.get_cluster_status(ledger, slug, today=None if stamp is None else stamp.day)
    if view is None:
        raise queries.unknown_cluster(ledger, slug)
    return Answer(stamp, json_body_of(view), etag(view.version))


def _replayed_status(ledger: Ledger, slug: str, reading: Reading) -> ClusterStatusView:
    view = queries.get_cluster_status(ledger, slug, reading=reading)
    if view is None:
        raise queries.unknown_cluster(ledger, slug)
    return view
