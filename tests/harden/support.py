"""Shared machinery of the hardening suite: the bot under test, a TCP proxy that plays a database
outage, the widget transport over raw engine.io polling, log scanning and the figures file that
``scripts/harden.py`` prints.

Budget: ``HARDEN_BUDGET=small`` (default, what ``make test`` / CI runs) or ``full`` (``make harden``:
at least 10,000 fuzz inputs in all).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import requests

from devtools.harden_report import FULL_FUZZ_EXAMPLES, render_table, verdict  # noqa: F401 - support.render_table
from tests.conftest import ARTIFACTS, ROOT, LiveBot, wait_http

BUDGET = os.environ.get("HARDEN_BUDGET", "small").strip().lower()
FULL = BUDGET == "full"
REPORT = Path(os.environ.get("HARDEN_REPORT") or ARTIFACTS / "harden.json")

# Hypothesis examples per fuzzed surface (the full budget's are in devtools/harden_report.py).
SMALL_FUZZ_EXAMPLES = {"REST webhook": 400, "Zalo webhook": 300, "widget transport": 250, "officer CLI": 250}
FUZZ_EXAMPLES = FULL_FUZZ_EXAMPLES if FULL else SMALL_FUZZ_EXAMPLES
LOAD_CONVERSATIONS = 200

KNOWLEDGE_QUESTION = "khuyến công là gì"
KNOWLEDGE_MARK = "Căn cứ"


# ----------------------------------------------------------------------------- figures file
# Kept in this process and written whole (atomically) after each change: another test run in the
# same tree cannot mix its figures into ours.
_report_lock = threading.Lock()
_figures: Dict[str, Any] = {}


def figures() -> Dict[str, Any]:
    return _figures


def record(section: str, name: str, **values: Any) -> None:
    """Merge ``values`` into ``figures[section][name]`` and rewrite the report file."""
    with _report_lock:
        _figures["budget"] = BUDGET
        _figures.setdefault(section, {}).setdefault(name, {}).update(values)
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        tmp = REPORT.with_name(f".{REPORT.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(_figures, ensure_ascii=False, indent=1), "utf-8")
        os.replace(tmp, REPORT)


def reset_report() -> None:
    with _report_lock:
        _figures.clear()
        if REPORT.exists():
            REPORT.unlink()


@contextmanager
def fault(name: str) -> Iterator[None]:
    """Record a fault as injected, and as survived only if the block's assertions pass."""
    record("faults", name, injected=1, survived=0)
    yield
    record("faults", name, survived=1)


# ------------------------------------------------------------------------------- the bot
class HardenBot(LiveBot):
    """LiveBot that can run both servers at DEBUG level, keep conversations in an SQL tracker
    store, and kill / pause / restart either process on the same port with the same arguments."""

    def __init__(
        self, tmp: Path, database_url: str, tracker_store_url: Optional[str] = None, debug: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(tmp, database_url, **kwargs)
        self.tracker_store_url = tracker_store_url
        self.debug = debug
        self.args: Dict[str, List[str]] = {}
        self.by_name: Dict[str, subprocess.Popen] = {}

    def _spawn(self, name: str, args: List[str]) -> subprocess.Popen:
        if name not in self.args:
            args = args + (["--debug"] if self.debug else [])
            if name == "rasa" and self.tracker_store_url:
                endpoints = self.tmp / "endpoints.yml"
                endpoints.write_text(
                    endpoints.read_text() + "tracker_store:\n  type: SQL\n"
                    f'  dialect: postgresql\n  url: "{self.tracker_store_url}"\n'
                )
            self.args[name] = args
        log = self.tmp / f"{name}.log"
        self.logs[name] = log
        proc = subprocess.Popen(
            self.args[name], cwd=ROOT, env=self.env, stdout=log.open("ab"), stderr=subprocess.STDOUT
        )
        self.procs = [p for p in self.procs if p is not self.by_name.get(name)] + [proc]
        self.by_name[name] = proc
        return proc

    def health_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.actions_port}/health" if name == "actions" else f"{self.url}/"

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.by_name[name]
        proc.send_signal(sig)
        if sig in (signal.SIGKILL, signal.SIGTERM):
            proc.wait(timeout=30)

    def restart(self, name: str, timeout: float = 180) -> None:
        proc = self.by_name[name]
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        proc = self._spawn(name, self.args[name])
        wait_http(self.health_url(name), timeout, proc)

    def set_debug(self, on: bool = True) -> None:
        """Restart both servers with (or without) ``--debug``."""
        for name in ("actions", "rasa"):
            args = [a for a in self.args[name] if a != "--debug"]
            self.args[name] = args + (["--debug"] if on else [])
            self.restart(name)
        self.debug = on

    def stop(self) -> None:
        for p in self.procs:  # a paused process would not see SIGTERM
            if p.poll() is None:
                p.send_signal(signal.SIGCONT)
        super().stop()

    def log_size(self) -> Dict[str, int]:
        return {name: path.stat().st_size if path.exists() else 0 for name, path in self.logs.items()}

    def log_since(self, offsets: Dict[str, int]) -> Dict[str, str]:
        out = {}
        for name, path in self.logs.items():
            with path.open("rb") as fh:
                fh.seek(offsets.get(name, 0))
                out[name] = fh.read().decode("utf-8", "replace")
        return out

    def answers_knowledge(self, sender: Optional[str] = None) -> bool:
        resp = self.ask(KNOWLEDGE_QUESTION, sender or f"alive-{uuid.uuid4().hex[:8]}")
        return resp.status_code == 200 and KNOWLEDGE_MARK in " ".join(m.get("text") or "" for m in resp.json())


