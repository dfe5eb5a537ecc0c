"""Benchmark our bot against a stock `rasa init` bot on this machine, in one run (make bench).

Configurations, each started fresh in a temporary directory (own SQLite database, own model
cache), all measured by the same load generator (scripts/loadgen.py: REST channel, a realistic
mix of knowledge questions, an eligibility check, an estimate and a lead):

* ``ours``          — the default deployment: Rasa server + separate action server;
* ``ours-inproc``   — actions run inside the Rasa server (endpoints ``actions_module``,
  bot/rasa_patches.py patch 8): one process;
* ``ours-2proc``    — two such Rasa processes behind nginx, sharing Redis as tracker and lock
  store (devtools.servers.ReplicaSet: deploy/'s scale-out topology on one machine); needs nginx;
* ``stock``         — ``rasa init``'s bot (DIET, TED, …), the baseline.

Measured: cold start (process start → first answer), full-turn latency p50/p95/p99 and
throughput at 1–50 concurrent conversations, each level repeated (min–median–max), the
knowledge-answer turn alone (p50/p95, one conversation), NLU parse latency, server RSS after
start and every 1,000 messages of a 10,000-message run (ours; both servers), full training and
retraining after one changed example. Progress goes to stderr, the table to stdout, the figures
to ``results/bench-<time>.json`` (and ``results/bench-latest.json``); Rasa's and TensorFlow's
own output goes to the servers' log files. ``--quick`` (development) runs in about two minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional

warnings.filterwarnings("ignore")
import aiohttp  # noqa: E402
import psutil  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from loadgen import run_load  # noqa: E402

from devtools.servers import LiveBot, ReplicaSet, free_port, nginx_binary, wait_http  # noqa: E402

RASA = str(Path(sys.executable).parent / "rasa")
ENV = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2", PYTHONWARNINGS="ignore")
RESULTS = ROOT / "results"
KNOWLEDGE = [
    "Mua máy móc thiết bị được hỗ trợ bao nhiêu?",
    "khuyen cong la gi",
    "hồ sơ gồm những gì",
    "hội chợ ở nước ngoài được hỗ trợ bao nhiêu",
    "ngành nghề nào được hỗ trợ",
    "thu tuc dang ky the nao",
    "đào tạo nghề được hỗ trợ bao nhiêu",
    "hộ kinh doanh có được hỗ trợ không",
]


def progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def machine() -> Dict[str, Any]:
    model = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import rasa

    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "rasa": rasa.__version__,
        "date": dt.datetime.now().isoformat(" ", "seconds"),
    }


def timed(cmd, cwd, env=None, log: Optional[Path] = None) -> float:
    t0 = time.perf_counter()
    with log.open("ab") if log else open(os.devnull, "wb") as out:
        proc = subprocess.run(cmd, cwd=cwd, env=env or ENV, stdout=out, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed (see {log})")
    return time.perf_counter() - t0


def rss_mb(pid: Optional[int]) -> float:
    if pid is None:
        return 0.0
    proc = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 2**20


async def first_answer(url: str, text: str, timeout: float = 240) -> None:
    deadline = time.perf_counter() + timeout
    async with aiohttp.ClientSession() as s:
        while time.perf_counter() < deadline:
            try:
                async with s.post(f"{url}/webhooks/rest/webhook", json={"sender": "cold", "message": text}) as r:
                    if r.status == 200 and await r.json():
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(url)


def pct(values: List[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def sequential(url: str, path: str, texts: List[str], n: int, body) -> Dict[str, float]:
    """One client, one request at a time: the latency of a turn without queueing."""
    lat = []
    async with aiohttp.ClientSession() as s:
        for i in range(n):
            t0 = time.perf_counter()
            async with s.post(f"{url}{path}", json=body(texts[i % len(texts)], i)) as r:
                await r.read()
                if r.status != 200:  # an error answered fast is not a fast answer
                    raise RuntimeError(f"{url}{path} answered {r.status}")
            lat.append((time.perf_counter() - t0) * 1000)
    return {"p50": statistics.median(lat), "p95": pct(lat, 0.95)}


def knowledge_turn(url: str, n: int) -> Dict[str, float]:
    return asyncio.run(
        sequential(url, "/webhooks/rest/webhook", KNOWLEDGE, n, lambda t, i: {"sender": f"kq-{i}", "message": t})
    )


def parse_latency(url: str, n: int) -> Dict[str, float]:
    texts = ["mua máy móc được hỗ trợ bao nhiêu", "ho kinh doanh co duoc khong", "hello", "thủ tục thế nào"]
    return asyncio.run(sequential(url, "/model/parse", texts, n, lambda t, i: {"text": t}))


def memory_over_time(url: str, pids: Dict[str, Optional[int]], total: int, every: int) -> List[Dict[str, float]]:
    samples = [{"messages": 0, **{k: round(rss_mb(p)) for k, p in pids.items()}}]
    sent = 0
    while sent < total:
        res = asyncio.run(run_load(url, 20, 3600, messages=every))
        sent += len(res.latencies_ms) + res.errors
        samples.append({"messages": sent, **{k: round(rss_mb(p)) for k, p in pids.items()}})
        progress(f"    {sent} messages: " + ", ".join(f"{k} {v} MB" for k, v in samples[-1].items() if k != "messages"))
    return samples


def train_ours(tmp: Path, log: Path) -> Dict[str, float]:
    """Full training from an empty cache, then retraining after one example is added."""
    data = tmp / "data"
    shutil.copytree(ROOT / "nlu_data" / "train", data / "train")
    shutil.copytree(ROOT / "nlu_data" / "lookups", data / "lookups")
    shutil.copytree(ROOT / "bot" / "data", data / "core")
    env = dict(ENV, RASA_CACHE_DIRECTORY=str(tmp / "cache"))
    cmd = [
        RASA,
        "train",
        "--config",
        str(ROOT / "config.yml"),
        "--domain",
        str(ROOT / "bot" / "domain"),
        "--data",
        str(data / "train"),
        str(data / "lookups"),
        str(data / "core"),
        "--out",
        str(tmp / "models"),
    ]
    full = timed(cmd, ROOT, env, log)
    with (data / "train" / "navigation.yml").open("a", encoding="utf-8") as fh:
        fh.write("      - cho em đọc thêm phần sau với\n")
    return {"full": full, "retrain": timed(cmd, ROOT, env, log)}


class StockBot:
    """`rasa init`'s bot; kept under var/bench/stock between runs (--quick reuses it)."""

    def __init__(self, home: Path, log: Path) -> None:
        self.dir, self.log = home, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: Optional[subprocess.Popen] = None
        self.procs: List[subprocess.Popen] = []

    def init_and_train(self, reuse: bool) -> Optional[float]:
        if reuse and list((self.dir / "models").glob("*.tar.gz")):
            return None
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.rmtree(self.dir.parent / "stock-cache", ignore_errors=True)  # a full run trains from scratch
        self.dir.mkdir(parents=True)
        env = dict(ENV, RASA_CACHE_DIRECTORY=str(self.dir.parent / "stock-cache"))
        return timed([RASA, "init", "--no-prompt", "--init-dir", str(self.dir)], self.dir.parent, env, self.log)

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                RASA,
                "run",
                "--enable-api",
                "--port",
                str(self.port),
                "--interface",
                "127.0.0.1",
                "-m",
                str(self.dir / "models"),
            ],
            cwd=self.dir,
            env=ENV,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        self.procs = [self.proc]
        wait_http(f"{self.url}/", 240, self.proc)

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=30)


