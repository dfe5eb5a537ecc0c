"""REST channel that validates its input (Rasa's own returns 500 on e.g. a JSON list body).

Same contract as Rasa's ``rest`` channel, same URL (``/webhooks/rest/webhook``):
``{"sender": "...", "message": "...", "metadata": {...}}`` → ``[{"recipient_id", "text", "buttons"?}]``.
Malformed requests get a 4xx with a JSON error; empty or over-long text gets a polite reply.
A sender over its rate limit (``ratelimit.py``) gets HTTP 429 with ``Retry-After`` and the same
list-of-messages body holding a polite reply: scripts and monitoring see the standard status, a
chat front end that just shows the messages still shows something sensible.

Live handover (issue 13): REST has no push, so an officer's replies to a REST conversation are
queued in ``handover_pending_replies`` (``lead_store.handovers``) and returned with that sender's
next request, each exactly once and before the bot's own replies, as
``{"recipient_id", "text", "custom": {"from": "officer"}}``. While the conversation is handed
over the bot itself says nothing, so such a request usually returns only the officer's replies
(or ``[]``).

Cost: the queue is almost always empty, so a request does not look it up per sender while a
process-wide "is anything queued at all" answer is fresh (``REST_REPLY_CHECK_SECONDS``, 1 s; a
profile under load had the per-request lookup at a fifth of the server's busy time). An
officer's reply appended through this process (Rasa's API calls :meth:`SafeRestInput.
get_output_channel`) refreshes it at once; on another replica it is at most that old.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.guard import FAILURE_REPLY, clean_text, limit_request_size, parse_json, screen
from bot.channels.ratelimit import LIMITED_REPLY, RateLimiter
from lead_store import handovers
from policy_kb.db import get_engine

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
MAX_SENDER_CHARS = 128


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def parse_body(body: bytes) -> tuple[Optional[Dict[str, Any]], Optional[HTTPResponse]]:
    if len(body) > MAX_BODY_BYTES:
        return None, _error(413, f"request body larger than {MAX_BODY_BYTES} bytes")
    try:
        data = parse_json(body or b"")
    except ValueError:
        return None, _error(400, 'body must be a JSON object: {"sender": ..., "message": ...}')
    if not isinstance(data, dict):
        return None, _error(400, 'body must be a JSON object: {"sender": ..., "message": ...}')
    sender = data.get("sender")
    if isinstance(sender, int) and not isinstance(sender, bool):
        sender = str(sender)
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS or not sender.isprintable():
        return None, _error(
            400, f"'sender' must be a non-empty printable string of at most {MAX_SENDER_CHARS} characters"
        )
    message = data.get("message")
    if message is not None and not isinstance(message, str):
        return None, _error(400, "'message' must be a string")
    metadata = data.get("metadata")
    return {
        "sender": sender.strip(),
        "message": clean_text(message or ""),
        "metadata": metadata if isinstance(metadata, dict) else None,
    }, None


OFFICER_LABEL = {"from": "officer"}


class QueuedRepliesIndex:
    """Whether any officer reply is queued at all, re-read at most every ``ttl`` seconds."""

    def __init__(self, ttl: Optional[float] = None) -> None:
        try:
            self.ttl = float(os.environ.get("REST_REPLY_CHECK_SECONDS", "1")) if ttl is None else ttl
        except ValueError:
            self.ttl = 1.0
        self._checked_at = float("-inf")
        self._any = True
        self._hot_until = float("-inf")
        self._lock = threading.Lock()

    def known_empty(self) -> bool:
        now = time.monotonic()
        return not self._any and now - self._checked_at < self.ttl and now >= self._hot_until

    def refresh(self, engine) -> bool:
        with self._lock:
            now = time.monotonic()
            if now < self._hot_until:
                return True  # a reply was just appended here: look per request for a while
            if now - self._checked_at >= self.ttl:
                self._any = handovers.any_rest_replies(engine)
                self._checked_at = time.monotonic()
            return self._any

    def invalidate(self, hot_seconds: float = 10.0) -> None:
        """An officer's reply is being appended through this process; the console queues it
        right after, so look per request for the next ``hot_seconds`` instead of caching."""
        self._any = True
        self._hot_until = time.monotonic() + hot_seconds


queued_replies = QueuedRepliesIndex()


class _OfficerReplySignal(CollectingOutputChannel):
    """What Rasa's API finds for a REST conversation (``output_channel=latest``): nothing can be
    pushed, but an officer's reply has just been queued, so the index must look again."""

    async def _persist_message(self, message: Dict[Text, Any]) -> None:
        queued_replies.invalidate()
        await super()._persist_message(message)


def _take_officer_replies(sender: str) -> list:
    """The officer replies queued for ``sender`` (removed from the queue), as REST messages."""
    engine = get_engine()
    if not queued_replies.refresh(engine) or not handovers.has_rest_replies(engine, sender):
        return []  # the usual case: no transaction, no DELETE
    texts = handovers.take_rest_replies(engine, sender)
    return [{"recipient_id": sender, "text": text, "custom": dict(OFFICER_LABEL)} for text in texts]


async def officer_replies(sender: str) -> list:
    """Same, off the event loop (a synchronous database call); [] when the database fails (the
    replies then stay queued for the next request)."""
    if queued_replies.known_empty():
        return []
    try:
        return await asyncio.get_running_loop().run_in_executor(None, _take_officer_replies, sender)
    except Exception as exc:  # noqa: BLE001 - the bot's own answer must still go out
        logger.warning("rest: officer replies not read (%s)", type(exc).__name__)
        return []


class SafeRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    limiter: Optional[RateLimiter] = None

    def get_output_channel(self) -> CollectingOutputChannel:
        return _OfficerReplySignal()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("safe_rest_webhook", __name__)
        limit_request_size(bp)
        self.limiter = self.limiter or RateLimiter()

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            data, error = parse_body(request.body)
            if error is not None:
                return error
            decision = self.limiter.check(data["sender"])
            if not decision.allowed:
                return response.json(
                    [{"recipient_id": data["sender"], "text": LIMITED_REPLY}],
                    status=429,
                    headers={"Retry-After": str(max(1, round(decision.retry_after)))},
                )
            officer = await officer_replies(data["sender"])
            reply = screen(data["message"])
            if reply is not None:
                return response.json(officer + [{"recipient_id": data["sender"], **reply}])
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        data["message"], collector, data["sender"], input_channel=self.name(), metadata=data["metadata"]
                    )
                )
            except Exception:
                # Never echo user text here: it may hold personal data.
                logger.exception("error while handling a REST message")
                return response.json(officer + [{"recipient_id": data["sender"], "text": FAILURE_REPLY}])
            return response.json(officer + collector.messages)

        return bp
