"""Accounts page (admins): list, create, disable/enable, reset password, change role; audit log.

Plus ``/account/password`` where any officer changes their own password. Why admins type the
new password themselves: there is no e-mail in this deployment; the admin hands a one-time
password over in person and the officer changes it at once. Every change is audited; a reset or
a disabling ends the account's open sessions (:mod:`console.accounts`).
"""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.orm import Session

from console import accounts
from console.audit import audit, recent_entries
from console.render import render
from console.security import COOKIE, admin_required, current_officer, officer_required

routes = web.RouteTableDef()
AUDIT_PAGE = 200


def _officer_id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except (KeyError, ValueError):
        raise web.HTTPNotFound() from None


def _page(request: web.Request, error=None, status: int = 200, form=None) -> web.Response:
    with Session(request.app["engine"], future=True) as session:
        officers = accounts.list_officers(session)
        session.expunge_all()
    return render(
        request,
        "accounts.html",
        status=status,
        officers=officers,
        error=error,
        form=form or {},
        roles=accounts.ROLES,
        password_min=accounts.PASSWORD_MIN,
    )


@routes.get("/accounts")
@admin_required
async def accounts_list(request: web.Request) -> web.Response:
    return _page(request)


@routes.post("/accounts")
@admin_required
async def accounts_create(request: web.Request) -> web.Response:
    form = await request.post()
    username = str(form.get("username", ""))
    role = str(form.get("role", "officer"))
    try:
        officer_id = accounts.create_officer(
            request.app["engine"],
            username,
            str(form.get("password", "")),
            role,
            str(form.get("display_name", "")) or None,
        )
    except accounts.AccountError as exc:
        return _page(
            request,
            error=str(exc),
            status=400,
            form={"username": username, "display_name": form.get("display_name", ""), "role": role},
        )
    audit(request, "account_create", "officer", [officer_id], detail=f"role={role}")
    raise web.HTTPFound("/accounts?msg=created")


@routes.post(r"/accounts/{id:\d+}/{op:(disable|enable|role|password)}")
@admin_required
async def accounts_change(request: web.Request) -> web.Response:
    officer_id = _officer_id(request)
    op = request.match_info["op"]
    form = await request.post()
    engine = request.app["engine"]
    try:
        if op in ("disable", "enable"):
            accounts.set_active(engine, officer_id, op == "enable")
            audit(request, f"account_{op}", "officer", [officer_id])
        elif op == "role":
            role = str(form.get("role", ""))
            accounts.set_role(engine, officer_id, role)
            audit(request, "account_role", "officer", [officer_id], detail=f"role={role}")
        else:
            accounts.set_password(engine, officer_id, str(form.get("password", "")))
            audit(request, "account_password_reset", "officer", [officer_id])
    except accounts.AccountError as exc:
        return _page(request, error=str(exc), status=400)
    raise web.HTTPFound("/accounts?msg=updated")


@routes.get("/accounts/audit")
@admin_required
async def audit_log(request: web.Request) -> web.Response:
    try:
        page = max(1, int(request.query.get("page", "1")))
    except ValueError:
        page = 1
    with Session(request.app["engine"], future=True) as session:
        entries = recent_entries(session, limit=AUDIT_PAGE + 1, offset=(page - 1) * AUDIT_PAGE)
        session.expunge_all()
    more = len(entries) > AUDIT_PAGE
    return render(request, "audit.html", entries=entries[:AUDIT_PAGE], page=page, more=more)


@routes.get("/account/password")
@officer_required
async def own_password_form(request: web.Request) -> web.Response:
    return render(request, "password.html", error=None, password_min=accounts.PASSWORD_MIN)


@routes.post("/account/password")
@officer_required
async def own_password(request: web.Request) -> web.Response:
    form = await request.post()
    officer = current_officer(request)
    engine = request.app["engine"]
    current, new, repeat = (str(form.get(k, "")) for k in ("current", "password", "repeat"))
    error = None
    ok, _ = accounts.verify_password(officer.password_hash, current)
    if not ok:
        error = "Dạ, mật khẩu hiện tại chưa đúng."
    elif new != repeat:
        error = "Dạ, hai lần nhập mật khẩu mới không khớp."
    else:
        try:
            accounts.set_password(engine, officer.id, new)
        except accounts.AccountError as exc:
            error = str(exc)
    if error:
        return render(request, "password.html", status=400, error=error, password_min=accounts.PASSWORD_MIN)
    audit(request, "account_password_change", "officer", [officer.id])
    # set_password ended every session of the account, this one too: log in again with the new password
    resp = web.Response(status=302, headers={"Location": "/login?msg=password"})
    resp.del_cookie(COOKIE, path="/")
    return resp
