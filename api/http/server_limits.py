"""The limits ``label-ledger serve`` puts on every connection (see ``limited_protocol.py``).

Kept apart from the protocol so that the command line shows them without loading the
web stack.
"""

from __future__ import annotations

import msgspec

MAX_HEAD_BYTES = 16 * 1024
"""The request line and headers of one request, in bytes."""
MAX_HEADERS = 100
"""Header fields in one request."""
HEADERS_SECONDS = 10.0
"""From a request's first byte until its headers are complete."""
BODY_SECONDS = 30.0
"""From a request's headers until its body is complete (1 MiB at 35 kB/s)."""
KEEP_ALIVE_SECONDS = 5
"""How long a connection may wait, idle, for its first or next request."""
MAX_CONNECTIONS = 1000
"""Open connections (or requests in progress) beyond which a request is answered 503."""
LINGER_SECONDS = 2.0
"""How long a refused connection is still read (and dropped) before it is closed, so that a
client still sending gets the refusal, not a reset."""
BUSY_RETRY_SECONDS = 1
"""The ``Retry-After`` of a 503 answered for too many connections."""


class ConnectionLimits(msgspec.Struct, frozen=True, kw_only=True):
    """The limits one server applies (the command line may change the last three)."""

    head_bytes: int = MAX_HEAD_BYTES
    headers: int = MAX_HEADERS
    headers_seconds: float = HEADERS_SECONDS
    body_seconds: float = BODY_SECONDS
    connections: int = MAX_CONNECTIONS
