"""Statistics page: one chart per figure of ``console.stats``, its numbers as a table, and a CSV.

Why charts *and* tables: the chart shows the trend at a glance, the table is what an officer
copies into a report (and what a screen reader reads). The chart data travels as JSON in a
``<script type="application/json">`` block read by ``/static/charts.js`` (the CSP allows no
inline script); Chart.js is vendored under ``/static/vendor/``. Figures are aggregates — no
personal data — but CSV downloads are still audited, like every export.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import List, Optional, Tuple
from urllib.parse import urlencode

from aiohttp import web

from console import stats
from console.audit import audit
from console.render import query_day, render
from console.security import officer_required

routes = web.RouteTableDef()
DEFAULT_DAYS = 30
MAX_DAYS = 366


def _period(query) -> Tuple[stats.DateRange, List[str]]:
    """The date range asked for (default: the last 30 days, Vietnam time) and input errors."""
    errors: List[str] = []
    default = stats.DateRange.last_days(DEFAULT_DAYS)

    def day(name: str, label: str) -> Optional[dt.date]:
        return query_day(query, name, label, errors)

    since, until = day("from", "Từ ngày"), day("to", "Đến ngày")
    until = until or default.until
    since = since or until - dt.timedelta(days=DEFAULT_DAYS - 1)
    if since > until:
        errors.append("Từ ngày đang sau Đến ngày.")
        since, until = default.since, default.until
    elif (until - since).days + 1 > MAX_DAYS:
        errors.append(f"Khoảng thời gian dài nhất là {MAX_DAYS} ngày.")
        since = until - dt.timedelta(days=MAX_DAYS - 1)
    return stats.DateRange(since, until), errors


def _compute(request: web.Request, period: stats.DateRange, name: Optional[str] = None):
    settings = request.app["settings"]

    def run():
        src = stats.Sources.open(settings.db_url, settings.tracker_db_url)
        return stats.figure(name, src, period) if name else stats.all_figures(src, period)

    return asyncio.get_running_loop().run_in_executor(None, run)


@routes.get("/stats")
@officer_required
async def stats_page(request: web.Request) -> web.Response:
    period, errors = _period(request.query)
    figures = await _compute(request, period)
    query = urlencode({"from": period.since.isoformat(), "to": period.until.isoformat()})
    return render(request, "stats.html", figures=figures, period=period, errors=errors, query=query)


@routes.get("/stats/{name}.csv")
@officer_required
async def stats_csv(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in stats.FIGURES:
        raise web.HTTPNotFound()
    period, errors = _period(request.query)
    if errors:
        raise web.HTTPBadRequest()
    result = await _compute(request, period, name)
    audit(
        request,
        "stats_export",
        "figure",
        count=len(result.rows),
        # dd/mm/yyyy: audit details mask digit runs (phone-like), so no ISO dates here
        detail=f"{name} {period.since:%d/%m/%Y} → {period.until:%d/%m/%Y}",
    )
    filename = f"thong-ke-{name}-{period.since:%Y%m%d}-{period.until:%Y%m%d}.csv"
    return web.Response(
        body=stats.csv(result),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
