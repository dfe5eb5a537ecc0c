"""Officers' web console: access control, CSRF, sessions, throttling, leads page, accounts page.

A real console server (aiohttp, in a thread of this process, see tests/console_helpers.py) on a
migrated SQLite file per test; requests over HTTP like a browser's. Nothing is mocked.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import os
import re
import statistics
import subprocess
import sys
import time

import pytest
import requests
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from console import accounts
from console.accounts import ConsoleSession, LoginAttempt, Officer
from console.audit import AuditEntry
from lead_store.leads import Lead
from lead_store.erasure import ErasureRequest, record_erasure_request
from tests.conftest import ROOT, free_port, wait_http
from tests.console_helpers import (
    ADMIN,
    ADMIN_PW,
    OFFICER,
    OFFICER_PW,
    PEOPLE,
    csrf_of,
    logged_in,
    login,
    make_console,
    personal_strings,
)

PUBLIC = ("/login", "/healthz", "/static/")


@pytest.fixture()
def console(tmp_path):
    server = make_console(tmp_path)
    yield server
    server.stop()


def _leads(server, *conds):
    with Session(server.engine, future=True) as s:
        return list(s.execute(select(Lead).where(*conds).order_by(Lead.id)).scalars())


def _audit(server):
    with Session(server.engine, future=True) as s:
        return list(s.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars())


def _concrete(path: str) -> str:
    """A real URL for a route pattern: {x:(a|b)} -> a, any other {x} -> 1."""
    path = re.sub(r"\{[^}:]+:\(([^|)]+)[^}]*\}", r"\1", path)
    return re.sub(r"\{[^}]+\}", "1", path)


# ---------------------------------------------------------------------------- access control


def test_every_route_refuses_anonymous_visitors(console):
    """Walk the router: without a session only login, static files and /healthz answer."""
    checked = 0
    for route in console.app.router.routes():
        info = route.resource.get_info()
        pattern = info.get("path") or info.get("formatter") or info.get("prefix")
        path = _concrete(pattern)
        if route.method == "HEAD":
            continue
        method = "POST" if route.method == "*" else route.method
        resp = requests.request(method, console.url(path), allow_redirects=False, timeout=10)
        if path.startswith(PUBLIC) or path in PUBLIC:
            assert resp.status_code in (200, 302, 401, 403, 404, 405), (method, path, resp.status_code)
            continue
        checked += 1
        if method == "GET":
            assert resp.status_code == 302, (method, path, resp.status_code)
            assert resp.headers["Location"].startswith("/login"), (path, resp.headers["Location"])
        else:
            assert resp.status_code == 403, (method, path, resp.status_code)
        assert "Nguyễn" not in resp.text
    assert checked >= 15  # leads + accounts routes at least


def test_public_pages_and_security_headers(console):
    login_page = requests.get(console.url("/login"), timeout=10)
    assert login_page.status_code == 200 and "Đăng nhập" in login_page.text
    h = login_page.headers
    assert "default-src 'self'" in h["Content-Security-Policy"] and "unsafe-inline" not in h["Content-Security-Policy"]
    assert h["X-Frame-Options"] == "DENY" and h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "same-origin" and h["Cache-Control"] == "no-store"
    assert requests.get(console.url("/healthz"), timeout=10).json() == {"status": "ok"}
    css = requests.get(console.url("/static/console.css"), timeout=10)
    assert css.status_code == 200 and "@media" in css.text
    missing = requests.get(console.url("/khong-co"), timeout=10, allow_redirects=False)
    assert missing.status_code in (302, 404)


def test_officer_is_refused_admin_pages(console):
    officer = logged_in(console)
    for path in ("/accounts", "/accounts/audit"):
        assert officer.get(console.url(path), allow_redirects=False, timeout=10).status_code == 403
    resp = officer.post(
        console.url("/accounts"),
        data={"csrf_token": officer.csrf, "username": "moi.tao", "password": "Mot-mat-khau-dai", "role": "admin"},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 403
    with Session(console.engine, future=True) as s:
        assert accounts.find_officer(s, "moi.tao") is None
    assert "/accounts" not in officer.get(console.url("/leads"), timeout=10).text.split("<main")[0]
    admin = logged_in(console, ADMIN, ADMIN_PW)
    assert admin.get(console.url("/accounts"), timeout=10).status_code == 200


# -------------------------------------------------------------------------------------- CSRF


def test_post_without_or_with_wrong_csrf_token_is_refused(console):
    session = logged_in(console)
    lead_id = _leads(console)[0].id
    url = console.url(f"/leads/{lead_id}/contacted")
    assert session.post(url, data={"note": "x"}, allow_redirects=False, timeout=10).status_code == 403
    assert (
        session.post(
            url, data={"note": "x", "csrf_token": "sai" + session.csrf[3:]}, allow_redirects=False, timeout=10
        ).status_code
        == 403
    )
    assert session.post(url, headers={"X-CSRF-Token": "nope"}, allow_redirects=False, timeout=10).status_code == 403
    assert _leads(console, Lead.id == lead_id)[0].contacted_at is None
    ok = session.post(url, headers={"X-CSRF-Token": session.csrf}, allow_redirects=False, timeout=10)
    assert ok.status_code == 302
    assert _leads(console, Lead.id == lead_id)[0].contacted_by == OFFICER
    # another officer's token does not work for this session
    other = logged_in(console, ADMIN, ADMIN_PW)
    assert other.csrf != session.csrf
    assert (
        session.post(
            console.url("/logout"), data={"csrf_token": other.csrf}, allow_redirects=False, timeout=10
        ).status_code
        == 403
    )


def test_login_redirects_only_inside_the_console(console):
    for target, expected in (
        ("/leads/1", "/leads/1"),
        ("//evil.example/x", "/leads"),
        ("https://evil.example/", "/leads"),
        ("/\\evil.example", "/leads"),
    ):
        session = requests.Session()
        token = csrf_of(session.get(console.url("/login"), timeout=10).text)
        resp = session.post(
            console.url("/login"),
            data={"csrf_token": token, "username": OFFICER, "password": OFFICER_PW, "next": target},
            allow_redirects=False,
            timeout=30,
        )
        assert resp.status_code == 302 and resp.headers["Location"] == expected, target
    anonymous = requests.get(console.url("/leads/erasure?all=1"), allow_redirects=False, timeout=10)
    assert anonymous.headers["Location"] == "/login?next=%2Fleads%2Ferasure%3Fall%3D1"


def test_login_form_needs_its_pre_session_token(console):
    fresh = requests.Session()
    # no pre-session cookie at all (a cross-site form post)
    resp = fresh.post(
        console.url("/login"),
        data={"username": OFFICER, "password": OFFICER_PW, "csrf_token": "x"},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 403 and "kc_session" not in resp.headers.get("Set-Cookie", "")
    token = csrf_of(fresh.get(console.url("/login"), timeout=10).text)
    resp = fresh.post(
        console.url("/login"),
        data={"username": OFFICER, "password": OFFICER_PW, "csrf_token": token[::-1]},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 403
    assert login(console, OFFICER, OFFICER_PW, fresh).status_code == 302


# --------------------------------------------------------------------------- login, sessions


def test_login_cookie_flags_and_logout(console, tmp_path):
    session = requests.Session()
    resp = login(console, OFFICER, OFFICER_PW, session)
    assert resp.status_code == 302 and resp.headers["Location"] == "/leads"
    cookie = [c for c in resp.raw.headers.getlist("Set-Cookie") if c.startswith("kc_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    with Session(console.engine, future=True) as s:
        rows = list(s.execute(select(ConsoleSession)).scalars())
    assert [r.token_hash for r in rows] == [accounts.token_hash(token)]  # only the hash is stored
    assert token not in {r.token_hash for r in rows}
    assert session.get(console.url("/leads"), timeout=10).status_code == 200
    csrf = csrf_of(session.get(console.url("/leads"), timeout=10).text)
    out = session.post(console.url("/logout"), data={"csrf_token": csrf}, allow_redirects=False, timeout=10)
    assert out.status_code == 302
    # the old cookie is dead on the server, even if a browser kept it
    replay = requests.get(console.url("/leads"), cookies={"kc_session": token}, allow_redirects=False, timeout=10)
    assert replay.status_code == 302 and replay.headers["Location"].startswith("/login")
    actions = [e.action for e in _audit(console)]
    assert actions[-2:] == ["login", "logout"]

    secure = make_console(tmp_path / "tls", seed=False, secure_cookies=True)
    try:
        form = requests.get(secure.url("/login"), timeout=10)
        pre = [c for c in form.raw.headers.getlist("Set-Cookie") if c.startswith("kc_login_csrf=")][0]
        assert "Secure" in pre and "HttpOnly" in pre
        token = csrf_of(form.text)  # requests keeps Secure cookies for https only: hand it over
        resp = requests.post(
            secure.url("/login"),
            cookies={"kc_login_csrf": token},
            allow_redirects=False,
            data={"csrf_token": token, "username": OFFICER, "password": OFFICER_PW},
            timeout=30,
        )
        cookie = [c for c in resp.raw.headers.getlist("Set-Cookie") if c.startswith("kc_session=")][0]
        assert "Secure" in cookie and "HttpOnly" in cookie
        assert "Strict-Transport-Security" in resp.headers
    finally:
        secure.stop()


def test_session_expires_after_idle_time_and_absolute_lifetime(console):
    session = logged_in(console)
    assert session.get(console.url("/leads"), allow_redirects=False, timeout=10).status_code == 200
    idle = dt.timedelta(hours=console.settings.session_hours, minutes=1)
    with Session(console.engine, future=True) as s, s.begin():
        s.execute(update(ConsoleSession).values(last_seen_at=accounts.utcnow() - idle))
    resp = session.get(console.url("/leads"), allow_redirects=False, timeout=10)
    assert resp.status_code == 302 and "msg=expired" in resp.headers["Location"]
    with Session(console.engine, future=True) as s:
        assert s.execute(select(ConsoleSession)).first() is None  # deleted on the server

    session = logged_in(console)
    with Session(console.engine, future=True) as s, s.begin():  # active all along, but 12 h old
        s.execute(update(ConsoleSession).values(expires_at=accounts.utcnow() - dt.timedelta(seconds=1)))
    assert session.get(console.url("/leads"), allow_redirects=False, timeout=10).status_code == 302
    row_hours = console.settings.absolute_session_hours
    assert row_hours == 12


def test_the_inbox_refresh_does_not_keep_an_unattended_session_alive(console):
    session = logged_in(console)
    old = accounts.utcnow() - dt.timedelta(minutes=10)
    with Session(console.engine, future=True) as s, s.begin():
        s.execute(update(ConsoleSession).values(last_seen_at=old))
    resp = session.get(console.url("/inbox.json"), headers={"X-Console-Poll": "1"}, allow_redirects=False, timeout=10)
    assert resp.status_code == 200
    with Session(console.engine, future=True) as s:
        assert s.execute(select(ConsoleSession.last_seen_at)).scalar_one() == old  # a poll: untouched
    assert session.get(console.url("/inbox"), allow_redirects=False, timeout=10).status_code == 200
    with Session(console.engine, future=True) as s:
        assert s.execute(select(ConsoleSession.last_seen_at)).scalar_one() > old  # a page view: refreshed


def test_disabled_account_loses_its_session(console):
    officer = logged_in(console)
    admin = logged_in(console, ADMIN, ADMIN_PW)
    with Session(console.engine, future=True) as s:
        officer_id = accounts.find_officer(s, OFFICER).id
    resp = admin.post(
        console.url(f"/accounts/{officer_id}/disable"),
        data={"csrf_token": admin.csrf},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302
    assert officer.get(console.url("/leads"), allow_redirects=False, timeout=10).status_code == 302
    assert login(console, OFFICER, OFFICER_PW).status_code == 401


# -------------------------------------------------------------------------------- throttling


def test_sixth_bad_password_is_throttled_even_with_the_right_password(console):
    for attempt in range(5):
        resp = login(console, OFFICER, f"sai-mat-khau-{attempt}")
        assert resp.status_code == 401, attempt
        assert "chưa đúng" in resp.text
    sixth = login(console, OFFICER, "sai-mat-khau-6")
    assert sixth.status_code == 429 and "15 phút" in sixth.text
    right = login(console, OFFICER, OFFICER_PW)
    assert right.status_code == 429 and "kc_session" not in right.headers.get("Set-Cookie", "")
    # another account is not locked by this one's failures
    assert login(console, ADMIN, ADMIN_PW).status_code == 302
    # a name that does not exist is throttled exactly the same way (nothing to learn)
    for attempt in range(5):
        assert login(console, "khong.ton.tai", f"x-{attempt}-mat-khau").status_code == 401
    assert login(console, "khong.ton.tai", "x").status_code == 429
    entries = _audit(console)
    failed = [e for e in entries if e.action == "login_failed"]
    assert {e.officer for e in failed} == {OFFICER, None}  # the unknown typed name is never written
    assert all("khong.ton.tai" not in (e.detail or "") for e in entries)
    with Session(console.engine, future=True) as s:
        keys = {a.account_key for a in s.execute(select(LoginAttempt)).scalars()}
    assert "khong.ton.tai" not in keys and accounts.account_key("khong.ton.tai") in keys


def test_throttle_per_address(console):
    for i in range(20):
        assert login(console, f"ten{i:02d}", "mat-khau-sai-123").status_code == 401
    assert login(console, OFFICER, OFFICER_PW).status_code == 429


def test_failed_login_takes_as_long_for_unknown_names(console):
    def timed(username: str) -> float:
        start = time.perf_counter()
        assert login(console, username, "mat-khau-sai-123").status_code == 401
        return time.perf_counter() - start

    real = [timed(OFFICER) for _ in range(4)]
    unknown = [timed(f"khong.co.{i}") for i in range(4)]
    ratio = statistics.median(unknown) / statistics.median(real)
    assert 0.5 < ratio < 2.0, (real, unknown)


# ------------------------------------------------------------------------------- leads page


def test_leads_list_filters_and_escapes(console):
    session = logged_in(console)
    page = session.get(console.url("/leads"), timeout=10).text
    for name, *_ in PEOPLE:
        if "<" not in name:
            assert name in page
    assert "<b>Mai</b>" not in page and "&lt;b&gt;Mai&lt;/b&gt;" in page  # autoescaped
    assert 'style="' not in page and "<script" not in page  # CSP: no inline style or script
    hanoi = session.get(console.url("/leads?province=ha_noi"), timeout=10).text
    assert "Trần Văn Bình" not in hanoi and "Nguyễn Thị Hoa" in hanoi
    web_only = session.get(console.url("/leads?channel=web&verdict=eligible"), timeout=10).text
    assert "Lê Thị" in web_only and "Nguyễn Thị Hoa" not in web_only and "Trần Văn Bình" not in web_only
    lead = _leads(console)[0]
    mark = session.post(
        console.url(f"/leads/{lead.id}/contacted"), data={"csrf_token": session.csrf}, allow_redirects=False, timeout=10
    )
    assert mark.status_code == 302
    not_yet = session.get(console.url("/leads?contacted=no"), timeout=10).text
    assert "Nguyễn Thị Hoa" not in not_yet and "Phạm Quốc Dũng" in not_yet
    done = session.get(console.url("/leads?contacted=yes"), timeout=10).text
    assert "Nguyễn Thị Hoa" in done and "Phạm Quốc Dũng" not in done
    vn_today = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=7)).date()
    future = session.get(console.url(f"/leads?from={vn_today + dt.timedelta(days=1)}"), timeout=10).text
    assert "Nguyễn Thị Hoa" not in future and "chưa có khách hàng" in future
    today = session.get(console.url(f"/leads?from={vn_today}&to={vn_today}"), timeout=10).text
    assert "Nguyễn Thị Hoa" in today  # created now (Vietnam day), consent earlier
    bad = session.get(console.url("/leads?from=31-12-2026"), timeout=10)
    assert bad.status_code == 200 and "không hợp lệ" in bad.text


def test_leads_pagination(console, tmp_path):
    console.settings.page_size = 2
    session = logged_in(console)
    first = session.get(console.url("/leads"), timeout=10).text
    assert "Trang 1/2" in first
    second = session.get(console.url("/leads?page=2"), timeout=10).text
    ids_first = set(re.findall(r'data-lead-id="(\d+)"', first))
    ids_second = set(re.findall(r'data-lead-id="(\d+)"', second))
    assert len(ids_first) == 2 and len(ids_second) == 2 and not ids_first & ids_second


def test_lead_detail_shows_every_field_in_vietnam_time(console):
    session = logged_in(console)
    lead = _leads(console)[0]
    page = session.get(console.url(f"/leads/{lead.id}"), timeout=10)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    from lead_store.cli import EXPORT_HEADERS

    for header in EXPORT_HEADERS:
        assert header in page.text, header
    consent_vn = (lead.consent_at + dt.timedelta(hours=7)).strftime("%d/%m/%Y %H:%M")
    assert consent_vn in page.text and lead.consent_version in page.text
    assert "0912 345 678" in page.text or "0912345678" in page.text
    assert session.get(console.url("/leads/999999"), timeout=10).status_code == 404
    views = [e for e in _audit(console) if e.action == "lead_view"]
    assert [(e.officer, e.target_ids) for e in views] == [(OFFICER, str(lead.id))]


def _export(session, console, fmt: str, query: str) -> requests.Response:
    resp = session.get(console.url(f"/leads/export.{fmt}?{query}"), timeout=30)
    assert resp.status_code == 200, resp.text[:300]
    assert "attachment" in resp.headers["Content-Disposition"]
    return resp


def test_export_csv_is_the_cli_file_of_the_filtered_rows(console, tmp_path, monkeypatch):
    from lead_store.cli import main as leads_cli

    session = logged_in(console)
    resp = _export(session, console, "csv", "province=ha_noi")
    monkeypatch.setenv("DATABASE_URL", console.db_url)
    out = tmp_path / "cli.csv"
    assert leads_cli(["export", "--format", "csv", "--out", str(out), "--province", "ha_noi"]) == 0
    assert resp.content == out.read_bytes()  # same bytes as `khuyencong-leads export`
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    expected = [lead.id for lead in _leads(console, Lead.province == "ha_noi")]
    assert [int(r[0]) for r in rows[1:]] == expected and len(expected) == 3
    entry = [e for e in _audit(console) if e.action == "leads_export"][-1]
    assert entry.officer == OFFICER and entry.count == 3
    assert entry.target_ids == ",".join(map(str, expected)) and "province=ha_noi" in entry.detail


def test_export_xlsx_equals_the_filtered_rows(console):
    from openpyxl import load_workbook

    from lead_store.cli import EXPORT_HEADERS

    session = logged_in(console)
    resp = _export(session, console, "xlsx", "province=ha_noi&channel=web")
    assert resp.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(resp.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == EXPORT_HEADERS
    expected = _leads(console, Lead.province == "ha_noi", Lead.channel == "web")
    assert [(r[0], r[1], r[2]) for r in rows[1:]] == [(lead.id, lead.name, lead.phone_e164) for lead in expected]
    entry = [e for e in _audit(console) if e.action == "leads_export"][-1]
    assert entry.count == len(expected) == 1 and entry.detail.startswith("xlsx")
    assert requests.get(console.url("/leads/export.xlsx"), allow_redirects=False, timeout=10).status_code == 302


def test_mark_contacted_and_delete_change_the_database_and_are_audited(console):
    session = logged_in(console)
    leads = _leads(console)
    first, second, third = leads[0].id, leads[1].id, leads[2].id
    resp = session.post(
        console.url(f"/leads/{first}/contacted"),
        data={"csrf_token": session.csrf, "note": "Đã gọi, hẹn thứ 3"},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302
    lead = _leads(console, Lead.id == first)[0]
    assert lead.contacted_by == OFFICER and lead.note == "Đã gọi, hẹn thứ 3"
    assert abs((accounts.utcnow() - lead.contacted_at).total_seconds()) < 60
    bulk = session.post(
        console.url("/leads/contacted"),
        data={"csrf_token": session.csrf, "ids": [second, third], "back": "province=ha_noi"},
        allow_redirects=False,
        timeout=10,
    )
    assert bulk.status_code == 302 and bulk.headers["Location"].startswith("/leads?province=ha_noi")
    assert all(lead.contacted_by == OFFICER for lead in _leads(console, Lead.id.in_([second, third])))

    confirm = session.get(console.url(f"/leads/{first}/delete"), timeout=10)
    assert confirm.status_code == 200 and "Xóa vĩnh viễn" in confirm.text
    not_confirmed = session.post(
        console.url(f"/leads/{first}/delete"), data={"csrf_token": session.csrf}, allow_redirects=False, timeout=10
    )
    assert not_confirmed.status_code == 302 and _leads(console, Lead.id == first)
    deleted = session.post(
        console.url(f"/leads/{first}/delete"),
        data={"csrf_token": session.csrf, "confirm": "yes"},
        allow_redirects=False,
        timeout=10,
    )
    assert deleted.status_code == 302 and not _leads(console, Lead.id == first)
    assert session.get(console.url(f"/leads/{first}"), timeout=10).status_code == 404

    entries = _audit(console)
    by_action = {e.action: e for e in entries}
    assert by_action["lead_delete"].target_ids == str(first) and by_action["lead_delete"].officer == OFFICER
    assert [e.target_ids for e in entries if e.action == "lead_contacted"] == [str(first), f"{second},{third}"]
    secrets_ = personal_strings() + ["Đã gọi, hẹn thứ 3"]
    for e in entries:
        text = " ".join(str(getattr(e, c.name)) for c in AuditEntry.__table__.columns)
        assert not [s for s in secrets_ if s in text], text


def test_erasure_request_processing(console):
    from lead_store.erasure import phone_matches

    engine = console.engine
    request_id = record_erasure_request(engine, "web", "conv-x", phone="0987 654 321")
    other_id = record_erasure_request(engine, "zalo", "conv-y", phone="0933 000 111")
    session = logged_in(console)
    page = session.get(console.url("/leads/erasure"), timeout=10).text
    bình = _leads(console, Lead.phone_e164 == "+84987654321")[0].id
    assert f'/leads/{bình}"' in page and "0987" not in page
    resp = session.post(
        console.url(f"/leads/erasure/{request_id}/process"),
        data={"csrf_token": session.csrf, "confirm": "yes"},
        allow_redirects=False,
        timeout=30,
    )
    assert resp.status_code == 302
    assert not _leads(console, Lead.phone_e164 == "+84987654321")
    with Session(engine, future=True) as s:
        req = s.get(ErasureRequest, request_id)
        assert req.processed_by == OFFICER and req.erased == 1 and req.processed_at is not None
        assert s.get(ErasureRequest, other_id).processed_at is None
        assert phone_matches(req.phone_hash, "0987654321")
    entries = {e.action: e for e in _audit(console)}
    assert entries["erasure_processed"].target_ids == str(request_id) and entries["erasure_processed"].count == 1
    assert entries["lead_delete"].target_ids == str(bình)
    assert len(_leads(console)) == 3


def test_no_personal_data_in_console_logs(console, caplog):
    caplog.set_level(logging.DEBUG)
    session = logged_in(console)
    lead = _leads(console)[0]
    session.get(console.url("/leads"), timeout=10)
    session.get(console.url("/leads?province=ha_noi"), timeout=10)
    session.get(console.url(f"/leads/{lead.id}"), timeout=10)
    _export(session, console, "csv", "")
    _export(session, console, "xlsx", "province=ha_noi")
    session.post(
        console.url(f"/leads/{lead.id}/contacted"), data={"csrf_token": session.csrf, "note": "gọi lại"}, timeout=10
    )
    session.post(
        console.url(f"/leads/{lead.id}/delete"), data={"csrf_token": session.csrf, "confirm": "yes"}, timeout=10
    )
    assert not _leads(console, Lead.id == lead.id)
    lines = [r.getMessage() for r in caplog.records]
    assert any("leads_export" in line for line in lines)  # the capture did see the console's logs
    leaked = [(s, line) for line in lines for s in personal_strings() if s in line]
    assert not leaked, leaked[:3]
    assert not [line for line in lines if OFFICER_PW in line]


# ----------------------------------------------------------------------------- accounts page


def test_admin_manages_accounts(console):
    admin = logged_in(console, ADMIN, ADMIN_PW)
    weak = admin.post(
        console.url("/accounts"),
        data={"csrf_token": admin.csrf, "username": "canbo.lan", "password": "ngan", "role": "officer"},
        timeout=10,
    )
    assert weak.status_code == 400 and "ít nhất 10" in weak.text
    named = admin.post(
        console.url("/accounts"),
        data={"csrf_token": admin.csrf, "username": "canbo.lan", "password": "canbo.lan-2026", "role": "officer"},
        timeout=10,
    )
    assert named.status_code == 400 and "tên đăng nhập" in named.text
    made = admin.post(
        console.url("/accounts"),
        data={
            "csrf_token": admin.csrf,
            "username": "canbo.lan",
            "display_name": "Cán bộ Lan",
            "password": "Mot-lan-duy-nhat",
            "role": "officer",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert made.status_code == 302
    lan = logged_in(console, "canbo.lan", "Mot-lan-duy-nhat")
    with Session(console.engine, future=True) as s:
        lan_id = accounts.find_officer(s, "canbo.lan").id
        admin_id = accounts.find_officer(s, ADMIN).id
    # the officer changes the one-time password; the old one stops working
    change = lan.post(
        console.url("/account/password"),
        data={
            "csrf_token": lan.csrf,
            "current": "Mot-lan-duy-nhat",
            "password": "Lan-tu-dat-rieng",
            "repeat": "Lan-tu-dat-rieng",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert change.status_code == 302
    assert login(console, "canbo.lan", "Mot-lan-duy-nhat").status_code == 401
    lan = logged_in(console, "canbo.lan", "Lan-tu-dat-rieng")
    # role change, reset, disable
    assert (
        admin.post(
            console.url(f"/accounts/{lan_id}/role"),
            data={"csrf_token": admin.csrf, "role": "admin"},
            allow_redirects=False,
            timeout=10,
        ).status_code
        == 302
    )
    assert lan.get(console.url("/accounts"), timeout=10).status_code == 200
    assert (
        admin.post(
            console.url(f"/accounts/{lan_id}/password"),
            data={"csrf_token": admin.csrf, "password": "Dat-lai-boi-admin"},
            allow_redirects=False,
            timeout=10,
        ).status_code
        == 302
    )
    assert lan.get(console.url("/leads"), allow_redirects=False, timeout=10).status_code == 302  # reset ends sessions
    assert login(console, "canbo.lan", "Dat-lai-boi-admin").status_code == 302
    assert (
        admin.post(
            console.url(f"/accounts/{lan_id}/disable"),
            data={"csrf_token": admin.csrf},
            allow_redirects=False,
            timeout=10,
        ).status_code
        == 302
    )
    assert login(console, "canbo.lan", "Dat-lai-boi-admin").status_code == 401
    # the last active admin cannot lock themselves out
    last = admin.post(console.url(f"/accounts/{admin_id}/disable"), data={"csrf_token": admin.csrf}, timeout=10)
    assert last.status_code == 400 and "cuối cùng" in last.text
    actions = [e.action for e in _audit(console) if e.target_type == "officer"]
    for action in (
        "account_create",
        "account_password_change",
        "account_role",
        "account_password_reset",
        "account_disable",
    ):
        assert action in actions
    audit_page = admin.get(console.url("/accounts/audit"), timeout=10)
    assert audit_page.status_code == 200 and "account_disable" in audit_page.text
    with Session(console.engine, future=True) as s:
        stored = s.get(Officer, lan_id).password_hash
    assert stored.startswith("$argon2id$") and "Dat-lai" not in stored


def test_production_password_hashing_parameters(cheap_password_hashing):
    """The console's own hasher (not the tests' cheap one): argon2id with argon2-cffi's
    defaults, RFC 9106's low-memory profile (t=3, 64 MiB, p=4); the dummy hash for unknown
    names has the same cost, so a wrong name takes as long as a wrong password."""
    from argon2 import PasswordHasher, Type, extract_parameters
    from argon2.profiles import RFC_9106_LOW_MEMORY

    real_hasher, real_dummy = cheap_password_hashing
    assert isinstance(real_hasher, PasswordHasher) and real_hasher.type is Type.ID
    assert (
        (real_hasher.time_cost, real_hasher.memory_cost, real_hasher.parallelism)
        == (RFC_9106_LOW_MEMORY.time_cost, RFC_9106_LOW_MEMORY.memory_cost, RFC_9106_LOW_MEMORY.parallelism)
        == (3, 65536, 4)
    )
    assert extract_parameters(real_dummy) == extract_parameters(real_hasher.hash("x" * 12))


def test_password_rehashed_when_parameters_change(console):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    with Session(console.engine, future=True) as s, s.begin():
        s.execute(update(Officer).where(Officer.username == OFFICER).values(password_hash=weak.hash(OFFICER_PW)))
    assert login(console, OFFICER, OFFICER_PW).status_code == 302
    with Session(console.engine, future=True) as s:
        stored = accounts.find_officer(s, OFFICER).password_hash
    assert "m=8192" not in stored and not accounts._hasher.check_needs_rehash(stored)


# ------------------------------------------------------------------------------------- CLI


def _cli(args, db_url, stdin=""):
    """``python -m console ARGS`` in a subprocess: what an administrator runs."""
    env = {**os.environ, "DATABASE_URL": db_url}
    return subprocess.run(
        [sys.executable, "-m", "console", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def _cli_here(args, db_url, stdin, monkeypatch, capsys):
    """The same command through ``console.__main__.main`` in this process (no interpreter start:
    0.7 s a call); stdin, DATABASE_URL, output and exit code as in a subprocess."""
    import io

    from console.__main__ import main

    capsys.readouterr()
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(args))
    out = capsys.readouterr()
    return subprocess.CompletedProcess(["console", *args], code, out.out, out.err)


def test_cli_accounts_and_first_run_hint(tmp_path, monkeypatch, capsys):
    """The first commands in subprocesses (the real entry point, the real password hashing),
    the rest in this process (same code, same exit codes)."""
    db_url = f"sqlite:///{tmp_path / 'cli.db'}"
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "CONSOLE_PORT": str(port)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "console", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", 60, proc)
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    assert "python -m console create-user" in output and "--admin" in output

    short = _cli(["create-user", "truong.phong", "--admin", "--password-stdin"], db_url, "ngan\n")
    assert short.returncode == 2 and "10" in short.stderr
    ok = _cli(
        ["create-user", "Truong.Phong", "--admin", "--display-name", "Trưởng phòng", "--password-stdin"],
        db_url,
        "Mat-khau-truong-phong\n",
    )
    assert ok.returncode == 0, ok.stderr

    def cli(args, db_url, stdin=""):  # from here on, in this process
        return _cli_here(args, db_url, stdin, monkeypatch, capsys)

    dup = cli(["create-user", "truong.phong", "--password-stdin"], db_url, "Mat-khau-truong-phong\n")
    assert dup.returncode == 2
    listed = cli(["list-users"], db_url)
    assert "truong.phong" in listed.stdout and "admin" in listed.stdout
    assert cli(["set-password", "truong.phong", "--password-stdin"], db_url, "Mat-khau-moi-hon-nua\n").returncode == 0
    engine_url = db_url
    from policy_kb.db import get_engine

    officer, _ = accounts.authenticate(get_engine(engine_url), "truong.phong", "Mat-khau-moi-hon-nua")
    assert officer is not None
    # the only admin cannot be disabled; a second one can
    assert cli(["disable-user", "truong.phong"], db_url).returncode == 2
    assert cli(["create-user", "pho.phong", "--password-stdin"], db_url, "Pho-phong-mat-khau\n").returncode == 0
    assert cli(["disable-user", "pho.phong"], db_url).returncode == 0
    assert "disabled" in cli(["list-users"], db_url).stdout
    assert "Mat-khau" not in listed.stdout + listed.stderr


def test_console_on_postgresql(tmp_path):
    """The same console on PostgreSQL (the production database): migrate, log in, list, mark, export."""
    from sqlalchemy import create_engine, text

    from console.migrations import upgrade
    from console.settings import ConsoleSettings
    from tests.conftest import PG_BASE, pg_schema
    from tests.console_helpers import ConsoleServer, seed_leads

    try:
        probe = create_engine(PG_BASE, future=True)
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
        probe.dispose()
    except Exception as exc:  # noqa: BLE001
        reason = f"PostgreSQL at {PG_BASE} unreachable ({type(exc).__name__})"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason + ": CI has PostgreSQL, this is a failure", pytrace=False)
        pytest.skip(reason)
    with pg_schema("kc_console_app") as (_, url):
        upgrade(url)
        from policy_kb.db import get_engine

        accounts.create_officer(get_engine(url), OFFICER, OFFICER_PW, "officer")
        seed_leads(url)
        server = ConsoleServer(url, ConsoleSettings(db_url=url)).start()
        try:
            session = logged_in(server)
            assert "Nguyễn Thị Hoa" in session.get(server.url("/leads?province=ha_noi"), timeout=10).text
            lead = _leads(server, Lead.province == "ha_noi")[0]
            assert (
                session.post(
                    server.url(f"/leads/{lead.id}/contacted"),
                    data={"csrf_token": session.csrf},
                    allow_redirects=False,
                    timeout=10,
                ).status_code
                == 302
            )
            assert _leads(server, Lead.id == lead.id)[0].contacted_by == OFFICER
            rows = list(
                csv.reader(io.StringIO(_export(session, server, "csv", "contacted=yes").content.decode("utf-8-sig")))
            )
            assert [int(r[0]) for r in rows[1:]] == [lead.id]
            assert [e.action for e in _audit(server)][-2:] == ["lead_contacted", "leads_export"]
        finally:
            server.stop()
            server.engine.dispose()
