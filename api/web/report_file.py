"""The reports page as one self-contained HTML file: inline styles, inline SVG, the CSV of
each chart as a data: link, and no reference to any other file or host."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from api.web.templating import inline_css, render_text
from api.web.views.overview import report_panels
from api.web.views.tables import csv_text
from domain.label_timeline import StageSeries
from domain.reports import SummaryReport


def standalone_report(summary: SummaryReport, series: Sequence[StageSeries]) -> str:
    panels = report_panels(summary, series)
    return render_text(
        "reports.html",
        {
            "standalone": True,
            "inline_css": inline_css(),
            "summary": summary,
            "panels": panels,
            "summary_today": True,
            "csv_links": {p.key: csv_data_uri(csv_text(p.table)) for p in panels},
        },
    )


def csv_data_uri(text: str) -> str:
    return "data:text/csv;charset=utf-8," + quote(text, safe="")