def levels_of(url: str, levels: List[int], seconds: float, repeats: int, name: str) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for c in levels:
        runs = []
        for r in range(repeats):
            summary = asyncio.run(run_load(url, c, seconds)).summary()
            runs.append(summary)
            progress(
                f"  {name} c={c} run {r + 1}/{repeats}: {summary['msg_per_s']:.1f} msg/s, "
                f"p95 {summary['p95']:.0f} ms, errors {summary['errors']}"
            )
        out[str(c)] = {key: sorted(r[key] for r in runs) for key in ("msg_per_s", "p50", "p95", "p99", "errors")}
    return out


def run_config(name: str, start, url_of, pids_of, args, log: Path, long_run: bool) -> Dict[str, Any]:
    progress(f"{name}: starting")
    t0 = time.perf_counter()
    server = start()
    asyncio.run(first_answer(url_of(server), KNOWLEDGE[1]))
    result: Dict[str, Any] = {"cold_start_s": round(time.perf_counter() - t0, 1)}
    try:
        pids = pids_of(server)
        result["rss_start_mb"] = {k: round(rss_mb(p)) for k, p in pids.items()}
        result["knowledge_turn_ms"] = knowledge_turn(url_of(server), args.sequential)
        # /model/parse is Rasa's API, which a proxy never forwards: asked of one server directly
        result["parse_ms"] = parse_latency(getattr(server, "direct_url", url_of(server)), args.sequential)
        result["levels"] = levels_of(url_of(server), args.levels, args.seconds, args.repeats, name)
        if long_run:
            progress(f"{name}: memory over {args.memory_messages} messages")
            result["memory"] = memory_over_time(url_of(server), pids, args.memory_messages, args.memory_every)
        result["rss_end_mb"] = {k: round(rss_mb(p)) for k, p in pids.items()}
    finally:
        server.stop()
        with log.open("ab") as out:  # the servers' own output (Rasa, TensorFlow) for this configuration
            for proc_name, path in getattr(server, "logs", {}).items():
                if Path(path).exists():
                    out.write(f"\n===== {name} {proc_name} =====\n".encode() + Path(path).read_bytes())
    return result


