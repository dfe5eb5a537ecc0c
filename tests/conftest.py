"""Shared fixtures: a knowledge base built from the real data, tracker factory, live servers."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "khuyencong.tar.gz"
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def kb_url(tmp_path_factory) -> str:
    """A SQLite knowledge base built from policy_kb/data, used by every in-process test."""
    from policy_kb.db import get_engine
    from policy_kb.loader import build

    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.db'}"
    build(get_engine(url))
    os.environ["DATABASE_URL"] = url
    return url


@pytest.fixture()
def kb_session(kb_url):
    from policy_kb.db import new_session

    with new_session(kb_url) as session:
        yield session


def make_tracker(text: str = "", intent: Optional[str] = None, entities: Optional[List[Dict]] = None,
                 slots: Optional[Dict[str, Any]] = None, sender: str = "test-user"):
    from rasa_sdk import Tracker

    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0} if intent else {},
              "entities": entities or []}
    return Tracker(sender_id=sender, slots=slots or {}, latest_message=latest, events=[],
                   paused=False, followup_action=None, active_loop={}, latest_action_name="action_listen")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float, proc: Optional[subprocess.Popen] = None) -> None:
    import urllib.request

    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} was ready")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except Exception:
            time.sleep(0.5)
    raise TimeoutError(url)


def ensure_model() -> Path:
    """The model trained by scripts/train.sh (cheap no-op when nothing changed)."""
    subprocess.run([str(ROOT / "scripts" / "train.sh")], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    assert MODEL.exists()
    return MODEL


def stop_processes(procs: List[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


#: Fixtures that start real servers: a test that uses one is marked ``server`` automatically, so
#: ``make test-fast`` (``-m "not server"``) never starts a server.
SERVER_FIXTURES = frozenset({"live_bot", "pg_bot", "web_bot", "zalo_bot", "harden_bot", "bot", "foreign_site",
                             "pg_cluster", "databases"})


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.server)


class LiveBot:
    """The real action server + Rasa server (REST channel) as subprocesses."""

    def __init__(self, tmp: Path, database_url: str, credentials: Optional[Path] = None,
                 extra_env: Optional[Dict[str, str]] = None) -> None:
        self.tmp = tmp
        self.credentials = credentials or ROOT / "bot" / "credentials.yml"
        self.actions_port, self.rasa_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.rasa_port}"
        self.env = dict(os.environ, DATABASE_URL=database_url, RASA_TELEMETRY_ENABLED="false",
                        TF_CPP_MIN_LOG_LEVEL="2", PYTHONWARNINGS="ignore", **(extra_env or {}))
        self.procs: List[subprocess.Popen] = []
        self.logs: Dict[str, Path] = {}

    def _spawn(self, name: str, args: List[str]) -> subprocess.Popen:
        if os.environ.get("KC_NO_SERVERS"):  # `make test-fast`: a server test that escaped its marker
            pytest.fail("this test starts the bot's servers: mark it @pytest.mark.server or give it one of "
                        "the fixtures in SERVER_FIXTURES (tests/conftest.py); it ran under KC_NO_SERVERS")
        log = self.tmp / f"{name}.log"
        self.logs[name] = log
        proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log.open("wb"),
                                stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def start(self, enable_api: bool = False) -> "LiveBot":
        endpoints = self.tmp / "endpoints.yml"
        endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{self.actions_port}/webhook"\n'
                             f'  enable_selective_domain: true\n')
        actions = self._spawn("actions", [str(VENV_BIN / "rasa"), "run", "actions", "--actions", "actions",
                                          "--port", str(self.actions_port)])
        rasa = self._spawn("rasa", [str(VENV_BIN / "rasa"), "run", "--model", str(ensure_model()),
                                    "--endpoints", str(endpoints), "--credentials",
                                    str(self.credentials), "--port", str(self.rasa_port),
                                    "--interface", "127.0.0.1", *(["--enable-api"] if enable_api else [])])
        wait_http(f"http://127.0.0.1:{self.actions_port}/health", 120, actions)
        wait_http(f"{self.url}/", 180, rasa)
        return self

    def ask(self, text: Any, sender: str = "tester", raw: Optional[bytes] = None,
            content_type: str = "application/json"):
        import requests

        if raw is None:
            return requests.post(f"{self.url}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": text}, timeout=60)
        return requests.post(f"{self.url}/webhooks/rest/webhook", data=raw,
                             headers={"Content-Type": content_type}, timeout=60)

    def texts(self, text: str, sender: str = "tester") -> str:
        resp = self.ask(text, sender)
        assert resp.status_code == 200, resp.text
        return "\n".join(m.get("text") or "" for m in resp.json())

    def alive(self) -> bool:
        return all(p.poll() is None for p in self.procs)

    def stop(self) -> None:
        stop_processes(self.procs)

    def save_logs(self, prefix: str = "") -> None:
        """Copy both servers' logs to tests/artifacts/ (CI keeps them when a test fails)."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name, log in self.logs.items():
            if log.exists():
                (ARTIFACTS / f"{prefix}{'-' if prefix else ''}{name}.log").write_bytes(log.read_bytes())


API_TOKEN = "rasa-api-token-for-tests"


class ApiLiveBot(LiveBot):
    """LiveBot with Rasa's HTTP API on (token-protected): to inspect trackers and push messages."""

    def _spawn(self, name: str, args: List[str]) -> subprocess.Popen:
        if name == "rasa":
            args = args + ["--enable-api", "--auth-token", API_TOKEN]
        return super()._spawn(name, args)

    def tracker(self, sender: str) -> Dict[str, Any]:
        import requests

        resp = requests.get(f"{self.url}/conversations/{sender}/tracker", params={"token": API_TOKEN}, timeout=30)
        resp.raise_for_status()
        return resp.json()


@contextmanager
def channel_bot(tmp: Path, label: str, credentials: str,
                extra_env: Optional[Dict[str, str]] = None) -> Iterator[ApiLiveBot]:
    """An ApiLiveBot on its own SQLite knowledge base with the given credentials.yml (channels);
    its logs end up in tests/artifacts/<label>-*.log."""
    from policy_kb.db import get_engine
    from policy_kb.loader import build

    db_url = f"sqlite:///{tmp / f'{label}.db'}"
    build(get_engine(db_url))
    creds = tmp / "credentials.yml"
    creds.write_text(credentials, encoding="utf-8")
    bot = ApiLiveBot(tmp, db_url, credentials=creds, extra_env=extra_env)
    bot.db_url = db_url
    try:
        bot.start()
        yield bot
    finally:
        bot.stop()
        bot.save_logs(label)


@pytest.fixture(scope="session")
def live_bot(kb_url, tmp_path_factory):
    # with the (token-protected) HTTP API, so that dialogue tests can read the slots of a turn
    bot = ApiLiveBot(tmp_path_factory.mktemp("live"), kb_url).start()
    bot.db_url = kb_url
    yield bot
    bot.stop()
    bot.save_logs()


PG_BASE = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"


@contextmanager
def pg_schema(prefix: str = "kc_test") -> Iterator[tuple]:
    """(schema, URL) of a throw-away schema on this machine's PostgreSQL; the URL sets it as
    search_path. Dropped afterwards."""
    import uuid

    from sqlalchemy import create_engine, text

    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_BASE, future=True)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema, f"{PG_BASE}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_url():
    with pg_schema() as (_, url):
        yield url
