"""Security: request-size limits and per-sender rate limits on the public channels (with a polite
reply), no HTTP endpoint that exposes leads or conversations, the secrets check, and - last, once
everything else has run - no name or phone number in any log at any level: both servers are
restarted at DEBUG, the lead flow is run on REST, the web widget and Zalo, and every log of the
session is searched for every name and phone used by any hardening test, in every written form.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import unicodedata
import uuid
from typing import Iterable, List, Set

import pytest
import requests

from bot.channels.ratelimit import LIMITED_REPLY
from tests.conftest import ROOT
from tests.harden import test_faults, test_load
from tests.harden.support import Widget, record
from tests.test_zalo import say, sign, text_event

pytestmark = pytest.mark.server


def post_zalo(bot, event) -> requests.Response:
    raw = json.dumps(event).encode()
    return requests.post(
        f"{bot.url}/webhooks/zalo/webhook",
        data=raw,
        timeout=10,
        headers={"X-ZEvent-Signature": sign(raw, event["timestamp"]), "Content-Type": "application/json"},
    )


# ------------------------------------------------------------------------------ rate limits
def test_rest_rate_limit_is_per_sender_and_polite(harden_bot):
    sender = f"flood-{uuid.uuid4().hex[:8]}"
    statuses, limited = [], None
    for i in range(45):
        resp = harden_bot.ask("khuyến công là gì", sender)
        statuses.append(resp.status_code)
        if resp.status_code == 429 and limited is None:
            limited = resp
    assert statuses[:30] == [200] * 30, statuses  # a burst of 30 is fine
    assert limited is not None, statuses
    assert limited.json()[0]["text"] == LIMITED_REPLY and int(limited.headers["Retry-After"]) >= 1
    assert set(statuses) <= {200, 429}
    assert harden_bot.answers_knowledge()  # everyone else is served
    record("checks", "rate limit REST", result=f"{statuses.count(429)} of 45 rapid messages -> 429 + polite reply")


def test_zalo_rate_limit_replies_politely_once(harden_bot, harden_zalo):
    user = f"55{uuid.uuid4().int % 10**6:06d}"
    # (blank messages: answered by the channel without the model, so the test is quick; they count
    #  against the limit like any other)
    statuses = [post_zalo(harden_bot, text_event(user, " ")).json()["status"] for _ in range(45)]
    assert statuses.count("rate_limited") >= 5 and set(statuses) == {"accepted", "rate_limited"}, statuses
    harden_zalo.wait_for(user, 45 - statuses.count("rate_limited") + 1, timeout=60)
    time.sleep(1)
    polite = [t for t in harden_zalo.to(user) if t == LIMITED_REPLY]
    assert len(polite) == 1, harden_zalo.to(user)[-5:]
    record(
        "checks",
        "rate limit Zalo",
        result=f"{statuses.count('rate_limited')} of 45 not processed, told politely {len(polite)} time",
    )


def test_web_rate_limit_replies_politely_once(harden_bot):
    w = Widget(harden_bot.url).open()
    try:
        for _ in range(45):  # blank: answered by the channel itself (Rasa would take one per second)
            w.emit("user_uttered", {"message": " ", "session_id": w.session_id})
        deadline, got = time.time() + 90, []
        while time.time() < deadline and len([e for e in got if e[0] == "bot_done"]) < 45:
            for packet in w.receive(timeout=5):
                if packet == "2":
                    w.post("3")
                elif packet.startswith("42"):
                    got.append(json.loads(packet[2:]))
        assert len([e for e in got if e[0] == "bot_done"]) == 45
        polite = [e for e in got if e[0] == "bot_uttered" and (e[1] or {}).get("text") == LIMITED_REPLY]
        assert len(polite) == 1, len(polite)
    finally:
        w.close()
    record("checks", "rate limit web widget", result="told politely once, then ignored until the bucket refills")


# ----------------------------------------------------------------------------- size limits
def test_request_size_limits(harden_bot):
    url = harden_bot.url
    big = b'{"sender": "size", "message": "' + b"a" * 70_000 + b'"}'
    assert harden_bot.ask(None, raw=big).status_code == 413  # REST: 64 KB
    huge = b"x" * (2 * 1024 * 1024)
    try:
        status = requests.post(f"{url}/webhooks/rest/webhook", data=huge, timeout=30).status_code
    except requests.ConnectionError:  # the server may close before the client finished sending
        status = 413
    assert status == 413  # server: 1 MiB
    zalo = requests.post(
        f"{url}/webhooks/zalo/webhook", data=big, timeout=30, headers={"X-ZEvent-Signature": "mac=" + "0" * 64}
    )
    assert zalo.status_code == 413  # Zalo: 64 KB
    w = Widget(url).open()
    try:
        assert w.post("42" + json.dumps(["user_uttered", {"message": "a" * 70_000}])).status_code == 413
    finally:
        w.close()
    assert harden_bot.answers_knowledge()
    record("checks", "request size limits", result="REST/Zalo/widget 64 KB -> 413; whole server 1 MiB -> 413")


# ------------------------------------------------------------------- no endpoint exposes leads
def test_no_http_endpoint_exposes_leads_or_conversations(harden_bot):
    for path in (
        "/conversations/load-x/tracker",
        "/conversations/load-x/story",
        "/status",
        "/leads",
        "/webhooks/rest/leads",
        "/api/leads",
    ):
        resp = requests.get(harden_bot.url + path, timeout=10)
        assert resp.status_code in (404, 405), (path, resp.status_code)
    record("checks", "HTTP access to leads / trackers", result="none: Rasa's HTTP API is off, no lead route")


# ------------------------------------------------------------------------------ secrets check
def test_secrets_check_passes_on_the_repository_and_catches_a_planted_secret(tmp_path):
    script = ROOT / "scripts" / "check_secrets.py"
    ok = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    planted = tmp_path / "repo"
    (planted / "bot").mkdir(parents=True)
    (planted / "bot" / "credentials.yml").write_text(
        "bot.channels.zalo.ZaloInput:\n  oa_secret_key: Zk8s7Qw2mT4vX9pL1aB3\n", encoding="utf-8"
    )
    (planted / "deploy.sh").write_text(
        "export DATABASE_URL=postgresql://bot:S3cr3tPassw0rd@db:5432/kc\n",  # secrets-check: allow (planted)
        encoding="utf-8",
    )
    (planted / "id_rsa").write_text(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n",  # secrets-check: allow
        encoding="utf-8",
    )
    (planted / ".env").write_text("ZALO_APP_SECRET=abc\n", encoding="utf-8")
    bad = subprocess.run(
        [sys.executable, str(script), "--root", str(planted)], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 1, bad.stdout
    for needle in ("credentials.yml", "deploy.sh", "id_rsa", ".env"):
        assert needle in bad.stdout, (needle, bad.stdout)
    assert "S3cr3tPassw0rd" not in bad.stdout and "Zk8s7Qw2mT4vX9pL1aB3" not in bad.stdout  # never echoed
    record("checks", "secrets committed", result="0 (scripts/check_secrets.py; planted secrets all caught)")


# ------------------------------------------------------------------- personal data in logs
def name_forms(name: str) -> Set[str]:
    forms = set()
    for norm in ("NFC", "NFD"):
        forms.add(unicodedata.normalize(norm, name))
    try:
        from vntext.fold import fold
        from vntext.normalize import normalize_text

        forms |= {normalize_text(name), fold(normalize_text(name))}
    except ImportError:  # pragma: no cover
        pass
    forms.add(
        "".join(c for c in unicodedata.normalize("NFD", name) if not unicodedata.combining(c))
        .replace("đ", "d")
        .replace("Đ", "D")
    )
    forms |= {f.upper() for f in forms} | {f.title() for f in forms}
    out = set()
    for form in forms:
        out |= {form, json.dumps(form)[1:-1], form.encode("unicode_escape").decode("ascii")}
    return out


def phone_patterns(phone: str) -> List[re.Pattern]:
    digits = re.sub(r"\D", "", phone)
    nsn = digits[1:] if digits.startswith("0") else digits[2:]
    shapes = {
        phone,
        digits,
        "0" + nsn,
        "+84" + nsn,
        "84" + nsn,
        nsn,
        f"0{nsn[:3]} {nsn[3:6]} {nsn[6:]}",
        f"0{nsn[:3]}.{nsn[3:6]}.{nsn[6:]}",
        f"+84 {nsn[:3]} {nsn[3:6]} {nsn[6:]}",
    }
    return [re.compile(r"(?<![\d])" + re.escape(s) + r"(?![\d])") for s in shapes]


def find_personal_data(logs: str, people: Iterable[tuple]) -> List[str]:
    lowered = logs.lower()
    found = []
    for name, phone in people:
        for form in name_forms(name):
            if form.lower() in lowered:
                found.append(f"name form {form!r}")
        for pattern in phone_patterns(phone):
            if pattern.search(logs):
                found.append(f"phone form {pattern.pattern!r}")
    return found


def test_no_personal_data_in_any_log_at_debug_level(harden_bot, harden_zalo):
    bot = harden_bot
    bot.set_debug(True)
    run = uuid.uuid4().hex[:6]
    people = {
        "rest": ("Đỗ Thị Thuý Hoà", "0987 654 321"),
        "web": ("Ngô Bảo Châu Dung", "+84 903 222 111"),
        "zalo": ("Lương Văn Huy", "0912.888.777"),
        "outside": ("Không Dùng Tên", "0916 121 314"),
    }
    # REST
    sender = f"pii-{run}-rest"
    assert "đã ghi nhận" in test_faults.lead_flow(bot, sender, *people["rest"])
    # web widget
    w = Widget(bot.url).open()
    try:
        w.say(test_faults.WHERE)
        assert "Nghị định 13/2023/NĐ-CP" in w.say("/leave_contact")
        assert "họ tên" in w.say("đồng ý")
        assert "số điện thoại" in w.say(people["web"][0]).lower()
        assert "đã ghi nhận" in w.say(people["web"][1])
    finally:
        w.close()
    # Zalo
    user = f"44{uuid.uuid4().int % 10**6:06d}"
    say(bot, harden_zalo, user, test_faults.WHERE)
    assert "Nghị định 13/2023/NĐ-CP" in say(bot, harden_zalo, user, "/leave_contact")
    assert "họ tên" in say(bot, harden_zalo, user, "đồng ý")
    assert "số điện thoại" in say(bot, harden_zalo, user, people["zalo"][0]).lower()
    assert "đã ghi nhận" in say(bot, harden_zalo, user, people["zalo"][1])
    # a phone number typed outside any form, in a question
    assert bot.texts(f"số của tôi là {people['outside'][1]}, khuyến công là gì", f"pii-{run}-q")
    time.sleep(2)

    everyone = list(people.values()) + test_faults.PII_USED + test_load.PEOPLE
    logs = "\n".join(p.read_text("utf-8", "replace") for p in bot.logs.values() if p.exists())
    assert "DEBUG" in logs and "processor.slots.log" in logs  # (really at DEBUG, slot values printed)
    found = find_personal_data(logs, everyone)
    record(
        "checks",
        "personal data in logs (DEBUG and INFO)",
        result=f"{len(found)} found; searched {len(everyone)} people (names and phones, all forms) in "
        f"{len(logs) // 1024} KB of logs",
    )
    assert found == [], found[:20]
    assert "[personal]" in logs and "[phone]" in logs  # the redaction did run
