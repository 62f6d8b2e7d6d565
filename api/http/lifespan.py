"""What the application runs beside its requests while it serves, and how it stops.

Tokens' last uses, noted in memory as requests are authenticated, are written to their
side table every few seconds off the request path, and once more at shutdown. The live
feed's streams end at shutdown (the server ends them first, see ``serve_commands``).
The ledger is verified in full at start-up and every ``verify_every`` seconds (the
integrity guard keeps what a run finds), and a PostgreSQL store is probed every second
(the outage breaker, see ``store_probe``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from api.http.live_feed import LiveFeed
from api.http.store_probe import StoreProbe
from infrastructure.ledger import Ledger
from infrastructure.tamper.verification_cache import VerificationCache

RECORD_USES_EVERY = 10.0
"""Seconds between two writes of the tokens' last uses (each token's row: once a minute)."""
log = logging.getLogger("label_ledger.http")


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[None]:
    ledger: Ledger = app.state.ledger
    feed: LiveFeed = app.state.live_feed
    probe: StoreProbe = app.state.store_probe
    every: float = app.state.verify_every
    feed.open()
    tasks = [asyncio.create_task(record_token_uses(ledger))]
    if probe.watches_outages:
        tasks.append(asyncio.create_task(probe.watch()))
    if every > 0:
        cache: VerificationCache = app.state.verification_cache
        tasks.append(asyncio.create_task(verify_periodically(cache, ledger, every)))
    try:
        yield
    finally:
        feed.close()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
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


async def verify_periodically(cache: VerificationCache, ledger: Ledger, every: float) -> None:
    """A full verification now (the server just started), then every ``every`` seconds."""
    while True:
        await run_in_threadpool(verify_now, cache, ledger)
        await asyncio.sleep(every)


def verify_now(cache: VerificationCache, ledger: Ledger) -> None:
    try:
        cache.report(ledger, fresh=True)
    except Exception as error:  # an outage is no finding: the next run tries again
        log.warning("could not verify the ledger: %s", error)
