"""aiohttp load generator for the REST channel: N concurrent conversations, a realistic mix.

Each virtual user runs one conversation script after another (knowledge questions with and
without diacritics, support levels, an eligibility check, lead capture), waiting for each reply
before sending the next message, like a person would (without the think time).
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Sequence

import aiohttp

SCRIPTS: List[Sequence[str]] = [
    ["xin chào", "Mua máy móc thiết bị được hỗ trợ bao nhiêu?", "cảm ơn"],
    ["khuyen cong la gi", "ho kinh doanh co duoc ho tro khong", "thu tuc the nao"],
    ["ngành nghề nào được hỗ trợ", "hồ sơ gồm những gì", "hội chợ ở nước ngoài được hỗ trợ bao nhiêu"],
    ["kiểm tra điều kiện", "hộ kinh doanh", "làm bánh tráng", "Bình Phước", "xã Phú Riềng"],
    ["/estimate_support", "mua máy sấy", "800 triệu"],
    ["xưởng của tôi ở Hà Nội", "/leave_contact", "đồng ý", "Nguyễn Văn An", "0912 345 678"],
    ["mức hỗ trợ mô hình trình diễn", "vi sao moi tinh muc ho tro khac nhau", "tạm biệt"],
]


@dataclass
class LoadResult:
    concurrency: int
    latencies_ms: List[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> Dict[str, float]:
        return {
            "p50": statistics.median(self.latencies_ms) if self.latencies_ms else float("nan"),
            "p95": self.pct(0.95),
            "p99": self.pct(0.99),
            "msg_per_s": self.throughput,
            "errors": self.errors,
            "messages": len(self.latencies_ms),
        }


async def _user(
    session: aiohttp.ClientSession,
    url: str,
    result: LoadResult,
    deadline: float,
    scripts: itertools.cycle,
    budget: "List[int] | None" = None,
) -> None:
    while time.perf_counter() < deadline:
        sender = f"load-{uuid.uuid4().hex[:12]}"
        for text in next(scripts):
            if time.perf_counter() >= deadline:
                return
            if budget is not None:  # a fixed number of messages shared by all users
                if budget[0] <= 0:
                    return
                budget[0] -= 1
            t0 = time.perf_counter()
            try:
                async with session.post(url, json={"sender": sender, "message": text}) as resp:
                    await resp.read()
                    ok = resp.status == 200
            except (aiohttp.ClientError, asyncio.TimeoutError):
                ok = False
            if ok:
                result.latencies_ms.append((time.perf_counter() - t0) * 1000)
            else:
                result.errors += 1


async def run_load(base_url: str, concurrency: int, seconds: float, messages: "int | None" = None) -> LoadResult:
    """Keep ``concurrency`` conversations going for ``seconds`` (or until ``messages`` have been
    sent); measure every reply."""
    url = f"{base_url}/webhooks/rest/webhook"
    result = LoadResult(concurrency)
    budget = [messages] if messages is not None else None
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=concurrency + 5)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        start = time.perf_counter()
        deadline = start + seconds
        offsets = [
            itertools.cycle(SCRIPTS[i % len(SCRIPTS) :] + SCRIPTS[: i % len(SCRIPTS)]) for i in range(concurrency)
        ]
        await asyncio.gather(*(_user(session, url, result, deadline, offsets[i], budget) for i in range(concurrency)))
        result.seconds = time.perf_counter() - start
    return result
