"""Per-sender rate limiting for the public channels (REST, Zalo, web widget).

A token bucket per sender, in memory: ``RATE_LIMIT_BURST`` messages at once (default 30), then
``RATE_LIMIT_PER_MINUTE`` (default 60) sustained. A person typing, even clicking buttons fast,
stays far below; a script flooding one conversation is slowed to one message a second and gets
one polite reply per ``RATE_LIMIT_NOTICE_SECONDS`` (default 60) instead of an answer each time.

Buckets live in the process (each replica limits on its own; the limits are per replica) and
at most ``RATE_LIMIT_SENDERS`` (default 100,000) are kept, least recently seen dropped first, so
random sender ids cannot exhaust memory. Limits per IP address belong in the reverse proxy in
front of the bot (the REST sender id is chosen by the client; Zalo requests all come from Zalo).
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Optional

LIMITED_REPLY = (
    "Dạ, anh/chị gửi tin nhắn nhanh quá nên em chưa kịp trả lời. Anh/chị vui lòng đợi một chút rồi gửi lại giúp em ạ."
)


def _env_float(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


@dataclass
class Decision:
    allowed: bool
    notify: bool = False  # limited, and the sender has not been told in this window
    retry_after: float = 0.0  # seconds until the next message would be accepted


class RateLimiter:
    def __init__(
        self,
        burst: Optional[float] = None,
        per_minute: Optional[float] = None,
        notice_seconds: Optional[float] = None,
        max_senders: Optional[int] = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst = burst if burst is not None else _env_float("RATE_LIMIT_BURST", 30)
        self.rate = (per_minute if per_minute is not None else _env_float("RATE_LIMIT_PER_MINUTE", 60)) / 60.0
        self.notice = notice_seconds if notice_seconds is not None else _env_float("RATE_LIMIT_NOTICE_SECONDS", 60)
        self.max_senders = int(max_senders if max_senders is not None else _env_float("RATE_LIMIT_SENDERS", 100_000))
        self.clock = clock
        self._lock = threading.Lock()
        # sender → [tokens, last refill time, notified until]
        self._buckets: "OrderedDict[str, list]" = OrderedDict()

    def check(self, sender: str) -> Decision:
        now = self.clock()
        with self._lock:
            bucket = self._buckets.pop(sender, None)
            if bucket is None:
                bucket = [self.burst, now, 0.0]
            tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
            bucket[1] = now
            if tokens >= 1:
                bucket[0] = tokens - 1
                decision = Decision(True)
            else:
                bucket[0] = tokens
                notify = now >= bucket[2]
                if notify:
                    bucket[2] = now + self.notice
                decision = Decision(False, notify, (1 - tokens) / self.rate)
            self._buckets[sender] = bucket
            while len(self._buckets) > self.max_senders:
                self._buckets.popitem(last=False)
            return decision


__all__ = ["Decision", "LIMITED_REPLY", "RateLimiter"]
