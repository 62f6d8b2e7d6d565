"""The pages and the offline docs, added to the API's application."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from api.web.routes import auditor, docs, public
from api.web.templating import STATIC
from api.web.views.overview import LastVerification


def install_web(app: FastAPI) -> None:
    """Serves the pages, ``/docs``, ``/redoc`` and ``/static`` from the package."""
    app.state.last_verification = LastVerification()
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in (public.router, auditor.router, docs.router):
        app.include_router(router)
