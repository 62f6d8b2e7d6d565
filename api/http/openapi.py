"""OpenAPI documentation of msgspec bodies: FastAPI describes the routes, msgspec the schemas."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import msgspec
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.http.commands import Exposed
from api.http.preconditions import IF_MATCH_PATTERN, KEY_PATTERN
from api.http.problems import PROBLEM_JSON, ProblemDetails
from infrastructure.receipts import Receipt

REF_TEMPLATE = "#/components/schemas/{name}"
PROBLEM_DESCRIPTIONS = {
    400: "Malformed header (If-Match, Idempotency-Key, Content-Length, two Authorization)",
    401: "Missing, unknown or revoked bearer token",
    403: "The token's role may not do this",
    404: "Unknown cluster, stage or address",
    409: "A ledger rule rejects the command (the problem type names the rule)",
    412: "If-Match does not match the current version",
    413: "Body over 1 MiB",
    415: "Body is not JSON",
    422: "Invalid body or parameters, or an Idempotency-Key reused for another request",
    429: "Too many unknown tokens from this address: retry after Retry-After seconds",
    503: "The ledger's database is unavailable, or the ledger was found inconsistent "
    "(writes are refused; the problem type says which)",
}
AUDIT_PROBLEMS = (400, 401, 403, 404, 422, 429, 503)
PUBLIC_PROBLEMS = (404, 422, 503)


def ref(cls: type) -> dict[str, Any]:
    return {"$ref": REF_TEMPLATE.format(name=cls.__name__)}


def array_of(cls: type) -> dict[str, Any]:
    return {"type": "array", "items": ref(cls)}


def request_body(cls: type[msgspec.Struct]) -> dict[str, Any]:
    """``openapi_extra`` for a route that decodes its body itself."""
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": ref(cls)}}}
    }


def responses(
    status: int,
    body: type | dict[str, Any],
    description: str,
    problems: Iterable[int],
    *,
    headers: dict[str, str] | None = None,
    media_type: str = "application/json",
) -> dict[int | str, dict[str, Any]]:
    schema = body if isinstance(body, dict) else ref(body)
    documented: dict[int | str, dict[str, Any]] = {
        status: {"description": description, "content": {media_type: {"schema": schema}}}
    }
    if headers:
        documented[status]["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in headers.items()
        }
    for code in problems:
        documented[code] = problem_doc(code)
    return documented


def problem_doc(status: int) -> dict[str, Any]:
    return {
        "description": PROBLEM_DESCRIPTIONS[status],
        "content": {PROBLEM_JSON: {"schema": ref(ProblemDetails)}},
    }


def msgspec_openapi(
    app: FastAPI, types: Iterable[type], writes: Iterable[Exposed] = ()
) -> Callable[[], dict[str, Any]]:
    """An ``app.openapi`` that merges the msgspec schemas of ``types`` into the components
    and describes every command route (answered in front of FastAPI)."""
    writes = tuple(writes)
    wanted = (ProblemDetails, Receipt, *(w.body for w in writes), *types)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            _, components = msgspec.json.schema_components(wanted, ref_template=REF_TEMPLATE)
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(components)
            _replace_fastapi_validation_errors(document)
            for exposed in writes:
                document["paths"].setdefault(exposed.path, {})["post"] = command_operation(exposed)
            app.openapi_schema = document
        return app.openapi_schema

    return openapi


def _replace_fastapi_validation_errors(document: dict[str, Any]) -> None:
    """FastAPI documents its own 422 body; this API answers a problem instead."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            answers = operation.get("responses", {})
            if "HTTPValidationError" in str(answers.get("422", "")):
                answers["422"] = problem_doc(422)
    schemas = document["components"]["schemas"]
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)


WRITE_PROBLEMS = (400, 401, 403, 404, 409, 412, 413, 415, 422, 429, 503)
CREATE_PROBLEMS = (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)
WRITE_HEADERS = {
    "ETag": 'The new version of the command\'s target, "<version>", for If-Match',
    "Location": "The command's target",
    "Idempotent-Replayed": "true when this is the first answer to the key, given again",
}
PATH_PARAMETERS = {
    "slug": {"type": "string", "pattern": r"^[a-z0-9]+(-[a-z0-9]+)*$", "maxLength": 64},
    "number": {"type": "integer", "minimum": 1, "maximum": 999},
}
KEY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Replays the first answer to this key instead of deciding again.",
    "schema": {"type": "string", "pattern": KEY_PATTERN},
}
IF_MATCH_HEADER = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": 'The ETag ("<version>") the command expects of its target; 412 if it moved on.',
    "schema": {"type": "string", "pattern": IF_MATCH_PATTERN},
}


def command_operation(exposed: Exposed) -> dict[str, Any]:
    """The OpenAPI operation of one command route."""
    doc = (exposed.command.__doc__ or exposed.answer).strip()
    summary = doc.splitlines()[0]
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": PATH_PARAMETERS[name]}
        for name in exposed.parameters
    ]
    parameters.append(KEY_HEADER)
    if not exposed.creates():
        parameters.append(IF_MATCH_HEADER)
    problems = CREATE_PROBLEMS if exposed.creates() else WRITE_PROBLEMS
    return {
        "tags": [exposed.tag],
        "summary": summary.rstrip("."),
        "description": doc,
        "operationId": f"{exposed.tag}-{exposed.command.__name__}",
        "parameters": parameters,
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ref(exposed.body)}},
        },
        "responses": responses(201, Receipt, exposed.answer, problems, headers=WRITE_HEADERS),
        "security": [{"BearerToken": []}],
    }
