"""One bot for the whole hardening suite (started once: ~20 s), as close to production as a test
can be: PostgreSQL for the knowledge base and leads (through a TCP proxy the tests can cut),
conversations in PostgreSQL (SQL tracker store), all three public channels (REST, web widget,
Zalo against a fake OA API), both servers at INFO log level as in production; the privacy test
restarts them at DEBUG level.
"""

from __future__ import annotations

import pytest

from tests.conftest import pg_schema
from tests.harden import support
from tests.harden.support import HardenBot, TcpProxy
from tests.test_zalo import FakeZalo, zalo_env

CREDENTIALS = """\
bot.channels.rest.SafeRestInput:
bot.channels.webchat.WebChatInput:
bot.channels.zalo.ZaloInput:
  timeout: 2
  backoff: 0.05
"""


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    data = support.figures()
    if data:
        terminalreporter.write_sep("=", "hardening figures")
        terminalreporter.write_line(support.render_table(data))


@pytest.fixture(scope="session", autouse=True)
def _fresh_report():
    support.reset_report()


@pytest.fixture(scope="session")
def harden_schema():
    """(direct URL, URL through the outage proxy) of a throw-away PostgreSQL schema."""
    with pg_schema("kc_harden") as (schema, direct):
        proxy = TcpProxy(5432).up()
        try:
            yield {
                "direct": direct,
                "proxied": direct.replace("@127.0.0.1:5432/", f"@127.0.0.1:{proxy.port}/"),
                "proxy": proxy,
                "schema": schema,
            }
        finally:
            proxy.down()


@pytest.fixture(scope="session")
def harden_zalo():
    fake = FakeZalo().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def harden_bot(harden_schema, harden_zalo, tmp_path_factory):
    from policy_kb.db import get_engine
    from policy_kb.loader import build

    build(get_engine(harden_schema["direct"]))
    tmp = tmp_path_factory.mktemp("harden")
    creds = tmp / "credentials.yml"
    creds.write_text(CREDENTIALS, encoding="utf-8")
    bot = HardenBot(
        tmp,
        harden_schema["proxied"],
        tracker_store_url=harden_schema["direct"],
        credentials=creds,
        extra_env={
            **zalo_env(harden_zalo),
            "LEAD_OUTBOX": str(tmp / "lead_outbox.jsonl"),
            "LEAD_OUTBOX_RETRY_SECONDS": "1",
            "KB_RETRY_SECONDS": "1",
        },
    )
    bot.schema = harden_schema
    bot.outbox = tmp / "lead_outbox.jsonl"
    try:
        bot.start()
        yield bot
    finally:
        bot.stop()
        bot.save_logs("harden")