def med(values: List[float]) -> float:
    return statistics.median(values)


def table(data: Dict[str, Any]) -> str:
    configs = [c for c in ("ours", "ours-inproc", "ours-2proc", "stock") if c in data["configs"]]
    procs = [
        p
        for p in ("rasa", "rasa-2", "actions")
        if any(p in r.get("rss_start_mb", {}) for r in data["configs"].values())
    ]
    r = data["configs"]
    lines = [
        f"machine: {data['machine']['cores']} cores, {data['machine']['cpu']}, Rasa {data['machine']['rasa']}, "
        f"{data['machine']['date']}; {data['args']['repeats']} run(s) per level of {data['args']['seconds']:.0f} s "
        "(median [min–max])",
        "",
    ]
    head = f"{'':<36}" + "".join(f"{c:>22}" for c in configs) + "    best vs stock"
    lines += [head, "-" * len(head)]

    def row(label: str, cells: List[str], ratio: str = "") -> None:
        lines.append(f"{label:<36}" + "".join(f"{c:>22}" for c in cells) + f"    {ratio}")

    def ratio(values: Dict[str, float], higher: bool) -> str:
        stock = values.get("stock")
        ours = {k: v for k, v in values.items() if k != "stock" and v}
        if not stock or not ours:
            return ""
        best_name = max(ours, key=ours.get) if higher else min(ours, key=ours.get)
        best = ours[best_name]
        return f"{(best / stock if higher else stock / best):.1f}× ({best_name})"

    for c in data["args"]["levels"]:
        c = str(c)
        for key, label, higher in (
            ("msg_per_s", "throughput msg/s", True),
            ("p50", "turn p50 ms", False),
            ("p95", "turn p95 ms", False),
            ("p99", "turn p99 ms", False),
        ):
            vals = {n: r[n]["levels"][c][key] for n in configs}
            fmt = "{:.1f}" if key == "msg_per_s" else "{:.0f}"
            cells = [f"{fmt.format(med(v))} [{fmt.format(v[0])}–{fmt.format(v[-1])}]" for v in vals.values()]
            row(f"{c:>2} users · {label}", cells, ratio({n: med(v) for n, v in vals.items()}, higher))
        errors = {n: sum(r[n]["levels"][c]["errors"]) for n in configs}
        if any(errors.values()):
            row(f"{c:>2} users · errors", [str(e) for e in errors.values()])
    for key, label in (
        ("knowledge_turn_ms", "knowledge turn alone p50 / p95 ms"),
        ("parse_ms", "NLU parse p50 / p95 ms"),
    ):
        row(label, [f"{r[n][key]['p50']:.1f} / {r[n][key]['p95']:.1f}" for n in configs])
    for when in ("rss_start_mb", "rss_end_mb"):
        for proc in procs:
            cells = [str(r[n][when].get(proc, "–")) if r[n][when].get(proc) else "–" for n in configs]
            row(f"RSS {proc} MB ({'after start' if when == 'rss_start_mb' else 'at the end'})", cells)
    for n in configs:
        if "memory" in r[n]:
            series = r[n]["memory"]
            for proc in procs:
                if series[0].get(proc):
                    lines.append(
                        f"memory {n} {proc} MB every {data['args']['memory_every']} msgs: "
                        + " ".join(str(s[proc]) for s in series)
                    )
    row(
        "cold start to first answer s",
        [f"{r[n]['cold_start_s']:.1f}" for n in configs],
        ratio({n: r[n]["cold_start_s"] for n in configs}, False),
    )
    if data.get("training"):
        t = data["training"]
        lines.append(
            f"{'full training s':<36}{t['ours']['full']:>22.1f}{'':>22}"
            f"{(t['stock'] if t.get('stock') else float('nan')):>22.1f}    (stock: rasa init incl. training)"
        )
        lines.append(f"{'retrain after one example s':<36}{t['ours']['retrain']:>22.1f}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--quick",
        action="store_true",
        help="development run (~2 min): fewer levels, shorter, "
        "no training, the cached stock bot, no in-process configuration",
    )
    ap.add_argument("--seconds", type=float, default=None, help="load duration per run (20; quick 6)")
    ap.add_argument("--levels", default=None, help="concurrency levels (1,10,20,50; quick 20,50)")
    ap.add_argument("--repeats", type=int, default=None, help="runs per level (3; quick 1)")
    ap.add_argument("--configs", default=None, help="ours,ours-inproc,ours-2proc,stock (quick: ours,stock)")
    args = ap.parse_args()
    q = args.quick
    args.seconds = args.seconds or (6 if q else 20)
    args.levels = [int(x) for x in (args.levels or ("20,50" if q else "1,10,20,50")).split(",")]
    args.repeats = args.repeats or (1 if q else 3)
    configs = (args.configs or ("ours,stock" if q else "ours,ours-inproc,ours-2proc,stock")).split(",")
    args.sequential = 40 if q else 200
    args.memory_messages = 1000 if q else 10_000
    args.memory_every = 250 if q else 1000

    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    log = RESULTS / f"bench-{stamp}.log"
    os.environ["KC_TRAIN_LOG"] = str(log)  # devtools.servers.ensure_model: training output to the log
    data: Dict[str, Any] = {"machine": machine(), "args": {k: v for k, v in vars(args).items()}, "configs": {}}
    progress(f"machine: {data['machine']['cores']} cores, {data['machine']['cpu']}; servers' output: {log}")
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        if not q:
            progress("training ours (full, then after one changed example)")
            data["training"] = {"ours": train_ours(tmp / "train", log)}
        stock = StockBot(ROOT / "var" / "bench" / "stock", log)
        if "stock" in configs:
            progress("rasa init + training the stock bot" + (" (cached)" if q else ""))
            stock_train = stock.init_and_train(reuse=q)
            if data.get("training") is not None:
                data["training"]["stock"] = stock_train

        from policy_kb.db import get_engine
        from policy_kb.loader import build

        db_url = f"sqlite:///{tmp / 'bench.db'}"
        build(get_engine(db_url))
        for name in configs:
            if name in ("ours", "ours-inproc"):
                inproc = name == "ours-inproc"

                def start(inproc=inproc, name=name):
                    (tmp / name).mkdir(exist_ok=True)
                    bot = LiveBot(tmp / name, db_url)
                    return bot.start(enable_api=True, in_process_actions=inproc)

                def pids(bot, inproc=inproc):
                    rasa_proc = bot.procs[-1]
                    return {"rasa": rasa_proc.pid, **({} if inproc else {"actions": bot.procs[0].pid})}

                data["configs"][name] = run_config(name, start, lambda b: b.url, pids, args, log, long_run=True)
            elif name == "ours-2proc":
                if nginx_binary() is None:
                    progress("ours-2proc: skipped (nginx is not installed: apt-get install nginx-light)")
                    continue

                def start_replicas():
                    return ReplicaSet(tmp / name, db_url, replicas=2, tracker="redis").start()

                def replica_pids(rs):
                    return {"rasa": rs.rasa_procs[0].pid, "rasa-2": rs.rasa_procs[1].pid}

                data["configs"][name] = run_config(
                    name, start_replicas, lambda b: b.url, replica_pids, args, log, long_run=True
                )
            elif name == "stock":

                def start_stock():
                    stock.start()
                    return stock

                data["configs"]["stock"] = run_config(
                    "stock", start_stock, lambda b: b.url, lambda b: {"rasa": b.proc.pid}, args, log, long_run=False
                )
    text = table(data)
    print(text)
    out = RESULTS / f"bench-{stamp}.json"
    out.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    (RESULTS / "bench-latest.json").write_text(out.read_text(encoding="utf-8"), encoding="utf-8")
    progress(f"figures: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
