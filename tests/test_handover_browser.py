"""Live handover end to end in Debian's chromium (playwright): the widget and the console side by side.

At 1280×800 (laptop) and 390×844 (phone): a person asks for an officer in the web widget and
accepts; an officer, already logged into the console with the inbox open, sees the conversation
appear without reloading (static/inbox.js polling), opens it, replies; the reply shows in the
widget labelled "Cán bộ …"; the person's next message shows up in the officer's open page, again
without a reload; the officer hands back and the bot answers the next question in the widget.

Screenshots in tests/artifacts/console/: inbox.png, conversation.png, widget-handover.png and
the phone variants inbox-390.png, conversation-390.png, widget-handover-390.png.
Needs /usr/bin/chromium (playwright never downloads a browser here).
"""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest

from console.handover import HAND_BACK_TEXT
from tests.conftest import ARTIFACTS, channel_bot
from tests.test_handover_console import (
    ANSWER_NEEDLE,
    ASK_PERSON,
    OFFICER,
    OFFICER_NAME,
    PASSWORD,
    QUESTION,
    ConsoleServer,
    handover_row,
    prepare_console_db,
)

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
CREDENTIALS = "bot.channels.rest.SafeRestInput:\nbot.channels.webchat.WebChatInput:\n"
SHOTS = ARTIFACTS / "console"
VIEWPORTS = {"laptop": ({"width": 1280, "height": 800}, ""), "phone": ({"width": 390, "height": 844}, "-390")}
TIMEOUT_MS = 30_000
POLL_WAIT_MS = 15_000  # inbox.js polls every 5 s


@pytest.fixture(scope="module")
def web_bot(tmp_path_factory):
    with channel_bot(tmp_path_factory.mktemp("handover-browser"), "handover-browser", CREDENTIALS) as bot:
        prepare_console_db(bot.db_url)
        yield bot


@pytest.fixture(scope="module")
def console(web_bot):
    server = ConsoleServer(web_bot.db_url, web_bot.url).start()
    yield server
    server.stop()


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


