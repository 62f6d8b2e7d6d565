"""What the application runs beside its requests while it serves, and how it stops.

Tokens' last uses, noted in memory as requests are authenticated, are written to their
side table every few seconds off the request path, and once more at shutdown. The live
feed's streams end at shutdown (the server ends them first, see ``serve_commands``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from api.http.live_feed import LiveFeed
from infrastructure.ledger import Ledger

RECORD_USES_EVERY = 10.0
"""Seconds between two writes of the tokens' last uses (each token's row: once a minute)."""
log = logging.getLogger("label_ledger.http")


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[None]:
    ledger: Ledger = app.state.ledger
    feed: LiveFeed = app.state.live_feed
    feed.open()
    recording = asyncio.create_task(record_token_uses(ledger))
    try:
        yield
    finally:
        feed.close()
        recording.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await recording
        await run_in_threadpool(record_every_token_use, ledger)


async def record_token_uses(ledger: Ledger) -> None:
    while True:
        await asyncio.sleep(RECORD_USES_EVERY)
        await run_in_threadpool(record_due_token_uses, ledger)


def record_due_token_uses(ledger: Ledger) -> None:
    try:
        ledger.record_token_uses()
    except Exception as error:  # operational data: a failed write is retried next time
        log.warning("could not record the tokens' last uses: %s", error)


def record_every_token_use(ledger: Ledger) -> None:
    try:
        ledger.record_token_uses(everything=True)
    except Exception as error:
        log.warning("could not record the tokens' last uses at shutdown: %s", error)
