"""The Jinja2 environment of the pages: one base layout, shared macros, formatting filters."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from starlette.responses import HTMLResponse

from api.web.views.tables import Cell, ColumnKind

PACKAGE = Path(__file__).parent
TEMPLATES = PACKAGE / "templates"
STATIC = PACKAGE / "static"

# Pages draw only from this server: no script at all, styles and images from here.
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def human_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.utcoffset() is not None else value
        return f"{moment.day} {moment:%b %Y, %H:%M} UTC"
    return f"{value.day} {value:%b %Y}"


def timestamp_text(value: str) -> str:
    """An ISO 8601 timestamp as people read it (to the minute, in UTC)."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return human_date(moment.astimezone(UTC))


def cell_text(value: Cell, kind: ColumnKind) -> str:
    """A table cell as people read it; the raw value stays in ``data-value``."""
    if value is None:
        return "—"
    if kind == "share" and isinstance(value, int | float):
        return f"{value:.1%}".replace(".0%", "%")
    if kind == "count" and isinstance(value, int | float):
        return f"{value:,.0f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def raw_value(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def short_hash(value: str, length: int = 16) -> str:
    return value if len(value) <= length else f"{value[:length]}…"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "svg"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        human_date=human_date, cell=cell_text, raw=raw_value, short_hash=short_hash,
        timestamp=timestamp_text,
    )
    return env


def render_text(template: str, context: Mapping[str, Any]) -> str:
    return environment().get_template(template).render(context)


def render(
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """A page of the site, with the headers that keep it to this server."""
    body = render_text(template, {"standalone": False, **context})
    return HTMLResponse(body, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})


def inline_css() -> str:
    """The stylesheet, for a page that must stand alone (the HTML report file)."""
    return (STATIC / "style.css").read_text(encoding="utf-8")
