"""The live ledger server the HTTP rows load, and an admin token for it."""

from __future__ import annotations

import inspect
import secrets

import httpx

from api.cli import serve_commands
from bench.context import Context
from bench.http_load import Server, free_port, python_argv
from bench.measures.memory_peak import label_ledger
from domain.commands import Context as CommandContext
from domain.commands import IssueToken
from infrastructure.access.tokens import hash_secret, new_secret


def admin_token(ctx: Context) -> str:
    """``label-ledger token create`` prints the token on its last stdout line."""
    if ctx.token is None:
        ctx.token = _create_token(ctx)
    return ctx.token


def _create_token(ctx: Context) -> str:
    """What ``label-ledger token create --role admin`` does, in process (it is slow to start)."""
    name = f"bench-{secrets.token_hex(4)}"
    secret = new_secret()
    command = IssueToken(name=name, role="admin", token_hash=hash_secret(secret))
    ctx.require_ledger().execute(command, CommandContext(actor="bench"))
    return secret


def serve_enables_group_commit() -> bool:
    return "enable_group_commit" in inspect.getsource(serve_commands)


def ledger_server(ctx: Context, *, group_commit_variant: bool = False) -> Server:
    """``label-ledger serve`` itself (kept running), or the bench's copy of it with group
    commit on (started anew)."""
    name = "group-commit" if group_commit_variant else "serve"
    return ctx.server(name, lambda: _start_ledger_server(ctx, group_commit_variant))


def prestart_servers(ctx: Context) -> None:
    """Smoke runs start both servers early, so that their start-up overlaps other rows."""
    ctx.servers.setdefault("serve", _start_ledger_server(ctx, False, wait=False))
    ctx.servers.setdefault("constant", _start_constant_server(ctx, wait=False))


def _start_ledger_server(ctx: Context, group_commit_variant: bool, *, wait: bool = True) -> Server:
    port = free_port()
    if group_commit_variant:
        argv = python_argv(
            "-m", "bench.servers", "ledger-group-commit", "--db", ctx.url, "--port", str(port)
        )
    else:
        argv = [*label_ledger(), "serve", "--db", ctx.url, "--port", str(port)]
    name = "group-commit" if group_commit_variant else "serve"
    return Server(argv, port, ctx.workdir / f"{ctx.kind}-{name}.log", "/healthz", wait=wait)


def constant_server(ctx: Context) -> Server:
    return ctx.server("constant", lambda: _start_constant_server(ctx))


def _start_constant_server(ctx: Context, *, wait: bool = True) -> Server:
    port = free_port()
    argv = python_argv("-m", "bench.servers", "constant", "--port", str(port))
    return Server(argv, port, ctx.workdir / f"{ctx.kind}-constant.log", "/constant", wait=wait)


def has_route(server: Server, method: str, path: str) -> bool:
    spec = httpx.get(server.base + "/openapi.json", timeout=30).json()
    return method.lower() in spec.get("paths", {}).get(path, {})