def new_page(browser, viewport, phone: bool, problems: List[str]):
    context = browser.new_context(
        viewport=viewport, locale="vi-VN", device_scale_factor=2 if phone else 1, is_mobile=phone, has_touch=phone
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    # resource errors are reported by URL (below); the browser's own favicon request is not ours
    page.on(
        "console",
        lambda m: (
            problems.append(m.text) if m.type == "error" and not m.text.startswith("Failed to load resource") else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}") if r.status >= 400 and not r.url.endswith("/favicon.ico") else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: (problems.append(d.message), d.dismiss()))
    return context, page


def widget_session(page) -> str:
    return page.evaluate("""() => {
        const key = Object.keys(localStorage).find(k => k.startsWith('tlkc:v1:'));
        return JSON.parse(localStorage.getItem(key)).sessionId;
    }""")


def no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_handover_in_the_widget_and_the_console(web_bot, console, browser, device):
    viewport, suffix = VIEWPORTS[device]
    phone = device == "phone"
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: List[str] = []
    user_ctx, user = new_page(browser, viewport, phone, problems)
    officer_ctx, officer = new_page(browser, viewport, phone, problems)
    try:
        # The officer logs in and keeps the inbox open.
        officer.goto(f"{console.url}/login?next=/inbox")
        officer.fill("input[name=username]", OFFICER)
        officer.fill("input[name=password]", PASSWORD)
        officer.click("button[type=submit]")
        officer.wait_for_url(f"{console.url}/inbox")
        assert officer.locator("h1").inner_text() == "Hộp thư chuyển cán bộ"

        # The person asks for an officer in the widget and accepts.
        user.goto(f"{web_bot.url}/webhooks/web/demo")
        user.locator(".tlkc-launcher").click()
        user.locator(".tlkc-bot .tlkc-text", has_text="Trợ lý Khuyến công").first.wait_for()
        user.locator(".tlkc-input").fill(ASK_PERSON)
        user.locator(".tlkc-input").press("Enter")
        user.locator(".tlkc-chip", has_text="Gặp cán bộ").last.click()
        user.locator(".tlkc-bot .tlkc-text", has_text="chuyển cuộc trò chuyện cho cán bộ").last.wait_for()
        status = user.locator(".tlkc-status")
        status.filter(has_text="Đã chuyển cho cán bộ").wait_for()
        sender = f"web-{widget_session(user)}"
        [row] = handover_row(web_bot.db_url, sender)

        # It appears in the open inbox without a reload.
        link = officer.locator(f'a[href="/inbox/{row.id}"]')
        link.wait_for(timeout=POLL_WAIT_MS)
        assert "Web (widget)" in officer.locator(f'tr:has(a[href="/inbox/{row.id}"])').inner_text()
        if phone:
            no_sideways_scroll(officer, viewport["width"])
        officer.screenshot(path=str(SHOTS / f"inbox{suffix}.png"), full_page=True)

        # The officer opens it: the transcript so far, the bot marked as paused.
        link.click()
        officer.wait_for_url(f"{console.url}/inbox/{row.id}")
        officer.locator(".turn-user .text", has_text=ASK_PERSON).wait_for()
        assert "Trợ lý đang tạm dừng" in officer.locator(".conv-meta").inner_text()

        # The officer replies; the reply shows in the widget with the officer's label.
        reply = "Dạ, em là cán bộ Lan. Anh/chị cần hỗ trợ về máy móc hay đào tạo nghề ạ?"
        officer.fill("textarea[name=text]", reply)
        officer.click("form.reply-form button[type=submit]")
        officer.locator(".flash", has_text="Dạ, đã gửi trả lời.").wait_for()
        officer.locator(".turn-officer .text", has_text=reply).wait_for()
        bubble = user.locator(".tlkc-officer", has_text=reply)
        bubble.wait_for()
        assert bubble.locator(".tlkc-who").inner_text() == f"Cán bộ {OFFICER_NAME}"
        status.filter(has_text="Đang trò chuyện với cán bộ").wait_for()
        if phone:
            no_sideways_scroll(user, viewport["width"])

        # The person answers; the officer's open page shows it without a reload.
        user.locator(".tlkc-input").fill("Dạ, em cần hỗ trợ mua máy sấy ạ")
        user.locator(".tlkc-input").press("Enter")
        officer.locator(".turn-user .text", has_text="Dạ, em cần hỗ trợ mua máy sấy ạ").wait_for(timeout=POLL_WAIT_MS)
        user.screenshot(path=str(SHOTS / f"widget-handover{suffix}.png"))
        if phone:
            no_sideways_scroll(officer, viewport["width"])
        officer.screenshot(path=str(SHOTS / f"conversation{suffix}.png"), full_page=True)

        # Hand back: the widget says so and leaves the handover state; the bot answers again.
        officer.click("form.handback-form button[type=submit]")
        officer.wait_for_url(f"{console.url}/inbox?done=handed_back")
        officer.locator(".flash", has_text="đã trả cuộc trò chuyện cho trợ lý").wait_for()
        user.locator(".tlkc-bot .tlkc-text", has_text=HAND_BACK_TEXT).wait_for()
        status.filter(has_text="Đang trực tuyến · trả lời tự động").wait_for()
        user.locator(".tlkc-input").fill(QUESTION)
        user.locator(".tlkc-input").press("Enter")
        user.locator(".tlkc-bot .tlkc-text", has_text=ANSWER_NEEDLE).last.wait_for()
        assert user.locator(".tlkc-officer").count() == 1  # only the officer's message is labelled

        # Reload: the officer's message keeps its label (localStorage), the state is the bot again.
        user.reload()
        user.locator(".tlkc-officer .tlkc-who", has_text=OFFICER_NAME).wait_for()
        status.filter(has_text="Đang trực tuyến").wait_for()
        assert problems == []  # no CSP violation, script error or dialog on either side
    finally:
        user_ctx.close()
        officer_ctx.close()


def test_the_person_takes_the_bot_back_in_the_widget_and_the_officer_still_answers(web_bot, console, browser):
    """Issue 28.1 in the widget: after accepting, the pause message's "Tiếp tục với trợ lý" chip
    gets the bot back (any hours); the bot answers the next question; the handover stays in the
    console's inbox with a note, and an officer who answers later takes the conversation again."""
    viewport, _ = VIEWPORTS["phone"]
    problems: List[str] = []
    user_ctx, user = new_page(browser, viewport, True, problems)
    officer_ctx, officer = new_page(browser, viewport, True, problems)
    try:
        user.goto(f"{web_bot.url}/webhooks/web/demo")
        user.locator(".tlkc-launcher").click()
        user.locator(".tlkc-bot .tlkc-text", has_text="Trợ lý Khuyến công").first.wait_for()
        user.locator(".tlkc-input").fill(ASK_PERSON)
        user.locator(".tlkc-input").press("Enter")
        user.locator(".tlkc-chip", has_text="Gặp cán bộ").last.click()
        pause = user.locator(".tlkc-bot .tlkc-text", has_text="Trong lúc chờ").last
        pause.wait_for()
        status = user.locator(".tlkc-status")
        status.filter(has_text="Đã chuyển cho cán bộ").wait_for()
        sender = f"web-{widget_session(user)}"
        [row] = handover_row(web_bot.db_url, sender)

        # the chip under the pause message: the bot is back, the widget leaves the waiting state
        user.locator(".tlkc-chip", has_text="Tiếp tục với trợ lý").last.click()
        user.locator(".tlkc-bot .tlkc-text", has_text="em quay lại hỗ trợ").last.wait_for()
        status.filter(has_text="Đang trực tuyến").wait_for()
        user.locator(".tlkc-input").fill(QUESTION)
        user.locator(".tlkc-input").press("Enter")
        user.locator(".tlkc-bot .tlkc-text", has_text=ANSWER_NEEDLE).last.wait_for()
        [still] = handover_row(web_bot.db_url, sender)
        assert still.id == row.id and still.status == "waiting"  # still in the inbox

        # the officer sees the conversation, the note, what was asked meanwhile; replies
        officer.goto(f"{console.url}/login?next=/inbox/{row.id}")
        officer.fill("input[name=username]", OFFICER)
        officer.fill("input[name=password]", PASSWORD)
        officer.click("button[type=submit]")
        officer.wait_for_url(f"{console.url}/inbox/{row.id}")
        officer.locator(".turn-user .text", has_text=QUESTION).wait_for()
        assert "Người dân chọn quay lại trợ lý tự động" in officer.locator("body").inner_text()
        reply = "Dạ, em là cán bộ Lan, em đã đọc câu hỏi của anh/chị ạ."
        officer.fill("textarea[name=text]", reply)
        officer.click("form.reply-form button[type=submit]")
        officer.locator(".flash", has_text="Dạ, đã gửi trả lời.").wait_for()
        user.locator(".tlkc-officer", has_text=reply).wait_for()
        status.filter(has_text="Đang trò chuyện với cán bộ").wait_for()
        assert "Trợ lý đang tạm dừng" in officer.locator(".conv-meta").inner_text()
        assert problems == []
    finally:
        user_ctx.close()
        officer_ctx.close()
