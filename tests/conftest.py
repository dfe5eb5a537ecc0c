"""Shared fixtures: a knowledge base built from the real data, tracker factory, live servers."""

from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

# The tests' own process imports Rasa as the Rasa server does (python -m bot.serve): without
# TensorFlow, which no configured component uses (bot/no_tensorflow.py; KC_IMPORT_TENSORFLOW=1
# turns it off). tests/test_no_tensorflow.py compares both ways in subprocesses. Importing
# TensorFlow and jax was ~8 s of every test run's collection.
from bot import no_tensorflow

no_tensorflow.install()

# The live-server runner lives in devtools/servers.py (scripts/bench.py uses it too); its names are
# re-exported here because the tests import them from tests.conftest.
from devtools.servers import (
    ARTIFACTS,
    MODEL,
    ROOT,
    VENV_BIN,
    LiveBot,
    ensure_model,
    free_port,
    stop_processes,
    wait_http,
)

#: re-exported for the test modules (see above)
REEXPORTED = (ARTIFACTS, MODEL, ROOT, VENV_BIN, LiveBot, ensure_model, free_port, stop_processes, wait_http)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """argon2id with the console's real parameters takes ~130 ms per hash or check on this
    machine and the console tests make ~200 of them (24 s). In-process tests use argon2id with the
    smallest cost; ``test_production_password_hashing_parameters`` checks the real ones, and the
    CLI and server tests (subprocesses) run with them."""
    from argon2 import PasswordHasher

    from console import accounts

    real = accounts._hasher, accounts._DUMMY_HASH
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    accounts._DUMMY_HASH = accounts._hasher.hash("dummy-password-for-unknown-names")
    yield real
    accounts._hasher, accounts._DUMMY_HASH = real


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


def make_tracker(
    text: str = "",
    intent: Optional[str] = None,
    entities: Optional[List[Dict]] = None,
    slots: Optional[Dict[str, Any]] = None,
    sender: str = "test-user",
):
    from rasa_sdk import Tracker

    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0} if intent else {}, "entities": entities or []}
    return Tracker(
        sender_id=sender,
        slots=slots or {},
        latest_message=latest,
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


#: Fixtures that start real servers: a test that uses one is marked ``server`` automatically, so
#: ``make test-fast`` (``-m "not server"``) never starts a server.
SERVER_FIXTURES = frozenset(
    {
        "live_bot",
        "in_process_bot",
        "pg_bot",
        "web_bot",
        "zalo_bot",
        "harden_bot",
        "bot",
        "foreign_site",
        "pg_cluster",
        "databases",
    }
)


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.server)


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
def channel_bot(
    tmp: Path, label: str, credentials: str, extra_env: Optional[Dict[str, str]] = None
) -> Iterator[ApiLiveBot]:
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


@pytest.fixture(scope="session")
def in_process_bot(kb_url, tmp_path_factory):
    """The same bot with the custom actions run inside the Rasa server (rasa_patches 8)."""
    bot = ApiLiveBot(tmp_path_factory.mktemp("inproc"), kb_url).start(in_process_actions=True)
    bot.db_url = kb_url
    yield bot
    bot.stop()
    bot.save_logs()


PG_BASE = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_postgresql(url: str = PG_BASE):
    """An engine on this machine's PostgreSQL. Unreachable: a failure in CI (.ci/run sets CI=1;
    CI has PostgreSQL), a skip with the reason on a laptop without it."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, future=True)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any reason it is not there
        engine.dispose()
        reason = f"PostgreSQL at {url.split('@')[-1]} unreachable ({type(exc).__name__})"
        if in_ci():
            pytest.fail(reason + ": CI has PostgreSQL, so this is a failure", pytrace=False)
        pytest.skip(reason + ": start PostgreSQL to run this test")
    return engine


@contextmanager
def pg_schema(prefix: str = "kc_test") -> Iterator[tuple]:
    """(schema, URL) of a throw-away schema on this machine's PostgreSQL; the URL sets it as
    search_path. Dropped afterwards."""
    import uuid

    from sqlalchemy import text

    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = require_postgresql()
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
