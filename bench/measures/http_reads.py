"""``GET /clusters/{slug}`` with 32 clients, against a FastAPI endpoint returning a constant."""

from __future__ import annotations

import random

from bench.context import Context
from bench.http_load import LoadResult, Request, RequestMaker, run_load
from bench.measures.live_server import constant_server, has_route, ledger_server
from bench.report import LOWER, Row

TARGET_RATE = 3_000
TARGET_P99_MS = 5.0
PATH = "/clusters/{slug}"


def measure(ctx: Context) -> list[Row]:
    s = ctx.settings
    slugs = ctx.require_ledger().cluster_slugs()
    server = ledger_server(ctx)
    if not has_route(server, "get", PATH):
        return [
            ctx.not_measured(
                "reads", "GET /clusters/{slug}", "≥ 3,000 requests/s", "requests/s",
                f"no GET {PATH} in the API",
            )
        ]
    ours = run_load(server, _reads(slugs, s.seed), clients=s.read_clients,
                    seconds=s.http_seconds, warmup=s.http_warmup)
    theirs = run_load(constant_server(ctx), lambda c, n: ("GET", "/constant", None, {}),
                      clients=s.read_clients, seconds=s.http_seconds, warmup=s.http_warmup)
    return _rows(ctx, ours, theirs)


def _reads(slugs: list[str], seed: int) -> RequestMaker:
    """Public reads (no token), spread over every cluster."""
    order = random.Random(seed).sample(slugs, len(slugs))
    headers: dict[str, str] = {}

    def make(client: int, number: int) -> Request:
        slug = order[(client * 7919 + number) % len(order)]
        return ("GET", PATH.format(slug=slug), None, headers)

    return make


def _rows(ctx: Context, ours: LoadResult, theirs: LoadResult) -> list[Row]:
    ok = ours.statuses.get("200", 0)
    errors = ours.requests - ok
    details = {
        "clients": ours.clients,
        "requests": ours.requests,
        "statuses": ours.statuses,
        "p50_ms": ours.p50_ms,
        "server_cpu_ms_per_request": ours.server_cpu_ms_per_request,
        "client_cpu_seconds": ours.client_cpu_seconds,
        "baseline_server_cpu_ms_per_request": theirs.server_cpu_ms_per_request,
        "baseline_p50_ms": theirs.p50_ms,
        "generator": ours.generator,
    }
    return [
        ctx.row(
            key="reads",
            what=f"GET /clusters/{{slug}}, {ours.clients} clients",
            target="≥ 3,000 requests/s",
            unit="requests/s",
            measured=ok / ours.seconds,
            baseline=theirs.throughput,
            baseline_what="FastAPI endpoint returning a constant, same uvicorn setup",
            goal=TARGET_RATE,
            note=f"{errors} answers were not 200: {ours.statuses}" if errors else "",
            details=details,
        ),
        ctx.row(
            key="reads-p99",
            what="GET /clusters/{slug}, p99 latency",
            target="p99 ≤ 5 ms",
            unit="ms",
            better=LOWER,
            measured=ours.p99_ms,
            baseline=theirs.p99_ms,
            baseline_what="p99 of the constant endpoint, same clients",
            goal=TARGET_P99_MS,
        ),
    ]
