"""Servers the HTTP rows load, run as ``python -m bench.servers KIND --port N [--db URL]``.

``constant``: a FastAPI endpoint returning a constant, served by uvicorn exactly as
``label-ledger serve`` serves the ledger (same config, a pre-bound socket, a sync route
run in the thread pool like the ledger's routes): the HTTP stack's own ceiling.
``ledger-group-commit``: the ledger's app as ``label-ledger serve`` builds it, with
group commit turned on, for when ``serve`` itself does not turn it on.
"""

from __future__ import annotations

import argparse

import uvicorn
from fastapi import FastAPI
from starlette.responses import Response

from api.cli.common import ledger_at
from api.cli.serve_commands import listen, server_config
from api.http.app import create_app
from api.http.server_limits import ConnectionLimits

CONSTANT = b'{"status":"ok"}'


def constant_app() -> FastAPI:
    app = FastAPI()

    @app.get("/constant")
    def constant() -> Response:
        return Response(CONSTANT, media_type="application/json")

    return app


def run(app: FastAPI, port: int) -> None:
    server = uvicorn.Server(server_config(app, ConnectionLimits()))
    server.run(sockets=[listen("127.0.0.1", port)])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.servers")
    parser.add_argument("kind", choices=["constant", "ledger-group-commit"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db")
    args = parser.parse_args()
    if args.kind == "constant":
        run(constant_app(), args.port)
        return
    with ledger_at(args.db) as ledger:
        ledger.enable_group_commit()
        run(create_app(ledger), args.port)


if __name__ == "__main__":
    main()
