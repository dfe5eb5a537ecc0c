"""The web chat widget in Debian's chromium (playwright, headless, 390×844 phone viewport).

Needs /usr/bin/chromium (``apt-get install -y chromium``); playwright never downloads a browser
here. Screenshots in tests/artifacts/: widget-390-page.png (demo page, chat closed),
widget-390.png (after an answer), widget-390-reloaded.png, widget-390-escaped.png.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path
from typing import List

import pytest
import requests

from tests.conftest import API_TOKEN, ARTIFACTS, channel_bot, free_port

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
CREDENTIALS = "bot.channels.rest.SafeRestInput:\nbot.channels.webchat.WebChatInput:\n"
XSS = "<img src=x onerror=alert(1)>"
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def web_bot(tmp_path_factory):
    with channel_bot(tmp_path_factory.mktemp("widget"), "widget", CREDENTIALS) as bot:
        yield bot


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


@pytest.fixture()
def phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="vi-VN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.dialogs: List[str] = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    yield page
    context.close()


@pytest.fixture(scope="module")
def foreign_site(tmp_path_factory):
    """Another origin (a centre's own site) serving pages that hold only the embed snippet."""
    root = tmp_path_factory.mktemp("site")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def bot_texts(page) -> List[str]:
    return page.locator(".tlkc-bot .tlkc-text").all_inner_texts()


def user_texts(page) -> List[str]:
    return page.locator(".tlkc-user .tlkc-text").all_inner_texts()


def wait_bot_text(page, needle: str) -> None:
    page.locator(".tlkc-bot .tlkc-text", has_text=needle).last.wait_for(state="visible")


def session_id(page) -> str:
    return page.evaluate("""() => {
        const key = Object.keys(localStorage).find(k => k.startsWith('tlkc:v1:'));
        return JSON.parse(localStorage.getItem(key)).sessionId;
    }""")


def test_widget_conversation_on_a_phone(web_bot, phone):
    page = phone
    page.goto(f"{web_bot.url}/webhooks/web/demo")
    assert "Trung tâm Khuyến công" in page.title()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scroll
    page.locator(".tlkc-launcher").wait_for()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-390-page.png"))

    # Open the chat: full screen on a phone, greeting with the menu rendered as buttons.
    page.locator(".tlkc-launcher").click()
    panel = page.locator(".tlkc-panel")
    box = panel.bounding_box()
    assert box and round(box["width"]) == PHONE["width"] and round(box["height"]) == PHONE["height"]
    wait_bot_text(page, "Trợ lý Khuyến công")
    menu = page.locator(".tlkc-chip", has_text="Ai được hỗ trợ?").first
    assert menu.evaluate("e => e.tagName") == "BUTTON" and menu.bounding_box()["height"] >= 40
    assert page.locator(".tlkc-status").inner_text() == "Đang trực tuyến · trả lời tự động"

    # Typing indicator: record whether it is shown while the bot works.
    page.evaluate("""() => {
        const typing = document.getElementById('tro-ly-khuyen-cong').shadowRoot.querySelector('.tlkc-typing');
        window.__typingSeen = false;
        new MutationObserver(() => { if (!typing.hidden) window.__typingSeen = true; })
            .observe(typing, {attributes: true});
    }""")

    # Click a menu button: the title shows as the user's message, the bot answers with a source.
    menu.click()
    wait_bot_text(page, "Căn cứ")
    assert user_texts(page)[-1] == "Ai được hỗ trợ?"
    assert page.evaluate("window.__typingSeen") is True
    page.locator(".tlkc-typing").wait_for(state="hidden")

    # Type a question without diacritics.
    page.locator(".tlkc-input").fill("mua may moc dc ho tro bn")
    page.locator(".tlkc-input").press("Enter")
    wait_bot_text(page, "300 triệu đồng")
    answer = bot_texts(page)[-1]
    assert "Thông tư 28/2018/TT-BTC" in answer
    assert page.locator(".tlkc-input").input_value() == ""
    page.screenshot(path=str(ARTIFACTS / "widget-390.png"))

    # Reload: same session, same messages, chat still open.
    before_bot, before_user, sid = bot_texts(page), user_texts(page), session_id(page)
    page.reload()
    wait_bot_text(page, "300 triệu đồng")
    assert bot_texts(page) == before_bot and user_texts(page) == before_user
    assert session_id(page) == sid
    page.locator(".tlkc-status", has_text="Đang trực tuyến").wait_for()
    page.screenshot(path=str(ARTIFACTS / "widget-390-reloaded.png"))

    # HTML typed by the user is shown as text, never run.
    page.locator(".tlkc-input").fill(XSS)
    page.locator(".tlkc-send").click()
    page.locator(".tlkc-user .tlkc-text", has_text=XSS).wait_for()
    page.locator(".tlkc-typing").wait_for(state="hidden")
    assert user_texts(page)[-1] == XSS
    assert page.locator(".tlkc-log img").count() == 0
    assert page.dialogs == []

    # ... and so is HTML in a bot message (pushed to this session through Rasa's HTTP API).
    bot_html = "<b>đậm</b><img src=y onerror=alert(2)><script>alert(3)</script>"
    resp = requests.post(
        f"{web_bot.url}/conversations/web-{sid}/tracker/events",
        params={"token": API_TOKEN, "output_channel": "web", "execute_side_effects": "true"},
        json={"event": "bot", "text": bot_html},
        timeout=30,
    )
    assert resp.status_code == 200, resp.text
    page.locator(".tlkc-bot .tlkc-text", has_text="<b>đậm</b>").wait_for()
    assert bot_texts(page)[-1] == bot_html
    assert page.locator(".tlkc-log img, .tlkc-log b, .tlkc-log script").count() == 0
    page.wait_for_timeout(300)
    assert page.dialogs == []
    page.screenshot(path=str(ARTIFACTS / "widget-390-escaped.png"))

    # The conversation is on the server under "web-<session id>", from channel "web".
    tracker = web_bot.tracker(f"web-{sid}")
    assert tracker["latest_input_channel"] == "web"
    said = [e.get("text") for e in tracker["events"] if e.get("event") == "user"]
    assert "mua may moc dc ho tro bn" in said and XSS in said


def test_embed_snippet_on_another_site(web_bot, phone, foreign_site):
    root, origin = foreign_site
    (root / "centre.html").write_text(
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<style>button { background: hotpink !important; }</style></head>"
        "<body><h1>Trang của Trung tâm</h1>\n"
        '<div id="tro-ly-khuyen-cong"></div>\n'
        f'<script src="{web_bot.url}/webhooks/web/widget.js" defer></script>\n'
        "</body></html>",
        encoding="utf-8",
    )
    page = phone
    page.goto(f"{origin}/centre.html")
    page.locator(".tlkc-launcher").click()
    wait_bot_text(page, "Trợ lý Khuyến công")
    chip = page.locator(".tlkc-chip").first
    assert "255, 105, 180" not in chip.evaluate("e => getComputedStyle(e).backgroundColor")  # site CSS kept out
    assert page.evaluate("typeof window.io") == "undefined"  # our socket.io did not leak into the page


def test_clear_message_when_server_unreachable(web_bot, phone, foreign_site):
    root, origin = foreign_site
    dead = f"http://127.0.0.1:{free_port()}"
    (root / "offline.html").write_text(
        '<!doctype html><html lang="vi"><head><meta charset="utf-8"></head><body>\n'
        f'<div id="tro-ly-khuyen-cong" data-server="{dead}" data-open="true"></div>\n'
        f'<script src="{web_bot.url}/webhooks/web/widget.js" defer></script>\n'
        "</body></html>",
        encoding="utf-8",
    )
    page = phone
    page.goto(f"{origin}/offline.html")
    banner = page.locator(".tlkc-banner")
    banner.wait_for(state="visible")
    assert "Không kết nối được với máy chủ" in banner.inner_text()
    assert page.locator(".tlkc-status").inner_text() == "Mất kết nối"
    assert page.locator(".tlkc-send").is_disabled()
    page.locator(".tlkc-input").fill("mua may moc dc ho tro bn")
    page.locator(".tlkc-input").press("Enter")
    assert "Chưa gửi được" in banner.inner_text()
    assert page.locator(".tlkc-input").input_value() == "mua may moc dc ho tro bn"  # nothing lost
    assert user_texts(page) == []


def test_static_files_and_health(web_bot):
    assert requests.get(f"{web_bot.url}/webhooks/web/", timeout=10).json() == {"status": "ok"}
    js = requests.get(f"{web_bot.url}/webhooks/web/widget.js", timeout=10)
    assert js.status_code == 200 and js.headers["Content-Type"].startswith("application/javascript")
    assert "innerHTML" not in js.text  # all text goes through textContent
    vendor = requests.get(f"{web_bot.url}/webhooks/web/vendor/socket.io.min.js", timeout=10)
    assert vendor.status_code == 200 and "Socket.IO v4" in vendor.text[:200]
    for path in ("../bot/credentials.yml", "vendor/README.md", "%2e%2e/README.md", "index.html"):
        assert requests.get(f"{web_bot.url}/webhooks/web/{path}", timeout=10).status_code == 404, path
