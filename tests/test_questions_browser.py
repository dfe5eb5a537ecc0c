"""From the widget to the console, in Debian's chromium (playwright, headless).

A person asks the live bot (action server + Rasa, web widget channel) something the knowledge
base cannot answer; the bot says it has recorded the question; an officer logs in to the
console (real aiohttp app on the bot's own database) and finds it on /questions, expands it and
marks it handled; then opens /stats, whose charts must be drawn by the vendored Chart.js under
the console's CSP (no inline script). Screenshots in tests/artifacts/console/: questions.png,
questions-390.png, stats.png, stats-390.png.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import ARTIFACTS, channel_bot

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
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}
CREDENTIALS = "bot.channels.rest.SafeRestInput:\nbot.channels.webchat.WebChatInput:\n"
SHOTS = ARTIFACTS / "console"
TIMEOUT_MS = 30_000
RECORDED = "Em đã ghi lại câu hỏi"
# Questions the knowledge base does not hold (tests/data/answer_eval: "unanswerable"); the first
# one the bot records is used (the answer engine may still find a related fact for some).
CANDIDATES = (
    "Ai đang là giám đốc Trung tâm Khuyến công tỉnh Thanh Hóa?",
    "sở công thương làm việc thứ 7 ko ạ",
    "Tổng kinh phí khuyến công quốc gia được giao năm 2026 là bao nhiêu tỷ đồng?",
)


@pytest.fixture(scope="module")
def web_bot(tmp_path_factory):
    with channel_bot(tmp_path_factory.mktemp("qbrowser"), "questions-browser", CREDENTIALS) as bot:
        yield bot


@pytest.fixture(scope="module")
def console(web_bot, tmp_path_factory):
    """The console on the bot's database, with an officer and a tracker store holding a few
    real Rasa conversations (the test bot keeps its own trackers in memory)."""
    from rasa.core.tracker_store import SQLTrackerStore

    from console import accounts
    from console.migrations import upgrade
    from console.settings import ConsoleSettings
    from policy_kb.db import get_engine
    from policy_kb.unanswered import record
    from tests.console_helpers import OFFICER, OFFICER_PW, ConsoleServer
    from tests.test_console_questions import WEB_VARIANTS
    from tests.test_console_stats import fill_bot_tables, write_tracker_store

    tmp = tmp_path_factory.mktemp("qconsole")
    upgrade(web_bot.db_url)
    accounts.create_officer(get_engine(web_bot.db_url), OFFICER, OFFICER_PW, "officer", "Cán bộ Hoa")
    store = SQLTrackerStore(None, dialect="sqlite", db=str(tmp / "tracker.db"))
    write_tracker_store(store)
    store.engine.dispose()
    fill_bot_tables(get_engine(web_bot.db_url))
    for i, text in enumerate(WEB_VARIANTS):  # a group of three wordings of one need
        record(
            text,
            ("zalo", "web", "web")[i],
            0.3,
            "activities.products_fairs_branding",
            "ask_activities",
            url=web_bot.db_url,
        )
    settings = ConsoleSettings(
        db_url=web_bot.db_url,
        rasa_url=web_bot.url,
        rasa_token="unused",
        tracker_db_url=f"sqlite:///{tmp / 'tracker.db'}",
    )
    server = ConsoleServer(web_bot.db_url, settings).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's chromium with `apt-get install -y chromium`", pytrace=False
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        yield browser
        browser.close()


def new_page(browser, viewport, errors):
    phone = viewport == PHONE
    context = browser.new_context(
        viewport=viewport, device_scale_factor=2 if phone else 1, is_mobile=phone, has_touch=phone, locale="vi-VN"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page


def ask_until_recorded(page) -> str:
    """Type the candidates in the widget until the bot says it recorded one; return it."""
    for question in CANDIDATES:
        before = page.locator(".tlkc-bot .tlkc-text").count()
        page.locator(".tlkc-input").fill(question)
        page.locator(".tlkc-input").press("Enter")
        page.wait_for_function(
            f"() => document.getElementById('tro-ly-khuyen-cong').shadowRoot"
            f".querySelectorAll('.tlkc-bot .tlkc-text').length > {before}"
        )
        page.locator(".tlkc-typing").wait_for(state="hidden")
        if any(RECORDED in t for t in page.locator(".tlkc-bot .tlkc-text").all_inner_texts()[before:]):
            return question
    pytest.fail("the bot answered every candidate question: pick others from answer_eval 'unanswerable'")


def login(page, console) -> None:
    from tests.console_helpers import OFFICER, OFFICER_PW

    page.goto(console.url("/questions"))
    assert page.url.startswith(console.url("/login"))  # anonymous: sent to the login page
    page.fill("input[name=username]", OFFICER)
    page.fill("input[name=password]", OFFICER_PW)
    page.click("button[type=submit]")
    page.wait_for_url(console.url("/questions"))


def test_question_from_the_widget_reaches_the_console(web_bot, console, browser):
    from console.questions import shown_text
    from policy_kb.unanswered import UnansweredQuestion

    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list = []
    context, page = new_page(browser, PHONE, errors)
    page.goto(f"{web_bot.url}/webhooks/web/demo")
    page.locator(".tlkc-launcher").click()
    page.locator(".tlkc-bot .tlkc-text", has_text="Trợ lý Khuyến công").first.wait_for()
    question = ask_until_recorded(page)
    context.close()

    with Session(console.engine, future=True) as session:
        rows = (
            session.execute(
                select(UnansweredQuestion)
                .where(UnansweredQuestion.channel == "web")
                .order_by(UnansweredQuestion.id.desc())
            )
            .scalars()
            .all()
        )
    recorded = [r for r in rows if r.text.rstrip("?").lower() in question.lower()]
    assert recorded, ([r.text for r in rows], question)
    question = shown_text(recorded[0].text)  # what the console shows of it

    # laptop: log in, the question is on the list, expand it, mark it handled
    context, page = new_page(browser, LAPTOP, errors)
    login(page, console)
    group = page.locator("li.qgroup", has_text=question)
    group.wait_for()
    assert "Web" in group.inner_text()
    group.locator("summary").click()
    group.locator("ul.variants li", has_text=question).wait_for(state="visible")
    group.locator("input[name=note]").fill("đã chuyển cho người phụ trách dữ liệu")
    page.screenshot(path=str(SHOTS / "questions.png"), full_page=True)
    group.locator("button", has_text="Đánh dấu đã xử lý").click()
    page.locator(".flash", has_text="đã đánh dấu").wait_for()
    assert page.locator("li.qgroup", has_text=question).count() == 0
    page.goto(console.url("/questions?status=handled"))
    page.locator("li.qgroup", has_text=question).wait_for()

    # stats: every chart with data drawn by Chart.js (CSP: scripts from /static only)
    since = dt.date(2026, 11, 1)
    page.goto(console.url(f"/stats?from={since.isoformat()}&to={dt.date.today().isoformat()}"))
    drawn = page.locator("canvas[data-drawn='1']")
    drawn.first.wait_for(state="attached")
    assert drawn.count() == page.locator("script.chart-data").count() >= 6
    page.screenshot(path=str(SHOTS / "stats.png"), full_page=True)
    context.close()

    # phone: same pages, no sideways scroll
    context, page = new_page(browser, PHONE, errors)
    login(page, console)
    page.goto(console.url("/questions?status=all"))
    page.locator("li.qgroup summary").first.click()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(SHOTS / "questions-390.png"), full_page=True)
    page.goto(console.url(f"/stats?from={since.isoformat()}&to={dt.date.today().isoformat()}"))
    page.locator("canvas[data-drawn='1']").first.wait_for(state="attached")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(SHOTS / "stats-390.png"), full_page=True)
    context.close()
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
