"""Request bodies: size limit, media type, msgspec decoding, every invalid field named."""

from __future__ import annotations

import re
from functools import cache
from typing import Any, TypeVar

import msgspec

from api.http.problems import (
    INVALID_BODY,
    MALFORMED_HEADER,
    PAYLOAD_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    FieldError,
    HttpProblem,
)

MAX_BODY_BYTES = 1 << 20
S = TypeVar("S", bound=msgspec.Struct)
_LOCATION = re.compile(r"^(?P<detail>.*) - at `\$(?P<path>[^`]*)`$", re.DOTALL)
_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def check_declared_length(value: str | None) -> None:
    if value is None:
        return
    if not value.isdigit():
        raise HttpProblem(MALFORMED_HEADER, "Content-Length is not a number of bytes")
    if int(value) > MAX_BODY_BYTES:
        raise too_large()


def too_large() -> HttpProblem:
    return HttpProblem(PAYLOAD_TOO_LARGE, f"the body exceeds {MAX_BODY_BYTES} bytes (1 MiB)")


def check_media_type(value: str | None) -> None:
    media_type = (value or "").split(";", 1)[0].strip().lower()
    if media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        return
    shown = media_type or "none"
    raise HttpProblem(
        UNSUPPORTED_MEDIA_TYPE, f"Content-Type {shown!r} is not JSON; send application/json"
    )


def decode_body(cls: type[S], raw: bytes) -> S:
    try:
        body: S = _decoder(cls).decode(raw)
    except msgspec.DecodeError:
        errors = body_errors(cls, raw)
        fields = ", ".join(e.pointer for e in errors)
        raise HttpProblem(
            INVALID_BODY, f"invalid request body at {fields}", errors=errors
        ) from None
    return body


@cache
def _decoder(cls: type[S]) -> msgspec.json.Decoder[S]:
    return msgspec.json.Decoder(cls)


def body_errors(cls: type[msgspec.Struct], raw: bytes) -> list[FieldError]:
    """Every invalid field of a body (msgspec itself stops at the first one)."""
    try:
        data = msgspec.json.decode(raw)
    except msgspec.DecodeError as error:
        return [FieldError(pointer="#", detail=f"malformed JSON: {error}")]
    if not isinstance(data, dict):
        return [FieldError(pointer="#", detail="expected a JSON object")]
    errors = [
        FieldError(pointer=pointer((name,)), detail="unknown field")
        for name in data
        if name not in _field_names(cls)
    ]
    for field in msgspec.structs.fields(cls):
        errors.extend(_field_errors(field, data))
    if not errors:
        # The fields are valid one by one, so the body fails as a whole.
        errors = [_whole_body_error(cls, raw)]
    return errors


def _field_names(cls: type[msgspec.Struct]) -> set[str]:
    return {field.encode_name for field in msgspec.structs.fields(cls)}


def _field_errors(field: msgspec.structs.FieldInfo, data: dict[str, Any]) -> list[FieldError]:
    name = field.encode_name
    if name not in data:
        if field.required:
            return [FieldError(pointer=pointer((name,)), detail="required field missing")]
        return []
    try:
        msgspec.json.decode(msgspec.json.encode(data[name]), type=field.type)
    except msgspec.ValidationError as error:
        return [_located(str(error), (name,))]
    return []


def _whole_body_error(cls: type[msgspec.Struct], raw: bytes) -> FieldError:
    try:
        _decoder(cls).decode(raw)
    except msgspec.DecodeError as error:
        return _located(str(error), ())
    return FieldError(pointer="#", detail="invalid body")


def _located(message: str, prefix: tuple[str, ...]) -> FieldError:
    """Moves msgspec's ``- at `$.a[0]``` suffix into a JSON pointer under ``prefix``."""
    match = _LOCATION.match(message)
    if match is None:
        return FieldError(pointer=pointer(prefix), detail=message)
    parts = [key or index for key, index in _PATH_PART.findall(match["path"])]
    return FieldError(pointer=pointer((*prefix, *parts)), detail=match["detail"])


def pointer(parts: tuple[str, ...] | list[str]) -> str:
    """An RFC 6901 JSON pointer, as a URI fragment (``#/criteria/0/code``)."""
    escaped = (part.replace("~", "~0").replace("/", "~1") for part in parts)
    return "#" + "".join(f"/{part}" for part in escaped)

