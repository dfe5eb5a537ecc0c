"""Zalo Official Account input channel, webhook at ``/webhooks/zalo/webhook``.

1. Check ``X-ZEvent-Signature: mac=<hex>``, hex = sha256(app_id + raw body + timestamp +
   OA secret key), in constant time; missing / malformed / wrong / stale (``max_age`` s) → 401.
2. Claim the event key (``msg_id``) in the database: a redelivered event is acknowledged, not
   processed again (see ``zalo_tokens.SeenEvents``).
3. Answer 200 at once (Zalo wants it within ~2 s) and run the bot in a background task; the
   replies go out through ``zalo_api.ZaloOutput``.

``user_send_text`` runs the bot (a tapped button arrives as its payload; a bare number or a typed
title picks one of the options the bot sent last; "#xem_them:<n>" shows the options from n on);
every other ``user_send_*`` event (sticker, image, GIF, file, location, link, business card,
video, audio …) gets one short reply asking for text; ``follow`` sends the greeting with its menu
(and lifts an unfollow); ``unfollow`` silences the user (``zalo_tokens.Unfollowed``: nothing more
is pushed to them and pending replies are dropped; a message they write to the OA afterwards is
answered, since a reply to it is not a push, and lifts the silence); every other event is acknowledged and ignored, as is an event whose fields have the
wrong shape. A user over the rate limit (``ratelimit.py``)
is acknowledged, not answered, and told politely at most once per notice window.
An ``oa_send_*`` event that carries an admin id (``admin_id`` at the event's top level or in
``sender``) means a person at the centre answered that user from the OA chat: the bot pauses for
the user (``ConversationPaused`` appended to their tracker under the conversation lock, a
``zalo_oa_admin`` row in ``handovers``) for ``admin_pause_minutes`` (default 30), each further
admin message extending it; the first user message after it ran out resumes the bot
(``ConversationResumed``) and is answered; while it is paused (by an admin or by a handover the user
accepted) a picture, sticker or voice message gets no "please type" reply. Events without an admin id — the bot's own sends and
their echoes — pause nothing.
Settings come from credentials.yml, each falling back to an environment variable (see ``SETTINGS``),
so the block can stay in credentials.yml on machines without a Zalo OA (the webhook then says 503).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import logging
import os
import time
from typing import Any, Awaitable, Callable, Dict, Optional, Set, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationPaused, ConversationResumed, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.guard import FAILURE_REPLY, clean_text, limit_request_size, parse_json, screen
from bot.channels.ratelimit import LIMITED_REPLY, RateLimiter
from bot.channels import zalo_templates as tpl
from bot.channels.zalo_api import ZaloApi, ZaloOutput, resolve_option
from bot.channels.zalo_tokens import SeenEvents, TokenRefreshError, TokenStore, Unfollowed
from lead_store import handovers
from policy_kb.db import get_engine

logger = logging.getLogger(__name__)

#: credentials.yml key → (environment variable, default)
SETTINGS = {
    "app_id": ("ZALO_APP_ID", ""),
    "oa_secret_key": ("ZALO_OA_SECRET_KEY", ""),
    "app_secret": ("ZALO_APP_SECRET", ""),
    "access_token": ("ZALO_ACCESS_TOKEN", ""),
    "refresh_token": ("ZALO_REFRESH_TOKEN", ""),
    "api_base": ("ZALO_API_BASE", "https://openapi.zalo.me"),
    "oauth_base": ("ZALO_OAUTH_BASE", "https://oauth.zaloapp.com"),
    "max_age": ("ZALO_MAX_AGE", "300"),  # seconds a signed event stays acceptable
    "timeout": ("ZALO_TIMEOUT", "10"),  # seconds per OA API request
    "attempts": ("ZALO_ATTEMPTS", "3"),  # deliveries tried on network errors / 5xx
    "backoff": ("ZALO_BACKOFF", "0.5"),  # first retry delay, doubled each time
    "refresh_margin": ("ZALO_REFRESH_MARGIN", "1800"),  # refresh the access token this early (s)
    "admin_pause_minutes": ("ZALO_ADMIN_PAUSE_MINUTES", "30"),  # bot silent after an OA admin's reply
}
OA_ADMIN_OFFICER = handovers.OA_ADMIN_OFFICER
TEXT_ONLY_REPLY = "Dạ, em chỉ đọc được tin nhắn chữ. Anh/chị gõ câu hỏi giúp em nhé, có dấu hay không dấu đều được ạ."
VOICE_REPLY = (
    "Dạ, em chưa nghe được tin nhắn thoại. Anh/chị gõ câu hỏi bằng chữ giúp em nhé, như vậy "
    "em trả lời nhanh và đúng nhất ạ (có dấu hay không dấu đều được)."
)
#: webhook events of a user message the bot cannot read. Public clients disagree on the list:
#: a TypeScript client's zod schema has image / sticker / location / file / audio; other projects
#: add gif, video, link and, for a business card, "user_send_business_card" or
#: "user_send_contact". Any other "user_send_*" event is answered the same way, so the exact names
#: do not matter.
NON_TEXT_EVENTS = {
    "user_send_sticker",
    "user_send_image",
    "user_send_gif",
    "user_send_file",
    "user_send_location",
    "user_send_link",
    "user_send_business_card",
    "user_send_contact",
    "user_send_video",
    "user_send_audio",
}
VOICE_EVENTS = {"user_send_audio", "user_send_voice"}
#: a user withdrawing consent to the processing of their personal data. The only public trace
#: found is a Zalo Mini App webhook handler (Phuongdy123/language, miniapp-english/api/
#: zalo-webhook.js: event "user_pdl_revoke", top-level "user_id"); Zalo's OA webhook list could
#: not be checked. Routed to the bot as the user asking to erase their data (erasure flow:
#: erase_data → confirmation), so nothing is deleted without the user's confirmation.
CONSENT_REVOKE_EVENTS = {"user_pdl_revoke"}
#: an OA menu tap: listed as a webhook event by one public client (shape unknown); handled as
#: text when it carries ``message.text``. Most sources say a menu tap arrives as user_send_text.
MENU_EVENT = "user_click_chabot_menu"
ERASE_REQUEST_TEXT = "xóa thông tin của tôi"
MAX_BODY_BYTES = 64 * 1024
MAX_ID_CHARS = 128
HOUSEKEEPING_SECONDS = 600


def signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    return hashlib.sha256(
        app_id.encode() + raw_body + timestamp.encode("utf-8", "surrogatepass") + oa_secret_key.encode()
    ).hexdigest()


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else None


def _ident(value: Any) -> str:
    """A user id / message id as text, or "" when it is not a short printable scalar."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return ""
    text = str(value).strip()
    return text if len(text) <= MAX_ID_CHARS and text.isprintable() else ""


