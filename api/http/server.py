"""uvicorn's server for the ledger's application (imported only by ``serve``)."""

from __future__ import annotations

import socket
from collections.abc import Callable

import uvicorn


class LedgerServer(uvicorn.Server):
    """Ends the live feed's streams first when it shuts down: otherwise it would wait for
    them (they never end by themselves) until its graceful timeout cut them off."""

    def __init__(self, config: uvicorn.Config, end_streams: Callable[[], None]) -> None:
        super().__init__(config)
        self.end_streams = end_streams

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.end_streams()
        await super().shutdown(sockets)
