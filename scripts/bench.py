"""Benchmark our bot against a stock `rasa init` bot on this machine, in one run (make bench).

Prints one table: full-turn latency p50/p95/p99 and throughput through the REST channel at
1, 10, 20 and 50 concurrent conversations (scripts/loadgen.py mix), NLU parse latency, RSS of
the Rasa server and the action server, cold start to first answer, full training time, and
retraining time after one training example changes — ours and stock side by side, with ratios.
Everything runs in temporary directories (own SQLite database, own model cache).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from loadgen import run_load  # noqa: E402
from devtools.servers import LiveBot, free_port, wait_http  # noqa: E402

RASA = str(Path(sys.executable).parent / "rasa")
ENV = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2", PYTHONWARNINGS="ignore")


def timed(cmd, cwd, env=None) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env or ENV, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} failed:\n{proc.stdout[-1500:]}\n{proc.stderr[-1500:]}")
    return time.perf_counter() - t0


def rss_mb(pid: int) -> float:
    proc = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 2**20


async def first_answer(url: str, text: str, timeout: float = 180) -> None:
    deadline = time.perf_counter() + timeout
    async with aiohttp.ClientSession() as s:
        while time.perf_counter() < deadline:
            try:
                async with s.post(f"{url}/webhooks/rest/webhook", json={"sender": "cold", "message": text}) as r:
                    if r.status == 200 and await r.json():
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError(url)


async def parse_latency(url: str, n: int = 100) -> tuple:
    texts = ["mua máy móc được hỗ trợ bao nhiêu", "ho kinh doanh co duoc khong", "hello", "thủ tục thế nào"]
    lat = []
    async with aiohttp.ClientSession() as s:
        for i in range(n):
            t0 = time.perf_counter()
            async with s.post(f"{url}/model/parse", json={"text": texts[i % len(texts)]}) as r:
                await r.read()
            lat.append((time.perf_counter() - t0) * 1000)
    lat.sort()
    return statistics.median(lat), lat[int(0.95 * (len(lat) - 1))]


def train_ours(tmp: Path) -> tuple:
    """Full training from an empty cache, then retraining after one example is added."""
    data = tmp / "data"
    shutil.copytree(ROOT / "nlu_data" / "train", data / "train")
    shutil.copytree(ROOT / "nlu_data" / "lookups", data / "lookups")
    shutil.copytree(ROOT / "bot" / "data", data / "core")
    env = dict(ENV, RASA_CACHE_DIRECTORY=str(tmp / "cache"))
    cmd = [RASA, "train", "--config", str(ROOT / "config.yml"), "--domain", str(ROOT / "bot" / "domain"),
           "--data", str(data / "train"), str(data / "lookups"), str(data / "core"), "--out", str(tmp / "models")]
    full = timed(cmd, ROOT, env)
    with (data / "train" / "navigation.yml").open("a", encoding="utf-8") as fh:
        fh.write("      - cho em đọc thêm phần sau với\n")
    retrain = timed(cmd, ROOT, env)
    return full, retrain


class StockBot:
    def __init__(self, tmp: Path) -> None:
        self.dir = tmp / "stock"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def init_and_train(self) -> float:
        self.dir.mkdir(parents=True)
        env = dict(ENV, RASA_CACHE_DIRECTORY=str(self.dir.parent / "stock-cache"))
        return timed([RASA, "init", "--no-prompt", "--init-dir", str(self.dir)], self.dir.parent, env)

    def start(self) -> None:
        self.proc = subprocess.Popen([RASA, "run", "--enable-api", "--port", str(self.port), "--interface", "127.0.0.1",
                                      "-m", str(self.dir / "models")], cwd=self.dir, env=ENV,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def measure(name: str, url: str, levels, seconds: float, rows: dict, pids: dict) -> None:
    for c in levels:
        res = asyncio.run(run_load(url, c, seconds))
        rows.setdefault(f"c={c}", {})[name] = res.summary()
        print(f"  {name} c={c}: {res.summary()}", file=sys.stderr, flush=True)
    rows.setdefault("parse", {})[name] = asyncio.run(parse_latency(url))
    rows.setdefault("rss", {})[name] = {k: rss_mb(pid) for k, pid in pids.items()}


def fmt_ratio(ours: float, stock: float, higher_better: bool) -> str:
    if not stock or not ours:
        return ""
    r = ours / stock if higher_better else stock / ours
    return f"{r:5.1f}×"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=20, help="load duration per concurrency level")
    ap.add_argument("--levels", default="1,10,20,50")
    args = ap.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    rows: dict = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        print("training ours (full, then after one changed example)…", file=sys.stderr, flush=True)
        full, retrain = train_ours(tmp / "ours")
        stock = StockBot(tmp)
        print("rasa init + training the stock bot…", file=sys.stderr, flush=True)
        stock_train = stock.init_and_train()

        from policy_kb.db import get_engine
        from policy_kb.loader import build
        db_url = f"sqlite:///{tmp / 'bench.db'}"
        build(get_engine(db_url))
        ours = LiveBot(tmp, db_url)
        t0 = time.perf_counter()
        ours.start(enable_api=True)
        asyncio.run(first_answer(ours.url, "Khuyến công là gì?"))
        cold_ours = time.perf_counter() - t0
        try:
            measure("ours", ours.url, levels, args.seconds, rows,
                    {"rasa": ours.procs[1].pid, "actions": ours.procs[0].pid})
        finally:
            ours.stop()

        t0 = time.perf_counter()
        stock.start()
        wait_http(f"{stock.url}/", 180, stock.proc)
        asyncio.run(first_answer(stock.url, "hello"))
        cold_stock = time.perf_counter() - t0
        try:
            measure("stock", stock.url, levels, args.seconds, rows, {"rasa": stock.proc.pid})
        finally:
            stock.stop()

    print(f"\n{'':<34}{'ours':>12}{'stock':>12}{'ours vs stock':>15}")
    for c in levels:
        o, s = rows[f"c={c}"]["ours"], rows[f"c={c}"]["stock"]
        for key, label in (("p50", "p50 ms"), ("p95", "p95 ms"), ("p99", "p99 ms")):
            print(f"{f'{c:>2} users · turn {label}':<34}{o[key]:12.0f}{s[key]:12.0f}{fmt_ratio(o[key], s[key], False):>15}")
        print(f"{f'{c:>2} users · throughput msg/s':<34}{o['msg_per_s']:12.1f}{s['msg_per_s']:12.1f}"
              f"{fmt_ratio(o['msg_per_s'], s['msg_per_s'], True):>15}")
        if o["errors"] or s["errors"]:
            print(f"{f'{c:>2} users · errors':<34}{o['errors']:12d}{s['errors']:12d}")
    po, ps = rows["parse"]["ours"], rows["parse"]["stock"]
    print(f"{'NLU parse p50 / p95 ms':<34}{f'{po[0]:.1f} / {po[1]:.1f}':>12}{f'{ps[0]:.1f} / {ps[1]:.1f}':>12}")
    ro, rs = rows["rss"]["ours"], rows["rss"]["stock"]
    print(f"{'RSS Rasa server MB':<34}{ro['rasa']:12.0f}{rs['rasa']:12.0f}")
    print(f"{'RSS action server MB':<34}{ro['actions']:12.0f}{'(none)':>12}")
    print(f"{'cold start to first answer s':<34}{cold_ours:12.1f}{cold_stock:12.1f}")
    print(f"{'full training s':<34}{full:12.1f}{stock_train:12.1f}   (stock: rasa init incl. training)")
    print(f"{'retrain after one example s':<34}{retrain:12.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
