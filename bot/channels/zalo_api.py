"""Zalo OA API v3 client and the Rasa output channel that uses it.

* One ``aiohttp.ClientSession`` per client, created lazily inside the running event loop and
  closed when the server stops; every request has a timeout.
* Retries with exponential backoff (plus jitter) on network errors, timeouts and HTTP 5xx only.
  A 4xx, or a Zalo error code in a 200 body, is final, except an expired/invalid access token
  (refreshed once, then retried).
* Never the same message twice. Zalo has no idempotency key for /message/cs, and a request that
  timed out, lost its connection or got a 5xx may still have been delivered. So before any
  resend we ask Zalo for the last messages of the conversation (``GET /v2.0/oa/conversation``)
  and resend only when the message is not there. After a timeout or a dropped connection the
  request may still be in flight at Zalo: we look again for up to one more request timeout before
  concluding it was lost. If the conversation cannot be read, the message is *not* resent (it is
  logged as undelivered): a lost reply is preferred to a duplicate. A connection that was never
  made (refused, DNS) is resent without asking.
* Texts over Zalo's 2,000-character limit are split at line or sentence ends.
* Buttons (``zalo_templates.py``): a bot message with buttons goes out as a ``template``
  attachment with up to 5 ``oa.query.hide`` buttons (a tap sends the Rasa payload back as the
  user's text); more than 5 → the first 4 + "Xem thêm lựa chọn". Titles are numbered ("1. …")
  and a typed number or title still works (``resolve_option``). Anything that cannot be a button
  (payload over 1,000 characters, title too long …), or a template Zalo refuses, goes out as
  numbered text lines instead.
* Interaction window closed (Zalo errors -230 / -213): not retried, the rest of the reply is
  dropped, counted in ``ZaloApi.stats``. Quota information in a send's response is logged (message
  type and counters only, no user data).
* Users who unfollowed the OA (``silenced``) are never sent anything.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
from collections import Counter
from typing import Any, Callable, Dict, List, Optional, Sequence, Text

import aiohttp
from rasa.core.channels.channel import OutputChannel

from bot.channels import zalo_templates as tpl
from bot.channels.zalo_tokens import TokenStore

logger = logging.getLogger(__name__)

MAX_CHARS = 2000
TOKEN_ERRORS = {-216, -124}  # access token invalid / expired [reported]
#: the user's interaction window is closed: -230 "User has not interacted with the OA in the past
#: 7 days" (seen in a public project's logs, khoicodedao/Poto_platform docs/FIX_ERROR_230.md);
#: -213 "user has not interacted / not followed" [reported, same source]. Not retried, counted.
WINDOW_ERRORS = {-230, -213}
OPTIONS_HINT = "Anh/chị gõ số để chọn:"
_BOUNDARIES = (
    re.compile(r"\n\s*"),  # line / paragraph end
    re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"”')\]]))\s+"),  # sentence end
    re.compile(r"\s+"),
)  # any space
_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


class ZaloApiError(RuntimeError):
    """The OA API refused the request (4xx or a Zalo error code): retrying will not help."""


class WindowClosed(ZaloApiError):
    """Zalo refused the message because the user's interaction window is closed."""


class _Retryable(RuntimeError):
    pass


#: how far back (ms) a message found in the conversation may be dated before our first attempt
#: (clock difference between this server and Zalo's)
CLOCK_SKEW_MS = 2000


