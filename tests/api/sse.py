"""A Server-Sent Events reader for tests, and the application served in-process by uvicorn."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import uvicorn

from api.http.server import LedgerServer
from tests.api.live_server import free_port

STARTUP_SECONDS = 30


class Message(msgspec.Struct, frozen=True):
    """One event of the stream (``id`` and ``data``), or a comment (``comment``)."""

    id: str | None = None
    data: str | None = None
    comment: str | None = None

    @property
    def position(self) -> int:
        assert self.id is not None
        return int(self.id)

    def item(self) -> dict[str, Any]:
        assert self.data is not None
        found: dict[str, Any] = json.loads(self.data)
        return found


def messages(response: httpx.Response) -> Iterator[Message]:
    """The stream's events and comments, as the SSE format frames them."""
    fields: dict[str, str] = {}
    for line in response.iter_lines():
        if line.startswith(":"):
            yield Message(comment=line[1:].strip())
        elif line == "":
            if "data" in fields:
                yield Message(id=fields.get("id"), data=fields["data"])
            fields = {}
        else:
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")


class ServedApp:
    """An application served by uvicorn in a thread of this process, on a free port."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = LedgerServer(config, end_streams=app.state.live_feed.close)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        # Readiness polling, not a timed assertion: the limit only bounds a broken start.
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self.server.started:
            assert self.thread.is_alive(), "uvicorn stopped while starting"
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "uvicorn did not stop"
