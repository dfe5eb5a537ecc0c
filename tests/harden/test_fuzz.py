"""Fuzzing of every public surface with hypothesis: the REST webhook, the Zalo webhook (valid,
forged and replayed signatures), the web widget's socket.io transport, and the officer CLI.

Random and hostile inputs: any Unicode (control characters, lone surrogates, RTL overrides,
combining-mark floods), 1 MB and 2 MB bodies, deeply nested JSON, wrong content types, SQL / HTML /
JS / template injection strings, wrong JSON shapes. Per surface: no 5xx, the server alive and
answering a knowledge question afterwards, no ERROR or Traceback line in either server's log for
the duration. Budget: support.FUZZ_EXAMPLES (HARDEN_BUDGET=small in CI, full in `make harden`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import json
import time
import traceback
import urllib.parse
from typing import Any, Dict, List

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.harden import support
from tests.harden.support import FUZZ_EXAMPLES, Widget, problems_in, record
from tests.test_zalo import APP_ID, OA_ID, OA_SECRET

pytestmark = pytest.mark.server

HOSTILE = [
    "' OR '1'='1",
    "'; DROP TABLE leads; --",
    '" OR 1=1 --',
    "1; SELECT pg_sleep(10)--",
    "UNION SELECT name, phone_e164 FROM leads--",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(document.cookie)",
    '"><svg/onload=alert(1)>',
    "{{7*7}}",
    "${7*7}",
    "#{7*7}",
    "%s%s%s%n",
    "{0.__class__}",
    '/inform{"province": "ha_noi"}',
    "/restart",
    "/session_start",
    '/leave_contact{"x":',
    "../../../../etc/passwd",
    "\x00",
    "a\x00b",
    "\x1b[31mred",
    "\u202e\u0644\u0627",
    "\u200b\u200c\u200d\ufeff",
    "a" + "\u0301" * 500,
    "😀" * 300,
    "\ud800",
    "\udfff",
    "\uffff",
    "ｆｕｌｌ　ｗｉｄｔｈ",
    "İ" * 50,
    "ß" * 100,
    "0912 345 678",
    "+84 912 345 678",
    "Nguyễn Văn An",
    '=HYPERLINK("http://x")',
    "\r\n\r\nHTTP/1.1 200 OK",
    " " * 2000,
    "x" * 1001,
    "máy " * 250,
]
#: printable characters plus controls, format characters and lone surrogates
ANY_CHAR = st.characters(codec=None, categories=None)
TEXT = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(ANY_CHAR, max_size=60),
    st.text(max_size=300),
    st.builds(lambda a, b: a + b, st.sampled_from(HOSTILE), st.text(ANY_CHAR, max_size=20)),
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/xml",
    "application/json; charset=latin-1",
    "image/png",
]


def nested(depth: int, kind: str = "list") -> bytes:
    return (b"[" * depth + b"]" * depth) if kind == "list" else (b'{"a":' * depth + b"1" + b"}" * depth)


BIG_BODIES = [
    b'{"sender": "big", "message": "' + b"a" * 1_000_000 + b'"}',  # 1 MB: the channel's 413
    b'{"sender": "big", "message": "' + b"a" * 2_000_000 + b'"}',  # 2 MB: the server's 413
    nested(100_000),
    nested(5_000, "dict"),
    nested(900),
    nested(17, "dict"),
]


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=True).encode()  # lone surrogates become \ud800 escapes


class Surface:
    """Counts what one surface answered and checks the logs written meanwhile."""

    def __init__(self, name: str, bot) -> None:
        self.name, self.bot = name, bot
        self.offsets = bot.log_size() if bot else {}
        self.inputs = self.ok = self.rejected = self.server_errors = 0
        self.failures: List[str] = []

    def count(self, status: int, what: Any) -> None:
        self.inputs += 1
        if status >= 500 or status == 0:
            self.server_errors += 1
            if len(self.failures) < 5:
                self.failures.append(f"{status}: {str(what)[:300]!r}")
        elif status < 300:
            self.ok += 1
        else:
            self.rejected += 1

    def finish(self, settle: float = 0.0) -> None:
        time.sleep(settle)
        problems: List[str] = []
        if self.bot is not None:
            problems = problems_in("\n".join(self.bot.log_since(self.offsets).values()))
            alive = self.bot.alive() and self.bot.answers_knowledge()
        else:
            alive = True
        record(
            "fuzz",
            self.name,
            inputs=self.inputs,
            ok=self.ok,
            rejected=self.rejected,
            server_errors=self.server_errors + (0 if alive else 1),
            log_errors=len(problems),
        )
        assert self.inputs >= FUZZ_EXAMPLES[self.name] * 0.9, (self.name, self.inputs)
        assert self.server_errors == 0, self.failures
        assert alive, f"{self.name}: the bot no longer answers"
        assert problems == [], problems[:10]


def fuzz_settings(name: str):
    return settings(
        max_examples=FUZZ_EXAMPLES[name],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


# ------------------------------------------------------------------------------ REST webhook
REST_BODY = st.one_of(
    st.builds(
        lambda s, m: dumps({"sender": s, "message": m}),
        st.one_of(st.uuids().map(lambda u: f"fuzz-{u.hex[:12]}"), st.just("fuzz-flood"), TEXT),
        TEXT,
    ),
    st.builds(
        lambda s, m, meta: dumps({"sender": s, "message": m, "metadata": meta}),
        st.uuids().map(lambda u: f"fuzz-{u.hex[:12]}"),
        TEXT,
        JSON,
    ),
    JSON.map(dumps),
    st.binary(max_size=500),
    st.builds(lambda t: t.encode("utf-8", "surrogatepass"), TEXT),
    st.sampled_from(BIG_BODIES),
    st.builds(
        lambda d: b'{"sender": "x", "message": "hi", "metadata": ' + nested(d, "dict") + b"}", st.integers(10, 3000)
    ),
)


def test_rest_webhook(harden_bot):
    surface = Surface("REST webhook", harden_bot)
    url = f"{harden_bot.url}/webhooks/rest/webhook"
    http = requests.Session()

    @fuzz_settings("REST webhook")
    @given(body=REST_BODY, content_type=st.sampled_from(CONTENT_TYPES))
    @example(body=BIG_BODIES[0], content_type="application/json")
    @example(body=BIG_BODIES[1], content_type="application/json")
    @example(body=BIG_BODIES[2], content_type="application/json")
    @example(
        body=b'{"sender": "x", "message": "/inform{\\"province\\": \\"ha_noi\\"} ha_noi"}',
        content_type="application/json",
    )  # crashed the gazetteer once
    def fuzz(body: bytes, content_type: str) -> None:
        try:
            resp = http.post(url, data=body, headers={"Content-Type": content_type}, timeout=60)
            status = resp.status_code
            if status == 200:
                assert isinstance(resp.json(), list)
        except requests.RequestException as exc:
            status = 0 if "Connection aborted" not in str(exc) or len(body) < 1_000_000 else 413
        surface.count(status, body[:200])

    fuzz()
    surface.finish()


# ------------------------------------------------------------------------------ Zalo webhook
_zalo_ids = itertools.count(1)
_replays: List[tuple] = []


def zalo_sign(raw: bytes, timestamp: str, secret: str = OA_SECRET) -> str:
    return (
        "mac="
        + hashlib.sha256(
            APP_ID.encode() + raw + timestamp.encode("utf-8", "surrogatepass") + secret.encode("utf-8", "surrogatepass")
        ).hexdigest()
    )


def _event(
    user: Any, text: Any, msg_id: Any, ts: Any, name: Any = "user_send_text", sender_shape: str = "ok"
) -> Dict[str, Any]:
    sender = {"ok": {"id": user}, "list": [user], "str": str(user), "none": None}[sender_shape]
    return {
        "app_id": APP_ID,
        "event_name": name,
        "sender": sender,
        "recipient": {"id": OA_ID},
        "message": {"text": text, "msg_id": msg_id},
        "timestamp": ts,
    }


def _now_ms() -> str:
    return str(int(time.time() * 1000))


ZALO_CASE = st.one_of(
    # authentic events with hostile text, from a few users (exercises the rate limit too)
    st.builds(
        lambda u, t: ("signed", _event(u, t, f"fz-{next(_zalo_ids)}", _now_ms())),
        st.sampled_from([f"9{n:03d}" for n in range(40)]),
        TEXT,
    ),
    # authentic events whose fields have the wrong shape or type
    st.builds(
        lambda u, t, m, ts, n, shape: ("signed", _event(u, t, m, ts, n, shape)),
        st.one_of(TEXT, JSON),
        JSON,
        st.one_of(JSON, st.just("fz-x")),
        st.one_of(
            st.just(None),
            st.integers().map(str),
            TEXT,
            st.just("9" * 5000),
            st.just("-1"),
            st.just("1e400"),
            st.just("0x10"),
        ),
        st.one_of(st.sampled_from(["user_send_text", "follow", "unfollow", "user_send_image"]), JSON),
        st.sampled_from(["ok", "list", "str", "none"]),
    ),
    st.builds(lambda v: ("signed-raw", v), JSON),
    # forged: random MAC, wrong secret, malformed / missing header, tampered body
    st.builds(
        lambda t, mac: ("forged", _event("9999", t, f"fz-{next(_zalo_ids)}", _now_ms()), mac),
        TEXT,
        st.one_of(
            st.just(None),
            st.binary(min_size=32, max_size=32).map(lambda b: "mac=" + b.hex()),
            TEXT,
            st.just("mac=" + "g" * 64),
            st.just("MAC=" + "0" * 64),
            st.builds(lambda s: "wrong-secret:" + s, TEXT),
        ),
    ),
    st.builds(lambda t: ("tampered", _event("9998", t, f"fz-{next(_zalo_ids)}", _now_ms())), TEXT),
    # stale / future timestamps with a valid MAC
    st.builds(
        lambda t, d: ("signed", _event("9997", t, f"fz-{next(_zalo_ids)}", str(int(time.time() * 1000) + d))),
        TEXT,
        st.sampled_from([-(10**9), -600_000, 600_000, 10**12]),
    ),
    # a replay of an event already delivered
    st.just(("replay",)),
    # raw garbage, nested JSON and oversized bodies with a well-formed MAC
    st.builds(lambda b: ("raw", b), st.one_of(st.binary(max_size=300), st.sampled_from(BIG_BODIES))),
)


def test_zalo_webhook(harden_bot, harden_zalo):
    surface = Surface("Zalo webhook", harden_bot)
    url = f"{harden_bot.url}/webhooks/zalo/webhook"
    http = requests.Session()
    statuses: Dict[str, set] = {}

    def post(raw: bytes, signature: Any, content_type: str = "application/json") -> int:
        headers = {"Content-Type": content_type}
        if signature is not None:
            headers["X-ZEvent-Signature"] = signature.encode("utf-8", "surrogatepass").decode("latin-1", "replace")
        try:
            return http.post(url, data=raw, headers=headers, timeout=30).status_code
        except ValueError:  # a header value requests refuses to send: not an input to count
            return -1
        except requests.RequestException:
            return 0

    @fuzz_settings("Zalo webhook")
    @given(case=ZALO_CASE, content_type=st.sampled_from(CONTENT_TYPES))
    def fuzz(case: tuple, content_type: str) -> None:
        kind = case[0]
        if kind == "replay":
            if not _replays:
                return
            raw, sig = _replays[len(_replays) // 2]
            status = post(raw, sig, content_type)
            assert status in (-1, 200, 401), status  # a duplicate, or by now stale
        elif kind in ("signed", "signed-raw", "tampered"):
            event = case[1]
            raw = dumps(event)
            ts = str(event.get("timestamp", "")) if isinstance(event, dict) else ""
            sig = zalo_sign(raw, ts)
            if kind == "tampered":
                raw = raw.replace(b'"text"', b'"TEXT"', 1) if b'"text"' in raw else raw + b" "
            status = post(raw, sig, content_type)
            if kind == "signed" and status == 200 and len(_replays) < 200:
                _replays.append((raw, sig))
            if kind == "tampered":
                assert status in (-1, 400, 401), status
        elif kind == "forged":
            event, mac = case[1], case[2]
            raw = dumps(event)
            if isinstance(mac, str) and mac.startswith("wrong-secret:"):
                mac = zalo_sign(raw, event["timestamp"], secret=mac)
            status = post(raw, mac, content_type)
            assert status in (-1, 400, 401), (status, mac)
        else:
            raw = case[1]
            status = post(raw, "mac=" + hashlib.sha256(raw).hexdigest(), content_type)
            assert status in (-1, 400, 401, 413), status
        if status != -1:
            surface.count(status, case)
            statuses.setdefault(kind, set()).add(status)

    fuzz()
    # replies to the accepted events are sent in the background: let them finish
    deadline = time.time() + 60
    while time.time() < deadline:
        before = len(harden_zalo.attempts)
        time.sleep(2)
        if len(harden_zalo.attempts) == before:
            break
    surface.finish()
    assert 401 in statuses.get("forged", set()), statuses
    dup_users = [u for u in {m["user"] for m in harden_zalo.delivered if m["user"].startswith("9")}]
    assert dup_users, "the authentic events were answered"


# ------------------------------------------------------------------------- widget transport
WIDGET_PACKET = st.one_of(
    st.builds(
        lambda t, sid: "42" + json.dumps(["user_uttered", {"message": t, "session_id": sid}], ensure_ascii=True),
        TEXT,
        st.one_of(st.just("SESSION"), TEXT),
    ),
    st.builds(lambda d: "42" + json.dumps(["user_uttered", d], ensure_ascii=True), JSON),
    st.builds(lambda d: "42" + json.dumps(["session_request", d], ensure_ascii=True), JSON),
    st.builds(lambda e, d: "42" + json.dumps([e, d], ensure_ascii=True), TEXT, JSON),
    st.builds(lambda v: "42" + json.dumps(v, ensure_ascii=True), JSON),
    st.builds(
        lambda p, t: p + t,
        st.sampled_from(
            ["0", "1", "2", "3", "4", "5", "6", "40", "41", "43", "44", "45", "451-", "4/x,", "b", "9", ""]
        ),
        TEXT,
    ),
    st.builds(lambda a, b: a + "\x1e" + b, TEXT, TEXT),
    st.builds(lambda d: "42" + "[" * d + "]" * d, st.integers(10, 50_000)),
    st.just("42" + json.dumps(["user_uttered", {"message": "a" * 70_000}])),
    st.binary(max_size=300),
    # the widget's static files: only the four published ones exist, nothing else is reachable
    st.builds(
        lambda p: ("static", p),
        st.one_of(
            st.sampled_from(
                [
                    "../../README.md",
                    "..%2f..%2fREADME.md",
                    "%2e%2e/%2e%2e/etc/passwd",
                    "vendor/../../.env",
                    "vendor/socket.io.min.js",
                    "widget.js",
                    "index.html",
                    "demo",
                    "../bot/credentials.yml",
                    "....//....//etc/passwd",
                    "widget.js%00.png",
                    "/etc/passwd",
                    "%c0%ae%c0%ae/",
                ]
            ),
            TEXT,
        ),
    ),
)


STATIC_OK = {"demo", "widget.js", "widget.css", "vendor/socket.io.min.js", ""}


def test_widget_transport(harden_bot):
    surface = Surface("widget transport", harden_bot)
    state: Dict[str, Any] = {"widget": None, "used": 0}

    def widget() -> Widget:
        if state["widget"] is None or state["used"] >= 25:
            if state["widget"] is not None:
                state["widget"].close()
            state["widget"], state["used"] = Widget(harden_bot.url).open(), 0
        state["used"] += 1
        return state["widget"]

    @fuzz_settings("widget transport")
    @given(
        packet=WIDGET_PACKET,
        content_type=st.sampled_from(CONTENT_TYPES[:4] + ["application/octet-stream"]),
        garbage_query=st.one_of(st.none(), TEXT),
    )
    @example(packet="2", content_type="text/plain", garbage_query=None)  # a client "ping": hung once
    @example(packet="6", content_type="text/plain", garbage_query=None)  # a client "noop": hung once
    @example(packet="5", content_type="text/plain", garbage_query=None)
    def fuzz(packet: Any, content_type: str, garbage_query: Any) -> None:
        if isinstance(packet, tuple):  # GET a static path
            path = urllib.parse.quote(packet[1].encode("utf-8", "surrogatepass"), safe="/%.")
            try:
                resp = requests.get(f"{harden_bot.url}/webhooks/web/{path}", timeout=30)
                status = resp.status_code
                assert status != 200 or resp.url.split("/webhooks/web", 1)[-1].strip("/") in STATIC_OK, resp.url
            except requests.RequestException:
                status = 0
            surface.count(status, packet)
            return
        w = widget()
        if isinstance(packet, str):
            packet = packet.replace("SESSION", w.session_id)
        try:
            if garbage_query is not None:  # a request that is not a valid engine.io session
                status = requests.post(
                    f"{w.url}?EIO=4&transport=polling&sid=",
                    params={"x": garbage_query.encode("utf-8", "surrogatepass")},
                    data=packet if isinstance(packet, bytes) else packet.encode("utf-8", "surrogatepass"),
                    headers={"Content-Type": content_type},
                    timeout=30,
                ).status_code
            else:
                status = w.post(packet, content_type).status_code
                if status == 400:  # the server closed this session on a bad packet: start another
                    state["widget"] = None
        except requests.RequestException:
            status, state["widget"] = 0, None
        surface.count(status, packet[:200] if isinstance(packet, (str, bytes)) else packet)

    fuzz()
    if state["widget"] is not None:
        state["widget"].close()
    # and the widget still works end to end
    w = Widget(harden_bot.url).open()
    try:
        assert support.KNOWLEDGE_MARK in w.say(support.KNOWLEDGE_QUESTION)
    finally:
        w.close()
    surface.finish(settle=2)


# ------------------------------------------------------------------------------ officer CLI
CLI_VALUE = st.one_of(
    st.sampled_from(
        HOSTILE
        + [
            "",
            " ",
            "-",
            "--",
            "--help",
            "-h",
            "2026-11-01",
            "2026-02-30",
            "9999-12-31",
            "0",
            "-1",
            "²",
            "١٢",
            "9" * 30,
            "1e3",
            "dong_nai",
        ]
    ),
    st.text(ANY_CHAR, max_size=30),
    st.text(max_size=30),
)
CLI_DATE = st.one_of(st.dates().map(str), CLI_VALUE)
CLI_ID = st.one_of(st.integers(-3, 2**70).map(str), CLI_VALUE)


def _filters() -> st.SearchStrategy:
    return st.lists(
        st.one_of(
            st.tuples(st.just("--province"), CLI_VALUE),
            st.tuples(st.just("--from"), CLI_DATE),
            st.tuples(st.just("--to"), CLI_DATE),
        ),
        max_size=3,
    ).map(lambda pairs: [x for pair in pairs for x in pair])


def _name(value: str) -> str:
    return value.replace("/", "_").replace("\\", "_") or "x"


CLI_ARGS = st.one_of(
    st.builds(
        lambda fmt, out, f, nc: (
            ["export", "--format", fmt, "--out", "@TMP@/" + _name(out), *f] + (["--not-contacted"] if nc else [])
        ),
        st.one_of(st.sampled_from(["csv", "xlsx"]), CLI_VALUE),
        CLI_VALUE,
        _filters(),
        st.booleans(),
    ),
    st.builds(lambda f: ["list", *f], _filters()),
    st.builds(
        lambda ids, by, note: ["mark-contacted", *ids, "--by", by] + (["--note", note] if note else []),
        st.lists(CLI_ID, max_size=3),
        CLI_VALUE,
        st.one_of(st.none(), CLI_VALUE),
    ),
    st.builds(
        lambda ids, phone, yes: (
            ["delete", *ids] + (["--phone", phone] if phone is not None else []) + (["--yes"] if yes else [])
        ),
        st.lists(CLI_ID, max_size=3),
        st.one_of(st.none(), CLI_VALUE, st.just("0912 345 678")),
        st.booleans(),
    ),
    st.builds(
        lambda path: ["flush-outbox"] + (["--outbox", "@TMP@/" + _name(path)] if path is not None else []),
        st.one_of(st.none(), CLI_VALUE),
    ),
    st.lists(CLI_VALUE, max_size=6),
)
SEEDED = [("Trần Thị Bích", "0987 654 321"), ("Lê Văn Cường", "0903 111 222"), ("Phạm Thu Hà", "024 3825 1234")]


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory, monkeypatch_module):
    """Its own PostgreSQL schema, with three leads whose name/phone must never be printed."""
    from lead_store.consent import CONSENT_VERSION
    from lead_store.leads import LeadInput, ensure_schema, save_lead
    from policy_kb import db
    from tests.conftest import pg_schema

    with pg_schema("kc_cli") as (_, url):
        engine = db.get_engine(url)
        ensure_schema(engine)
        for i, (name, phone) in enumerate(SEEDED):
            save_lead(
                engine,
                LeadInput(
                    name=name,
                    phone=phone,
                    channel="rest",
                    conversation_id=f"cli-{i}",
                    consent_version=CONSENT_VERSION,
                    consent_at="2026-01-01T00:00:00+00:00",
                    province="dong_nai",
                ),
            )
        tmp = tmp_path_factory.mktemp("cli")
        monkeypatch_module.setenv("DATABASE_URL", url)
        monkeypatch_module.setenv("LEAD_OUTBOX", str(tmp / "outbox.jsonl"))
        db.get_engine.cache_clear()
        yield tmp
        engine.dispose()
        db.get_engine.cache_clear()


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test_officer_cli(cli_db):
    from lead_store.cli import main

    surface = Surface("officer CLI", None)
    secrets = [s for name, phone in SEEDED for s in (name, phone, phone.replace(" ", ""))]
    codes: Dict[int, int] = {}

    @fuzz_settings("officer CLI")
    @given(args=CLI_ARGS)
    @example(args=["export", "--format", "csv", "--out", "@TMP@/a\x00b"])
    @example(args=["list", "--province", "\ud800"])
    @example(args=["mark-contacted", "99999999999999999999", "--by", "x"])
    @example(args=["flush-outbox", "--outbox", "@TMP@/."])
    def fuzz(args: List[str]) -> None:
        args = [a.replace("@TMP@", str(cli_db)) for a in args]
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(args)
        except BaseException as exc:  # noqa: BLE001 - any escape is a failure: count it
            surface.count(0, (args, "".join(traceback.format_exception_only(type(exc), exc))))
            return
        printed = out.getvalue() + err.getvalue()
        if code not in (0, 1, 2) or "Traceback" in printed or (code != 0 and not err.getvalue().strip()):
            surface.count(0, (args, code, printed[:300]))
            return
        leaked = [s for s in secrets if s in printed]
        assert not leaked, (args, leaked)
        codes[code] = codes.get(code, 0) + 1
        surface.count(200 if code == 0 else 400, args)

    fuzz()
    surface.finish()
    assert codes.get(0) and codes.get(2), codes
