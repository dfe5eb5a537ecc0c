"""Live handover through the officers' console (console/handover.py, console/pages/inbox.py).

Real servers throughout: the action server + Rasa (HTTP API on, token-protected) with the REST,
web (socket.io) and Zalo channels, a fake Zalo OA API recording what the bot sends
(tests/test_zalo.py), and the console's aiohttp app on a free port, driven over HTTP like a
browser (login, CSRF token from the page, form posts).

* REST: the person asks for an officer and accepts; the inbox lists it; the officer replies; the
  person's next REST request returns the reply once; hand back → the bot answers again.
* Zalo: signed webhooks in, the officer's reply and the hand-back message go out through the OA
  send API to that user.
* Web: a socket.io client like the widget gets the officer's reply marked "from": "officer".
* Rasa unreachable: the page says so, the typed text is kept, nothing is written.
* PostgreSQL + SQL tracker store + Redis lock store, two Rasa replicas: the paused state survives
  a restart of both, and a reply appended through one replica reaches a widget socket connected to
  the other exactly once (python-socketio's Redis client manager, bot/channels/webchat.py).
"""

from __future__ import annotations

import asyncio
import logging
import re
import subprocess
import threading
import time
import uuid
from typing import Any, Dict, List, Optional

import pytest
import requests
from aiohttp import web
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from console.handover import HAND_BACK_TEXT
from devtools.servers import ServerProcesses, action_server_args, deploy_env, rasa_server_args
from tests.conftest import (
    API_TOKEN,
    PG_BASE,
    ROOT,
    channel_bot,
    ensure_model,
    free_port,
    pg_schema,
    stop_processes,
    wait_http,
)
from tests.test_zalo import FakeZalo, post, text_event, zalo_env