def admin_of(event: Dict[str, Any]) -> str:
    """The admin id of an ``oa_send_*`` event ("" for the bot's own sends and their echoes)."""
    return _ident(event.get("admin_id")) or _ident(_get(event.get("sender"), "admin_id"))


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


async def _in_thread(func: Callable[..., Any], *args: Any) -> Any:
    """A synchronous database call off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, func, *args)


class ZaloInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "zalo"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        creds = credentials or {}
        return cls(
            {
                k: str(creds.get(k) if creds.get(k) not in (None, "") else os.environ.get(env, default))
                for k, (env, default) in SETTINGS.items()
            }
        )

    def __init__(self, settings: Dict[str, str]) -> None:
        self.s = settings
        self.configured = bool(settings["app_id"] and settings["oa_secret_key"])
        self.tokens = TokenStore(
            settings["app_id"],
            settings["app_secret"],
            settings["oauth_base"],
            settings["access_token"],
            settings["refresh_token"],
            refresh_margin=float(settings["refresh_margin"]),
        )
        self.api = ZaloApi(
            settings["api_base"],
            self.tokens,
            timeout=float(settings["timeout"]),
            attempts=int(settings["attempts"]),
            backoff=float(settings["backoff"]),
        )
        self.seen = SeenEvents()
        self.unfollowed = Unfollowed()
        self.api.silenced = self.unfollowed.is_silenced
        self.limiter = RateLimiter()
        self._tasks: Set[asyncio.Task] = set()
        if not self.configured:
            logger.warning("zalo: ZALO_APP_ID / ZALO_OA_SECRET_KEY not set; /webhooks/zalo/webhook answers 503")

    def get_output_channel(self) -> Optional[OutputChannel]:
        return ZaloOutput(self.api)  # lets Rasa's HTTP API / reminders reach Zalo users too

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)  # keep a reference until done, or the task may be collected
        task.add_done_callback(self._tasks.discard)

    # --- request checks -------------------------------------------------------------------
    def _verify(self, request: Request) -> tuple[Optional[Dict[str, Any]], int, str]:
        """(event, 200, "") for an authentic fresh event, else (None, status, reason)."""
        header = request.headers.get("X-ZEvent-Signature", "")
        mac = header[4:].strip().lower() if header[:4].lower() == "mac=" else ""
        if len(mac) != 64 or any(c not in "0123456789abcdef" for c in mac):
            return None, 401, "missing or malformed signature"
        try:
            event = parse_json(request.body)
        except ValueError:
            return None, 400, "body must be JSON"
        if not isinstance(event, dict):
            return None, 400, "body must be a JSON object"
        timestamp = str(event.get("timestamp", ""))
        expected = signature(self.s["app_id"], request.body, timestamp, self.s["oa_secret_key"])
        if not hmac.compare_digest(mac, expected):
            return None, 401, "bad signature"
        try:
            age = abs(time.time() - int(timestamp) / 1000)
        except (ValueError, OverflowError):
            age = float("inf")
        if age > float(self.s["max_age"]):
            return None, 401, "stale timestamp"
        return event, 200, ""

    # --- processing -----------------------------------------------------------------------
    async def _last_buttons(self, agent: Any, sender: str) -> Optional[list]:
        """Buttons of the bot's last message in its last turn (the numbered options shown)."""
        tracker = await agent.tracker_store.retrieve(sender) if agent else None
        for event in reversed(tracker.events if tracker else []):
            if isinstance(event, UserUttered):
                return None
            if isinstance(event, BotUttered) and event.data.get("buttons"):
                return event.data["buttons"]
        return None

    def pause_minutes(self) -> float:
        try:
            return max(0.0, float(self.s["admin_pause_minutes"]))
        except (TypeError, ValueError):
            return 30.0

    async def _admin_replied(self, agent: Any, user: str, text: str) -> None:
        """Someone at the centre answered ``user`` from the OA chat: keep the bot silent for
        them until ``pause_minutes`` from now (a handover row; the tracker paused, the reply
        kept in it for the console's transcript)."""
        try:
            until = _utcnow() + dt.timedelta(minutes=self.pause_minutes())
            handover_id, _ = await _in_thread(handovers.extend_pause, get_engine(), user, self.name(), until)
            await _in_thread(handovers.record_officer_reply, get_engine(), handover_id, OA_ADMIN_OFFICER)
            if agent is None:
                return
            async with agent.lock_store.lock(user):
                tracker = await agent.processor.fetch_tracker_and_update_session(user)
                if text:
                    tracker.update(BotUttered(text, metadata={"officer": OA_ADMIN_OFFICER}))
                if not tracker.is_paused():
                    # a listen after the pause, so the first message after it follows one (the
                    # rules would not match it otherwise)
                    tracker.update(ConversationPaused())
                    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
                    logger.info("zalo: an OA admin answered; bot paused for that user (handover %s)", handover_id)
                await agent.processor.save_tracker(tracker)
        except Exception:  # noqa: BLE001
            logger.exception("zalo: could not pause the bot after an OA admin's reply")

    async def _resume_if_expired(self, agent: Any, user: str) -> None:
        """Before a user message: if the OA-admin pause ran out, resume the bot, so that it
        answers this message."""
        try:
            ended = await _in_thread(handovers.end_expired_pause, get_engine(), user)
            if ended is None or agent is None:
                return
            async with agent.lock_store.lock(user):
                tracker = await agent.processor.get_tracker(user)
                if tracker.is_paused():
                    tracker.update(ConversationResumed())
                    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
                    await agent.processor.save_tracker(tracker)
            logger.info("zalo: OA admin pause over; bot answers again (handover %s)", ended)
        except Exception:  # noqa: BLE001 - the message must still reach the bot
            logger.exception("zalo: could not check the OA admin pause")

    async def _non_text_reply(self, agent: Any, user: str, reply: str) -> None:
        """ "Please type" for a picture, sticker, voice message … — unless an officer has the
        conversation (the picture is for them, not for the bot)."""
        await self._resume_if_expired(agent, user)
        try:
            tracker = await agent.tracker_store.retrieve(user) if agent else None
        except Exception:  # noqa: BLE001
            logger.exception("zalo: could not read the conversation state")
            tracker = None
        if tracker is not None and tracker.is_paused():
            return
        await ZaloOutput(self.api).send_text_message(user, reply)

    async def _process(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        agent: Any,
        sender: str,
        text: str,
        message_id: str,
        event_name: str,
    ) -> None:
        output = ZaloOutput(self.api)
        text = clean_text(text)
        try:
            canned = screen(text)
            if canned is not None:
                await output.send_response(sender, canned)
                return
            try:
                buttons = await self._last_buttons(agent, sender)
            except Exception:  # noqa: BLE001 - a tracker-store hiccup must not lose the message
                logger.exception("zalo: could not look up the last options")
                buttons = None
            start = tpl.more_offset(text)
            if start is not None:
                if buttons and 0 < start < len(buttons):
                    await output.send_more_options(sender, buttons, start)
                    return
                text = tpl.MORE_TITLE  # options no longer known: let the bot answer
            text = resolve_option(text, buttons) or text
            await self._resume_if_expired(agent, sender)
            await on_new_message(
                UserMessage(
                    text,
                    output,
                    sender,
                    input_channel=self.name(),
                    message_id=message_id,
                    metadata={"zalo_event": event_name},
                )
            )
        except Exception:  # noqa: BLE001 - never echo user text: it may hold personal data
            logger.exception("zalo: error while handling an event")
            await output.send_text_message(sender, FAILURE_REPLY)

    async def _housekeeping(self) -> None:
        """Keep the tokens fresh (and the refresh token alive) even when nobody writes."""
        while True:
            await asyncio.sleep(HOUSEKEEPING_SECONDS)
            try:
                await self.tokens.access_token(self.api.http)
            except TokenRefreshError as exc:
                logger.warning("zalo: %s", exc)
            except Exception:  # noqa: BLE001
                logger.exception("zalo: token housekeeping failed")
            await self.seen.prune()
            await self.unfollowed.load()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("zalo_webhook", __name__)
        limit_request_size(bp)

        @bp.listener("after_server_start")
        async def start(app, loop) -> None:
            if self.configured:
                await self.unfollowed.load()
                self._spawn(self._housekeeping())

        @bp.listener("before_server_stop")
        async def stop(app, loop) -> None:
            for task in list(self._tasks):
                task.cancel()
            await self.api.close()

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            # counters of this process (message types only, no user data): sent_text,
            # sent_template, window_closed, template_refused, failed, silenced, quota:<type>
            return response.json({"status": "ok", "configured": self.configured, "stats": dict(self.api.stats)})

        @bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.configured:
                return response.json({"error": "Zalo channel not configured"}, status=503)
            if len(request.body) > MAX_BODY_BYTES:
                return response.json({"error": "body too large"}, status=413)
            event, status, reason = self._verify(request)
            if event is None:
                logger.warning("zalo: rejected webhook (%s)", reason)
                return response.json({"error": reason}, status=status)
            name = event.get("event_name")
            name = name if isinstance(name, str) else ""
            message = event.get("message")
            timestamp = _ident(event.get("timestamp"))
            if name in ("follow", "unfollow"):
                sender = _ident(_get(event.get("follower"), "id")) or _ident(_get(event.get("sender"), "id"))
                text, key = "/greet", f"{name}:{sender}:{timestamp}"
            elif name in CONSENT_REVOKE_EVENTS:
                sender = (
                    _ident(event.get("user_id"))
                    or _ident(_get(event.get("sender"), "id"))
                    or _ident(_get(event.get("follower"), "id"))
                )
                text, key = ERASE_REQUEST_TEXT, f"{name}:{sender}:{timestamp}"
            elif name == MENU_EVENT and isinstance(_get(message, "text"), str):
                name = "user_send_text"  # an OA menu tap, if Zalo delivers it as its own event
                sender = _ident(_get(event.get("sender"), "id"))
                key = _ident(_get(message, "msg_id")) or f"{MENU_EVENT}:{sender}:{timestamp}"
                text = _get(message, "text")
            elif name.startswith("oa_send_"):
                # the OA's own messages: only a person's (with an admin id) pauses the bot
                user = _ident(_get(event.get("recipient"), "id"))
                if not admin_of(event) or not user:
                    return response.json({"status": "ignored"})
                key = _ident(_get(message, "msg_id")) or f"{name}:{user}:{timestamp}"
                if not await self.seen.claim(key):
                    return response.json({"status": "duplicate"})
                text = _get(message, "text") if name == "oa_send_text" else None
                self._spawn(
                    self._admin_replied(
                        getattr(request.app.ctx, "agent", None), user, clean_text(text) if isinstance(text, str) else ""
                    )
                )
                return response.json({"status": "paused"})
            elif name.startswith("user_send_"):
                sender = _ident(_get(event.get("sender"), "id"))
                key = _ident(_get(message, "msg_id")) or f"{name}:{sender}:{timestamp}"
                text = (_get(message, "text") or "") if name == "user_send_text" else ""
            else:
                return response.json({"status": "ignored"})
            if not sender or not key:
                return response.json({"status": "ignored"})
            if not await self.seen.claim(key):
                return response.json({"status": "duplicate"})
            if name in ("follow", "unfollow"):
                try:
                    ts_ms = int(timestamp)
                except ValueError:
                    ts_ms = 0
                if not await self.unfollowed.set(sender, name == "unfollow", ts_ms):
                    return response.json({"status": "ignored"})  # older than the last (un)follow
                if name == "unfollow":
                    logger.info("zalo: a user unfollowed the OA; nothing more will be sent to them")
                    return response.json({"status": "unfollowed"})
            elif self.unfollowed.is_silenced(sender):
                if not name.startswith("user_send_"):
                    return response.json({"status": "ignored"})
                # they wrote to the OA again: a reply to their own message is not a push, so it is
                # answered (what was pending when they unfollowed stays dropped)
                try:
                    ts_ms = int(timestamp)
                except ValueError:
                    ts_ms = 0
                await self.unfollowed.set(sender, False, ts_ms)
                logger.info("zalo: a user who had unfollowed wrote again; answering")
            decision = self.limiter.check(sender)
            if not decision.allowed:
                if decision.notify:
                    self._spawn(ZaloOutput(self.api).send_text_message(sender, LIMITED_REPLY))
                return response.json({"status": "rate_limited"})
            if name not in ("user_send_text", "follow", *CONSENT_REVOKE_EVENTS):
                reply = VOICE_REPLY if name in VOICE_EVENTS else TEXT_ONLY_REPLY
                self._spawn(self._non_text_reply(getattr(request.app.ctx, "agent", None), sender, reply))
                return response.json({"status": "answered"})
            agent = getattr(request.app.ctx, "agent", None)
            self._spawn(self._process(on_new_message, agent, sender, text, key, name))
            return response.json({"status": "accepted"})

        return bp
