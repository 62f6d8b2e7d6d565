"""RFC 9457 problem details: every error the API answers, from one module.

Each problem has a stable ``type`` URI, ``/problems/<code>``, which the API
itself serves (``GET /problems/{code}``). Domain errors take their code from
``domain.errors``; HTTP-level problems are declared here.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Mapping

import msgspec
import psycopg
import psycopg_pool
from eventsourcing.persistence import PersistenceError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from domain.errors import (
    ConcurrencyConflict,
    CredentialRevoked,
    IdempotencyKeyReused,
    InvalidCommand,
    InvalidSlug,
    InvalidTokenName,
    InvariantViolation,
    LedgerError,
    NotFound,
    ProjectionError,
    VersionMismatch,
)
from infrastructure.store.errors import StoreError, store_error_from
from infrastructure.tamper.errors import (
    InvalidCheckpoint,
    InvalidProofRequest,
    NoCheckpoint,
    NoSigningKey,
    PositionBeyondTree,
    TreeSizeBeyondLog,
)

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("label_ledger.http")


class FieldError(msgspec.Struct, frozen=True, kw_only=True):
    """One invalid part of a request: a JSON pointer into the body, or a parameter."""

    pointer: str
    detail: str


class ProblemDetails(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """An RFC 9457 problem; ``errors`` names each invalid field of a 422."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None


class ProblemType(msgspec.Struct, frozen=True, kw_only=True):
    """What a problem ``type`` URI means."""

    type: str
    code: str
    title: str
    status: int
    description: str