PASSWORD = "mat-khau-can-bo-2026"
OFFICER = "lan.nguyen"
OFFICER_NAME = "Nguyễn Thị Lan"
CREDENTIALS = """\
bot.channels.rest.SafeRestInput:
bot.channels.webchat.WebChatInput:
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
ASK_PERSON = "cho tôi gặp cán bộ"
QUESTION = "Mua máy móc thiết bị được hỗ trợ bao nhiêu?"
ANSWER_NEEDLE = "300 triệu"
# While an officer has the conversation, a message that is not a policy question gets this notice
# once (then silence for centre.waiting_notice_minutes), in or out of office hours (issue 28).
NOTICE = "đã chuyển tin nhắn của anh/chị cho cán bộ"


# ----------------------------------------------------------------------------- console server
class ConsoleServer:
    """console.app.make_app on a free port, in its own thread and event loop."""

    def __init__(self, db_url: str, rasa_url: str, token: Optional[str] = API_TOKEN) -> None:
        from console.settings import ConsoleSettings

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings = ConsoleSettings(db_url=db_url, port=self.port, rasa_url=rasa_url, rasa_token=token)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()

    def _run(self) -> None:
        from console.app import make_app

        asyncio.set_event_loop(self._loop)
        self._runner = web.AppRunner(make_app(self.settings), access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> "ConsoleServer":
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(20)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def prepare_console_db(db_url: str) -> None:
    """Migrations (the console's tables) + the officer account."""
    from console import accounts
    from console.migrations import upgrade
    from policy_kb.db import get_engine
    from lead_store.handovers import ensure_handover_schema

    upgrade(db_url)
    engine = get_engine(db_url)
    ensure_handover_schema(engine)
    with Session(engine, future=True) as session:
        exists = accounts.find_officer(session, OFFICER) is not None
    if not exists:
        accounts.create_officer(engine, OFFICER, PASSWORD, display_name=OFFICER_NAME)


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class OfficerBrowser:
    """An officer's browser session against the console, over plain HTTP."""

    def __init__(self, console: ConsoleServer) -> None:
        self.base = console.url
        self.http = requests.Session()

    def login(self) -> "OfficerBrowser":
        page = self.http.get(f"{self.base}/login", timeout=10)
        resp = self.http.post(
            f"{self.base}/login",
            data={
                "csrf_token": CSRF.search(page.text).group(1),
                "username": OFFICER,
                "password": PASSWORD,
                "next": "/inbox",
            },
            allow_redirects=False,
            timeout=30,
        )
        assert resp.status_code in (302, 303), resp.text
        return self

    def get(self, path: str) -> requests.Response:
        return self.http.get(f"{self.base}{path}", timeout=30, allow_redirects=False)

    def post_form(self, path: str, page: str, **fields: str) -> requests.Response:
        token = CSRF.search(self.get(page).text).group(1)
        return self.http.post(
            f"{self.base}{path}", data={"csrf_token": token, **fields}, allow_redirects=False, timeout=60
        )

    def reply(self, handover_id: int, message: str) -> requests.Response:
        return self.post_form(f"/inbox/{handover_id}/reply", f"/inbox/{handover_id}", text=message)

    def hand_back(self, handover_id: int) -> requests.Response:
        return self.post_form(f"/inbox/{handover_id}/handback", f"/inbox/{handover_id}")


def handover_row(db_url: str, conversation_id: str):
    from policy_kb.db import get_engine
    from lead_store.handovers import Handover

    with Session(get_engine(db_url), future=True) as session:
        rows = (
            session.execute(select(Handover).where(Handover.conversation_id == conversation_id).order_by(Handover.id))
            .scalars()
            .all()
        )
        for row in rows:
            session.expunge(row)
        return rows


def audit_rows(db_url: str, action: str) -> List[Dict[str, Any]]:
    engine = create_engine(db_url, future=True)
    with engine.connect() as conn:
        rows = [
            dict(r._mapping)
            for r in conn.execute(text("SELECT * FROM console_audit_log WHERE action = :a ORDER BY id"), {"a": action})
        ]
    engine.dispose()
    return rows


def rest_texts(bot, message: str, sender: str) -> List[Dict[str, Any]]:
    resp = bot.ask(message, sender)
    assert resp.status_code == 200, resp.text
    return resp.json()


def accept_handover_rest(bot, sender: str) -> None:
    """The person asks for an officer, gets the offer, accepts: the bot pauses."""
    offer = rest_texts(bot, ASK_PERSON, sender)
    assert any(b.get("payload") == "/handover_accept" for m in offer for b in m.get("buttons") or []), offer
    accepted = rest_texts(bot, "/handover_accept", sender)
    assert any("chuyển cuộc trò chuyện cho cán bộ" in (m.get("text") or "") for m in accepted), accepted
    assert bot.tracker(sender)["paused"] is True


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def fake_zalo():
    fake = FakeZalo().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def bot(fake_zalo, tmp_path_factory):
    with channel_bot(tmp_path_factory.mktemp("handover"), "handover", CREDENTIALS, zalo_env(fake_zalo)) as live:
        prepare_console_db(live.db_url)
        yield live


@pytest.fixture(scope="module")
def console(bot):
    server = ConsoleServer(bot.db_url, bot.url).start()
    yield server
    server.stop()


@pytest.fixture()
def officer(console):
    return OfficerBrowser(console).login()


# ----------------------------------------------------------------------------- REST
@pytest.mark.server
def test_rest_handover_reply_once_then_hand_back(bot, console, officer, caplog):
    caplog.set_level(logging.DEBUG)
    sender = f"rest-{uuid.uuid4().hex[:10]}"
    rest_texts(bot, "xin chào", sender)
    accept_handover_rest(bot, sender)

    # While paused the bot answers only with the notice, once, then stays quiet (but for a
    # question: "alo, có ai không ạ" again would get the notice again, never silence).
    notice = rest_texts(bot, "alo, có ai không ạ", sender)
    assert len(notice) == 1 and NOTICE in notice[0]["text"], notice
    assert notice[0]["buttons"] == [{"title": "Tiếp tục với trợ lý", "payload": "/resume_bot"}]
    assert rest_texts(bot, "dạ em chờ", sender) == []

    # The console sees it: in the inbox (list and JSON) and as a conversation.
    [row] = handover_row(bot.db_url, sender)
    assert (row.channel, row.reason, row.status) == ("rest", "asked", "waiting")
    page = officer.get("/inbox")
    assert page.status_code == 200 and f'href="/inbox/{row.id}"' in page.text
    assert "REST (API)" in page.text and "Người dùng xin gặp cán bộ" in page.text
    listed = officer.get("/inbox.json").json()
    mine = [r for r in listed["open"] if r["id"] == row.id]
    assert mine and mine[0]["status"] == "waiting" and "conversation_id" not in mine[0]
    assert sender not in page.text + str(listed)  # URLs and lists carry the handover id only
    conv = officer.get(f"/inbox/{row.id}")
    assert conv.status_code == 200
    assert "alo, có ai không ạ" in conv.text and ASK_PERSON in conv.text
    assert "Trợ lý đang tạm dừng" in conv.text
    transcript = officer.get(f"/inbox/{row.id}/transcript.json").json()
    assert transcript["paused"] is True and transcript["turns"][-1]["text"] == "dạ em chờ"

    # A form post without the CSRF token is refused and sends nothing.
    refused = officer.http.post(
        f"{console.url}/inbox/{row.id}/reply", data={"text": "không gửi"}, allow_redirects=False, timeout=10
    )
    assert refused.status_code == 403

    # The officer replies.
    reply = "Dạ, em là cán bộ Trung tâm. Anh/chị cần hỗ trợ máy móc cho cơ sở nào ạ?"
    resp = officer.reply(row.id, reply)
    assert resp.status_code == 303 and resp.headers["Location"] == f"/inbox/{row.id}?done=sent_rest"
    events = bot.tracker(sender)["events"]
    officer_events = [e for e in events if e["event"] == "bot" and (e.get("metadata") or {}).get("officer")]
    assert [e["text"] for e in officer_events] == [reply]
    assert officer_events[0]["metadata"]["officer"] == OFFICER
    [row] = handover_row(bot.db_url, sender)
    assert (row.status, row.officer) == ("answered", OFFICER) and row.first_reply_at is not None
    assert "không gửi" not in str(events)

    # The person's next REST request returns the reply, once, marked as an officer's.
    got = rest_texts(bot, "dạ vâng", sender)
    assert [m["text"] for m in got] == [reply] and got[0]["custom"] == {"from": "officer"}
    assert rest_texts(bot, "cơ sở của tôi ở Hà Nội", sender) == []  # still paused, nothing twice

    # Hand back: the bot resumes, the person is told, the row is closed, the bot answers again.
    resp = officer.hand_back(row.id)
    assert resp.status_code == 303 and resp.headers["Location"] == "/inbox?done=handed_back"
    assert bot.tracker(sender)["paused"] is False
    [row] = handover_row(bot.db_url, sender)
    assert (row.status, row.closed_by) == ("closed", OFFICER)
    answer = rest_texts(bot, QUESTION, sender)
    texts = [m.get("text") or "" for m in answer]
    assert texts[0] == HAND_BACK_TEXT
    assert any(ANSWER_NEEDLE in t for t in texts[1:]), texts
    assert f'href="/inbox/{row.id}"' not in officer.get("/inbox").text.split("Đã đóng")[0]

    # A closed handover takes no more replies.
    late = officer.reply(row.id, "tin nhắn muộn")
    assert late.status_code == 409 and "đã đóng" in late.text

    # Audited with ids only; no message text or conversation id in the audit log or the console logs.
    replies, backs = audit_rows(bot.db_url, "handover_reply"), audit_rows(bot.db_url, "handover_hand_back")
    assert [(a["officer"], a["target_type"], a["target_ids"]) for a in replies] == [(OFFICER, "handover", str(row.id))]
    assert [(a["officer"], a["target_ids"]) for a in backs] == [(OFFICER, str(row.id))]
    assert reply not in str(replies + backs) and sender not in str(replies + backs)
    console_logs = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("console"))
    assert reply not in console_logs and "tin nhắn muộn" not in console_logs and sender not in console_logs


