"""Sessions, login/logout, CSRF, login throttling and security headers of the console.

Why it is built this way:
- Default deny: :func:`session_middleware` refuses every path without a live session except the
  login page, ``/static/`` and ``/healthz``; a page module that forgets ``@officer_required`` is
  still closed. The decorators add the role check and make the intent visible.
- The session cookie ``kc_session`` is a random token (HttpOnly, SameSite=Lax, Secure behind
  TLS); the database keeps only its SHA-256. It ends after ``session_hours`` idle and after 12 h
  in any case, checked on the server.
- Every POST/PUT/PATCH/DELETE must carry the session's CSRF token (form field ``csrf_token`` or
  header ``X-CSRF-Token``), compared in constant time; the login form uses a pre-session token
  from the ``kc_login_csrf`` cookie (double submit), so nobody can log a browser into their account.
- Throttling: 5 failures per typed username and 20 per address within 15 minutes answer 429,
  even for the right password. The throttle is keyed on the typed name whether the account
  exists or not, and a refused login always costs one argon2 verification: neither the answer
  nor its time says whether an account exists.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hmac
import logging
import secrets
from typing import Awaitable, Callable, Optional
from urllib.parse import quote

from aiohttp import web
from sqlalchemy import text

from console import accounts

log = logging.getLogger(__name__)

COOKIE = "kc_session"
LOGIN_CSRF_COOKIE = "kc_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PUBLIC_PATHS = frozenset({"/login", "/healthz"})
THROTTLE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_IP = 20
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
routes = web.RouteTableDef()


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith("/static/")


def current_officer(request: web.Request) -> Optional[accounts.Officer]:
    return request.get("officer")


def client_ip(request: web.Request) -> str:
    settings = request.app["settings"]
    if getattr(settings, "trust_proxy", False):
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded.strip():
            return forwarded.split(",")[0].strip()[:64]
    return (request.remote or "?")[:64]


def csrf_token_for(request: web.Request) -> str:
    session = request.get("console_session")
    if session is not None:
        return session.csrf_token
    return request.get("login_csrf") or ""


def _refuse(request: web.Request) -> web.StreamResponse:
    """Anonymous: a GET goes to the login page (and back afterwards), anything else is 403."""
    if request.method in ("GET", "HEAD"):
        target = request.path_qs if request.path != "/" else "/leads"
        return _redirect(f"/login?next={quote(target, safe='')}")
    raise web.HTTPForbidden(reason="login required")


def _redirect(location: str, status: int = 302) -> web.Response:
    return web.Response(status=status, headers={"Location": location})


def _set_cookie(
    request: web.Request, resp: web.StreamResponse, name: str, value: str, max_age: Optional[int] = None
) -> None:
    resp.set_cookie(
        name,
        value,
        httponly=True,
        samesite="Lax",
        path="/",
        max_age=max_age,
        secure=bool(request.app["settings"].secure_cookies),
    )


def _clear_cookie(request: web.Request, resp: web.StreamResponse, name: str) -> None:
    resp.del_cookie(name, path="/")


# ------------------------------------------------------------------------------ decorators


def officer_required(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        if current_officer(request) is None:
            return _refuse(request)
        return await handler(request)

    wrapper.officer_required = True
    return wrapper


def admin_required(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        officer = current_officer(request)
        if officer is None:
            return _refuse(request)
        if officer.role != "admin":
            raise web.HTTPForbidden(reason="admin only")
        return await handler(request)

    wrapper.admin_required = True
    return wrapper


async def _csrf_ok(request: web.Request) -> bool:
    expected = csrf_token_for(request)
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        given = (await request.post()).get(CSRF_FIELD)
    if not expected or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8", "replace"))


def csrf_protect(handler: Handler) -> Handler:
    """Explicit CSRF check (the middleware already does it for every unsafe method)."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        if request.method in UNSAFE_METHODS and not await _csrf_ok(request):
            raise web.HTTPForbidden(reason="bad CSRF token")
        return await handler(request)

    return wrapper


