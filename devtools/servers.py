"""The bot's real servers as subprocesses, for the tests and the scripts alike.

:class:`LiveBot` starts the action server and the Rasa server (REST channel) on free ports with
the trained model (:func:`ensure_model` runs ``scripts/train.sh``, cached) and its own database;
:func:`free_port` and :func:`wait_http` are the small helpers it is built on. ``tests/conftest.py``
builds its fixtures on these; ``scripts/bench.py`` starts the same stack to measure it, and
:class:`ReplicaSet` (several Rasa processes behind nginx, sharing Redis) for its multi-process
configuration; all of them are :class:`ServerProcesses`. :func:`action_server_args` and
:func:`rasa_server_args` are the one home of the servers' command lines, :func:`deploy_env` of the
variables deploy/endpoints.yml reads.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "khuyencong.tar.gz"
ARTIFACTS = ROOT / "tests" / "artifacts"


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
    log = os.environ.get("KC_TRAIN_LOG")  # scripts/bench.py: Rasa's output to its log, not the terminal
    with open(log, "ab") if log else open(os.devnull, "wb") as quiet:
        subprocess.run(
            [str(ROOT / "scripts" / "train.sh")],
            cwd=ROOT,
            check=True,
            stdout=quiet if log else subprocess.DEVNULL,
            stderr=quiet if log else None,
        )
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


def action_server_args(port: int) -> List[str]:
    """The action server's command line. ``python -m rasa_sdk`` is what ``rasa run actions`` runs,
    without importing Rasa itself first (≈ 40 MB and 0.4 s less; issue 15)."""
    return [str(VENV_BIN / "python"), "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)]


def rasa_server_args(model: Path, endpoints: Path, credentials: Path, port: int, *extra: str) -> List[str]:
    """The Rasa server's command line: ``python -m bot.serve run`` is ``rasa run`` without importing
    TensorFlow (bot/no_tensorflow.py), as scripts/run.sh, the Dockerfile and Helm start it."""
    return [
        str(VENV_BIN / "python"),
        "-m",
        "bot.serve",
        "run",
        "--model",
        str(model),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(credentials),
        "--port",
        str(port),
        "--interface",
        "127.0.0.1",
        *extra,
    ]


def deploy_env(actions_port: int, tracker_db: str, redis_prefix: str) -> Dict[str, str]:
    """The variables deploy/endpoints.yml reads, for this machine's PostgreSQL and Redis."""
    return {
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
        "TRACKER_DB_HOST": "127.0.0.1",
        "TRACKER_DB_PORT": "5432",
        "TRACKER_DB_NAME": tracker_db,
        "TRACKER_DB_USER": "postgres",
        "TRACKER_DB_PASSWORD": "",
        "TRACKER_DB_LOGIN_DB": "test",
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": "6379",
        "REDIS_DB": "0",
        "REDIS_KEY_PREFIX": redis_prefix,
    }