def split_text(text: str, limit: int = MAX_CHARS) -> List[str]:
    """Chunks of at most ``limit`` characters, cut at the last line end, else sentence end,
    else space in the second half of the window (anywhere in it if none), else hard."""
    text = text.strip()
    chunks: List[str] = []
    while len(text) > limit:
        window = text[: limit + 1]
        cut = None
        for floor in (limit // 2, 0):
            for pattern in _BOUNDARIES:
                ends = [m.start() for m in pattern.finditer(window) if floor < m.start() <= limit]
                if ends:
                    cut = ends[-1]
                    break
            if cut:
                break
        cut = cut or limit
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        chunks.append(text)
    return chunks


def options_text(buttons: Sequence[Dict[str, Any]], first: int = 1) -> str:
    lines = [f"{i}. {b.get('title') or b.get('payload')}" for i, b in enumerate(buttons, first)]
    return OPTIONS_HINT + "\n" + "\n".join(lines)


def render(
    text: str, buttons: Optional[Sequence[Dict[str, Any]]] = None, limit: int = MAX_CHARS, first: int = 1
) -> List[str]:
    """The Zalo messages for one Rasa message: text chunks, numbered options (from ``first``)
    on the last one."""
    chunks = split_text(text or "", limit)
    if buttons:
        opts = options_text(buttons, first)
        if chunks and len(chunks[-1]) + 2 + len(opts) <= limit:
            chunks[-1] = f"{chunks[-1]}\n\n{opts}"
        else:
            chunks += split_text(opts, limit)
    return chunks


def resolve_option(text: str, buttons: Optional[Sequence[Dict[str, Any]]]) -> Optional[str]:
    """The payload of the button whose number the user typed ("2", " 2. "), else None."""
    m = _NUMBER.match(text or "")
    if not buttons:
        return None
    if not m:
        return tpl.match_title(text, buttons)  # the title typed (e.g. on a client without buttons)
    i = int(m.group(1))
    if 1 <= i <= len(buttons):
        return buttons[i - 1].get("payload") or buttons[i - 1].get("title")
    return None


def render_messages(
    text: str, buttons: Optional[Sequence[Dict[str, Any]]] = None, limit: int = MAX_CHARS, start: int = 0
) -> List[Dict[str, Any]]:
    """The Zalo ``message`` objects for one Rasa message: text chunks, the buttons (from
    ``buttons[start:]``) as a template on the last one; numbered text when they cannot be
    buttons."""
    zbuttons = tpl.zalo_buttons(buttons, start) if buttons else None
    if not zbuttons:
        return [{"text": chunk} for chunk in render(text, list(buttons or [])[start:] or None, limit, start + 1)]
    chunks = split_text(text or "", limit) or [tpl.DEFAULT_TEXT]
    return [{"text": c} for c in chunks[:-1]] + [tpl.template(chunks[-1], zbuttons)]


class ZaloApi:
    def __init__(
        self,
        api_base: str,
        tokens: TokenStore,
        timeout: float = 10,
        attempts: int = 3,
        backoff: float = 0.5,
        limit: int = MAX_CHARS,
    ) -> None:
        self.url = api_base.rstrip("/") + "/v3.0/oa/message/cs"
        self.conversation_url = api_base.rstrip("/") + "/v2.0/oa/conversation"
        self.tokens = tokens
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.attempts, self.backoff, self.limit = max(1, attempts), backoff, limit
        self._session: Optional[aiohttp.ClientSession] = None
        #: in-process counters (no personal data): sent_text, sent_template, window_closed,
        #: template_refused, failed, silenced, quota:<type>
        self.stats: "Counter[str]" = Counter()
        #: user_id → True when nothing may be sent to them (unfollowed); set by the input channel
        self.silenced: Callable[[str], bool] = lambda _user: False

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout, headers={"User-Agent": "tro-ly-khuyen-cong"})
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def send_text(
        self, user_id: str, text: str, buttons: Optional[Sequence[Dict[str, Any]]] = None, start: int = 0
    ) -> List[Dict[str, Any]]:
        """Send one Rasa message as one or more Zalo messages, in order. Nothing to a silenced
        (unfollowed) user; a closed interaction window stops the rest of the reply."""
        results = []
        for message in render_messages(text, buttons, self.limit, start):
            if self.silenced(user_id):
                self.stats["silenced"] += 1
                logger.info("zalo: user unfollowed the OA; message dropped")
                return results
            kind = "template" if "attachment" in message else "text"
            try:
                results.append(await self._send_one(user_id, message))
            except WindowClosed:
                self.stats["window_closed"] += 1
                raise
            except ZaloApiError as exc:
                if kind != "template" or getattr(exc, "zalo_code", 0) in (0, None, *TOKEN_ERRORS):
                    raise
                # Zalo refused the template itself (schema / limits differ from what the public
                # sources say): the same options as numbered text, once.
                self.stats["template_refused"] += 1
                logger.warning("zalo: button template refused (%s); sending numbered options", exc)
                for chunk in render(message["text"], list(buttons or [])[start:], self.limit, start + 1):
                    results.append(await self._send_one(user_id, {"text": chunk}))
                continue
            self.stats[f"sent_{kind}"] += 1
        return results

    def _record_quota(self, kind: str, data: Any) -> None:
        """Log the quota Zalo reports for a send (``data.quota``: quota_type, remain, total —
        field names as reported by public clients, not confirmed); message type only."""
        quota = (
            data.get("data", {}).get("quota") if isinstance(data, dict) and isinstance(data.get("data"), dict) else None
        )
        if isinstance(quota, dict):
            qtype = str(quota.get("quota_type") or "unknown")[:40]
            self.stats[f"quota:{qtype}"] += 1
            logger.info(
                "zalo: sent %s message; quota %s remain=%s total=%s",
                kind,
                qtype,
                str(quota.get("remain"))[:12],
                str(quota.get("total"))[:12],
            )
        else:
            logger.debug("zalo: sent %s message; no quota information", kind)

    async def _send_one(self, user_id: str, message: Any) -> Dict[str, Any]:
        if isinstance(message, str):
            message = {"text": message}
        kind = "template" if "attachment" in message else "text"
        # NOTE: for a template, the delivery check below compares the conversation's "message"
        # with the template's text; how Zalo lists a template in /v2.0/oa/conversation could not
        # be confirmed from public sources.
        text = message.get("text", "")
        body = {"recipient": {"user_id": user_id}, "message": message}
        started_ms = int(time.time() * 1000)
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            try:
                token = await self.tokens.access_token(self.http)
                async with self.http.post(self.url, json=body, headers={"access_token": token}) as resp:
                    if resp.status >= 500:
                        raise _Retryable(f"HTTP {resp.status}")
                    if resp.status >= 400:
                        raise ZaloApiError(f"HTTP {resp.status}")
                    data = await resp.json(content_type=None)
                code = data.get("error", 0) if isinstance(data, dict) else None
                if code in TOKEN_ERRORS and not refreshed:
                    refreshed = True
                    attempt -= 1  # a token refresh is not a delivery attempt
                    await self.tokens.refresh(self.http, force=True)
                    continue
                if code in WINDOW_ERRORS:
                    raise WindowClosed(f"Zalo error {code}: interaction window closed; not retried")
                if code != 0:
                    msg = data.get("message") if isinstance(data, dict) else data
                    err = ZaloApiError(f"Zalo error {code}: {str(msg)[:200]}")
                    err.zalo_code = code  # type: ignore[attr-defined]
                    raise err
                self._record_quota(kind, data)
                return data
            except (_Retryable, aiohttp.ClientError, asyncio.TimeoutError) as exc:
                if attempt >= self.attempts:
                    raise ZaloApiError(f"gave up after {attempt} attempts: {exc!r}") from exc
                delay = self.backoff * 2 ** (attempt - 1) * (1 + random.random() / 4)
                logger.warning("zalo: send attempt %d failed (%r); retrying in %.2f s", attempt, exc, delay)
                await asyncio.sleep(delay)
                if isinstance(exc, aiohttp.ClientConnectorError):
                    continue  # never reached Zalo: resend
                in_flight = not isinstance(exc, _Retryable)  # timeout / dropped connection
                delivered = await self._was_delivered(user_id, text, started_ms, in_flight)
                if delivered is None:
                    raise ZaloApiError("not resent: could not check whether the failed attempt was delivered") from exc
                if delivered:
                    logger.info("zalo: the failed attempt had been delivered; not resending")
                    return {"error": 0, "message": "delivered (confirmed from the conversation)"}

    async def _was_delivered(self, user_id: str, text: str, since_ms: int, in_flight: bool) -> Optional[bool]:
        """Whether the OA sent ``text`` to ``user_id`` since ``since_ms``: True / False, or None
        when the conversation could not be read. ``in_flight``: keep looking for up to one
        request timeout (the request may still be processed)."""
        deadline = time.monotonic() + ((self.timeout.total or 10) if in_flight else 0)
        while True:
            found = await self._find_in_conversation(user_id, text, since_ms)
            if found is not False or time.monotonic() >= deadline:
                return found
            await asyncio.sleep(min(0.5, max(0.05, deadline - time.monotonic())))

    async def _find_in_conversation(self, user_id: str, text: str, since_ms: int) -> Optional[bool]:
        query = {"data": json.dumps({"user_id": user_id, "offset": 0, "count": 10})}
        try:
            token = await self.tokens.access_token(self.http)
            async with self.http.get(self.conversation_url, params=query, headers={"access_token": token}) as resp:
                if resp.status >= 400:
                    logger.warning("zalo: reading the conversation failed (HTTP %d)", resp.status)
                    return None
                data = await resp.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            logger.warning("zalo: reading the conversation failed (%r)", exc)
            return None
        except Exception as exc:  # noqa: BLE001 - e.g. no token: cannot check
            logger.warning("zalo: reading the conversation failed (%s)", type(exc).__name__)
            return None
        if not isinstance(data, dict) or data.get("error", 0) != 0 or not isinstance(data.get("data"), list):
            logger.warning(
                "zalo: reading the conversation failed (Zalo error %r)",
                data.get("error") if isinstance(data, dict) else None,
            )
            return None
        for item in data["data"]:
            if not isinstance(item, dict) or str(item.get("from_id")) == str(user_id):
                continue  # the user's own messages
            try:
                sent_at = int(item.get("time") or 0)
            except (TypeError, ValueError):
                sent_at = 0
            if item.get("message") == text and sent_at >= since_ms - CLOCK_SKEW_MS:
                return True
        return False


