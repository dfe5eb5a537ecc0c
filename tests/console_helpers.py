"""Helpers for the console tests: a real console server on a free port, seeded data, logins.

The server is the real aiohttp application (:func:`console.app.make_app`) served by aiohttp's
runner in a background thread of the test process, on a migrated SQLite file of its own; tests
talk to it over HTTP with ``requests``. Running in-process lets ``caplog`` see every log line.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import requests
from aiohttp import web

from console import accounts
from console.app import make_app
from console.migrations import upgrade
from console.settings import ConsoleSettings
from lead_store.consent import CONSENT_VERSION
from lead_store.leads import LeadInput, save_lead
from policy_kb.db import get_engine
from tests.conftest import free_port

ADMIN, ADMIN_PW = "quantri", "Mat-khau-quan-tri-2026"
OFFICER, OFFICER_PW = "canbo.hoa", "Hoa-goi-dien-2026!"
#: (name, phone as typed, e164, province, channel, verdict)
PEOPLE = [
    ("Nguyễn Thị Hoa", "0912 345 678", "+84912345678", "ha_noi", "zalo", "eligible"),
    ("Trần Văn Bình", "0987654321", "+84987654321", "da_nang", "web", "not_eligible"),
    ("Lê Thị <b>Mai</b>", "0901234567", "+84901234567", "ha_noi", "web", "eligible"),
    ("Phạm Quốc Dũng", "+84 345 678 901", "+84345678901", "ha_noi", "rest", "unknown"),
]
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def personal_strings() -> List[str]:
    """Every form of the seeded names and phones that must never reach a log or the audit table."""
    out = []
    for name, typed, e164, *_ in PEOPLE:
        out += [name, name.split()[-1] if "<" not in name else "Mai", typed, e164, e164[3:], "0" + e164[3:]]
    return out


def seed_leads(db_url: str) -> Dict[str, int]:
    engine = get_engine(db_url)
    ids = {}
    base = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3)
    for i, (name, typed, _, province, channel, verdict) in enumerate(PEOPLE):
        lead_id, _ = save_lead(
            engine,
            LeadInput(
                name=name,
                phone=typed,
                channel=channel,
                conversation_id=f"conv-{i}",
                consent_version=CONSENT_VERSION,
                consent_at=base + dt.timedelta(hours=i),
                province=province,
                industry="che_bien_nong_san",
                business_type="ho_kinh_doanh",
                activity="may_moc",
                estimated_cost_vnd=150_000_000 + i,
                verdict=verdict,
            ),
        )
        ids[name] = lead_id
    return ids


@dataclass
class ConsoleServer:
    db_url: str
    settings: ConsoleSettings
    port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        self.app = make_app(self.settings)
        self.engine = self.app["engine"]
        self.base = f"http://127.0.0.1:{self.port}"
        self._loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(self.app)
        self._thread: Optional[threading.Thread] = None

    def start(self) -> "ConsoleServer":
        ready = threading.Event()
        errors: List[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(self._runner.setup())
                self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
            except BaseException as exc:  # noqa: BLE001 - reported to the test thread
                errors.append(exc)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="console-test-server", daemon=True)
        self._thread.start()
        ready.wait(15)
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(15)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(15)
        self._loop.close()
        self._thread = None

    def url(self, path: str) -> str:
        return self.base + path


def make_console(tmp: Path, seed: bool = True, **overrides) -> ConsoleServer:
    tmp.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{tmp / 'console.db'}"
    upgrade(db_url)
    engine = get_engine(db_url)
    accounts.create_officer(engine, ADMIN, ADMIN_PW, "admin", "Quản Trị Viên")
    accounts.create_officer(engine, OFFICER, OFFICER_PW, "officer", "Cán bộ Hoa")
    if seed:
        seed_leads(db_url)
    settings = ConsoleSettings(
        db_url=db_url,
        rasa_url="http://127.0.0.1:9",
        rasa_token="test",
        tracker_db_url=f"sqlite:///{tmp / 'tracker.db'}",
        **overrides,
    )
    return ConsoleServer(db_url, settings).start()


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no csrf_token in the page"
    return match.group(1)


def login(
    server: ConsoleServer, username: str, password: str, session: Optional[requests.Session] = None
) -> requests.Response:
    """Log in the way a browser does (GET the form for its token, POST it); no redirect followed."""
    session = session or requests.Session()
    form = session.get(server.url("/login"), timeout=10)
    return session.post(
        server.url("/login"),
        data={"csrf_token": csrf_of(form.text), "username": username, "password": password, "next": "/leads"},
        allow_redirects=False,
        timeout=30,
    )


def logged_in(server: ConsoleServer, username: str = OFFICER, password: str = OFFICER_PW) -> requests.Session:
    session = requests.Session()
    resp = login(server, username, password, session)
    assert resp.status_code == 302, resp.text
    session.csrf = csrf_of(session.get(server.url("/leads"), timeout=10).text)
    return session
