"""Request headers that condition a write: ``If-Match`` and ``Idempotency-Key``."""

from __future__ import annotations

import re

from api.http.problems import MALFORMED_HEADER, HttpProblem
from domain.commands import ExpectedVersion

_ENTITY_TAG = re.compile(r'^(W/)?"([\x21\x23-\x7e]*)"$')
# Printable ASCII without spaces; quoted as an RFC 8941 string, as the IETF draft spells it.
_KEY = re.compile(r"^[\x21\x23-\x7e]{1,255}$")
# What the OpenAPI document shows (parsing above stays the judge, and answers 400).
KEY_PATTERN = r'^("[\x21\x23-\x7e]{1,255}"|[\x21\x23-\x7e]{1,255})$'
IF_MATCH_PATTERN = r'^(\*|(W/)?"[0-9]{1,9}"( *, *(W/)?"[0-9]{1,9}")*)$'


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(value: str | None) -> ExpectedVersion | None:
    if value is None:
        return None
    if value.strip() == "*":
        return ExpectedVersion(any=True)
    versions = []
    for part in value.split(","):
        found = _ENTITY_TAG.match(part.strip())
        if found is None:
            msg = f'If-Match must list entity tags such as "3" (quotes included), got {value!r}'
            raise HttpProblem(MALFORMED_HEADER, msg)
        weak, tag = found.groups()
        # If-Match compares strongly: weak or foreign tags are valid but never match.
        if weak is None and tag.isdigit() and len(tag) <= 18:
            versions.append(int(tag))
    return ExpectedVersion(versions=tuple(versions))


def parse_idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    key = value.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not _KEY.match(key):
        msg = "Idempotency-Key must be 1-255 printable ASCII characters without spaces or quotes"
        raise HttpProblem(MALFORMED_HEADER, msg)
    return key
