"""Single commands through the live HTTP API, against the library's commit rate."""

from __future__ import annotations

import secrets
from datetime import date

import msgspec

from bench.baselines import Library, library_commit_rate
from bench.context import Context, median, percentile
from bench.http_load import LoadResult, Request, run_load
from bench.measures.live_server import (
    admin_token,
    has_route,
    ledger_server,
    serve_enables_group_commit,
)
from bench.report import LOWER, Row

TARGET_RATE = 1_000
TARGET_P99_MS = 25.0
PATH = "/clusters/{slug}/membership-reports"


def measure(ctx: Context) -> list[Row]:
    s = ctx.settings
    ledger = ctx.require_ledger()
    slugs = [slug for slug in ledger.cluster_slugs() if slug != ctx.deep_slug]
    token = admin_token(ctx)
    library = Library(env=ctx.space.library_env("commits"))
    commits, seconds, latencies = library_commit_rate(library, s.command_clients, s.http_seconds)
    library.close()
    base_rate, base_p99 = commits / seconds, 1000 * percentile(latencies, 0.99)
    baseline_what = f"the library: one event per save(), {s.command_clients} threads"
    server = ledger_server(ctx)
    if not has_route(server, "post", PATH):
        return [
            ctx.not_measured(
                "commands", "single commands over HTTP", "≥ 1,000/s", "commands/s",
                f"no POST {PATH}",
            )
        ]
    maker = _maker(slugs, token, s.command_clients)
    result = run_load(
        server, maker, clients=s.command_clients, seconds=s.http_seconds, warmup=s.http_warmup
    )
    ctx.stop_server("serve")
    rows = _rows(ctx, result, "`label-ledger serve`", base_rate, base_p99, baseline_what, False)
    rows[0].details["baseline_median_ms"] = 1000 * median(latencies)
    if not serve_enables_group_commit() and not s.smoke:
        rows += _group_commit_variant(ctx, slugs, token, (base_rate, base_p99), baseline_what)
    return rows


def _group_commit_variant(
    ctx: Context,
    slugs: list[str],
    token: str,
    baseline: tuple[float, float],
    baseline_what: str,
) -> list[Row]:
    """`serve` leaves group commit off: what turning it on gives, on the same load."""
    s = ctx.settings
    label = "bench copy of `serve` with group commit on"
    try:
        variant = ledger_server(ctx, group_commit_variant=True)
        result = run_load(
            variant,
            _maker(slugs, token, s.command_clients),  # fresh idempotency keys
            clients=s.command_clients,
            seconds=s.http_seconds,
            warmup=s.http_warmup,
        )
    except RuntimeError as error:
        return [
            ctx.not_measured(
                "commands-group-commit", f"single commands over HTTP ({label})",
                "≥ 1,000 commands/s", "commands/s", f"failed: {error}",
            )
        ]
    finally:
        ctx.stop_server("group-commit")
    return _rows(ctx, result, label, *baseline, baseline_what, True)


def _rows(
    ctx: Context,
    result: LoadResult,
    label: str,
    base_rate: float,
    base_p99: float,
    baseline_what: str,
    group_commit: bool,
) -> list[Row]:
    suffix = "-group-commit" if group_commit else ""
    ok = result.statuses.get("201", 0)
    details = {
        "server": label,
        "clients": result.clients,
        "requests": result.requests,
        "created_201": ok,
        "statuses": result.statuses,
        "p50_ms": result.p50_ms,
        "server_cpu_ms_per_request": result.server_cpu_ms_per_request,
        "client_cpu_seconds": result.client_cpu_seconds,
        "seconds": result.seconds,
        "generator": result.generator,
    }
    errors = result.requests - ok
    note = f"{errors} answers were not 201: {result.statuses}" if errors else ""
    return [
        ctx.row(
            key=f"commands{suffix}",
            what=f"single commands over HTTP, {result.clients} clients ({label})",
            target="≥ 1,000 commands/s",
            unit="commands/s",
            measured=ok / result.seconds,
            baseline=base_rate,
            baseline_what=baseline_what,
            goal=TARGET_RATE,
            note=note,
            details=details,
        ),
        ctx.row(
            key=f"commands-p99{suffix}",
            what=f"single commands over HTTP, p99 latency ({label})",
            target="p99 ≤ 25 ms",
            unit="ms",
            better=LOWER,
            measured=result.p99_ms,
            baseline=base_p99,
            baseline_what="p99 of the library's one-event commits, same threads",
            goal=TARGET_P99_MS,
            details={"p50_ms": result.p50_ms},
        ),
    ]


def _maker(slugs: list[str], token: str, clients: int):  # type: ignore[no-untyped-def]
    run = secrets.token_hex(4)
    mine = [slugs[i::clients] or slugs for i in range(clients)]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def make(client: int, number: int) -> Request:
        own = mine[client]
        slug = own[number % len(own)]
        body = msgspec.json.encode(
            {
                "as_of": date(2026, 1, 1 + number % 28),
                "members": {
                    "very_small": 40 + number % 50,
                    "sme": 90,
                    "intermediate_large": 12,
                    "research": 9,
                    "other": 3,
                },
                "private_funding_share": 0.55,
                "european_projects": 4,
            }
        )
        keyed = {**headers, "Idempotency-Key": f"bench-{run}-{client}-{number}"}
        return ("POST", PATH.format(slug=slug), body, keyed)

    return make