# ----------------------------------------------------------------------------- middlewares


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Load the session, close non-public paths to anonymous visitors, check CSRF."""
    request["officer"] = None
    request["console_session"] = None
    settings = request.app["settings"]
    token = request.cookies.get(COOKIE)
    stale = False
    if token:
        # The inbox's 5-second refresh (X-Console-Poll) must not keep an unattended tab logged in.
        loaded = accounts.load_session(
            request.app["engine"], token, settings.session_hours, touch=request.headers.get("X-Console-Poll") != "1"
        )
        if loaded is None:
            stale = True
        else:
            request["console_session"], request["officer"] = loaded
    new_login_csrf = None
    if request["officer"] is None and request.path == "/login":
        request["login_csrf"] = request.cookies.get(LOGIN_CSRF_COOKIE)
        if not request["login_csrf"] and request.method in ("GET", "HEAD"):
            request["login_csrf"] = new_login_csrf = secrets.token_urlsafe(32)
    if request["officer"] is None and not is_public(request.path):
        if stale and request.method in ("GET", "HEAD"):
            resp = _redirect(f"/login?msg=expired&next={quote(request.path_qs, safe='')}")
        else:
            resp = _refuse(request)
    elif request.method in UNSAFE_METHODS and not await _csrf_ok(request):
        raise web.HTTPForbidden(reason="bad CSRF token")
    else:
        resp = await handler(request)
    if stale:
        _clear_cookie(request, resp, COOKIE)
    if new_login_csrf:
        _set_cookie(request, resp, LOGIN_CSRF_COOKIE, new_login_csrf, max_age=3600)
    return resp


ERROR_TEXT = {
    400: ("Yêu cầu không hợp lệ", "Dạ, yêu cầu này không hợp lệ."),
    403: (
        "Không được phép",
        "Dạ, anh/chị không có quyền thực hiện thao tác này, "
        "hoặc phiên làm việc đã thay đổi. Mời anh/chị tải lại trang.",
    ),
    404: ("Không tìm thấy", "Dạ, không tìm thấy trang này."),
    405: ("Không được phép", "Dạ, thao tác này không được hỗ trợ."),
    413: ("Quá lớn", "Dạ, dữ liệu gửi lên quá lớn."),
    429: ("Thử lại sau", "Dạ, anh/chị đã thử quá nhiều lần. Mời thử lại sau 15 phút."),
    500: ("Lỗi hệ thống", "Dạ, hệ thống gặp lỗi. Mời anh/chị thử lại sau ít phút."),
}


def error_page(request: web.Request, status: int) -> web.Response:
    from console.render import render

    title, body = ERROR_TEXT.get(status, ERROR_TEXT[500] if status >= 500 else ERROR_TEXT[400])
    try:
        return render(request, "error.html", status=status, title=title, text=body, status_code=status)
    except Exception:  # noqa: BLE001 - a broken template must not hide the real status
        log.exception("error page %s could not be rendered", status)
        return web.Response(status=status, text=title, content_type="text/plain", charset="utf-8")


@web.middleware
async def headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Security headers on every answer; HTML error pages instead of aiohttp's plain ones."""
    try:
        resp = await handler(request)
    except web.HTTPException as exc:
        if exc.status >= 400:
            resp = error_page(request, exc.status)
        else:
            resp = web.Response(
                status=exc.status, headers={k: v for k, v in exc.headers.items() if k.lower() == "location"}
            )
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.path, exc_info=True)
        resp = error_page(request, 500)
    h = resp.headers
    h.setdefault("Content-Security-Policy", CSP)
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.path.startswith("/static/"):
        h.setdefault("Cache-Control", "public, max-age=3600")
    else:
        # pages carry personal data: never kept by the browser or a proxy
        h["Cache-Control"] = "no-store"
        h.setdefault("Pragma", "no-cache")
    if request.app["settings"].secure_cookies:
        h.setdefault("Strict-Transport-Security", "max-age=31536000")
    return resp


# ---------------------------------------------------------------------------------- routes


def _safe_next(value: Optional[str]) -> str:
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/leads"
    if value.startswith("/login") or value.startswith("/logout"):
        return "/leads"
    return value


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    try:
        with request.app["engine"].connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        log.warning("healthz: database unreachable (%s)", type(exc).__name__)
        return web.json_response({"status": "db_unavailable"}, status=503)
    return web.json_response({"status": "ok"})


@routes.get("/")
async def index(request: web.Request) -> web.Response:
    if current_officer(request) is None:
        return _refuse(request)
    return _redirect("/leads")


@routes.get("/login")
async def login_form(request: web.Request) -> web.Response:
    from console.render import render

    if current_officer(request) is not None:
        return _redirect(_safe_next(request.query.get("next")))
    return render(request, "login.html", next=_safe_next(request.query.get("next")), error=None, username="")


@routes.post("/login")
async def login(request: web.Request) -> web.Response:
    from console.audit import write_audit
    from console.render import render

    engine = request.app["engine"]
    settings = request.app["settings"]
    form = await request.post()
    username = accounts.normalize_username(str(form.get("username", "")))[:64]
    password = str(form.get("password", ""))[: accounts.PASSWORD_MAX]
    nxt = _safe_next(str(form.get("next", "")))
    ip = client_ip(request)

    per_account, per_ip = accounts.recent_failures(engine, username, ip, THROTTLE_WINDOW)
    if per_account >= MAX_FAILURES_PER_ACCOUNT or per_ip >= MAX_FAILURES_PER_IP:
        write_audit(
            engine,
            None,
            "login_throttled",
            "session",
            detail="account" if per_account >= MAX_FAILURES_PER_ACCOUNT else "ip",
            ip=ip,
        )
        return render(
            request,
            "login.html",
            status=429,
            next=nxt,
            username=username,
            error="Dạ, đã đăng nhập sai quá nhiều lần. Mời anh/chị thử lại sau 15 phút hoặc liên hệ quản trị viên.",
        )

    officer, exists = await asyncio.get_running_loop().run_in_executor(
        None, accounts.authenticate, engine, username, password
    )
    accounts.record_attempt(engine, username, ip, success=officer is not None)
    if officer is None:
        # the typed name is written only when it is a real account (never someone's mistyped password)
        write_audit(engine, username if exists else None, "login_failed", "session", ip=ip)
        return render(
            request,
            "login.html",
            status=401,
            next=nxt,
            username=username,
            error="Dạ, tên đăng nhập hoặc mật khẩu chưa đúng.",
        )
    token, row = accounts.new_session(engine, officer.id, settings.absolute_session_hours)
    write_audit(engine, officer.username, "login", "session", [officer.id], ip=ip)
    resp = _redirect(nxt)
    _set_cookie(request, resp, COOKIE, token)
    _clear_cookie(request, resp, LOGIN_CSRF_COOKIE)
    return resp


@routes.post("/logout")
async def logout(request: web.Request) -> web.Response:
    from console.audit import audit

    officer = current_officer(request)
    if officer is not None:
        audit(request, "logout", "session", [officer.id])
        accounts.end_session(request.app["engine"], request.cookies.get(COOKIE, ""))
    resp = _redirect("/login?msg=logged_out")
    _clear_cookie(request, resp, COOKIE)
    return resp
