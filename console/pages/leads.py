"""Leads page: list with filters, detail, CSV/XLSX export, mark contacted, deletion, erasure requests.

Why it looks like this: it is the web face of ``khuyencong-leads`` and reuses its pieces -- the
queries and writes of :mod:`lead_store.leads` / :mod:`lead_store.erasure` and the export writers
of :mod:`lead_store.cli` -- so a file downloaded here has exactly the columns of the CLI's.
Every export, change and deletion is audited with ids and counts only. Nothing here logs a name
or a phone number; error messages name lead ids at most.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any, List, Optional
from urllib.parse import parse_qsl, urlencode

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console.audit import audit
from console.render import province_names, query_day, render
from console.security import current_officer, officer_required
from lead_store.erasure import ErasureRequest, erasure_requests, mark_erasure_processed, matching_leads
from lead_store.leads import Lead, LeadNotFoundError, delete_leads, lead_conditions, mark_contacted
from lead_store.cli import EXPORT_COLUMNS, csv_rows, write_xlsx_to
from vntext.phone import national_format

routes = web.RouteTableDef()
NOTE_MAX = 1000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Filters:
    province: Optional[str] = None
    date_from: Optional[dt.date] = None
    date_to: Optional[dt.date] = None
    contacted: Optional[bool] = None
    channel: Optional[str] = None
    verdict: Optional[str] = None
    errors: tuple = ()

    PARAMS = ("province", "from", "to", "contacted", "channel", "verdict", "page")

    @classmethod
    def from_query(cls, query) -> "Filters":
        errors = []

        def day(name: str, label: str) -> Optional[dt.date]:
            return query_day(query, name, label, errors)

        def key(name: str) -> Optional[str]:
            text = (query.get(name) or "").strip()
            return text[:64] or None

        contacted = {"yes": True, "no": False}.get((query.get("contacted") or "").strip())
        f = cls(
            province=key("province"),
            date_from=day("from", "Từ ngày"),
            date_to=day("to", "Đến ngày"),
            contacted=contacted,
            channel=key("channel"),
            verdict=key("verdict"),
        )
        if f.date_from and f.date_to and f.date_from > f.date_to:
            errors.append("Từ ngày đang sau Đến ngày.")
        f.errors = tuple(errors)
        return f

    def conditions(self) -> List[Any]:
        conds = lead_conditions(self.province, self.date_from, self.date_to, self.contacted)
        if self.channel:
            conds.append(Lead.channel == self.channel)
        if self.verdict:
            conds.append(Lead.verdict == self.verdict)
        return conds

    def query_string(self, **extra: Any) -> str:
        params = {
            "province": self.province or "",
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "contacted": {True: "yes", False: "no"}.get(self.contacted, ""),
            "channel": self.channel or "",
            "verdict": self.verdict or "",
        }
        params.update({k: v for k, v in extra.items()})
        return urlencode({k: v for k, v in params.items() if v not in ("", None)})

    def summary(self) -> str:
        """For the audit log: which filters were used (keys and dates, never personal data)."""
        parts = [
            f"{k}={v}"
            for k, v in (
                ("province", self.province),
                ("from", self.date_from),
                ("to", self.date_to),
                ("contacted", self.contacted),
                ("channel", self.channel),
                ("verdict", self.verdict),
            )
            if v is not None
        ]
        return " ".join(parts) or "all"


def _engine(request: web.Request):
    return request.app["engine"]


def _distinct(session: Session, column) -> List[str]:
    return [v for v in session.execute(select(column).where(column.is_not(None)).distinct().order_by(column)).scalars()]


def _filtered(session: Session, filters: Filters):
    return select(Lead).where(*filters.conditions()).order_by(Lead.created_at.desc(), Lead.id.desc())


def _lead_id(request: web.Request) -> int:
    try:
        value = int(request.match_info["id"])
    except (KeyError, ValueError):
        raise web.HTTPNotFound() from None
    if not 0 < value < 2**63:
        raise web.HTTPNotFound()
    return value


@routes.get("/leads")
@officer_required
async def leads_list(request: web.Request) -> web.Response:
    filters = Filters.from_query(request.query)
    size = request.app["settings"].page_size
    try:
        page = max(1, int(request.query.get("page", "1")))
    except ValueError:
        page = 1
    with Session(_engine(request), future=True) as session:
        total = session.execute(select(func.count()).select_from(Lead).where(*filters.conditions())).scalar_one()
        pages = max(1, (total + size - 1) // size)
        page = min(page, pages)
        rows = list(session.execute(_filtered(session, filters).limit(size).offset((page - 1) * size)).scalars())
        provinces = sorted(
            set(_distinct(session, Lead.province)) | set(province_names()), key=lambda k: province_names().get(k, k)
        )
        channels = _distinct(session, Lead.channel)
        verdicts = _distinct(session, Lead.verdict)
        pending_erasures = session.execute(
            select(func.count()).select_from(ErasureRequest).where(ErasureRequest.processed_at.is_(None))
        ).scalar_one()
    return render(
        request,
        "leads.html",
        leads=rows,
        filters=filters,
        total=total,
        page=page,
        pages=pages,
        provinces=provinces,
        channels=channels,
        verdicts=verdicts,
        pending_erasures=pending_erasures,
        national=national_format,
    )


@routes.get("/leads/export.{fmt:(csv|xlsx)}")
@officer_required
async def leads_export(request: web.Request) -> web.StreamResponse:
    """The filtered rows, all pages, as the CLI's CSV (UTF-8 with BOM) or XLSX."""
    filters = Filters.from_query(request.query)
    if filters.errors:
        raise web.HTTPBadRequest()
    fmt = request.match_info["fmt"]
    with Session(_engine(request), future=True) as session:
        leads = list(
            session.execute(select(Lead).where(*filters.conditions()).order_by(Lead.created_at, Lead.id)).scalars()
        )
    stamp = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).strftime("%Y%m%d-%H%M")
    filename = f"khuyencong-leads-{stamp}.{fmt}"
    audit(
        request,
        "leads_export",
        "lead",
        [lead.id for lead in leads],
        count=len(leads),
        detail=f"{fmt} {filters.summary()}",
    )
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "xlsx":
        buf = io.BytesIO()
        write_xlsx_to(leads, buf)
        return web.Response(body=buf.getvalue(), content_type=XLSX_TYPE, headers=headers)
    resp = web.StreamResponse(headers={**headers, "Content-Type": "text/csv; charset=utf-8"})
    await resp.prepare(request)
    buf = io.StringIO()
    writer = csv.writer(buf)
    await resp.write(codecs.BOM_UTF8)  # Excel then reads Vietnamese correctly (as the CLI's file)
    for row in csv_rows(leads):
        writer.writerow(row)
        if buf.tell() > 32 * 1024:
            await resp.write(buf.getvalue().encode("utf-8"))
            buf.seek(0)
            buf.truncate()
    await resp.write(buf.getvalue().encode("utf-8"))
    await resp.write_eof()
    return resp


