"""Hộp thư chuyển cán bộ (/inbox): conversations handed to the centre's officers.

* ``GET /inbox``: open handovers, waiting ones first, oldest first, how long each has waited;
  ``GET /inbox.json`` is the same list for ``static/inbox.js``, which refreshes the page every few
  seconds (the CSP allows no inline script; without JavaScript the page still works on reload).
* ``GET /inbox/{id}``: the conversation so far (from Rasa's tracker), a reply form and
  "Trả lại cho trợ lý"; ``GET /inbox/{id}/transcript.json`` refreshes the transcript.
* ``POST /inbox/{id}/reply`` and ``POST /inbox/{id}/handback`` (CSRF: the middleware checks the
  ``csrf_token`` field) go through :mod:`console.handover`. Both are audited with the handover id
  only, never the text. When Rasa is unreachable the page says so and keeps the typed text.

URLs carry the handover's integer id, never the conversation id (for Zalo that is the user's id).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any, Dict, List, Optional

from aiohttp import web
from sqlalchemy.orm import Session

from console.audit import audit
from console.handover import HandoverError, HandoverService, RasaUnavailable, Transcript
from console.render import render, vn_time
from console.security import current_officer, officer_required

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

POLL_SECONDS = 5
RECENT_CLOSED = dt.timedelta(hours=24)
CHANNELS = {"web": "Web (widget)", "zalo": "Zalo OA", "rest": "REST (API)"}
REASONS = {
    "asked": "Người dùng xin gặp cán bộ",
    "not_understood": "Trợ lý không hiểu 2 lần liền",
    "zalo_oa_admin": "Cán bộ đã trả lời trên Zalo OA",
}
STATUSES = {"waiting": "Đang chờ", "answered": "Đã trả lời", "closed": "Đã đóng"}
NOTICES = {
    "sent": "Dạ, đã gửi trả lời.",
    "sent_rest": "Dạ, đã gửi. Người dùng kênh REST sẽ nhận được trả lời khi gửi tin nhắn tiếp theo.",
    "handed_back": "Dạ, đã trả cuộc trò chuyện cho trợ lý tự động.",
}


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def waited(since: Optional[dt.datetime], now: Optional[dt.datetime] = None) -> str:
    """'5 phút', '2 giờ 10 phút', '3 ngày' since a naive-UTC time."""
    if since is None:
        return ""
    minutes = max(0, int(((now or _utcnow()) - since).total_seconds() // 60))
    if minutes < 1:
        return "dưới 1 phút"
    if minutes < 60:
        return f"{minutes} phút"
    if minutes < 24 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} giờ {rest} phút" if rest else f"{hours} giờ"
    return f"{minutes // (24 * 60)} ngày"


def row_view(h: Any, now: dt.datetime) -> Dict[str, Any]:
    """What the list shows of a handover (no conversation id: it can identify a Zalo user)."""
    return {
        "id": h.id,
        "url": f"/inbox/{h.id}",
        "status": h.status,
        "status_label": STATUSES.get(h.status, h.status),
        "channel": h.channel,
        "channel_label": CHANNELS.get(h.channel, h.channel),
        "reason": h.reason,
        "reason_label": REASONS.get(h.reason, h.reason),
        "requested": vn_time(h.requested_at, "%H:%M %d/%m/%Y"),
        "waiting": waited(h.requested_at, now) if h.status == "waiting" else "",
        "first_reply": vn_time(h.first_reply_at, "%H:%M %d/%m"),
        "officer": h.officer or "",
        "closed": vn_time(h.closed_at, "%H:%M %d/%m"),
        "closed_by": CLOSED_BY_LABELS.get(h.closed_by or "", h.closed_by or ""),
    }


#: who closed a handover when it was not an officer (lead_store.handovers, actions/handover.py)
CLOSED_BY_LABELS = {
    "user_restart": "người dân bắt đầu lại",
    "user_cancel": "người dân huỷ yêu cầu",
    "pause_expired": "hết thời gian tạm dừng",
}


def _inbox_rows(engine) -> Dict[str, List[Dict[str, Any]]]:
    from lead_store.handovers import all_handovers, ensure_handover_schema, open_handovers

    ensure_handover_schema(engine)
    now = _utcnow()
    with Session(engine, future=True) as session:
        opened = sorted(open_handovers(session), key=lambda h: (h.status != "waiting", h.requested_at, h.id))
        closed = [h for h in all_handovers(session, since=now - RECENT_CLOSED) if h.status == "closed"]
        return {"open": [row_view(h, now) for h in opened], "closed": [row_view(h, now) for h in closed[:20]]}


def _handover(engine, handover_id: int):
    from lead_store.handovers import ensure_handover_schema, get_handover

    ensure_handover_schema(engine)
    with Session(engine, future=True, expire_on_commit=False) as session:
        row = get_handover(session, handover_id)
        if row is not None:
            session.expunge(row)
        return row


async def _load(request: web.Request):
    try:
        handover_id = int(request.match_info["id"])
    except (KeyError, ValueError):
        raise web.HTTPNotFound()
    row = await asyncio.to_thread(_handover, request.app["engine"], handover_id)
    if row is None:
        raise web.HTTPNotFound()
    return row


def _service(request: web.Request) -> HandoverService:
    return HandoverService.from_settings(request.app["settings"])


@routes.get("/inbox")
@officer_required
async def inbox(request: web.Request) -> web.Response:
    rows = await asyncio.to_thread(_inbox_rows, request.app["engine"])
    waiting = sum(1 for r in rows["open"] if r["status"] == "waiting")
    return render(
        request,
        "inbox.html",
        rows=rows["open"],
        closed=rows["closed"],
        waiting=waiting,
        notice=NOTICES.get(request.query.get("done", "")),
        poll_seconds=POLL_SECONDS,
    )


@routes.get("/inbox.json")
@officer_required
async def inbox_json(request: web.Request) -> web.Response:
    rows = await asyncio.to_thread(_inbox_rows, request.app["engine"])
    return web.json_response(
        {"open": rows["open"], "waiting": sum(1 for r in rows["open"] if r["status"] == "waiting")}
    )


async def _transcript(request: web.Request, row: Any) -> tuple:
    """(transcript or None, error text or None)."""
    try:
        return await _service(request).transcript(row.conversation_id), None
    except HandoverError as exc:
        return None, str(exc)


def _conversation_page(
    request: web.Request,
    row: Any,
    transcript: Optional[Transcript],
    error: Optional[str] = None,
    draft: str = "",
    status: int = 200,
) -> web.Response:
    return render(
        request,
        "conversation.html",
        status=status,
        h=row_view(row, _utcnow()),
        closed=row.closed_at is not None,
        transcript=transcript,
        error=error,
        draft=draft,
        notice=NOTICES.get(request.query.get("done", "")),
        poll_seconds=POLL_SECONDS,
        is_rest=row.channel == "rest",
    )


@routes.get(r"/inbox/{id:\d+}")
@officer_required
async def conversation(request: web.Request) -> web.Response:
    row = await _load(request)
    transcript, error = await _transcript(request, row)
    return _conversation_page(request, row, transcript, error)


@routes.get(r"/inbox/{id:\d+}/transcript.json")
@officer_required
async def conversation_json(request: web.Request) -> web.Response:
    row = await _load(request)
    transcript, error = await _transcript(request, row)
    return web.json_response(
        {
            "error": error,
            "status": row.status,
            "status_label": STATUSES.get(row.status, row.status),
            "paused": transcript.paused if transcript else None,
            "turns": [t.as_json() for t in transcript] if transcript else None,
        }
    )


@routes.post(r"/inbox/{id:\d+}/reply")
@officer_required
async def reply(request: web.Request) -> web.Response:
    row = await _load(request)
    form = await request.post()
    text = form.get("text") if isinstance(form.get("text"), str) else ""
    if row.closed_at is not None:
        transcript, _ = await _transcript(request, row)
        return _conversation_page(
            request,
            row,
            transcript,
            "Dạ, yêu cầu này đã đóng: trợ lý tự động đang trả lời người dùng.",
            draft=text,
            status=409,
        )
    officer = current_officer(request)
    try:
        await _service(request).reply(row.conversation_id, text, officer, handover_id=row.id)
    except HandoverError as exc:
        transcript, _ = await _transcript(request, row)
        return _conversation_page(
            request, row, transcript, str(exc), draft=text, status=502 if isinstance(exc, RasaUnavailable) else 400
        )
    audit(request, "handover_reply", "handover", [row.id], count=1, detail=row.channel)
    done = "sent_rest" if row.channel == "rest" else "sent"
    raise web.HTTPSeeOther(f"/inbox/{row.id}?done={done}")


@routes.post(r"/inbox/{id:\d+}/handback")
@officer_required
async def hand_back(request: web.Request) -> web.Response:
    row = await _load(request)
    if row.closed_at is not None:
        raise web.HTTPSeeOther("/inbox?done=handed_back")
    try:
        await _service(request).hand_back(row.conversation_id, current_officer(request), handover_id=row.id)
    except HandoverError as exc:
        transcript, _ = await _transcript(request, row)
        return _conversation_page(
            request, row, transcript, str(exc), status=502 if isinstance(exc, RasaUnavailable) else 400
        )
    audit(request, "handover_hand_back", "handover", [row.id], count=1, detail=row.channel)
    raise web.HTTPSeeOther("/inbox?done=handed_back")
