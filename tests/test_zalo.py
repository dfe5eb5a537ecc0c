"""Zalo OA channel against a fake OA API (aiohttp on loopback) that records what the bot sends.

End to end (real Rasa + action server + KB; signed webhook posts like Zalo's): whole
conversation, numbered options, follow event, signature / timestamp rejection, redelivery,
fast acknowledgement, 5xx retry, no retry on 4xx, token refresh persisted, and a 3,000-character
message split in two (sent through Rasa's HTTP API to the Zalo output channel: see the test).
Unit level: the splitter, option mapping, token rotation and event de-duplication.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import itertools
import json
import re
import threading
import time
from typing import Any, Dict, List, Optional

import pytest
import requests
from aiohttp import web

from tests.conftest import API_TOKEN, LiveBot, channel_bot, free_port

APP_ID = "1234567890123456789"
OA_ID = "579745863508352884"
OA_SECRET = "oa-secret-key-for-tests"
APP_SECRET = "app-secret-for-tests"
_ids = itertools.count(1)


# --------------------------------------------------------------------------- fake OA API
class FakeZalo:
    """Fake openapi.zalo.me + oauth.zaloapp.com. ``plan[user]`` = responses to play first:
    an int HTTP status, "drop" (close the connection), ("delay", seconds) (then delivered),
    ("hang", seconds) (then a 504, not delivered) or ("zalo", code). GET /v2.0/oa/conversation
    lists what was delivered to a user, newest first, like Zalo's."""

    def __init__(self) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.attempts: List[Dict[str, Any]] = []  # every /message/cs request
        self.delivered: List[Dict[str, Any]] = []  # the ones answered with success
        self.refreshes: List[Dict[str, Any]] = []
        self.conversation_reads: List[str] = []
        self.plan: Dict[str, List[Any]] = {}
        self.refuse_templates = False  # answer every template with a Zalo error
        self.valid_tokens = {"AT-0"}
        self.refresh_token, self.generation = "RT-0", 0
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()

    async def _send(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        user, text = body["recipient"]["user_id"], body["message"]["text"]
        token = request.headers.get("access_token")
        buttons = None
        if "attachment" in body["message"]:
            buttons = template_buttons(body["message"])
        self.attempts.append({"user": user, "text": text, "token": token, "buttons": buttons})
        step = self.plan.get(user, []).pop(0) if self.plan.get(user) else None
        if isinstance(step, tuple) and step[0] == "delay":
            await asyncio.sleep(step[1])
        elif isinstance(step, tuple) and step[0] == "hang":
            await asyncio.sleep(step[1])
            return web.json_response({"error": -1, "message": "fake gateway timeout"}, status=504)
        elif step == "drop":
            request.transport.close()
            return web.Response(status=200)
        elif isinstance(step, int):
            return web.json_response({"error": step, "message": "fake failure"}, status=step)
        elif isinstance(step, tuple) and step[0] == "zalo":
            return web.json_response({"error": step[1], "message": "fake Zalo error"})
        if token not in self.valid_tokens:
            return web.json_response({"error": -216, "message": "Access token is invalid"})
        if len(text) > 2000:
            return web.json_response({"error": -201, "message": "text too long"})
        if buttons == "invalid" or (buttons and self.refuse_templates):
            return web.json_response({"error": -201, "message": "invalid template"})
        message_id = f"m{next(_ids)}"
        self.delivered.append(
            {"user": user, "text": text, "token": token, "t": time.time(), "id": message_id, "buttons": buttons}
        )
        return web.json_response(
            {
                "error": 0,
                "message": "Success",
                "data": {
                    "message_id": message_id,
                    "user_id": user,
                    "quota": {"quota_type": "reply", "remain": "7", "total": "8"},
                },
            }
        )

    async def _conversation(self, request: web.Request) -> web.Response:
        query = json.loads(request.query.get("data") or "{}")
        user = str(query.get("user_id"))
        self.conversation_reads.append(user)
        if request.headers.get("access_token") not in self.valid_tokens:
            return web.json_response({"error": -216, "message": "Access token is invalid"})
        sent = [m for m in reversed(self.delivered) if m["user"] == user][: int(query.get("count") or 5)]
        return web.json_response(
            {
                "error": 0,
                "message": "Success",
                "data": [
                    {
                        "message_id": m["id"],
                        "src": 0,
                        "time": int(m["t"] * 1000),
                        "type": "text",
                        "message": m["text"],
                        "from_id": OA_ID,
                        "to_id": user,
                    }
                    for m in sent
                ],
            }
        )

    async def _refresh(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.refreshes.append({"secret_key": request.headers.get("secret_key"), **form})
        if (
            request.headers.get("secret_key") != APP_SECRET
            or form.get("app_id") != APP_ID
            or form.get("grant_type") != "refresh_token"
            or form.get("refresh_token") != self.refresh_token
        ):
            return web.json_response({"error": -14014, "error_name": "Invalid refresh token"})
        self.generation += 1
        access = f"AT-{self.generation}"
        self.refresh_token = f"RT-{self.generation}"  # rotates: the old one is spent
        self.valid_tokens = {access}
        return web.json_response({"access_token": access, "refresh_token": self.refresh_token, "expires_in": "90000"})

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/v3.0/oa/message/cs", self._send)
        app.router.add_post("/v4/oa/access_token", self._refresh)
        app.router.add_get("/v2.0/oa/conversation", self._conversation)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
        self._started.set()
        self._loop.run_forever()

    def start(self) -> "FakeZalo":
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._started.wait(10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def to(self, user: str) -> List[str]:
        """What the user sees: each message's text, a template's button titles one per line."""
        return [
            m["text"] + "".join(f"\n{b['title']}" for b in m["buttons"] or [])
            for m in self.delivered
            if m["user"] == user
        ]

    def messages(self, user: str) -> List[Dict[str, Any]]:
        return [m for m in self.delivered if m["user"] == user]

    def wait_for(self, user: str, count: int, timeout: float = 60) -> List[str]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.to(user)) >= count:
                return self.to(user)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} message(s) to {user}, got {self.to(user)}")


BUTTON_TYPES = {"oa.open.url", "oa.query.show", "oa.query.hide", "oa.open.sms", "oa.open.phone"}


def template_buttons(message: Dict[str, Any]) -> Any:
    """The buttons of a template message if it follows the documented shape and limits
    (see bot/channels/zalo_templates.py for the sources), else "invalid"."""
    try:
        attachment = message["attachment"]
        assert set(message) == {"text", "attachment"} and isinstance(message["text"], str) and message["text"]
        assert attachment["type"] == "template" and set(attachment["payload"]) == {"buttons"}
        buttons = attachment["payload"]["buttons"]
        assert isinstance(buttons, list) and 1 <= len(buttons) <= 5
        for b in buttons:
            assert set(b) == {"title", "type", "payload"} and b["type"] in BUTTON_TYPES
            assert isinstance(b["title"], str) and 1 <= len(b["title"]) <= 100
            if b["type"].startswith("oa.query."):
                assert isinstance(b["payload"], str) and 1 <= len(b["payload"]) <= 1000
            elif b["type"] == "oa.open.phone":
                assert re.fullmatch(r"\d{8,15}", b["payload"]["phone_code"])
            elif b["type"] == "oa.open.url":
                assert b["payload"]["url"].startswith("https://")
        return buttons
    except (AssertionError, KeyError, TypeError, AttributeError):
        return "invalid"


# --------------------------------------------------------------------------- live bot
CREDENTIALS = """\
bot.channels.rest.SafeRestInput:
bot.channels.zalo.ZaloInput:
  app_id: ${ZALO_APP_ID}
  oa_secret_key: ${ZALO_OA_SECRET_KEY}
  app_secret: ${ZALO_APP_SECRET}
  access_token: ${ZALO_ACCESS_TOKEN}
  refresh_token: ${ZALO_REFRESH_TOKEN}
  api_base: ${ZALO_API_BASE}
  oauth_base: ${ZALO_OAUTH_BASE}
  timeout: 2
  backoff: 0.05
"""


@pytest.fixture(scope="module")
def fake_zalo():
    fake = FakeZalo().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def zalo_bot(fake_zalo, tmp_path_factory):
    with channel_bot(tmp_path_factory.mktemp("zalo"), "zalo", CREDENTIALS, zalo_env(fake_zalo)) as bot:
        yield bot


def zalo_env(fake: "FakeZalo") -> Dict[str, str]:
    """The OA's settings as a deployment sets them (environment), pointed at the fake Zalo API."""
    return {
        "ZALO_APP_ID": APP_ID,
        "ZALO_OA_SECRET_KEY": OA_SECRET,
        "ZALO_APP_SECRET": APP_SECRET,
        "ZALO_ACCESS_TOKEN": "AT-0",
        "ZALO_REFRESH_TOKEN": "RT-0",
        "ZALO_API_BASE": fake.base,
        "ZALO_OAUTH_BASE": fake.base,
        "CENTRE_HOTLINE": "0912 345 678",
    }


# --------------------------------------------------------------------------- helpers
def sign(raw: bytes, timestamp: str, secret: str = OA_SECRET, app_id: str = APP_ID) -> str:
    return "mac=" + hashlib.sha256(app_id.encode() + raw + timestamp.encode() + secret.encode()).hexdigest()


def text_event(user: str, text: str, msg_id: Optional[str] = None, ts_ms: Optional[int] = None) -> Dict[str, Any]:
    return {
        "app_id": APP_ID,
        "user_id_by_app": f"app-{user}",
        "event_name": "user_send_text",
        "sender": {"id": user},
        "recipient": {"id": OA_ID},
        "message": {"text": text, "msg_id": msg_id or f"msg-{user}-{next(_ids)}"},
        "timestamp": str(ts_ms if ts_ms is not None else int(time.time() * 1000)),
    }


def post(
    bot: LiveBot, event: Dict[str, Any], signature: Optional[str] = "auto", raw: Optional[bytes] = None
) -> requests.Response:
    raw = raw if raw is not None else json.dumps(event, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if signature == "auto":
        signature = sign(raw, str(event.get("timestamp", "")))
    if signature is not None:
        headers["X-ZEvent-Signature"] = signature
    return requests.post(f"{bot.url}/webhooks/zalo/webhook", data=raw, headers=headers, timeout=10)


def say(bot: LiveBot, fake: FakeZalo, user: str, text: str, expect: int = 1) -> str:
    before = len(fake.to(user))
    resp = post(bot, text_event(user, text))
    assert resp.status_code == 200 and resp.json()["status"] == "accepted", resp.text
    return "\n".join(fake.wait_for(user, before + expect)[before:])


def assert_nothing_sent(fake: FakeZalo, user: str, wait: float = 3.0) -> None:
    time.sleep(wait)
    assert [a for a in fake.attempts if a["user"] == user] == []


# --------------------------------------------------------------------------- end to end
def numbered_options(reply: str) -> Dict[str, int]:
    """{title: number} of the "N. title" lines the channel rendered for the bot's buttons."""
    options = {m.group(2).strip(): int(m.group(1)) for m in re.finditer(r"(?m)^(\d+)\. (.+)$", reply)}
    assert sorted(options.values()) == list(range(1, len(options) + 1)), reply
    return options


def pick(options: Dict[str, int], word: str) -> int:
    matches = [n for title, n in options.items() if word.lower() in title.lower()]
    assert matches, (word, options)
    return matches[0]


def test_whole_conversation_with_numbered_options(zalo_bot, fake_zalo):
    user = "8001"
    greeting = say(zalo_bot, fake_zalo, user, "xin chào")
    assert "Trợ lý Khuyến công" in greeting and fake_zalo.messages(user)[-1]["buttons"]  # a button template
    menu = numbered_options(greeting)
    assert len(menu) >= 3 and pick(menu, "Mức hỗ trợ")

    answer = say(zalo_bot, fake_zalo, user, "mua may moc dc ho tro bn")
    assert "300 triệu đồng" in answer and "Thông tư 28/2018/TT-BTC" in answer
    choice = pick(numbered_options(answer), "Thủ tục")

    procedure = say(zalo_bot, fake_zalo, user, str(choice))  # the number of "Thủ tục, hồ sơ"
    assert "thủ tục" in procedure.lower() and "Căn cứ" in procedure, procedure

    tracker = zalo_bot.tracker(user)
    assert tracker["latest_input_channel"] == "zalo"  # what a lead records as its channel
    assert tracker["latest_message"]["intent"]["name"] == "ask_procedure"
    assert tracker["latest_message"]["text"].startswith("/ask_procedure")


def test_knowledge_question_answered_with_source(zalo_bot, fake_zalo):
    reply = say(zalo_bot, fake_zalo, "8002", "khuyến công là gì")
    assert "Căn cứ" in reply


def test_follow_event_sends_welcome_with_menu(zalo_bot, fake_zalo):
    user = "8003"
    event = {
        "app_id": APP_ID,
        "oa_id": OA_ID,
        "user_id_by_app": "app-8003",
        "event_name": "follow",
        "source": "oa_profile",
        "follower": {"id": user},
        "timestamp": str(int(time.time() * 1000)),
    }
    resp = post(zalo_bot, event)
    assert resp.status_code == 200 and resp.json()["status"] == "accepted"
    welcome = "\n".join(fake_zalo.wait_for(user, 1))
    assert "em chào anh/chị" in welcome and fake_zalo.messages(user)[-1]["buttons"]
    who = pick(numbered_options(welcome), "Ai được hỗ trợ")
    reply = say(zalo_bot, fake_zalo, user, str(who))
    assert "Căn cứ" in reply and "về đối tượng" in reply.lower(), reply


def test_number_without_options_goes_to_nlu(zalo_bot, fake_zalo):
    reply = say(zalo_bot, fake_zalo, "8004", "7")  # no menu shown yet: "7" is just text
    assert reply.startswith("Dạ")


@pytest.mark.parametrize(
    "kind",
    ["forged", "missing", "malformed", "wrong secret", "other app", "stale", "future", "no timestamp", "tampered body"],
)
def test_bad_signature_or_timestamp_is_401_and_nothing_sent(zalo_bot, fake_zalo, kind):
    user = f"81{abs(hash(kind)) % 10000:04d}"
    now = int(time.time() * 1000)
    event = text_event(
        user,
        "xin chào",
        ts_ms=now - 10 * 60 * 1000 if kind == "stale" else now + 10 * 60 * 1000 if kind == "future" else now,
    )
    raw = json.dumps(event).encode()
    signature = {
        "forged": "mac=" + "ab" * 32,
        "missing": None,
        "malformed": "sha256=" + sign(raw, event["timestamp"])[4:],
        "wrong secret": sign(raw, event["timestamp"], secret="guess"),
        "other app": sign(raw, event["timestamp"], app_id="999"),
        "stale": sign(raw, event["timestamp"]),
        "future": sign(raw, event["timestamp"]),
        "tampered body": sign(raw, event["timestamp"]),
    }.get(kind)
    if kind == "no timestamp":
        del event["timestamp"]
        raw = json.dumps(event).encode()
        signature = sign(raw, "")
    if kind == "tampered body":
        raw = raw.replace(b"xin ch", b"XIN CH")
    resp = post(zalo_bot, event, signature=signature, raw=raw)
    assert resp.status_code == 401, (kind, resp.status_code, resp.text)
    assert_nothing_sent(fake_zalo, user, wait=1.5)


def test_redelivered_msg_id_is_processed_once(zalo_bot, fake_zalo):
    user = "8005"
    event = text_event(user, "xin chào", msg_id="dup-msg-1")
    statuses = [post(zalo_bot, event).json()["status"] for _ in range(3)]
    assert statuses == ["accepted", "duplicate", "duplicate"]
    fake_zalo.wait_for(user, 1)
    time.sleep(3)
    assert len(fake_zalo.to(user)) == 1
    # Recorded in the database (so a restarted process or another replica also skips it).
    from sqlalchemy import create_engine, text

    with create_engine(zalo_bot.db_url, future=True).connect() as conn:
        assert conn.execute(text("select count(*) from zalo_seen_events where event_key = 'dup-msg-1'")).scalar() == 1


def test_acknowledges_before_the_reply_is_sent(zalo_bot, fake_zalo):
    user = "8006"
    fake_zalo.plan[user] = [("delay", 1.5)]  # the OA API is slow today (but within the 2 s timeout)
    started = time.time()
    resp = post(zalo_bot, text_event(user, "xin chào"))
    acked = time.time() - started
    assert resp.status_code == 200 and acked < 1.0, acked
    assert fake_zalo.to(user) == []
    fake_zalo.wait_for(user, 1)
    assert [m["t"] for m in fake_zalo.delivered if m["user"] == user][0] - started >= 1.5


def test_timeout_is_retried_only_when_not_delivered(zalo_bot, fake_zalo):
    # Delivered late (after the 2 s client timeout in CREDENTIALS): found in the conversation,
    # not sent again.
    user = "8013"
    fake_zalo.plan[user] = [("delay", 2.5)]
    say(zalo_bot, fake_zalo, user, "xin chào")
    time.sleep(2.5)
    assert len([a for a in fake_zalo.attempts if a["user"] == user]) == 1
    assert len(fake_zalo.to(user)) == 1 and user in fake_zalo.conversation_reads
    # Timed out and never delivered: resent once.
    user = "8014"
    fake_zalo.plan[user] = [("hang", 2.5)]
    say(zalo_bot, fake_zalo, user, "xin chào")
    time.sleep(1.5)
    assert len([a for a in fake_zalo.attempts if a["user"] == user]) == 2
    assert len(fake_zalo.to(user)) == 1


def user_event(user: str, name: str, message: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    return {
        "app_id": APP_ID,
        "event_name": name,
        "sender": {"id": user},
        "recipient": {"id": OA_ID},
        "timestamp": str(int(time.time() * 1000)),
        **({"message": message} if message is not None else {}),
    }


NON_TEXT = [
    "user_send_sticker",
    "user_send_image",
    "user_send_gif",
    "user_send_file",
    "user_send_location",
    "user_send_link",
    "user_send_business_card",
    "user_send_contact",
    "user_send_video",
    "user_send_audio",
]


def test_each_non_text_event_gets_exactly_one_reply(zalo_bot, fake_zalo):
    from bot.channels.zalo import TEXT_ONLY_REPLY, VOICE_REPLY

    user = "8007"
    for i, name in enumerate(NON_TEXT):
        event = user_event(user, name, {"msg_id": f"nt-{i}", "attachments": [{"type": name[10:], "payload": {}}]})
        statuses = [post(zalo_bot, event).json()["status"] for _ in range(2)]  # Zalo redelivers
        assert statuses == ["answered", "duplicate"], (name, statuses)
        fake_zalo.wait_for(user, i + 1)
    time.sleep(1.5)
    replies = fake_zalo.to(user)
    assert len(replies) == len(NON_TEXT)
    assert replies.count(VOICE_REPLY) == 1 and replies.count(TEXT_ONLY_REPLY) == len(NON_TEXT) - 1
    assert replies[NON_TEXT.index("user_send_audio")] == VOICE_REPLY
    menu = user_event("8024", "user_click_chabot_menu", {"msg_id": "menu-1", "text": "/ask_support_level"})
    assert post(zalo_bot, menu).json()["status"] == "accepted"
    assert fake_zalo.wait_for("8024", 1)[0].startswith("Dạ")
    assert latest_message(zalo_bot, "8024", "/ask_support_level")["intent"]["name"] == "ask_support_level"
    # The OA's own echo and events we do not know: acknowledged, nothing sent.
    for name in ["oa_send_text", "user_seen_message", "some_future_event"]:
        resp = post(zalo_bot, user_event("8017", name, {"msg_id": f"x-{name}", "text": "echo"}))
        assert resp.status_code == 200 and resp.json()["status"] == "ignored", (name, resp.text)
    assert_nothing_sent(fake_zalo, "8017", wait=1.5)


def health(bot: LiveBot) -> Dict[str, Any]:
    return requests.get(f"{bot.url}/webhooks/zalo/", timeout=10).json()["stats"]


def push_bot_message(bot: LiveBot, user: str, text: str, buttons: Optional[List[Dict[str, Any]]] = None) -> None:
    """A bot message sent to a Zalo user through Rasa's HTTP API (and recorded in the tracker)."""
    event = {"event": "bot", "text": text, **({"data": {"buttons": buttons}} if buttons else {})}
    resp = requests.post(
        f"{bot.url}/conversations/{user}/tracker/events",
        params={"token": API_TOKEN, "output_channel": "zalo", "execute_side_effects": "true"},
        json=event,
        timeout=30,
    )
    assert resp.status_code == 200, resp.text


def test_unfollow_silences_the_user_and_drops_pending_messages(zalo_bot, fake_zalo):
    user = "8018"
    say(zalo_bot, fake_zalo, user, "xin chào")
    sentence = "Cơ sở công nghiệp nông thôn được hỗ trợ theo quy định của Nhà nước về khuyến công. "
    fake_zalo.plan[user] = [("delay", 1.5)]  # the first part is in flight when the user unfollows
    pusher = threading.Thread(target=push_bot_message, args=(zalo_bot, user, (sentence * 40)[:3000]))
    pusher.start()
    time.sleep(0.5)
    unfollow = {
        "app_id": APP_ID,
        "oa_id": OA_ID,
        "event_name": "unfollow",
        "follower": {"id": user},
        "timestamp": str(int(time.time() * 1000)),
    }
    assert post(zalo_bot, unfollow).json()["status"] == "unfollowed"
    pusher.join(30)
    time.sleep(1)
    attempts = len([a for a in fake_zalo.attempts if a["user"] == user])
    assert attempts == 2 and len(fake_zalo.to(user)) == 2  # greeting + the part in flight; the second part dropped
    assert health(zalo_bot).get("silenced", 0) >= 1
    push_bot_message(zalo_bot, user, "Tin nhắc lịch.")  # later pushes: nothing
    time.sleep(2)
    assert len([a for a in fake_zalo.attempts if a["user"] == user]) == attempts
    from sqlalchemy import create_engine, text

    with create_engine(zalo_bot.db_url, future=True).connect() as conn:  # durable (restarts, replicas)
        assert (
            conn.execute(text("select count(*) from zalo_unfollowed_users where user_id = :u"), {"u": user}).scalar()
            == 1
        )
    late = dict(unfollow, event_name="follow", timestamp=str(int(unfollow["timestamp"]) - 1000))
    assert post(zalo_bot, late).json()["status"] == "ignored"  # an older follow, delivered late
    # the person writes to the OA again: that is their own message, so it is answered
    assert post(zalo_bot, text_event(user, "xin chào")).json()["status"] == "accepted"
    assert "em chào anh/chị" in fake_zalo.wait_for(user, 3)[-1]
    follow = dict(unfollow, event_name="follow", timestamp=str(int(time.time() * 1000) + 1))
    assert post(zalo_bot, follow).json()["status"] == "accepted"  # following again: the welcome
    assert "em chào anh/chị" in fake_zalo.wait_for(user, 4)[-1]


def test_window_closed_is_not_retried_and_is_counted(zalo_bot, fake_zalo):
    user = "8019"
    say(zalo_bot, fake_zalo, user, "xin chào")
    before = health(zalo_bot).get("window_closed", 0)
    fake_zalo.plan[user] = [("zalo", -230)]
    sentence = "Cơ sở công nghiệp nông thôn được hỗ trợ theo quy định của Nhà nước về khuyến công. "
    push_bot_message(zalo_bot, user, (sentence * 40)[:3000])  # two parts: the second is not tried either
    time.sleep(2.5)
    assert len([a for a in fake_zalo.attempts if a["user"] == user]) == 2  # greeting + one refused attempt
    assert user not in fake_zalo.conversation_reads and len(fake_zalo.to(user)) == 1
    assert health(zalo_bot)["window_closed"] == before + 1


def latest_message(bot: LiveBot, user: str, text: str, timeout: float = 15) -> Dict[str, Any]:
    """The tracker's latest user message once it is ``text`` (Rasa saves the tracker after the
    turn's replies have gone out, so it can lag a moment behind the fake API)."""
    deadline = time.time() + timeout
    while True:
        tracker = bot.tracker(user)
        last = [e for e in tracker["events"] if e.get("event") == "user"][-1]
        if last.get("text") == text or time.time() > deadline:  # its parse data (intent, entities)
            return dict(last.get("parse_data") or {}, text=last.get("text"), slots=tracker["slots"])
        time.sleep(0.2)


def test_button_tap_round_trips_the_payload_into_intent_and_entities(zalo_bot, fake_zalo):
    user = "8020"
    say(zalo_bot, fake_zalo, user, "/check_eligibility")  # the form asks for the business type
    asked = fake_zalo.messages(user)[-1]
    buttons = asked["buttons"]
    # 5 options: all 5 as buttons (Zalo allows 5; "Xem thêm" only when more remain)
    assert len(buttons) == 5 and all(b["type"] == "oa.query.hide" for b in buttons), buttons
    assert [b["title"][:3] for b in buttons] == ["1. ", "2. ", "3. ", "4. ", "5. "]
    coop = next(b for b in buttons if b["title"].endswith("Hợp tác xã"))
    assert coop["payload"] == '/inform{"business_type": "cooperative"}'
    # A tap on an oa.query.hide button arrives as user_send_text with the payload as its text.
    say(zalo_bot, fake_zalo, user, coop["payload"])
    latest = latest_message(zalo_bot, user, coop["payload"])
    assert latest["text"] == '/inform{"business_type": "cooperative"}'
    assert latest["intent"]["name"] == "inform"
    assert [(e["entity"], e["value"]) for e in latest["entities"]] == [("business_type", "cooperative")]
    assert latest["slots"]["business_type"] == "cooperative"


SEVEN = [
    {"title": "Ai được hỗ trợ?", "payload": "/ask_beneficiaries"},
    {"title": "Mức hỗ trợ", "payload": "/ask_support_level"},
    {"title": "Thủ tục, hồ sơ", "payload": "/ask_procedure"},
    {"title": "Ngành nghề", "payload": "/ask_industries"},
    {"title": "Văn bản pháp luật", "payload": "/ask_legal_documents"},
    {"title": "Khuyến công là gì?", "payload": "/ask_overview"},
    {"title": "Gọi Trung tâm", "payload": "/ask_help"},
]


def test_seven_options_are_four_buttons_and_more_and_numbers_still_work(zalo_bot, fake_zalo):
    user = "8021"
    say(zalo_bot, fake_zalo, user, "xin chào")
    push_bot_message(zalo_bot, user, "Anh/chị muốn tìm hiểu gì ạ?", SEVEN)
    first = fake_zalo.wait_for(user, 2) and fake_zalo.messages(user)[-1]["buttons"]
    assert [b["title"] for b in first] == [
        "1. Ai được hỗ trợ?",
        "2. Mức hỗ trợ",
        "3. Thủ tục, hồ sơ",
        "4. Ngành nghề",
        "Xem thêm lựa chọn",
    ]
    assert [b["payload"] for b in first[:4]] == [b["payload"] for b in SEVEN[:4]]
    # "Xem thêm lựa chọn": the channel shows the rest itself (Rasa sees nothing).
    say(zalo_bot, fake_zalo, user, first[4]["payload"])
    rest = fake_zalo.messages(user)[-1]["buttons"]
    assert [b["title"] for b in rest] == ["5. Văn bản pháp luật", "6. Khuyến công là gì?", "7. Gọi Trung tâm"]
    assert rest[2] == {"title": "7. Gọi Trung tâm", "type": "oa.open.phone", "payload": {"phone_code": "84912345678"}}
    assert zalo_bot.tracker(user)["latest_message"]["text"] == "xin chào"
    # A typed number (clients without buttons) still picks from the whole list ...
    say(zalo_bot, fake_zalo, user, "2")
    assert latest_message(zalo_bot, user, "/ask_support_level")["intent"]["name"] == "ask_support_level"
    # ... and so does a typed title, without diacritics.
    push_bot_message(zalo_bot, user, "Anh/chị muốn tìm hiểu gì ạ?", SEVEN)
    say(zalo_bot, fake_zalo, user, "thu tuc ho so")
    assert latest_message(zalo_bot, user, "/ask_procedure")["intent"]["name"] == "ask_procedure"


def test_refused_template_is_resent_as_numbered_text(zalo_bot, fake_zalo):
    user = "8022"
    fake_zalo.refuse_templates = True
    try:
        greeting = say(zalo_bot, fake_zalo, user, "xin chào")
    finally:
        fake_zalo.refuse_templates = False
    assert "gõ số để chọn" in greeting and pick(numbered_options(greeting), "Mức hỗ trợ")
    tried = [a for a in fake_zalo.attempts if a["user"] == user]
    assert len(tried) == 2 and tried[0]["buttons"] and tried[1]["buttons"] is None
    assert health(zalo_bot).get("template_refused", 0) >= 1
    assert health(zalo_bot).get("quota:reply", 0) >= 1  # quota of each successful send is recorded


def test_consent_revoke_event_starts_the_erasure_flow(zalo_bot, fake_zalo):
    user = "8023"
    say(zalo_bot, fake_zalo, user, "xin chào")
    event = {
        "app_id": APP_ID,
        "oa_id": OA_ID,
        "event_name": "user_pdl_revoke",
        "user_id": user,
        "timestamp": str(int(time.time() * 1000)),
    }
    assert post(zalo_bot, event).json()["status"] == "accepted"
    fake_zalo.wait_for(user, 2)
    latest = latest_message(zalo_bot, user, "xóa thông tin của tôi")
    assert latest["text"] == "xóa thông tin của tôi" and latest["intent"]["name"] == "erase_data"
    assert post(zalo_bot, event).json()["status"] == "duplicate"


def test_500_then_200_delivers_exactly_one_reply(zalo_bot, fake_zalo):
    user = "8008"
    fake_zalo.plan[user] = [500]
    reply = say(zalo_bot, fake_zalo, user, "xin chào")
    assert "Trợ lý Khuyến công" in reply
    time.sleep(1.5)
    assert len([a for a in fake_zalo.attempts if a["user"] == user]) == 2
    assert len(fake_zalo.to(user)) == 1


def test_dropped_connection_is_retried(zalo_bot, fake_zalo):
    user = "8009"
    fake_zalo.plan[user] = ["drop", 503]
    say(zalo_bot, fake_zalo, user, "xin chào")
    time.sleep(1.5)
    assert len([a for a in fake_zalo.attempts if a["user"] == user]) == 3
    assert len(fake_zalo.to(user)) == 1


def test_4xx_is_not_retried(zalo_bot, fake_zalo):
    user = "8010"
    fake_zalo.plan[user] = [400]
    assert post(zalo_bot, text_event(user, "xin chào")).status_code == 200
    time.sleep(3)
    assert len([a for a in fake_zalo.attempts if a["user"] == user]) == 1
    assert fake_zalo.to(user) == []


def test_access_token_refreshed_and_rotated_pair_persisted(zalo_bot, fake_zalo):
    say(zalo_bot, fake_zalo, "8011", "xin chào")  # any earlier test already used the seed tokens
    assert fake_zalo.refreshes, "the seeded token (unknown expiry) is refreshed on first use"
    first = fake_zalo.refreshes[0]
    assert first["refresh_token"] == "RT-0" and first["secret_key"] == APP_SECRET and first["app_id"] == APP_ID
    assert {m["token"] for m in fake_zalo.delivered} == {f"AT-{fake_zalo.generation}"}
    from sqlalchemy import create_engine, text

    with create_engine(zalo_bot.db_url, future=True).connect() as conn:
        row = conn.execute(
            text("select access_token, refresh_token, expires_at from zalo_oa_tokens where app_id = :a"), {"a": APP_ID}
        ).one()
    assert row[0] == f"AT-{fake_zalo.generation}" and row[1] == fake_zalo.refresh_token
    assert str(row[2]) > str(dt.datetime.utcnow() + dt.timedelta(hours=24))  # expires_in 90000 s


def test_3000_character_message_arrives_as_two(zalo_bot, fake_zalo):
    """A 3,000-character bot message pushed to a Zalo user through Rasa's HTTP API
    (append a bot event with ``output_channel=zalo&execute_side_effects=true``): the running
    server hands it to ZaloInput.get_output_channel() → ZaloOutput → ZaloApi.send_text."""
    user = "8012"
    say(zalo_bot, fake_zalo, user, "xin chào")
    sentence = "Cơ sở công nghiệp nông thôn được hỗ trợ theo quy định của Nhà nước về khuyến công. "
    long_text = (sentence * 40)[:3000].rstrip() + "."
    assert len(long_text) >= 2990
    resp = requests.post(
        f"{zalo_bot.url}/conversations/{user}/tracker/events",
        params={"token": API_TOKEN, "output_channel": "zalo", "execute_side_effects": "true"},
        json={"event": "bot", "text": long_text},
        timeout=30,
    )
    assert resp.status_code == 200, resp.text
    parts = fake_zalo.wait_for(user, 3)[1:]
    time.sleep(1)
    assert len(fake_zalo.to(user)) == 3
    assert len(parts) == 2 and all(len(p) <= 2000 for p in parts)
    assert parts[0].endswith(".") and parts[1][0].isupper()  # cut at a sentence end
    assert " ".join(parts) == long_text


def test_unconfigured_channel_settings_come_from_environment(monkeypatch):
    from bot.channels.zalo import ZaloInput

    monkeypatch.setenv("ZALO_APP_ID", "42")
    monkeypatch.setenv("ZALO_OA_SECRET_KEY", "s")
    monkeypatch.setenv("ZALO_API_BASE", "http://127.0.0.1:9")
    channel = ZaloInput.from_credentials({"oa_secret_key": "from-yaml", "api_base": None})
    assert channel.name() == "zalo" and channel.configured
    assert channel.s["app_id"] == "42" and channel.s["oa_secret_key"] == "from-yaml"
    assert channel.api.url == "http://127.0.0.1:9/v3.0/oa/message/cs"
    monkeypatch.delenv("ZALO_APP_ID")
    assert not ZaloInput.from_credentials({}).configured


# --------------------------------------------------------------------------- unit level
def test_split_text_at_sentence_boundaries():
    from bot.channels.zalo_api import render, split_text

    sentence = "Mức hỗ trợ tối đa là 50% chi phí mua máy móc thiết bị. "
    text = sentence * 60  # ~3,400 characters
    parts = split_text(text)
    assert len(parts) == 2 and all(len(p) <= 2000 for p in parts)
    assert all(p.endswith("thiết bị.") for p in parts)
    assert " ".join(parts) == text.strip()
    lines = "\n".join(f"• Khoản {i}: nội dung hỗ trợ theo quy định hiện hành" for i in range(80))
    assert all(p.startswith("•") for p in split_text(lines))  # bullets stay whole
    assert split_text("a" * 4500) == ["a" * 2000, "a" * 2000, "a" * 500]  # no boundary: hard cut
    assert split_text("ngắn") == ["ngắn"]
    buttons = [{"title": "Điều kiện", "payload": "/ask_conditions"}, {"title": "Thủ tục", "payload": "/ask_procedure"}]
    near_limit = (sentence * 40)[:1979].rstrip() + "."  # ~1,980 chars: the options do not fit
    msgs = render(near_limit, buttons)
    assert len(msgs) == 2 and msgs[0] == near_limit and all(len(m) <= 2000 for m in msgs)
    assert msgs[1] == "Anh/chị gõ số để chọn:\n1. Điều kiện\n2. Thủ tục"
    assert render("Chọn:", buttons) == ["Chọn:\n\nAnh/chị gõ số để chọn:\n1. Điều kiện\n2. Thủ tục"]


def test_resolve_option():
    from bot.channels.zalo_api import resolve_option

    buttons = [{"title": "A", "payload": "/a"}, {"title": "B", "payload": "/b"}]
    assert resolve_option("2", buttons) == "/b"
    assert resolve_option(" 1. ", buttons) == "/a"
    assert resolve_option("3", buttons) is None
    assert resolve_option("0", buttons) is None
    assert resolve_option("1 triệu", buttons) is None
    assert resolve_option("1", None) is None


class _FakeOAuth:
    def __init__(self):
        self.calls = 0
        self.refresh_token = "RT-0"

    async def handler(self, request):
        form = await request.post()
        self.calls += 1
        if form["refresh_token"] != self.refresh_token:
            return web.json_response({"error": -14014})
        self.refresh_token = f"RT-{self.calls}"
        return web.json_response(
            {"access_token": f"AT-{self.calls}", "refresh_token": self.refresh_token, "expires_in": "90000"}
        )


def test_token_store_refreshes_before_expiry_and_replicas_share_rotation(tmp_path):
    import aiohttp
    from bot.channels.zalo_tokens import TokenStore, ZaloToken
    from policy_kb.db import new_session

    db_url = f"sqlite:///{tmp_path / 'tokens.db'}"
    oauth = _FakeOAuth()
    clock = {"now": dt.datetime(2026, 1, 1, 8, 0)}

    async def scenario():
        app = web.Application()
        app.router.add_post("/v4/oa/access_token", oauth.handler)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        base = f"http://127.0.0.1:{port}"
        make = lambda: TokenStore(
            APP_ID,
            APP_SECRET,
            base,
            "AT-0",
            "RT-0",
            database_url=db_url,  # noqa: E731
            refresh_margin=1800,
            clock=lambda: clock["now"],
        )
        a, b = make(), make()  # two replicas, one database
        async with aiohttp.ClientSession() as http:
            assert await a.access_token(http) == "AT-1"  # seeded token: refreshed on first use
            assert await b.access_token(http) == "AT-1"  # replica b reads the stored pair
            clock["now"] += dt.timedelta(hours=24)  # 25 h token, 1 h left > 30 min margin
            assert await a.access_token(http) == "AT-1" and oauth.calls == 1
            clock["now"] += dt.timedelta(minutes=35)  # inside the margin: refresh before expiry
            tokens = await asyncio.gather(a.access_token(http), b.access_token(http))
            assert tokens == ["AT-2", "AT-2"], tokens  # the loser reloads the winner's pair
            restarted = make()  # env still says RT-0: the DB wins
            assert await restarted.access_token(http) == "AT-2"
        await runner.cleanup()

    asyncio.run(scenario())
    assert oauth.calls in (2, 3)  # b may try the spent RT-1 once and then reload
    with new_session(db_url) as s:
        row = s.get(ZaloToken, APP_ID)
        assert (row.access_token, row.refresh_token) == ("AT-2", "RT-2")
        assert row.expires_at == clock["now"] + dt.timedelta(seconds=90000)


def test_seen_events_shared_between_processes(tmp_path):
    from bot.channels.zalo_tokens import SeenEvents

    db_url = f"sqlite:///{tmp_path / 'seen.db'}"

    async def scenario():
        first, second = SeenEvents(db_url), SeenEvents(db_url)  # e.g. before/after a restart
        assert await first.claim("msg-1") is True
        assert await first.claim("msg-1") is False
        assert await second.claim("msg-1") is False
        assert await second.claim("msg-2") is True

    asyncio.run(scenario())


def test_button_limits_and_fallback_to_numbered_text(monkeypatch):
    from bot.channels.zalo_api import render_messages
    from bot.channels.zalo_templates import zalo_buttons

    five = [{"title": f"Mục {i}", "payload": f"/p{i}"} for i in range(5)]
    assert len(zalo_buttons(five, phone="")) == 5
    six = zalo_buttons(five + [{"title": "Mục 5", "payload": "/p5"}], phone="")
    assert len(six) == 5 and six[4] == {"title": "Xem thêm lựa chọn", "type": "oa.query.hide", "payload": "#xem_them:4"}
    assert zalo_buttons(five + [{"title": "Mục 5", "payload": "/p5"}], start=4, phone="")[0]["title"] == "5. Mục 4"
    for bad in [
        {"title": "x", "payload": "/" + "a" * 1000},  # payload over 1,000 characters
        {"title": "x" * 100, "payload": "/a"},  # title over 100 with its number
        {"title": "x", "payload": None},
    ]:
        msgs = render_messages("Chọn:", [five[0], bad])
        assert msgs == [{"text": msgs[0]["text"]}] and "gõ số để chọn" in msgs[0]["text"], bad
        assert (
            template_buttons(
                {
                    "text": "t",
                    "attachment": {
                        "type": "template",
                        "payload": {
                            "buttons": [
                                {"title": f"2. {bad['title']}", "type": "oa.query.hide", "payload": bad["payload"]}
                            ]
                        },
                    },
                }
            )
            == "invalid"
        )
    ok = render_messages("Chọn:", five[:2] + [{"title": "x", "payload": "/" + "a" * 999}])
    assert template_buttons(ok[-1]) != "invalid"
    page2 = render_messages("Các lựa chọn khác:", five + [{"title": "y", "payload": "/" + "a" * 1001}], start=4)
    assert page2 == [{"text": "Các lựa chọn khác:\n\nAnh/chị gõ số để chọn:\n5. Mục 4\n6. y"}]  # numbers go on
    long_text = ("Câu trả lời dài về khuyến công. " * 100).strip()  # 3,200 chars: text first, buttons last
    msgs = render_messages(long_text, five)
    assert len(msgs) == 2 and "attachment" not in msgs[0] and template_buttons(msgs[1]) != "invalid"
    monkeypatch.setenv("CENTRE_HOTLINE", "")
    call = zalo_buttons([{"title": "Gọi Trung tâm", "payload": "/ask_help"}])
    assert call[0]["type"] == "oa.query.hide"  # no hotline known: an ordinary button
    monkeypatch.setenv("CENTRE_HOTLINE", "+84 (28) 3829 1234")
    assert zalo_buttons([{"title": "Gọi Trung tâm", "payload": "/ask_help"}])[0]["payload"] == {
        "phone_code": "842838291234"
    }


def test_typed_title_matches_without_diacritics():
    from bot.channels.zalo_api import resolve_option

    buttons = [
        {"title": "Hợp tác xã", "payload": '/inform{"business_type": "cooperative"}'},
        {"title": "Đặc khu", "payload": "/b"},
    ]
    assert resolve_option("hop tac xa", buttons) == buttons[0]["payload"]
    assert resolve_option("  Hợp tác xã. ", buttons) == buttons[0]["payload"]
    assert resolve_option("dac khu", buttons) == "/b"
    assert resolve_option("hợp tác", buttons) is None