class ServerProcesses:
    """The processes of one stack (the servers of a test or of a benchmark configuration): one
    environment, a log file each under ``tmp``, stopped together."""

    def __init__(self, tmp: Path, database_url: str, extra_env: Optional[Dict[str, str]] = None) -> None:
        self.tmp = tmp
        tmp.mkdir(parents=True, exist_ok=True)
        self.env = dict(
            os.environ,
            DATABASE_URL=database_url,
            RASA_TELEMETRY_ENABLED="false",
            TF_CPP_MIN_LOG_LEVEL="2",
            PYTHONWARNINGS="ignore",
            **(extra_env or {}),
        )
        self.procs: List[subprocess.Popen] = []
        self.logs: Dict[str, Path] = {}

    def _spawn(self, name: str, args: List[str]) -> subprocess.Popen:
        if os.environ.get("KC_NO_SERVERS"):  # `make test-fast`: a server test that escaped its marker
            import pytest  # only ever set under pytest; scripts never set it

            pytest.fail(
                "this test starts the bot's servers: mark it @pytest.mark.server or give it one of "
                "the fixtures in SERVER_FIXTURES (tests/conftest.py); it ran under KC_NO_SERVERS"
            )
        log = self.tmp / f"{name}.log"
        self.logs[name] = log
        proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def alive(self) -> bool:
        return all(p.poll() is None for p in self.procs)

    def stop(self) -> None:
        stop_processes(self.procs)

    def save_logs(self, prefix: str = "") -> None:
        """Copy the servers' logs to tests/artifacts/ (CI keeps them when a test fails)."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name, log in self.logs.items():
            if log.exists():
                (ARTIFACTS / f"{prefix}{'-' if prefix else ''}{name}.log").write_bytes(log.read_bytes())


class LiveBot(ServerProcesses):
    """The real action server + Rasa server (REST channel) as subprocesses."""

    def __init__(
        self,
        tmp: Path,
        database_url: str,
        credentials: Optional[Path] = None,
        extra_env: Optional[Dict[str, str]] = None,
    ) -> None:
        super().__init__(tmp, database_url, extra_env)
        self.credentials = credentials or ROOT / "bot" / "credentials.yml"
        self.actions_port, self.rasa_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.rasa_port}"

    def start(self, enable_api: bool = False, in_process_actions: bool = False) -> "LiveBot":
        """``in_process_actions``: no action server; Rasa runs the actions itself (rasa_patches 8)."""
        endpoints = self.tmp / "endpoints.yml"
        where = (
            "  actions_module: actions\n"
            if in_process_actions
            else f'  url: "http://127.0.0.1:{self.actions_port}/webhook"\n'
        )
        endpoints.write_text(f"action_endpoint:\n{where}  enable_selective_domain: true\n")
        actions = None if in_process_actions else self._spawn("actions", action_server_args(self.actions_port))
        rasa = self._spawn(
            "rasa",
            rasa_server_args(
                ensure_model(), endpoints, self.credentials, self.rasa_port, *(["--enable-api"] if enable_api else [])
            ),
        )
        if actions is not None:
            wait_http(f"http://127.0.0.1:{self.actions_port}/health", 120, actions)
        wait_http(f"{self.url}/", 180, rasa)
        return self

    def ask(
        self, text: Any, sender: str = "tester", raw: Optional[bytes] = None, content_type: str = "application/json"
    ):
        import requests

        if raw is None:
            return requests.post(
                f"{self.url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60
            )
        return requests.post(
            f"{self.url}/webhooks/rest/webhook", data=raw, headers={"Content-Type": content_type}, timeout=60
        )

    def texts(self, text: str, sender: str = "tester") -> str:
        resp = self.ask(text, sender)
        assert resp.status_code == 200, resp.text
        return "\n".join(m.get("text") or "" for m in resp.json())


NGINX_CONF = """\
# written by devtools.servers.ReplicaSet: deploy/nginx.conf's routing for the REST channel
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/nginx-body;
    proxy_temp_path {tmp}/nginx-proxy;
    fastcgi_temp_path {tmp}/nginx-fastcgi;
    uwsgi_temp_path {tmp}/nginx-uwsgi;
    scgi_temp_path {tmp}/nginx-scgi;
    upstream rasa {{
{servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 64k;
        proxy_read_timeout 60s;
        location /webhooks/ {{
            proxy_pass http://rasa;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
        location = / {{
            proxy_pass http://rasa;
        }}
        location / {{
            return 404;
        }}
    }}
}}
"""


def nginx_binary() -> Optional[str]:
    """nginx's path (Debian puts it in /usr/sbin, often not on a user's PATH), or None."""
    import shutil

    return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


class ReplicaSet(ServerProcesses):
    """Several Rasa servers (custom actions in each, rasa_patches 8) sharing one tracker store and
    Redis locks, behind nginx: deploy/'s scale-out topology on one machine, as ``scripts/bench.py``
    measures it. ``tracker``: ``"redis"`` (Rasa's RedisTrackerStore) or ``"sql"`` (PostgreSQL,
    deploy/endpoints.yml's choice). Any replica may take any message of any conversation; the
    lock store keeps each conversation's messages in order."""

    def __init__(
        self,
        tmp: Path,
        database_url: str,
        replicas: int = 2,
        tracker: str = "redis",
        pg_url: str = "postgresql://postgres@127.0.0.1:5432/test",
        redis_db: int = 0,
    ) -> None:
        import uuid

        super().__init__(tmp, database_url)
        self.nginx = nginx_binary()
        self.replicas, self.tracker, self.redis_db = replicas, tracker, redis_db
        self.prefix = f"kc{uuid.uuid4().hex[:10]}"  # alphanumeric: Rasa ignores other key prefixes
        self.pg_url = pg_url
        self.ports = [free_port() for _ in range(replicas)]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"  # nginx: the channels, as deploy/nginx.conf
        self.direct_url = f"http://127.0.0.1:{self.ports[0]}"  # one replica, with its HTTP API
        self.rasa_procs: List[subprocess.Popen] = []
        self._schema: Optional[str] = None

    def _tracker_store(self) -> str:
        if self.tracker == "redis":
            return (
                f"tracker_store:\n  type: redis\n  url: 127.0.0.1\n  port: 6379\n  db: {self.redis_db}\n"
                f"  key_prefix: {self.prefix}\n"
            )
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        url = make_url(self.pg_url)
        self._schema = self.prefix
        # Rasa substitutes ${VAR} in endpoints.yml: the password stays out of the file
        self.env["KC_TRACKER_DB_PASSWORD"] = url.password or ""
        engine = create_engine(self.pg_url, future=True, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.prefix}"'))
        engine.dispose()
        return (
            f"tracker_store:\n  type: SQL\n  dialect: postgresql\n  url: {url.host}\n  port: {url.port or 5432}\n"
            f"  db: {self.prefix}\n  username: {url.username}\n  password: ${{KC_TRACKER_DB_PASSWORD}}\n"
            f"  login_db: {url.database}\n"
        )

    def start(self) -> "ReplicaSet":
        if self.nginx is None:
            raise RuntimeError("nginx is not installed (apt-get install nginx-light)")
        endpoints = self.tmp / "endpoints.yml"
        endpoints.write_text(
            "action_endpoint:\n  actions_module: actions\n  enable_selective_domain: true\n"
            + self._tracker_store()
            + f"lock_store:\n  type: redis\n  url: 127.0.0.1\n  port: 6379\n  db: {self.redis_db}\n"
            f"  key_prefix: {self.prefix}\n"
        )
        model = ensure_model()
        for i, port in enumerate(self.ports):
            # --enable-api: loopback only; nginx forwards the channels, never the API
            credentials = ROOT / "bot" / "credentials.yml"
            self.rasa_procs.append(
                self._spawn(f"rasa{i}", rasa_server_args(model, endpoints, credentials, port, "--enable-api"))
            )
        conf = self.tmp / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                tmp=self.tmp, port=self.port, servers="\n".join(f"        server 127.0.0.1:{p};" for p in self.ports)
            )
        )
        self._spawn("nginx", [self.nginx, "-c", str(conf), "-p", str(self.tmp), "-g", "daemon off;"])
        for port, proc in zip(self.ports, self.rasa_procs):
            wait_http(f"http://127.0.0.1:{port}/", 180, proc)
        wait_http(f"{self.url}/", 30, self.procs[-1])
        return self

    def stop(self) -> None:
        super().stop()
        if self.tracker == "redis":
            import redis

            client = redis.Redis(host="127.0.0.1", port=6379, db=self.redis_db)
            for key in client.scan_iter(f"{self.prefix}*"):
                client.delete(key)
        elif self._schema:
            from sqlalchemy import create_engine, text

            engine = create_engine(self.pg_url, future=True, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self._schema}"'))
            engine.dispose()