@pytest.mark.server
def test_rasa_unreachable_keeps_the_text_and_changes_nothing(bot):
    from policy_kb.db import get_engine
    from lead_store.handovers import open_handover, take_rest_replies

    sender = f"rest-dead-{uuid.uuid4().hex[:8]}"
    handover_id = open_handover(get_engine(bot.db_url), sender, "rest", "asked")
    dead = ConsoleServer(bot.db_url, f"http://127.0.0.1:{free_port()}").start()
    try:
        officer = OfficerBrowser(dead).login()
        page = officer.get(f"/inbox/{handover_id}")
        assert page.status_code == 200 and "chưa kết nối được máy chủ trợ lý" in page.text
        draft = "Dạ, cán bộ sẽ gọi lại cho anh/chị <b>chiều nay</b>."
        resp = officer.reply(handover_id, draft)
        assert resp.status_code == 502
        assert "chưa kết nối được máy chủ trợ lý" in resp.text and "Chưa có gì được gửi" in resp.text
        assert "Dạ, cán bộ sẽ gọi lại cho anh/chị &lt;b&gt;chiều nay&lt;/b&gt;." in resp.text  # kept, escaped
        assert officer.hand_back(handover_id).status_code == 502
    finally:
        dead.stop()
    [row] = handover_row(bot.db_url, sender)
    assert (row.status, row.first_reply_at, row.closed_at) == ("waiting", None, None)
    assert take_rest_replies(get_engine(bot.db_url), sender) == []


