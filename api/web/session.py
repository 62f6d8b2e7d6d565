"""Who reads a page: an auditor's token kept in a cookie, and the forms' CSRF defence.

The token is posted once (``POST /ui/login``) and kept in an HttpOnly, SameSite=Strict
cookie; every page checks it again (a revoked token stops at once), as the bearer header
is checked by the JSON API, which never reads this cookie. Plain http://127.0.0.1 cannot
carry a ``Secure`` cookie.

Forms that change state (login, logout) are defended twice: a double-submit token (a
random value in a SameSite=Strict cookie that the form repeats in a hidden field; another
site can neither read the cookie nor make the browser send it) and the browser's
``Origin`` (or ``Sec-Fetch-Site``) header, which must name this server.
"""

from __future__ import annotations

import hmac
import math
import secrets
from typing import Annotated
from urllib.parse import parse_qsl, urlsplit

import msgspec
from fastapi import Depends, Request
from starlette.responses import HTMLResponse, Response

from api.http.auth import READ_ROLES
from api.http.auth_throttle import FailedAuthentications, client_address
from api.http.deps import LedgerDep
from api.http.request_facts import facts_of
from api.web.templating import render
from infrastructure.access.tokens import Caller
from infrastructure.ledger import Ledger

SESSION_COOKIE = "ledger_session"
CSRF_COOKIE = "ledger_csrf"
CSRF_FIELD = "csrf"
SESSION_SECONDS = 8 * 60 * 60
FORM_LIMIT = 8 * 1024
TOKEN_LIMIT = 512


class LoginRequired(Exception):
    """An auditor page was asked for without a valid session: log in, then come back."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class FormRefused(Exception):
    """A form post that did not come from this site's own page, or is malformed."""


class Page:
    """What every page knows about its reader: the auditor signed in, if any, and the
    CSRF token its forms repeat."""

    def __init__(self, path: str, viewer: Caller | None, csrf: str, *, fresh_csrf: bool) -> None:
        self.path = path
        self.viewer = viewer
        self.csrf = csrf
        self.fresh_csrf = fresh_csrf

    @classmethod
    def of(cls, request: Request, viewer: Caller | None) -> Page:
        facts = facts_of(request.scope)
        if facts is not None and viewer is not None:
            facts.actor = viewer.name
        existing = request.cookies.get(CSRF_COOKIE, "")
        if _well_formed(existing):
            return cls(request.url.path, viewer, existing, fresh_csrf=False)
        return cls(request.url.path, viewer, secrets.token_urlsafe(32), fresh_csrf=True)

    def render(
        self, template: str, context: dict[str, object], *, status: int = 200
    ) -> HTMLResponse:
        response = render(template, {"page": self, **context}, status=status)
        if self.fresh_csrf:
            keep_cookie(response, CSRF_COOKIE, self.csrf, max_age=None)
        return response


def viewer_of(ledger: Ledger, request: Request) -> Caller | None:
    """The auditor (or admin) whose token the session cookie holds, if still valid.

    A cookie is a token too: an unknown one counts as a failed authentication, and while
    the address is throttled the cookie is not checked (the page is shown signed out). Two
    session cookies are none: which one the browser meant cannot be known."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > TOKEN_LIMIT or _cookie_count(request, SESSION_COOKIE) > 1:
        return None
    failures, address = failures_of(request)
    if failures.wait(address) > 0:
        return None
    caller = ledger.caller(token)
    if caller is None:
        failures.failed(address)
    return caller if caller is not None and caller.role in READ_ROLES else None


def _cookie_count(request: Request, name: str) -> int:
    return sum(
        part.split("=", 1)[0].strip() == name
        for header in request.headers.getlist("cookie")
        for part in header.split(";")
    )


def failures_of(request: Request) -> tuple[FailedAuthentications, str]:
    """The server's failed-authentication limiter and the request's client address."""
    failures: FailedAuthentications = request.app.state.failed_authentications
    return failures, client_address(request.scope.get("client"))


def page_of(request: Request, ledger: LedgerDep) -> Page:
    return Page.of(request, viewer_of(ledger, request))


def auditor_page(request: Request, ledger: LedgerDep) -> Page:
    page = page_of(request, ledger)
    if page.viewer is None:
        raise LoginRequired(request.url.path)
    return page


PageDep = Annotated[Page, Depends(page_of)]
AuditorPage = Annotated[Page, Depends(auditor_page)]


def keep_cookie(response: Response, name: str, value: str, *, max_age: int | None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="strict", secure=False
    )


def drop_cookie(response: Response, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="strict")


async def posted_form(request: Request) -> dict[str, str]:
    """A same-site form post's fields, its CSRF token checked; else FormRefused."""
    if not same_origin(request):
        msg = "this form was not posted from a page of this server"
        raise FormRefused(msg)
    if request.headers.get("content-type", "").split(";")[0].strip() != (
        "application/x-www-form-urlencoded"
    ):
        msg = "expected a form (application/x-www-form-urlencoded)"
        raise FormRefused(msg)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_LIMIT:
            msg = "the form is too large"
            raise FormRefused(msg)
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=8)
    except (UnicodeDecodeError, ValueError):
        msg = "the form cannot be read"
        raise FormRefused(msg) from None
    fields = dict(pairs)
    if len(fields) < len(pairs):
        msg = "a field of the form is given twice"
        raise FormRefused(msg)
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not _well_formed(expected) or not hmac.compare_digest(
        fields.get(CSRF_FIELD, "").encode(), expected.encode()
    ):
        msg = "the form's token does not match this browser's (reload the page and retry)"
        raise FormRefused(msg)
    return fields


def same_origin(request: Request) -> bool:
    """Whether the browser says the request comes from this server's own pages."""
    origin = request.headers.get("origin")
    if origin is not None:
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and parts.netloc == request.headers.get("host")
    return request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")


def safe_next(path: str | None) -> str:
    """A local path to return to after logging in (never another site)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/ui/audit"
    return path


def _well_formed(token: str) -> bool:
    return 32 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum()


class LoginOutcome(msgspec.Struct, frozen=True):
    caller: Caller | None
    message: str | None
    retry_after: int | None = None
    """Seconds before this address may try a token again, when it is throttled."""


def check_login(
    ledger: Ledger, token: str, failures: FailedAuthentications, address: str
) -> LoginOutcome:
    """The caller a posted token identifies, or why it is refused (never the token)."""
    token = token.strip()
    if not token:
        return LoginOutcome(None, "Enter a token.")
    wait = math.ceil(failures.wait(address))
    if wait > 0:
        message = f"Too many unknown tokens from this address: retry in {wait} s."
        return LoginOutcome(None, message, retry_after=wait)
    caller = None if len(token) > TOKEN_LIMIT else ledger.caller(token)
    if caller is None:
        failures.failed(address)
        return LoginOutcome(None, "That token is unknown or revoked.")
    if caller.role not in READ_ROLES:
        return LoginOutcome(None, f"Token {caller.name!r} may not read the audit pages.")
    return LoginOutcome(caller, None)