@routes.post("/leads/contacted")
@officer_required
async def leads_mark_many(request: web.Request) -> web.Response:
    form = await request.post()
    ids = []
    for value in form.getall("ids", []):
        try:
            ids.append(int(value))
        except ValueError:
            raise web.HTTPBadRequest() from None
    back = _back_query(form)
    if not ids:
        raise web.HTTPFound(f"/leads?{back}")
    return _mark(request, ids, None, back=f"/leads?{back}&msg=contacted" if back else "/leads?msg=contacted")


def _back_query(form) -> str:
    """The list's filters to return to, re-encoded (never raw text in a Location header)."""
    pairs = parse_qsl(str(form.get("back", ""))[:1000])
    return urlencode([(k, v) for k, v in pairs if k in Filters.PARAMS])


def _mark(request: web.Request, ids: List[int], note: Optional[str], back: str) -> web.Response:
    officer = current_officer(request)
    try:
        count = mark_contacted(_engine(request), ids, by=officer.username, note=note)
    except LeadNotFoundError:
        raise web.HTTPNotFound() from None
    audit(request, "lead_contacted", "lead", ids, count=count, detail="note" if note else None)
    raise web.HTTPFound(back)


def _lead_or_404(request: web.Request, lead_id: int) -> Lead:
    with Session(_engine(request), future=True) as session:
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise web.HTTPNotFound()
        session.expunge(lead)
        return lead