@pytest.mark.server
def test_anonymous_and_bad_ids(bot, console):
    anonymous = requests.Session()
    for path in ("/inbox", "/inbox.json", "/inbox/1", "/inbox/1/transcript.json"):
        resp = anonymous.get(f"{console.url}{path}", allow_redirects=False, timeout=10)
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/login"), path
    for path in ("/inbox/1/reply", "/inbox/1/handback"):
        assert anonymous.post(f"{console.url}{path}", data={"text": "x"}, timeout=10).status_code == 403
    officer = OfficerBrowser(console).login()
    assert officer.get("/inbox/999999").status_code == 404


# ----------------------------------------------------------------------------- Zalo
def zalo_say(bot, fake: FakeZalo, user: str, message: str, expect: int) -> List[str]:
    before = len(fake.to(user))
    resp = post(bot, text_event(user, message))
    assert resp.status_code == 200 and resp.json()["status"] == "accepted", resp.text
    return fake.wait_for(user, before + expect)[before:] if expect else []


@pytest.mark.server
def test_zalo_reply_goes_out_through_the_oa_api(bot, console, officer, fake_zalo):
    user = f"84{uuid.uuid4().int % 10**12:012d}"
    offer = zalo_say(bot, fake_zalo, user, ASK_PERSON, 1)
    assert "Gặp cán bộ" in offer[0]
    accepted = zalo_say(bot, fake_zalo, user, "/handover_accept", 1)
    assert "chuyển cuộc trò chuyện cho cán bộ" in "\n".join(accepted)
    time.sleep(1)  # the rest of the acceptance message, if split
    [row] = handover_row(bot.db_url, user)
    assert row.channel == "zalo"
    sent_before = len(fake_zalo.to(user))

    post(bot, text_event(user, "em vẫn đang chờ ạ"))
    notice = fake_zalo.wait_for(user, sent_before + 1)[sent_before:]
    assert len(notice) == 1 and NOTICE in notice[0], notice  # paused: the notice, nothing else
    sent_before += 1

    page = officer.get(f"/inbox/{row.id}").text
    assert "em vẫn đang chờ ạ" in page and "Người dùng nhắn lần cuối lúc" in page  # Zalo's reply window
    reply = "Dạ, cán bộ Lan đây ạ. Hồ sơ gồm đơn đề nghị và đề án, anh/chị cần mẫu nào ạ?"
    assert officer.reply(row.id, reply).status_code == 303
    assert fake_zalo.wait_for(user, sent_before + 1)[sent_before:] == [reply]
    assert officer.hand_back(row.id).status_code == 303
    assert fake_zalo.wait_for(user, sent_before + 2)[sent_before + 1 :] == [HAND_BACK_TEXT]
    answer = zalo_say(bot, fake_zalo, user, QUESTION, 1)
    assert ANSWER_NEEDLE in "\n".join(answer)


