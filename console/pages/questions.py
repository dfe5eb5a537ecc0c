"""Unanswered questions page: what people asked that the knowledge base could not answer.

Why grouped: one need arrives in many spellings; officers fix the knowledge base once per need
(``questions:`` in ``policy_kb/data``), so the page lists groups (``console.questions``), most
asked first, each expandable to its wordings, and "Đánh dấu đã xử lý" acts on a whole group.
Exports (CSV for reading, YAML to paste into the data files) are audited with counts only —
the texts never reach the audit log or the server log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Optional
from urllib.parse import parse_qsl, urlencode

from aiohttp import web
from sqlalchemy.orm import Session

from console import questions
from console.audit import audit
from console.render import query_day, render
from console.security import current_officer, officer_required

routes = web.RouteTableDef()
NOTE_MAX = 1000
STATUSES = {"open": False, "handled": True, "all": None}
MESSAGES = {"handled": "Dạ, đã đánh dấu nhóm câu hỏi là đã xử lý."}


@dataclass
class Filters:
    status: str = "open"
    date_from: Optional[dt.date] = None
    date_to: Optional[dt.date] = None
    errors: tuple = ()

    @classmethod
    def from_query(cls, query) -> "Filters":
        errors = []

        def day(name: str, label: str) -> Optional[dt.date]:
            return query_day(query, name, label, errors)

        status = (query.get("status") or "open").strip()
        f = cls(
            status=status if status in STATUSES else "open",
            date_from=day("from", "Từ ngày"),
            date_to=day("to", "Đến ngày"),
        )
        if f.date_from and f.date_to and f.date_from > f.date_to:
            errors.append("Từ ngày đang sau Đến ngày.")
        f.errors = tuple(errors)
        return f

    @property
    def handled(self) -> Optional[bool]:
        return STATUSES[self.status]

    def query_string(self, **extra) -> str:
        params = {
            "status": self.status,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            **extra,
        }
        return urlencode({k: v for k, v in params.items() if v not in ("", None)})

    def summary(self) -> str:
        """For the audit log: the filter, never a text."""

        # dd/mm/yyyy: audit details mask digit runs (phone-like), ISO dates would be masked
        def day(value: Optional[dt.date]) -> str:
            return f"{value:%d/%m/%Y}" if value else "-"

        return f"status={self.status} from={day(self.date_from)} to={day(self.date_to)}"


def _groups(request: web.Request, filters: Filters):
    def load():
        with Session(request.app["engine"], future=True) as session:
            return questions.groups(session, handled=filters.handled, since=filters.date_from, until=filters.date_to)

    return asyncio.get_running_loop().run_in_executor(None, load)


@routes.get("/questions")
@officer_required
async def questions_page(request: web.Request) -> web.Response:
    filters = Filters.from_query(request.query)
    found = [] if filters.errors else await _groups(request, filters)
    return render(
        request,
        "questions.html",
        groups=found,
        filters=filters,
        total=sum(g.count for g in found),
        data_file=questions.data_file,
        message=MESSAGES.get(request.query.get("msg", "")),
    )


@routes.get("/questions/export.{fmt:(csv|yaml)}")
@officer_required
async def questions_export(request: web.Request) -> web.Response:
    filters = Filters.from_query(request.query)
    if filters.errors:
        raise web.HTTPBadRequest()
    fmt = request.match_info["fmt"]
    found = await _groups(request, filters)
    stamp = dt.datetime.now(questions.VN_TZ).strftime("%Y%m%d-%H%M")
    audit(
        request,
        "questions_export",
        "unanswered_question",
        count=sum(g.count for g in found),
        detail=f"{fmt} groups={len(found)} {filters.summary()}",
    )
    headers = {"Content-Disposition": f'attachment; filename="cau-hoi-chua-tra-loi-{stamp}.{fmt}"'}
    if fmt == "csv":
        return web.Response(body=questions.export_csv(found), headers=headers, content_type="text/csv", charset="utf-8")
    return web.Response(
        text=questions.export_yaml(found), headers=headers, content_type="application/yaml", charset="utf-8"
    )


def _back(form) -> str:
    """The list's filters to return to, re-encoded (never raw text in a Location header)."""
    allowed = {"status", "from", "to"}
    return urlencode([(k, v) for k, v in parse_qsl(str(form.get("back", ""))[:300]) if k in allowed])


@routes.post("/questions/handled")
@officer_required
async def questions_mark_handled(request: web.Request) -> web.Response:
    form = await request.post()
    try:
        ids = questions.parse_ids(str(form.get("ids", "")))
    except ValueError:
        raise web.HTTPBadRequest() from None
    note = str(form.get("note", "")).strip()[:NOTE_MAX]
    officer = current_officer(request)
    changed = await asyncio.get_running_loop().run_in_executor(
        None, questions.mark_handled, request.app["engine"], ids, note, officer.username
    )
    audit(request, "questions_handled", "unanswered_question", ids, count=changed)
    back = _back(form)
    raise web.HTTPFound(f"/questions?{back}&msg=handled" if back else "/questions?msg=handled")
