"""The global feed: every event in ledger order with its leaf's inputs, paged, streamed
for auditing (NDJSON) or live (Server-Sent Events)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Header, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from api.http.deps import AuditorActor, AuditorCaller, LedgerDep
from api.http.encoding import json_response
from api.http.event_items import FeedItem, FeedPage, feed_item
from api.http.live_feed import LiveFeed
from api.http.openapi import AUDIT_PROBLEMS, responses
from api.http.problems import INVALID_PARAMETERS, FieldError, HttpProblem
from infrastructure.access.tokens import Caller
from infrastructure.ledger import Ledger
from infrastructure.tamper.feed import (
    MAX_STREAM_PAGE,
    LeafInputs,
    feed_rows,
    last_position,
    leaf_inputs,
)

router = APIRouter(tags=["auditing"])
MAX_PAGE = 10_000
MAX_POSITION = 2**63 - 1
NDJSON = "application/x-ndjson"
EVENT_STREAM = "text/event-stream"
_lines = msgspec.json.Encoder()


@router.get(
    "/events",
    responses=responses(
        200,
        FeedPage,
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
    """Events recorded after position ``after``, in ledger order (at most 10,000 a page).

    Each item carries its leaf's inputs as hashed (``topic``, ``recorded_at``,
    ``effective_on``, ``actor``, ``idempotency_key``, ``payload_sha256`` and the stored
    ``payload``, base64) beside the decoded ``data``.
    """
    # One more than asked says whether a next page exists without a count query.
    rows = feed_rows(ledger, after=after, limit=limit + 1)
    page = rows[:limit]
    next_after = page[-1][0] if len(rows) > limit else None
    headers = {}
    if next_after is not None:
        headers["Link"] = f'</events?after={next_after}&limit={limit}>; rel="next"'
    body = FeedPage(events=[feed_item(ledger, row) for row in page], next=next_after)
    return json_response(body, headers=headers)


LIVE_DESCRIPTION = (
    "Server-Sent Events, one per event as recorded: 'id:' its position, 'data:' the item "
    "of /events as one JSON line; comment lines as heartbeats. The stream does not end "
    "while the server runs."
)
LastEventId = Annotated[
    int | None,
    Header(
        alias="Last-Event-ID",
        ge=0,
        le=MAX_POSITION,
        description="The last position received (a reconnecting EventSource sends it); "
        "takes precedence over 'after' (Server-Sent Events only)",
    ),
]


def stream_responses() -> dict[int | str, dict[str, Any]]:
    documented = responses(
        200,
        LeafInputs,
        "One JSON line per event (NDJSON); with 'Accept: text/event-stream', the live feed",
        AUDIT_PROBLEMS,
        headers={"X-Ledger-Upto": "The last position the stream covers (NDJSON)"},
        media_type=NDJSON,
    )
    live = responses(200, FeedItem, LIVE_DESCRIPTION, (), media_type=EVENT_STREAM)
    documented[200]["content"].update(live[200]["content"])
    return documented


@router.get("/events/stream", responses=stream_responses(), response_class=StreamingResponse)
async def event_stream(
    request: Request,
    ledger: LedgerDep,
    caller: AuditorCaller,
    after: Annotated[int, Query(ge=0, le=MAX_POSITION, description="Last position seen")] = 0,
    upto: Annotated[
        int | None,
        Query(ge=0, le=MAX_POSITION, description="Last position wanted; default: the end now"),
    ] = None,
    aggregate: Annotated[
        str | None,
        Query(max_length=200, description="Only this aggregate's events (e.g. cluster:polymeris)"),
    ] = None,
    last_event_id: LastEventId = None,
) -> StreamingResponse:
    """Every event in ``(after, upto]`` as NDJSON leaf inputs, for auditing a whole ledger:
    the end is fixed when the request arrives, so the stream is one consistent prefix.

    Asked with ``Accept: text/event-stream`` (as a browser's ``EventSource`` asks), the
    same path is the live feed, as ``/events/live``: every event after ``after`` (or
    ``Last-Event-ID``), then each new one as it is recorded.
    """
    if EVENT_STREAM in request.headers.get("accept", ""):
        if upto is not None or aggregate is not None:
            raise HttpProblem(
                INVALID_PARAMETERS,
                "upto and aggregate bound the NDJSON stream; the live feed has neither",
                errors=[
                    FieldError(pointer=f"query:{name}", detail="not for the live feed")
                    for name, value in (("upto", upto), ("aggregate", aggregate))
                    if value is not None
                ],
            )
        return await _live(request, caller, after, last_event_id)
    end = await run_in_threadpool(last_position, ledger) if upto is None else upto
    return StreamingResponse(
        _stream(ledger, after, end, aggregate),
        media_type=NDJSON,
        headers={"X-Ledger-Upto": str(end)},
    )


def _stream(ledger: Ledger, after: int, end: int, aggregate: str | None) -> Iterator[bytes]:
    position = after
    while position < end:
        rows = feed_rows(
            ledger, after=position, limit=MAX_STREAM_PAGE, upto=end, aggregate_id=aggregate
        )
        if not rows:
            return
        yield _lines.encode_lines([leaf_inputs(row) for row in rows])
        position = rows[-1][0]


@router.get(
    "/events/live",
    responses=responses(200, FeedItem, LIVE_DESCRIPTION, AUDIT_PROBLEMS, media_type=EVENT_STREAM),
    response_class=StreamingResponse,
)
async def live_events(
    request: Request,
    caller: AuditorCaller,
    after: Annotated[int, Query(ge=0, le=MAX_POSITION, description="Last position seen")] = 0,
    last_event_id: LastEventId = None,
) -> StreamingResponse:
    """Every event after ``after`` (or ``Last-Event-ID``) as Server-Sent Events, then each
    new event as it is recorded, in ledger order, each once (also ``/events/stream`` with
    ``Accept: text/event-stream``).

    Each event's ``id`` is its position, so a client that reconnects with
    ``Last-Event-ID`` resumes exactly where it stopped. Token hashes are redacted as in
    ``/events``; a token revoked, rotated or expired ends its streams.
    """
    return await _live(request, caller, after, last_event_id)


async def _live(
    request: Request, caller: Caller, after: int, last_event_id: int | None
) -> StreamingResponse:
    feed: LiveFeed = request.app.state.live_feed
    start = after if last_event_id is None else last_event_id
    first = await run_in_threadpool(feed.first_page, start)
    return StreamingResponse(
        feed.stream(caller, start, first),
        media_type=EVENT_STREAM,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