# ----------------------------------------------------------------------------- web (socket.io)
class WidgetSocket:
    """What the widget does over socket.io (python-socketio's asyncio client), in a thread."""

    def __init__(self, url: str, session_id: Optional[str] = None, handover_seen: Optional[int] = None) -> None:
        import socketio

        self.url = url
        self.session_id = session_id or uuid.uuid4().hex
        self.received: List[Dict[str, Any]] = []
        self.done = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.sio = socketio.AsyncClient(reconnection=False)
        confirmed = threading.Event()
        self.sio.on("session_confirm", lambda sid: confirmed.set())
        self.sio.on("bot_uttered", lambda data: self.received.append(data))
        self.sio.on("bot_done", lambda data: setattr(self, "done", self.done + 1))
        self._run(
            self.sio.connect(url, socketio_path="/socket.io", transports=["polling"])
        )  # engineio 4.15 websocket client needs aiohttp>=3.10
        request = {"session_id": self.session_id}
        if handover_seen is not None:  # what web/widget.js sends
            request["handover_seen"] = handover_seen
        self._run(self.sio.emit("session_request", request))
        assert confirmed.wait(10)

    @property
    def sender(self) -> str:
        return f"web-{self.session_id}"

    def _run(self, coro, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def say(self, message: str, timeout: float = 60) -> List[Dict[str, Any]]:
        before, done = len(self.received), self.done
        self._run(self.sio.emit("user_uttered", {"message": message, "session_id": self.session_id}))
        deadline = time.time() + timeout
        while self.done == done and time.time() < deadline:
            time.sleep(0.05)
        assert self.done > done, "no bot_done"
        return self.received[before:]

    def wait_messages(self, count: int, timeout: float = 30) -> List[Dict[str, Any]]:
        deadline = time.time() + timeout
        while len(self.received) < count and time.time() < deadline:
            time.sleep(0.05)
        return list(self.received)

    def close(self) -> None:
        if not self._thread.is_alive():
            return

        async def shutdown() -> None:
            try:
                await asyncio.wait_for(self.sio.eio.disconnect(abort=True), 5)
            except Exception:  # noqa: BLE001 - the server drops the session by itself anyway
                pass
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:  # a long-poll in flight
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self.sio.eio.http is not None and not self.sio.eio.http.closed:
                await self.sio.eio.http.close()

        try:
            self._run(shutdown(), 15)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)


def accept_handover_web(widget: WidgetSocket) -> List[Dict[str, Any]]:
    offer = widget.say(ASK_PERSON)
    assert any(b.get("payload") == "/handover_accept" for m in offer for b in m.get("quick_replies") or []), offer
    accepted = widget.say("/handover_accept")
    assert any(m.get("handover") == "waiting" for m in accepted), accepted
    return accepted


@pytest.mark.server
def test_web_reply_reaches_the_widget_socket_labelled(bot, console, officer):
    widget = WidgetSocket(bot.url)
    try:
        accept_handover_web(widget)
        notice = widget.say("em đợi ạ")  # paused: the notice once, then only bot_done
        assert len(notice) == 1 and NOTICE in notice[0]["text"], notice
        assert widget.say("em đợi ạ") == []
        [row] = handover_row(bot.db_url, widget.sender)
        assert row.channel == "web"
        before = len(widget.received)
        reply = "Dạ, cán bộ Trung tâm xin nghe ạ."
        assert officer.reply(row.id, reply).status_code == 303
        got = widget.wait_messages(before + 1)[before:]
        assert got == [{"text": reply, "from": "officer", "officer_name": OFFICER_NAME}]
        assert officer.hand_back(row.id).status_code == 303
        got = widget.wait_messages(before + 2)[before + 1 :]
        assert got == [{"text": HAND_BACK_TEXT, "handover": "resumed"}]
        answer = widget.say(QUESTION)
        assert any(ANSWER_NEEDLE in (m.get("text") or "") for m in answer), answer
    finally:
        widget.close()


