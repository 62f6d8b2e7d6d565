"""The global feed: every event in ledger order, paged by position."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from api.http.bodies import EventPage
from api.http.deps import AuditorActor, LedgerDep
from api.http.encoding import json_response
from api.http.event_items import event_item
from api.http.openapi import AUDIT_PROBLEMS, responses

router = APIRouter(tags=["auditing"])
MAX_PAGE = 1000
MAX_POSITION = 2**63 - 1


@router.get(
    "/events",
    responses=responses(
        200,
        EventPage,
        "A page of events after the given position",
        AUDIT_PROBLEMS,
        headers={"Link": 'The next page, rel="next" (absent on the last page)'},
    ),
)
def event_feed(
    ledger: LedgerDep,
    _auditor: AuditorActor,
    after: Annotated[int, Query(ge=0, le=MAX_POSITION, description="Last position seen")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size")] = 100,
) -> Response:
    """Events recorded after position ``after``, in ledger order (at most 1000 a page)."""
    # One more than asked says whether a next page exists without a count query.
    entries = ledger.events_after(after, limit + 1)
    page = entries[:limit]
    next_after = page[-1].position if len(entries) > limit else None
    headers = {}
    if next_after is not None:
        headers["Link"] = f'</events?after={next_after}&limit={limit}>; rel="next"'
    body = EventPage(events=[event_item(e) for e in page], next=next_after)
    return json_response(body, headers=headers)
