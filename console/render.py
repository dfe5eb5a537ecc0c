"""Server-side HTML with Jinja2 (autoescape on: every value typed by a user is escaped).

Why server-rendered pages: officers use old laptops and phones; no JavaScript is needed to read
or change anything, and the CSP forbids inline scripts anyway. Every template extends
``base.html`` (header with the centre's name, the nav, flash message).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from policy_kb.labels import label

TEMPLATES = Path(__file__).resolve().parent / "templates"
FALLBACK_CENTRE = "Trung tâm Khuyến công"
VN_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")

#: (path, label, admin only) -- the nav of the shared design
NAV = (
    ("/leads", "Khách hàng tiềm năng", False),
    ("/questions", "Câu hỏi chưa trả lời", False),
    ("/inbox", "Hộp thư chuyển cán bộ", False),
    ("/stats", "Thống kê", False),
    ("/accounts", "Tài khoản", True),
)

#: short messages shown after a redirect (?msg=code): no user data travels in the URL
MESSAGES = {
    "contacted": "Dạ, đã ghi nhận là đã liên hệ.",
    "deleted": "Đã xóa theo yêu cầu của người dùng.",
    "erasure_done": "Đã xử lý yêu cầu xóa.",
    "created": "Đã tạo tài khoản.",
    "updated": "Đã cập nhật tài khoản.",
    "password": "Đã đổi mật khẩu.",
    "logged_out": "Anh/chị đã đăng xuất.",
    "expired": "Phiên làm việc đã hết hạn, mời anh/chị đăng nhập lại.",
}


#: the eligibility verdicts (policy_kb.eligibility) in officers' words; "appears", never a decision
VERDICTS = {"eligible": "Có vẻ đủ điều kiện", "not_eligible": "Có vẻ chưa đủ điều kiện", "unknown": "Chưa đủ thông tin"}
CHANNEL_NAMES = {"zalo": "Zalo OA", "web": "Web chat", "socketio": "Web chat", "rest": "REST"}


def query_day(query: Any, name: str, label: str, errors: list) -> Optional[dt.date]:
    """A YYYY-MM-DD date field of a page's query string (None when empty); a malformed one adds a
    Vietnamese message to ``errors`` (the page shows it) instead of failing the request."""
    text = (query.get(name) or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append(f"{label} không hợp lệ (dùng dạng năm-tháng-ngày).")
        return None


def verdict_label(key: Optional[str]) -> str:
    return VERDICTS.get(key, key) if key else ""


def channel_label(key: Optional[str]) -> str:
    return CHANNEL_NAMES.get(key, key) if key else ""


def centre_name() -> str:
    """The centre's name from configs/centre.yml (policy_kb.centre), or a generic one."""
    try:
        from policy_kb.centre import centre

        return centre().name or FALLBACK_CENTRE
    except Exception:  # noqa: BLE001 - module not there yet, or a bad file: the console still works
        return FALLBACK_CENTRE


def vn_time(value: Optional[dt.datetime], fmt: str = "%d/%m/%Y %H:%M") -> str:
    """Stored naive UTC -> Vietnam time text (what officers read)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(VN_TZ).strftime(fmt)


def money(value: Any) -> str:
    if value is None or value == "":
        return ""
    try:
        return f"{int(value):,}".replace(",", ".") + " đ"
    except (TypeError, ValueError):
        return str(value)


@lru_cache(maxsize=1)
def province_names() -> dict:
    try:
        from policy_kb.provinces import load_provinces

        return {key: p.short_name for key, p in load_provinces().items()}
    except Exception:  # noqa: BLE001
        return {}


def province_name(key: Optional[str]) -> str:
    if not key:
        return ""
    return province_names().get(key, key)


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["vntime"] = vn_time
    env.filters["money"] = money
    env.filters["province"] = province_name
    env.filters["label"] = label
    env.filters["verdict"] = verdict_label
    env.filters["channel"] = channel_label
    env.globals["nav"] = NAV
    return env


def render(request: web.Request, name: str, status: int = 200, **ctx: Any) -> web.Response:
    """The page ``name`` for this request: the officer, CSRF token, centre name and nav included."""
    from console.security import csrf_token_for, current_officer

    officer = current_officer(request)
    base = {
        "request": request,
        "path": request.path,
        "officer": officer,
        "csrf_token": csrf_token_for(request),
        "centre_name": centre_name(),
        "message": MESSAGES.get(request.query.get("msg", "")),
    }
    base.update(ctx)
    text = environment().get_template(name).render(**base)
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")