@routes.get(r"/leads/{id:\d+}")
@officer_required
async def lead_detail(request: web.Request) -> web.Response:
    lead_id = _lead_id(request)
    lead = _lead_or_404(request, lead_id)
    fields = [(header, get(lead), kind) for header, get, kind in EXPORT_COLUMNS]
    # who looked at whose personal data (Nghị định 13: processing is traceable); the id only
    audit(request, "lead_view", "lead", [lead_id], count=1)
    return render(request, "lead.html", lead=lead, fields=fields, national=national_format)


@routes.post(r"/leads/{id:\d+}/contacted")
@officer_required
async def lead_mark(request: web.Request) -> web.Response:
    lead_id = _lead_id(request)
    form = await request.post()
    note = str(form.get("note", "")).strip()[:NOTE_MAX] or None
    return _mark(request, [lead_id], note, back=f"/leads/{lead_id}?msg=contacted")


@routes.get(r"/leads/{id:\d+}/delete")
@officer_required
async def lead_delete_confirm(request: web.Request) -> web.Response:
    lead_id = _lead_id(request)
    lead = _lead_or_404(request, lead_id)
    return render(request, "lead_delete.html", lead=lead, national=national_format)


@routes.post(r"/leads/{id:\d+}/delete")
@officer_required
async def lead_delete(request: web.Request) -> web.Response:
    lead_id = _lead_id(request)
    form = await request.post()
    if form.get("confirm") != "yes":
        raise web.HTTPFound(f"/leads/{lead_id}/delete")
    try:
        count = delete_leads(_engine(request), [lead_id])
    except LeadNotFoundError:
        raise web.HTTPNotFound() from None
    audit(request, "lead_delete", "lead", [lead_id], count=count, detail="on request")
    raise web.HTTPFound("/leads?msg=deleted")


# ------------------------------------------------------------------------- erasure requests


@routes.get("/leads/erasure")
@officer_required
async def erasure_list(request: web.Request) -> web.Response:
    show_all = request.query.get("all") == "1"
    with Session(_engine(request), future=True) as session:
        rows = []
        for req in erasure_requests(session, pending_only=not show_all):
            matched = [] if req.processed_at else [lead.id for lead in matching_leads(session, req)]
            rows.append({"req": req, "matched": matched})
        for row in rows:
            session.expunge(row["req"])
    return render(request, "erasure.html", rows=rows, show_all=show_all)


@routes.post(r"/leads/erasure/{id:\d+}/process")
@officer_required
async def erasure_process(request: web.Request) -> web.Response:
    request_id = _lead_id(request)
    form = await request.post()
    if form.get("confirm") != "yes":
        raise web.HTTPBadRequest()
    officer = current_officer(request)
    engine = _engine(request)
    with Session(engine, future=True) as session:
        req = session.get(ErasureRequest, request_id)
        if req is None:
            raise web.HTTPNotFound()
        if req.processed_at is not None:
            raise web.HTTPFound("/leads/erasure?msg=erasure_done")
        ids = [lead.id for lead in matching_leads(session, req)]
    count = delete_leads(engine, ids) if ids else 0
    mark_erasure_processed(engine, request_id, officer.username, erased=count)
    if ids:
        audit(request, "lead_delete", "lead", ids, count=count, detail=f"erasure request {request_id}")
    audit(request, "erasure_processed", "erasure_request", [request_id], count=count)
    raise web.HTTPFound("/leads/erasure?msg=erasure_done")