class HttpProblem(Exception):
    """A problem raised by the HTTP layer itself (auth, headers, body framing)."""

    def __init__(
        self,
        kind: ProblemType,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        errors: list[FieldError] | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.headers = dict(headers or {})
        self.errors = errors


def type_uri(code: str) -> str:
    return f"/problems/{code}"


def _http(code: str, status: int, title: str, description: str) -> ProblemType:
    return ProblemType(
        type=type_uri(code), code=code, title=title, status=status, description=description
    )


MALFORMED_HEADER = _http(
    "malformed-header", 400, "Malformed header", "A request header cannot be parsed."
)
BAD_REQUEST = _http("bad-request", 400, "Bad request", "The request cannot be understood.")
UNAUTHORIZED = _http(
    "unauthorized",
    401,
    "Authentication required",
    "The endpoint needs 'Authorization: Bearer <token>' with a valid, unrevoked token.",
)
FORBIDDEN = _http(
    "forbidden", 403, "Role not allowed", "The token is valid but its role may not do this."
)
ROUTE_NOT_FOUND = _http("not-found", 404, "Not found", "No resource at this address.")
METHOD_NOT_ALLOWED = _http(
    "method-not-allowed", 405, "Method not allowed", "The resource does not accept this method."
)
NOT_ACCEPTABLE = _http(
    "not-acceptable", 406, "Not acceptable", "The API answers only in JSON or CSV."
)
PAYLOAD_TOO_LARGE = _http(
    "payload-too-large", 413, "Body too large", "Request bodies are limited to 1 MiB."
)
REQUEST_TIMEOUT = _http(
    "request-timeout",
    408,
    "Request timeout",
    "The request's headers or body did not arrive in time; the connection is closed.",
)
TOO_MANY_FAILED_AUTHENTICATIONS = _http(
    "too-many-failed-authentications",
    429,
    "Too many failed authentications",
    "Too many unknown tokens came from this address: retry after 'Retry-After' seconds.",
)
HEADERS_TOO_LARGE = _http(
    "headers-too-large",
    431,
    "Request headers too large",
    "The request line and headers exceed the server's limits; the connection is closed.",
)
UNSUPPORTED_MEDIA_TYPE = _http(
    "unsupported-media-type",
    415,
    "Unsupported media type",
    "Request bodies must be JSON ('Content-Type: application/json').",
)
INVALID_BODY = _http(
    "invalid-body",
    422,
    "Invalid request body",
    "The body is not JSON, or does not match the schema; 'errors' names each invalid field.",
)
INVALID_PARAMETERS = _http(
    "invalid-parameters",
    422,
    "Invalid parameters",
    "A query parameter or header has an invalid value; 'errors' names each one.",
)
STORE_UNAVAILABLE = _http(
    "store-unavailable",
    503,
    "Store unavailable",
    "The ledger's database cannot be reached, is busy or damaged (retry later), "
    "or is read-only on this server (writes are refused).",
)
SERVER_BUSY = _http(
    "server-busy",
    503,
    "Server busy",
    "The server has as many connections as it accepts: retry after 'Retry-After' seconds.",
)
LEDGER_INCONSISTENT = _http(
    "ledger-inconsistent",
    503,
    "Ledger inconsistent",
    "A verification on this server found the log or a derived table inconsistent (the "
    "detail names the position and kind): writes are refused and reads carry a "
    "'Ledger-Integrity' header until its operator restores the store and a full "
    "verification passes.",
)
NOT_READY = _http(
    "not-ready",
    503,
    "Not ready",
    "The server cannot serve the ledger as it should; 'errors' names each failing check "
    "(store, read-models, tree, integrity).",
)
INTERNAL_ERROR = _http(
    "internal-error", 500, "Internal error", "An unexpected error; it was logged."
)
HTTP_PROBLEMS = (
    MALFORMED_HEADER,
    BAD_REQUEST,
    UNAUTHORIZED,
    FORBIDDEN,
    ROUTE_NOT_FOUND,
    METHOD_NOT_ALLOWED,
    NOT_ACCEPTABLE,
    PAYLOAD_TOO_LARGE,
    REQUEST_TIMEOUT,
    TOO_MANY_FAILED_AUTHENTICATIONS,
    HEADERS_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    INVALID_BODY,
    INVALID_PARAMETERS,
    STORE_UNAVAILABLE,
    SERVER_BUSY,
    LEDGER_INCONSISTENT,
    NOT_READY,
    INTERNAL_ERROR,
)

# First match wins, so subclasses come before their bases.
STATUS_OF_ERROR: tuple[tuple[type[LedgerError], int], ...] = (
    (NotFound, 404),
    (NoCheckpoint, 404),
    (NoSigningKey, 404),
    (VersionMismatch, 412),
    (InvalidProofRequest, 422),
    (PositionBeyondTree, 422),
    (TreeSizeBeyondLog, 422),
    (InvalidCheckpoint, 422),
    (ProjectionError, 503),
    (InvalidCommand, 422),
    (InvalidSlug, 422),
    (InvalidTokenName, 422),
    (IdempotencyKeyReused, 422),
    (CredentialRevoked, 401),
    (InvariantViolation, 409),
    (ConcurrencyConflict, 409),
    (LedgerError, 409),
)
STORE_ERRORS = (
    StoreError,
    PersistenceError,
    psycopg.Error,
    psycopg_pool.PoolTimeout,
    sqlite3.Error,
)
STORE_PROBLEM_DETAILS = {
    "read-only": "this server's ledger is read-only: writes are refused",
    "damaged": "the ledger's database is damaged; its operator must repair it",
    "busy": "the ledger's database is busy; retry later",
}


def status_of(error_type: type[LedgerError]) -> int:
    return next(status for cls, status in STATUS_OF_ERROR if issubclass(error_type, cls))


def domain_problem_type(error_type: type[LedgerError]) -> ProblemType:
    description = (error_type.__doc__ or error_type.title).strip().splitlines()[0]
    return ProblemType(
        type=type_uri(error_type.code),
        code=error_type.code,
        title=error_type.title,
        status=status_of(error_type),
        description=description,
    )


def _error_types(root: type[LedgerError]) -> Iterator[type[LedgerError]]:
    yield root
    for sub in root.__subclasses__():
        yield from _error_types(sub)


def problem_catalogue() -> dict[str, ProblemType]:
    """Every problem type the API can answer, by code."""
    catalogue = {kind.code: kind for kind in HTTP_PROBLEMS}
    for error_type in _error_types(LedgerError):
        catalogue.setdefault(error_type.code, domain_problem_type(error_type))
    return catalogue


def problem_response(
    instance: str,
    kind: ProblemType,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    errors: list[FieldError] | None = None,
) -> Response:
    problem = ProblemDetails(
        type=kind.type,
        title=kind.title,
        status=kind.status,
        detail=detail,
        instance=instance,
        errors=errors,
    )
    return Response(
        msgspec.json.encode(problem),
        status_code=kind.status,
        media_type=PROBLEM_JSON,
        headers=dict(headers or {}),
    )


def answer_error(error: Exception, method: str, path: str, store: str = "the store") -> Response:
    """The problem answering ``error``: the one place errors become HTTP answers.

    ``store`` names the ledger's store in the log (never in the answer)."""
    if isinstance(error, LedgerError):
        headers = {"Idempotent-Replayed": "true"} if error.replayed else None
        kind = domain_problem_type(type(error))
        if isinstance(error, CredentialRevoked):
            headers = {**(headers or {}), "WWW-Authenticate": 'Bearer realm="label-ledger"'}
        detail = str(error) or error.title
        errors = None
        if error.field is not None:
            errors = [FieldError(pointer=f"#/{error.field}", detail=detail)]
        return problem_response(path, kind, detail, headers=headers, errors=errors)
    if isinstance(error, HttpProblem):
        return problem_response(
            path, error.kind, error.detail, headers=error.headers, errors=error.errors
        )
    if isinstance(error, STORE_ERRORS):
        return store_problem(error, method, path, store)
    if isinstance(error, ClientDisconnect):
        # The client left before its body arrived: nothing was written and no one is left
        # to answer, so this is no server error (and no traceback in the log).
        log.info("client left during %s %s", method, path)
        return Response(status_code=400)
    log.error("unexpected error on %s %s", method, path, exc_info=error)
    return problem_response(path, INTERNAL_ERROR, "an unexpected error occurred; it was logged")


def store_problem(error: Exception, method: str, path: str, store: str) -> Response:
    problem = store_error_from(error, store)
    described = problem or f"{type(error).__name__}: {str(error).strip()[:200]}"
    log.warning("store error on %s %s: %s", method, path, described)
    kind = problem.problem if problem is not None else "unavailable"
    detail = STORE_PROBLEM_DETAILS.get(kind, "the ledger's database is unavailable; retry later")
    headers = {} if kind == "read-only" else {"Retry-After": "5"}
    return problem_response(path, STORE_UNAVAILABLE, detail, headers=headers)


# --- handlers -----------------------------------------------------------------


async def _on_error(request: Request, error: Exception) -> Response:
    store = str(getattr(request.app.state, "store_where", "the store"))
    return answer_error(error, request.method, request.url.path, store)


async def _on_http_exception(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    kind = {404: ROUTE_NOT_FOUND, 405: METHOD_NOT_ALLOWED, 406: NOT_ACCEPTABLE}.get(
        error.status_code, BAD_REQUEST
    )
    if error.status_code >= 500:
        kind = INTERNAL_ERROR
    detail = error.detail if isinstance(error.detail, str) else kind.title
    return problem_response(request.url.path, kind, detail, headers=error.headers)


async def _on_request_validation(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    issues = list(error.errors())
    path = request.url.path
    # A path that does not parse (``/stages/abc``) names no resource: 404, like
    # any other address that leads nowhere.
    if any(issue.get("loc", ("",))[0] == "path" for issue in issues):
        return problem_response(path, ROUTE_NOT_FOUND, f"no resource at {path}")
    errors = [
        FieldError(pointer=_parameter_name(issue.get("loc", ())), detail=str(issue.get("msg")))
        for issue in issues
    ]
    names = ", ".join(e.pointer for e in errors)
    return problem_response(path, INVALID_PARAMETERS, f"invalid {names}", errors=errors)


def _parameter_name(loc: tuple[object, ...] | list[object]) -> str:
    parts = [str(part) for part in loc]
    if len(parts) >= 2 and parts[0] in {"query", "header", "path", "cookie"}:
        return f"{parts[0]}:{'.'.join(parts[1:])}"
    return ".".join(parts)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    for error_type in (LedgerError, HttpProblem, *STORE_ERRORS, ClientDisconnect, Exception):
        app.add_exception_handler(error_type, _on_error)
