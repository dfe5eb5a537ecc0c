"""The officers' console in Debian's chromium (playwright, headless) on a laptop and a phone.

At 1280×800 and 390×844: log in, filter the leads by province, download the XLSX and open it with
openpyxl, mark one lead contacted; the admin's accounts page. Screenshots in
tests/artifacts/console/: login.png, leads.png, lead.png, accounts.png and the phone variants
login-390.png, leads-390.png, lead-390.png, accounts-390.png. Needs /usr/bin/chromium
(``apt-get install -y chromium``); playwright never downloads a browser here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lead_store.leads import Lead
from tests.conftest import ARTIFACTS
from tests.console_helpers import ADMIN, ADMIN_PW, OFFICER, OFFICER_PW, make_console

pytestmark = pytest.mark.server

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = ARTIFACTS / "console"
VIEWPORTS = {"laptop": ({"width": 1280, "height": 800}, ""), "phone": ({"width": 390, "height": 844}, "-390")}
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's chromium with `apt-get install -y chromium` "
            "(playwright must not download its own browser here)",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        yield browser
        browser.close()


def _page(browser, viewport: dict):
    phone = viewport["width"] < 500
    context = browser.new_context(
        viewport=viewport,
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
        locale="vi-VN",
        accept_downloads=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    return context, page


def _fits(page, width: int) -> None:
    """No sideways scrolling of the whole page (wide tables scroll or stack inside their box)."""
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width + 1, f"page is {scroll}px wide in a {width}px viewport"


def _login(page, base: str, username: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/leads")


@pytest.mark.parametrize("kind", list(VIEWPORTS))
def test_console_in_a_browser(browser, tmp_path, kind):
    from openpyxl import load_workbook

    viewport, suffix = VIEWPORTS[kind]
    SHOTS.mkdir(parents=True, exist_ok=True)
    server = make_console(tmp_path)
    context, page = _page(browser, viewport)
    try:
        page.goto(server.url("/leads"))
        page.wait_for_url("**/login?next=*")
        assert page.locator("h1").inner_text() == "Đăng nhập"
        _fits(page, viewport["width"])
        page.screenshot(path=str(SHOTS / f"login{suffix}.png"), full_page=True)
        page.fill("input[name=username]", OFFICER)
        page.fill("input[name=password]", OFFICER_PW)
        page.click("button[type=submit]")
        page.wait_for_url(server.url("/leads"))

        page.select_option("select[name=province]", "ha_noi")
        page.click("form.filters button[type=submit]")
        page.wait_for_url("**/leads?*province=ha_noi*")
        with Session(server.engine, future=True) as s:
            hanoi = list(s.execute(select(Lead).where(Lead.province == "ha_noi").order_by(Lead.id)).scalars())
        rows = page.locator("#leads tbody tr[data-lead-id]")
        assert sorted(int(rows.nth(i).get_attribute("data-lead-id")) for i in range(rows.count())) == [
            lead.id for lead in hanoi
        ]
        assert page.locator("#leads").inner_text().count("Trần Văn Bình") == 0
        _fits(page, viewport["width"])
        page.screenshot(path=str(SHOTS / f"leads{suffix}.png"), full_page=True)

        with page.expect_download() as info:
            page.click("#export-xlsx")
        target = tmp_path / "leads.xlsx"
        info.value.save_as(str(target))
        sheet = load_workbook(target).active
        exported = [row for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert [(r[0], r[1], r[2]) for r in exported] == [(lead.id, lead.name, lead.phone_e164) for lead in hanoi]

        first = hanoi[0]
        page.click(f'#leads a[href="/leads/{first.id}"] >> nth=0')
        page.wait_for_url(server.url(f"/leads/{first.id}"))
        page.fill("textarea[name=note]", "Đã gọi, hẹn gặp")
        page.click("#mark-contacted")
        page.wait_for_url(server.url(f"/leads/{first.id}?msg=contacted"))
        assert "Đã liên hệ" in page.locator("h1").inner_text()
        with Session(server.engine, future=True) as s:
            lead = s.get(Lead, first.id)
            assert lead.contacted_by == OFFICER and lead.note == "Đã gọi, hẹn gặp"
        _fits(page, viewport["width"])
        page.screenshot(path=str(SHOTS / f"lead{suffix}.png"), full_page=True)

        page.click("button:has-text('Đăng xuất')")
        page.wait_for_url("**/login?msg=logged_out")
        _login(page, server.base, ADMIN, ADMIN_PW)
        page.goto(server.url("/accounts"))
        assert page.locator(f'#accounts tr[data-username="{OFFICER}"]').count() == 1
        _fits(page, viewport["width"])
        page.screenshot(path=str(SHOTS / f"accounts{suffix}.png"), full_page=True)
        assert not page.console_errors, page.console_errors  # e.g. a CSP violation
    finally:
        context.close()
        server.stop()
