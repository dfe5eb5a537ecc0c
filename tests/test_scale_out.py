"""Scale-out the way Rasa is deployed: two Rasa servers sharing a PostgreSQL tracker store and a
Redis lock store, one action server, knowledge base and leads on PostgreSQL (deploy/endpoints.yml).

Conversations run concurrently; each conversation's turns alternate between the two servers.
Every conversation must end in the same state as the same script on a single server, with no
event lost or duplicated, and every lead stored exactly once.
"""

import asyncio
import uuid
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import create_engine, text

from devtools.servers import ServerProcesses, action_server_args, deploy_env, rasa_server_args
from tests.conftest import PG_BASE, ROOT, ensure_model, free_port, wait_http

CONVERSATIONS = 16


def script(i: int):
    """A realistic mix; every second conversation ends with lead capture (unique phone)."""
    base = [
        ["xin chào", "Mua máy móc thiết bị được hỗ trợ bao nhiêu?", "ho kinh doanh co duoc ho tro khong"],
        ["kiểm tra điều kiện", "hợp tác xã", "làm bánh tráng", "Bình Phước", "xã Phú Riềng"],
        ["/estimate_support", "mua máy sấy", "800 triệu", "thủ tục thế nào"],
    ][i % 3]
    if i % 2 == 0:
        base = base + ["xưởng của tôi ở Hà Nội", "/leave_contact", "đồng ý", "Nguyễn Văn An", f"0912 345 {600 + i:03d}"]
    return base


class Cluster(ServerProcesses):
    """The action server and N Rasa replicas with deploy/endpoints.yml (PostgreSQL tracker store,
    Redis lock store)."""

    def __init__(self, tmp: Path, kb_url: str, tracker_db: str, redis_prefix: str) -> None:
        actions_port = free_port()
        super().__init__(tmp, kb_url, deploy_env(actions_port, tracker_db, redis_prefix))
        self.actions_port = actions_port
        self.ports = [free_port(), free_port()]

    def start(self, replicas: int) -> "Cluster":
        model = ensure_model()
        actions = self._spawn("actions", action_server_args(self.actions_port))
        endpoints, credentials = ROOT / "deploy" / "endpoints.yml", ROOT / "bot" / "credentials.yml"
        servers = [
            self._spawn(f"rasa{i}", rasa_server_args(model, endpoints, credentials, port, "--enable-api"))
            for i, port in enumerate(self.ports[:replicas])
        ]
        wait_http(f"http://127.0.0.1:{self.actions_port}/health", 120, actions)
        for port, proc in zip(self.ports, servers):
            wait_http(f"http://127.0.0.1:{port}/", 180, proc)
        self.urls = [f"http://127.0.0.1:{p}" for p in self.ports[:replicas]]
        return self


async def run_conversations(urls, prefix):
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:

        async def one(i):
            sender, replies = f"{prefix}-{i}", []
            for turn, message in enumerate(script(i)):
                url = urls[turn % len(urls)]  # alternate servers within the conversation
                async with session.post(
                    f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message}
                ) as resp:
                    assert resp.status == 200, await resp.text()
                    replies.append([m.get("text", "") for m in await resp.json()])
            return sender, replies

        return dict(await asyncio.gather(*(one(i) for i in range(CONVERSATIONS))))


async def fetch_trackers(url, senders):
    async with aiohttp.ClientSession() as session:
        out = {}
        for s in senders:
            async with session.get(f"{url}/conversations/{s}/tracker") as resp:
                out[s] = await resp.json()
        return out


def shape(tracker):
    """What must be identical across deployments: the sequence of user intents, actions, bot
    texts (personal data masked identically) and the final non-personal slots."""
    steps = []
    for e in tracker["events"]:
        if e["event"] == "user":
            steps.append(("user", e["text"], (e.get("parse_data") or {}).get("intent", {}).get("name")))
        elif e["event"] == "action":
            steps.append(("action", e["name"]))
        elif e["event"] == "bot":
            steps.append(("bot", e.get("text")))
    slots = {
        k: v
        for k, v in tracker["slots"].items()
        if k not in ("consent_at", "contact_name", "contact_phone", "consent", "requested_slot")
    }
    return steps, slots


@pytest.fixture(scope="module")
def databases(pg_url):
    from policy_kb.db import get_engine
    from policy_kb.loader import build

    build(get_engine(pg_url))
    tracker_dbs = [f"kc_tracker_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    yield pg_url, tracker_dbs
    admin = create_engine(PG_BASE, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for db in tracker_dbs:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}"'))
    admin.dispose()


def run_cluster(tmp, kb_url, tracker_db, replicas, prefix):
    cluster = Cluster(tmp, kb_url, tracker_db, f"kc-{uuid.uuid4().hex[:6]}:").start(replicas)
    try:
        replies = asyncio.run(run_conversations(cluster.urls, prefix))
        trackers = asyncio.run(fetch_trackers(cluster.urls[0], replies))
        for name, log in cluster.logs.items():
            assert "Traceback" not in log.read_text(errors="replace"), f"{name} logged an exception"
    finally:
        cluster.stop()
    return replies, trackers


def test_two_replicas_end_like_one_server_with_no_event_lost_and_leads_once(databases, tmp_path):
    kb_url, (single_db, shared_db) = databases
    one_replies, one_trackers = run_cluster(tmp_path / "one", kb_url, single_db, 1, "single")
    two_replies, two_trackers = run_cluster(tmp_path / "two", kb_url, shared_db, 2, "pair")

    for i in range(CONVERSATIONS):
        a, b = f"single-{i}", f"pair-{i}"
        assert two_replies[b] == one_replies[a], i  # same answers, turn by turn
        assert shape(two_trackers[b]) == shape(one_trackers[a]), i  # same final state
        users = [e for e in two_trackers[b]["events"] if e["event"] == "user"]
        assert [u["text"] for u in users] == script(i)  # nothing lost, nothing twice

    engine = create_engine(kb_url, future=True)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT conversation_id, count(*) FROM leads "
                "WHERE conversation_id LIKE 'pair-%' GROUP BY conversation_id"
            )
        ).all()
    engine.dispose()
    expected = {f"pair-{i}" for i in range(CONVERSATIONS) if i % 2 == 0}
    assert {c for c, _ in rows} == expected and all(n == 1 for _, n in rows)