_LEVEL = re.compile(r"^\S+ \S+ (ERROR|CRITICAL)\s")


def problems_in(text: str) -> List[str]:
    """Log lines that show an unhandled exception or an error."""
    return [
        line
        for line in text.splitlines()
        if "Traceback (most recent call last)" in line
        or _LEVEL.match(line)
        or "Exception occurred while handling uri" in line
        or "Unhandled exception" in line
    ]


# ------------------------------------------------------------------------ database outage
class TcpProxy:
    """127.0.0.1:<port> → target. ``down()`` resets every connection and refuses new ones (a
    crashed or restarting PostgreSQL); ``up()`` accepts again on the same port."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        from devtools.servers import free_port

        self.target = (target_host, target_port)
        self.port = free_port()
        self._lock = threading.Lock()
        self._conns: set = set()
        self._listener: Optional[socket.socket] = None
        self.is_up = False

    def up(self) -> "TcpProxy":
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        listener.settimeout(0.2)
        self._listener, self.is_up = listener, True
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def down(self) -> None:
        self.is_up = False
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            conns, self._conns = list(self._conns), set()
        for sock in conns:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                sock.close()  # RST
            except OSError:
                pass

    def _accept(self, listener: socket.socket) -> None:
        while self.is_up and self._listener is listener:
            try:
                client, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            with self._lock:
                self._conns.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            with self._lock:
                self._conns.discard(src)
                self._conns.discard(dst)


# --------------------------------------------------------------------- widget over engine.io
class Widget:
    """The web widget's transport without a browser: engine.io v4 long-polling, socket.io v5
    packets, the same events as web/widget.js (session_request, user_uttered → bot_uttered,
    bot_done)."""

    SEP = "\x1e"

    def __init__(self, base_url: str, session_id: Optional[str] = None) -> None:
        self.url = f"{base_url}/socket.io/"
        self.http = requests.Session()
        self.session_id = session_id or uuid.uuid4().hex
        self.sid: Optional[str] = None

    def _poll_url(self) -> str:
        return f"{self.url}?EIO=4&transport=polling&t={uuid.uuid4().hex[:7]}&sid={self.sid}"

    def open(self) -> "Widget":
        resp = self.http.get(f"{self.url}?EIO=4&transport=polling&t=x", timeout=10)
        resp.raise_for_status()
        self.sid = json.loads(resp.text[1:])["sid"]
        self.post("40")
        assert any(p.startswith("40") for p in self.receive(timeout=5)), "namespace not connected"
        self.emit("session_request", {"session_id": self.session_id})
        return self

    def post(self, payload: Any, content_type: str = "text/plain;charset=UTF-8") -> requests.Response:
        data = payload.encode("utf-8", "surrogatepass") if isinstance(payload, str) else payload
        return self.http.post(self._poll_url(), data=data, headers={"Content-Type": content_type}, timeout=30)

    def emit(self, event: str, data: Any) -> requests.Response:
        return self.post("42" + json.dumps([event, data], ensure_ascii=False))

    def receive(self, timeout: float = 10) -> List[str]:
        resp = self.http.get(self._poll_url(), timeout=timeout + 30)
        resp.raise_for_status()
        return [p for p in resp.text.split(self.SEP) if p]

    def events(self, until: str = "bot_done", timeout: float = 30) -> List[Any]:
        """socket.io events received until ``until`` (or the timeout)."""
        got: List[Any] = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            for packet in self.receive():
                if packet == "2":  # engine.io ping
                    self.post("3")
                elif packet.startswith("42"):
                    got.append(json.loads(packet[2:]))
                    if got[-1][0] == until:
                        return got
        return got

    def say(self, text: str, timeout: float = 30) -> str:
        self.emit("user_uttered", {"message": text, "session_id": self.session_id})
        return "\n".join(
            (e[1] or {}).get("text") or ""
            for e in self.events(timeout=timeout)
            if e[0] == "bot_uttered" and isinstance(e[1], dict)
        )

    def close(self) -> None:
        try:
            self.post("1")
        except requests.RequestException:
            pass
        self.http.close()
