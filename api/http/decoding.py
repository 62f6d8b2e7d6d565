"""Request bodies: size and nesting limits, media type, msgspec decoding, every invalid
field named.

Every check is linear in the body: a hostile body (nested ten thousand levels deep, or
with fifty thousand unknown fields) costs what a valid body of its size costs, and gets
a 422 that names the limit or the first invalid fields.
"""

from __future__ import annotations

import re
from functools import cache
from itertools import accumulate
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
from domain.commands import LINE_PATTERN, TEXT_PATTERN

MAX_BODY_BYTES = 1 << 20
MAX_NESTING = 64
"""Deepest nesting of arrays and objects in a body (commands need four levels at most)."""
DECODED_ON_LOOP_BYTES = 64 * 1024
"""Larger bodies are decoded and checked in a worker thread, off the event loop."""
MAX_FIELD_ERRORS = 50
"""Invalid fields named in one answer; the detail counts the others."""
S = TypeVar("S", bound=msgspec.Struct)
# A JSON string, escapes included; an unterminated one runs to the end of the body, so
# that no position is scanned twice.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_PRINTABLE = "no control, bidirectional-control or zero-width character"
_BRACKETS = b"[]{}"
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(_BRACKETS)))
_STEPS = bytes.maketrans(_BRACKETS, b"\x01\xff\x01\xff")  # +1 opens, -1 (signed) closes
_PATTERN_MEANINGS = (
    (f"`str` matching regex {LINE_PATTERN!r}", f"one line of printable text ({_PRINTABLE})"),
    (f"`str` matching regex {TEXT_PATTERN!r}", f"printable text ({_PRINTABLE})"),
)
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
    check_nesting(raw)
    try:
        body: S = _decoder(cls).decode(raw)
    except msgspec.DecodeError:
        raise invalid_body(cls, raw) from None
    return body


def check_nesting(raw: bytes) -> None:
    """Refuses a body nested deeper than ``MAX_NESTING`` before anything recurses into it."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_NESTING:
        return  # the common case: too few brackets to nest that deep
    steps = _STRING.sub(b"", raw).translate(_STEPS, _NOT_BRACKETS)
    if max(accumulate(memoryview(steps).cast("b")), default=0) > MAX_NESTING:
        detail = f"the body nests arrays and objects deeper than {MAX_NESTING} levels"
        raise HttpProblem(INVALID_BODY, detail, errors=[FieldError(pointer="#", detail=detail)])


def invalid_body(cls: type[msgspec.Struct], raw: bytes) -> HttpProblem:
    errors, unlisted = body_errors(cls, raw)
    fields = ", ".join(e.pointer for e in errors)
    more = f" and {unlisted} more" if unlisted else ""
    return HttpProblem(INVALID_BODY, f"invalid request body at {fields}{more}", errors=errors)


@cache
def _decoder(cls: type[S]) -> msgspec.json.Decoder[S]:
    return msgspec.json.Decoder(cls)


def body_errors(cls: type[msgspec.Struct], raw: bytes) -> tuple[list[FieldError], int]:
    """The invalid fields of a body (msgspec itself stops at the first one): the first
    ``MAX_FIELD_ERRORS``, and how many more there are."""
    try:
        data = msgspec.json.decode(raw)
    except msgspec.DecodeError as error:
        return [FieldError(pointer="#", detail=f"malformed JSON: {error}")], 0
    if not isinstance(data, dict):
        return [FieldError(pointer="#", detail="expected a JSON object")], 0
    known = _field_names(cls)
    unknown = [name for name in data if name not in known]
    errors = [
        FieldError(pointer=pointer((name,)), detail="unknown field")
        for name in unknown[:MAX_FIELD_ERRORS]
    ]
    for field in _fields(cls):
        errors.extend(_field_errors(field, data))
    if not errors:
        # The fields are valid one by one, so the body fails as a whole.
        errors = [_whole_body_error(cls, raw)]
    unlisted = max(0, len(unknown) - MAX_FIELD_ERRORS) + max(0, len(errors) - MAX_FIELD_ERRORS)
    return errors[:MAX_FIELD_ERRORS], unlisted


@cache
def _fields(cls: type[msgspec.Struct]) -> tuple[msgspec.structs.FieldInfo, ...]:
    return msgspec.structs.fields(cls)


@cache
def _field_names(cls: type[msgspec.Struct]) -> frozenset[str]:
    return frozenset(field.encode_name for field in _fields(cls))


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
        return FieldError(pointer=pointer(prefix), detail=_readable(message))
    parts = [key or index for key, index in _PATH_PART.findall(match["path"])]
    return FieldError(pointer=pointer((*prefix, *parts)), detail=_readable(match["detail"]))


def _readable(detail: str) -> str:
    """msgspec's detail, with the text patterns said in words."""
    for pattern, meaning in _PATTERN_MEANINGS:
        detail = detail.replace(pattern, meaning)
    return detail


def pointer(parts: tuple[str, ...] | list[str]) -> str:
    """An RFC 6901 JSON pointer, as a URI fragment (``#/criteria/0/code``)."""
    escaped = (part.replace("~", "~0").replace("/", "~1") for part in parts)
    return "#" + "".join(f"/{part}" for part in escaped)