def labelled(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [m for m in messages if m.get("from") == "officer" or m.get("handover")]


def test_a_reply_sent_while_the_widget_was_closed_is_shown_when_it_comes_back(bot, console, officer):
    widget = WidgetSocket(bot.url, handover_seen=0)
    try:
        accept_handover_web(widget)
        seen = len(labelled(widget.received))  # the "waiting" notice
        assert seen >= 1
        [row] = handover_row(bot.db_url, widget.sender)
    finally:
        widget.close()  # the person closes the page
    reply = "Dạ, sáng mai cán bộ gọi lại cho anh/chị ạ."
    assert officer.reply(row.id, reply).status_code == 303
    back = WidgetSocket(bot.url, session_id=widget.session_id, handover_seen=seen)
    try:
        got = back.wait_messages(1)
        assert got == [{"text": reply, "from": "officer", "officer_name": OFFICER_NAME}]
    finally:
        back.close()
    again = WidgetSocket(bot.url, session_id=widget.session_id, handover_seen=seen + 1)
    try:
        time.sleep(1.5)
        assert again.received == []  # nothing shown twice
    finally:
        again.close()
    legacy = WidgetSocket(bot.url, session_id=widget.session_id)  # a client that sends no count
    try:
        time.sleep(1.0)
        assert legacy.received == []
    finally:
        legacy.close()


# ----------------------------------------------------------------------------- scale-out
class Cluster(ServerProcesses):
    """Action server + N Rasa replicas on PostgreSQL (KB, leads, handovers, tracker store) with the
    Redis lock store and socket.io's Redis client manager (as deploy/ does it)."""

    def __init__(self, tmp, db_url: str, tracker_db: str, prefix: str) -> None:
        actions_port = free_port()
        env = deploy_env(actions_port, tracker_db, f"{prefix}:")
        env.update(SOCKETIO_REDIS_URL="redis://127.0.0.1:6379/0", SOCKETIO_REDIS_CHANNEL=f"{prefix}:socketio")
        super().__init__(tmp, db_url, env)
        self.actions_port = actions_port
        self.ports = [free_port(), free_port()]
        self.urls = [f"http://127.0.0.1:{p}" for p in self.ports]
        self.credentials = tmp / "credentials.yml"
        self.credentials.write_text(
            "bot.channels.rest.SafeRestInput:\nbot.channels.webchat.WebChatInput:\n", encoding="utf-8"
        )
        self.rasa: List[Optional[subprocess.Popen]] = [None, None]
        self.runs = 0

    def start_actions(self) -> None:
        actions = self._spawn("actions", action_server_args(self.actions_port))
        wait_http(f"http://127.0.0.1:{self.actions_port}/health", 120, actions)

    def start_rasa(self) -> None:
        model = ensure_model()
        self.runs += 1
        for i, port in enumerate(self.ports):
            self.rasa[i] = self._spawn(
                f"rasa{i}-run{self.runs}",
                rasa_server_args(
                    model,
                    ROOT / "deploy" / "endpoints.yml",
                    self.credentials,
                    port,
                    "--enable-api",
                    "--auth-token",
                    API_TOKEN,
                ),
            )
        for port, proc in zip(self.ports, self.rasa):
            wait_http(f"http://127.0.0.1:{port}/", 180, proc)

    def stop_rasa(self) -> None:
        stop_processes([p for p in self.rasa if p is not None])
        self.procs = [p for p in self.procs if p not in self.rasa]
        self.rasa = [None, None]

    def tracker(self, i: int, sender: str) -> Dict[str, Any]:
        resp = requests.get(f"{self.urls[i]}/conversations/{sender}/tracker", params={"token": API_TOKEN}, timeout=30)
        resp.raise_for_status()
        return resp.json()

    def save_logs(self, prefix: str = "handover-cluster") -> None:
        super().save_logs(prefix)


@pytest.fixture(scope="module")
def pg_cluster(tmp_path_factory):
    from policy_kb.db import get_engine
    from policy_kb.loader import build

    tracker_db = f"kc_tracker_{uuid.uuid4().hex[:8]}"
    with pg_schema("kc_handover") as (_, db_url):
        build(get_engine(db_url))
        prepare_console_db(db_url)
        cluster = Cluster(tmp_path_factory.mktemp("cluster"), db_url, tracker_db, f"kc-h-{uuid.uuid4().hex[:6]}")
        try:
            cluster.start_actions()
            cluster.start_rasa()
            yield cluster, db_url
        finally:
            cluster.stop()
            cluster.save_logs()
            admin = create_engine(PG_BASE, future=True, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(
                    text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{tracker_db}'")
                )
                conn.execute(text(f'DROP DATABASE IF EXISTS "{tracker_db}"'))
            admin.dispose()


@pytest.mark.server
def test_two_replicas_pause_survives_restart_and_reply_arrives_once(pg_cluster):
    cluster, db_url = pg_cluster
    # The widget's socket is on replica 1; the console talks to replica 0.
    widget = WidgetSocket(cluster.urls[1])
    console = ConsoleServer(db_url, cluster.urls[0]).start()
    try:
        accept_handover_web(widget)
        [row] = handover_row(db_url, widget.sender)
        officer = OfficerBrowser(console).login()

        before = len(widget.received)
        first = "Dạ, cán bộ Trung tâm đây ạ (trả lời qua máy chủ thứ nhất)."
        assert officer.reply(row.id, first).status_code == 303
        got = widget.wait_messages(before + 1)
        time.sleep(2)  # a duplicate would arrive by now
        assert [m["text"] for m in widget.received[before:]] == [first], got
        widget.close()

        # Both replicas restart: the conversation is still handed over (SQL tracker store).
        cluster.stop_rasa()
        cluster.start_rasa()
        assert cluster.tracker(0, row.conversation_id)["paused"] is True
        assert cluster.tracker(1, row.conversation_id)["paused"] is True
        widget = WidgetSocket(cluster.urls[1], session_id=widget.session_id)
        assert widget.say("sau khi khởi động lại, còn ai không ạ") == []  # still paused: no bot reply
        before = len(widget.received)
        second = "Dạ, cán bộ vẫn ở đây ạ."
        assert officer.reply(row.id, second).status_code == 303
        widget.wait_messages(before + 1)
        time.sleep(2)
        assert [m["text"] for m in widget.received[before:]] == [second]
        page = officer.get(f"/inbox/{row.id}").text
        assert "sau khi khởi động lại, còn ai không ạ" in page and first in page and second in page

        assert officer.hand_back(row.id).status_code == 303
        widget.wait_messages(before + 2)
        assert widget.received[before + 1]["text"] == HAND_BACK_TEXT
        answer = widget.say(QUESTION)
        assert any(ANSWER_NEEDLE in (m.get("text") or "") for m in answer), answer
    finally:
        widget.close()
        console.stop()
    for name, log in cluster.logs.items():
        assert "Traceback" not in log.read_text(errors="replace"), f"{name} logged an exception"


# ----------------------------------------------------------------------------- no server
def test_transcript_reads_rasa_events():
    from console.handover import turns_from_events

    events = [
        {"event": "action", "name": "action_listen", "timestamp": 1764561600.0},
        {"event": "user", "text": "cho tôi gặp cán bộ", "timestamp": 1764561601.0},
        {
            "event": "bot",
            "text": "Dạ, anh/chị muốn gặp cán bộ?",
            "timestamp": 1764561602.0,
            "data": {
                "buttons": [
                    {"title": "Gặp cán bộ", "payload": "/handover_accept"},
                    {"title": "Tiếp tục với trợ lý", "payload": "/handover_decline"},
                ]
            },
        },
        {"event": "user", "text": "/handover_accept", "timestamp": 1764561603.0},
        {"event": "pause", "timestamp": 1764561604.0},
        {"event": "user", "text": "/handover_accept", "timestamp": 1764561605.0},
        {"event": "bot", "text": "Dạ, cán bộ đây ạ.", "metadata": {"officer": OFFICER}, "timestamp": 1764561606.0},
        {"event": "bot", "text": "", "data": {}, "timestamp": 1764561607.0},
        {"event": "resume", "timestamp": 1764561608.0},
    ]
    turns = turns_from_events(events)
    assert [(t.kind, t.text, t.tapped) for t in turns] == [
        ("user", "cho tôi gặp cán bộ", False),
        ("bot", "Dạ, anh/chị muốn gặp cán bộ?", False),
        ("user", "Gặp cán bộ", True),
        ("note", "Đã chuyển cho cán bộ", False),
        ("user", "Gặp cán bộ", True),
        ("officer", "Dạ, cán bộ đây ạ.", False),
        ("note", "Trợ lý tự động tiếp tục", False),
    ]
    assert turns[1].buttons == ("Gặp cán bộ", "Tiếp tục với trợ lý") and turns[5].officer == OFFICER
    assert turns[0].at.utcoffset().total_seconds() == 7 * 3600 and turns[0].at.hour == 11  # 04:00 UTC


def test_reply_text_rules_and_waiting_times():
    import datetime as dt

    from console.handover import HandoverError, clean_reply
    from console.pages.inbox import waited

    assert clean_reply("  Dạ, chào anh/chị\r\nạ  ") == "Dạ, chào anh/chị\nạ"
    for bad in ("", "   ", None, "x" * 2001):
        with pytest.raises(HandoverError):
            clean_reply(bad)
    now = dt.datetime(2026, 12, 1, 8, 0)
    assert [waited(now - dt.timedelta(minutes=m), now) for m in (0, 5, 60, 135, 3 * 24 * 60)] == [
        "dưới 1 phút",
        "5 phút",
        "1 giờ",
        "2 giờ 15 phút",
        "3 ngày",
    ]
