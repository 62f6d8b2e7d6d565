"""The audit client over HTTP: a whole ledger from empty state, then 1,000 new events
incrementally, each against reading the same part of the feed alone in the same run."""

from __future__ import annotations

import tempfile
import time
from datetime import date
from pathlib import Path

import httpx
import msgspec

from bench.context import Context
from bench.measures.live_server import ledger_server
from bench.report import LOWER, Row
from domain.commands import Context as CommandContext
from domain.commands import IssueToken, RegisterCluster
from infrastructure.access.tokens import hash_secret, new_secret
from infrastructure.auditor import audit
from infrastructure.ledger import Pending
from infrastructure.tamper import SigningKey, make_checkpoint
from infrastructure.tamper.leaf import LeafInputs

FULL_GOAL = 100_000  # events/s from empty state
INCREMENTAL_EVENTS = 1_000
INCREMENTAL_GOAL = 1.0  # seconds
BENCH = CommandContext(actor="bench", source="bench")
_lines = msgspec.json.Decoder(LeafInputs)


def measure(ctx: Context) -> list[Row]:
    ledger = ctx.require_ledger()
    key = SigningKey.generate("label-ledger.bench/audit")
    token = new_secret()
    issuing = IssueToken(
        name=f"auditor-{time.time_ns()}", role="auditor", token_hash=hash_secret(token)
    )
    ledger.execute(issuing, BENCH)
    size = make_checkpoint(ledger, key).tree_size
    server = ledger_server(ctx)
    state = Path(tempfile.mkdtemp(dir=ctx.workdir, prefix="audit-state-"))
    feed_seconds = _read_feed(server.base, token, 0, size)
    full = audit(server.base, public_key=key.verifier.text(), state_dir=state, token=token)
    run = time.time_ns()
    ledger.execute_batch(
        [
            Pending(
                command=RegisterCluster(
                    slug=f"audit-bench-{run}-{n}",
                    name=f"Audit bench {n}",
                    registered_on=date(2024, 1, 1),
                    regions=("Occitanie",),
                    themes=("numérique",),
                ),
                context=BENCH,
            )
            for n in range(INCREMENTAL_EVENTS)
        ]
    )
    grown = make_checkpoint(ledger, key).tree_size
    new_feed_seconds = _read_feed(server.base, token, size, grown)
    incremental = audit(server.base, public_key=key.verifier.text(), state_dir=state, token=token)
    return [
        ctx.row(
            key="audit",
            what=f"label-ledger audit over HTTP from empty state, {size:,} events",
            target="≥ 100,000 events/s",
            unit="events/s",
            measured=size / full.seconds if full.ok else None,
            baseline=size / feed_seconds,
            baseline_what="reading the same feed (GET /events/stream) alone, decoded",
            goal=FULL_GOAL,
            note="" if full.ok else f"audit failed: {full.summary()}",
            details={"seconds": full.seconds, "ok": full.ok, "events": size},
        ),
        ctx.row(
            key="audit-incremental",
            what=f"label-ledger audit after {grown - size:,} new events (state kept)",
            target="< 1 s",
            unit="s",
            measured=incremental.seconds if incremental.ok else None,
            baseline=new_feed_seconds,
            baseline_what="reading the new part of the feed alone",
            goal=INCREMENTAL_GOAL,
            better=LOWER,
            note="" if incremental.ok else f"audit failed: {incremental.summary()}",
            details={
                "seconds": incremental.seconds,
                "new_events": incremental.new_events,
                "rechecked": incremental.rechecked,
                "ok": incremental.ok,
            },
        ),
    ]


def _read_feed(base: str, token: str, after: int, upto: int) -> float:
    started = time.perf_counter()
    headers = {"Authorization": f"Bearer {token}"}
    params = {"after": after, "upto": upto}
    with (
        httpx.Client(base_url=base, headers=headers, timeout=600) as client,
        client.stream("GET", "/events/stream", params=params) as response,
    ):
        pending = b""
        for chunk in response.iter_bytes(1 << 20):
            data = pending + chunk
            cut = data.rfind(b"\n") + 1
            pending = data[cut:]
            _lines.decode_lines(data[:cut])
    return time.perf_counter() - started
