"""JSON responses encoded by msgspec."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
from starlette.responses import Response

_encoder = msgspec.json.Encoder()


def json_body_of(body: Any) -> bytes:
    return _encoder.encode(body)


def json_response(
    body: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        _encoder.encode(body),
        status_code=status,
        media_type="application/json",
        headers=dict(headers or {}),
    )
