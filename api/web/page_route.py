"""Pages answer errors as pages: a missing cluster is a 404 page, not problem JSON."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlencode

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api.http.problems import STORE_ERRORS, status_of
from api.web.session import FormRefused, LoginRequired, Page
from domain.errors import LedgerError

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class PageRoute(APIRoute):
    """A route whose expected failures render ``error.html`` with the right status."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as needed:
                return RedirectResponse(
                    f"/ui/login?{urlencode({'next': needed.path})}", status_code=303
                )
            except FormRefused as refused:
                return error_page(request, 403, "Form refused", str(refused))
            except RequestValidationError as invalid:
                return error_page(request, 422, "Invalid address", _invalid(invalid))
            except LedgerError as error:
                return error_page(request, status_of(type(error)), error.title, str(error))
            except STORE_ERRORS:
                return error_page(
                    request, 503, "Store unavailable",
                    "The ledger's database is unavailable; retry in a moment.",
                )

        return page_handler


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    page = Page(request.url.path, None, "", fresh_csrf=False)
    return page.render("error.html", {"status": status, "title": title, "detail": detail},
                       status=status)


def _invalid(error: RequestValidationError) -> str:
    names = [".".join(str(p) for p in issue.get("loc", ())[1:]) for issue in error.errors()]
    return f"invalid {', '.join(names) or 'request'}: check the address or the form"