class ZaloOutput(OutputChannel):
    """Rasa output channel: every bot message goes to the user through the OA API.

    Delivery failures are logged, never raised: the conversation (tracker) must still be saved.
    """

    @classmethod
    def name(cls) -> Text:
        return "zalo"

    def __init__(self, api: ZaloApi) -> None:
        self.api = api

    async def _send(
        self, recipient_id: Text, text: Text, buttons: Optional[List[Dict[Text, Any]]] = None, start: int = 0
    ) -> None:
        try:
            await self.api.send_text(recipient_id, text, buttons, start)
        except WindowClosed as exc:
            logger.warning("zalo: reply not delivered: %s", exc)
        except Exception as exc:  # noqa: BLE001 - logged; the conversation goes on
            self.api.stats["failed"] += 1
            logger.error("zalo: reply not delivered: %s", exc)

    async def send_more_options(self, recipient_id: Text, buttons: List[Dict[Text, Any]], start: int) -> None:
        """The options from ``start`` on ("Xem thêm lựa chọn" was tapped)."""
        await self._send(recipient_id, tpl.MORE_TEXT, buttons, start)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._send(recipient_id, text)

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self._send(recipient_id, text, buttons)

    async def send_quick_replies(
        self, recipient_id: Text, text: Text, quick_replies: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self._send(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self._send(recipient_id, image)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        logger.debug("zalo: custom payload not supported, skipped")
