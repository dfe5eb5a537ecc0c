"""Faults, each a test, against the real servers (tests/harden/conftest.py):

* action server slow (SIGSTOP) or down (SIGKILL): a polite apology within 5 s, a form question is
  asked again instead of keeping an unchecked answer, and the bot recovers by itself;
* database down (the TCP proxy in front of PostgreSQL resets every connection and refuses new
  ones): knowledge answers keep working on every channel, new leads go to the durable outbox and
  reach the database once it is back, none lost or duplicated (also after a manual flush);
* Rasa killed with SIGKILL mid-conversation and restarted: the conversation continues from the
  SQL tracker store, committed leads are intact, a lead whose reply was cut off is stored once;
* Zalo API timing out or answering 5xx: retried, and the user never gets a message twice.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
import uuid
from typing import Dict, List

import pytest
import requests
from sqlalchemy import create_engine, text

from bot.rasa_patches import APOLOGY
from tests.harden.support import KNOWLEDGE_MARK, KNOWLEDGE_QUESTION, fault, record
from tests.test_zalo import APP_ID, OA_ID, sign

pytestmark = pytest.mark.server

APOLOGY_WITHIN = 5.0
PII_USED: List[tuple] = []  # (name, phone) sent by these tests: the privacy test searches the logs


def timed(bot, text_: str, sender: str):
    started = time.monotonic()
    resp = bot.ask(text_, sender)
    elapsed = time.monotonic() - started
    assert resp.status_code == 200, resp.text
    return " ".join(m.get("text") or "" for m in resp.json()), elapsed


def leads_for(bot, prefix: str) -> List[tuple]:
    engine = create_engine(bot.schema["direct"], future=True)
    try:
        with engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(
                    text(
                        "select conversation_id, phone_e164, name from leads where conversation_id like :p "
                        "order by conversation_id"
                    ),
                    {"p": prefix + "%"},
                )
            ]
    finally:
        engine.dispose()


#: said before the lead form, so that the form does not have to ask where the workshop is
WHERE = "xưởng của tôi ở Hà Nội"


def to_phone_question(bot, sender: str, name: str) -> None:
    bot.texts(WHERE, sender)
    assert "Nghị định 13/2023/NĐ-CP" in bot.texts("/leave_contact", sender)
    assert "họ tên" in bot.texts("đồng ý", sender)
    assert "số điện thoại" in bot.texts(name, sender).lower()


def lead_flow(bot, sender: str, name: str, phone: str) -> str:
    PII_USED.append((name, phone))
    to_phone_question(bot, sender, name)
    return bot.texts(phone, sender)


# ------------------------------------------------------------------------ action server
def test_action_server_slow_then_back(harden_bot):
    bot = harden_bot
    sender = f"slow-{uuid.uuid4().hex[:8]}"
    name, phone = "Đoàn Thị Chậm", "0931 000 111"
    PII_USED.append((name, phone))
    with fault("action server slow (SIGSTOP): apology < 5 s, recovers"):
        bot.texts(WHERE, sender)
        assert "Nghị định 13/2023/NĐ-CP" in bot.texts("/leave_contact", sender)
        assert "họ tên" in bot.texts("đồng ý", sender)
        bot.kill("actions", signal.SIGSTOP)
        try:
            reply, elapsed = timed(bot, KNOWLEDGE_QUESTION, f"slow-q-{uuid.uuid4().hex[:6]}")
            assert APOLOGY in reply and elapsed < APOLOGY_WITHIN, (reply, elapsed)
            # a form answer while the validator cannot run: apology, and the question again
            reply, elapsed = timed(bot, name, sender)
            assert APOLOGY in reply and "họ tên" in reply and elapsed < APOLOGY_WITHIN, (reply, elapsed)
            assert reply.count(APOLOGY) == 1, reply  # one apology per turn
        finally:
            bot.kill("actions", signal.SIGCONT)
        assert KNOWLEDGE_MARK in bot.texts(KNOWLEDGE_QUESTION, f"slow-q2-{uuid.uuid4().hex[:6]}")
        assert "số điện thoại" in bot.texts(name, sender).lower()  # the form goes on
        assert "đã ghi nhận" in bot.texts(phone, sender)
    assert len(leads_for(bot, sender)) == 1


def test_action_server_down_then_restarted(harden_bot):
    bot = harden_bot
    with fault("action server down (SIGKILL): apology < 5 s, restarted"):
        bot.kill("actions", signal.SIGKILL)
        try:
            for i in range(3):
                reply, elapsed = timed(bot, KNOWLEDGE_QUESTION, f"down-{i}-{uuid.uuid4().hex[:6]}")
                assert APOLOGY in reply and elapsed < APOLOGY_WITHIN, (reply, elapsed)
            assert bot.alive() is False  # (the actions process really is gone)
        finally:
            bot.restart("actions")
        # nothing to reset on the Rasa side: the very next message is answered
        assert KNOWLEDGE_MARK in bot.texts(KNOWLEDGE_QUESTION, f"down-after-{uuid.uuid4().hex[:6]}")
        assert bot.alive()


# ----------------------------------------------------------------------------- database
def test_database_down_knowledge_answers_and_leads_queued(harden_bot, harden_zalo):
    bot, proxy = harden_bot, harden_bot.schema["proxy"]
    run = uuid.uuid4().hex[:6]
    people = [(f"dbdown-{run}-{i}", f"Người Chờ Số {chr(65 + i)}", f"0978 12{i} 45{i}") for i in range(5)]
    with fault("database down: KB copy answers, leads via the outbox"):
        proxy.down()
        try:
            for question in ("khuyến công là gì", "mua máy móc được hỗ trợ bao nhiêu", "thủ tục thế nào"):
                assert KNOWLEDGE_MARK in bot.texts(question, f"dbdown-q-{uuid.uuid4().hex[:6]}")
            user = f"77{run[:4]}"  # the Zalo channel keeps answering too (last known token)
            before = len(harden_zalo.to(user))
            event = {
                "app_id": APP_ID,
                "event_name": "user_send_text",
                "sender": {"id": user},
                "recipient": {"id": OA_ID},
                "timestamp": str(int(time.time() * 1000)),
                "message": {"text": KNOWLEDGE_QUESTION, "msg_id": f"dbdown-{run}"},
            }
            raw = json.dumps(event).encode()
            resp = requests.post(
                f"{bot.url}/webhooks/zalo/webhook",
                data=raw,
                timeout=10,
                headers={"X-ZEvent-Signature": sign(raw, event["timestamp"]), "Content-Type": "application/json"},
            )
            assert resp.status_code == 200 and resp.json()["status"] == "accepted", resp.text
            assert KNOWLEDGE_MARK in "\n".join(harden_zalo.wait_for(user, before + 1, timeout=30)[before:])
            for sender, name, phone in people:
                assert "đã ghi nhận" in lead_flow(bot, sender, name, phone)
            # the same person submitting twice in one conversation stays one lead
            sender, name, phone = people[0]
            assert "đã ghi nhận" in lead_flow(bot, sender, name, phone)
            assert bot.outbox.exists()
            assert stat.S_IMODE(bot.outbox.stat().st_mode) == 0o600
            assert len(bot.outbox.read_text("utf-8").splitlines()) == 6
            assert leads_for(bot, f"dbdown-{run}") == []  # (the database really was unreachable)
        finally:
            proxy.up()
        deadline = time.time() + 30  # the action server's background flusher (every 1 s here)
        while time.time() < deadline and (bot.outbox.exists() or len(leads_for(bot, f"dbdown-{run}")) < 5):
            time.sleep(0.5)
        stored = leads_for(bot, f"dbdown-{run}")
        assert [r[0] for r in stored] == [p[0] for p in people], stored
        assert not bot.outbox.exists()
        # an officer's manual flush afterwards finds nothing to do and duplicates nothing
        env = dict(os.environ, DATABASE_URL=bot.schema["direct"], LEAD_OUTBOX=str(bot.outbox))
        out = subprocess.run(
            [sys.executable, "-m", "lead_store.cli", "flush-outbox"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0 and "stored 0" in out.stdout, (out.stdout, out.stderr)
        assert len(leads_for(bot, f"dbdown-{run}")) == 5
        assert KNOWLEDGE_MARK in bot.texts(KNOWLEDGE_QUESTION, f"dbup-{uuid.uuid4().hex[:6]}")
    record("leads", "database outage (leads queued, replayed)", expected=5, stored=len(leads_for(bot, f"dbdown-{run}")))


# --------------------------------------------------------------------------- Rasa SIGKILL
def test_rasa_killed_mid_conversation(harden_bot):
    bot = harden_bot
    run = uuid.uuid4().hex[:6]
    a, b, c = (
        (f"kill-{run}-a", "Vũ Văn Đã Lưu", "0945 100 200"),
        (f"kill-{run}-b", "Hồ Thị Dở Dang", "0945 300 400"),
        (f"kill-{run}-c", "Lý Văn Đứt Quãng", "0945 500 600"),
    )
    PII_USED.extend([(a[1], a[2]), (b[1], b[2]), (c[1], c[2])])
    with fault("Rasa SIGKILL mid-conversation: tracker store resumes"):
        assert "đã ghi nhận" in lead_flow(bot, *a)  # committed before the crash
        to_phone_question(bot, b[0], b[1])  # B is waiting for the phone question
        to_phone_question(bot, c[0], c[1])
        answered: Dict[str, requests.Response] = {}

        def send_c() -> None:  # C's answer is in flight when Rasa dies
            try:
                answered["c"] = bot.ask(c[2], c[0])
            except requests.RequestException:
                pass

        sender_thread = threading.Thread(target=send_c)
        sender_thread.start()
        time.sleep(0.05)
        bot.kill("rasa", signal.SIGKILL)
        sender_thread.join(60)
        bot.restart("rasa")
        assert "đã ghi nhận" in bot.texts(b[2], b[0])  # B: the form state came back
        if "c" not in answered or answered["c"].status_code != 200:
            bot.texts(c[2], c[0])  # the user sends it again
        assert KNOWLEDGE_MARK in bot.texts(KNOWLEDGE_QUESTION, c[0])
        stored = leads_for(bot, f"kill-{run}")
        assert [r[0] for r in stored] == [a[0], b[0], c[0]], stored
    record("leads", "Rasa SIGKILL mid-conversation", expected=3, stored=len(stored))


# ------------------------------------------------------------------------------ Zalo API
def test_zalo_api_timeouts_and_5xx_never_twice(harden_bot, harden_zalo):
    bot, fake = harden_bot, harden_zalo
    plans = {
        "500 then ok": [500],
        "503, 502 then ok": [503, 502],
        "timeout, delivered late": [("delay", 2.5)],
        "timeout, never delivered": [("hang", 2.5)],
        "connection dropped": ["drop"],
    }
    with fault("Zalo API timeout / 5xx: retried, never sent twice"):
        for i, (label, plan) in enumerate(plans.items()):
            user = f"66{i:02d}{uuid.uuid4().int % 10000:04d}"
            fake.plan[user] = list(plan)
            event = {
                "app_id": APP_ID,
                "event_name": "user_send_text",
                "sender": {"id": user},
                "recipient": {"id": OA_ID},
                "timestamp": str(int(time.time() * 1000)),
                "message": {"text": KNOWLEDGE_QUESTION, "msg_id": f"zf-{user}"},
            }
            raw = json.dumps(event).encode()
            headers = {"X-ZEvent-Signature": sign(raw, event["timestamp"]), "Content-Type": "application/json"}
            for _ in range(2):  # Zalo redelivers the webhook too: still answered once
                requests.post(f"{bot.url}/webhooks/zalo/webhook", data=raw, headers=headers, timeout=10)
            fake.wait_for(user, 1, timeout=60)
            time.sleep(3)  # anything late (a second delivery) would show by now
            texts = fake.to(user)
            assert len(texts) == len(set(texts)) and len(texts) >= 1, (label, texts)
            assert KNOWLEDGE_MARK in "\n".join(texts), (label, texts)
            attempts = [x for x in fake.attempts if x["user"] == user]
            assert len(attempts) >= 2 or label == "timeout, delivered late", (label, attempts)
